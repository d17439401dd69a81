"""Real processes on one database: two API processes and a worker run 20 jobs, none twice and no final status
changed; a worker killed with SIGKILL mid-job (its job is retried after its lease, then failed when its attempts
are used up); ``loan-engine serve --workers 2`` on a fresh PostgreSQL database, five times and two at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.main import create_app
from api.seed import DEMO_KEYS
from api.settings import Settings
from models import db
from models.api_keys import Role
from tests.conftest import BACKENDS, TEST_DATABASE_URL
from tests.jobs.conftest import get_job, wait_final
from tests.jobs.procs import free_port, start_serve, start_uvicorn, start_worker, wait_ready
from tests.jobs.test_queue import FinalWatcher

pytestmark = pytest.mark.slow

FINANCE = {"X-API-Key": DEMO_KEYS[Role.finance]}
BAD_START = ("Traceback", "UniqueViolation", "already exists", "Application startup failed")

needs_postgres = pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set (PostgreSQL only)")


def _stress_body(portfolio_id: str, seed: int) -> dict[str, object]:
    return {"portfolio_id": portfolio_id, "scenarios": 16, "horizon_years": 2, "seed": seed}


@needs_postgres
def test_two_api_processes_and_a_worker_run_20_jobs_once(
    fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database_url("postgresql")
    ports = [free_port(), free_port()]
    # Everything starts at the same moment on an empty database.
    apis = [start_serve(url, port, tmp_path / f"api{i}.log", workers=1) for i, port in enumerate(ports)]
    worker = start_worker(url, tmp_path / "worker.log")
    engine = db.make_engine(url)
    try:
        for port, proc in zip(ports, apis, strict=True):
            wait_ready(port, proc)
        base = [f"http://127.0.0.1:{p}" for p in ports]
        r = httpx.post(
            f"{base[0]}/v1/portfolios/synthetic", json={"name": "book", "loans": 50, "seed": 1}, headers=FINANCE
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        ids = []
        for n in range(20):
            r = httpx.post(f"{base[n % 2]}/v1/stress-tests", json=_stress_body(pid, n), headers=FINANCE)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        with FinalWatcher(engine, ids) as watcher:
            final = wait_final(engine, ids, timeout=240)
            time.sleep(1.0)
        assert set(final.values()) == {"succeeded"}, final
        assert watcher.changes == []
        jobs = [get_job(engine, i) for i in ids]
        assert [j.attempts for j in jobs] == [1] * 20  # each claimed (hence run) exactly once
        owners = {(j.lease_owner or "").rsplit(":", 2)[-2] for j in jobs}
        assert owners and owners <= {str(apis[0].pid), str(apis[1].pid), str(worker.pid)}, owners
        for proc in (*apis, worker):
            assert not any(s in proc.output() for s in BAD_START), proc.output()[-3000:]
        # Every result is the same document whichever process computed it: same seed, same numbers.
        again = httpx.post(f"{base[1]}/v1/stress-tests", json=_stress_body(pid, 0), headers=FINANCE).json()["id"]
        wait_final(engine, [again], timeout=120)
        assert get_job(engine, again).result == jobs[0].result
    finally:
        for proc in (*apis, worker):
            proc.stop()
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def api_only(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[tuple[str, TestClient]]:
    """An API process in this test (jobs not run here) on a fresh database."""
    url = fresh_database_url(request.param)
    settings = Settings(environment="test", database_url=url, demo_data=True, run_jobs=False)
    with TestClient(create_app(settings)) as client:
        yield url, client


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_job_is_retried_after_its_lease_then_failed(
    api_only: tuple[str, TestClient], tmp_path: Path
) -> None:
    url, client = api_only
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    pid = client.post(
        "/v1/portfolios/synthetic", json={"name": "big", "loans": 1000, "seed": 2}, headers=FINANCE
    ).json()["id"]
    r = client.post(
        "/v1/stress-tests", json={"portfolio_id": pid, "scenarios": 20_000, "horizon_years": 30}, headers=FINANCE
    )
    assert r.status_code == 202
    job_id = r.json()["id"]
    settings = {"job_lease_seconds": 2, "job_max_attempts": 2}
    procs = []
    try:
        a = start_worker(url, tmp_path / "a.log", **settings)
        procs.append(a)
        _wait_for(lambda: get_job(engine, job_id).progress_done > 0, 120, "worker a to run the job")
        assert f":{a.pid}:" in (get_job(engine, job_id).lease_owner or "")
        a.kill9()
        b = start_worker(url, tmp_path / "b.log", **settings)
        procs.append(b)
        # b does not take it while a's lease holds; it does once the lease has expired.
        _wait_for(lambda: get_job(engine, job_id).attempts == 2, 120, "the job to be claimed again")
        job = get_job(engine, job_id)
        assert job.status == "running" and f":{b.pid}:" in (job.lease_owner or "")
        _wait_for(lambda: get_job(engine, job_id).progress_done > 0, 120, "worker b to run the job")
        b.kill9()
        c = start_worker(url, tmp_path / "c.log", **settings)
        procs.append(c)
        # No attempts left: after b's lease expires the job is failed, by whichever process looks first.
        assert wait_final(engine, [job_id], timeout=120) == {job_id: "failed"}
        job = get_job(engine, job_id)
        assert job.attempts == 2 and "2 time(s)" in (job.error or "")
        assert client.get(f"/v1/stress-tests/{job_id}", headers=FINANCE).json()["status"] == "failed"
    finally:
        for proc in procs:
            proc.stop()


@needs_postgres
def test_serve_with_two_workers_on_a_fresh_database(fresh_database_url: Callable[[str], str], tmp_path: Path) -> None:
    """Five starts with two workers on fresh PostgreSQL databases (``loan-engine serve --workers 2``, which
    migrates before forking, and ``uvicorn api.main:app --workers 2``, whose workers both migrate), then two
    instances at the same moment on one fresh database: every start comes up (migrations once under an advisory
    lock, seeding insert-if-absent)."""
    for attempt in range(5):
        url = fresh_database_url("postgresql")
        port = free_port()
        start = start_serve if attempt % 2 == 0 else start_uvicorn
        proc = start(url, port, tmp_path / f"serve{attempt}.log", workers=2)
        try:
            wait_ready(port, proc)
            assert not any(s in proc.output() for s in BAD_START), proc.output()[-3000:]
        finally:
            proc.stop()
    url = fresh_database_url("postgresql")
    ports = [free_port(), free_port()]
    procs = [start_serve(url, p, tmp_path / f"twin{i}.log", workers=2) for i, p in enumerate(ports)]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_ready(port, proc)
            assert not any(s in proc.output() for s in BAD_START), proc.output()[-3000:]
        # Both answer with the same seeded data.
        for port in ports:
            r = httpx.get(f"http://127.0.0.1:{port}/v1/parameter-sets", headers=FINANCE)
            assert r.status_code == 200
    finally:
        for proc in procs:
            proc.stop()
