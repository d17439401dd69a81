"""The whole budget through the API and the CLI: gross income, debts with terms, the two new calculators, and
bad input answered as problem+json naming the field and the rule."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from tests.underwriting.test_api import assert_problem

runner = CliRunner()
SET2 = {"id": "no-2026-2", "version": 1}


def body(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "household": {"members": [{"age": 38, "sex": "female"}, {"age": 7, "sex": "male"}]},
        "income": {
            "sources": [{"kind": "salary", "gross_annual": 520_000, "description": "fast stilling"}],
            "benefits": {"barnetrygd": True, "utvidet_barnetrygd": True},
        },
        "housing_costs_monthly": {"felleskostnader": 3_500, "electricity": 900, "insurance": 250},
        "existing_debts": [
            {"balance": 120_000, "kind": "car", "annual_rate": 9.5, "remaining_years": 4},
            {"balance": 0, "kind": "credit_card", "credit_limit": 15_000},
        ],
        "parameter_set": SET2,
        "as_of": "2026-12-01",
    }
    doc.update(overrides)
    return doc


def test_affordability_with_gross_income_and_stressed_debts(
    client: TestClient, caseworker_headers: dict[str, str]
) -> None:
    r = client.post("/v1/affordability", json=body(), headers=caseworker_headers)
    assert r.status_code == 200, r.text
    out = r.json()
    tax = 520_000 * 0.076 + 1_567.4 + (520_000 - 318_300) * 0.04 + 0.22 * (520_000 - 95_700 - 114_540)
    b = out["budget"]
    assert b["taxes"][0]["tax"] == pytest.approx(tax, abs=0.01)
    assert out["counted_income_monthly"] == pytest.approx((520_000 - tax) / 12 + 1_968 + 2_516, abs=0.01)
    car = -npf.pmt((0.095 + 0.065 - 0.0489) / 12, 48, 120_000)
    assert [d["counted_payment"] for d in b["debts"]] == pytest.approx([car, 450], abs=0.01)
    assert b["debts"][0]["test_rate"] == pytest.approx(9.5 + 6.5 - 4.89)
    assert out["existing_debt_payments_monthly"] == pytest.approx(car + 450, abs=0.01)
    assert b["termingebyr_monthly"] == 30
    codes = [s["code"] for s in out["explanation"]]
    assert codes[:3] == ["income_tax", "benefits", "existing_debts_stressed"]


def test_plain_request_on_new_set_adds_only_termingebyr(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    from tests.underwriting.test_api import affordability_body

    old = client.post("/v1/affordability", json=affordability_body(), headers=caseworker_headers).json()
    new = client.post(
        "/v1/affordability", json=affordability_body(parameter_set=SET2), headers=caseworker_headers
    ).json()
    assert new["disposable_monthly"] == pytest.approx(old["disposable_monthly"] - 30)
    assert new["parameter_set"] == SET2 and old["parameter_set"]["id"] == "no-2026-1"


def test_in_force_set_is_no_2026_2(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    doc = body()
    doc.pop("parameter_set")
    out = client.post("/v1/affordability", json=doc, headers=caseworker_headers).json()
    assert out["parameter_set"] == SET2


def test_debt_service_endpoint(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post("/v1/debt-service", json=body(loan_amount=1_800_000), headers=caseworker_headers)
    assert r.status_code == 200, r.text
    out = r.json()
    pay = -npf.pmt(0.065 / 12, 360, 1_800_000)
    assert out["monthly_payment_at_stress"] == pytest.approx(pay, abs=0.01)
    assert out["surplus_monthly"] == pytest.approx(out["available_monthly"] - pay, abs=0.02)
    assert out["serviceable"] is (out["surplus_monthly"] >= 0)
    assert (out["max_loan"] >= 1_800_000) is out["serviceable"]
    assert out["explanation"][-1]["code"] == "debt_service"


def test_repayment_period_endpoint(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post(
        "/v1/repayment-period",
        json={"principal": 1_000_000, "annual_rate": 5, "instalment": 6_000},
        headers=caseworker_headers,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["months"] == int(-(-npf.nper(0.05 / 12, -6_000, 1_000_000) // 1))
    bad = client.post(
        "/v1/repayment-period",
        json={"principal": 1_000_000, "annual_rate": 5, "instalment": 4_000},
        headers=caseworker_headers,
    )
    assert_problem(bad, 422, "instalment", "instalment-covers-interest")


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        (
            {"income": {"sources": [{"kind": "salary", "gross_annual": 500_000, "net_monthly": 30_000}]}},
            "income.sources.0.gross_annual",
            "gross-or-net-not-both",
        ),
        (
            {"existing_debts": [{"balance": 100_000, "annual_rate": -1, "remaining_years": 5}]},
            "existing_debts.0.annual_rate",
            "greater-than-equal",
        ),
        (
            {"existing_debts": [{"balance": 1_000_000, "annual_rate": 5, "monthly_payment": 3_000}]},
            "existing_debts.0.monthly_payment",
            "payment-covers-interest",
        ),
        (
            {
                "income": {
                    "sources": [
                        {
                            "kind": "aap",
                            "gross_annual": 250_000,
                            "ends_on": (date(2026, 12, 1) - timedelta(days=1)).isoformat(),
                        }
                    ]
                }
            },
            "income.sources.0.ends_on",
            "end-date-not-past",
        ),
        (
            {"purpose": "refinancing", "refinancing": {"dwelling_value": 2_500_000}, "existing_debts": []},
            "existing_debts",
            "refinancing-needs-existing-loan",
        ),
    ],
)
def test_bad_budget_input_is_a_problem(
    client: TestClient, caseworker_headers: dict[str, str], change: dict[str, Any], field: str, rule: str
) -> None:
    assert_problem(client.post("/v1/affordability", json=body(**change), headers=caseworker_headers), 422, field, rule)


def test_financing_plan_tries_interest_only_with_a_later_income(
    client: TestClient, caseworker_headers: dict[str, str]
) -> None:
    plan = {
        "household": {"members": [{"age": 30, "sex": "female"}]},
        "income": {
            "sources": [
                {"kind": "aap", "gross_annual": 330_000},
                {"kind": "salary", "gross_annual": 200_000, "starts_on": "2029-08-01", "description": "fast jobb"},
            ]
        },
        "housing_costs_monthly": 4_000,
        "purchase": {"price": 2_800_000, "costs": 70_000},
        "parameter_set": SET2,
        "as_of": "2026-12-01",
    }
    r = client.post("/v1/financing-plans", json=plan, headers=caseworker_headers)
    assert r.status_code == 200, r.text
    steps = {s["name"]: s for s in r.json()["steps"]}
    assert list(steps)[:4] == ["reference", "fixed_rate", "longer_term", "interest_only"]
    io = steps["interest_only"]
    assert io["tried"] and io["max_loan"] > steps["reference"]["max_loan"]
    plan["income"]["sources"].pop()  # type: ignore[index]
    r2 = client.post("/v1/financing-plans", json=plan, headers=caseworker_headers).json()
    io2 = next(s for s in r2["steps"] if s["name"] == "interest_only")
    assert not io2["tried"] and "do not help" in io2["en"]


def test_cli_calculators(tmp_path: Path) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(body(loan_amount=1_500_000)), encoding="utf-8")
    out = runner.invoke(app, ["debt-service", str(path), "--json"])
    assert out.exit_code == 0, out.output
    assert "surplus_monthly" in json.loads(out.stdout)
    table = runner.invoke(app, ["debt-service", str(path), "--lang", "en"], env={"COLUMNS": "160"})
    assert table.exit_code == 0 and ("Surplus" in table.stdout or "Deficit" in table.stdout)
    rp = runner.invoke(
        app, ["repayment-period", "--principal", "1000000", "--rate", "5", "--instalment", "6000", "--json"]
    )
    assert rp.exit_code == 0, rp.output
    assert json.loads(rp.stdout)["months"] == 286
    bad = runner.invoke(app, ["repayment-period", "--principal", "1000000", "--rate", "5", "--instalment", "4000"])
    assert bad.exit_code == 2 and "instalment" in bad.output


def test_plain_request_on_the_first_set_answers_as_before(
    client: TestClient, caseworker_headers: dict[str, str]
) -> None:
    from tests.underwriting.test_api import affordability_body

    out = client.post("/v1/affordability", json=affordability_body(), headers=caseworker_headers).json()
    assert out["budget"] is None  # stored results from before issue 13 recompute without differences
    assert all(s["code"] not in ("termingebyr", "income_tax") for s in out["explanation"])


def test_cli_affordability_with_gross_income_shows_tax_and_debts(tmp_path: Path) -> None:
    path = tmp_path / "req.json"
    path.write_text(json.dumps(body()), encoding="utf-8")
    out = runner.invoke(app, ["affordability", str(path), "--lang", "en"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Skatt person 1" in out.stdout and "Gjeld 1" in out.stdout and "no-2026-2" in out.stdout


def test_net_total_with_benefits_by_rule(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    doc = body(income={"net_monthly": 30_000, "benefits": {"barnetrygd": True}})
    out = client.post("/v1/affordability", json=doc, headers=caseworker_headers).json()
    assert out["counted_income_monthly"] == pytest.approx(30_000 + 1_968)
    both = body(income={"net_monthly": 30_000, "sources": [{"kind": "salary", "gross_annual": 400_000}]})
    assert_problem(
        client.post("/v1/affordability", json=both, headers=caseworker_headers),
        422,
        "income.net_monthly",
        "gross-or-net",
    )
