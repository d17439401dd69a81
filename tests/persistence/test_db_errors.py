"""A value the database cannot store is bad input (422 problem), never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.cases.helpers import assert_problem

CSV = "balance;remaining_term_months;net_income_monthly;living_costs_monthly;dwelling_value\n1200000;300;50000;21000;2000000\n"


def test_nul_in_a_path_names_nothing(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    # Refused before any route (and so before the database) sees it: the same 404 on every backend.
    assert_problem(client.get("/v1/parameter-sets/a%00b", headers=caseworker_headers), 404, rule="path-printable-utf8")


def test_unstorable_value_is_422_not_500(client: TestClient, engine: Engine, finance_headers: dict[str, str]) -> None:
    r = client.post(
        "/v1/portfolios/upload",
        files={"file": ("book.csv", CSV.encode(), "text/csv")},
        data={"name": "nul\x00name"},
        headers=finance_headers,
    )
    if engine.dialect.name == "postgresql":
        assert_problem(r, 422, rule="storable-value")
    else:
        assert r.status_code == 201, r.text  # SQLite stores a NUL in text
