"""The migrations: one head; upgrade → downgrade → upgrade on a fresh SQLite and (with TEST_DATABASE_URL) a fresh
PostgreSQL database; the models' tables and columns match the migrated schema; the audit log is append-only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import models.api_keys
import models.audit
import models.cases
import models.idempotency
import models.jobs
import models.parameter_sets
import models.portfolios  # noqa: F401  (register every table on the metadata)
from models import db
from tests.conftest import BACKENDS

CASE_TABLES = {"cases", "case_calculations", "case_decisions"}


def test_single_head() -> None:
    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert [r.revision for r in reversed(revisions)][:2] == ["0001_foundation", "0002_cases"]


def _schema(engine: sa.Engine) -> dict[str, dict[str, bool]]:
    inspector = sa.inspect(engine)
    return {
        table: {c["name"]: bool(c["nullable"]) for c in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> str:
    return fresh_database_url(request.param)


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    db.upgrade(empty_url)
    engine = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    try:
        first = _schema(engine)
        assert set(first) >= CASE_TABLES
        assert db.current_revision(engine) == db.head_revision(empty_url)

        db.downgrade(empty_url, "0001_foundation")
        assert not CASE_TABLES & set(_schema(engine))
        db.downgrade(empty_url, "base")
        assert _schema(engine) == {}
        assert db.current_revision(engine) is None

        db.upgrade(empty_url)
        assert _schema(engine) == first
        assert db.current_revision(engine) == db.head_revision(empty_url)
    finally:
        engine.dispose()


def test_models_match_the_migrated_schema(empty_url: str) -> None:
    db.upgrade(empty_url)
    engine = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    try:
        migrated = _schema(engine)
        for table in SQLModel.metadata.sorted_tables:
            assert table.name in migrated, f"model table {table.name} is not created by the migrations"
            model_columns = {c.name: bool(c.nullable) for c in table.columns}
            assert model_columns == migrated[table.name], table.name
        assert set(migrated) == {t.name for t in SQLModel.metadata.sorted_tables}
        # Alembic's own comparison (types, indexes, constraints, foreign keys) finds nothing, for every table.
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(ctx, SQLModel.metadata)
        assert _flatten(diffs) == []
    finally:
        engine.dispose()


def _flatten(diffs: list[object]) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for d in diffs:
        if isinstance(d, list):
            out.extend(_flatten(d))
        else:
            assert isinstance(d, tuple)
            out.append(d)
    return out


def test_audit_log_is_append_only(empty_url: str) -> None:
    db.upgrade(empty_url)
    engine = sa.create_engine(empty_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, action, entity_type, entity_id) "
                    "VALUES (CURRENT_TIMESTAMP, 'test.append', 'test', 'x1')"
                )
            )
        for statement in (
            "UPDATE audit_log SET action = 'tampered' WHERE entity_id = 'x1'",
            "DELETE FROM audit_log WHERE entity_id = 'x1'",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text(statement))
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT action FROM audit_log WHERE entity_id = 'x1'")).all()
        assert [r[0] for r in rows] == ["test.append"]
    finally:
        engine.dispose()
