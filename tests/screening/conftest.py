"""Fixtures for the screening tests: parameters, the shipped sample register and price table, small registers."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from loan_engine.parameters import UnderwritingParameters, default_underwriting_parameters
from loan_engine.screening.engine import ScreeningOptions
from loan_engine.screening.prices import PriceTable, prices_from_records
from loan_engine.screening.synthetic import sample_prices

SCREENING_DATE = date(2026, 1, 1)

HEADER = (
    "household_id;members;income_wages;income_pension;income_benefits;income_child_benefit;bostotte;rent;"
    "other_debt_payments;equity;contract_end;area;dwelling;permanently_low_income"
)
GOOD_ROWS = [
    "A1;F34 M36 F8 M3;38 000,50;0;0;3532;0;13 200;1 500;50 000;31.03.2026;Nordby;KB-1;nei",
    "A2;F29;24500;0;0;0;2 100,25;9 800;0;0;2026-06-30;Rud;KB-2;nei",
    "A3;M61;0;21 300;0;0;2900;8 700;0;0;;Fjerdingby;KB-3;ja",
]


@pytest.fixture(scope="session")
def params() -> UnderwritingParameters:
    return default_underwriting_parameters()


@pytest.fixture(scope="session")
def options() -> ScreeningOptions:
    return ScreeningOptions(screening_date=SCREENING_DATE)


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return prices_from_records(sample_prices())


@pytest.fixture(scope="session")
def sample_register_path() -> Path:
    return Path(str(resources.files("loan_engine.screening.samples") / "tenants.csv"))


@pytest.fixture(scope="session")
def sample_prices_path() -> Path:
    return Path(str(resources.files("loan_engine.screening.samples") / "prices.csv"))


def register_text(rows: list[str] | None = None, header: str = HEADER) -> str:
    return "\r\n".join([header, *(GOOD_ROWS if rows is None else rows)]) + "\r\n"
