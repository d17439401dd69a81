# ruff: noqa: N806  (A: assumptions — the model's notation)
from dataclasses import fields

import numba
import numpy as np
import pytest

from loan_engine.portfolio.engine import ScenarioOutputs, prepare, run_stress_test, simulate_range
from loan_engine.portfolio.numpy_reference import simulate_range_numpy
from loan_engine.portfolio.results import summarise
from loan_engine.portfolio.scenarios import scenario_from_dict


def assert_outputs_equal(a: ScenarioOutputs, b: ScenarioOutputs, rtol: float = 0.0) -> None:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if rtol == 0.0:
            assert np.array_equal(x, y), f.name
        else:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-6, err_msg=f.name)


@pytest.mark.parametrize("preset", ["baseline", "hikes-2022-2023", "crisis-1988-1993", "unemployment-shock"])
def test_kernel_equals_numpy_reference(small_portfolio, preset):
    spec = scenario_from_dict({"preset": preset})
    inputs = prepare(small_portfolio, spec.assumptions)
    a = simulate_range(inputs, spec, seed=5, s0=3, n_scen=12, horizon_months=180)
    b = simulate_range_numpy(inputs, spec, seed=5, s0=3, n_scen=12, horizon_months=180)
    assert_outputs_equal(a, b, rtol=1e-9)
    # The comparison is not vacuous: the stressed scenarios produce losses and measures.
    if preset != "baseline":
        assert a.loss_total.sum() > 0 and a.relief.sum() > 0 and a.defaults.sum() > 0


def test_identical_across_thread_counts_and_chunkings(small_portfolio):
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    inputs = prepare(small_portfolio, spec.assumptions)
    ref = simulate_range(inputs, spec, seed=1, s0=0, n_scen=16, horizon_months=120, n_chunks=1)
    old = numba.get_num_threads()
    try:
        for threads in {1, numba.config.NUMBA_NUM_THREADS}:  # type: ignore[attr-defined]
            numba.set_num_threads(threads)
            for chunks in (1, 3, 16):
                got = simulate_range(inputs, spec, seed=1, s0=0, n_scen=16, horizon_months=120, n_chunks=chunks)
                assert_outputs_equal(ref, got)
    finally:
        numba.set_num_threads(old)
    # Blocks of scenarios (as the job runner and Dask use them) give the same rows.
    parts = ScenarioOutputs.zeros(16, 10)
    for s0, k in ((0, 5), (5, 1), (6, 10)):
        parts.put(s0, simulate_range(inputs, spec, seed=1, s0=s0, n_scen=k, horizon_months=120))
    assert_outputs_equal(ref, parts)


def test_run_is_reproducible_and_seed_matters(small_portfolio):
    spec = scenario_from_dict({"preset": "rate-up-200bp"})
    a = summarise(run_stress_test(small_portfolio, spec, 40, 10, seed=3, block_size=7))
    b = summarise(run_stress_test(small_portfolio, spec, 40, 10, seed=3, block_size=40))
    c = summarise(run_stress_test(small_portfolio, spec, 40, 10, seed=4))
    assert a == b
    assert a["expected_loss"] != c["expected_loss"]


def test_shocks_move_results_in_the_expected_direction(small_portfolio):
    def el(spec_dict):
        r = run_stress_test(small_portfolio, scenario_from_dict(spec_dict), 60, 10, seed=2)
        return r.outputs

    base = el({"rate_model": "deterministic"})
    up = el({"rate_model": "deterministic", "rate_shock_bp": 400})
    assert up.over_capacity.mean() > base.over_capacity.mean()
    assert up.loss_total.mean() > base.loss_total.mean()
    assert up.arrears.sum() > base.arrears.sum()
    # Fixed-rate lending funded at floating: the kommune's margin falls when rates rise.
    nim = lambda o: (o.interest_income - o.funding_cost).sum() / o.avg_balance.sum()  # noqa: E731
    assert nim(up) < nim(base)
    # Loss split: kommune + state = total in every scenario.
    np.testing.assert_allclose(up.loss_kommune + up.loss_state, up.loss_total, rtol=1e-12)


def test_no_measures_means_earlier_forced_sales(small_portfolio):
    spec = {"preset": "crisis-1988-1993"}
    with_measures = run_stress_test(small_portfolio, scenario_from_dict(spec), 30, 8, seed=4).outputs
    spec_none = {**spec, "assumptions": {"relief_max_months": 0, "capitalisation_max_months": 0}}
    without = run_stress_test(small_portfolio, scenario_from_dict(spec_none), 30, 8, seed=4).outputs
    assert without.defaults.sum() > with_measures.defaults.sum()
    assert without.relief.sum() == 0


def test_summary_has_every_figure_with_standard_errors(small_portfolio):
    s = summarise(run_stress_test(small_portfolio, scenario_from_dict({"preset": "crisis-1988-1993"}), 200, 5, seed=8))
    assert s["expected_loss"]["total"]["se"] > 0
    levels = [q["level"] for q in s["loss_quantiles"]["total"]]
    assert levels == [0.95, 0.99, 0.999]
    q95 = s["loss_quantiles"]["total"][0]
    assert q95["var"] <= q95["es"] and q95["var_se"] >= 0 and q95["es_se"] >= 0
    assert s["loss_quantiles"]["total"][2]["var"] is None  # 200 scenarios cannot estimate the 99.9 % level
    assert len(s["years"]) == 5
    y = s["years"][1]
    for key in ("default_rate", "arrears_rate", "net_interest_margin", "net_interest_income"):
        assert y[key]["se"] is not None
    share = s["loss_share"]["kommune"]["value"] + s["loss_share"]["state"]["value"]
    assert share == pytest.approx(1.0)


def test_unresolved_at_horizon_is_valued_and_included(small_portfolio):
    """Loans in arrears or relief at the horizon book a loss valued at the horizon's house price; it is part of the
    total, reported on its own line, and makes the short-horizon loss no longer a fraction of the long one."""
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    inputs = prepare(small_portfolio, spec.assumptions)
    short = simulate_range(inputs, spec, seed=2, s0=0, n_scen=40, horizon_months=24)
    assert short.unresolved.sum() > 0 and short.loss_unresolved.sum() > 0
    assert np.all(short.loss_unresolved <= short.loss_total + 1e-9)
    np.testing.assert_allclose(short.loss_kommune + short.loss_state, short.loss_total, rtol=1e-12)
    # Deeper price fall ⇒ larger unresolved loss (same scenarios, same households).
    worse = scenario_from_dict({"preset": "crisis-1988-1993", "house_price_shock_pct": -20})
    deeper = simulate_range(prepare(small_portfolio, worse.assumptions), worse, 2, 0, 40, 24)
    assert deeper.loss_unresolved.sum() > short.loss_unresolved.sum()
    s = summarise(run_stress_test(small_portfolio, spec, 40, 2, seed=2))
    u = s["unresolved_at_horizon"]
    assert u["loss"]["value"] == pytest.approx(short.loss_unresolved.mean())
    assert u["realised_loss"]["value"] + u["loss"]["value"] == pytest.approx(s["expected_loss"]["total"]["value"])


def test_unresolved_loss_uses_the_sale_rules():
    """One loan in arrears at the horizon (no income): followed through the run-off until its sale (month 18,
    scenario house price, same rules); loss = claim − net sale proceeds, split by § 7-5."""
    from loan_engine.portfolio.loans import portfolio_from_records
    from loan_engine.portfolio.loss_split import tapsdeling

    p = portfolio_from_records(
        [
            {
                "balance": 1_000_000,
                "remaining_term_months": 240,
                "net_income_monthly": 0,
                "living_costs_monthly": 10_000,
                "dwelling_value": 1_000_000,
            }
        ]
    )
    over = {
        "relief_max_months": 0,
        "arrears_months_to_sale": 18,
        "hpi_vol": 0.0,
        "hpi_drift": 0.0,
        "forced_sale_discount": 0.1,
        "sale_cost_rate": 0.0,
        "dwelling_value_sd": 0.0,
        "gjeldsordning_share": 0.0,
    }
    spec = scenario_from_dict({"rate_model": "deterministic", "assumptions": over})
    o = simulate_range(prepare(p, spec.assumptions), spec, seed=0, s0=0, n_scen=1, horizon_months=12)
    assert o.unresolved[0] == 1 and o.defaults.sum() == 0
    A = spec.assumptions
    rm = (A.policy_rate_0 + A.husbanken_spread + A.kommune_margin) / 12
    overdue = 18 * 1_000_000 * rm
    elig = 6 * 1_000_000 * rm
    expected = tapsdeling(
        principal=1_000_000,
        sale_price_net=900_000,
        eligible_interest_costs=elig + A.realisation_costs,
        excluded_interest=overdue - elig,
    )
    assert o.loss_unresolved[0] == pytest.approx(expected.loss, rel=1e-9)
    assert o.loss_total[0] == pytest.approx(expected.loss, rel=1e-9)
    assert o.loss_kommune[0] == pytest.approx(expected.kommune, rel=1e-9)
    # A loan that cures in the run-off books nothing: income returns (deterministic: income index ≥ 1).
    cured = portfolio_from_records([{**p.to_records()[0], "net_income_monthly": 60_000, "status": "arrears"}])
    c = simulate_range(prepare(cured, spec.assumptions), spec, seed=0, s0=0, n_scen=1, horizon_months=1)
    assert c.loss_total[0] == 0.0


def test_longer_horizons_do_not_lose_less(small_portfolio):
    """With the run-off, a loan in trouble at 2 years is not booked as if sold at once: the loss at a longer
    horizon is at least that at a shorter one (same scenarios; within MC noise)."""
    spec = scenario_from_dict({"preset": "hikes-2022-2023"})
    el = [run_stress_test(small_portfolio, spec, 60, y, seed=5).outputs.loss_total.mean() for y in (2, 3, 10)]
    assert el[0] <= el[1] * 1.05 and el[1] <= el[2] * 1.05, el


def test_funding_mix_changes_the_margin_not_the_losses(small_portfolio):
    up = {"rate_model": "deterministic", "rate_shock_bp": 300}
    floating = scenario_from_dict(up)
    fixed = scenario_from_dict(
        {
            **up,
            "assumptions": {"funding_fixed_share": 0.6, "funding_fixed_rate": 0.035, "funding_fixed_months": 60},
        }
    )
    a = simulate_range(prepare(small_portfolio, floating.assumptions), floating, 1, 0, 10, 120)
    b = simulate_range(prepare(small_portfolio, fixed.assumptions), fixed, 1, 0, 10, 120)
    assert np.array_equal(a.loss_total, b.loss_total) and np.array_equal(a.interest_income, b.interest_income)
    # Fixed funding at 3.5 % while rates are 7 %: lower funding cost for 5 years, then the same rate.
    assert (b.funding_cost[:, :5] < a.funding_cost[:, :5]).all()
    np.testing.assert_allclose(b.funding_cost[:, 5:], a.funding_cost[:, 5:], rtol=1e-12)
    # The cost saved is exactly the fixed share × (floating − fixed) on the book.
    from loan_engine.portfolio.engine import funding_rate
    from loan_engine.portfolio.scenarios import generate_paths

    hb = generate_paths(fixed, 1, 0, 10, 120).hb_rate
    fr = funding_rate(hb, fixed.assumptions)
    np.testing.assert_allclose(fr[:, :60], 0.4 * hb[:, :60] + 0.6 * 0.035, rtol=1e-12)
    assert np.array_equal(fr[:, 60:], hb[:, 60:])
    # Kernel and reference agree with a funding mix too.
    ref = simulate_range_numpy(prepare(small_portfolio, fixed.assumptions), fixed, 1, 0, 10, 120)
    assert_outputs_equal(b, ref, rtol=1e-9)


def test_structure_prepayment_settlements_dwelling_spread_and_life_events(small_portfolio):
    spec = scenario_from_dict({"preset": "crisis-1988-1993", "assumptions": {"life_event_rate": 0.05}})
    inputs = prepare(small_portfolio, spec.assumptions)
    a = simulate_range(inputs, spec, seed=3, s0=0, n_scen=12, horizon_months=120)
    assert a.prepaid.sum() > 0 and a.settlements.sum() > 0 and a.defaults.sum() > 0
    # Every counted exit is a distinct loan: prepaid + sold + settled ≤ loans, per scenario.
    assert ((a.prepaid.sum(1) + a.defaults.sum(1) + a.settlements.sum(1)) <= small_portfolio.n_loans).all()
    # No refinancing and no base prepayment: nothing prepaid, more loans reach trouble.
    none = scenario_from_dict(
        {
            "preset": "crisis-1988-1993",
            "assumptions": {"prepayment_rate": 0, "refinancing_rate_max": 0, "life_event_rate": 0.05},
        }
    )
    b = simulate_range(prepare(small_portfolio, none.assumptions), none, 3, 0, 12, 120)
    assert b.prepaid.sum() == 0 and b.loss_total.sum() > a.loss_total.sum()
    # All debt settlements instead of sales: no forced sales, and a smaller loss (no discount or sale costs).
    allgo = scenario_from_dict(
        {"preset": "crisis-1988-1993", "assumptions": {"gjeldsordning_share": 1.0, "life_event_rate": 0.05}}
    )
    c = simulate_range(prepare(small_portfolio, allgo.assumptions), allgo, 3, 0, 12, 120)
    assert c.defaults.sum() == 0 and c.settlements.sum() > 0
    # More permanent income losses ⇒ more losses.
    calm = scenario_from_dict({"preset": "crisis-1988-1993", "assumptions": {"life_event_rate": 0.0}})
    d = simulate_range(prepare(small_portfolio, calm.assumptions), calm, 3, 0, 12, 120)
    assert d.loss_total.sum() < a.loss_total.sum()
    # Kernel and reference agree with every structural element switched on.
    for sp in (spec, allgo):
        ref = simulate_range_numpy(prepare(small_portfolio, sp.assumptions), sp, 3, 0, 12, 120)
        got = simulate_range(prepare(small_portfolio, sp.assumptions), sp, 3, 0, 12, 120)
        assert_outputs_equal(got, ref, rtol=1e-9)


def test_regional_price_indices_where_the_book_names_a_region(small_portfolio):
    from loan_engine.portfolio.loans import portfolio_from_records

    recs = small_portfolio.to_records()
    for k, r in enumerate(recs):
        r["region"] = ("Oslo", "Stavanger", None)[k % 3]
    p = portfolio_from_records(recs)
    assert p.region_names == ("Oslo", "Stavanger") and set(p.region_codes()) == {0, 1, 2}
    assert portfolio_from_records(p.to_records()).region_names == p.region_names
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    inputs = prepare(p, spec.assumptions)
    assert inputs.n_regions == 2
    a = simulate_range(inputs, spec, seed=2, s0=0, n_scen=12, horizon_months=96)
    ref = simulate_range_numpy(inputs, spec, seed=2, s0=0, n_scen=12, horizon_months=96)
    assert_outputs_equal(a, ref, rtol=1e-9)
    # Without regional spread the regions change nothing; with it, results differ.
    flat = scenario_from_dict({"preset": "crisis-1988-1993", "assumptions": {"regional_hpi_sigma": 0.0}})
    b = simulate_range(prepare(p, flat.assumptions), flat, 2, 0, 12, 96)
    plain = portfolio_from_records(small_portfolio.to_records())  # the same records, no regions
    c = simulate_range(prepare(plain, flat.assumptions), flat, 2, 0, 12, 96)
    assert_outputs_equal(b, c)
    assert not np.array_equal(a.loss_total, b.loss_total)
    from loan_engine.portfolio.scenarios import regional_factors

    f = regional_factors(spec, 2, 0, 200, 121, 2)
    assert np.all(f[:, 0] == 1.0) and f[:, 1:, 0].min() == 1.0
    assert 0.05 < np.log(f[:, 1, 120]).std() < 0.15  # ≈ σ·√((1−e^{−2κτ})/2κ) = 0.04·√(3.3) ≈ 0.07
    assert np.corrcoef(f[:, 1, 120], f[:, 2, 120])[0, 1] < 0.3  # each region its own randomness


def test_payment_factor_from_a_precomputed_log_is_the_same_number():
    import math

    from loan_engine.portfolio.kernel import payment_per_krone, payment_per_krone_log

    for rm in (0.0, 1e-9, 0.0025, 0.004166666666666667, 0.011, 0.05 / 12):
        for n in (1, 2, 7, 120, 299, 360, 600):
            assert payment_per_krone_log(rm, math.log1p(rm), n) == payment_per_krone(rm, n), (rm, n)


@pytest.mark.parametrize("term", [24, 300])
def test_one_household_paths_equal_numpy_reference(term):
    """Books of one or a few loans use direct payment factors and stop a scenario once every loan is gone (repaid,
    prepaid or sold) — the same figures as the NumPy reference, identical to a run in one chunk."""
    from loan_engine.portfolio.loans import portfolio_from_records

    rec = {
        "balance": 2_400_000 if term > 24 else 380_000,
        "remaining_term_months": term,
        "net_income_monthly": 41_000,
        "living_costs_monthly": 24_000,
        "dwelling_value": 2_450_000,
    }
    bank = {**rec, "priority": "second", "prior_loan_balance": 900_000, "dwelling_value": 3_600_000}
    seen = np.zeros(3)
    for preset, records in [(pr, r) for pr in ("baseline", "crisis-1988-1993") for r in ([rec], [rec, bank])]:
        spec = scenario_from_dict({"preset": preset})
        inputs = prepare(portfolio_from_records(records), spec.assumptions)
        a = simulate_range(inputs, spec, seed=2, s0=0, n_scen=60, horizon_months=120)
        b = simulate_range_numpy(inputs, spec, seed=2, s0=0, n_scen=60, horizon_months=120)
        assert_outputs_equal(a, b, rtol=1e-9)
        assert_outputs_equal(a, simulate_range(inputs, spec, seed=2, s0=0, n_scen=60, horizon_months=120, n_chunks=1))
        seen += [a.defaults.sum(), a.prepaid.sum(), a.loss_total.sum() if term > 24 else 1.0]
        assert (a.active[:, 0] == len(records)).all()
        if term == 24:  # most scenarios end with every loan gone well before the horizon
            gone = a.active[:, 6] == 0
            assert (
                gone.mean() > 0.5 and (a.avg_balance[gone, 6:] == 0).all() and (a.interest_income[gone, 6:] == 0).all()
            )
    assert (seen > 0).all()  # not vacuous: forced sales, prepayments and (the large loan) losses occur
