"""Screening a whole register for ownership potential — the single-household rules, vectorised.

One rule, one place
-------------------
For each household the screening answers what the **financing ladder**
(:mod:`loan_engine.underwriting.financing_ladder`)
answers for one household buying the suitable dwelling in its area, plus the largest startlån under the reference
terms and under the best terms the rules allow (:func:`loan_engine.underwriting.affordability.assess_affordability`):

* the budget is :func:`~loan_engine.underwriting.affordability.assess_affordability`'s: counted net income − living
costs
  (SIFO, never below the social-assistance floor) − other fixed costs − existing debt payments − the dwelling's
  running costs;
* the stress rate is :func:`~loan_engine.underwriting.affordability.startlan_stress_rate`; the largest principal
per krone of
  monthly surplus is :func:`loan_engine.underwriting.amortization.annuity_factor` /
  :func:`~loan_engine.underwriting.amortization.
  peak_payment_per_krone` (a fixed rate during the fixation period, the stress rate after it) — computed once per
  (rate, term) as scalars and applied to the whole array;
* fees and the payout are :func:`~loan_engine.underwriting.affordability.fee_ore` rules, vectorised in integer øre
  (:func:`payout_ore_vec`, :func:`loan_for_payout_vec` find the same smallest loan as the scalar bisection);
* the ladder's steps and their order come from the parameter set (``ladder_order``); a step keeps the earlier
  steps' improvements and the ladder stops at the first step that works; the grant comes last and is the
  smallest whole-krone grant that makes the purchase serviceable (closed form of
  :func:`loan_engine.underwriting.financing_ladder.smallest_grant`, see :func:`smallest_grant_vec`).

:func:`screen_one` runs the **single-household** functions themselves for one row (used by the tests, which check
every row of a sample register, and by the row-by-row baseline of ``benchmarks/screening.py``).

Screening choices (documented, not national rules)
--------------------------------------------------
* **50 years** (§ 8-5) is tried only for households the register flags ``permanently_low_income`` (condition a);
  for them the screening assumes b)–d) plausibly hold (the dwelling is chosen to be suitable; municipal tenants
  are by definition poorly served by the rental market; the ladder only lengthens the term when 30 years is not
  enough). The caseworker must document all four before a loan is granted.
* Bostøtte received today is **not** counted as income (it is recalculated after a move) unless
  ``count_bostotte`` is set; then it counts as ``housing_allowance`` income, as the single answer would.
* **Within reach with a grant** needs the grant to be at most ``max_grant_share`` of the price (and
  ``max_grant`` if set): there is no national cap (domain_rules §4); the default 25 % is a screening assumption
  the kommune should set.
* Monthly cost of owning = the startlån actually needed (after any grant) as an annuity at the loan's own rate
  (the fixed rate if the ladder chose one, else the startlån floating rate) over the ladder's term, plus the
  dwelling's running costs; compared with the rent paid today (bostøtte shown apart).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.parameters import FeeRule, UnderwritingParameters
from loan_engine.screening.living import living_costs_vectorised
from loan_engine.screening.prices import PriceTable, suitable_arrays, suitable_dwelling
from loan_engine.screening.register import INCOME_COLUMNS, Register, subset
from loan_engine.screening.validation import RowError, ValidationReport
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    Dwelling,
    ExistingDebt,
    HousingCosts,
    Income,
    IncomeKind,
    IncomeSource,
    LoanWish,
    RateType,
    Section85Reason,
    assess_affordability,
    check_long_term,
    startlan_stress_rate,
)
from loan_engine.underwriting.amortization import RateChange, Repayment, annuity_factor, peak_payment_per_krone
from loan_engine.underwriting.financing_ladder import FinancingPlanRequest, financing_plan

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

INCOME_KINDS: dict[str, IncomeKind] = {
    "income_wages": IncomeKind.SALARY,
    "income_pension": IncomeKind.PENSION,
    "income_benefits": IncomeKind.BENEFITS,
    "income_child_benefit": IncomeKind.CHILD_BENEFIT,
    "income_other": IncomeKind.OTHER,
}
LONG_TERM_REASONS: tuple[Section85Reason, ...] = (
    Section85Reason.PERMANENTLY_LOW_INCOME,
    Section85Reason.DWELLING_MEETS_LONG_TERM_NEEDS,
    Section85Reason.RENTAL_MARKET_UNSUITABLE,
    Section85Reason.SHORTER_TERM_NOT_RESPONSIBLE,
)


class Solution(IntEnum):
    NONE = 0
    REFERENCE = 1
    FIXED_RATE = 2
    LONGER_TERM = 3
    ADJUSTED_CONSUMPTION = 4
    GRANT = 5

    @property
    def slug(self) -> str:
        return self.name.lower()


SOLUTION_BY_STEP = {
    "reference": Solution.REFERENCE,
    "fixed_rate": Solution.FIXED_RATE,
    "longer_term": Solution.LONGER_TERM,
    "adjusted_consumption": Solution.ADJUSTED_CONSUMPTION,
    "grant": Solution.GRANT,
}


@dataclass(frozen=True)
class ScreeningOptions:
    screening_date: date
    count_bostotte: bool = False
    max_grant_share: float = 0.25
    max_grant: float | None = None
    purchase_costs_percent: float = 0.0  # e.g. 2.5 for dokumentavgift on a selveier dwelling

    def validate(self) -> None:
        if not (0 <= self.max_grant_share <= 1) or not math.isfinite(self.max_grant_share):
            raise InvalidInput("max_grant_share must be between 0 and 1.", field="max_grant_share", rule="share-0-1")
        if self.max_grant is not None and not (0 <= self.max_grant <= 100_000_000):
            raise InvalidInput(
                "max_grant must be between 0 and 100 000 000 NOK.", field="max_grant", rule="amount-0-100000000"
            )
        if not (0 <= self.purchase_costs_percent <= 20) or not math.isfinite(self.purchase_costs_percent):
            raise InvalidInput(
                "purchase_costs_percent must be between 0 and 20.", field="purchase_costs_percent", rule="percent-0-20"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "screening_date": self.screening_date.isoformat(),
            "count_bostotte": self.count_bostotte,
            "max_grant_share": self.max_grant_share,
            "max_grant": self.max_grant,
            "purchase_costs_percent": self.purchase_costs_percent,
        }


@dataclass
class ScreeningResult:
    """Per-household results (arrays aligned with ``register``) and what was assumed."""

    register: Register
    rooms: IntArray
    m2: FloatArray
    price: FloatArray
    price_basis: list[str]
    running_costs: FloatArray
    purchase_costs: FloatArray
    counted_income: FloatArray
    living_costs: FloatArray
    living_costs_from_floor: BoolArray
    available: FloatArray
    required_loan: IntArray
    max_loan_reference: IntArray
    max_loan_best: IntArray
    best_fixation_years: IntArray
    best_term_years: IntArray
    long_term_allowed: BoolArray
    solution: IntArray  # Solution values
    solution_term_years: IntArray
    solution_fixation_years: IntArray  # 0 = floating
    grant: IntArray  # the smallest grant (0 when a ladder step works; also 0 when nothing works)
    startlan: IntArray  # the startlån the household would take (after any grant); 0 when nothing works
    within_reach_without_grant: BoolArray
    within_reach_with_grant: BoolArray
    monthly_owning: FloatArray  # NaN when nothing works
    margin: IntArray  # max_loan_best − required_loan
    options: ScreeningOptions
    parameter_set: dict[str, Any]
    assumptions: list[str] = field(default_factory=list)
    assumptions_nb: list[str] = field(default_factory=list)  # the same sentences in bokmål, in the same order

    def __len__(self) -> int:
        return len(self.register)


# --------------------------------------------------------------------------------------------------------------
# Vectorised fee and payout arithmetic (integer øre, same operations as affordability.fee_ore)
# --------------------------------------------------------------------------------------------------------------


def payout_ore_vec(loan_kr: IntArray, fees: tuple[FeeRule, ...]) -> IntArray:
    """:func:`loan_engine.underwriting.affordability.payout_ore` elementwise."""
    loan_kr = np.asarray(loan_kr, dtype=np.int64)
    total_fee = np.zeros(loan_kr.shape, dtype=np.int64)
    for f in fees:
        amount = loan_kr.astype(np.float64) * 100 * f.percent_of_loan / 100
        if f.percent_of_loan:
            amount = np.maximum(amount, f.minimum * 100)
            if f.maximum is not None:
                amount = np.minimum(amount, f.maximum * 100)
        amount = amount + f.amount * 100
        total_fee += np.floor(amount + 0.5).astype(np.int64)
    out: IntArray = np.where(loan_kr > 0, loan_kr * 100 - total_fee, 0)
    return out


def loan_for_payout_vec(need_ore: IntArray, fees: tuple[FeeRule, ...]) -> IntArray:
    """:func:`loan_engine.underwriting.affordability.loan_for_payout` elementwise: the smallest whole-krone loan ≥
    1 whose
    payout covers ``need_ore`` (0 where nothing is needed). Payout is non-decreasing in the loan from 1 krone up,
    so the smallest such loan is unique and the vectorised bisection finds the scalar answer."""
    need = np.asarray(need_ore, dtype=np.int64)
    # payout ≤ 100 · loan, so no loan below ceil(need / 100) pays out enough: a valid lower bound.
    lo = np.maximum(1, -(-need // 100))
    gap = np.full(need.shape, 1024, dtype=np.int64)
    hi = lo + gap
    short = payout_ore_vec(hi, fees) < need
    while short.any():
        gap = np.where(short, gap * 2, gap)
        hi = np.where(short, lo + gap, hi)
        short = payout_ore_vec(hi, fees) < need
    active = lo < hi
    while active.any():
        mid = (lo + hi) // 2
        ok = payout_ore_vec(mid, fees) >= need
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1, lo)
        active = lo < hi
    out: IntArray = np.where(need > 0, lo, 0)
    return out


def smallest_grant_vec(need_ore: IntArray, max_loan: IntArray, fees: tuple[FeeRule, ...]) -> IntArray:
    """:func:`loan_engine.underwriting.financing_ladder.smallest_grant` in closed form.

    ``loan_for_payout(x) ≤ M`` ⇔ ``x ≤ max(payout(M), 0)`` (payout is non-decreasing from 1 krone; a zero or
    negative need costs no loan). So the smallest whole-krone grant G with ``need − 100·G ≤ max(payout(M), 0)`` is
    ``max(0, ceil((need − max(payout(M), 0)) / 100))``.
    """
    room = np.maximum(payout_ore_vec(max_loan, fees), 0)
    gap = np.asarray(need_ore, dtype=np.int64) - room
    out: IntArray = np.maximum(0, -(-gap // 100))
    return out


# --------------------------------------------------------------------------------------------------------------
# Capacity: largest loan a monthly surplus carries, per rate configuration and term
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rates:
    stress: float
    floating: float
    fixations: tuple[int, ...]
    fixed: tuple[float, ...]


def _rates(params: UnderwritingParameters) -> _Rates:
    stress = startlan_stress_rate(params, None)[0]
    fix = tuple(params.fixation_periods_years)
    return _Rates(stress, params.startlan_floating_rate, fix, tuple(params.startlan_fixed_rate(y) for y in fix))


def _capacity_scalar_factor(rates: _Rates, kind: int, term_years: int) -> tuple[str, float]:
    """('mul', factor) or ('div', peak): how :func:`loan_engine.underwriting.amortization.max_principal` turns a
    surplus into
    a principal for this configuration (kind 0 = floating at the stress rate, k ≥ 1 = fixation ``k-1``)."""
    n = term_years * 12
    if kind == 0:
        return "mul", annuity_factor(rates.stress / 12, n)
    fixed = rates.fixed[kind - 1]
    fix_months = rates.fixations[kind - 1] * 12
    if fix_months < n:
        changes = (RateChange(fix_months + 1, rates.stress),)
        return "div", peak_payment_per_krone(fixed, n, Repayment.ANNUITY, 0, changes)
    return "mul", annuity_factor(fixed / 12, n)


class _CapacityTable:
    """How :func:`loan_engine.underwriting.amortization.max_principal` turns a surplus into a principal, for every
    configuration (kind 0 = floating at the stress rate, k ≥ 1 = fixation ``k-1``) and term 1…max: a scalar factor
    and whether it multiplies (closed form) or divides (peak payment per krone), computed once per screening."""

    def __init__(self, rates: _Rates, max_term: int) -> None:
        kinds = len(rates.fixations) + 1
        self.factor = np.ones((kinds, max_term + 1))
        self.multiply = np.ones((kinds, max_term + 1), dtype=bool)
        for k in range(kinds):
            for t in range(1, max_term + 1):
                if k > 0 and rates.fixations[k - 1] > t:
                    continue  # a fixation longer than the term is never offered
                how, x = _capacity_scalar_factor(rates, k, t)
                self.factor[k, t] = x
                self.multiply[k, t] = how == "mul"

    def capacity(self, available: FloatArray, kind: IntArray, term: IntArray) -> IntArray:
        """Whole-krone payment-capacity limit (``max(0, floor(principal + 1e-7))``), per household."""
        f = self.factor[kind, term]
        p = np.where(self.multiply[kind, term], available * f, available / f)
        p = np.where(available > 0, p, 0.0)
        out: IntArray = np.maximum(0, np.floor(p + 1e-7)).astype(np.int64)
        return out


# --------------------------------------------------------------------------------------------------------------
# The screening
# --------------------------------------------------------------------------------------------------------------


def _long_term_allowed(reg: Register, params: UnderwritingParameters) -> BoolArray:
    """§ 8-5 via :func:`~loan_engine.underwriting.affordability.check_long_term` for each (flag, has children)
    combination."""
    from loan_engine.underwriting.living_costs import Household, Member, Sex

    adult = Member(40, Sex.FEMALE)
    child = Member(5, Sex.MALE)
    result: dict[tuple[bool, bool], bool] = {}
    for flagged in (False, True):
        for kids in (False, True):
            hh = Household(members=(adult, child) if kids else (adult,))
            check = check_long_term(params.special_max_term_years, LONG_TERM_REASONS if flagged else (), hh, params)
            result[(flagged, kids)] = check is None or check.allowed
    n = len(reg)
    hh_of_member = np.repeat(np.arange(n), reg.size)
    has_kids = np.bincount(hh_of_member, weights=(reg.member_age < 18).astype(np.float64), minlength=n) > 0
    flag = reg.permanently_low_income
    out = np.zeros(n, dtype=bool)
    for (f, k), ok in result.items():
        if ok:
            out |= (flag == f) & (has_kids == k)
    return out


def counted_income_vec(reg: Register, options: ScreeningOptions) -> FloatArray:
    """Sum of the income sources in the order the single request lists them (rental income is not in a register)."""
    total = np.zeros(len(reg), dtype=np.float64)
    for c in INCOME_COLUMNS:
        total = total + reg.income[c]
    if options.count_bostotte:
        total = total + reg.bostotte
    return total


def price_arrays(
    reg: Register, prices: PriceTable
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, list[str], BoolArray]:
    """Suitable rooms/m², price, running costs and basis per household; ``found`` is False where the area or a
    suitable size has no price."""
    rooms, m2 = suitable_arrays(reg.size)
    n = len(reg)
    price = np.zeros(n)
    running = np.zeros(n)
    basis = [""] * n
    found = np.zeros(n, dtype=bool)
    cache: dict[tuple[str, int, float], tuple[float, float, str] | None] = {}
    for i in range(n):
        key = (reg.area_key[i], int(rooms[i]), float(m2[i]))
        if key in cache:
            hit = cache[key]
        else:
            hit = cache[key] = prices.lookup(*key)
        if hit is not None:
            price[i], running[i], basis[i] = hit
            found[i] = True
    return rooms, m2, price, running, basis, found


def split_unpriced(reg: Register, prices: PriceTable, report: ValidationReport) -> Register:
    """Drop households whose area (or a suitable size in it) has no price, each with a row error."""
    *_, _basis, found = price_arrays(reg, prices)
    if found.all():
        return reg
    for i in np.flatnonzero(~found):
        known = reg.area_key[i] in prices.areas
        report.add(
            RowError(
                int(reg.row[i]),
                "area",
                "area-in-price-table",
                f"the price table has no price for a {suitable_dwelling(int(reg.size[i]))[0]}-room dwelling in area "
                f"{reg.area[i]!r}"
                if known
                else f"area {reg.area[i]!r} is not in the price table",
            )
        )
    report.rows_valid -= int((~found).sum())
    report.rows_rejected += int((~found).sum())
    return subset(reg, found)


def screen(
    reg: Register,
    prices: PriceTable,
    params: UnderwritingParameters,
    options: ScreeningOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ScreeningResult:
    """Screen every household of ``reg`` (all of whose areas must be in ``prices``; see ``split_unpriced``)."""
    options.validate()
    n = len(reg)
    fees = params.fees
    rates = _rates(params)
    table = _CapacityTable(rates, params.special_max_term_years)
    rooms, m2, price, running, basis, found = price_arrays(reg, prices)
    if not found.all():
        raise InvalidInput(
            "Some households have no price for their area; drop them first (split_unpriced).",
            field="area",
            rule="area-in-price-table",
        )
    if progress:
        progress(0, 4)

    # Budget (assess_affordability): income − living − other fixed − debts − housing
    income = counted_income_vec(reg, options)
    living = living_costs_vectorised(reg, params)
    available = income - living.amount - reg.other_fixed_costs - reg.other_debt_payments - running
    if progress:
        progress(1, 4)

    # Purchase need (financing_plan): price + costs − equity, in øre; required loan with fees
    costs = price * options.purchase_costs_percent / 100
    need = price + costs - reg.equity
    need_ore = np.ceil(need * 100 - 1e-6).astype(np.int64)
    required = loan_for_payout_vec(need_ore, fees)
    limit_ore = np.floor((price + costs - 0.0) * 100 + 1e-6).astype(np.int64)
    dcap = np.where(limit_ore > 0, loan_for_payout_vec(limit_ore + 1, fees) - 1, 0)
    allowed = _long_term_allowed(reg, params)

    # The ladder
    ref_term = params.reference_term_years
    kind = np.zeros(n, dtype=np.int64)
    term = np.full(n, ref_term, dtype=np.int64)
    cap_ref = table.capacity(available, kind, term)
    best = np.minimum(cap_ref, dcap)
    ok_budget = available >= 0
    solution = np.where(ok_budget & (best >= required), int(Solution.REFERENCE), int(Solution.NONE)).astype(np.int64)
    for name in params.ladder_order:
        active = solution == Solution.NONE
        if not active.any():
            break
        if name == "fixed_rate":
            cands = []
            for k, y in enumerate(rates.fixations, start=1):
                c = np.minimum(table.capacity(available, np.full(n, k), term), dcap)
                cands.append(np.where(y <= term, c, -1))
            stack = np.stack(cands)
            pick = np.argmax(stack, axis=0)
            cand = stack[pick, np.arange(n)]
            offered = cand >= 0
            trial_kind = pick + 1
            trial_term = term
        elif name == "longer_term":
            limit = params.special_max_term_years
            offered = allowed & (term < limit)
            trial_kind = kind
            trial_term = term.copy()
            cand = best.copy()
            searching = active & offered
            for t in range(int(term.min()) + 1 if n else limit, limit + 1):
                step_sel = searching & (t > term)
                if not step_sel.any():
                    continue
                c = np.minimum(table.capacity(available, kind, np.full(n, t)), dcap)
                trial_term = np.where(step_sel, t, trial_term)
                cand = np.where(step_sel, c, cand)
                searching = searching & ~(step_sel & ok_budget & (c >= required))
        else:  # adjusted_consumption: a register has no caseworker figure for actual consumption
            continue
        tried = active & offered
        works = tried & ok_budget & (cand >= required)
        better = tried & ((cand > best) | works)
        kind = np.where(better, trial_kind, kind)
        term = np.where(better, trial_term, term)
        best = np.where(better, cand, best)
        solution = np.where(works, int(SOLUTION_BY_STEP[name]), solution)
    if progress:
        progress(2, 4)

    # Grant (last), and the loan actually taken
    needs_grant = (solution == Solution.NONE) & ok_budget
    grant = np.where(needs_grant, smallest_grant_vec(need_ore, best, fees), 0)
    solution = np.where(needs_grant, int(Solution.GRANT), solution)
    loan_with = loan_for_payout_vec(np.where(needs_grant, need_ore - grant * 100, 0), fees)
    startlan = np.where(needs_grant, loan_with, np.where(solution == Solution.NONE, 0, required))

    cap_share = np.floor(price * options.max_grant_share + 1e-9)
    grant_cap = cap_share if options.max_grant is None else np.minimum(cap_share, options.max_grant)
    without = (solution != Solution.NONE) & (solution != Solution.GRANT)
    with_grant = without | ((solution == Solution.GRANT) & (grant <= grant_cap))

    # Max loans under reference and best terms (assess_affordability without a dwelling)
    best_term = np.where(allowed, params.special_max_term_years, ref_term)
    best_caps = []
    for k, y in enumerate(rates.fixations, start=1):
        c = table.capacity(available, np.full(n, k), best_term)
        best_caps.append(np.where(y <= best_term, c, -1))
    if best_caps:
        stack = np.stack(best_caps)
        best_pick = np.argmax(stack, axis=0)
        max_best = stack[best_pick, np.arange(n)]
        best_fix = np.asarray(rates.fixations, dtype=np.int64)[best_pick]
    else:  # pragma: no cover (parameter sets always offer fixations)
        max_best = table.capacity(available, np.zeros(n, dtype=np.int64), best_term)
        best_fix = np.zeros(n, dtype=np.int64)
    if progress:
        progress(3, 4)

    # Monthly cost of owning: the startlån taken, at the loan's own rate, over the ladder's term + running costs
    own_table = np.zeros((len(rates.fixations) + 1, params.special_max_term_years + 1))
    for k in range(own_table.shape[0]):
        rate = rates.floating if k == 0 else rates.fixed[k - 1]
        for t in range(1, own_table.shape[1]):
            own_table[k, t] = peak_payment_per_krone(rate, t * 12, Repayment.ANNUITY, 0, ())
    own_rate_factor = own_table[kind, term]
    owning = np.where(solution == Solution.NONE, np.nan, startlan * own_rate_factor + running)
    fix_years = np.where(kind > 0, np.asarray((0, *rates.fixations), dtype=np.int64)[kind], 0)

    assumptions = [
        "Suitable dwelling by household size: "
        + ", ".join(f"{s} pers. → {suitable_dwelling(s)[0]} rom/{suitable_dwelling(s)[1]:g} m²" for s in range(1, 7))
        + " (screening assumption, not a national norm).",
        f"Grant within reach only up to {options.max_grant_share:.0%} of the price"
        + (f" and {options.max_grant:,.0f} NOK" if options.max_grant is not None else "")
        + " (kommune choice; no national cap).",
        "50-year term tried only where the register flags permanently low income (§ 8-5 a; b–d assumed).",
        "Bostøtte " + ("counted" if options.count_bostotte else "not counted") + " as income.",
        f"Purchase costs {options.purchase_costs_percent:g} % of the price.",
    ]
    share_nb = f"{options.max_grant_share * 100:.0f}".replace(".", ",")
    assumptions_nb = [
        "Passende bolig etter husstandens størrelse: "
        + ", ".join(f"{s} pers. → {suitable_dwelling(s)[0]} rom/{suitable_dwelling(s)[1]:g} m²" for s in range(1, 7))
        + " (forutsetning for screeningen, ikke en nasjonal norm).",
        f"Tilskudd regnes som innen rekkevidde bare opp til {share_nb} % av prisen"
        + (f" og {options.max_grant:,.0f} kr".replace(",", "\u00a0") if options.max_grant is not None else "")
        + " (kommunens valg; ingen nasjonal grense).",
        "Løpetid på 50 år prøves bare der registeret viser varig lav inntekt (§ 8-5 a; b–d forutsatt).",
        "Bostøtte " + ("regnes" if options.count_bostotte else "regnes ikke") + " som inntekt.",
        "Omkostninger ved kjøp: " + f"{options.purchase_costs_percent:g}".replace(".", ",") + " % av prisen.",
    ]
    if not np.any(running > 0):
        assumptions.append("The price table gives no monthly running costs: owning costs are loan payments only.")
        assumptions_nb.append("Pristabellen har ingen månedlige bokostnader: å eie koster da bare lånebetalingene.")
    if progress:
        progress(4, 4)
    return ScreeningResult(
        register=reg,
        rooms=rooms,
        m2=m2,
        price=price,
        price_basis=basis,
        running_costs=running,
        purchase_costs=costs,
        counted_income=income,
        living_costs=living.amount,
        living_costs_from_floor=living.from_floor,
        available=available,
        required_loan=required,
        max_loan_reference=cap_ref,
        max_loan_best=max_best,
        best_fixation_years=best_fix,
        best_term_years=best_term,
        long_term_allowed=allowed,
        solution=solution,
        solution_term_years=term,
        solution_fixation_years=fix_years,
        grant=grant,
        startlan=startlan,
        within_reach_without_grant=without,
        within_reach_with_grant=with_grant,
        monthly_owning=owning,
        margin=max_best - required,
        options=options,
        parameter_set={"id": params.set_id, "version": params.version},
        assumptions=assumptions,
        assumptions_nb=assumptions_nb,
    )


# --------------------------------------------------------------------------------------------------------------
# The single-household path (the rules themselves, one row at a time)
# --------------------------------------------------------------------------------------------------------------


def single_request(
    reg: Register, i: int, price: float, running: float, costs: float, options: ScreeningOptions
) -> AffordabilityRequest:
    """The single affordability request for register row ``i`` buying the suitable dwelling."""
    sources = [IncomeSource(INCOME_KINDS[c], float(reg.income[c][i])) for c in INCOME_COLUMNS]
    if options.count_bostotte:
        sources.append(IncomeSource(IncomeKind.HOUSING_ALLOWANCE, float(reg.bostotte[i])))
    debt = float(reg.other_debt_payments[i])
    return AffordabilityRequest(
        household=reg.household(i),
        income=Income(sources=tuple(sources)),
        housing_costs=HousingCosts(other=running),
        other_fixed_costs_monthly=float(reg.other_fixed_costs[i]),
        existing_debts=(ExistingDebt(balance=0.0, monthly_payment=debt, description="register"),) if debt else (),
        loan=LoanWish(term_over_30_reasons=LONG_TERM_REASONS if reg.permanently_low_income[i] else ()),
        dwelling=Dwelling(price=price, costs=costs, equity=float(reg.equity[i])),
    )


def screen_one(
    reg: Register, i: int, prices: PriceTable, params: UnderwritingParameters, options: ScreeningOptions
) -> dict[str, Any]:
    """Row ``i`` screened with the single-household functions (financing ladder + affordability)."""
    from dataclasses import replace

    rooms, m2 = suitable_dwelling(int(reg.size[i]))
    hit = prices.lookup(reg.area_key[i], rooms, m2)
    if hit is None:
        raise InvalidInput(f"No price for area {reg.area[i]!r}.", field="area", rule="area-in-price-table")
    price, running, _ = hit
    costs = price * options.purchase_costs_percent / 100
    request = single_request(reg, i, price, running, costs, options)
    plan = financing_plan(FinancingPlanRequest(base=request), params)
    solution = SOLUTION_BY_STEP.get(plan.solution or "", Solution.NONE)
    grant = plan.grant.amount if plan.grant is not None and plan.grant.serviceable else 0
    if solution is Solution.GRANT:
        assert plan.grant is not None
        startlan = plan.grant.loan_with_grant
    elif solution is Solution.NONE:
        startlan = 0
    else:
        startlan = plan.required_loan
    final = plan.final
    assert final is not None
    no_dwelling = replace(request, dwelling=None)
    ref = assess_affordability(no_dwelling, params)
    allowed = check_long_term(
        params.special_max_term_years, request.loan.term_over_30_reasons, request.household, params
    )
    best_term = params.special_max_term_years if (allowed is None or allowed.allowed) else params.reference_term_years
    best = max(
        (
            (
                assess_affordability(
                    replace(
                        no_dwelling,
                        loan=replace(request.loan, rate_type=RateType.FIXED, fixation_years=y, term_years=best_term),
                    ),
                    params,
                ).max_loan,
                -k,
                y,
            )
            for k, y in enumerate(params.fixation_periods_years)
            if y <= best_term
        ),
    )
    max_best, best_fix = best[0], best[2]
    rate = (
        final.fixed_rate
        if final.rate_type is RateType.FIXED and final.fixed_rate is not None
        else params.startlan_floating_rate
    )
    owning = (
        startlan * peak_payment_per_krone(rate, final.term_years * 12, Repayment.ANNUITY, 0, ()) + running
        if solution is not Solution.NONE
        else math.nan
    )
    share_cap = math.floor(price * options.max_grant_share + 1e-9)
    grant_cap = share_cap if options.max_grant is None else min(share_cap, options.max_grant)
    without = solution not in (Solution.NONE, Solution.GRANT)
    return {
        "household_id": reg.household_id[i],
        "price": price,
        "required_loan": plan.required_loan,
        "available": final.available_for_startlan_monthly,
        "living_costs": final.living_costs.amount,
        "max_loan_reference": ref.max_loan,
        "max_loan_best": max_best,
        "best_fixation_years": best_fix,
        "best_term_years": best_term,
        "solution": solution.slug,
        "solution_term_years": final.term_years,
        "solution_fixation_years": final.fixation_years or 0,
        "grant": grant,
        "startlan": startlan,
        "within_reach_without_grant": without,
        "within_reach_with_grant": without or (solution is Solution.GRANT and grant <= grant_cap),
        "monthly_owning": owning,
        "margin": max_best - plan.required_loan,
    }
