"""Shared fixtures.

The database is built by running the Alembic migrations (through the app's start-up), on a fresh SQLite file
and, when ``TEST_DATABASE_URL`` is set, on a fresh PostgreSQL database created for this test session (and dropped
afterwards). Every test that uses ``client``/``engine`` runs once per database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from api.main import create_app
from api.seed import DEMO_KEYS, DEMO_KOMMUNE
from api.settings import Settings, normalise_database_url
from models import api_keys, db
from models.api_keys import Role

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def _create_pg_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """Create a uniquely named database next to ``base_url``; return its URL and a function that drops it."""
    url = make_url(normalise_database_url(base_url))
    name = f"loan_engine_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    new_url = url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        db.dispose_engine(new_url)
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()

    return new_url, drop


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Factory: an empty database of the given backend (``sqlite`` or ``postgresql``), cleaned up at the end."""
    cleanups: list[Callable[[], None]] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path: Path = tmp_path_factory.mktemp("db") / "loan_engine.db"
            return f"sqlite:///{path}"
        if not TEST_DATABASE_URL:
            pytest.skip("TEST_DATABASE_URL is not set")
        url, drop = _create_pg_database(TEST_DATABASE_URL)
        cleanups.append(drop)
        return url

    yield make
    for cleanup in cleanups:
        cleanup()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url(request.param)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(environment="test", database_url=database_url, demo_data=True, auto_migrate=True)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """The app with its lifespan (migrations, seed, job runner) against the session's database."""
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture(scope="session")
def caseworker_headers() -> dict[str, str]:
    return {"X-API-Key": DEMO_KEYS[Role.caseworker]}


@pytest.fixture(scope="session")
def finance_headers() -> dict[str, str]:
    return {"X-API-Key": DEMO_KEYS[Role.finance]}


@pytest.fixture(scope="session")
def admin_headers() -> dict[str, str]:
    return {"X-API-Key": DEMO_KEYS[Role.admin]}


@pytest.fixture(scope="session")
def demo_kommune() -> str:
    return DEMO_KOMMUNE


@pytest.fixture
def make_key(engine: Engine) -> Callable[..., dict[str, str]]:
    """Factory: headers for a new key with ``role`` in ``kommune`` (default: another kommune than the demo)."""

    def make(role: Role | str, kommune: str = "3030") -> dict[str, str]:
        with db.session_scope(engine) as session:
            _, secret = api_keys.create_key(session, role=Role(role), kommune_number=kommune, label="test")
        return {"X-API-Key": secret}

    return make
