"""Husbanken's four calculators, one to one: terminbeløp (``/v1/schedules``), lånebeløp og tilskuddsbehov
(``/v1/affordability`` and ``/v1/financing-plans``), **betjeningsevne** (surplus or deficit in kroner for a given
loan, :func:`debt_service`) and **nedbetalingstid** (the term an instalment pays off a principal at a rate,
:func:`repayment_period`). Both written over NumPy arrays; the scalar wrappers validate and explain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb, pct_en, pct_nb
from loan_engine.underwriting.amortization import Repayment, peak_payment_per_krone
from loan_engine.underwriting.debts import repayment_months_vec

F = npt.NDArray[np.float64]


def debt_service_vec(
    available_monthly: npt.ArrayLike,
    loan_amount: npt.ArrayLike,
    peak_per_krone: npt.ArrayLike,
    monthly_fee: npt.ArrayLike = 0.0,
) -> F:
    """Surplus (positive) or deficit (negative) per month: available − loan × peak payment per krone − fee."""
    a = np.asarray(available_monthly, dtype=np.float64)
    return (
        a
        - np.asarray(loan_amount, dtype=np.float64) * np.asarray(peak_per_krone, dtype=np.float64)
        - np.asarray(monthly_fee, dtype=np.float64)
    )


@dataclass(frozen=True)
class DebtServiceResult:
    loan_amount: float
    stress_rate: float
    monthly_payment_at_stress: float
    termingebyr_monthly: float
    available_monthly: float
    surplus_monthly: float  # negative = deficit
    serviceable: bool
    explanation: tuple[ExplanationStep, ...]


def debt_service(
    available_monthly: float,
    loan_amount: float,
    stress_rate: float,
    term_years: int,
    repayment: Repayment = Repayment.ANNUITY,
    interest_only_years: int = 0,
    termingebyr_monthly: float = 0.0,
    *,
    peak_per_krone: float | None = None,
) -> DebtServiceResult:
    """Betjeningsevne in kroner: what is left (or missing) each month when the household carries ``loan_amount``
    at the stress rate. ``available_monthly`` is the budget's amount available for the startlån."""
    if not math.isfinite(loan_amount) or loan_amount < 0 or loan_amount > 1e9:
        raise InvalidInput(
            "loan_amount must be between 0 and 1 000 000 000 NOK.",
            field="loan_amount",
            rule="amount-non-negative-bounded",
        )
    peak = (
        peak_payment_per_krone(stress_rate, term_years * 12, repayment, interest_only_years * 12)
        if peak_per_krone is None
        else peak_per_krone
    )
    payment = loan_amount * peak
    surplus = float(debt_service_vec(available_monthly, loan_amount, peak, termingebyr_monthly))
    ok = surplus >= 0
    nb = (
        f"Betjeningsevne for et lån på {kr_nb(loan_amount)}: høyeste betaling med stressrenten {pct_nb(stress_rate)} over "
        f"{term_years} år er {kr_nb(payment)}"
        + (f" + termingebyr {kr_nb(termingebyr_monthly)}" if termingebyr_monthly else "")
        + f"; tilgjengelig {kr_nb(available_monthly)}. "
        + (f"Overskudd {kr_nb(surplus)} per måned." if ok else f"Underskudd {kr_nb(-surplus)} per måned.")
    )
    en = (
        f"Debt service for a loan of {kr_en(loan_amount)}: the highest payment at the stress rate {pct_en(stress_rate)} over "
        f"{term_years} years is {kr_en(payment)}"
        + (f" + termingebyr {kr_en(termingebyr_monthly)}" if termingebyr_monthly else "")
        + f"; available {kr_en(available_monthly)}. "
        + (f"Surplus {kr_en(surplus)} a month." if ok else f"Deficit {kr_en(-surplus)} a month.")
    )
    return DebtServiceResult(
        loan_amount,
        stress_rate,
        payment,
        termingebyr_monthly,
        available_monthly,
        surplus,
        ok,
        (ExplanationStep("debt_service", nb, en, surplus),),
    )


@dataclass(frozen=True)
class RepaymentPeriodResult:
    principal: float
    annual_rate: float
    instalment: float
    months: int  # whole months (the last payment is smaller)
    years: float
    last_payment: float
    total_paid: float
    total_interest: float
    explanation: tuple[ExplanationStep, ...]


def repayment_period(principal: float, annual_rate: float, instalment: float) -> RepaymentPeriodResult:
    """Nedbetalingstid: how long a fixed monthly instalment (annuity) takes to pay off ``principal`` at
    ``annual_rate`` (fraction per year, monthly terms)."""
    if not math.isfinite(principal) or principal <= 0 or principal > 1e9:
        raise InvalidInput(
            "principal must be above 0 and at most 1 000 000 000 NOK.",
            field="principal",
            rule="amount-positive-bounded",
        )
    if not math.isfinite(annual_rate) or annual_rate < 0 or annual_rate > 0.5:
        raise InvalidInput(
            "annual_rate must be between 0 and 50 percent per year.",
            field="annual_rate",
            rule="rate-non-negative-bounded",
        )
    if not math.isfinite(instalment) or instalment <= 0 or instalment > 1e8:
        raise InvalidInput(
            "instalment must be above 0 NOK per month.", field="instalment", rule="amount-positive-bounded"
        )
    i = annual_rate / 12
    interest = principal * i
    if instalment <= interest:
        raise InvalidInput(
            f"The instalment {instalment:.0f} kr does not cover the first month's interest ({interest:.0f} kr at "
            f"{annual_rate * 100:g} %); the loan would never be paid off.",
            field="instalment",
            rule="instalment-covers-interest",
        )
    n_exact = float(repayment_months_vec(np.array([principal]), np.array([i]), np.array([instalment]))[0])
    if not math.isfinite(n_exact) or n_exact > 1200:
        raise InvalidInput(
            "The instalment pays the loan off only after more than 100 years.",
            field="instalment",
            rule="repayment-within-100-years",
        )
    months = max(1, math.ceil(n_exact - 1e-9))
    # balance before the last payment
    g = (1 + i) ** (months - 1)
    before = principal * g - (instalment * (g - 1) / i if i > 0 else instalment * (months - 1))
    last = before * (1 + i)
    total = instalment * (months - 1) + last
    years = months / 12
    nb = (
        f"Nedbetalingstid: {kr_nb(principal)} med {pct_nb(annual_rate)} rente og {kr_nb(instalment)} per måned er "
        f"nedbetalt etter {months} måneder ({years:.1f} år); siste betaling {kr_nb(last)}, renter til sammen "
        f"{kr_nb(total - principal)}."
    ).replace(f"{years:.1f}", f"{years:.1f}".replace(".", ","))
    en = (
        f"Repayment period: {kr_en(principal)} at {pct_en(annual_rate)} with {kr_en(instalment)} a month is paid off after "
        f"{months} months ({years:.1f} years); last payment {kr_en(last)}, total interest {kr_en(total - principal)}."
    )
    return RepaymentPeriodResult(
        principal,
        annual_rate,
        instalment,
        months,
        years,
        last,
        total,
        total - principal,
        (ExplanationStep("repayment_period", nb, en, float(months)),),
    )
