"""POST /v1/screenings as a stored job: 202 + Location, status, results for caseworkers of the kommune only."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.main import create_app
from api.settings import Settings
from loan_engine.screening.synthetic import sample_prices
from models.jobs import JobArtifact
from tests.screening.conftest import register_text


def _submit(
    client: TestClient,
    headers: dict[str, str],
    register: bytes,
    *,
    prices: bytes | None = None,
    prices_json: Any = None,
    data: dict[str, str] | None = None,
) -> Any:
    files: dict[str, Any] = {"register": ("tenants.csv", register, "text/csv")}
    if prices is not None:
        files["prices"] = ("prices.csv", prices, "text/csv")
    form = dict(data or {"screening_date": "2026-01-01"})
    if prices_json is not None:
        form["prices_json"] = prices_json if isinstance(prices_json, str) else json.dumps(prices_json)
    return client.post("/v1/screenings", files=files, data=form, headers=headers)


def _wait(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(location, headers=headers).json()
        if doc["status"] in ("succeeded", "failed", "cancelled"):
            return doc
        time.sleep(0.05)
    raise AssertionError("the screening did not finish in 60 s")


@pytest.fixture(scope="module")
def finished(
    client: TestClient, caseworker_headers: dict[str, str], sample_register_path: Path, sample_prices_path: Path
) -> dict[str, Any]:
    bad = b"\r\nBAD1;X1;1;0;0;0;0;0;9000;0;0;0;;Rud;;nei;;0;0\r\n"
    register = sample_register_path.read_bytes().rstrip(b"\r\n") + bad
    r = _submit(client, caseworker_headers, register, prices=sample_prices_path.read_bytes())
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/screenings/{r.json()['id']}"
    doc = _wait(client, r.headers["Location"], caseworker_headers)
    assert doc["status"] == "succeeded", doc
    return doc


def test_status_summary_and_row_errors(finished: dict[str, Any]) -> None:
    assert finished["progress"]["done"] == finished["progress"]["total"] == 1000
    assert finished["summary"]["households_screened"] == 200
    assert finished["source"]["encoding"] == "UTF-8" and finished["source"]["delimiter"] == "semicolon"
    errors = finished["errors"]["register"]["errors"]
    assert errors and errors[0]["row"] == 202 and errors[0]["column"] == "members"
    assert finished["results"]["csv"].endswith("/results.csv")
    assert finished["params"]["parameter_set"]["id"]


def test_results_for_caseworkers(
    client: TestClient, caseworker_headers: dict[str, str], finished: dict[str, Any]
) -> None:
    r = client.get(finished["results"]["csv"], headers=caseworker_headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 200
    assert rows[0]["rank"] == "1"
    r = client.get(finished["results"]["json"], headers=caseworker_headers)
    assert r.status_code == 200
    body = r.json()
    assert len(body["households"]) == 200 and body["summary"]["households_screened"] == 200


def test_finance_sees_the_summary_only(
    client: TestClient, finance_headers: dict[str, str], finished: dict[str, Any]
) -> None:
    job = finished["id"]
    for path in (f"/v1/screenings/{job}", f"/v1/screenings/{job}/results.csv", f"/v1/screenings/{job}/results.json"):
        r = client.get(path, headers=finance_headers)
        assert r.status_code == 403, path
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get(f"/v1/screenings/{job}/summary", headers=finance_headers)
    assert r.status_code == 200
    text = r.text
    assert "H000001" not in text and "KB-0" not in text and "errors" not in r.json()
    assert r.json()["summary"]["households_screened"] == 200
    r = _submit(client, finance_headers, register_text().encode(), prices_json=sample_prices())
    assert r.status_code == 403


def test_other_kommune_gets_404(
    client: TestClient, make_key: Callable[..., dict[str, str]], finished: dict[str, Any]
) -> None:
    other = make_key("caseworker", "3030")
    other_finance = make_key("finance", "3030")
    job = finished["id"]
    for path, headers in (
        (f"/v1/screenings/{job}", other),
        (f"/v1/screenings/{job}/results.csv", other),
        (f"/v1/screenings/{job}/results.json", other),
        (f"/v1/screenings/{job}/summary", other_finance),
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json")


def test_no_key_is_401(client: TestClient, finished: dict[str, Any]) -> None:
    assert client.get(f"/v1/screenings/{finished['id']}/summary").status_code == 401


def test_uploaded_register_is_not_kept(engine: Engine, finished: dict[str, Any]) -> None:
    with Session(engine) as session:
        names = {a.name for a in session.exec(select(JobArtifact).where(JobArtifact.job_id == finished["id"]))}
    assert names == {"results.csv", "results.json"}


def test_prices_as_json_field(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = _submit(client, caseworker_headers, register_text().encode("cp1252"), prices_json={"areas": sample_prices()})
    assert r.status_code == 202, r.text
    doc = _wait(client, r.headers["Location"], caseworker_headers)
    assert doc["status"] == "succeeded" and doc["summary"]["households_screened"] == 3
    assert doc["source"]["encoding"] in ("UTF-8", "Windows-1252")


@pytest.mark.parametrize(
    "register,prices_json,rule",
    [
        (b"", sample_prices(), "file-not-empty"),
        (b"household_id;members;area\r\nA;F30;Rud\r\n", sample_prices(), "column-required"),
        (b"\x81\x8d\x8f" * 50, sample_prices(), "encoding-utf8-or-windows-1252"),
        (register_text().encode(), None, "prices-file-or-json"),
        (register_text().encode(), "not json", "json-invalid"),
        (register_text().encode(), [{"area": "Rud"}], "price-columns-required"),
        (register_text().encode(), [{"area": "Rud", "price_per_m2": -1}], "price-table-not-empty"),
    ],
)
def test_bad_input_is_a_problem_at_submission(
    client: TestClient, caseworker_headers: dict[str, str], register: bytes, prices_json: Any, rule: str
) -> None:
    r = _submit(client, caseworker_headers, register, prices_json=prices_json)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["rule"] == rule


def test_bad_options(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = _submit(
        client,
        caseworker_headers,
        register_text().encode(),
        prices_json=sample_prices(),
        data={"screening_date": "31.12.2026", "max_grant_share": "2"},
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"screening_date", "max_grant_share"} <= fields


def test_upload_over_the_limit_is_413(settings: Settings, caseworker_headers: dict[str, str]) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 4096})
    with TestClient(create_app(small)) as c:
        r = _submit(c, caseworker_headers, register_text().encode() + b"x" * 5000, prices_json=sample_prices())
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "4096" in r.json()["detail"]


def test_unknown_screening(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.get("/v1/screenings/doesnotexist", headers=caseworker_headers)
    assert r.status_code == 404


def test_cancel(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    from loan_engine.screening.synthetic import sample_households, to_csv

    register = to_csv(sample_households(20_000, seed=3)).encode()
    r = _submit(client, caseworker_headers, register, prices_json=sample_prices())
    assert r.status_code == 202
    c = client.delete(r.headers["Location"], headers=caseworker_headers)
    assert c.status_code in (202, 200)  # 200 only if it already finished: then its results are removed instead
    doc = _wait(client, r.headers["Location"], caseworker_headers)
    assert doc["status"] in ("cancelled", "succeeded"), doc
    results = client.get(f"{r.headers['Location']}/results.csv", headers=caseworker_headers)
    if doc["status"] == "cancelled":
        assert results.status_code == 404  # a cancelled screening has no results
    elif c.status_code == 200:
        assert results.status_code == 410  # it had finished: the DELETE removed its results
    else:
        # the cancel was asked for while the last rows were screened: the job finished first and keeps its results
        assert results.status_code == 200


def test_a_submitted_job_is_not_visible_before_its_register_is_stored(
    engine: Engine, demo_kommune: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job row and its uploaded register are one transaction: a worker polling the queue from another process
    (here: another connection, looking right after the job row is written) sees neither or both — before, it could
    claim the job first and fail it with 'the uploaded register is no longer stored'."""
    from dataclasses import dataclass

    from api.jobs import runner as jobs
    from api.screening import service
    from loan_engine.screening.engine import ScreeningOptions
    from models.jobs import Job

    @dataclass(frozen=True)
    class Owner:
        key_id: str = "test"
        kommune_number: str = demo_kommune

    seen: list[int] = []
    create = jobs.create_job

    def create_and_look(*args: Any, **kwargs: Any) -> Any:
        job = create(*args, **kwargs)
        with Session(engine) as other:  # a second connection: what another process would see now
            seen.append(len(other.exec(select(Job).where(Job.id == job.id)).all()))
        return job

    submitted: list[str] = []

    class Runner:
        def submit(self, job_id: str) -> None:
            submitted.append(job_id)

    monkeypatch.setattr(service.jobs, "create_job", create_and_look)
    with Session(engine) as session:
        job = service.submit(
            session,
            Runner(),  # type: ignore[arg-type]
            Owner(),
            register=register_text().encode(),
            register_name="tenants.csv",
            prices_file=None,
            prices_records=sample_prices(),
            options=ScreeningOptions(screening_date=date(2026, 1, 1)),
            max_bytes=10_000_000,
        )
        assert seen == [0]  # not visible before the commit that also stores the register
        assert submitted == [job.id]
        stored = session.exec(select(JobArtifact).where(JobArtifact.job_id == job.id)).all()
        assert [a.name for a in stored] == [service.INPUT]
