"""The job settings: read from the environment, empty values mean "not set", bad values are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_job_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAN_ENGINE_RUN_JOBS", "false")
    monkeypatch.setenv("LOAN_ENGINE_JOB_LEASE_SECONDS", "12.5")
    monkeypatch.setenv("LOAN_ENGINE_JOB_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("LOAN_ENGINE_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    monkeypatch.setenv("LOAN_ENGINE_SCREENING_RETENTION_DAYS", "90")
    s = Settings(_env_file=None)
    assert (s.run_jobs, s.job_lease_seconds, s.job_max_attempts) == (False, 12.5, 5)
    assert s.dask_scheduler == "tcp://10.0.0.5:8786" and s.screening_retention_days == 90


def test_job_settings_defaults_and_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAN_ENGINE_DASK_SCHEDULER", "")
    monkeypatch.setenv("LOAN_ENGINE_SCREENING_RETENTION_DAYS", " ")
    s = Settings(_env_file=None)
    assert s.run_jobs is True and s.job_lease_seconds == 30 and s.job_max_attempts == 3
    assert s.dask_scheduler is None and s.screening_retention_days is None


@pytest.mark.parametrize(
    "field,value",
    [("job_lease_seconds", 0), ("job_max_attempts", 0), ("screening_retention_days", -1), ("job_poll_seconds", 0)],
)
def test_bad_job_settings_are_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]
