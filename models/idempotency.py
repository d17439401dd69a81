"""Stored first responses for requests sent with an ``Idempotency-Key`` header."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import json_column, timestamp_column, utcnow


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner_key_id", "idempotency_key", name="uq_idempotency_owner_key"),)

    id: int | None = Field(default=None, primary_key=True)
    owner_key_id: str = Field(max_length=32)
    idempotency_key: str = Field(max_length=255)
    method: str = Field(max_length=8)
    path: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    response_status: int
    response_body: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
