"""The ladder's interest-only step (avdragsfrihet, at most the parameter set's 8 years), tested as it helps in
practice: the interest-only payment against today's income, the full payment afterwards against the income
expected then (an income with ``starts_on``). Husbanken's grant guidance names avdragsfrihet before a grant
(domain_rules §4); the reason the rules require is the expected income rise, recorded in the step.

Rule, with the stress rate r, the term T years, k interest-only years (k = the whole years until the rise
starts, 1 ≤ k ≤ max)::

    loan ≤ A_today / (r/12)                              (interest only, today's budget)
    loan ≤ max_principal(A_today + rise, r, (T − k)·12)  (full annuity after the interest-only years)

Where no rise is expected, interest-only years only shorten the repayment period afterwards (a higher binding
payment), so the step says it does not help.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_engine.explain import kr_en, kr_nb, pct_en, pct_nb
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting.affordability import AffordabilityResult, Fee, RateType, fee_ore
from loan_engine.underwriting.amortization import Repayment, peak_payment_per_krone


@dataclass(frozen=True)
class IncomeRise:
    """Net monthly income expected to be added ``years_from_now`` years after the loan starts."""

    monthly: float
    years_from_now: float
    description: str = ""


def interest_only_capacity_vec(
    available: npt.ArrayLike,
    rise_monthly: npt.ArrayLike,
    rise_years: npt.ArrayLike,
    stress_rate: npt.ArrayLike,
    term_years: npt.ArrayLike,
    max_years: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The rule over arrays: (interest-only years k, cap from the interest-only payment, cap from the full payment
    afterwards, offered). Offered where a rise is expected, today's budget is positive and 1 ≤ k ≤ max < term."""
    a = np.asarray(available, dtype=np.float64)
    rise = np.asarray(rise_monthly, dtype=np.float64)
    years = np.asarray(rise_years, dtype=np.float64)
    r = np.asarray(stress_rate, dtype=np.float64)
    term = np.asarray(term_years, dtype=np.int64)
    k = np.maximum(1, np.ceil(np.nan_to_num(years, nan=1e9) - 1e-9)).astype(np.int64)
    offered = (np.nan_to_num(rise) > 0) & (a > 0) & (k <= max_years) & (k < term)
    i = r / 12
    with np.errstate(divide="ignore", invalid="ignore"):
        io_cap = np.where(i > 0, a / i, np.inf)
        n = np.maximum(term - k, 1) * 12
        factor = np.where(i > 0, -np.expm1(-n * np.log1p(i)) / i, n)
    after = np.where(offered, (a + np.nan_to_num(rise)) * factor, 0.0)
    return k, np.where(offered, io_cap, 0.0), after, offered


def _max_years(params: UnderwritingParameters) -> int:
    return params.budget.interest_only_max_years or params.max_interest_only_years


def interest_only_not_helping(plan: Any, params: UnderwritingParameters) -> tuple[str, str]:
    rise: IncomeRise | None = plan.income_rise
    limit = _max_years(params)
    if rise is None or rise.monthly <= 0:
        return (
            "Avdragsfrihet hjelper ikke: ingen inntektsøkning er ventet (ingen inntekt med startdato), så full betaling "
            "etter de avdragsfrie årene blir høyere enn uten avdragsfrihet.",
            "Interest-only years do not help: no income rise is expected (no income with a start date), so the full "
            "payment after the interest-only years would be higher than without them.",
        )
    return (
        f"Avdragsfrihet hjelper ikke: inntektsøkningen kommer om {rise.years_from_now:.1f} år, etter høyst {limit} "
        "avdragsfrie år.".replace(".", ",", 1),
        f"Interest-only years do not help: the income rise comes in {rise.years_from_now:.1f} years, after the "
        f"{limit} interest-only years allowed.",
    )


def interest_only_trial(
    plan: Any, st: Any, best: AffordabilityResult, required: int, params: UnderwritingParameters
) -> tuple[Any, AffordabilityResult, str, str] | None:
    """``(state, result, nb, en)`` for the interest-only step, or ``None`` when it does not help."""
    rise: IncomeRise | None = plan.income_rise
    limit = _max_years(params)
    if rise is None or rise.monthly <= 0:
        return None
    r = best.stress_rate
    today = best.available_for_startlan_monthly
    ks, io_caps, afters, offered = interest_only_capacity_vec(
        [today], [rise.monthly], [rise.years_from_now], [r], [st.term_years], limit
    )
    if not bool(offered[0]):
        return None
    k, io_cap, after = int(ks[0]), float(io_caps[0]), float(afters[0])
    capacity = max(0, math.floor(min(io_cap, after) + 1e-7))
    loan = capacity if best.dwelling_cap is None else min(capacity, best.dwelling_cap)
    if loan <= best.max_loan:
        return None
    fees = tuple(Fee(name, a / 100) for name, a in fee_ore(loan, params.fees))
    payout = loan - sum(f.amount for f in fees)
    cand = replace(
        best,
        max_loan=loan,
        rate_type=RateType.FLOATING,
        fixed_rate=None,
        fixation_years=None,
        payment_capacity_limit=capacity,
        interest_only_years=k,
        fees=fees,
        payout=payout,
        first_monthly_payment=loan * params.startlan_floating_rate / 12,
        peak_monthly_payment_at_stress=loan * peak_payment_per_krone(r, st.term_years * 12, Repayment.ANNUITY, k * 12),
    )
    # tested at the floating stress rate (a fixed rate's lower payments are not relied on here)
    trial = replace(st, interest_only_years=k, rate_type=RateType.FLOATING, fixation_years=None)
    nb = (
        f"Avdragsfrihet i {k} år (høyst {limit}; begrunnelse: ventet inntektsøkning {kr_nb(rise.monthly)} per måned om "
        f"{rise.years_from_now:.1f} år{', ' + rise.description if rise.description else ''}): renter alene med "
        f"{pct_nb(r)} tåler et lån på {kr_nb(io_cap)} med dagens inntekt; full betaling over de {st.term_years - k} "
        f"årene etterpå tåler {kr_nb(after)} med inntekten da. Største lån {kr_nb(loan)}."
    )
    en = (
        f"Interest-only for {k} years (at most {limit}; reason: an expected income rise of {kr_en(rise.monthly)} a month "
        f"in {rise.years_from_now:.1f} years{', ' + rise.description if rise.description else ''}): interest alone at "
        f"{pct_en(r)} carries a loan of {kr_en(io_cap)} on today's income; the full payment over the {st.term_years - k} "
        f"years after carries {kr_en(after)} on the income then. Maximum loan {kr_en(loan)}."
    )
    return trial, cand, nb, en
