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


def test_scenario_sets_are_built_one_at_a_time_and_once_per_set(monkeypatch):
    """Concurrent requests: memory is bounded by the cache plus one set being built, and the same set is built once."""
    import threading
    import time
    from collections import OrderedDict

    from loan_engine.portfolio import household
    from loan_engine.portfolio.scenarios import generate_paths as generate

    monkeypatch.setattr(household, "_cache", OrderedDict())
    state = {"now": 0, "most": 0, "builds": 0}
    guard = threading.Lock()

    def counting(*args, **kwargs):
        with guard:
            state["now"] += 1
            state["builds"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)  # long enough for the other threads to arrive while this one builds
        try:
            return generate(*args, **kwargs)
        finally:
            with guard:
                state["now"] -= 1

    monkeypatch.setattr(household, "generate_paths", counting)
    specs = [scenario_from_dict({"preset": p}) for p in ("crisis-1988-1993", "hikes-2022-2023")]
    got: list[object] = []
    threads = [
        threading.Thread(target=lambda s=spec: got.append(scenario_set(s, 1, 50, 24)))
        for spec in specs
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["most"] == 1  # never two sets built at once
    assert state["builds"] == 2  # each set once, though four requests asked for it
    assert len({id(g) for g in got}) == 2


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


def test_household_risk_on_a_case_assessment_when_asked(client, caseworker_headers):
    from tests.cases.helpers import create

    case = create(client, caseworker_headers)
    r = client.post(f"/v1/cases/{case['id']}/assessments", json={"household_risk": True}, headers=caseworker_headers)
    assert r.status_code == 201, r.text
    calc = r.json()
    risk = calc["household_risk"]
    assert risk is not None and 0 <= risk["forced_sale_within_10y_pct"]["value"] <= 100
    assert risk["loan"]["balance"] == calc["max_loan"]
    assert risk["loan"]["net_income_monthly"] == calc["result"]["counted_income_monthly"]
    # The same loan through /v1/household-risk gives the same numbers (same kernel, same scenario set).
    same = client.post(
        "/v1/household-risk",
        json={"affordability": {"request": calc["request"], "result": calc["result"]}, "scenarios": 2000, "years": 10},
        headers=caseworker_headers,
    ).json()
    assert same["forced_sale_within_10y_pct"] == risk["forced_sale_within_10y_pct"]
    assert same["expected_loss"] == risk["expected_loss"]
    # Not asked: not computed.
    case2 = create(client, caseworker_headers)
    r2 = client.post(f"/v1/cases/{case2['id']}/assessments", json={}, headers=caseworker_headers)
    assert r2.json()["household_risk"] is None


def test_household_risk_needs_exactly_one_input(client, caseworker_headers):
    r = client.post("/v1/household-risk", json={"scenarios": 100}, headers=caseworker_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "one-of"
    bad = {"affordability": {"request": {}, "result": {"max_loan": 100000}}, "scenarios": 100}
    r = client.post("/v1/household-risk", json=bad, headers=caseworker_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "not-an-affordability-answer"
