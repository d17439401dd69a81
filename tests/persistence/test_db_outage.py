"""A database that goes away: readiness turns red (503 problem), requests fail cleanly (503 problem+json, never a
500), nothing is half-written, and the service recovers when the database is back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from api.main import create_app
from api.settings import Settings
from tests.cases.helpers import assert_problem, case_body, create_assessed, granted
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def outage_client(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> Iterator[TestClient]:
    url = fresh_database_url(request.param)
    app = create_app(Settings(environment="test", database_url=url, demo_data=True, auto_migrate=True))
    with TestClient(app) as client:
        yield client


def _engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar() or 0)


class _FailCommits:
    """Make every COMMIT on ``engine`` fail as if the server went away after the statements were sent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _fail(self, conn: Any) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))

    def __enter__(self) -> _FailCommits:
        event.listen(self.engine, "commit", self._fail)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "commit", self._fail)


def test_commit_failure_on_create_writes_nothing(outage_client: TestClient, caseworker_headers: dict[str, str]) -> None:
    engine = _engine(outage_client)
    body = case_body()
    before_cases = _count(engine, "SELECT count(*) FROM cases")
    before_audit = _count(engine, "SELECT count(*) FROM audit_log")
    headers = {**caseworker_headers, "Idempotency-Key": "outage-create-1"}
    with _FailCommits(engine):
        r = outage_client.post("/v1/cases", json=body, headers=headers)
    problem = assert_problem(r, 503)
    assert problem["type"].endswith("database-unavailable") and r.headers["Retry-After"]
    assert _count(engine, "SELECT count(*) FROM cases") == before_cases
    assert _count(engine, "SELECT count(*) FROM audit_log") == before_audit
    assert _count(engine, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = 'outage-create-1'") == 0
    # the client retries with the same key once the database is back: exactly one case
    again = outage_client.post("/v1/cases", json=body, headers=headers)
    assert again.status_code == 201
    assert _count(engine, "SELECT count(*) FROM cases WHERE reference = :r", r=body["reference"]) == 1


def test_commit_failure_on_decide_writes_nothing(outage_client: TestClient, caseworker_headers: dict[str, str]) -> None:
    engine = _engine(outage_client)
    case, _ = create_assessed(outage_client, caseworker_headers)
    cid = case["id"]
    with _FailCommits(engine):
        r = outage_client.post(f"/v1/cases/{cid}/decision", json=granted(2), headers=caseworker_headers)
    assert_problem(r, 503)
    after = outage_client.get(f"/v1/cases/{cid}", headers=caseworker_headers).json()
    assert after["status"] == "assessed" and after["version"] == 2 and after["decisions"] == []
    assert _count(engine, "SELECT count(*) FROM case_decisions WHERE case_id = :c", c=cid) == 0
    assert _count(engine, "SELECT count(*) FROM audit_log WHERE entity_id = :c AND action = 'case.decide'", c=cid) == 0
    r = outage_client.post(f"/v1/cases/{cid}/decision", json=granted(2), headers=caseworker_headers)
    assert r.status_code == 200, r.text


def _unreachable_url(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite:////proc/loan-engine-no-such-dir/gone.db"
    return make_url(url).set(port=1).render_as_string(hide_password=False)  # nothing listens on port 1


def test_database_gone_readiness_red_and_clean_failures(
    outage_client: TestClient, caseworker_headers: dict[str, str]
) -> None:
    app: Any = outage_client.app
    good = app.state.engine
    assert outage_client.get("/readyz").status_code == 200
    before = _count(good, "SELECT count(*) FROM cases")
    gone = sa.create_engine(
        _unreachable_url(good.url.render_as_string(hide_password=False)), poolclass=sa.pool.NullPool
    )
    app.state.engine = gone
    try:
        r = outage_client.get("/readyz")
        assert_problem(r, 503)
        assert outage_client.get("/healthz").status_code == 200  # the process itself is alive
        assert_problem(outage_client.post("/v1/cases", json=case_body(), headers=caseworker_headers), 503)
        assert_problem(outage_client.get("/v1/cases", headers=caseworker_headers), 503)
    finally:
        app.state.engine = good
        gone.dispose()
    assert outage_client.get("/readyz").status_code == 200
    assert _count(good, "SELECT count(*) FROM cases") == before


def test_postgres_connections_killed_mid_flight(outage_client: TestClient, caseworker_headers: dict[str, str]) -> None:
    """PostgreSQL only: the server refuses connections and kills the pool's sessions; the service answers 503
    while that lasts and recovers by itself (pool pre-ping) afterwards."""
    engine = _engine(outage_client)
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    name = engine.url.database
    admin = sa.create_engine(
        engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    before = _count(engine, "SELECT count(*) FROM cases")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": name},
            )
        assert_problem(outage_client.get("/readyz"), 503)
        assert_problem(outage_client.post("/v1/cases", json=case_body(), headers=caseworker_headers), 503)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.dispose()
    assert outage_client.get("/readyz").status_code == 200
    assert _count(engine, "SELECT count(*) FROM cases") == before
    assert outage_client.post("/v1/cases", json=case_body(), headers=caseworker_headers).status_code == 201
