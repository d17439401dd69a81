"""Versioned parameter sets (SIFO tables, floors, rates, kommune rules) as stored records.

The document itself is validated by ``loan_engine.parameters`` (the domain owns its shape); this module only
stores and finds documents. Old versions are never overwritten: a new version is a new row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Column as SAColumn
from sqlalchemy import Date, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, or_, select

from models.common import json_column, timestamp_column, utcnow


class StoredParameterSet(SQLModel, table=True):
    __tablename__ = "parameter_sets"
    __table_args__ = (UniqueConstraint("set_id", "version", name="uq_parameter_sets_id_version"),)

    pk: int | None = Field(default=None, primary_key=True)
    set_id: str = Field(max_length=64, index=True)
    version: int
    valid_from: date = Field(sa_column=SAColumn(Date, nullable=False))
    kommune_number: str | None = Field(default=None, max_length=4)
    description: str = Field(default="", sa_column=SAColumn(Text, nullable=False, server_default=""))
    document: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    checksum: str = Field(max_length=64)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    loaded_by: str | None = Field(default=None, max_length=32)


def checksum(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def store(
    session: Session,
    *,
    set_id: str,
    version: int,
    valid_from: date,
    kommune_number: str | None,
    description: str,
    document: dict[str, Any],
    loaded_by: str | None = None,
) -> StoredParameterSet:
    row = StoredParameterSet(
        set_id=set_id,
        version=version,
        valid_from=valid_from,
        kommune_number=kommune_number,
        description=description,
        document=document,
        checksum=checksum(document),
        loaded_by=loaded_by,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, set_id: str, version: int | None = None) -> StoredParameterSet | None:
    """One set by id; the highest version unless ``version`` is given."""
    stmt = select(StoredParameterSet).where(StoredParameterSet.set_id == set_id)
    if version is not None:
        stmt = stmt.where(StoredParameterSet.version == version)
    return session.exec(stmt.order_by(col(StoredParameterSet.version).desc())).first()


def list_all(session: Session) -> list[StoredParameterSet]:
    stmt = select(StoredParameterSet).order_by(
        col(StoredParameterSet.valid_from).desc(), col(StoredParameterSet.version).desc()
    )
    return list(session.exec(stmt).all())


def in_force(session: Session, on: date, kommune_number: str | None = None) -> StoredParameterSet | None:
    """The set in force on ``on``: the latest ``valid_from`` not after it, a kommune's own set before the
    national one, the highest version among equals."""
    stmt = select(StoredParameterSet).where(StoredParameterSet.valid_from <= on)
    if kommune_number is None:
        stmt = stmt.where(col(StoredParameterSet.kommune_number).is_(None))
    else:
        stmt = stmt.where(
            or_(
                col(StoredParameterSet.kommune_number).is_(None),
                StoredParameterSet.kommune_number == kommune_number,
            )
        )
    return pick_in_force(list(session.exec(stmt).all()), on, kommune_number)


class SetIdentity(Protocol):
    """What the selection rules look at (a stored row, or a cached catalogue entry)."""

    @property
    def set_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def valid_from(self) -> date: ...
    @property
    def kommune_number(self) -> str | None: ...


S = TypeVar("S", bound=SetIdentity)


def pick_in_force(rows: Iterable[S], on: date, kommune_number: str | None = None) -> S | None:
    """The rule for the set in force on ``on`` (one place; the query above and the in-process catalogue of
    ``api.caching`` both use it): the latest ``valid_from`` not after it, a kommune's own set before the national
    one, the highest version among equals."""
    candidates = [
        r
        for r in rows
        if r.valid_from <= on
        and (r.kommune_number is None or (kommune_number is not None and r.kommune_number == kommune_number))
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (r.kommune_number is not None, r.valid_from, r.version))


def pick_by_id(rows: Iterable[S], set_id: str, version: int | None = None) -> S | None:
    """The set with this id: the highest version unless ``version`` is given (as :func:`get`)."""
    matching = [r for r in rows if r.set_id == set_id and (version is None or r.version == version)]
    return max(matching, key=lambda r: r.version) if matching else None
