"""Portfolio service: validate and store imported or synthetic portfolios; load them for stress tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from loan_engine.errors import Conflict, InvalidInput, NotFound
from loan_engine.portfolio import io as pio
from loan_engine.portfolio.loans import Portfolio, portfolio_from_records
from loan_engine.portfolio.synthetic import generate_portfolio
from models import portfolios as repo
from models.portfolios import Portfolio as PortfolioRow


def _store(session: Session, name: str, kommune: str, created_by: str | None, p: Portfolio) -> PortfolioRow:
    if repo.get_by_name(session, kommune, name) is not None:
        raise Conflict(
            f"A portfolio named {name!r} already exists in kommune {kommune}.",
            field="name",
            rule="unique-portfolio-name",
        )
    row = PortfolioRow(
        name=name,
        kommune_number=kommune,
        created_by=created_by,
        loan_count=p.n_loans,
        total_balance=p.total_balance,
        loans=p.to_records(),
    )
    try:
        repo.add(session, row)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"A portfolio named {name!r} already exists.", field="name", rule="unique-portfolio-name"
        ) from None
    session.refresh(row)
    return row


def import_records(
    session: Session,
    name: str,
    kommune: str,
    created_by: str | None,
    records: list[dict[str, Any]],
    as_of: date | None = None,
) -> PortfolioRow:
    p = portfolio_from_records(pio.normalise_records(records, as_of))
    return _store(session, name, kommune, created_by, p)


def import_file(
    session: Session,
    name: str,
    kommune: str,
    created_by: str | None,
    filename: str,
    data: bytes,
    as_of: date | None = None,
) -> PortfolioRow:
    is_json = filename.lower().endswith(".json")
    records = pio.parse_json(data, as_of) if is_json else pio.parse_csv(data, as_of)
    return _store(session, name, kommune, created_by, portfolio_from_records(records))


def create_synthetic(
    session: Session, name: str, kommune: str, created_by: str | None, n_loans: int, seed: int
) -> PortfolioRow:
    return _store(session, name, kommune, created_by, generate_portfolio(n_loans, seed))


def get_row(session: Session, portfolio_id: str, kommune: str) -> PortfolioRow:
    row = repo.get(session, portfolio_id)
    if row is None or row.kommune_number != kommune:
        raise NotFound(f"No portfolio with id {portfolio_id}.", field="portfolio_id", rule="portfolio-exists")
    return row


def to_domain(row: PortfolioRow) -> Portfolio:
    if not row.loans:
        raise InvalidInput("The stored portfolio has no loans.", field="portfolio_id", rule="empty-portfolio")
    return portfolio_from_records(list(row.loans))


def summary(row: PortfolioRow) -> dict[str, Any]:
    s = to_domain(row).summary()
    return {
        "loan_count": s["loan_count"],
        "total_balance": round(s["total_balance"]),
        "fixed_share": round(100 * s["fixed_share"], 3),
        "second_priority_share": round(100 * s["second_priority_share"], 3),
        "in_arrears": s["in_arrears"],
        "deferred": s["deferred"],
        "max_remaining_term_months": s["max_remaining_term_months"],
    }


def get_row_any(session: Session, portfolio_id: str) -> PortfolioRow:
    """For the job handler (the kommune was checked when the job was submitted)."""
    row = repo.get(session, portfolio_id)
    if row is None:
        raise NotFound(f"The portfolio {portfolio_id} no longer exists.", field="portfolio_id", rule="portfolio-exists")
    return row
