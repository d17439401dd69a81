"""Settings refuse insecure defaults in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import DEFAULT_SQLITE_URL, Settings, normalise_database_url


def test_production_refuses_demo_data() -> None:
    with pytest.raises(ValidationError, match="DEMO_DATA"):
        Settings(environment="production", database_url="postgresql://db/x", demo_data=True)


def test_production_refuses_default_database() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        Settings(environment="production", database_url=DEFAULT_SQLITE_URL, demo_data=False)


def test_production_accepts_explicit_settings() -> None:
    s = Settings(environment="production", database_url="postgresql://u@h/db", demo_data=False)
    assert s.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_development_defaults_are_embedded_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "LOAN_ENGINE_DATABASE_URL", "LOAN_ENGINE_ENVIRONMENT", "LOAN_ENGINE_DEMO_DATA"):
        monkeypatch.delenv(name, raising=False)
    s = Settings(_env_file=None)
    assert s.environment == "development"
    assert s.database_url == DEFAULT_SQLITE_URL
    assert s.sqlalchemy_url.startswith("sqlite:///") and s.sqlalchemy_url.endswith("var/loan_engine.db")
    assert s.demo_data is True
    assert normalise_database_url("postgres://a/b") == "postgresql+psycopg://a/b"
