# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
import math
from dataclasses import replace

import numpy as np
import pytest

from loan_engine.errors import InvalidInput
from loan_engine.portfolio.scenarios import (
    CRISIS_1988_1993_HPI,
    PRESETS,
    crisis_log_hpi_changes,
    deterministic_rate_shock,
    generate_paths,
    hikes_rate_changes,
    husbanken_floating,
    scenario_from_dict,
)


def test_husbanken_lag_and_reset_calendar():
    # Policy rate jumps by 1 pp in January (t=0, start_month=1). Observation Jan–Feb → effective 1 May.
    T = 12
    policy = np.full((1, T), 0.05)
    hb = husbanken_floating(policy, r0=0.04, spread=0.0014, start_month=1)
    assert np.allclose(hb[0, :4], 0.0414)  # Jan–Apr: old rate (March reset averages Nov–Dec history)
    assert hb[0, 4] == pytest.approx(0.0514)  # May
    # Changes only on odd calendar months (Jan, Mar, May, ...).
    changes = [t for t in range(1, T) if hb[0, t] != hb[0, t - 1]]
    assert all(t % 2 == 0 for t in changes)


def test_husbanken_rate_floored_at_zero():
    hb = husbanken_floating(np.full((1, 12), -0.02), r0=-0.02, spread=0.0014, start_month=3)
    assert (hb >= 0).all()


def test_parallel_shocks_immediate_and_ramped():
    up = deterministic_rate_shock(scenario_from_dict({"rate_shock_bp": 200}), 24)
    assert np.allclose(up, 0.02)
    ramp = deterministic_rate_shock(scenario_from_dict({"rate_shock_bp": 300, "rate_shock_ramp_months": 12}), 24)
    assert ramp[0] == pytest.approx(0.0025) and ramp[11] == pytest.approx(0.03) and ramp[23] == pytest.approx(0.03)
    down = deterministic_rate_shock(scenario_from_dict({"rate_shock_bp": -100}), 3)
    assert np.allclose(down, -0.01)


def test_hikes_2022_2023_path_as_it_happened_then_mean_reversion():
    spec = scenario_from_dict({"preset": "hikes-2022-2023"})
    p = generate_paths(spec, seed=1, s0=0, n_scen=400, n_months=120)
    r0 = spec.assumptions.policy_rate_0
    ch = hikes_rate_changes(36)
    assert ch[0] == 0 and ch[2] == pytest.approx(0.0025) and ch[23] == pytest.approx(0.04) and np.isnan(ch[24])
    # The historical months are the same in every scenario: today's rate + the changes since January 2022.
    np.testing.assert_allclose(p.policy[:, :24], np.broadcast_to(r0 + ch[:24], (400, 24)), atol=1e-15)
    assert (np.diff(p.policy[0, :24]) >= 0).all()
    # Then mean reversion towards θ (not 8 % for the rest of the horizon).
    theta = spec.assumptions.vasicek_theta
    assert p.policy[:, -1].mean() < r0 + 0.04 - 0.02 and abs(p.policy[:, -1].mean() - theta) < 0.01
    # CPI and wage growth of those years, then back towards the target; living costs and incomes follow.
    assert p.cpi_inflation[0, 5] == pytest.approx(0.058) and p.cpi_inflation[0, 17] == pytest.approx(0.055)
    assert p.wage_growth[0, 5] == pytest.approx(0.046) and p.wage_growth[0, 17] == pytest.approx(0.060)
    assert abs(p.cpi_inflation[:, -1].mean() - spec.assumptions.cpi_target) < 0.005
    assert p.cost_index[0, 23] == pytest.approx(math.exp((11 * math.log1p(0.058) + 12 * math.log1p(0.055)) / 12))
    # No unemployment rise while the history runs (it did not happen): only the labour-market factor moves it.
    base = generate_paths(scenario_from_dict({}), seed=1, s0=0, n_scen=400, n_months=120)
    assert abs(p.unemployment[:, 23].mean() - base.unemployment[:, 23].mean()) < 0.002


def test_cpi_and_wages_correlated_with_rates_and_drive_costs_and_incomes():
    p = generate_paths(scenario_from_dict({}), seed=3, s0=0, n_scen=4000, n_months=25)
    dr = p.policy[:, 24] - p.policy[:, 0]
    dpi = p.cpi_inflation[:, 24] - p.cpi_inflation[:, 0]
    assert np.corrcoef(dr, dpi)[0, 1] > 0.2
    expected_cost = np.exp(np.cumsum(np.log1p(p.cpi_inflation[:, 1:]) / 12.0, axis=1))
    np.testing.assert_allclose(p.cost_index[:, 1:], expected_cost, rtol=1e-12)
    # Wage growth passes part of inflation through: high-inflation scenarios see a real-income squeeze.
    hi = p.cpi_inflation[:, 12] > np.quantile(p.cpi_inflation[:, 12], 0.9)
    real = p.wage_growth[:, 12] - p.cpi_inflation[:, 12]
    assert real[hi].mean() < real[~hi].mean()
    shock = generate_paths(scenario_from_dict({"cost_shock_pct": 10}), seed=3, s0=0, n_scen=5, n_months=25)
    np.testing.assert_allclose(shock.cost_index, 1.1 * generate_paths(scenario_from_dict({}), 3, 0, 5, 25).cost_index)


def test_numba_husbanken_rate_equals_the_reference_rule():
    spec = scenario_from_dict({"preset": "hikes-2022-2023", "start_month": 4})
    p = generate_paths(spec, seed=2, s0=0, n_scen=20, n_months=60)
    A = spec.assumptions
    np.testing.assert_array_equal(p.hb_rate, husbanken_floating(p.policy, A.policy_rate_0, A.husbanken_spread, 4))


def test_systematic_labour_factor_has_its_own_randomness():
    det = scenario_from_dict({"rate_model": "deterministic"})
    a = generate_paths(det, seed=5, s0=0, n_scen=200, n_months=36)
    assert np.ptp(a.unemployment[:, -1]) == 0.0  # deterministic: no factor noise either
    quiet = {"vasicek_sigma": 0.0, "cpi_sigma": 0.0}
    sto = generate_paths(scenario_from_dict({"assumptions": quiet}), seed=5, s0=0, n_scen=200, n_months=36)
    assert np.allclose(sto.policy, sto.policy[0])  # rates identical across scenarios ...
    assert sto.unemployment[:, -1].std() > 0.002  # ... unemployment still varies (own shocks)
    corr = np.corrcoef(sto.unemployment[:, -1], np.log(sto.income_index[:, -1]))[0, 1]
    assert corr < -0.9  # incomes fall when the factor raises unemployment


def test_vasicek_exact_transition_moments():
    spec = scenario_from_dict(
        {
            "assumptions": {
                "policy_rate_0": 0.06,
                "vasicek_theta": 0.03,
                "vasicek_kappa": 0.5,
                "vasicek_sigma": 0.01,
                "policy_rate_floor": -0.05,
            }
        }
    )
    T = 61
    p = generate_paths(spec, seed=3, s0=0, n_scen=20_000, n_months=T)
    tau = (T - 1) / 12
    mean = 0.03 + (0.06 - 0.03) * math.exp(-0.5 * tau)
    sd = 0.01 * math.sqrt((1 - math.exp(-2 * 0.5 * tau)) / (2 * 0.5))
    x = p.policy[:, -1]
    assert abs(x.mean() - mean) < 4 * sd / math.sqrt(len(x))
    assert abs(x.std() / sd - 1) < 0.03


def test_paths_depend_only_on_seed_and_scenario_index():
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    a = generate_paths(spec, seed=9, s0=0, n_scen=10, n_months=48)
    b = generate_paths(spec, seed=9, s0=4, n_scen=3, n_months=48)
    for name in ("policy", "hb_rate", "hpi", "separation"):
        assert np.array_equal(getattr(a, name)[4:7], getattr(b, name))


def test_crisis_path_falls_and_unemployment_rises():
    base = generate_paths(
        scenario_from_dict({"rate_model": "deterministic", "assumptions": {"hpi_vol": 0.0}}), 1, 0, 2, 72
    )
    crisis = generate_paths(
        scenario_from_dict(
            {"house_prices": "crisis-1988-1993", "rate_model": "deterministic", "assumptions": {"hpi_vol": 0.0}}
        ),
        1,
        0,
        2,
        72,
    )
    assert crisis.hpi[0, 48] == pytest.approx(0.78, rel=0.01)  # 1992 trough, about −22 %
    assert base.hpi[0, 48] > 1.0
    assert crisis.separation[0, 36] > 2 * base.separation[0, 36]


def test_house_prices_fall_when_rates_rise():
    up = generate_paths(
        scenario_from_dict({"rate_model": "deterministic", "rate_shock_bp": 300, "rate_shock_ramp_months": 12}),
        1,
        0,
        200,
        24,
    )
    flat = generate_paths(scenario_from_dict({"rate_model": "deterministic"}), 1, 0, 200, 24)
    assert np.mean(np.log(up.hpi[:, -1])) < np.mean(np.log(flat.hpi[:, -1])) - 0.08


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ({"preset": "nope"}, "unknown-preset"),
        ({"rate_shock_bp": math.nan}, "not-a-number"),
        ({"rate_shock_bp": 1e6}, "out-of-range"),
        ({"rate_model": "cir"}, "unknown-value"),
        ({"colour": "red"}, "unknown-field"),
        ({"assumptions": {"sale_cost_rate": 2}}, "assumption-out-of-range"),
        ({"assumptions": {"nope": 1}}, "unknown-assumption"),
        ({"assumptions": {"kommune_margin": 0.01}}, "assumption-out-of-range"),
    ],
)
def test_bad_scenario_specs(spec, rule):
    with pytest.raises(InvalidInput) as e:
        scenario_from_dict(spec)
    assert e.value.rule == rule


_BASE_FIELDS = {
    "rate_shock_bp": 0.0,
    "rate_shock_ramp_months": 0,
    "rate_path": "none",
    "house_prices": "correlated",
    "house_price_shock_pct": 0.0,
}


def _own_price_path(spec, T):  # noqa: N803
    """The preset's price path apart from the rate response: level shock plus the crisis drift difference."""
    d = np.zeros(T)
    if spec.house_prices == "crisis-1988-1993":
        n = min(T, 12 * (len(CRISIS_1988_1993_HPI) - 1))
        d[:n] = crisis_log_hpi_changes(T)[:n] - spec.assumptions.hpi_drift / 12.0
    own = np.concatenate([[0.0], np.cumsum(d)[:-1]])
    return own + math.log1p(spec.house_price_shock_pct / 100.0)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_moves_house_prices_by_the_documented_rate_sensitivity(preset):
    """log HPI(preset) − log HPI(baseline) = −β·(r(preset) − r(baseline)) + the preset's own price path, every month.

    Same seed ⇒ same random numbers, so the difference isolates the deterministic parts; month 0 included (an
    immediate shock reaches prices at once).
    """
    T = 72
    spec = scenario_from_dict({"preset": preset})
    base = generate_paths(replace(spec, **_BASE_FIELDS), seed=4, s0=0, n_scen=50, n_months=T)
    got = generate_paths(spec, seed=4, s0=0, n_scen=50, n_months=T)
    beta = spec.assumptions.hpi_rate_beta
    own = np.log(got.hpi) - np.log(base.hpi) + beta * (got.policy - base.policy)
    expected_own = _own_price_path(spec, T)
    np.testing.assert_allclose(own, np.broadcast_to(expected_own, own.shape), atol=1e-9)
    if np.any(got.policy != base.policy):
        # the rate path differs from the baseline somewhere, and prices moved with it from the first month
        first = int(np.argmax(np.any(got.policy != base.policy, axis=0)))
        d_r = got.policy[:, first] - base.policy[:, first]
        d_h = np.log(got.hpi[:, first]) - np.log(base.hpi[:, first]) - expected_own[first]
        np.testing.assert_allclose(d_h, -beta * d_r, atol=1e-12)
        assert np.any(d_h != 0.0)


def test_immediate_200bp_moves_prices_in_month_zero():
    flat = generate_paths(scenario_from_dict({"rate_model": "deterministic"}), 1, 0, 3, 24)
    up = generate_paths(scenario_from_dict({"rate_model": "deterministic", "rate_shock_bp": 200}), 1, 0, 3, 24)
    beta = scenario_from_dict({}).assumptions.hpi_rate_beta
    np.testing.assert_allclose(np.log(up.hpi / flat.hpi), -beta * 0.02, atol=1e-12)


def test_assumption_overrides_in_public_percent_units():
    spec = scenario_from_dict(
        {"assumptions": {"policy_rate_0": 5.0, "relief_max_months": 12}}, percent_assumptions=True
    )
    assert spec.assumptions.policy_rate_0 == pytest.approx(0.05) and spec.assumptions.relief_max_months == 12
    with pytest.raises(InvalidInput) as e:
        scenario_from_dict({"assumptions": {"kommune_margin": 0.5}}, percent_assumptions=True)
    assert e.value.rule == "assumption-out-of-range" and "0.25" in str(e.value) and "%/yr" in str(e.value)
