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
from typing import Any

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


def validate_against_closed_form(
    pd: float, rho: float, n_loans: int, n_scenarios: int, seed: int, levels: tuple[float, ...] = (0.95, 0.99, 0.999)
) -> dict[str, Any]:
    """Simulated against closed-form mean and quantiles, with the tolerance the tests use.

    A quantile passes when |simulated − closed form| ≤ 4 order-statistic standard errors + 2·√(q(1−q)/L) (the
    granularity of a finite pool); the mean when it is within 4 standard errors + the same granularity term.
    """
    from loan_engine.portfolio.results import mean_se, var_es

    losses = simulate_one_factor(pd, rho, n_loans=n_loans, n_scenarios=n_scenarios, seed=seed)
    m = mean_se(losses)
    gran_pd = math.sqrt(pd * (1 - pd) / n_loans)
    tol_m = 4 * m["se"] + 2 * gran_pd
    out: dict[str, Any] = {
        "pd": pd,
        "rho": rho,
        "loans": n_loans,
        "scenarios": n_scenarios,
        "seed": seed,
        "mean": {
            "simulated": m["value"],
            "se": m["se"],
            "closed_form": pd,
            "z": abs(m["value"] - pd) / tol_m if tol_m > 0 else 0.0,
            "ok": abs(m["value"] - pd) <= tol_m,
        },
        "quantiles": [],
    }
    ok = bool(out["mean"]["ok"])
    for a in levels:
        q_true = vasicek_quantile(a, pd, rho)
        est = var_es(losses, a)
        if est["var"] is None:
            out["quantiles"].append(
                {"level": a, "simulated": None, "se": None, "closed_form": q_true, "z": None, "ok": True}
            )
            continue
        tol = 4 * est["var_se"] + 2 * math.sqrt(q_true * (1 - q_true) / n_loans)
        diff = abs(est["var"] - q_true)
        good = diff <= tol
        ok = ok and good
        out["quantiles"].append(
            {
                "level": a,
                "simulated": est["var"],
                "se": est["var_se"],
                "closed_form": q_true,
                "z": diff / tol if tol > 0 else 0.0,
                "ok": good,
            }
        )
    out["ok"] = ok
    return out
