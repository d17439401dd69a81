"""Service settings (pydantic-settings). Insecure defaults are refused outside development and test."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'loan_engine.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOAN_ENGINE_", env_file=".env", extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        DEFAULT_SQLITE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "LOAN_ENGINE_DATABASE_URL"),
        description="SQLAlchemy URL. SQLite file by default; PostgreSQL as postgresql://user@host/db.",
    )
    demo_data: bool = Field(True, description="Seed demo API keys, a demo portfolio and parameter sets.")
    auto_migrate: bool = Field(True, description="Run Alembic migrations to head when the service starts.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest JSON request body accepted, bytes.")
    max_upload_bytes: int = Field(
        200 * 1_048_576, ge=1024, description="Largest file upload accepted (tenant registers, portfolios), bytes."
    )
    job_workers: int = Field(1, ge=1, le=8, description="Background job threads (stress tests, screenings).")
    # Durable jobs (the queue in the database; see docs/production.md).
    run_jobs: bool = Field(
        True, description="Run queued jobs in this API process; false for API-only replicas (use `loan-engine worker`)."
    )
    job_lease_seconds: float = Field(
        30.0, ge=0.5, le=3600, description="A claimed job's lease, renewed by heartbeat; retried after it expires."
    )
    job_max_attempts: int = Field(3, ge=1, le=20, description="Claims of one job before it is failed.")
    job_poll_seconds: float = Field(1.0, gt=0, le=60, description="How often an idle runner looks for queued jobs.")
    dask_scheduler: str | None = Field(
        None, description="Dask scheduler address (tcp://host:port) for stress tests; empty: run them in-process."
    )
    screening_retention_days: float | None = Field(
        None, gt=0, description="Remove finished screenings' personal data after this many days; empty: keep."
    )
    retention_check_seconds: float = Field(3600.0, gt=0, description="How often runners apply the retention.")

    # --- Hardening (issue 10): docs exposure, TLS, the migration role -------------------------------------------
    docs_enabled: bool = Field(
        True,
        description="Serve /docs and /openapi.json. Default: on, except in production (set it true to enable there).",
    )
    behind_tls: bool = Field(
        False, description="The service is reached only over HTTPS (a TLS proxy): answers carry HSTS."
    )
    migration_database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the schema owner role that runs the migrations. When set, the service's "
        "own DATABASE_URL (a role with INSERT/SELECT only on audit_log) never migrates. See docs/database-roles.md.",
    )

    # --- operations: hot-path caches, Numba cache, logs, metrics (docs/operations.md) ---
    api_key_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long an accepted API key is remembered in a process (0: ask the database every request). "
        "A key revoked through another process is refused here within this many seconds; in this process at once.",
    )
    parameter_set_cache_seconds: float = Field(
        2.0,
        ge=0,
        le=300,
        description="How often a process re-checks (one cheap query) whether parameter sets were loaded elsewhere "
        "(0: every request). A set loaded through another process is used here within this many seconds.",
    )
    numba_cache_dir: str | None = Field(
        None,
        description="Where compiled Numba kernels are cached (default var/numba-cache; empty: Numba's own "
        "default). Read from the environment by loan_engine._numba_cache before Numba is imported.",
    )
    log_format: Literal["json", "text"] = Field("json", description="json: one JSON object per line; text: plain.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_enabled: bool = Field(
        True,
        description="Serve Prometheus metrics at /metrics (no personal data: route templates, statuses, counts). "
        "Unauthenticated by design so a scraper needs no API key: restrict /metrics at the proxy or network if "
        "the figures should not be public, or turn it off.",
    )

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.environment == "production" and "docs_enabled" not in self.model_fields_set:
            self.docs_enabled = False
        if self.environment == "production":
            problems = []
            if self.demo_data:
                problems.append("LOAN_ENGINE_DEMO_DATA must be false in production (demo API keys are public)")
            if self.database_url == DEFAULT_SQLITE_URL:
                problems.append("DATABASE_URL must be set explicitly in production")
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @field_validator("dask_scheduler", "screening_retention_days", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def sqlalchemy_url(self) -> str:
        return normalise_database_url(self.database_url)

    @property
    def migration_url(self) -> str:
        """Where migrations run: the migration (owner) URL when set, else the service's own URL."""
        return normalise_database_url(self.migration_database_url or self.database_url)


def normalise_database_url(url: str) -> str:
    """Use the psycopg (v3) driver for plain PostgreSQL URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
