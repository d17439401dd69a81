"""Portfolios: import (JSON body or CSV/JSON upload), synthetic generation, list and detail.

Finance and admin roles, own kommune only. Answers carry aggregates, never the loans (no personal details).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from api.deps import FinanceDep, SessionDep
from api.portfolio import portfolios_service as service
from api.portfolio.portfolios_schemas import (
    PortfolioImport,
    PortfolioList,
    PortfolioOut,
    PortfolioSummary,
    SyntheticPortfolioCreate,
)
from api.problems import problem_responses
from models.portfolios import Portfolio as PortfolioRow
from models.portfolios import list_for_kommune

router = APIRouter(prefix="/v1/portfolios", tags=["portfolios"])

MAX_UPLOAD_READ = 50_000_000


def _out(row: PortfolioRow, with_summary: bool = False) -> PortfolioOut:
    return PortfolioOut(
        id=row.id,
        name=row.name,
        kommune_number=row.kommune_number,
        created_at=row.created_at,
        loan_count=row.loan_count,
        total_balance=round(row.total_balance),
        summary=PortfolioSummary(**service.summary(row)) if with_summary else None,
    )


def _created(response: Response, row: PortfolioRow) -> PortfolioOut:
    response.headers["Location"] = f"/v1/portfolios/{row.id}"
    return _out(row, with_summary=True)


@router.post("", status_code=201, response_model=PortfolioOut, responses=problem_responses(401, 403, 409, 413, 422))
def import_portfolio(
    body: PortfolioImport, session: SessionDep, principal: FinanceDep, response: Response
) -> PortfolioOut:
    """Store a portfolio given as JSON loans (validated row by row: the first bad field is named)."""
    row = service.import_records(session, body.name, principal.kommune_number, principal.key_id, body.loans, body.as_of)
    return _created(response, row)


@router.post(
    "/upload", status_code=201, response_model=PortfolioOut, responses=problem_responses(401, 403, 409, 413, 422)
)
def upload_portfolio(
    session: SessionDep,
    principal: FinanceDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV (',' or ';', decimal comma allowed) or JSON file")],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    as_of: Annotated[date | None, Form()] = None,
) -> PortfolioOut:
    data = file.file.read(MAX_UPLOAD_READ + 1)
    row = service.import_file(
        session, name, principal.kommune_number, principal.key_id, file.filename or "", data, as_of
    )
    return _created(response, row)


@router.post(
    "/synthetic", status_code=201, response_model=PortfolioOut, responses=problem_responses(401, 403, 409, 422)
)
def create_synthetic(
    body: SyntheticPortfolioCreate, session: SessionDep, principal: FinanceDep, response: Response
) -> PortfolioOut:
    """A synthetic portfolio for demos and tests (deterministic for a seed)."""
    row = service.create_synthetic(
        session, body.name, principal.kommune_number, principal.key_id, body.loans, body.seed
    )
    return _created(response, row)


@router.get("", response_model=PortfolioList, responses=problem_responses(401, 403))
def list_portfolios(session: SessionDep, principal: FinanceDep) -> PortfolioList:
    return PortfolioList(items=[_out(r) for r in list_for_kommune(session, principal.kommune_number)])


@router.get("/{portfolio_id}", response_model=PortfolioOut, responses=problem_responses(401, 403, 404))
def get_portfolio(portfolio_id: str, session: SessionDep, principal: FinanceDep) -> PortfolioOut:
    return _out(service.get_row(session, portfolio_id, principal.kommune_number), with_summary=True)
