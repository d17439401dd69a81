"""The HTTP interface: happy paths, every class of bad input (problem+json, never a 500), OpenAPI units."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def affordability_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household": {
            "members": [
                {"age": 40, "sex": "male"},
                {"age": 38, "sex": "female"},
                {"age": 5, "sex": "male"},
                {"age": 11, "sex": "female"},
            ],
            "car": "petrol",
        },
        "income": {"net_monthly": 75_000},
        "other_fixed_costs_monthly": 0,
        "housing_costs_monthly": {
            "felleskostnader": 3_000,
            "electricity": 1_500,
            "insurance": 300,
            "municipal_fees": 800,
            "maintenance": 500,
        },
        "existing_debts": [{"balance": 100_000, "monthly_payment": 2_000}],
        "loan": {"rate_type": "floating", "term_years": 30, "repayment": "annuity", "interest_only_years": 0},
        # the hand-worked figures are pinned to the first 2026 set (no-2026-2, in force since 2026-11-01, adds
        # termingebyr and housing defaults)
        "parameter_set": {"id": "no-2026-1", "version": 1},
    }
    body.update(overrides)
    return body


def plan_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "household": {"members": [{"age": 35, "sex": "female"}, {"age": 6, "sex": "male"}], "children_in_sfo": 1},
        "income": {"net_monthly": 38_000},
        "housing_costs_monthly": 5_000,
        "purchase": {"price": 4_000_000, "fellesgjeld": 0, "costs": 100_000},
        "loan": {
            "term_over_30_reasons": [
                "permanently_low_income",
                "dwelling_meets_long_term_needs",
                "rental_market_unsuitable",
                "shorter_term_not_responsible",
            ]
        },
        "adjusted_living_costs_monthly": 13_000,
        "parameter_set": {"id": "no-2026-1", "version": 1},
    }
    body.update(overrides)
    return body


def assert_problem(response: Any, status: int, field: str | None = None, rule: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    if field is not None:
        fields = [e["field"] for e in body["errors"]]
        assert any(f == field or f.startswith(field) for f in fields), (fields, body)
    if rule is not None:
        assert any(rule in e["rule"] for e in body["errors"]), body["errors"]
    return body


def test_affordability_hand_worked(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post("/v1/affordability", json=affordability_body(), headers=caseworker_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    # 75 000 − SIFO 37 776 − housing 6 100 − debt 2 000 = 29 124 at 6.5 % over 30 years
    assert body["disposable_monthly"] == 29_124
    assert body["stress_rate"] == 6.5
    assert body["max_loan"] == math.floor(-npf.pv(0.065 / 12, 360, 29_124))
    assert body["living_costs"]["source"] == "sifo" and body["living_costs"]["amount"] == 37_776
    assert body["living_costs"]["breakdown"]
    assert body["parameter_set"] == {"id": "no-2026-1", "version": 1}
    assert body["explanation"] and all(s["nb"] and s["en"] for s in body["explanation"])
    assert {f["name"] for f in body["fees"]} == {"etableringsgebyr", "tinglysingsgebyr"}
    # The loan's own floating rate: Husbanken's floating rate (4.640 %, July 2024) plus the kommune's 0.25 pp margin;
    # the first payment is the annuity on the maximum loan at that rate.
    assert body["floating_rate"] == 4.89
    assert body["first_monthly_payment"] == pytest.approx(-npf.pmt(0.0489 / 12, 360, body["max_loan"]), abs=0.01)


def test_affordability_for_finance_and_admin_roles(
    client: TestClient, finance_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    for headers in (finance_headers, admin_headers):
        assert client.post("/v1/affordability", json=affordability_body(), headers=headers).status_code == 200


def test_affordability_needs_a_key(client: TestClient) -> None:
    assert_problem(client.post("/v1/affordability", json=affordability_body()), 401)


def test_affordability_override_fixed_cofinancing(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = affordability_body(
        living_costs_monthly=30_000,
        loan={"rate_type": "fixed", "fixation_years": 10, "term_years": 30, "stress_rate": 7.0},
        bank_loan={"amount": 1_000_000, "annual_rate": 5.0},
    )
    r = client.post("/v1/affordability", json=body, headers=caseworker_headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["living_costs"]["source"] == "caseworker"
    assert out["stress_rate"] == 7.0 and out["stress_rate_source"] == "request"
    assert out["fixed_rate"] == pytest.approx(3.948 + 0.25)
    assert out["bank_loan"]["stress_rate"] == 8.0


def test_schedule_matches_numpy_financial(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post(
        "/v1/schedules",
        json={
            "principal": 2_000_000,
            "annual_rate": 5,
            "term_years": 30,
            "repayment": "annuity",
            "interest_only_years": 0,
        },
        headers=caseworker_headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["rows"]) == 360
    assert body["first_payment"] == pytest.approx(-npf.pmt(0.05 / 12, 360, 2_000_000), abs=0.005)
    assert body["totals"]["principal"] == 2_000_000
    assert body["rows"][-1]["balance"] == 0
    fixed = client.post(
        "/v1/schedules",
        json={
            "principal": 1_000_000,
            "annual_rate": 4,
            "term_years": 20,
            "fixed_period_years": 5,
            "rate_after_fixed": 6,
            "repayment": "serial",
            "include_rows": True,
        },
        headers=caseworker_headers,
    ).json()
    assert fixed["rows"][59]["annual_rate"] == 4 and fixed["rows"][60]["annual_rate"] == 6
    assert fixed["totals"]["principal"] == 1_000_000


def test_financing_plan_ladder(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post("/v1/financing-plans", json=plan_body(), headers=caseworker_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["name"] for s in body["steps"]] == ["reference", "fixed_rate", "longer_term", "adjusted_consumption"]
    assert body["solution"] == "grant"
    assert body["grant"]["amount"] > 0 and body["grant"]["form"] == "write_down"
    assert body["parameter_set"]["id"] == "no-2026-1"


def test_parameter_sets(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    listing = client.get("/v1/parameter-sets", headers=caseworker_headers)
    assert listing.status_code == 200
    assert any(s["id"] == "no-2026-1" for s in listing.json())
    detail = client.get("/v1/parameter-sets/no-2026-1", headers=caseworker_headers).json()
    assert detail["values"]["policy_rate"]["status"] == "not-confirmed"
    assert detail["values"]["sosialhjelp_floor"]["value"]["single_adult"] == 7850
    for value in detail["values"].values():
        assert value["source"] and value["unit"] and value["status"]
    assert_problem(client.get("/v1/parameter-sets/nope", headers=caseworker_headers), 404)
    assert_problem(client.get("/v1/parameter-sets/no-2026-1?version=99", headers=caseworker_headers), 404)
    assert_problem(
        client.post(
            "/v1/affordability", json=affordability_body(parameter_set={"id": "nope"}), headers=caseworker_headers
        ),
        404,
    )


# ---------------------------------------------------------------------------------------------- bad input


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    body = affordability_body()
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["income", "net_monthly"], -1, "income.net_monthly"),  # negative
        (["income", "net_monthly"], 1e12, "income.net_monthly"),  # absurd
        (["other_fixed_costs_monthly"], -500, "other_fixed_costs_monthly"),
        (["existing_debts", 0, "balance"], -1, "existing_debts.0.balance"),
        (["household", "members", 0, "age"], 150, "household.members.0.age"),  # absurd age
        (["household", "members", 0, "age"], -1, "household.members.0.age"),
        (["household", "members", 0, "sex"], "unknown", "household.members.0.sex"),  # unknown enum
        (["household", "car"], "diesel", "household.car"),
        (["loan", "rate_type"], "variable", "loan.rate_type"),
        (["loan", "repayment"], "balloon", "loan.repayment"),
        (["loan", "term_years"], 51, "loan.term_years"),  # over 50 years
        (["loan", "interest_only_years"], 9, "loan.interest_only_years"),  # over 8 interest-only years
        (["loan", "stress_rate"], 45, "loan.stress_rate"),
        (["household", "members"], [], "household.members"),
        (["household"], _DELETE, "household"),  # missing fields
        (["income"], _DELETE, "income"),
        (["income"], {}, "income"),
        (["household", "members", 0, "age"], "forty", "household.members.0.age"),
        (["surprise"], 1, "surprise"),  # unknown field
        (["income", "net_monthly"], "NaN", "income.net_monthly"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, caseworker_headers: dict[str, str], path: list[Any], value: Any, field: str
) -> None:
    body = _with(path, value)
    r = client.post("/v1/affordability", json=body, headers=caseworker_headers)
    problem = assert_problem(r, 422, field=field)
    assert all(e["rule"] and e["message"] for e in problem["errors"])


@pytest.mark.parametrize(
    ("loan", "field", "rule"),
    [
        ({"term_years": 50}, "loan.term_years", "term-over-30-needs-section-8-5"),
        ({"term_years": 5, "interest_only_years": 5}, "loan.interest_only_years", "interest-only-shorter-than-term"),
        ({"rate_type": "fixed"}, "loan.fixation_years", "fixation-required"),
        ({"rate_type": "fixed", "fixation_years": 20, "term_years": 10}, "loan.fixation_years", "fixation-within-term"),
    ],
)
def test_domain_rules_are_422_problems(
    client: TestClient, caseworker_headers: dict[str, str], loan: dict[str, Any], field: str, rule: str
) -> None:
    r = client.post("/v1/affordability", json=affordability_body(loan=loan), headers=caseworker_headers)
    problem = assert_problem(r, 422, field=field, rule=rule)
    if rule.startswith("term-over-30"):
        assert "§ 8-5" in problem["detail"] and "permanently low income" in problem["detail"]


def test_household_rules(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = affordability_body(household={"members": [{"age": 10, "sex": "male"}]})
    assert_problem(
        client.post("/v1/affordability", json=body, headers=caseworker_headers),
        422,
        field="household.members",
        rule="at-least-one-adult",
    )
    body = affordability_body(income={"net_monthly": 50_000, "sources": [{"kind": "salary", "net_monthly": 1}]})
    assert_problem(
        client.post("/v1/affordability", json=body, headers=caseworker_headers), 422, rule="income-sources-sum"
    )


def test_non_json_and_wrong_media(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    headers = {**caseworker_headers, "content-type": "application/json"}
    assert_problem(client.post("/v1/affordability", content=b"{not json", headers=headers), 400)
    r = client.post(
        "/v1/affordability", content=b"household=1", headers={**caseworker_headers, "content-type": "text/plain"}
    )
    assert r.status_code in (415, 422) and r.headers["content-type"].startswith(PROBLEM)
    assert_problem(client.post("/v1/affordability", content=b"[]", headers=headers), 422)
    assert_problem(client.post("/v1/affordability", content=b"", headers=headers), 422)


def test_huge_body_is_413(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = affordability_body()
    body["existing_debts"] = [{"balance": 1, "monthly_payment": 1, "description": "x" * 100}] * 20_000
    raw = json.dumps(body).encode()
    assert len(raw) > 1_048_576
    r = client.post(
        "/v1/affordability", content=raw, headers={**caseworker_headers, "content-type": "application/json"}
    )
    assert_problem(r, 413)


def test_too_many_items_is_422(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = affordability_body(existing_debts=[{"balance": 1, "monthly_payment": 1}] * 51)
    assert_problem(client.post("/v1/affordability", json=body, headers=caseworker_headers), 422, field="existing_debts")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"principal": 1_000, "annual_rate": 5, "term_years": 51}, "term_years"),
        ({"principal": 1_000, "annual_rate": 5, "term_years": 30, "interest_only_years": 9}, "interest_only_years"),
        ({"principal": -1, "annual_rate": 5, "term_years": 30}, "principal"),
        ({"principal": 1_000, "annual_rate": -5, "term_years": 30}, "annual_rate"),
        ({"principal": 1_000, "annual_rate": 5, "term_years": 30, "repayment": "bullet"}, "repayment"),
        ({"principal": 1_000, "annual_rate": 5}, "term_years"),
        ({"principal": 1_000, "annual_rate": 5, "term_years": 30, "fixed_period_years": 5}, "body"),
        (
            {"principal": 1_000, "annual_rate": 5, "term_years": 3, "fixed_period_years": 5, "rate_after_fixed": 6},
            "fixed_period_years",
        ),
        ({"principal": 1_000, "annual_rate": 5, "term_years": 2, "interest_only_years": 2}, "loan.interest_only_years"),
        (
            {
                "principal": 1_000,
                "annual_rate": 5,
                "term_years": 30,
                "rate_changes": [{"from_month": 100, "annual_rate": 5}, {"from_month": 50, "annual_rate": 6}],
            },
            "loan.rate_changes.1.from_month",
        ),
    ],
)
def test_schedule_bad_input(
    client: TestClient, caseworker_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    r = client.post("/v1/schedules", json=body, headers=caseworker_headers)
    assert_problem(r, 422, field=None if field == "body" else field)


def test_financing_plan_bad_input(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = plan_body()
    del body["purchase"]
    assert_problem(client.post("/v1/financing-plans", json=body, headers=caseworker_headers), 422, field="purchase")
    body = plan_body(purchase={"price": 1_000_000, "costs": 0}, bank_loan={"amount": 5_000_000, "annual_rate": 5})
    assert_problem(
        client.post("/v1/financing-plans", json=body, headers=caseworker_headers),
        422,
        rule="loans-within-price-and-costs",
    )
    body = plan_body(loan={"rate_type": "fixed"})  # the ladder sets the rate type itself
    assert_problem(
        client.post("/v1/financing-plans", json=body, headers=caseworker_headers), 422, field="loan.rate_type"
    )


def test_openapi_describes_fields_with_units(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/v1/affordability",
        "/v1/schedules",
        "/v1/financing-plans",
        "/v1/parameter-sets",
        "/v1/parameter-sets/{set_id}",
    ):
        assert path in paths
    schemas = spec["components"]["schemas"]
    units = ("NOK", "percent per year", "years", "months")
    for name in (
        "AffordabilityRequestIn",
        "LoanIn",
        "IncomeIn",
        "HousingCostsIn",
        "ExistingDebtIn",
        "ScheduleRequestIn",
        "FinancingPlanRequestIn",
        "PurchaseIn",
        "BankLoanIn",
    ):
        for prop, spec_prop in schemas[name]["properties"].items():
            text = json.dumps(spec_prop)
            assert "description" in spec_prop or "$ref" in text or "allOf" in spec_prop, (name, prop)
            numeric = "$ref" not in spec_prop and ("number" in text or "integer" in text)
            if numeric and any(
                k in prop for k in ("monthly", "amount", "price", "balance", "rate", "years", "principal")
            ):
                assert any(u in text for u in units), (name, prop, text)
