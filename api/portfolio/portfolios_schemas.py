"""Request and response documents for stored loan portfolios.

Loans are described by the fields of ``loan_engine.portfolio.loans`` (amounts NOK, ``fixed_rate`` percent per
year). Answers never contain the loans themselves — only aggregates (no personal details).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.strict import StrictNumbers

NAME = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$", description="Unique within the kommune.")


class PortfolioImport(StrictNumbers):
    """A portfolio as JSON: a name and its loans (canonical fields, or dates as in the CSV import)."""

    model_config = ConfigDict(extra="forbid")
    name: str = NAME
    as_of: date | None = Field(None, description="Date that fixation/valuation dates are counted from (today).")
    loans: list[dict[str, Any]] = Field(min_length=1, max_length=200_000)


class SyntheticPortfolioCreate(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    name: str = NAME
    loans: int = Field(1000, ge=1, le=200_000, description="Number of loans (a kommune has 10² – 10⁴).")
    seed: int = Field(0, ge=0, le=2**63 - 1)


class PortfolioSummary(BaseModel):
    loan_count: int
    total_balance: int = Field(description="NOK, whole kroner")
    fixed_share: float = Field(description="Share of loans at a fixed rate, percent")
    second_priority_share: float = Field(description="Share of loans behind a bank loan, percent")
    in_arrears: int
    deferred: int
    max_remaining_term_months: int


class PortfolioOut(BaseModel):
    id: str
    name: str
    kommune_number: str
    created_at: datetime
    loan_count: int
    total_balance: int
    summary: PortfolioSummary | None = None


class PortfolioList(BaseModel):
    items: list[PortfolioOut]
