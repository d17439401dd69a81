"""Named loan portfolios (the kommune's startlån book, imported or synthetic) for stress tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from models.common import json_column, new_id, timestamp_column, utcnow


class Portfolio(SQLModel, table=True):
    __tablename__ = "portfolios"
    __table_args__ = (UniqueConstraint("kommune_number", "name", name="uq_portfolios_kommune_name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    kommune_number: str = Field(max_length=4, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    created_by: str | None = Field(default=None, max_length=32)
    loan_count: int = 0
    total_balance: float = 0.0
    loans: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))


def add(session: Session, portfolio: Portfolio) -> Portfolio:
    session.add(portfolio)
    session.flush()
    return portfolio


def get(session: Session, portfolio_id: str) -> Portfolio | None:
    return session.get(Portfolio, portfolio_id)


def get_by_name(session: Session, kommune_number: str, name: str) -> Portfolio | None:
    stmt = select(Portfolio).where(Portfolio.kommune_number == kommune_number, Portfolio.name == name)
    return session.exec(stmt).first()


def list_for_kommune(session: Session, kommune_number: str | None) -> list[Portfolio]:
    stmt = select(Portfolio).order_by(col(Portfolio.created_at).desc())
    if kommune_number is not None:
        stmt = stmt.where(Portfolio.kommune_number == kommune_number)
    return list(session.exec(stmt).all())
