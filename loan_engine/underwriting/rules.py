"""The underwriting rules, each written once, over NumPy arrays (one household is an array of one).

Every caller computes its figures here: the single affordability answer
(:func:`loan_engine.underwriting.affordability.assess_affordability`), the financing plan
(:func:`loan_engine.underwriting.financing_ladder.financing_plan`), the register screening
(:func:`loan_engine.screening.engine.screen`), the case calculations (through the first two) and the stress
test's payment factors (:func:`present_value_factor`, compiled by Numba in :mod:`loan_engine.portfolio.kernel`).
The explanation text is built by the callers from the figures returned here; nothing in this module formats
prose, so the ladder can evaluate many steps and terms without building text it throws away.

Conventions: rates are fractions per year; money is NOK as float64, or whole øre as int64 where the rule is exact
(fees, payout, the smallest loan and grant); terms are months. Arguments broadcast against each other. Validation of
single requests (field names, rule slugs) stays with the callers; these functions assume valid input.

Rules
-----
* :func:`present_value_factor` – the annuity factor (1 − (1+i)^−n) / i (n when i = 0);
* :func:`peak_payment_per_krone`, :func:`max_principal`, :func:`max_loan` – the largest principal a monthly amount
  carries (annuity or serial, interest-only first, a fixed rate for a fixation period and the stress rate after);
* :func:`startlan_stress_rate`, :func:`bank_stress_rate` – the stress rules;
* :func:`counted_income`, :func:`disposable` – the budget (capacity): counted net income minus living costs, other
  fixed costs, counted debt payments and housing costs;
* :func:`living_costs` – SIFO reference budget, the caseworker's figure and the social-assistance floor;
* :func:`fees_ore`, :func:`payout_ore`, :func:`loan_for_payout`, :func:`smallest_grant`, :func:`dwelling_cap` – fees,
  payout, the loan a purchase needs, the smallest grant and the dwelling's cap;
* :func:`section_8_5_missing` – the § 8-5 conditions for a term over 30 years;
* :func:`ladder` – the financing ladder and the grant.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit
from numba import vectorize as _vectorize

from loan_engine.parameters import AgeBand, FeeRule, SocialAssistanceFloor, UnderwritingParameters

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAX_AGE = 120

#: numba's decorator (untyped); with explicit signatures it compiles eagerly, and ``.ufunc`` is the plain NumPy ufunc
#: (called directly: no Python-level dispatch, which matters for one household).
vectorize: Callable[..., Any] = _vectorize


# --------------------------------------------------------------------------------------------------------------
# Annuity factor and the largest principal
# --------------------------------------------------------------------------------------------------------------


def _present_value_factor_log(monthly_rate: float, log1p_rate: float, months: float) -> float:
    if monthly_rate == 0.0:
        return months
    return -math.expm1(-months * log1p_rate) / monthly_rate


#: The annuity factor given ``log1p(monthly_rate)`` (the stress-test kernel computes it once per rate, not per loan
#: and month), compiled. The one definition of the formula; the forms below call it.
present_value_factor_log_scalar = njit(inline="always", cache=True)(_present_value_factor_log)


def _present_value_factor(monthly_rate: float, months: float) -> float:
    return present_value_factor_log_scalar(monthly_rate, math.log1p(monthly_rate), months)


#: Scalar form, compiled: for the other compiled rules and the stress-test kernel (``numba.njit`` code).
present_value_factor_scalar = njit(inline="always", cache=True)(_present_value_factor)

#: Present value of 1 per month for ``months`` months at ``monthly_rate``: (1 − (1+i)^−n) / i, and n when i = 0.
#: The level payment per krone of principal is its reciprocal. A NumPy ufunc (scalars and arrays broadcast).
_present_value_factor_dufunc = vectorize(["float64(float64, float64)"], cache=True)(
    _present_value_factor
)  # keeps the compiled code alive
present_value_factor = _present_value_factor_dufunc.ufunc


def _peak(
    first_rate: float, term: float, serial: bool, io: float, fixation: float, later_rate: float
) -> float:  # pragma: no cover (compiled)
    i1 = first_rate / 12
    i2 = later_rate / 12
    m = term - io
    instalment = 1.0 / m
    change = fixation < term
    peak = i1 if io >= 1 else 0.0  # interest-only months: interest on the full balance
    if change and fixation < io:
        peak = max(peak, i2)
    late = change and fixation <= io  # the amortising part starts at the later rate
    ia = i2 if late else i1
    pay1 = instalment + ia if serial else 1.0 / present_value_factor_scalar(ia, m)
    peak = max(peak, pay1)
    if change and not late:  # the balance left after the first phase, at the later rate
        months = fixation - io
        if serial:
            pay2 = instalment + (1.0 - instalment * months) * i2
        else:
            if i1 == 0.0:
                balance = 1.0 - pay1 * months
            else:  # (1+i)^m − 1 by expm1: exact for tiny rates too
                grown = math.expm1(months * math.log1p(i1))
                balance = (1.0 + grown) - pay1 * grown / i1
            pay2 = balance / present_value_factor_scalar(i2, term - fixation)
        peak = max(peak, pay2)
    return peak


_peak_scalar = njit(inline="always", cache=True)(_peak)
_peak_dufunc = vectorize(["float64(float64, float64, boolean, float64, float64, float64)"], cache=True)(
    _peak
)  # keeps the compiled code alive
_peak_ufunc = _peak_dufunc.ufunc


def _capacity(
    first_rate: float, term: float, serial: bool, io: float, fixation: float, later_rate: float
) -> float:  # pragma: no cover (compiled)
    if fixation < term:
        return _peak_scalar(first_rate, term, serial, io, fixation, later_rate)
    i = first_rate / 12
    m = term - io
    if serial:
        return 1.0 / m + i
    return present_value_factor_scalar(i, m)


_capacity_scalar = njit(inline="always", cache=True)(_capacity)
_capacity_dufunc = vectorize(["float64(float64, float64, boolean, float64, float64, float64)"], cache=True)(
    _capacity
)  # keeps the compiled code alive
_capacity_ufunc = _capacity_dufunc.ufunc


def _f(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def peak_payment_per_krone(
    first_rate: Any,
    term_months: Any,
    serial: Any = False,
    interest_only_months: Any = 0,
    fixation_months: Any = None,
    later_rate: Any = None,
) -> FloatArray:
    """The highest monthly payment over the life of a loan of 1 NOK (analytic, no rounding).

    ``first_rate`` applies from month 1 to ``fixation_months`` and ``later_rate`` after (no change when
    ``fixation_months`` is ``None`` or not shorter than the term). Interest-only months come first and count
    towards the term. An annuity is recomputed on the remaining balance over the remaining months at the change;
    a serial loan keeps its instalment, and its first payment with instalment binds within each rate phase."""
    fixation = term_months if fixation_months is None else fixation_months
    later = first_rate if later_rate is None else later_rate
    out: FloatArray = _peak_ufunc(first_rate, term_months, serial, interest_only_months, fixation, later)
    return out


def capacity_factors(
    first_rate: Any,
    term_months: Any,
    serial: Any = False,
    interest_only_months: Any = 0,
    fixation_months: Any = None,
    later_rate: Any = None,
) -> tuple[FloatArray, BoolArray]:
    """How a monthly amount turns into the largest principal, independent of the amount: ``(factor, multiply)``;
    the principal is ``A · factor`` where ``multiply``, else ``A / factor``. Without a rate change the closed
    forms::

        annuity: P = A · (1 − (1+i)^−(n−io)) / i        serial: P = A / (1/(n − io) + i)

    and with one, ``A / peak_payment_per_krone``."""
    fixation = term_months if fixation_months is None else fixation_months
    later = first_rate if later_rate is None else later_rate
    factor = _capacity_ufunc(first_rate, term_months, serial, interest_only_months, fixation, later)
    multiply = ~np.asarray(serial, dtype=np.bool_) & ~(np.asarray(fixation) < np.asarray(term_months))
    return np.asarray(factor, dtype=np.float64), np.broadcast_to(multiply, np.shape(factor))


def _apply(a: float, factor: float, multiply: bool) -> float:  # pragma: no cover (compiled)
    if not a > 0:
        return 0.0
    return a * factor if multiply else a / factor


_apply_scalar = njit(inline="always", cache=True)(_apply)
_apply_dufunc = vectorize(["float64(float64, float64, boolean)"], cache=True)(_apply)  # keeps the compiled code alive
_apply_ufunc = _apply_dufunc.ufunc


def apply_capacity(monthly_amount: Any, factors: tuple[FloatArray, BoolArray]) -> FloatArray:
    """The largest principal for ``monthly_amount`` (0 where it is not positive) from :func:`capacity_factors`."""
    out: FloatArray = _apply_ufunc(monthly_amount, *factors)
    return out


def _principal(
    a: float, first_rate: float, term: float, serial: bool, io: float, fixation: float, later_rate: float
) -> float:  # pragma: no cover (compiled)
    factor = _capacity_scalar(first_rate, term, serial, io, fixation, later_rate)
    return _apply_scalar(a, factor, not serial and not fixation < term)


_principal_dufunc = vectorize(["float64(float64, float64, float64, boolean, float64, float64, float64)"], cache=True)(
    _principal
)  # keeps the compiled code alive
_principal_ufunc = _principal_dufunc.ufunc


def max_principal(
    monthly_amount: Any,
    first_rate: Any,
    term_months: Any,
    serial: Any = False,
    interest_only_months: Any = 0,
    fixation_months: Any = None,
    later_rate: Any = None,
) -> FloatArray:
    """The largest principal whose highest monthly payment does not exceed ``monthly_amount`` (unrounded; 0 where
    the amount is not positive); see :func:`capacity_factors`."""
    fixation = term_months if fixation_months is None else fixation_months
    later = first_rate if later_rate is None else later_rate
    out: FloatArray = _principal_ufunc(
        monthly_amount, first_rate, term_months, serial, interest_only_months, fixation, later
    )
    return out


def _max_loan(principal: float) -> int:  # pragma: no cover (compiled)
    loan = math.floor(principal + 1e-7)
    return loan if loan > 0 else 0


_max_loan_dufunc = vectorize(["int64(float64)"], cache=True)(_max_loan)  # keeps the compiled code alive
_max_loan_ufunc = _max_loan_dufunc.ufunc


def max_loan(principal: Any) -> IntArray:
    """The maximum loan in whole kroner: the principal rounded **down** (never negative)."""
    out: IntArray = _max_loan_ufunc(principal)
    return out


# --------------------------------------------------------------------------------------------------------------
# Stress rules
# --------------------------------------------------------------------------------------------------------------


def stress_base(params: UnderwritingParameters) -> float:
    """The rate the startlån stress rule adds to: the policy rate or the startlån floating rate."""
    return params.policy_rate if params.stress_rule.base == "policy_rate" else params.startlan_floating_rate


def startlan_stress_rate(params: UnderwritingParameters, override: Any = None) -> FloatArray:
    """The startlån stress rate: the parameter set's base + add, at least its minimum; ``override`` (NaN = none)
    replaces it per element."""
    rule = params.stress_rule
    rate = stress_base(params) + rule.add
    if rule.minimum is not None and rate < rule.minimum:
        rate = rule.minimum
    if override is None:
        return np.asarray(rate, dtype=np.float64)
    o = _f(override)
    out: FloatArray = np.where(np.isnan(o), rate, o)
    return out


def bank_stress_rate(bank_rate: Any, params: UnderwritingParameters) -> FloatArray:
    """Utlånsforskriften § 5: the bank's rate + ``bank_stress_add``, at least ``bank_stress_minimum``."""
    out: FloatArray = np.maximum(_f(bank_rate) + params.bank_stress_add, params.bank_stress_minimum)
    return out


# --------------------------------------------------------------------------------------------------------------
# Budget
# --------------------------------------------------------------------------------------------------------------


def counted_income(sources: list[Any], rental: Any, params: UnderwritingParameters) -> FloatArray:
    """Counted net monthly income: the sources summed in order, rental income counting ``rental_income_months``
    of 12."""
    gross: Any = 0.0
    for x in sources:
        gross = gross + _f(x)
    r = _f(rental)
    out: FloatArray = np.asarray(gross - r + r * params.rental_income_months / 12, dtype=np.float64)
    return out


def disposable(
    net_income: Any, living_costs: Any, other_fixed_costs: Any, debt_payments: Any, housing_costs: Any
) -> Any:
    """Disposable for debt service: counted net income − living costs − other fixed costs − counted debt payments −
    housing costs (per month; floats or arrays, elementwise). Further budget items are subtracted by the caller or
    added here."""
    return net_income - living_costs - other_fixed_costs - debt_payments - housing_costs


# --------------------------------------------------------------------------------------------------------------
# Living costs
# --------------------------------------------------------------------------------------------------------------

SOURCE_SIFO, SOURCE_CASEWORKER, SOURCE_FLOOR = 0, 1, 2


def band_amount(bands: tuple[AgeBand, ...], age: int, sex: str) -> float:
    """The amount of the first age band covering ``age`` for ``sex`` (``"female"``/``"male"``), else 0."""
    for b in bands:
        if b.from_age <= age <= b.to_age and b.sex in ("any", sex):
            return b.amount
    return 0.0


@dataclass(frozen=True)
class _LivingTables:
    """The parameter set's living-cost figures as arrays (built once per parameter-set object)."""

    member_total: FloatArray  # (2, MAX_AGE + 1): a member's individual SIFO items, with the infant supplement
    member_food: FloatArray  # (2, MAX_AGE + 1)
    item_amounts: FloatArray  # (items, 2, MAX_AGE + 1): each individual item per member (for the line breakdown)
    item_lists: list[list[list[float]]]  # the same as nested lists (fast look-up one member at a time)
    household_amounts: FloatArray  # (items, sizes): household items by household size (padded with the last)
    household_sizes: IntArray  # (items,): how many sizes each household item lists
    car_kinds: tuple[str, ...]  # code k ≥ 1 is car_kinds[k - 1]
    car_small: FloatArray  # (kinds + 1,): up to 4 persons
    car_large: FloatArray  # (kinds + 1,): from 5 persons
    barnehage_monthly: FloatArray  # per child k
    scalars: FloatArray  # pregnant food, baby equipment, large-family min children, reduction, SFO monthly
    floor: FloatArray  # single, couple, shared housing, child 0–5, 6–10, 11–17
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # display lines (immutable)


_TABLES: dict[int, tuple[UnderwritingParameters, _LivingTables]] = {}


def living_tables(params: UnderwritingParameters) -> _LivingTables:
    """The living-cost tables of ``params`` (cached per parameter-set object)."""
    hit = _TABLES.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    sifo = params.sifo
    items = np.zeros((len(sifo.individual), 2, MAX_AGE + 1), dtype=np.float64)
    total = np.zeros((2, MAX_AGE + 1), dtype=np.float64)
    food = np.zeros((2, MAX_AGE + 1), dtype=np.float64)
    for female, sex in ((0, "male"), (1, "female")):
        for age in range(MAX_AGE + 1):
            s = 0.0
            for k, item in enumerate(sifo.individual):
                amount = band_amount(item.bands, age, sex)
                items[k, female, age] = amount
                s += amount
                if item.key == "food":
                    food[female, age] = amount
            if age == 0:
                s += sifo.infant_supplement_under_1
            total[female, age] = s
    widest = max((len(i.amounts_by_size) for i in sifo.household), default=1)
    household = np.zeros((len(sifo.household), widest), dtype=np.float64)
    for k, item in enumerate(sifo.household):
        household[k, : len(item.amounts_by_size)] = item.amounts_by_size
    kinds = tuple(k for k in sifo.car if k != "none")
    per = sifo.barnehage_per_child
    fl = params.floor
    tables = _LivingTables(
        member_total=total,
        member_food=food,
        item_amounts=items,
        item_lists=items.tolist(),
        household_amounts=household,
        household_sizes=np.asarray([len(i.amounts_by_size) for i in sifo.household], dtype=np.int64),
        car_kinds=kinds,
        car_small=np.asarray([0.0, *(sifo.car[k][0] for k in kinds)], dtype=np.float64),
        car_large=np.asarray([0.0, *(sifo.car[k][1] for k in kinds)], dtype=np.float64),
        barnehage_monthly=np.asarray(
            [per[min(k, len(per) - 1)] * sifo.barnehage_months_per_year / 12 for k in range(MAX_AGE)], dtype=np.float64
        ),
        scalars=np.asarray(
            [
                sifo.pregnant_food,
                sifo.pregnancy_baby_equipment,
                sifo.large_family_min_children,
                sifo.large_family_food_reduction,
                sifo.sfo_per_child * sifo.sfo_months_per_year / 12,
            ],
            dtype=np.float64,
        ),
        floor=np.asarray(
            [fl.single_adult, fl.couple, fl.person_in_shared_housing, fl.child_0_5, fl.child_6_10, fl.child_11_17],
            dtype=np.float64,
        ),
    )
    if len(_TABLES) > 64:
        _TABLES.clear()
    _TABLES[id(params)] = (params, tables)
    return tables


def member_tables(params: UnderwritingParameters) -> tuple[FloatArray, FloatArray]:
    """Per (female, age): the sum of a member's individual SIFO items (with the infant supplement), and food."""
    t = living_tables(params)
    return t.member_total, t.member_food


@njit(cache=True)
def _floor_kernel(start: IntArray, age: IntArray, floor: FloatArray) -> FloatArray:  # pragma: no cover (compiled)
    n = start.shape[0] - 1
    out = np.zeros(n)
    for h in range(n):
        adults = 0
        children = 0.0
        for j in range(start[h], start[h + 1]):
            a = age[j]
            if a >= 18:
                adults += 1
            elif a <= 5:
                children += floor[3]
            elif a <= 10:
                children += floor[4]
            else:
                children += floor[5]
        base = 0.0
        if adults == 1:
            base = floor[0]
        elif adults >= 2:
            base = floor[1] + (adults - 2) * floor[2]
        out[h] = base + children
    return out


@njit(cache=True)
def _living_kernel(  # pragma: no cover (compiled)
    start: IntArray,
    age: IntArray,
    female: IntArray,
    pregnant: IntArray,
    car: IntArray,
    barnehage: IntArray,
    sfo: IntArray,
    caseworker: FloatArray,
    member_total: FloatArray,
    member_food: FloatArray,
    household_amounts: FloatArray,
    household_sizes: IntArray,
    car_small: FloatArray,
    car_large: FloatArray,
    barnehage_monthly: FloatArray,
    scalars: FloatArray,
    floor_rates: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    n = start.shape[0] - 1
    sifo = np.zeros(n)
    amount = np.zeros(n)
    source = np.zeros(n, dtype=np.int64)
    floor = _floor_kernel(start, age, floor_rates)
    for h in range(n):
        individual = 0.0
        food = 0.0
        adults = 0
        for j in range(start[h], start[h + 1]):
            t = member_total[female[j], age[j]]
            f = member_food[female[j], age[j]]
            if pregnant[j]:
                t = t - f + scalars[0] + scalars[1]
                f = scalars[0]
            individual += t
            food += f
            if age[j] >= 18:
                adults += 1
        size = start[h + 1] - start[h]
        total = individual
        if adults == 2 and size - adults >= scalars[2]:
            total = total + (-food * scalars[3])
        for k in range(household_amounts.shape[0]):
            total = total + household_amounts[k, min(size, household_sizes[k]) - 1]
        if car[h] > 0:
            total = total + (car_small[car[h]] if size <= 4 else car_large[car[h]])
        for k in range(barnehage[h]):
            total = total + barnehage_monthly[k]
        for _ in range(sfo[h]):
            total = total + scalars[4]
        sifo[h] = total
        fl = floor[h]
        cw = caseworker[h]
        if not np.isnan(cw):
            amount[h] = cw if cw >= fl else fl
            source[h] = SOURCE_CASEWORKER if cw >= fl else SOURCE_FLOOR
        else:
            amount[h] = total if total >= fl else fl
            source[h] = SOURCE_SIFO if total >= fl else SOURCE_FLOOR
    return sifo, floor, amount, source


def _starts(household_of_member: Any, n: int | None) -> tuple[IntArray, int]:
    if household_of_member is None:  # one household: all members
        return np.zeros(2, dtype=np.int64), 1
    hh = np.asarray(household_of_member, dtype=np.int64)
    count = int(n if n is not None else (hh.max() + 1 if hh.size else 0))
    start = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(hh, minlength=count), out=start[1:])
    return start, count


def social_assistance_floor(fl: SocialAssistanceFloor, household_of_member: Any, age: Any, n: int) -> FloatArray:
    """The veiledende sats for økonomisk sosialhjelp per household (excludes housing and electricity): one adult
    the single rate, two the couple rate, each further adult the shared-housing rate; children by age band 0–5,
    6–10, 11–17. Members are grouped by household (``household_of_member`` non-decreasing)."""
    start, _ = _starts(household_of_member, n)
    rates = np.asarray(
        [fl.single_adult, fl.couple, fl.person_in_shared_housing, fl.child_0_5, fl.child_6_10, fl.child_11_17],
        dtype=np.float64,
    )
    out: FloatArray = _floor_kernel(start, np.asarray(age, dtype=np.int64), rates)
    return out


@dataclass(frozen=True)
class LivingCostArrays:
    sifo: FloatArray
    floor: FloatArray
    amount: FloatArray  # the one used
    source: IntArray  # SOURCE_SIFO, SOURCE_CASEWORKER or SOURCE_FLOOR

    @property
    def from_floor(self) -> BoolArray:
        out: BoolArray = self.source == SOURCE_FLOOR
        return out


def _per_household(x: Any, n: int, dtype: Any) -> Any:
    if isinstance(x, int | float):
        return np.full(n, x, dtype=dtype)
    return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=dtype), (n,)))


def living_costs(
    params: UnderwritingParameters,
    *,
    household_of_member: Any,  # None: all members form one household
    age: Any,
    female: Any,
    pregnant: Any = None,
    car: Any = "none",
    children_in_barnehage: Any = 0,
    children_in_sfo: Any = 0,
    caseworker_amount: Any = None,
    n: int | None = None,
) -> LivingCostArrays:
    """Living costs per household: the caseworker's actual-consumption figure where given (NaN = none), else the
    SIFO reference budget; never below the social-assistance floor (Husbanken's guidance).

    Members are given as flat arrays grouped by household (``household_of_member`` 0…n−1, non-decreasing). SIFO:
    each member's individual items (food replaced by the pregnancy rate, plus baby equipment, for a pregnant
    member; the infant supplement under 1), the large-family food reduction for a couple with many children,
    household items by size, car (``car``: the kind per household), barnehage and SFO. Floor: see
    :func:`social_assistance_floor`."""
    t = living_tables(params)
    start, count = _starts(household_of_member, n)
    ages = np.ascontiguousarray(np.asarray(age, dtype=np.int64))
    m = ages.shape[0]
    if household_of_member is None:
        start[1] = m
    codes: Any
    if isinstance(car, str):
        codes = t.car_kinds.index(car) + 1 if car in t.car_kinds else 0
    else:
        cars = np.asarray(car, dtype=object)
        codes = np.zeros(cars.shape, dtype=np.int64)
        for k, kind in enumerate(t.car_kinds, start=1):
            codes[cars == kind] = k
    return living_costs_kernel(
        t,
        start,
        ages,
        np.ascontiguousarray(np.asarray(female, dtype=np.int64)),
        np.zeros(m, dtype=np.int64) if pregnant is None else np.ascontiguousarray(np.asarray(pregnant, dtype=np.int64)),
        _per_household(codes, count, np.int64),
        _per_household(children_in_barnehage, count, np.int64),
        _per_household(children_in_sfo, count, np.int64),
        _per_household(np.nan if caseworker_amount is None else caseworker_amount, count, np.float64),
    )


def living_costs_kernel(
    t: _LivingTables,
    start: IntArray,
    age: IntArray,
    female: IntArray,
    pregnant: IntArray,
    car_code: IntArray,
    children_in_barnehage: IntArray,
    children_in_sfo: IntArray,
    caseworker_amount: FloatArray,
) -> LivingCostArrays:
    """:func:`living_costs` on prepared contiguous arrays (members grouped by household with offsets ``start``; car
    codes index ``t.car_kinds`` from 1; NaN = no caseworker figure)."""
    sifo, floor, amount, source = _living_kernel(
        start,
        age,
        female,
        pregnant,
        car_code,
        children_in_barnehage,
        children_in_sfo,
        caseworker_amount,
        t.member_total,
        t.member_food,
        t.household_amounts,
        t.household_sizes,
        t.car_small,
        t.car_large,
        t.barnehage_monthly,
        t.scalars,
        t.floor,
    )
    return LivingCostArrays(sifo=sifo, floor=floor, amount=amount, source=source)


# --------------------------------------------------------------------------------------------------------------
# Fees, payout, the loan a purchase needs, the grant, the dwelling cap (exact, in integer øre)
# --------------------------------------------------------------------------------------------------------------


def _fee(loan: int, percent: float, minimum: float, maximum: float, fixed: float) -> int:  # pragma: no cover
    """One fee in øre on a loan of ``loan`` whole kroner (> 0): a percentage bounded by its minimum and maximum
    (NaN = none), plus a fixed amount, rounded to the øre."""
    amount = float(loan) * 100 * percent / 100
    if percent != 0.0:
        amount = max(amount, minimum * 100)
        if not np.isnan(maximum):
            amount = min(amount, maximum * 100)
    amount = amount + fixed * 100
    return math.floor(amount + 0.5)


_fee_scalar = njit(inline="always", cache=True)(_fee)


@njit(cache=True)
def _payout_scalar(loan: int, table: FloatArray) -> int:  # pragma: no cover (compiled)
    out = loan * 100
    if loan > 0:
        for k in range(table.shape[0]):
            out -= _fee_scalar(loan, table[k, 0], table[k, 1], table[k, 2], table[k, 3])
    return out


@njit(cache=True)
def _fees_kernel(loan: IntArray, table: FloatArray) -> IntArray:  # pragma: no cover (compiled)
    out = np.zeros((table.shape[0], loan.shape[0]), dtype=np.int64)
    for j in range(loan.shape[0]):
        if loan[j] <= 0:
            continue
        for k in range(table.shape[0]):
            out[k, j] = _fee_scalar(loan[j], table[k, 0], table[k, 1], table[k, 2], table[k, 3])
    return out


@njit(cache=True)
def _loan_for_payout_kernel(need: IntArray, table: FloatArray, steps: int) -> IntArray:  # pragma: no cover (compiled)
    out = np.zeros(need.shape[0], dtype=np.int64)
    for j in range(need.shape[0]):
        x = need[j]
        if x <= 0:
            continue
        lo = max(1, -(-x // 100))  # payout ≤ 100 · loan: no smaller loan pays out enough
        # With fees that never fall as the loan grows, payout(L) ≤ payout(lo) + 100 · (L − lo): no loan below
        # lo + ceil((x − payout(lo)) / 100) pays out enough, so lo moves up to it (a lower bound each time; it
        # is the answer as soon as it pays out enough — usually after one or two steps).
        found = False
        for _ in range(steps):
            paid = _payout_scalar(lo, table)
            if paid >= x:
                found = True
                break
            lo += -(-(x - paid) // 100)
        if found:
            out[j] = lo
            continue
        gap = 1024
        hi = lo + gap
        while _payout_scalar(hi, table) < x:
            gap *= 2
            hi = lo + gap
        while lo < hi:
            mid = (lo + hi) // 2
            if _payout_scalar(mid, table) >= x:
                hi = mid
            else:
                lo = mid + 1
        out[j] = lo
    return out


@lru_cache(maxsize=64)
def _fee_table(fees: tuple[FeeRule, ...]) -> FloatArray:
    table = np.asarray(
        [[f.percent_of_loan, f.minimum, np.nan if f.maximum is None else f.maximum, f.amount] for f in fees],
        dtype=np.float64,
    )
    return table.reshape(len(fees), 4)


def fees_ore(loan_kr: Any, fees: tuple[FeeRule, ...]) -> IntArray:
    """Each fee (rows, in the parameter set's order) on a loan of ``loan_kr`` whole kroner, in øre; no fees on a
    zero loan. A percentage fee is bounded by its minimum and maximum; a fixed amount is added; rounded to the øre."""
    loan = np.asarray(loan_kr, dtype=np.int64)
    out: IntArray = _fees_kernel(np.ascontiguousarray(loan.reshape(-1)), _fee_data(fees)[0]).reshape(
        len(fees), *loan.shape
    )
    return out


def payout_ore(loan_kr: Any, fees: tuple[FeeRule, ...]) -> IntArray:
    """What the household receives at payout, in øre: the loan less the fees deducted."""
    loan = np.asarray(loan_kr, dtype=np.int64)
    out: IntArray = loan * 100 - fees_ore(loan, fees).sum(axis=0)
    return out


def loan_for_payout(need_ore: Any, fees: tuple[FeeRule, ...]) -> IntArray:
    """The smallest whole-krone loan whose payout covers ``need_ore`` (0 where nothing is needed).

    Payout is non-decreasing in the loan from 1 krone up (each fee grows by at most the loan's growth), so the
    smallest such loan is unique; found by bisection between ceil(need / 100) (payout ≤ 100 · loan) and a bound
    doubled until it pays out enough."""
    need = np.asarray(need_ore, dtype=np.int64)
    flat = np.ascontiguousarray(need.reshape(-1))
    table, steps = _fee_data(fees)
    out: IntArray = _loan_for_payout_kernel(flat, table, steps)
    return out.reshape(need.shape)


#: Lower-bound steps tried before the bisection (see ``_loan_for_payout_kernel``).
_LOWER_BOUND_STEPS = 8


@lru_cache(maxsize=64)
def _lower_bound_steps(fees: tuple[FeeRule, ...]) -> int:
    """The kernel's lower-bound steps for these fees, once per fee tuple (the check costs ~7 µs of numpy calls, as
    much as the search itself for one loan)."""
    return _LOWER_BOUND_STEPS if _fees_never_fall(_fee_table(fees)) else 0


# fee tuple (by identity: a parameter set's tuple is the same object from request to request) -> table, steps
_FEE_DATA: dict[int, tuple[tuple[FeeRule, ...], FloatArray, int]] = {}


def _fee_data(fees: tuple[FeeRule, ...]) -> tuple[FloatArray, int]:
    """:func:`_fee_table` and :func:`_lower_bound_steps` of ``fees`` without hashing the fee rules on every call
    (two ``lru_cache`` look-ups hash each frozen rule in Python, ≈ 1 µs a rule)."""
    hit = _FEE_DATA.get(id(fees))
    if hit is not None and hit[0] is fees:
        return hit[1], hit[2]
    table, steps = _fee_table(fees), _lower_bound_steps(fees)
    if len(_FEE_DATA) > 64:
        _FEE_DATA.clear()
    _FEE_DATA[id(fees)] = (fees, table, steps)
    return table, steps


def _fees_never_fall(table: FloatArray) -> bool:
    """Whether every fee is non-decreasing in the loan and all together grow by at most the loan (percentages
    ≥ 0 summing to at most 100 %): then payout is non-decreasing and grows by at most 100 øre a krone."""
    percent = table[:, 0]
    return bool(np.all(percent >= 0) and percent.sum() <= 100)


def smallest_grant(need_ore: Any, max_loan_kr: Any, fees: tuple[FeeRule, ...]) -> IntArray:
    """The smallest whole-krone grant G with which the loan needed to pay out ``need − G`` is within
    ``max_loan_kr``.

    ``loan_for_payout(x) ≤ M`` ⇔ ``x ≤ max(payout(M), 0)`` (payout is non-decreasing from 1 krone; a zero or
    negative need costs no loan), so ``G = max(0, ceil((need − max(payout(M), 0)) / 100))``."""
    room = np.maximum(payout_ore(max_loan_kr, fees), 0)
    gap = np.asarray(need_ore, dtype=np.int64) - room
    out: IntArray = np.maximum(0, -(-gap // 100))
    return out


def need_ore(price: Any, costs: Any, equity: Any, bank_loan: Any = 0.0) -> IntArray:
    """What the startlån must pay out, in øre (rounded up): price + costs − equity − bank loan."""
    need = _f(price) + _f(costs) - _f(equity) - _f(bank_loan)
    out: IntArray = np.ceil(need * 100 - 1e-6).astype(np.int64)
    return out


def dwelling_limit_ore(price: Any, costs: Any, bank_loan: Any = 0.0) -> IntArray:
    """What fellesgjeld + bank loan + startlån ≤ price + fellesgjeld + costs leaves for the startlån's payout, in
    øre (negative when the bank loan alone exceeds price + costs)."""
    out: IntArray = np.floor((_f(price) + _f(costs) - _f(bank_loan)) * 100 + 1e-6).astype(np.int64)
    return out


def dwelling_cap(limit_ore: Any, fees: tuple[FeeRule, ...]) -> IntArray:
    """The largest startlån whose payout stays within ``limit_ore`` (fees deducted at payout count as costs)."""
    limit = np.asarray(limit_ore, dtype=np.int64)
    out: IntArray = np.where(limit > 0, loan_for_payout(limit + 1, fees) - 1, 0)
    return out


# --------------------------------------------------------------------------------------------------------------
# § 8-5: a term over the ordinary maximum
# --------------------------------------------------------------------------------------------------------------

SECTION_85_CONDITIONS = (
    "permanently_low_income",
    "dwelling_meets_long_term_needs",
    "rental_market_unsuitable",
    "shorter_term_not_responsible",
)


def section_8_5_missing(given: dict[str, Any], has_children: Any) -> tuple[dict[str, BoolArray], BoolArray, BoolArray]:
    """Forskrift om lån fra Husbanken § 8-5 for a term over the ordinary maximum: conditions a)–d) must all be
    documented; a) is waived for a household with children or at risk of losing its home that has a low,
    predictable income; b) and c) are waived when it is at risk of losing its home.

    ``given`` maps reason slugs (the four conditions, ``at_risk_of_losing_home``, ``low_predictable_income``) to
    boolean arrays. Returns (missing per condition, allowed, any waived)."""

    def g(key: str) -> BoolArray:
        return np.asarray(given.get(key, False), dtype=np.bool_)

    at_risk = g("at_risk_of_losing_home")
    waive_a = (np.asarray(has_children, dtype=np.bool_) | at_risk) & g("low_predictable_income")
    waived = {
        "permanently_low_income": waive_a,
        "dwelling_meets_long_term_needs": at_risk,
        "rental_market_unsuitable": at_risk,
        "shorter_term_not_responsible": np.zeros_like(at_risk),
    }
    missing = {c: ~g(c) & ~waived[c] for c in SECTION_85_CONDITIONS}
    allowed = ~(missing[SECTION_85_CONDITIONS[0]] | missing[SECTION_85_CONDITIONS[1]])
    allowed = allowed & ~(missing[SECTION_85_CONDITIONS[2]] | missing[SECTION_85_CONDITIONS[3]])
    any_waived = waive_a | at_risk
    return missing, allowed, any_waived


# --------------------------------------------------------------------------------------------------------------
# The financing ladder
# --------------------------------------------------------------------------------------------------------------

SOLUTION_NONE, SOLUTION_REFERENCE, SOLUTION_FIXED, SOLUTION_LONGER, SOLUTION_ADJUSTED, SOLUTION_GRANT = range(6)
SOLUTION_INTEREST_ONLY = 6
STEP_SOLUTIONS = {
    "reference": SOLUTION_REFERENCE,
    "fixed_rate": SOLUTION_FIXED,
    "longer_term": SOLUTION_LONGER,
    "interest_only": SOLUTION_INTEREST_ONLY,
    "adjusted_consumption": SOLUTION_ADJUSTED,
    "grant": SOLUTION_GRANT,
}


def interest_only_capacity(
    available: Any, rise_monthly: Any, rise_years: Any, stress_rate: Any, term_years: Any, max_years: int
) -> tuple[IntArray, FloatArray, FloatArray, BoolArray]:
    """The ladder's interest-only step (avdragsfrihet before a grant), as it helps in practice: k = the whole years
    until an expected income rise (1 ≤ k ≤ ``max_years`` < term); the interest-only payment at the stress rate
    against today's budget, the full annuity over the remaining (term − k) years against today's budget plus the
    rise. Returns (k, the loan the interest-only payment allows, the loan the full payment afterwards allows,
    offered). Not offered where no rise is expected (interest-only years alone only raise the later payment)."""
    a = _f(available)
    rise = np.nan_to_num(_f(rise_monthly))
    years = np.nan_to_num(_f(rise_years), nan=1e9)
    i = _f(stress_rate) / 12
    term = np.asarray(term_years, dtype=np.int64)
    k = np.maximum(1, np.ceil(years - 1e-9)).astype(np.int64)
    offered = (rise > 0) & (a > 0) & (k <= max_years) & (k < term)
    with np.errstate(divide="ignore", invalid="ignore"):
        io_cap = np.where(i > 0, a / i, np.inf)
    after = (a + rise) * present_value_factor(i, np.maximum(term - k, 1) * 12.0)
    return k, np.where(offered, io_cap, 0.0), np.where(offered, after, 0.0), offered


@dataclass(frozen=True)
class LoanConfig:
    """How the loan is tested, per household: ``kind`` 0 = floating at the stress rate, k ≥ 1 = fixed rate for
    the k-th fixation period of the parameter set (then the stress rate)."""

    stress: FloatArray
    fixations: tuple[int, ...]
    fixed_rates: FloatArray  # (len(fixations), n): the fixed rate of each fixation period
    serial: BoolArray
    interest_only_months: IntArray
    max_term_years: int
    uniform: bool = False  # the same rates and loan form for every household: factors tabulated once
    _table: list[tuple[FloatArray, BoolArray]] = field(default_factory=list, repr=False, compare=False)

    def first_rate(self, kind: IntArray) -> FloatArray:
        rates = np.vstack([self.stress[None, :], self.fixed_rates]) if self.fixed_rates.size else self.stress[None, :]
        out: FloatArray = rates[kind, np.arange(kind.shape[0])]
        return out

    def fixation_months(self, kind: IntArray, term_years: IntArray) -> IntArray:
        years = np.asarray((0, *self.fixations), dtype=np.int64)[kind]
        out: IntArray = np.where(kind > 0, years * 12, term_years * 12)
        return out

    def factors(self, kind: IntArray, term_years: IntArray) -> tuple[FloatArray, BoolArray]:
        """:func:`capacity_factors` per household for configuration ``kind`` and ``term_years``."""
        if self.uniform and self.stress.size:
            if not self._table:  # every (kind, term) once, from the first household's (common) values
                kinds = np.arange(len(self.fixations) + 1, dtype=np.int64)[:, None]
                terms = np.maximum(np.arange(self.max_term_years + 1, dtype=np.int64), 1)[None, :]
                rates = np.concatenate([self.stress[:1], self.fixed_rates[:, 0]])[kinds]
                years = np.asarray((0, *self.fixations), dtype=np.int64)[kinds]
                factor, multiply = capacity_factors(
                    rates,
                    terms * 12,
                    self.serial[0],
                    self.interest_only_months[0],
                    np.where(kinds > 0, years * 12, terms * 12),
                    self.stress[0],
                )
                self._table.append((factor, np.ascontiguousarray(multiply)))
            factor, multiply = self._table[0]
            return factor[kind, term_years], multiply[kind, term_years]
        return capacity_factors(
            self.first_rate(kind),
            term_years * 12,
            self.serial,
            self.interest_only_months,
            self.fixation_months(kind, term_years),
            self.stress,
        )

    def max_loan(self, available: FloatArray, kind: IntArray, term_years: IntArray) -> IntArray:
        """The payment-capacity limit in whole kroner for this configuration and term."""
        return max_loan(apply_capacity(available, self.factors(kind, term_years)))

    def loan_grows_with_term(self, first_term: int) -> bool:
        """Whether, for a uniform configuration, the largest loan never falls as the term grows from
        ``first_term`` years to the maximum, for every kind (read from the tabulated factors: one form per kind, the
        principal per krone of payment never falling). Then the shortest term that works can be bisected."""
        if not self.uniform or not self.stress.size or first_term >= self.max_term_years:
            return False
        n_kinds = len(self.fixations) + 1
        kinds = np.repeat(np.arange(n_kinds, dtype=np.int64), self.max_term_years - first_term + 1)
        terms = np.tile(np.arange(first_term, self.max_term_years + 1, dtype=np.int64), n_kinds)
        factor, multiply = self.factors(kinds, terms)
        factor, multiply = factor.reshape(n_kinds, -1), np.asarray(multiply).reshape(n_kinds, -1)
        same_form = (multiply == multiply[:, :1]).all(axis=1)
        rising = np.where(
            multiply[:, 0], (np.diff(factor, axis=1) >= 0).all(axis=1), (np.diff(factor, axis=1) <= 0).all(axis=1)
        )
        return bool((same_form & rising).all() and np.isfinite(factor).all() and (factor > 0).all())


def loan_config(
    params: UnderwritingParameters,
    n: int,
    *,
    stress_override: Any = None,
    fixed_rate_override: Any = None,
    serial: Any = False,
    interest_only_months: Any = 0,
) -> LoanConfig:
    """The rates and loan form per household (overrides NaN = the parameter set's)."""
    fix = tuple(params.fixation_periods_years)
    stress = np.broadcast_to(startlan_stress_rate(params, stress_override), (n,)).astype(np.float64)
    base = np.asarray([params.startlan_fixed_rate(y) for y in fix], dtype=np.float64).reshape(len(fix), 1)
    fixed = np.broadcast_to(base, (len(fix), n)).astype(np.float64)
    if fixed_rate_override is not None:
        o = np.broadcast_to(_f(fixed_rate_override), (n,))
        fixed = np.where(np.isnan(o)[None, :], fixed, o[None, :])
    uniform = (
        stress_override is None
        and fixed_rate_override is None
        and np.ndim(serial) == 0
        and np.ndim(interest_only_months) == 0
    )
    return LoanConfig(
        stress=stress,
        fixations=fix,
        fixed_rates=fixed,
        serial=np.broadcast_to(np.asarray(serial, dtype=np.bool_), (n,)),
        interest_only_months=np.broadcast_to(np.asarray(interest_only_months, dtype=np.int64), (n,)),
        max_term_years=params.special_max_term_years,
        uniform=uniform and n > 1,
    )


@dataclass(frozen=True)
class LadderStepArrays:
    """One step of the ladder for every household. ``listed``: the step was reached (no earlier step worked);
    ``tried``: it was offered (else skipped). The configuration and figures are those of the trial (for a skipped
    step, the state it was skipped in)."""

    name: str
    listed: BoolArray
    tried: BoolArray
    works: BoolArray
    kind: IntArray
    term_years: IntArray
    adjusted: BoolArray  # the caseworker's living-cost figure is used
    max_loan: IntArray
    available: FloatArray
    fixed_candidates: IntArray | None = None  # (fixations, n) max loans per offered fixation, −1 = not offered
    interest_only_years: IntArray | None = None  # the interest-only step: its years (0 = none)


@dataclass(frozen=True)
class LadderArrays:
    steps: tuple[LadderStepArrays, ...]
    solution: IntArray  # SOLUTION_* values
    kind: IntArray  # the configuration reached (the solution's, or the best tried)
    term_years: IntArray
    adjusted: BoolArray
    max_loan: IntArray
    available: FloatArray
    grant: IntArray  # the smallest grant where the grant is the solution, else 0
    loan_with_grant: IntArray
    startlan: IntArray  # the startlån the plan ends in (after any grant); 0 when nothing works
    serviceable: BoolArray
    interest_only_years: IntArray | None = None  # interest-only years of the configuration reached (0 = none)

    def fixation_years(self, fixations: tuple[int, ...]) -> IntArray:
        out: IntArray = np.asarray((0, *fixations), dtype=np.int64)[self.kind]
        return out


def _shortest_term(
    config: LoanConfig,
    idx: IntArray,
    avail: FloatArray,
    kind: IntArray,
    term: IntArray,
    required: IntArray,
    ok: BoolArray,
    cap: IntArray | None,
    limit: int,
) -> tuple[IntArray, IntArray]:
    """For households ``idx`` (terms below ``limit``): the shortest term above their term up to ``limit`` whose
    largest loan (capped) reaches ``required`` with a budget that is not negative, and that loan; where none does,
    ``limit`` and its loan. Needs :meth:`LoanConfig.loan_grows_with_term`."""
    a, k, req, good = avail[idx], kind[idx], required[idx], ok[idx]
    cp = None if cap is None else cap[idx]

    def loan(sub: IntArray, years: IntArray) -> IntArray:
        c = config.max_loan(a[sub], k[sub], years)
        return c if cp is None else np.minimum(c, cp[sub])

    everyone = np.arange(len(idx))
    t_found = np.full(len(idx), limit, dtype=np.int64)
    c_found = loan(everyone, t_found)
    w = np.flatnonzero(good & (c_found >= req))  # a term works: find the shortest
    lo, hi = term[idx][w], t_found[w]  # the answer is in (lo, hi]; hi works
    while w.size and bool((hi - lo > 1).any()):
        open_ = np.flatnonzero(hi - lo > 1)
        mid = (lo[open_] + hi[open_]) // 2
        works = loan(w[open_], mid) >= req[w[open_]]
        hi[open_] = np.where(works, mid, hi[open_])
        lo[open_] = np.where(works, lo[open_], mid)
    t_found[w] = hi
    c_found[w] = loan(w, hi)
    return t_found, c_found


def ladder(
    params: UnderwritingParameters,
    config: LoanConfig,
    *,
    available: FloatArray,
    required: IntArray,
    need_ore: IntArray,
    cap: IntArray | None,
    long_term_allowed: BoolArray,
    available_adjusted: FloatArray | None = None,
    fixation_preference: IntArray | None = None,
    income_rise: FloatArray | None = None,
    income_rise_years: FloatArray | None = None,
) -> LadderArrays:
    """The financing ladder for every household (Rælingen practice; Husbanken: fixed rate and long terms before a
    grant).

    1. reference – floating rate, the reference term, full living costs (``available``);
    2. the parameter set's ``ladder_order`` of ``fixed_rate`` (the best offered fixation period, or only the
       preferred one), ``longer_term`` (the shortest term up to the special maximum that works, where § 8-5 allows
       it), ``interest_only`` (:func:`interest_only_capacity`: where an income rise of ``income_rise`` NOK a month
       is expected in ``income_rise_years``; optional in a set) and ``adjusted_consumption``
       (``available_adjusted``: the caseworker's figure; NaN = none);
    3. the grant – last: the smallest whole-krone grant that makes the purchase serviceable under the best
       configuration reached (none if the budget is negative before any startlån).

    Steps are cumulative (a step keeps an earlier step's improvement) and the ladder stops at the first step that
    works: the monthly surplus is not negative and the largest loan (capped by ``cap``) is at least ``required``.
    """
    n = available.shape[0]
    ref_term = params.reference_term_years
    limit = params.special_max_term_years
    kind = np.zeros(n, dtype=np.int64)
    term = np.full(n, ref_term, dtype=np.int64)
    adjusted = np.zeros(n, dtype=np.bool_)
    io_years = np.zeros(n, dtype=np.int64)
    avail = np.asarray(available, dtype=np.float64)

    def capped(loan: IntArray) -> IntArray:
        return loan if cap is None else np.minimum(loan, cap)

    best = capped(config.max_loan(avail, kind, term))
    works = (avail >= 0) & (best >= required)
    everyone = np.ones(n, dtype=np.bool_)
    steps = [LadderStepArrays("reference", everyone, everyone, works, kind, term, adjusted, best, avail)]
    solution = np.where(works, SOLUTION_REFERENCE, SOLUTION_NONE).astype(np.int64)
    for name in params.ladder_order:
        active = solution == SOLUTION_NONE
        if not active.any():
            break
        fixed_candidates = None
        trial_avail = avail
        trial_adjusted = adjusted
        trial_kind = kind
        trial_term = term
        trial_io = np.zeros_like(io_years)  # the other steps are assessed without interest-only years
        if name == "interest_only":
            if income_rise is None or income_rise_years is None:
                offered = np.zeros(n, dtype=np.bool_)
                cand = best
            else:
                io_k, io_cap, after, offered = interest_only_capacity(
                    avail,
                    income_rise,
                    income_rise_years,
                    config.stress,
                    term,
                    params.budget.interest_only_max_years or params.max_interest_only_years,
                )
                cand = capped(max_loan(np.minimum(io_cap, after)))
                offered = offered & (cand > best)  # offered only where it helps
                cand = np.where(offered, cand, best)
                trial_kind = np.where(offered, 0, kind)  # tested at the floating stress rate
                trial_io = np.where(offered, io_k, io_years)
        elif name == "fixed_rate":
            cands = []
            for k, y in enumerate(config.fixations, start=1):
                offered_k = y <= term
                if fixation_preference is not None:
                    offered_k = offered_k & ((fixation_preference == 0) | (fixation_preference == y))
                c = capped(config.max_loan(avail, np.full(n, k, dtype=np.int64), term))
                cands.append(np.where(offered_k, c, -1))
            stack = np.stack(cands) if cands else np.full((1, n), -1, dtype=np.int64)
            pick = np.argmax(stack, axis=0)
            cand = stack[pick, np.arange(n)]
            offered = cand >= 0
            trial_kind = np.where(offered, pick + 1, kind)
            fixed_candidates = stack
        elif name == "longer_term":
            offered = np.asarray(long_term_allowed, dtype=np.bool_)
            cand = best.copy()
            trial_term = term.copy()
            searching = active & offered
            ok = avail >= 0
            if n and config.loan_grows_with_term(int(term.min())):
                # The largest loan never falls with the term: the first term that works (the one the search below
                # stops at) is bisected, and where none works the maximum's figures are kept, as there.
                idx = np.flatnonzero(searching & (term < limit))
                t_found, c_found = _shortest_term(config, idx, avail, kind, term, required, ok, cap, limit)
                trial_term[idx] = t_found
                cand[idx] = c_found
                searching[:] = False
            for t in range(int(term.min()) + 1 if n else limit, limit + 1):
                sel = searching & (t > term)
                if not sel.any():
                    continue
                if config.uniform:  # the same per-household figures, computed only for the households searching
                    idx = np.flatnonzero(sel)
                    c = config.max_loan(avail[idx], kind[idx], np.full(len(idx), t, dtype=np.int64))
                    if cap is not None:
                        c = np.minimum(c, cap[idx])
                    trial_term[idx] = t
                    cand[idx] = c
                    searching[idx] = ~(ok[idx] & (c >= required[idx]))
                    continue
                c = capped(config.max_loan(avail, kind, np.full(n, t, dtype=np.int64)))
                trial_term = np.where(sel, t, trial_term)
                cand = np.where(sel, c, cand)
                searching = searching & ~(sel & ok & (c >= required))
        elif name == "adjusted_consumption":
            if available_adjusted is None:
                offered = np.zeros(n, dtype=np.bool_)
                cand = best
            else:
                offered = ~np.isnan(available_adjusted)
                trial_avail = np.where(offered, available_adjusted, avail)
                trial_adjusted = adjusted | offered
                cand = np.where(offered, capped(config.max_loan(trial_avail, kind, term)), best)
        else:  # pragma: no cover (the parameter set is validated)
            raise ValueError(f"unknown ladder step {name!r}")
        tried = active & offered
        if not tried.any():  # nobody tries this step: its record without the figures, and nothing changes
            none_i = np.zeros(n, dtype=np.int64)
            steps.append(
                LadderStepArrays(
                    name,
                    active,
                    tried,
                    tried.copy(),
                    kind,
                    term,
                    adjusted,
                    none_i,
                    np.zeros(n),
                    fixed_candidates,
                    none_i,
                )
            )
            continue
        step_works = tried & (trial_avail >= 0) & (cand >= required)
        steps.append(
            LadderStepArrays(
                name,
                active,
                tried,
                step_works,
                np.where(tried, trial_kind, kind),
                np.where(tried, trial_term, term),
                np.where(tried, trial_adjusted, adjusted),
                np.where(tried, cand, 0),
                np.where(tried, trial_avail, 0.0),
                fixed_candidates,
                np.where(tried, trial_io, 0),
            )
        )
        better = tried & ((cand > best) | step_works)
        kind = np.where(better, trial_kind, kind)
        term = np.where(better, trial_term, term)
        adjusted = np.where(better, trial_adjusted, adjusted)
        io_years = np.where(better, trial_io, io_years)
        avail = np.where(better, trial_avail, avail)
        best = np.where(better, cand, best)
        solution = np.where(step_works, STEP_SOLUTIONS[name], solution)

    needs_grant = (solution == SOLUTION_NONE) & (avail >= 0)
    grant = np.where(needs_grant, smallest_grant(need_ore, best, params.fees), 0)
    solution = np.where(needs_grant, SOLUTION_GRANT, solution)
    loan_with = loan_for_payout(np.where(needs_grant, need_ore - grant * 100, 0), params.fees)
    startlan = np.where(needs_grant, loan_with, np.where(solution == SOLUTION_NONE, 0, required))
    return LadderArrays(
        steps=tuple(steps),
        solution=solution,
        kind=kind,
        term_years=term,
        adjusted=adjusted,
        max_loan=best,
        available=avail,
        grant=grant,
        loan_with_grant=loan_with,
        startlan=startlan,
        serviceable=solution != SOLUTION_NONE,
        interest_only_years=io_years,
    )
