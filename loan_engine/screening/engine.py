"""Screening a whole register for ownership potential — the single-household rules, over all households at once.

One rule, one place
-------------------
For each household the screening answers what the **financing plan**
(:func:`loan_engine.underwriting.financing_ladder.financing_plan`) answers for one household buying the suitable
dwelling in its area, plus the largest startlån under the reference terms and under the best terms the rules allow
(:func:`loan_engine.underwriting.affordability.assess_affordability` without a dwelling). Both call the same
functions of :mod:`loan_engine.underwriting.rules`, which this module calls over the register's arrays:

* the budget (:func:`~loan_engine.underwriting.rules.counted_income`, :func:`~loan_engine.underwriting.rules.disposable`,
  living costs by :func:`~loan_engine.underwriting.rules.living_costs`: SIFO, never below the floor);
* the stress rate, capacity and maximum loan (:func:`~loan_engine.underwriting.rules.loan_config`,
  :func:`~loan_engine.underwriting.rules.max_principal`);
* fees, payout, the required loan, the dwelling cap and the smallest grant (exact, in øre);
* the ladder (:func:`~loan_engine.underwriting.rules.ladder`): the parameter set's ``ladder_order``, cumulative,
  stopping at the first step that works, the grant last. A register has no caseworker figure for actual
  consumption, so ``adjusted_consumption`` is never tried.

``tests/screening/test_batch_equals_single.py`` compares every row of sample registers with the public
single-household functions (:func:`single_request` builds the single request for a row).

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
from dataclasses import dataclass, field, fields
from datetime import date
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.living import living_costs_vectorised
from loan_engine.screening.prices import PriceTable, suitable_arrays, suitable_dwelling
from loan_engine.screening.register import INCOME_COLUMNS, Register, rows_slice, subset
from loan_engine.screening.validation import RowError, ValidationReport
from loan_engine.underwriting import rules
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    Dwelling,
    ExistingDebt,
    HousingCosts,
    Income,
    IncomeKind,
    IncomeSource,
    LoanWish,
    Section85Reason,
)
from loan_engine.underwriting.rules import section_8_5_missing

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
    """The ladder's outcome codes (:mod:`loan_engine.underwriting.rules`)."""

    NONE = rules.SOLUTION_NONE
    REFERENCE = rules.SOLUTION_REFERENCE
    FIXED_RATE = rules.SOLUTION_FIXED
    LONGER_TERM = rules.SOLUTION_LONGER
    ADJUSTED_CONSUMPTION = rules.SOLUTION_ADJUSTED
    GRANT = rules.SOLUTION_GRANT
    INTEREST_ONLY = rules.SOLUTION_INTEREST_ONLY  # needs an expected income rise: never reached from a register

    @property
    def slug(self) -> str:
        return self.name.lower()


SOLUTION_BY_STEP = {name: Solution(code) for name, code in rules.STEP_SOLUTIONS.items()}


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
# The screening
# --------------------------------------------------------------------------------------------------------------


def _long_term_allowed(reg: Register, params: UnderwritingParameters) -> BoolArray:
    """§ 8-5 (:func:`loan_engine.underwriting.rules.section_8_5_missing`): a flagged household is taken to have
    documented a)–d) (see the module docstring)."""
    n = len(reg)
    hh_of_member = np.repeat(np.arange(n), reg.size)
    has_kids = np.bincount(hh_of_member, weights=(reg.member_age < 18).astype(np.float64), minlength=n) > 0
    flag = np.asarray(reg.permanently_low_income, dtype=np.bool_)
    _missing, allowed, _waived = section_8_5_missing({r.value: flag for r in LONG_TERM_REASONS}, has_kids)
    out: BoolArray = np.asarray(allowed, dtype=np.bool_)
    return out


def counted_income_vec(reg: Register, options: ScreeningOptions, params: UnderwritingParameters) -> FloatArray:
    """Sum of the income sources in the order the single request lists them (rental income is not in a register)."""
    sources = [reg.income[c] for c in INCOME_COLUMNS]
    if options.count_bostotte:
        sources.append(reg.bostotte)
    return rules.counted_income(sources, 0.0, params)


def _price_groups(reg: Register) -> tuple[IntArray, list[tuple[str, int]]]:
    """Each household's group (index into the distinct (area key, household size) pairs) and those pairs: the
    price depends only on the area and the suitable dwelling, which depends only on the size."""
    n = len(reg)
    if not n:
        return np.zeros(0, dtype=np.int64), []
    encoded = reg.strings("area_key").dictionary_encode()
    area_code = np.asarray(encoded.indices, dtype=np.int64)
    keys: list[str] = encoded.dictionary.to_pylist()
    size = reg.size
    width = int(size.max()) + 1
    code = area_code * width + size
    span = len(keys) * width
    if span <= 4 * n + 1024:  # what np.unique gives (the distinct codes in order, each row's index), by counting
        present = np.bincount(code, minlength=span) > 0
        distinct = np.flatnonzero(present)
        inverse = (np.cumsum(present) - 1)[code]
    else:
        distinct, inverse = np.unique(code, return_inverse=True)
    pairs = [(keys[c // width], c % width) for c in distinct.tolist()]
    return np.asarray(inverse, dtype=np.int64).reshape(n), pairs


def price_arrays(
    reg: Register, prices: PriceTable
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, list[str], BoolArray]:
    """Suitable rooms/m², price, running costs and basis per household; ``found`` is False where the area or a
    suitable size has no price. The price table is looked up once per distinct (area, household size)."""
    rooms, m2 = suitable_arrays(reg.size)
    group, pairs = _price_groups(reg)
    g = len(pairs)
    price_g = np.zeros(g)
    running_g = np.zeros(g)
    basis_g = np.empty(g, dtype=object)
    basis_g[:] = ""
    found_g = np.zeros(g, dtype=bool)
    for k, (key, size) in enumerate(pairs):
        r, a = suitable_dwelling(size)
        hit = prices.lookup(key, int(r), float(a))
        if hit is not None:
            price_g[k], running_g[k], basis_g[k] = hit
            found_g[k] = True
    basis: list[str] = basis_g[group].tolist()
    return rooms, m2, price_g[group], running_g[group], basis, found_g[group]


def split_unpriced(reg: Register, prices: PriceTable, report: ValidationReport) -> Register:
    """Drop households whose area (or a suitable size in it) has no price, each with a row error."""
    *_, _basis, found = price_arrays(reg, prices)
    if found.all():
        return reg
    import pyarrow as pa

    unpriced = np.flatnonzero(~found)
    take = pa.array(unpriced)
    keys = reg.strings("area_key").take(take).to_pylist()  # only these households' texts, not whole lists
    areas = reg.strings("area").take(take).to_pylist()
    for i, key, area in zip(unpriced.tolist(), keys, areas, strict=True):
        known = key in prices.areas
        report.add(
            RowError(
                int(reg.row[i]),
                "area",
                "area-in-price-table",
                f"the price table has no price for a {suitable_dwelling(int(reg.size[i]))[0]}-room dwelling in area "
                f"{area!r}"
                if known
                else f"area {area!r} is not in the price table",
            )
        )
    report.rows_valid -= int((~found).sum())
    report.rows_rejected += int((~found).sum())
    return subset(reg, found)


#: Households screened at a time: every figure is a household's own, so a large register is screened in pieces
#: of about this size (whose arrays stay in the CPU caches: faster than one pass over all) and put together.
SCREEN_PIECE_ROWS = 25_000


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
    pieces = max(1, round(n / SCREEN_PIECE_ROWS))
    if pieces == 1:
        return _screen(reg, prices, params, options, progress=progress)
    bounds = [n * k // pieces for k in range(pieces + 1)]
    if progress:
        progress(0, pieces)
    parts = []
    for k in range(pieces):
        parts.append(_screen(rows_slice(reg, bounds[k], bounds[k + 1]), prices, params, options))
        if progress:
            progress(k + 1, pieces)
    return _joined(reg, parts)


def _joined(reg: Register, parts: list[ScreeningResult]) -> ScreeningResult:
    """The results of consecutive pieces of ``reg`` as one."""
    values: dict[str, Any] = {}
    for f in fields(ScreeningResult):
        first = getattr(parts[0], f.name)
        if f.name == "register":
            values[f.name] = reg
        elif f.name in ("assumptions", "assumptions_nb"):
            # The same sentences for every piece, but for the one that no price has running costs: only if
            # that is true of every piece (the shortest list is the one without it when they differ).
            values[f.name] = min((getattr(p, f.name) for p in parts), key=len)
        elif isinstance(first, np.ndarray):
            values[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        elif isinstance(first, list):
            values[f.name] = [v for p in parts for v in getattr(p, f.name)]
        else:  # the options and the parameter set: the same for every piece
            values[f.name] = first
    return ScreeningResult(**values)


def _own_payment_per_krone(
    config: rules.LoanConfig, kind: IntArray, term: IntArray, floating_rate: float
) -> FloatArray:
    """The payment per krone of the startlån taken: at the loan's own rate (the fixed rate of ``kind`` > 0, else
    ``floating_rate``) over ``term`` years (:func:`~loan_engine.underwriting.rules.peak_payment_per_krone`). With
    the same rates for every household, once per distinct (kind, term) and taken per household."""
    width = config.max_term_years + 1
    if not config.uniform or not len(kind) or int(term.max()) >= width or int(term.min()) < 0:
        rate = np.where(kind > 0, config.first_rate(kind), floating_rate)
        out: FloatArray = rules.peak_payment_per_krone(rate, term * 12)
        return out
    code = kind * width + term
    present = np.bincount(code, minlength=(len(config.fixations) + 1) * width) > 0
    distinct = np.flatnonzero(present)
    kinds, terms = distinct // width, distinct % width
    rates = np.concatenate([config.stress[:1], config.fixed_rates[:, 0]])[kinds]
    factor = rules.peak_payment_per_krone(np.where(kinds > 0, rates, floating_rate), terms * 12)
    picked: FloatArray = factor[(np.cumsum(present) - 1)[code]]
    return picked


def _screen(
    reg: Register,
    prices: PriceTable,
    params: UnderwritingParameters,
    options: ScreeningOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ScreeningResult:
    n = len(reg)
    fees = params.fees
    rooms, m2, price, running, basis, found = price_arrays(reg, prices)
    if not found.all():
        raise InvalidInput(
            "Some households have no price for their area; drop them first (split_unpriced).",
            field="area",
            rule="area-in-price-table",
        )
    if progress:
        progress(0, 4)

    # Budget: counted income − living − other fixed − debts − the dwelling's running costs
    income = counted_income_vec(reg, options, params)
    living = living_costs_vectorised(reg, params)
    available = rules.disposable(income, living.amount, reg.other_fixed_costs, reg.other_debt_payments, running)
    if progress:
        progress(1, 4)

    # Purchase need: price + costs − equity, in øre; required loan with fees; the dwelling's cap
    costs = price * options.purchase_costs_percent / 100
    need_ore = rules.need_ore(price, costs, reg.equity)
    required = rules.loan_for_payout(need_ore, fees)
    dcap = rules.dwelling_cap(rules.dwelling_limit_ore(price, costs), fees)
    allowed = _long_term_allowed(reg, params)

    # The ladder and the grant (the same function as the single financing plan)
    config = rules.loan_config(params, n)
    lad = rules.ladder(
        params, config, available=available, required=required, need_ore=need_ore, cap=dcap, long_term_allowed=allowed
    )
    ref_term = params.reference_term_years
    cap_ref = config.max_loan(available, np.zeros(n, dtype=np.int64), np.full(n, ref_term, dtype=np.int64))
    solution, kind, term, grant, startlan = lad.solution, lad.kind, lad.term_years, lad.grant, lad.startlan
    if progress:
        progress(2, 4)

    cap_share = np.floor(price * options.max_grant_share + 1e-9)
    grant_cap = cap_share if options.max_grant is None else np.minimum(cap_share, options.max_grant)
    without = (solution != Solution.NONE) & (solution != Solution.GRANT)
    with_grant = without | ((solution == Solution.GRANT) & (grant <= grant_cap))

    # Max loans under reference and best terms (assess_affordability without a dwelling)
    best_term = np.where(allowed, params.special_max_term_years, ref_term)
    best_caps = []
    for k, y in enumerate(config.fixations, start=1):
        c = config.max_loan(available, np.full(n, k, dtype=np.int64), best_term)
        best_caps.append(np.where(y <= best_term, c, -1))
    if best_caps:
        stack = np.stack(best_caps)
        best_pick = np.argmax(stack, axis=0)
        max_best = stack[best_pick, np.arange(n)]
        best_fix = np.asarray(config.fixations, dtype=np.int64)[best_pick]
    else:  # pragma: no cover (parameter sets always offer fixations)
        max_best = cap_ref
        best_fix = np.zeros(n, dtype=np.int64)
    if progress:
        progress(3, 4)

    # Monthly cost of owning: the startlån taken, at the loan's own rate, over the ladder's term + running costs
    own_factor = _own_payment_per_krone(config, kind, term, params.startlan_floating_rate)
    owning = np.where(solution == Solution.NONE, np.nan, startlan * own_factor + running)
    fix_years = lad.fixation_years(config.fixations)

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
