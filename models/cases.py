"""Startlån cases (applications), their stored calculations and decisions (vedtak) — tables and queries.

A case's ``version`` is its optimistic lock: every change is an ``UPDATE … WHERE id = :id AND version = :v`` that
bumps it, so of two caseworkers changing the same case at once exactly one succeeds and the other is told that
the case changed under them. Calculations and decisions are never changed once written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column as SAColumn
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, and_, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.common import json_column, new_id, timestamp_column, utcnow


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_kommune_created", "kommune_number", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    kommune_number: str = Field(max_length=4)
    status: str = Field(max_length=16, index=True)
    version: int = Field(default=1)
    reference: str | None = Field(default=None, max_length=64, description="The kommune's own case number.")
    application: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    # Personal data: validated (mod 11), never written to logs or the audit trail, never shown to finance.
    national_id: str | None = Field(default=None, sa_column=SAColumn(String(11), nullable=True), repr=False)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    appeal_received_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    appeal_reason: str | None = Field(default=None, sa_column=SAColumn(Text, nullable=True))
    paid_out_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    paid_out_amount: float | None = None
    expired_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class CaseCalculation(SQLModel, table=True):
    __tablename__ = "case_calculations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(sa_column=SAColumn(String(32), ForeignKey("cases.id"), nullable=False, index=True))
    kind: str = Field(max_length=32)
    request: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    result: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    parameter_set_id: str = Field(max_length=64)
    parameter_set_version: int
    serviceable: bool | None = Field(default=None, description="The calculation's advice: can the loan be served?")
    max_loan: float | None = Field(default=None, description="The largest startlån the calculation allows, NOK.")
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class Decision(SQLModel, table=True):
    __tablename__ = "case_decisions"
    __table_args__ = (UniqueConstraint("case_id", "sequence", name="uq_case_decisions_case_sequence"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(sa_column=SAColumn(String(32), ForeignKey("cases.id"), nullable=False, index=True))
    sequence: int = Field(description="1 for the first decision, 2 for the decision on an appeal, …")
    outcome: str = Field(max_length=16)
    loan_amount: float = 0.0
    grant_amount: float = 0.0
    terms: dict[str, Any] = Field(sa_column=json_column(nullable=False))
    conditions: list[str] = Field(sa_column=json_column(nullable=False))
    reason: str = Field(sa_column=SAColumn(Text, nullable=False))
    against_advice: bool = False
    fraradning: str | None = Field(default=None, sa_column=SAColumn(Text, nullable=True))
    calculation_id: str | None = Field(
        default=None, sa_column=SAColumn(String(32), ForeignKey("case_calculations.id"), nullable=True)
    )
    valid_until: date | None = Field(default=None, sa_column=SAColumn(Date, nullable=True))
    appeal_deadline: date = Field(sa_column=SAColumn(Date, nullable=False))
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


# ---------------------------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------------------------


def get(session: Session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def update_versioned(session: Session, case_id: str, expected_version: int, **values: Any) -> bool:
    """Apply ``values`` and bump the version if the case is still at ``expected_version``; False if it is not.

    The conditional UPDATE is the lock: on PostgreSQL the second writer waits for the first and then finds the
    version changed; on SQLite the write lock serialises them the same way.
    """
    stmt = (
        update(Case)
        .where(and_(col(Case.id) == case_id, col(Case.version) == expected_version))
        .values(version=expected_version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def list_page(
    session: Session,
    *,
    kommune_number: str | None,
    status: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Case]:
    """Newest first, keyset-paginated over (created_at, id); ``limit + 1`` rows so the caller sees if more follow."""
    stmt = select(Case)
    if kommune_number is not None:
        stmt = stmt.where(Case.kommune_number == kommune_number)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if created_from is not None:
        stmt = stmt.where(col(Case.created_at) >= created_from)
    if created_to is not None:
        stmt = stmt.where(col(Case.created_at) < created_to)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(col(Case.created_at) < at, and_(col(Case.created_at) == at, col(Case.id) < last_id)))
    stmt = stmt.order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(limit + 1)
    return list(session.exec(stmt).all())


def calculations(session: Session, case_id: str) -> list[CaseCalculation]:
    stmt = (
        select(CaseCalculation)
        .where(CaseCalculation.case_id == case_id)
        .order_by(col(CaseCalculation.created_at), col(CaseCalculation.id))
    )
    return list(session.exec(stmt).all())


def get_calculation(session: Session, case_id: str, calculation_id: str) -> CaseCalculation | None:
    row = session.get(CaseCalculation, calculation_id)
    return row if row is not None and row.case_id == case_id else None


def decisions(session: Session, case_id: str) -> list[Decision]:
    stmt = select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.sequence))
    return list(session.exec(stmt).all())


def latest_decision(session: Session, case_id: str) -> Decision | None:
    stmt = select(Decision).where(Decision.case_id == case_id).order_by(col(Decision.sequence).desc())
    return session.exec(stmt).first()


def expirable(session: Session, today: date, kommune_number: str | None = None) -> list[tuple[Case, Decision]]:
    """Decided cases whose latest decision granted a loan with ``valid_until`` before ``today``."""
    stmt = (
        select(Case, Decision)
        .join(Decision, col(Decision.case_id) == col(Case.id))
        .where(Case.status == "decided")
        .order_by(col(Case.id), col(Decision.sequence))
    )
    if kommune_number is not None:
        stmt = stmt.where(Case.kommune_number == kommune_number)
    latest: dict[str, tuple[Case, Decision]] = {}
    for case, decision in session.exec(stmt).all():
        latest[case.id] = (case, decision)  # ordered by sequence: the last one wins
    return [
        (case, d)
        for case, d in latest.values()
        if d.outcome == "granted" and d.valid_until is not None and d.valid_until < today
    ]
