"""Append-only audit log: who did what, when, with the record before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel

from loan_engine.cases import national_id as nid
from models.common import json_column, timestamp_column, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    actor_key_id: str | None = Field(default=None, max_length=32, index=True)
    actor_role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=64, index=True)
    entity_id: str = Field(max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column())


def record(
    session: Session,
    *,
    actor_key_id: str | None,
    actor_role: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (it commits or rolls back with the change itself).

    National identity numbers typed into free text (a reference, a reason, a label) are masked first: the
    audit log is append-only, so what it stores can never be corrected afterwards."""
    entry = AuditEntry(
        actor_key_id=actor_key_id,
        actor_role=actor_role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=nid.mask_in_data(before),
        after=nid.mask_in_data(after),
    )
    session.add(entry)
    return entry
