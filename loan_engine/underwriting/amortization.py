"""Repayment schedules and their inverse (the largest principal a monthly amount can carry).

Conventions
-----------
* Monthly terms; interest is nominal per year divided by 12 and paid in arrears (Husbanken quotes nominal rates
  for monthly terms).
* Rates are fractions per year (``0.045`` = 4.5 %). Money is NOK.
* A schedule is computed in whole øre (integers), so that it is exact: each row's interest is rounded to the
  nearest øre, the annuity payment is rounded to the nearest øre, and the **last payment absorbs the rounding**
  (its principal is whatever balance remains). The principal column therefore sums to the loan exactly.
* Interest-only (avdragsfri) months come first and count towards the term.
* Rate changes (a fixed period followed by a floating rate, or floating-rate changes) apply from a given month.
  An annuity payment is recomputed on the remaining balance over the remaining months at each change; a serial
  loan keeps its instalment and only the interest changes.

Inverse
-------
:func:`max_principal` is analytic (no rounding): payment is proportional to principal, so the largest principal is
``monthly_amount / peak_payment_per_krone``. For an **annuity** the peak is the level payment after any
interest-only period (or, with rate changes, the largest recomputed level payment). For a **serial** loan the
binding constraint is the **first (largest) payment after any interest-only period**: instalment + interest on the
full principal; later payments fall as the balance falls. With rate changes every phase is checked at its first
month, and interest-only months are checked too (they bind only if a later rate is much higher).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from loan_engine.errors import InvalidInput
from loan_engine.parameters import default_underwriting_parameters
from loan_engine.underwriting import rules

_DEFAULT = default_underwriting_parameters()  # statutory limits: the built-in parameter set's
MAX_TERM_MONTHS = _DEFAULT.special_max_term_years * 12
MAX_INTEREST_ONLY_MONTHS = _DEFAULT.max_interest_only_years * 12
MAX_RATE = 1.0  # 100 % per year: anything above is absurd input


class Repayment(StrEnum):
    ANNUITY = "annuity"
    SERIAL = "serial"


@dataclass(frozen=True)
class RateChange:
    """``annual_rate`` (fraction per year) applies from month ``from_month`` (1-based) onwards."""

    from_month: int
    annual_rate: float


@dataclass(frozen=True)
class LoanTerms:
    principal: float
    annual_rate: float
    term_months: int
    repayment: Repayment = Repayment.ANNUITY
    interest_only_months: int = 0
    rate_changes: tuple[RateChange, ...] = ()


@dataclass(frozen=True)
class ScheduleRow:
    period: int
    annual_rate: float
    payment: float
    interest: float
    principal: float
    balance: float


@dataclass(frozen=True)
class Schedule:
    terms: LoanTerms
    rows: tuple[ScheduleRow, ...]
    total_payment: float
    total_interest: float
    total_principal: float
    first_payment: float
    max_payment: float
    principal_ore: int = field(repr=False, default=0)
    principal_sum_ore: int = field(repr=False, default=0)


def fixed_then_floating(fixed_rate: float, fixation_months: int, floating_rate: float) -> tuple[RateChange, ...]:
    """Rate changes for a fixed rate for ``fixation_months`` and then ``floating_rate``."""
    return (RateChange(from_month=fixation_months + 1, annual_rate=floating_rate),)


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


def _check_rate(rate: float, fieldname: str) -> None:
    if not math.isfinite(rate) or rate < 0 or rate > MAX_RATE:
        raise InvalidInput(
            f"The rate must be between 0 and 100 % per year; got {rate * 100:g} %.",
            field=fieldname,
            rule="rate-0-100-percent",
        )


def validate_terms(
    term_months: int,
    interest_only_months: int,
    annual_rate: float,
    rate_changes: Sequence[RateChange] = (),
    *,
    prefix: str = "loan",
) -> None:
    """Raise :class:`InvalidInput` for a term, interest-only period or rate outside the rules."""
    if term_months < 1 or term_months > MAX_TERM_MONTHS:
        raise InvalidInput(
            f"The term must be from 1 month to {MAX_TERM_MONTHS // 12} years; got {term_months} months.",
            field=f"{prefix}.term_years",
            rule="max-term-50-years",
        )
    if interest_only_months < 0 or interest_only_months > MAX_INTEREST_ONLY_MONTHS:
        raise InvalidInput(
            f"Interest-only may last 0–{MAX_INTEREST_ONLY_MONTHS // 12} years; got {interest_only_months} months.",
            field=f"{prefix}.interest_only_years",
            rule="max-interest-only-8-years",
        )
    if interest_only_months >= term_months:
        raise InvalidInput(
            "The interest-only period must be shorter than the term, so that the loan is repaid.",
            field=f"{prefix}.interest_only_years",
            rule="interest-only-shorter-than-term",
        )
    _check_rate(annual_rate, f"{prefix}.annual_rate")
    previous = 1
    for k, change in enumerate(rate_changes):
        _check_rate(change.annual_rate, f"{prefix}.rate_changes.{k}.annual_rate")
        if change.from_month <= previous or change.from_month > term_months:
            raise InvalidInput(
                "Rate changes must start after month 1, within the term, in increasing order.",
                field=f"{prefix}.rate_changes.{k}.from_month",
                rule="rate-change-within-term",
            )
        previous = change.from_month


# --------------------------------------------------------------------------------------------------------------
# Factors (shared by schedule, inverse and tests)
# --------------------------------------------------------------------------------------------------------------


def annuity_factor(monthly_rate: float, months: int) -> float:
    """Present value of 1 per month for ``months`` months: (1 − (1+i)^−n) / i; n when i = 0; 0 for no months
    (:func:`loan_engine.underwriting.rules.present_value_factor`)."""
    if months <= 0:
        return 0.0
    return float(rules.present_value_factor(monthly_rate, months))


def annuity_payment(principal: float, annual_rate: float, months: int) -> float:
    """Level monthly payment repaying ``principal`` over ``months`` at ``annual_rate``."""
    return principal / annuity_factor(annual_rate / 12, months)


def _rate_at(month: int, annual_rate: float, changes: Sequence[RateChange]) -> float:
    rate = annual_rate
    for change in changes:
        if change.from_month <= month:
            rate = change.annual_rate
        else:
            break
    return rate


def peak_payment_per_krone(
    annual_rate: float,
    term_months: int,
    repayment: Repayment | str = Repayment.ANNUITY,
    interest_only_months: int = 0,
    rate_changes: Sequence[RateChange] = (),
) -> float:
    """The largest monthly payment over the life of a loan of 1 NOK (analytic, no rounding).

    With at most one rate change this is :func:`loan_engine.underwriting.rules.peak_payment_per_krone`; several
    changes are walked phase by phase with the same formulas."""
    repayment = Repayment(repayment)
    if len(rate_changes) <= 1:
        fixation = rate_changes[0].from_month - 1 if rate_changes else None
        later = rate_changes[0].annual_rate if rate_changes else None
        serial = repayment is Repayment.SERIAL
        return float(
            rules.peak_payment_per_krone(annual_rate, term_months, serial, interest_only_months, fixation, later)
        )
    n_amort = term_months - interest_only_months
    starts = sorted({1, interest_only_months + 1, *(c.from_month for c in rate_changes)})
    starts = [s for s in starts if s <= term_months]
    bounds = [*starts[1:], term_months + 1]
    balance = 1.0
    instalment = 1.0 / n_amort
    peak = 0.0
    for start, end in zip(starts, bounds, strict=True):
        i = _rate_at(start, annual_rate, rate_changes) / 12
        months = end - start
        if start <= interest_only_months:
            peak = max(peak, balance * i)
            continue
        if repayment is Repayment.ANNUITY:
            remaining = term_months - start + 1
            pay = balance / annuity_factor(i, remaining)
            peak = max(peak, pay)
            if i == 0.0:
                balance -= pay * months
            else:
                growth = math.exp(months * math.log1p(i))
                balance = balance * growth - pay * (growth - 1.0) / i
        else:
            peak = max(peak, instalment + balance * i)
            balance -= instalment * months
    return peak


def max_principal(
    monthly_amount: float,
    annual_rate: float,
    term_months: int,
    repayment: Repayment | str = Repayment.ANNUITY,
    interest_only_months: int = 0,
    rate_changes: Sequence[RateChange] = (),
) -> float:
    """The largest principal whose highest monthly payment does not exceed ``monthly_amount``.

    Unrounded (callers round down to whole kroner). ``0`` when ``monthly_amount <= 0``. For a serial loan the
    binding constraint is the first payment after the interest-only period (see the module docstring).
    """
    validate_terms(term_months, interest_only_months, annual_rate, rate_changes)
    if not math.isfinite(monthly_amount):
        raise InvalidInput("The monthly amount must be a finite number.", field="monthly_amount", rule="finite")
    if monthly_amount <= 0:
        return 0.0
    if len(rate_changes) <= 1:  # the rule itself: loan_engine.underwriting.rules.max_principal
        fixation = rate_changes[0].from_month - 1 if rate_changes else None
        later = rate_changes[0].annual_rate if rate_changes else None
        serial = Repayment(repayment) is Repayment.SERIAL
        return float(
            rules.max_principal(monthly_amount, annual_rate, term_months, serial, interest_only_months, fixation, later)
        )
    return monthly_amount / peak_payment_per_krone(
        annual_rate, term_months, repayment, interest_only_months, rate_changes
    )


# --------------------------------------------------------------------------------------------------------------
# Schedule
# --------------------------------------------------------------------------------------------------------------


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def build_schedule(terms: LoanTerms) -> Schedule:
    """The full monthly schedule for ``terms``; exact to the øre, principal sums to the loan."""
    if not math.isfinite(terms.principal) or terms.principal <= 0 or terms.principal > 1e10:
        raise InvalidInput(
            "The principal must be a positive amount up to 10 000 000 000 NOK.",
            field="principal",
            rule="principal-positive",
        )
    validate_terms(terms.term_months, terms.interest_only_months, terms.annual_rate, terms.rate_changes)
    repayment = Repayment(terms.repayment)
    n = terms.term_months
    io = terms.interest_only_months
    principal_ore = _round_half_up(terms.principal * 100)
    balance = principal_ore
    rows: list[ScheduleRow] = []
    payment_ore = 0
    instalment_ore = 0
    previous_rate: float | None = None
    total_pay = total_int = total_prin = 0
    max_pay = 0
    for month in range(1, n + 1):
        rate = _rate_at(month, terms.annual_rate, terms.rate_changes)
        i = rate / 12
        interest = _round_half_up(balance * i)
        if month <= io:
            prin = 0
        elif month == n:
            prin = balance
        else:
            if repayment is Repayment.ANNUITY:
                if month == io + 1 or rate != previous_rate:
                    payment_ore = _round_half_up(balance / annuity_factor(i, n - month + 1))
                prin = payment_ore - interest
            else:
                if month == io + 1:
                    instalment_ore = _round_half_up(balance / (n - io))
                prin = instalment_ore
            prin = min(max(prin, 0), balance)
        balance -= prin
        pay = interest + prin
        previous_rate = rate
        total_pay += pay
        total_int += interest
        total_prin += prin
        max_pay = max(max_pay, pay)
        rows.append(
            ScheduleRow(
                period=month,
                annual_rate=rate,
                payment=pay / 100,
                interest=interest / 100,
                principal=prin / 100,
                balance=balance / 100,
            )
        )
    return Schedule(
        terms=terms,
        rows=tuple(rows),
        total_payment=total_pay / 100,
        total_interest=total_int / 100,
        total_principal=total_prin / 100,
        first_payment=rows[0].payment,
        max_payment=max_pay / 100,
        principal_ore=principal_ore,
        principal_sum_ore=total_prin,
    )
