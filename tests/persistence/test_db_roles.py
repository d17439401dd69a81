"""Issue 10 (hardening) item 6: the audit log stays append-only against the application itself.

On PostgreSQL the migrations run as an owner role and the service as a role that may only INSERT and SELECT on
audit_log: it cannot UPDATE, DELETE, TRUNCATE, ALTER it or DISABLE its triggers, and the service still works.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api import db_roles
from api.cli import app as cli_app
from api.main import create_app
from api.settings import Settings, get_settings, normalise_database_url
from models import db
from tests.cases.helpers import assert_problem, case_body, create_assessed, granted
from tests.conftest import TEST_DATABASE_URL, _create_pg_database

pytestmark = pytest.mark.postgres


@dataclass
class Roles:
    owner_url: str
    service_url: str
    service_role: str


def _psycopg_dsn(sqlalchemy_url: str) -> str:
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def roles() -> Iterator[Roles]:
    if not TEST_DATABASE_URL or not TEST_DATABASE_URL.startswith(("postgresql", "postgres")):
        pytest.skip("TEST_DATABASE_URL does not point at PostgreSQL")
    suffix = uuid.uuid4().hex[:8]
    owner, service = f"le_owner_{suffix}", f"le_service_{suffix}"
    admin = sa.create_engine(
        normalise_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {owner} LOGIN")
        conn.exec_driver_sql(f"CREATE ROLE {service} LOGIN")
    url, drop = _create_pg_database(TEST_DATABASE_URL)
    name = make_url(url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" OWNER TO {owner}')  # the public schema goes with it (PG 15)
    owner_url = make_url(url).set(username=owner).render_as_string(hide_password=False)
    service_url = make_url(url).set(username=service).render_as_string(hide_password=False)
    try:
        yield Roles(owner_url=owner_url, service_url=service_url, service_role=service)
    finally:
        db.dispose_engine(owner_url)
        db.dispose_engine(service_url)
        drop()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {service}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()


@pytest.fixture(scope="module")
def service_client(roles: Roles) -> Iterator[TestClient]:
    """Migrate as the owner, grant the service role with the CLI command, then run the app as the service."""
    db.upgrade(normalise_database_url(roles.owner_url))
    env = {"LOAN_ENGINE_DATABASE_URL": roles.service_url, "LOAN_ENGINE_MIGRATION_DATABASE_URL": roles.owner_url}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["db", "grant-service-role", roles.service_role], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "GRANT SELECT, INSERT ON TABLE" in result.output
    settings = Settings(
        environment="test", database_url=roles.service_url, migration_database_url=roles.owner_url, demo_data=True
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_service_works_as_its_role(
    service_client: TestClient, caseworker_headers: dict[str, str], finance_headers: dict[str, str]
) -> None:
    assert service_client.get("/readyz").status_code == 200
    case, calc = create_assessed(service_client, caseworker_headers)
    r = service_client.post(
        f"/v1/cases/{case['id']}/decision",
        json=granted(case["version"], calculation_id=calc["id"]),
        headers=caseworker_headers,
    )
    assert r.status_code == 200, r.text
    trail = service_client.get(f"/v1/cases/{case['id']}/audit", headers=caseworker_headers)
    assert trail.status_code == 200 and len(trail.json()) >= 3
    r = service_client.post(
        "/v1/portfolios/synthetic",
        json={"name": f"roles-{uuid.uuid4().hex[:6]}", "loans": 50, "seed": 1},
        headers=finance_headers,
    )
    assert r.status_code == 201, r.text
    assert_problem(service_client.post("/v1/cases", json={**case_body(), "bogus": 1}, headers=caseworker_headers), 422)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE audit_log ADD COLUMN note text",
        "DROP TABLE audit_log",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "ALTER TABLE audit_log RENAME TO audit_log_old",
        "CREATE TABLE audit_log_copy (id int)",
        "UPDATE alembic_version SET version_num = 'x'",
    ],
)
def test_the_service_role_cannot_change_the_audit_log(service_client: TestClient, roles: Roles, sql: str) -> None:
    with psycopg.connect(_psycopg_dsn(roles.service_url)) as conn:
        before = conn.execute("SELECT count(*), max(id) FROM audit_log").fetchone()
        assert before is not None and before[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
        conn.rollback()
        assert conn.execute("SELECT count(*), max(id) FROM audit_log").fetchone() == before
        # It may still add entries.
        conn.execute(
            "INSERT INTO audit_log (at, action, entity_type, entity_id) VALUES (now(), 'test.insert', 'test', 'x')"
        )
        conn.rollback()


def test_the_service_url_never_migrates(roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded: list[str] = []
    monkeypatch.setattr(db, "upgrade", lambda url, revision="head": upgraded.append(url))
    settings = Settings(environment="test", database_url=roles.service_url, migration_database_url=roles.owner_url)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
    assert upgraded == [normalise_database_url(roles.owner_url)]
    assert settings.migration_url != settings.sqlalchemy_url


def test_grant_refuses_an_owner_or_a_bad_name(service_client: TestClient, roles: Roles) -> None:
    owner_engine = db.get_engine(normalise_database_url(roles.owner_url))
    owner_role = make_url(roles.owner_url).username
    assert owner_role is not None
    with pytest.raises(db_roles.RoleError, match="owns"):
        db_roles.grant_service_role(owner_engine, owner_role)
    with pytest.raises(db_roles.RoleError, match="role-name-format"):
        db_roles.grant_service_role(owner_engine, 'x"; DROP TABLE cases; --')
    with pytest.raises(db_roles.RoleError, match="no role"):
        db_roles.grant_service_role(owner_engine, "le_no_such_role_at_all")


def test_production_warns_when_the_service_owns_the_audit_log(
    service_client: TestClient, roles: Roles, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import Session

    from api import security

    monkeypatch.setattr(security, "active_demo_keys", lambda session: [])  # this database has demo keys
    production = {"environment": "production", "demo_data": False}
    with caplog.at_level(logging.WARNING, logger="loan_engine.api"):
        with Session(db.get_engine(normalise_database_url(roles.owner_url))) as session:
            security.startup_checks(session, Settings(database_url=roles.owner_url, **production))
        assert "owns audit_log" in caplog.text
        caplog.clear()
        with Session(db.get_engine(normalise_database_url(roles.service_url))) as session:
            security.startup_checks(session, Settings(database_url=roles.service_url, **production))
        assert "owns audit_log" not in caplog.text
