"""Existing debts counted with their terms and a stressed rate, written once over NumPy arrays.

Husbanken's guidance: continuing debt is computed with its actual terms plus expected rate rises (domain_rules
§1.4). The rule, per debt::

    floating:    tested at its rate + the add-on (the startlån's: stress rate − the startlån's floating rate)
    fixed:       its rate while the fixation lasts; the balance then left is tested at rate + add-on
    credit card: counts by its limit, limit × the parameter set's monthly share (banks' convention)
    counted payment = the highest monthly annuity payment over the remaining term at those rates

A debt given only as a stated monthly payment (no rate) counts at that payment, as before, and the answer says it
was not stressed. A stated payment that does not cover the interest at the debt's own rate is an error.
The explanation is built separately (:func:`explain_debts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb, pct_en, pct_nb

F = npt.NDArray[np.float64]


class DebtKind(StrEnum):
    MORTGAGE = "mortgage"
    STUDIELAN = "studielan"
    CAR = "car"
    CONSUMER = "consumer"
    CREDIT_CARD = "credit_card"
    OTHER = "other"


class DebtRateType(StrEnum):
    FLOATING = "floating"
    FIXED = "fixed"


KIND_NB = {
    DebtKind.MORTGAGE: "boliglån",
    DebtKind.STUDIELAN: "studielån",
    DebtKind.CAR: "billån",
    DebtKind.CONSUMER: "forbrukslån",
    DebtKind.CREDIT_CARD: "kredittkort",
    DebtKind.OTHER: "annen gjeld",
}
KIND_EN = {
    DebtKind.MORTGAGE: "mortgage",
    DebtKind.STUDIELAN: "student loan",
    DebtKind.CAR: "car loan",
    DebtKind.CONSUMER: "consumer loan",
    DebtKind.CREDIT_CARD: "credit card",
    DebtKind.OTHER: "other debt",
}


def annuity_payment_vec(balance: F, monthly_rate: F, months: F) -> F:
    """Monthly annuity payment; ``balance / months`` where the rate is 0."""
    months = np.maximum(months, 1.0)
    growth = np.power(1.0 + monthly_rate, -months)
    with np.errstate(divide="ignore", invalid="ignore"):
        pay = np.where(monthly_rate > 0, balance * monthly_rate / (1.0 - growth), balance / months)
    return pay


def balance_after_vec(balance: F, monthly_rate: F, months_total: F, months_paid: F) -> F:
    """Balance left after ``months_paid`` annuity payments of a loan over ``months_total``."""
    pay = annuity_payment_vec(balance, monthly_rate, months_total)
    g = np.power(1.0 + monthly_rate, months_paid)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(monthly_rate > 0, balance * g - pay * (g - 1.0) / monthly_rate, balance - pay * months_paid)
    return np.maximum(left, 0.0)


def repayment_months_vec(principal: F, monthly_rate: F, instalment: F) -> F:
    """Months an annuity instalment needs to pay off ``principal`` (fractional; ``inf`` where the instalment does
    not exceed the interest): n = −ln(1 − P·i/A) / ln(1 + i), n = P/A at i = 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = 1.0 - principal * monthly_rate / instalment
        n = np.where(
            monthly_rate > 0,
            np.where(x > 0, -np.log(np.where(x > 0, x, 1.0)) / np.log1p(monthly_rate), np.inf),
            principal / instalment,
        )
    return np.where(principal <= 0, 0.0, n)


@dataclass(frozen=True)
class DebtTerms:
    """Arrays, one element per debt. ``annual_rate`` is NaN for a debt given only by its stated payment."""

    balance: F
    stated_payment: F  # NaN when not given
    annual_rate: F  # fraction per year, NaN when not given
    remaining_months: F  # NaN when not given (derived from the stated payment where possible)
    fixed: npt.NDArray[np.bool_]
    fixed_months_left: F  # 0 for floating
    credit_card: npt.NDArray[np.bool_]
    credit_limit: F  # NaN when not a card


@dataclass(frozen=True)
class CountedDebts:
    counted_payment: F  # NOK per month
    test_rate: F  # the rate the (post-fixation) payment was tested at; NaN where not stressed
    stressed: npt.NDArray[np.bool_]
    remaining_months: F


def counted_payments(
    terms: DebtTerms, add_on: float, card_share: float, default_months: F | None = None
) -> CountedDebts:
    """The monthly payment each debt counts with in the budget."""
    b = terms.balance
    r = terms.annual_rate
    has_rate = np.isfinite(r)
    months = terms.remaining_months.copy()
    # term from the stated payment where only the payment and rate are given
    need_term = has_rate & ~np.isfinite(months) & np.isfinite(terms.stated_payment)
    if bool(np.any(need_term)):
        derived = repayment_months_vec(b, np.where(has_rate, r, 0.0) / 12, np.nan_to_num(terms.stated_payment))
        months = np.where(need_term, np.ceil(derived - 1e-9), months)
    if default_months is not None:
        months = np.where(has_rate & ~np.isfinite(months), default_months, months)
    m = np.where(np.isfinite(months), np.maximum(months, 1.0), 1.0)
    rate = np.where(has_rate, r, 0.0)
    stress = rate + add_on
    fixed = terms.fixed & has_rate
    f = np.minimum(terms.fixed_months_left, m)
    # floating: whole remaining term at the stressed rate
    pay_float = annuity_payment_vec(b, stress / 12, m)
    # fixed: own rate during fixation, then the balance left at the stressed rate over the rest
    pay_fixed_period = annuity_payment_vec(b, rate / 12, m)
    left = balance_after_vec(b, rate / 12, m, f)
    pay_after = np.where(m - f > 0, annuity_payment_vec(left, stress / 12, np.maximum(m - f, 1.0)), 0.0)
    pay_fix = np.maximum(pay_fixed_period, pay_after)
    stressed_pay = np.where(fixed, pay_fix, pay_float)
    card = terms.credit_card
    card_pay = np.nan_to_num(np.where(np.isfinite(terms.credit_limit), terms.credit_limit, b)) * card_share
    counted = np.where(card, card_pay, np.where(has_rate, stressed_pay, np.nan_to_num(terms.stated_payment)))
    test_rate = np.where(card | ~has_rate, np.nan, stress)
    return CountedDebts(counted, test_rate, has_rate & ~card, np.where(has_rate, m, np.nan))


def validate_debt(k: int, balance: float, payment: float | None, rate: float | None, months: float | None) -> None:
    """Per-debt input rules (field names are the API's)."""
    if rate is not None and (not np.isfinite(rate) or rate < 0 or rate > 0.5):
        raise InvalidInput(
            f"existing_debts.{k}.annual_rate must be between 0 and 50 percent per year; got {rate * 100:g}.",
            field=f"existing_debts.{k}.annual_rate",
            rule="rate-non-negative-bounded",
        )
    if payment is None and rate is None:
        raise InvalidInput(
            "A debt needs its monthly_payment or its annual_rate (with remaining_years).",
            field=f"existing_debts.{k}.monthly_payment",
            rule="debt-payment-or-terms",
        )
    if payment is not None and rate is not None and balance > 0 and months is None and payment <= balance * rate / 12:
        raise InvalidInput(
            f"The debt's payment {payment:.0f} kr does not cover its interest ({balance * rate / 12:.0f} kr a month "
            f"at {rate * 100:g} %); it would never be paid off. Give remaining_years or the correct payment.",
            field=f"existing_debts.{k}.monthly_payment",
            rule="payment-covers-interest",
        )


@dataclass(frozen=True)
class DebtLine:
    kind: DebtKind
    description: str
    balance: float
    stated_payment: float | None
    counted_payment: float
    test_rate: float | None
    remaining_months: int | None
    fixed: bool
    credit_card: bool


def explain_debts(lines: list[DebtLine], add_on: float) -> ExplanationStep:
    total = sum(x.counted_payment for x in lines)
    parts_nb, parts_en = [], []
    for x in lines:
        name_nb = KIND_NB[x.kind] + (f" ({x.description})" if x.description else "")
        name_en = KIND_EN[x.kind] + (f" ({x.description})" if x.description else "")
        if x.credit_card:
            parts_nb.append(f"{name_nb}: regnes etter kredittrammen, {kr_nb(x.counted_payment)}")
            parts_en.append(f"{name_en}: counted by its limit, {kr_en(x.counted_payment)}")
        elif x.test_rate is None:
            parts_nb.append(
                f"{name_nb}: oppgitt betaling {kr_nb(x.counted_payment)} (ikke stresstestet: vilkår mangler)"
            )
            parts_en.append(f"{name_en}: stated payment {kr_en(x.counted_payment)} (not stressed: no terms given)")
        else:
            years = (x.remaining_months or 0) / 12
            fix_nb = " etter bindingstiden" if x.fixed else ""
            fix_en = " after the fixation period" if x.fixed else ""
            parts_nb.append(
                f"{name_nb}: saldo {kr_nb(x.balance)}, {years:.1f} år igjen, testet med {pct_nb(x.test_rate)}{fix_nb}: "
                f"{kr_nb(x.counted_payment)}".replace(".", ",")
            )
            parts_en.append(
                f"{name_en}: balance {kr_en(x.balance)}, {years:.1f} years left, tested at {pct_en(x.test_rate)}{fix_en}: "
                f"{kr_en(x.counted_payment)}"
            )
    nb = (
        f"Eksisterende gjeld med faktiske vilkår og forventet renteøkning (flytende rente + {add_on * 100:.2f} "
        f"prosentpoeng, samme påslag som startlånet): " + "; ".join(parts_nb) + f". Sum {kr_nb(total)} per måned."
    ).replace(f"{add_on * 100:.2f}", f"{add_on * 100:.2f}".replace(".", ","))
    en = (
        f"Existing debts with their actual terms and expected rate rises (floating rate + {add_on * 100:.2f} "
        f"percentage points, the same add-on as the startlån): "
        + "; ".join(parts_en)
        + f". Total {kr_en(total)} a month."
    )
    return ExplanationStep("existing_debts_stressed", nb, en, total)
