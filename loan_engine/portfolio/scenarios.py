# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
"""Scenario specification and the macro paths it generates (per scenario, per month).

Paths, for scenario ``s`` (global index) and month ``t = 0 … T−1`` after the analysis date:

* **Policy rate** ``r[t]``: either constant ``policy_rate_0`` (``rate_model="deterministic"``) or a Vasicek /
  Ornstein–Uhlenbeck process with *exact* Gaussian monthly transitions
  ``r[t] = θ + (r[t−1] − θ)·e^(−κ/12) + σ·√((1 − e^(−2κ/12)) / (2κ))·Z`` (no Euler bias), plus a deterministic
  shock: a parallel shift of ``rate_shock_bp`` (immediately or ramped linearly over ``rate_shock_ramp_months``)
  and/or the 2022–2023 Norges Bank hiking path, floored at ``policy_rate_floor``.
* **Husbanken floating rate** ``hb[t]``: changes only on 1 Jan/Mar/May/Jul/Sep/Nov; the new rate is the average
  policy rate over the two-month observation window that ended two months earlier, plus ``husbanken_spread``,
  floored at 0 (domain_rules §2.1). Customers pay ``hb + kommune_margin``; the kommune borrows at ``hb``.
* **Prior bank loan rate**: policy rate + ``bank_loan_spread`` (repriced monthly).
* **House-price index** ``hpi[t]`` (1 at t = 0): log drift, a rate sensitivity ``−β·Δr``, and shocks correlated
  with the rate shocks; ``house_prices="crisis-1988-1993"`` replaces the drift by the Norwegian 1988–1993 fall.
* **Unemployment** ``u[t] = u0 + β_u·(r[t] − r0) + crisis overlay + shock``; a household member loses work with
  monthly probability ``f·u/(1−u)`` (the steady-state flow for job-finding rate ``f``).
* **Income / living-cost indices**: wage and cost growth, with an income shock.

All random numbers come from :mod:`loan_engine.portfolio.rng`, keyed by (seed, scenario, stream, month).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numba import njit, prange

from loan_engine.errors import InvalidInput
from loan_engine.portfolio.assumptions import DEFAULT_ASSUMPTIONS, ModelAssumptions
from loan_engine.portfolio.rng import STREAM_HOUSE, STREAM_RATE, normal_at, scenario_key

# Norges Bank policy rate, 2022–2023, by month offset from January 2022 (level in %).
# Sources (SECONDARY, press): finansavisen.no 2022-06-23 (0.75 → 1.25), dagsavisen.no 2022-11-03 (March +0.25,
# June/August/September +0.50, November 2.50), tv2.no 2022-09 (2.25), abcnyheter.no 2023-03-23 (December 2.75,
# March 3.00), domain_rules §2.3 (five hikes in 2023, 2.75 → 4.50).
HIKES_2022_2023: tuple[tuple[int, float], ...] = (
    (0, 0.50),
    (2, 0.75),
    (5, 1.25),
    (7, 1.75),
    (8, 2.25),
    (10, 2.50),
    (11, 2.75),
    (14, 3.00),
    (16, 3.25),
    (17, 3.75),
    (19, 4.00),
    (23, 4.50),
)
HIKES_SOURCE = "Norges Bank decisions as reported in the press (SECONDARY); see scenarios.HIKES_2022_2023"

# 1988–1993 Norwegian housing crisis: nominal house-price index by year (1988 = 1) and the rise in the
# unemployment rate (pp) relative to 1988. NOT CONFIRMED: order-of-magnitude values (nominal fall of roughly a
# quarter to the 1992 trough, registered+AKU unemployment from ~2 % to ~6 %); replace with Norges Bank HMS /
# SSB series when available.
CRISIS_1988_1993_HPI: tuple[float, ...] = (1.00, 0.96, 0.89, 0.83, 0.78, 0.80, 0.86)
CRISIS_1988_1993_UNEMPLOYMENT_PP: tuple[float, ...] = (0.0, 1.5, 2.5, 3.0, 3.5, 3.5, 2.5, 1.5, 0.5)
CRISIS_STATUS = "not-confirmed"

PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "rate-up-200bp": {"rate_shock_bp": 200},
    "rate-up-400bp-ramped": {"rate_shock_bp": 400, "rate_shock_ramp_months": 12},
    "rate-down-100bp": {"rate_shock_bp": -100},
    "hikes-2022-2023": {"rate_model": "deterministic", "rate_path": "hikes-2022-2023"},
    "crisis-1988-1993": {"house_prices": "crisis-1988-1993", "rate_shock_bp": 300},
    "unemployment-shock": {"unemployment_shock_pp": 4.0, "income_shock_pct": -5.0},
}


@dataclass(frozen=True)
class ScenarioSpec:
    rate_model: str = "vasicek"  # "vasicek" | "deterministic"
    rate_shock_bp: float = 0.0
    rate_shock_ramp_months: int = 0
    rate_path: str = "none"  # "none" | "hikes-2022-2023"
    house_prices: str = "correlated"  # "correlated" | "crisis-1988-1993"
    house_price_shock_pct: float = 0.0
    unemployment_shock_pp: float = 0.0
    income_shock_pct: float = 0.0
    start_month: int = 1  # calendar month of t = 0 (Husbanken's reset calendar)
    preset: str | None = None
    assumptions: ModelAssumptions = field(default_factory=lambda: DEFAULT_ASSUMPTIONS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "rate_model": self.rate_model,
            "rate_shock_bp": self.rate_shock_bp,
            "rate_shock_ramp_months": self.rate_shock_ramp_months,
            "rate_path": self.rate_path,
            "house_prices": self.house_prices,
            "house_price_shock_pct": self.house_price_shock_pct,
            "unemployment_shock_pp": self.unemployment_shock_pp,
            "income_shock_pct": self.income_shock_pct,
            "start_month": self.start_month,
        }


_RANGES: dict[str, tuple[float, float]] = {
    "rate_shock_bp": (-1000.0, 2000.0),
    "rate_shock_ramp_months": (0, 120),
    "house_price_shock_pct": (-90.0, 100.0),
    "unemployment_shock_pp": (-10.0, 50.0),
    "income_shock_pct": (-90.0, 100.0),
    "start_month": (1, 12),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "rate_model": ("vasicek", "deterministic"),
    "rate_path": ("none", "hikes-2022-2023"),
    "house_prices": ("correlated", "crisis-1988-1993"),
}
_INTS = {"rate_shock_ramp_months", "start_month"}


def scenario_from_dict(
    data: dict[str, Any] | None, *, path: str = "scenario", percent_assumptions: bool = False
) -> ScenarioSpec:
    """Validate a scenario specification (a preset name plus overrides, and assumption overrides).

    ``percent_assumptions``: assumption overrides are in the public units (percent for fractions), as the API
    takes them."""
    data = dict(data or {})
    spec = ScenarioSpec()
    preset = data.pop("preset", None)
    values: dict[str, Any] = {}
    if preset is not None:
        if preset not in PRESETS:
            raise InvalidInput(
                f"Unknown scenario preset {preset!r}. Known: {', '.join(PRESETS)}.",
                field=f"{path}.preset",
                rule="unknown-preset",
            )
        values.update(PRESETS[preset])
    overrides = data.pop("assumptions", None)
    for k, v in data.items():
        if k in _CHOICES:
            if v not in _CHOICES[k]:
                raise InvalidInput(
                    f"{k} = {v!r}; expected one of {', '.join(_CHOICES[k])}.", field=f"{path}.{k}", rule="unknown-value"
                )
            values[k] = v
        elif k in _RANGES:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
                raise InvalidInput(f"{k} must be a finite number.", field=f"{path}.{k}", rule="not-a-number")
            lo, hi = _RANGES[k]
            if not lo <= v <= hi:
                raise InvalidInput(f"{k} = {v} is outside [{lo}, {hi}].", field=f"{path}.{k}", rule="out-of-range")
            if k in _INTS:
                if float(v) != int(v):
                    raise InvalidInput(f"{k} must be a whole number.", field=f"{path}.{k}", rule="integer")
                v = int(v)
            values[k] = v if k in _INTS else float(v)
        else:
            raise InvalidInput(f"Unknown scenario field {k!r}.", field=f"{path}.{k}", rule="unknown-field")
    if overrides is not None and not isinstance(overrides, dict):
        raise InvalidInput(
            "assumptions must be an object of name → value.", field=f"{path}.assumptions", rule="not-an-object"
        )
    assumptions = DEFAULT_ASSUMPTIONS.with_overrides(overrides, path=f"{path}.assumptions", percent=percent_assumptions)
    return replace(spec, preset=preset, assumptions=assumptions, **values)


@dataclass(frozen=True)
class ScenarioPaths:
    """Monthly macro paths for scenarios ``s0 … s0+S−1``; every array is (S, T)."""

    s0: int
    policy: np.ndarray
    hb_rate: np.ndarray  # Husbanken floating nominal (kommune funding); customers pay + kommune_margin
    bank_rate: np.ndarray
    hpi: np.ndarray
    separation: np.ndarray  # monthly job-loss probability
    income_index: np.ndarray
    cost_index: np.ndarray


def deterministic_rate_shock(spec: ScenarioSpec, n_months: int) -> np.ndarray:
    """Additive policy-rate shock per month (fraction)."""
    t = np.arange(n_months, dtype=np.float64)
    shock = np.zeros(n_months)
    if spec.rate_shock_bp != 0.0:
        ramp = spec.rate_shock_ramp_months
        w = np.minimum(1.0, (t + 1.0) / ramp) if ramp > 0 else np.ones(n_months)
        shock += spec.rate_shock_bp / 10_000.0 * w
    if spec.rate_path == "hikes-2022-2023":
        level = np.zeros(n_months)
        base = HIKES_2022_2023[0][1]
        for m, lvl in HIKES_2022_2023:
            level[m:] = (lvl - base) / 100.0
        shock += level
    return shock


def crisis_log_hpi_changes(n_months: int) -> np.ndarray:
    """Monthly log changes of the 1988–1993 path (log-linear within each year), zero after it ends."""
    out = np.zeros(n_months)
    idx = np.log(np.asarray(CRISIS_1988_1993_HPI))
    for y in range(len(idx) - 1):
        step = (idx[y + 1] - idx[y]) / 12.0
        a, b = 12 * y, min(12 * (y + 1), n_months)
        if a < n_months:
            out[a:b] = step
    return out


def crisis_unemployment_pp(n_months: int) -> np.ndarray:
    out = np.zeros(n_months)
    pts = np.asarray(CRISIS_1988_1993_UNEMPLOYMENT_PP)
    t = np.arange(n_months) / 12.0
    inside = t <= len(pts) - 1
    out[inside] = np.interp(t[inside], np.arange(len(pts)), pts)
    return out


@njit(parallel=True, nogil=True, cache=True)
def _macro_paths(
    seed: int,
    s0: int,
    n_scen: int,
    n_months: int,
    stochastic: bool,
    r0: float,
    kappa: float,
    theta: float,
    sigma: float,
    floor: float,
    rate_shock: np.ndarray,
    hpi_drift_m: np.ndarray,
    hpi_vol: float,
    hpi_beta: float,
    rho: float,
    hpi_shock_log: float,
    policy: np.ndarray,
    log_hpi: np.ndarray,
) -> None:
    a = math.exp(-kappa / 12.0)
    sd = sigma * math.sqrt((1.0 - a * a) / (2.0 * kappa)) if kappa > 0.0 else sigma * math.sqrt(1.0 / 12.0)
    vol_m = hpi_vol / math.sqrt(12.0)
    rho_c = math.sqrt(1.0 - rho * rho)
    for j in prange(n_scen):
        s = s0 + j
        k_rate = scenario_key(seed, s, STREAM_RATE)
        k_house = scenario_key(seed, s, STREAM_HOUSE)
        base = r0
        # The price index reacts to every change of the policy rate from the analysis date on, including an
        # immediate shock in month 0 (r[-1] = r0, the unshocked rate at the analysis date).
        prev = r0
        lh = hpi_shock_log
        for t in range(n_months):
            zr = 0.0
            if t > 0 and stochastic:
                zr = normal_at(k_rate, t)
                base = theta + (base - theta) * a + sd * zr
            r = base + rate_shock[t]
            if r < floor:
                r = floor
            policy[j, t] = r
            if t > 0:
                zh = normal_at(k_house, t)
                lh += hpi_drift_m[t - 1] - hpi_beta * (r - prev) + vol_m * (rho * zr + rho_c * zh)
            else:
                lh -= hpi_beta * (r - prev)
            log_hpi[j, t] = lh
            prev = r


def husbanken_floating(policy: np.ndarray, r0: float, spread: float, start_month: int) -> np.ndarray:
    """Husbanken's floating rate with the bi-monthly reset calendar and two-month lag (vectorised over S)."""
    n_scen, n_months = policy.shape
    hb = np.empty_like(policy)
    cur = np.full(n_scen, max(0.0, r0 + spread))
    for t in range(n_months):
        cal = (start_month - 1 + t) % 12  # 0 = January
        if cal % 2 == 0:  # 1 Jan, Mar, May, Jul, Sep, Nov
            a = policy[:, t - 4] if t - 4 >= 0 else np.full(n_scen, r0)
            b = policy[:, t - 3] if t - 3 >= 0 else np.full(n_scen, r0)
            cur = np.maximum(0.0, 0.5 * (a + b) + spread)
        hb[:, t] = cur
    return hb


def generate_paths(spec: ScenarioSpec, seed: int, s0: int, n_scen: int, n_months: int) -> ScenarioPaths:
    """Macro paths for global scenarios ``s0 … s0+n_scen−1`` (independent of how scenarios are chunked)."""
    A = spec.assumptions
    rate_shock = deterministic_rate_shock(spec, n_months)
    drift = np.full(n_months, (A.hpi_drift - 0.5 * A.hpi_vol**2) / 12.0)
    if spec.house_prices == "crisis-1988-1993":
        crisis = crisis_log_hpi_changes(n_months)
        n_crisis = min(n_months, 12 * (len(CRISIS_1988_1993_HPI) - 1))
        drift[:n_crisis] = crisis[:n_crisis] - 0.5 * A.hpi_vol**2 / 12.0
    policy = np.empty((n_scen, n_months))
    log_hpi = np.empty((n_scen, n_months))
    _macro_paths(
        int(seed),
        int(s0),
        int(n_scen),
        int(n_months),
        spec.rate_model == "vasicek",
        A.policy_rate_0,
        A.vasicek_kappa,
        A.vasicek_theta,
        A.vasicek_sigma,
        A.policy_rate_floor,
        rate_shock,
        drift,
        A.hpi_vol,
        A.hpi_rate_beta,
        A.hpi_rate_corr,
        math.log1p(spec.house_price_shock_pct / 100.0),
        policy,
        log_hpi,
    )
    hb = husbanken_floating(policy, A.policy_rate_0, A.husbanken_spread, spec.start_month)
    bank = policy + A.bank_loan_spread
    u = A.unemployment_0 + A.unemployment_rate_beta * (policy - A.policy_rate_0)
    u = u + spec.unemployment_shock_pp / 100.0
    if spec.house_prices == "crisis-1988-1993":
        u = u + crisis_unemployment_pp(n_months)[None, :] / 100.0
    u = np.clip(u, 0.0, 0.5)
    sep = np.minimum(1.0, A.job_finding_rate * u / (1.0 - u))
    t = np.arange(n_months, dtype=np.float64)
    inc = (1.0 + A.wage_growth) ** (t / 12.0) * (1.0 + spec.income_shock_pct / 100.0)
    cost = (1.0 + A.cost_growth) ** (t / 12.0)
    return ScenarioPaths(
        s0=s0,
        policy=policy,
        hb_rate=hb,
        bank_rate=bank,
        hpi=np.exp(log_hpi),
        separation=sep,
        income_index=np.ascontiguousarray(np.broadcast_to(inc, (n_scen, n_months))),
        cost_index=np.ascontiguousarray(np.broadcast_to(cost, (n_scen, n_months))),
    )
