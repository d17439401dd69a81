# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
import math

import numpy as np
import pytest

from loan_engine.portfolio.results import var_es
from loan_engine.portfolio.vasicek import simulate_one_factor, vasicek_cdf, vasicek_quantile


def test_closed_form_round_trip_and_basel_value():
    q = vasicek_quantile(0.999, pd=0.01, rho=0.15)
    assert vasicek_cdf(q, pd=0.01, rho=0.15) == pytest.approx(0.999, abs=1e-9)
    # Φ((Φ⁻¹(0.01) + √0.15·Φ⁻¹(0.999)) / √0.85) = Φ(−1.2247) ≈ 0.1103 (Basel IRB worst-case default rate).
    assert q == pytest.approx(0.1103, abs=2e-4)


@pytest.mark.parametrize(("pd", "rho"), [(0.02, 0.12), (0.05, 0.25)])
def test_simulated_quantiles_match_vasicek_within_mc_error(pd, rho):
    S, L = 20_000, 20_000
    losses = simulate_one_factor(pd, rho, n_loans=L, n_scenarios=S, seed=2024)
    assert losses.mean() == pytest.approx(pd, rel=0.05)
    for alpha in (0.95, 0.99, 0.999):
        q_true = vasicek_quantile(alpha, pd, rho)
        est = var_es(losses, alpha)
        # Quantile estimate within 4 of its own (order-statistic) standard errors, plus the O(1/√L) granularity
        # of a finite pool (binomial noise around L·p(Z)).
        gran = math.sqrt(q_true * (1 - q_true) / L)
        assert abs(est["var"] - q_true) <= 4 * est["var_se"] + 2 * gran, (alpha, est, q_true)
        # In probability space: the share of scenarios below the true quantile is α within 4 binomial SEs.
        p_hat = float(np.mean(losses <= q_true))
        assert abs(p_hat - alpha) <= 4 * math.sqrt(alpha * (1 - alpha) / S) + 0.002, (alpha, p_hat)


def test_one_factor_is_chunk_invariant():
    a = simulate_one_factor(0.03, 0.2, n_loans=500, n_scenarios=50, seed=1)
    b = simulate_one_factor(0.03, 0.2, n_loans=500, n_scenarios=20, seed=1, s0=30)
    assert np.array_equal(a[30:], b)
