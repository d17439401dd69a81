"""DELETE on a finished screening or stress test removes its stored results (audit-logged, 410 afterwards); the
screening retention removes old screenings' personal data, once, whichever processes run it; OpenAPI lists the
statuses."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.jobs.kinds import JOB_KINDS
from api.jobs.runner import JobRunner, purge_screenings
from loan_engine.screening.synthetic import sample_prices
from tests.screening.conftest import register_text


def _wait(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(url, headers=headers).json()
        if doc["status"] in ("succeeded", "failed", "cancelled"):
            return doc
        time.sleep(0.05)
    raise AssertionError(f"not finished: {doc}")


def _screening(client: TestClient, headers: dict[str, str]) -> str:
    r = client.post(
        "/v1/screenings",
        files={"register": ("tenants.csv", register_text().encode(), "text/csv")},
        data={"screening_date": "2026-01-01", "prices_json": json.dumps(sample_prices())},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    doc = _wait(client, r.headers["Location"], headers)
    assert doc["status"] == "succeeded", doc
    return str(doc["id"])


def _audit(engine: Engine, job_id: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action FROM audit_log WHERE entity_id = :j"), {"j": job_id}).all()
    return [r[0] for r in rows]


def _artifacts(engine: Engine, job_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT count(*) FROM job_artifacts WHERE job_id = :j"), {"j": job_id}).scalar()
        )


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    return body


def test_delete_a_finished_screening_removes_its_results(
    client: TestClient, engine: Engine, caseworker_headers: dict[str, str], finance_headers: dict[str, str]
) -> None:
    job_id = _screening(client, caseworker_headers)
    url = f"/v1/screenings/{job_id}"
    summary = client.get(url, headers=caseworker_headers).json()["summary"]
    assert _artifacts(engine, job_id) == 2
    r = client.delete(url, headers=caseworker_headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["status"] == "succeeded" and doc["results_removed_at"] and doc["results"] is None
    assert doc["summary"] == summary and doc["errors"] is None and doc["source"] is None  # only the counts
    assert _artifacts(engine, job_id) == 0
    assert _audit(engine, job_id) == ["screening.results-removed"]
    for path in ("results.csv", "results.json"):
        assert _problem(client.get(f"{url}/{path}", headers=caseworker_headers), 410)["errors"][0]["rule"] == (
            "results-removed"
        )
    assert client.get(f"{url}/summary", headers=finance_headers).json()["summary"] == summary
    _problem(client.delete(url, headers=caseworker_headers), 410)  # already removed; nothing recorded twice
    assert _audit(engine, job_id) == ["screening.results-removed"]
    _problem(client.delete("/v1/screenings/nope", headers=caseworker_headers), 404)


def test_delete_a_finished_stress_test_removes_its_results(
    client: TestClient, engine: Engine, finance_headers: dict[str, str]
) -> None:
    pid = client.post(
        "/v1/portfolios/synthetic", json={"name": "removal-book", "loans": 40, "seed": 2}, headers=finance_headers
    ).json()["id"]
    r = client.post(
        "/v1/stress-tests", json={"portfolio_id": pid, "scenarios": 8, "horizon_years": 1}, headers=finance_headers
    )
    url = r.headers["location"]
    assert _wait(client, url, finance_headers)["status"] == "succeeded"
    _problem(client.post(f"{url}/cancel", headers=finance_headers), 409)  # cancel only: a finished job is a conflict
    r = client.delete(url, headers=finance_headers)
    assert r.status_code == 200 and r.json()["result"] is None and r.json()["results_removed_at"]
    _problem(client.get(f"{url}/scenario-losses.csv", headers=finance_headers), 410)
    _problem(client.delete(url, headers=finance_headers), 410)
    assert client.get(url, headers=finance_headers).json()["status"] == "succeeded"  # the final status stays
    assert _audit(engine, url.rsplit("/", 1)[1]) == ["stress-test.results-removed"]


def _age(engine: Engine, job_id: str, days: int) -> None:
    with engine.begin() as conn:
        finished = conn.execute(sa.text("SELECT finished_at FROM jobs WHERE id = :j"), {"j": job_id}).scalar()
    from datetime import datetime, timedelta

    if isinstance(finished, str):
        finished = datetime.fromisoformat(finished)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE jobs SET finished_at = :t WHERE id = :j"),
            {"t": finished - timedelta(days=days), "j": job_id},
        )


def test_retention_purges_old_screenings_once(
    client: TestClient, engine: Engine, caseworker_headers: dict[str, str]
) -> None:
    old, recent = _screening(client, caseworker_headers), _screening(client, caseworker_headers)
    _age(engine, old, 40)
    # Several processes applying the retention at the same moment: one removal, one audit entry.
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(purge_screenings(engine, 30, JOB_KINDS))) for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts) >= 1
    assert _audit(engine, old) == ["screening.results-removed"]
    assert _artifacts(engine, old) == 0 and _artifacts(engine, recent) == 2
    doc = client.get(f"/v1/screenings/{old}", headers=caseworker_headers).json()
    assert doc["results_removed_at"] and doc["summary"]["households_screened"] == 3 and doc["errors"] is None
    _problem(client.get(f"/v1/screenings/{old}/results.csv", headers=caseworker_headers), 410)
    # The runner's loop applies it when LOAN_ENGINE_SCREENING_RETENTION_DAYS is set.
    _age(engine, recent, 40)
    JobRunner(engine, screening_retention_days=30, kinds=JOB_KINDS).maintain()
    assert _artifacts(engine, recent) == 0 and _audit(engine, recent) == ["screening.results-removed"]


def test_openapi_documents_the_job_statuses(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for base in ("/v1/screenings/{job_id}", "/v1/stress-tests/{job_id}"):
        assert {"200", "202", "404", "410"} <= set(paths[base]["delete"]["responses"])
        assert "404" in paths[base]["get"]["responses"]
    assert "409" in paths["/v1/stress-tests/{job_id}/cancel"]["post"]["responses"]
    assert "410" in paths["/v1/screenings/{job_id}/results.csv"]["get"]["responses"]
    assert "410" in paths["/v1/stress-tests/{job_id}/scenario-losses.csv"]["get"]["responses"]
