"""Health, readiness, problem+json for auth failures and body limits."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_reports_database_and_revision(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == client.app.state.expected_revision  # type: ignore[attr-defined]


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    r = client.get("/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404


def test_openapi_declares_api_key_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"].startswith("loan_engine")
