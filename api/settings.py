"""Service settings (pydantic-settings). Insecure defaults are refused outside development and test."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
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
    docs_enabled: bool = True

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
        if self.environment == "production":
            problems = []
            if self.demo_data:
                problems.append("LOAN_ENGINE_DEMO_DATA must be false in production (demo API keys are public)")
            if self.database_url == DEFAULT_SQLITE_URL:
                problems.append("DATABASE_URL must be set explicitly in production")
            if problems:
                raise ValueError("; ".join(problems))
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return normalise_database_url(self.database_url)


def normalise_database_url(url: str) -> str:
    """Use the psycopg (v3) driver for plain PostgreSQL URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
