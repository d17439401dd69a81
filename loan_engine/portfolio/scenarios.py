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
from loan_engine.portfolio import scenario_files
from loan_engine.portfolio.assumptions import DEFAULT_ASSUMPTIONS, ModelAssumptions
from loan_engine.portfolio.rng import STREAM_CPI, STREAM_HOUSE, STREAM_INCOME, STREAM_RATE, normal_at, scenario_key
from loan_engine.portfolio.scenario_files import CustomPaths

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

# CPI inflation and wage growth of 2022–2023 (annual rates, applied to the months of each year).
# CPI: SSB, "Ekstraordinært år for prisveksten i 2022" (årsvekst KPI 5.8 % 2021→2022) and "Kraftig prisvekst i
# 2023" (årsvekst 5.5 % 2022→2023), ssb.no/priser-og-prisindekser/konsumpriser/statistikk/konsumprisindeksen/artikler.
# Wages: SSB Lønn, average monthly earnings per full-time equivalent, November to November: +4.6 % 2022
# ("Høyeste lønnsvekst siden 2008") and +6.0 % 2023 ("Månedslønnen økte med 3 200 kr"; partly delayed 2022
# settlements), ssb.no/arbeid-og-lonn/lonn-og-arbeidskraftkostnader/statistikk/lonn/artikler.
CPI_2022_2023: tuple[float, ...] = (0.058, 0.055)
WAGES_2022_2023: tuple[float, ...] = (0.046, 0.060)
CPI_WAGES_SOURCE = "SSB KPI årsvekst 2022 5.8 %, 2023 5.5 %; SSB Lønn månedslønn +4.6 % (2022), +6.0 % (2023)"
CPI_WAGES_STATUS = "confirmed"
# Registered unemployment did not rise in 2022–2023 (it fell in 2022 and edged up in 2023, staying below its
# 2019 level); the preset holds the unemployment rate at the analysis-date level while the historical path runs.
# NOT CONFIRMED in the reference store (NAV monthly figures): replace by NAV's series when available.
UNEMPLOYMENT_2022_2023_PP: tuple[float, ...] = (0.0, 0.0)
UNEMPLOYMENT_2022_2023_STATUS = "not-confirmed"

# 1988–1993 Norwegian housing crisis: nominal house-price index by year (1988 = 1) and the rise in the
# unemployment rate (pp) relative to 1988. NOT CONFIRMED: order-of-magnitude values (nominal fall of roughly a
# quarter to the 1992 trough, registered+AKU unemployment from ~2 % to ~6 %); replace with Norges Bank HMS /
# SSB series when available. With CPI inflation of those years and the preset's +300 bp the real fall from the
# 1988 level to the 1992 trough is ≈ 40 %, the figure secondary sources give for the real fall (e.g. "boligprisene
# falt rundt 40 prosent" 1988–92; NRK / Norges Bank historical series).
CRISIS_1988_1993_HPI: tuple[float, ...] = (1.00, 0.96, 0.89, 0.83, 0.78, 0.80, 0.86)
CRISIS_1988_1993_UNEMPLOYMENT_PP: tuple[float, ...] = (0.0, 1.5, 2.5, 3.0, 3.5, 3.5, 2.5, 1.5, 0.5)
# CPI inflation 1988–1993 (SSB KPI årsvekst, from SSB's historical table 03014; SECONDARY — values as commonly
# cited: 6.7, 4.6, 4.1, 3.4, 2.3, 2.3 %).
CRISIS_1988_1993_CPI: tuple[float, ...] = (0.067, 0.046, 0.041, 0.034, 0.023, 0.023)
CRISIS_STATUS = "not-confirmed"
REAL_PRICE_FALL_1988_1993 = 0.40  # secondary sources; the calibration check compares the preset with it

PRESETS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "rate-up-200bp": {"rate_shock_bp": 200},
    "rate-up-400bp-ramped": {"rate_shock_bp": 400, "rate_shock_ramp_months": 12},
    "rate-down-100bp": {"rate_shock_bp": -100},
    # As it happened: the policy-rate changes of 2022–2023 (+4.0 pp over 24 months) on top of today's rate, the
    # CPI and wage growth of those years, unemployment as it was (no rise); then everything mean-reverts.
    "hikes-2022-2023": {"rate_path": "hikes-2022-2023"},
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
    cost_shock_pct: float = 0.0  # one-off level shift of living costs (cost-of-living shock)
    start_month: int = 1  # calendar month of t = 0 (Husbanken's reset calendar)
    preset: str | None = None
    assumptions: ModelAssumptions = field(default_factory=lambda: DEFAULT_ASSUMPTIONS)
    custom: CustomPaths | None = None  # user paths (scenario_files.py) replace the model's macro paths

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
            "cost_shock_pct": self.cost_shock_pct,
            "start_month": self.start_month,
            "custom_paths": None if self.custom is None else self.custom.summary(),
        }


_RANGES: dict[str, tuple[float, float]] = {
    "rate_shock_bp": (-1000.0, 2000.0),
    "rate_shock_ramp_months": (0, 120),
    "house_price_shock_pct": (-90.0, 100.0),
    "unemployment_shock_pp": (-10.0, 50.0),
    "income_shock_pct": (-90.0, 100.0),
    "cost_shock_pct": (-50.0, 200.0),
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
    custom = None
    if "paths" in data or "paths_csv" in data:
        rows = data.pop("paths", None)
        text = data.pop("paths_csv", None)
        if rows is not None and text is not None:
            raise InvalidInput("Give either paths or paths_csv, not both.", field=f"{path}.paths", rule="one-of")
        if text is not None:
            if not isinstance(text, str):
                raise InvalidInput("paths_csv must be CSV text.", field=f"{path}.paths_csv", rule="not-text")
            custom = scenario_files.load_paths(scenario_files.parse_csv(text))
        else:
            custom = scenario_files.load_paths(scenario_files.parse_json(rows))
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
    return replace(spec, preset=preset, assumptions=assumptions, custom=custom, **values)


@dataclass(frozen=True)
class ScenarioPaths:
    """Monthly macro paths for scenarios ``s0 … s0+S−1``; every array is (S, T)."""

    s0: int
    policy: np.ndarray
    hb_rate: np.ndarray  # Husbanken floating nominal (kommune funding); customers pay + kommune_margin
    bank_rate: np.ndarray
    hpi: np.ndarray
    separation: np.ndarray  # monthly job-loss probability
    income_index: np.ndarray  # wage index × systematic income factor × income shock
    cost_index: np.ndarray  # CPI index × cost shock (living costs)
    cpi_inflation: np.ndarray  # annual CPI inflation in month t
    wage_growth: np.ndarray  # annual wage growth in month t
    unemployment: np.ndarray  # unemployment rate


def deterministic_rate_shock(spec: ScenarioSpec, n_months: int) -> np.ndarray:
    """Additive parallel policy-rate shock per month (fraction); historical paths are :func:`historical_anchors`."""
    t = np.arange(n_months, dtype=np.float64)
    shock = np.zeros(n_months)
    if spec.rate_shock_bp != 0.0:
        ramp = spec.rate_shock_ramp_months
        w = np.minimum(1.0, (t + 1.0) / ramp) if ramp > 0 else np.ones(n_months)
        shock += spec.rate_shock_bp / 10_000.0 * w
    return shock


def hikes_rate_changes(n_months: int) -> np.ndarray:
    """Policy-rate change since January 2022 by month (fraction), NaN after December 2023."""
    out = np.full(n_months, np.nan)
    n = min(n_months, 24)
    level = np.zeros(24)
    base = HIKES_2022_2023[0][1]
    for m, lvl in HIKES_2022_2023:
        level[m:] = (lvl - base) / 100.0
    out[:n] = level[:n]
    return out


def _yearly(values: tuple[float, ...], n_months: int) -> np.ndarray:
    out = np.full(n_months, np.nan)
    for y, v in enumerate(values):
        a, b = 12 * y, min(12 * (y + 1), n_months)
        if a < n_months:
            out[a:b] = v
    return out


def historical_anchors(spec: ScenarioSpec, n_months: int) -> dict[str, np.ndarray]:
    """Months where a preset pins a path to history (NaN = free): rate change since t=0, CPI inflation, wage
    growth, unemployment change (pp as fraction)."""
    nan = np.full(n_months, np.nan)
    a = {"rate": nan.copy(), "cpi": nan.copy(), "wage": nan.copy(), "unemp": nan.copy()}
    if spec.rate_path == "hikes-2022-2023":
        a["rate"] = hikes_rate_changes(n_months)
        a["cpi"] = _yearly(CPI_2022_2023, n_months)
        a["wage"] = _yearly(WAGES_2022_2023, n_months)
        a["unemp"] = _yearly(UNEMPLOYMENT_2022_2023_PP, n_months) / 100.0
    if spec.house_prices == "crisis-1988-1993":
        a["cpi"] = np.where(np.isnan(a["cpi"]), _yearly(CRISIS_1988_1993_CPI, n_months), a["cpi"])
    return a


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


@njit(inline="always", cache=True)
def _ou_sd(kappa: float, sigma: float) -> float:
    a = math.exp(-kappa / 12.0)
    return sigma * math.sqrt((1.0 - a * a) / (2.0 * kappa)) if kappa > 0.0 else sigma * math.sqrt(1.0 / 12.0)


@njit(parallel=True, nogil=True, cache=True)
def _macro_paths(
    seed: int,
    s0: int,
    stochastic: bool,
    fp: np.ndarray,
    start_month: int,
    rate_shock: np.ndarray,
    hpi_drift_m: np.ndarray,
    u_overlay: np.ndarray,
    anc_rate: np.ndarray,
    anc_cpi: np.ndarray,
    anc_wage: np.ndarray,
    anc_unemp: np.ndarray,
    policy: np.ndarray,
    hb: np.ndarray,
    log_hpi: np.ndarray,
    sep: np.ndarray,
    inc: np.ndarray,
    cost: np.ndarray,
    cpi_out: np.ndarray,
    wage_out: np.ndarray,
    u_out: np.ndarray,
) -> None:
    """Every macro path of every scenario in one pass (one scenario per iteration, months in order)."""
    r0, kappa, theta, sigma, floor = fp[0], fp[1], fp[2], fp[3], fp[4]
    hpi_vol, hpi_beta, rho, hpi_shock_log = fp[5], fp[6], fp[7], fp[8]
    spread, u0, beta_u, find = fp[9], fp[10], fp[11], fp[12]
    pi0, pi_bar, k_pi, s_pi, rho_pi = fp[13], fp[14], fp[15], fp[16], fp[17]
    real_w, passthrough = fp[18], fp[19]
    k_x, s_x, load_x = fp[20], fp[21], fp[22]
    inc_level, cost_level = fp[23], fp[24]
    n_scen, n_months = policy.shape
    a = math.exp(-kappa / 12.0)
    sd = _ou_sd(kappa, sigma)
    a_pi = math.exp(-k_pi / 12.0)
    sd_pi = _ou_sd(k_pi, s_pi)
    a_x = math.exp(-k_x / 12.0)
    sd_x = _ou_sd(k_x, s_x)
    vol_m = hpi_vol / math.sqrt(12.0)
    rho_c = math.sqrt(1.0 - rho * rho)
    rho_pc = math.sqrt(1.0 - rho_pi * rho_pi)
    hb0 = max(0.0, r0 + spread)
    for j in prange(n_scen):
        s = s0 + j
        k_rate = scenario_key(seed, s, STREAM_RATE)
        k_house = scenario_key(seed, s, STREAM_HOUSE)
        k_cpi = scenario_key(seed, s, STREAM_CPI)
        k_fac = scenario_key(seed, s, STREAM_INCOME)
        base = r0
        prev = r0  # r[-1]: the unshocked rate at the analysis date (an immediate shock reaches prices in month 0)
        lh = hpi_shock_log
        pi = pi0
        x = 0.0
        lcpi = 0.0
        lw = 0.0
        anchored = False
        revert = stochastic
        u_lvl = 0.0  # unemployment change pinned by history
        r_ref = r0  # rate from which the unemployment response is measured
        cur_hb = hb0
        for t in range(n_months):
            zr = 0.0
            zp = 0.0
            zx = 0.0
            if t > 0:
                zr = normal_at(k_rate, t) if stochastic else 0.0
                zp = normal_at(k_cpi, t) if stochastic else 0.0
                zx = normal_at(k_fac, t) if stochastic else 0.0
            ar = anc_rate[t]
            if ar == ar:  # pinned to the historical path (changes since t=0)
                base = r0 + ar
                anchored = True
            else:
                if anchored:
                    revert = True  # after a historical path: mean reversion (deterministic when not stochastic)
                if t > 0 and revert:
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
            # CPI inflation: OU towards the target, shocks correlated with the rate shocks; or history.
            ac = anc_cpi[t]
            if ac == ac:
                pi = ac
            elif t > 0:
                pi = pi_bar + (pi - pi_bar) * a_pi + sd_pi * (rho_pi * zr + rho_pc * zp)
            cpi_out[j, t] = pi
            aw = anc_wage[t]
            g = aw if aw == aw else pi_bar + real_w + passthrough * (pi - pi_bar)
            wage_out[j, t] = g
            if t > 0:
                lcpi += math.log1p(pi) / 12.0
                lw += math.log1p(g) / 12.0
            # Systematic labour-market factor (own randomness) and unemployment.
            if t > 0:
                x = x * a_x + sd_x * zx
            au = anc_unemp[t]
            if au == au:
                u_lvl = au
                r_ref = r
                u = u0 + au + x
            else:
                u = u0 + u_lvl + beta_u * (r - r_ref) + x
            u += u_overlay[t]
            if u < 0.0:
                u = 0.0
            if u > 0.5:
                u = 0.5
            u_out[j, t] = u
            p_sep = find * u / (1.0 - u)
            sep[j, t] = p_sep if p_sep < 1.0 else 1.0
            inc[j, t] = math.exp(lw - load_x * x) * inc_level
            cost[j, t] = math.exp(lcpi) * cost_level
            # Husbanken floating: resets 1 Jan/Mar/May/Jul/Sep/Nov to the mean policy rate of the two months that
            # ended two months earlier, + spread, floored at 0.
            cal = (start_month - 1 + t) % 12
            if cal % 2 == 0:
                pa = policy[j, t - 4] if t - 4 >= 0 else r0
                pb = policy[j, t - 3] if t - 3 >= 0 else r0
                cur_hb = 0.5 * (pa + pb) + spread
                if cur_hb < 0.0:
                    cur_hb = 0.0
            hb[j, t] = cur_hb


def husbanken_floating(policy: np.ndarray, r0: float | np.ndarray, spread: float, start_month: int) -> np.ndarray:
    """Husbanken's floating rate with the bi-monthly reset calendar and two-month lag (vectorised over S).

    The reference for the same rule inside :func:`_macro_paths` (tests compare them)."""
    n_scen, n_months = policy.shape
    hb = np.empty_like(policy)
    r0v = np.broadcast_to(np.asarray(r0, dtype=np.float64), (n_scen,))
    cur = np.maximum(0.0, r0v + spread)
    for t in range(n_months):
        cal = (start_month - 1 + t) % 12  # 0 = January
        if cal % 2 == 0:  # 1 Jan, Mar, May, Jul, Sep, Nov
            a = policy[:, t - 4] if t - 4 >= 0 else r0v
            b = policy[:, t - 3] if t - 3 >= 0 else r0v
            cur = np.maximum(0.0, 0.5 * (a + b) + spread)
        hb[:, t] = cur
    return hb


def macro_params(spec: ScenarioSpec) -> np.ndarray:
    A = spec.assumptions
    return np.array(
        [
            A.policy_rate_0,
            A.vasicek_kappa,
            A.vasicek_theta,
            A.vasicek_sigma,
            A.policy_rate_floor,
            A.hpi_vol,
            A.hpi_rate_beta,
            A.hpi_rate_corr,
            math.log1p(spec.house_price_shock_pct / 100.0),
            A.husbanken_spread,
            A.unemployment_0 + spec.unemployment_shock_pp / 100.0,
            A.unemployment_rate_beta,
            A.job_finding_rate,
            A.cpi_inflation_0,
            A.cpi_target,
            A.cpi_kappa,
            A.cpi_sigma,
            A.cpi_rate_corr,
            A.real_wage_growth,
            A.wage_cpi_passthrough,
            A.factor_kappa,
            A.factor_sigma,
            A.income_factor_loading,
            1.0 + spec.income_shock_pct / 100.0,
            1.0 + spec.cost_shock_pct / 100.0,
        ],
        dtype=np.float64,
    )


def generate_paths(spec: ScenarioSpec, seed: int, s0: int, n_scen: int, n_months: int) -> ScenarioPaths:
    """Macro paths for global scenarios ``s0 … s0+n_scen−1`` (independent of how scenarios are chunked)."""
    if spec.custom is not None:
        return _custom_paths(spec, spec.custom, s0, n_scen, n_months)
    A = spec.assumptions
    rate_shock = deterministic_rate_shock(spec, n_months)
    drift = np.full(n_months, (A.hpi_drift - 0.5 * A.hpi_vol**2) / 12.0)
    overlay = np.zeros(n_months)
    if spec.house_prices == "crisis-1988-1993":
        crisis = crisis_log_hpi_changes(n_months)
        n_crisis = min(n_months, 12 * (len(CRISIS_1988_1993_HPI) - 1))
        drift[:n_crisis] = crisis[:n_crisis] - 0.5 * A.hpi_vol**2 / 12.0
        overlay = crisis_unemployment_pp(n_months) / 100.0
    anc = historical_anchors(spec, n_months)
    shape = (n_scen, n_months)
    policy, hb, log_hpi, sep = np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape)
    inc, cost, cpi, wage, unemp = np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape)
    _macro_paths(
        int(seed),
        int(s0),
        spec.rate_model == "vasicek",
        macro_params(spec),
        int(spec.start_month),
        rate_shock,
        drift,
        overlay,
        anc["rate"],
        anc["cpi"],
        anc["wage"],
        anc["unemp"],
        policy,
        hb,
        log_hpi,
        sep,
        inc,
        cost,
        cpi,
        wage,
        unemp,
    )
    return ScenarioPaths(
        s0=s0,
        policy=policy,
        hb_rate=hb,
        bank_rate=policy + A.bank_loan_spread,
        hpi=np.exp(log_hpi),
        separation=sep,
        income_index=inc,
        cost_index=cost,
        cpi_inflation=cpi,
        wage_growth=wage,
        unemployment=unemp,
    )


def _custom_paths(spec: ScenarioSpec, c: CustomPaths, s0: int, n_scen: int, n_months: int) -> ScenarioPaths:
    """Macro paths from a user file (deterministic per file scenario), with the spec's shocks on top."""
    A = spec.assumptions
    w = c.window(s0, n_scen, n_months)
    shock = deterministic_rate_shock(spec, n_months)[None, :]
    policy = w["policy"] + shock
    hb = husbanken_floating(policy, w["policy"][:, 0], A.husbanken_spread, spec.start_month)
    log_hpi = np.log(w["hpi"]) + math.log1p(spec.house_price_shock_pct / 100.0) - A.hpi_rate_beta * shock

    def index(rate: np.ndarray) -> np.ndarray:
        lg = np.zeros_like(rate)
        lg[:, 1:] = np.cumsum(np.log1p(rate[:, 1:]) / 12.0, axis=1)
        return np.exp(lg)

    u = np.clip(w["unemployment"] + spec.unemployment_shock_pp / 100.0, 0.0, 0.5)
    return ScenarioPaths(
        s0=s0,
        policy=policy,
        hb_rate=hb,
        bank_rate=policy + A.bank_loan_spread,
        hpi=np.exp(log_hpi),
        separation=np.minimum(1.0, A.job_finding_rate * u / (1.0 - u)),
        income_index=index(w["wage_growth"]) * (1.0 + spec.income_shock_pct / 100.0),
        cost_index=index(w["cpi_inflation"]) * (1.0 + spec.cost_shock_pct / 100.0),
        cpi_inflation=w["cpi_inflation"],
        wage_growth=w["wage_growth"],
        unemployment=u,
    )
