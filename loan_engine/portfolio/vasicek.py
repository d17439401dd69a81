"""Closed-form one-factor (Vasicek / ASRF) loss distribution, and a Monte Carlo of the same model.

The asymptotic single-risk-factor model: loan ``i`` defaults when ``√ρ·Z + √(1−ρ)·εᵢ < Φ⁻¹(PD)``. Conditional on
the systematic factor ``Z`` the default probability is ``p(Z) = Φ((Φ⁻¹(PD) − √ρ·Z)/√(1−ρ))``; in a large pool the
loss fraction is ``LGD·p(Z)`` and its α-quantile is ``LGD·Φ((Φ⁻¹(PD) + √ρ·Φ⁻¹(α))/√(1−ρ))`` (Vasicek 2002; the
Basel IRB formula; cf. ``open-risk/portfolioAnalytics vasicek_lim_q``).

``simulate_one_factor`` runs that model with the stress test's counter-based random numbers and Numba machinery
(scenario keys, per-loan keys, streaming counts), so the validation test exercises the same generator and the
same quantile / standard-error estimators (``results.py``) as the full model.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numba import njit, prange

from loan_engine.errors import InvalidInput
from loan_engine.portfolio.rng import STREAM_ONE_FACTOR, loan_key, mix64, month_tweak, normal_at, scenario_key, to_unit

_N = NormalDist()


def _check(pd: float, rho: float) -> None:
    if not 0.0 < pd < 1.0:
        raise InvalidInput("pd must be strictly between 0 and 1.", field="pd", rule="pd-0-to-1")
    if not 0.0 < rho < 1.0:
        raise InvalidInput("rho must be strictly between 0 and 1.", field="rho", rule="rho-0-to-1")


def vasicek_quantile(alpha: float, pd: float, rho: float, lgd: float = 1.0) -> float:
    """α-quantile of the large-pool loss fraction."""
    _check(pd, rho)
    return lgd * _N.cdf((_N.inv_cdf(pd) + math.sqrt(rho) * _N.inv_cdf(alpha)) / math.sqrt(1.0 - rho))


def vasicek_cdf(x: float, pd: float, rho: float, lgd: float = 1.0) -> float:
    """P(loss fraction ≤ x) in the large-pool limit."""
    _check(pd, rho)
    f = x / lgd
    if f <= 0.0:
        return 0.0
    if f >= 1.0:
        return 1.0
    return _N.cdf((math.sqrt(1.0 - rho) * _N.inv_cdf(f) - _N.inv_cdf(pd)) / math.sqrt(rho))


@njit(cache=True)
def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(parallel=True, nogil=True, cache=True)
def _one_factor(threshold: float, rho: float, lgd: float, n_loans: int, seed: int, s0: int, out: np.ndarray) -> None:
    sr = math.sqrt(rho)
    sc = math.sqrt(1.0 - rho)
    tw = month_tweak(0)
    for j in prange(out.shape[0]):
        key = scenario_key(seed, s0 + j, STREAM_ONE_FACTOR)
        z = normal_at(key, 0)
        pz = _phi((threshold - sr * z) / sc)
        k = 0
        for i in range(n_loans):
            if to_unit(mix64(loan_key(key, i) ^ tw)) < pz:
                k += 1
        out[j] = lgd * k / n_loans


def simulate_one_factor(
    pd: float, rho: float, n_loans: int, n_scenarios: int, seed: int, lgd: float = 1.0, s0: int = 0
) -> np.ndarray:
    """Per-scenario loss fractions of a homogeneous pool under the one-factor model."""
    _check(pd, rho)
    out = np.empty(n_scenarios)
    _one_factor(_N.inv_cdf(pd), rho, lgd, int(n_loans), int(seed), int(s0), out)
    return out
