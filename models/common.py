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
