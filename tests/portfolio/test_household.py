import pytest

from loan_engine.portfolio.engine import prepare, simulate_range_loans
from loan_engine.portfolio.household import household_risk, scenario_set
from loan_engine.portfolio.loans import portfolio_from_records
from loan_engine.portfolio.scenarios import scenario_from_dict

REC = {
    "balance": 2_400_000,
    "remaining_term_months": 300,
    "net_income_monthly": 50_000,
    "living_costs_monthly": 24_000,
    "dwelling_value": 2_500_000,
}


def test_household_risk_from_the_same_kernel_and_cached_set():
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    r = household_risk(REC, spec, n_scenarios=400, years=12, seed=3)
    for k in ("arrears_within_5y", "forced_sale_within_5y", "arrears_within_10y", "forced_sale_within_10y"):
        assert 0.0 <= r[k]["value"] <= 1.0
    assert r["arrears_within_10y"]["value"] >= r["arrears_within_5y"]["value"]
    assert r["forced_sale_within_10y"]["value"] >= r["forced_sale_within_5y"]["value"]
    assert r["arrears_within_10y"]["value"] > 0 and r["expected_loss"]["total"]["value"] > 0
    # The same numbers as a one-loan portfolio through the portfolio path (same paths, same kernel).
    p = portfolio_from_records([REC])
    out, _ = simulate_range_loans(prepare(p, spec.assumptions), spec, 3, 0, 400, 144, record_loans=False)
    assert r["expected_loss"]["total"]["value"] == pytest.approx(out.loss_total.mean(), rel=1e-12)
    # The scenario set is built once.
    assert scenario_set(spec, 3, 400, 144) is scenario_set(spec, 3, 400, 144)
    # A tighter household is riskier.
    tight = household_risk({**REC, "net_income_monthly": 40_000}, spec, 400, 12, 3)
    assert tight["forced_sale_within_10y"]["value"] > r["forced_sale_within_10y"]["value"]


def test_household_risk_api(client, caseworker_headers):
    body = {"loan": REC, "scenarios": 200, "years": 10, "scenario": {"preset": "hikes-2022-2023"}}
    r = client.post("/v1/household-risk", json=body, headers=caseworker_headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert 0 <= doc["forced_sale_within_10y_pct"]["value"] <= 100 and "total" in doc["expected_loss"]
    bad = client.post("/v1/household-risk", json={**body, "loan": {**REC, "balance": -1}}, headers=caseworker_headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "loan.balance"
    big = client.post("/v1/household-risk", json={**body, "scenarios": 10**6}, headers=caseworker_headers)
    assert big.status_code == 422 and big.json()["errors"][0]["rule"] == "max-household-scenarios"
