"""One household's risk from the stress-test kernel: one loan × N scenarios.

For a single loan record (the portfolio fields; an affordability answer or a case gives the amount, income, living
costs, dwelling value and any bank loan): the probability of arrears and of a forced sale (or debt settlement)
within 5 and 10 years, and the expected loss with its kommune / state split — the same kernel, the same scenario
set, the same rules as the portfolio stress test.

The kommune's scenario set (macro paths for (scenario specification, seed, scenarios, months)) is generated once
and cached in the process (``scenario_set``), so a caseworker's request only runs the one-loan kernel.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.portfolio.engine import funding_rate, path_months, prepare, simulate_range_loans
from loan_engine.portfolio.loans import portfolio_from_records
from loan_engine.portfolio.scenarios import ScenarioPaths, ScenarioSpec, generate_paths

MAX_HOUSEHOLD_SCENARIOS = 10_000
MAX_HOUSEHOLD_YEARS = 40
_CACHE_SIZE = 2  # a 10 000 × 360 set is ≈ 230 MB (the six paths the kernel reads and the funding rate)
_cache: OrderedDict[str, tuple[ScenarioPaths, np.ndarray]] = OrderedDict()
_lock = threading.Lock()
# One scenario set is built at a time in a process: concurrent requests for sets not in the cache wait here rather
# than each building its own (≈ 230 MB kept, more while it is built), so memory stays bounded under concurrency;
# requests for the same set build it once.
_build_lock = threading.Lock()


def _key(spec: ScenarioSpec, seed: int, n_scen: int, n_months: int) -> str:
    spec_d = spec.to_dict()
    custom = spec.custom
    if custom is not None:
        spec_d["custom_hash"] = hash(custom.policy.tobytes() + custom.hpi.tobytes() + custom.unemployment.tobytes())
    return json.dumps([spec_d, spec.assumptions.describe(), seed, n_scen, n_months], sort_keys=True, default=str)


def scenario_set(spec: ScenarioSpec, seed: int, n_scen: int, n_months: int) -> ScenarioPaths:
    """The macro paths for scenarios 0 … n_scen−1, built once per (spec, seed, size) and cached (LRU)."""
    return _scenario_set(spec, seed, n_scen, n_months)[0]


def _scenario_set(spec: ScenarioSpec, seed: int, n_scen: int, n_months: int) -> tuple[ScenarioPaths, np.ndarray]:
    """The cached paths and the kommune's funding rate on them (``engine.funding_rate``, computed once too)."""
    k = _key(spec, seed, n_scen, n_months)
    with _lock:
        hit = _cache.get(k)
        if hit is not None:
            _cache.move_to_end(k)
            return hit
    with _build_lock:
        with _lock:
            hit = _cache.get(k)  # built by the request this one waited for
            if hit is not None:
                _cache.move_to_end(k)
                return hit
        return _build(k, spec, seed, n_scen, n_months)


def _build(k: str, spec: ScenarioSpec, seed: int, n_scen: int, n_months: int) -> tuple[ScenarioPaths, np.ndarray]:
    full = generate_paths(spec, seed, 0, n_scen, n_months)
    none = np.empty((0, 0))
    # Keep only what the kernel reads (and the funding rate is computed from hb_rate).
    paths = dataclasses.replace(
        full, policy=none, cpi_inflation=none, wage_growth=none, unemployment=none, separation=none
    )
    del full
    entry = (paths, funding_rate(paths.hb_rate, spec.assumptions))
    with _lock:
        _cache[k] = entry
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return entry


def loan_from_affordability(
    request: dict[str, Any], result: dict[str, Any], principal: float | None = None
) -> dict[str, Any]:
    """The loan record of an affordability answer (``POST /v1/affordability`` or a case's assessment): the
    startlån (``principal``, default the maximum loan) on the answer's terms, the household's counted income and
    living costs (+ other fixed costs), the dwelling's price (else the loans' total) and the bank loan ahead."""
    amount = float(principal if principal is not None else result.get("max_loan") or 0.0)
    if not amount > 0:
        raise InvalidInput(
            "The affordability answer gives no loan to assess (maximum loan 0).",
            field="affordability.result.max_loan",
            rule="no-loan",
        )
    months = int(result["term_years"]) * 12
    bank = (request.get("bank_loan") or {}).get("amount") or 0.0
    dwelling = request.get("dwelling") or {}
    rec: dict[str, Any] = {
        "balance": amount,
        "remaining_term_months": months,
        "repayment": result.get("repayment", "annuity"),
        "interest_only_months_left": min(months, int(result.get("interest_only_years") or 0) * 12),
        "net_income_monthly": float(result["counted_income_monthly"]),
        "living_costs_monthly": float(result["living_costs"]["amount"])
        + float(result.get("other_fixed_costs_monthly") or 0),
        "dwelling_value": float(dwelling.get("price") or (amount + bank)),
    }
    if result.get("rate_type") == "fixed" and result.get("fixed_rate") is not None:
        rec["rate_type"] = "fixed"
        rec["fixed_rate"] = float(result["fixed_rate"])
        rec["fixation_months_left"] = min(months, int(result.get("fixation_years") or result["term_years"]) * 12)
    if bank > 0:
        rec["priority"] = "second"
        rec["prior_loan_balance"] = float(bank)
    return rec


def _prob(x: np.ndarray) -> dict[str, float]:
    n = x.shape[0]
    p = float(x.mean())
    return {"value": p, "se": math.sqrt(max(p * (1 - p), 0.0) / n)}


def household_risk(
    record: dict[str, Any], spec: ScenarioSpec, n_scenarios: int = 10_000, years: int = 30, seed: int = 0
) -> dict[str, Any]:
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int) or n_scenarios < 10:
        raise InvalidInput("scenarios must be a whole number ≥ 10.", field="scenarios", rule="min-10-scenarios")
    if n_scenarios > MAX_HOUSEHOLD_SCENARIOS:
        raise LimitExceeded(
            f"{n_scenarios} scenarios; the limit is max-household-scenarios = {MAX_HOUSEHOLD_SCENARIOS}.",
            field="scenarios",
            rule="max-household-scenarios",
        )
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_HOUSEHOLD_YEARS:
        raise InvalidInput(f"years must be 1–{MAX_HOUSEHOLD_YEARS}.", field="years", rule="years-range")
    p = portfolio_from_records([record])
    T = years * 12  # noqa: N806
    paths, fund = _scenario_set(spec, seed, n_scenarios, path_months(T, spec.assumptions))
    out, _ = simulate_range_loans(
        prepare(p, spec.assumptions), spec, seed, 0, n_scenarios, T, record_loans=False, paths=paths, fund_rate=fund
    )
    res: dict[str, Any] = {"scenarios": n_scenarios, "years": years, "seed": seed}
    for h in (5, 10):
        if h <= years:
            res[f"arrears_within_{h}y"] = _prob(out.arrears[:, :h].sum(axis=1) > 0)
            res[f"forced_sale_within_{h}y"] = _prob((out.defaults[:, :h] + out.settlements[:, :h]).sum(axis=1) > 0)
    from loan_engine.portfolio.results import mean_se

    res["expected_loss"] = {
        "total": mean_se(out.loss_total),
        "kommune": mean_se(out.loss_kommune),
        "state": mean_se(out.loss_state),
    }
    res["prepaid_or_refinanced"] = _prob(out.prepaid.sum(axis=1) > 0)
    res["scenario"] = spec.to_dict()
    return res


def to_public(res: dict[str, Any]) -> dict[str, Any]:
    """Probabilities in percent, money in whole NOK."""
    out: dict[str, Any] = {}
    for k, v in res.items():
        if k.startswith(("arrears_within", "forced_sale_within", "prepaid")):
            out[k + "_pct"] = {kk: round(vv * 100.0, 4) for kk, vv in v.items()}
        elif k == "expected_loss":
            out[k] = {part: {kk: round(vv) for kk, vv in d.items()} for part, d in v.items()}
        else:
            out[k] = v
    return out
