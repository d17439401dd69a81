"""Small shared column helpers for the tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def json_column(nullable: bool = True) -> Any:
    return Column(JSON, nullable=nullable)


def timestamp_column(nullable: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable)


def insert_if_absent(session: Any, row: Any, conflict_columns: list[str]) -> bool:
    """``INSERT … ON CONFLICT (conflict_columns) DO NOTHING`` of a model instance (PostgreSQL and SQLite): safe
    when several processes insert the same row at once. Returns whether this call inserted it."""
    table = type(row).__table__
    values = {c.name: getattr(row, c.name) for c in table.columns if getattr(row, c.name, None) is not None}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    stmt = stmt.values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    return bool(session.connection().execute(stmt).rowcount == 1)
