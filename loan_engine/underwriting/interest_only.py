"""The ladder's interest-only step (avdragsfrihet, at most the parameter set's 8 years): the explanation of its
figures and the answer for the configuration it reaches. The rule itself is
:func:`loan_engine.underwriting.rules.interest_only_capacity`, run by :func:`loan_engine.underwriting.rules.ladder`
(the same for one household and for the register screening).

Tested as it helps in practice: the interest-only payment against today's income, the full payment afterwards
against the income expected then (an income with ``starts_on``). Husbanken's grant guidance names avdragsfrihet
before a grant (domain_rules §4); the reason the rules require — the expected income rise — is recorded in the
step. Where no rise is expected the step says it does not help.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from loan_engine.explain import kr_en, kr_nb, pct_en, pct_nb
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting import rules
from loan_engine.underwriting.affordability import AffordabilityResult, Fee, RateType, fee_ore
from loan_engine.underwriting.amortization import Repayment, peak_payment_per_krone


@dataclass(frozen=True)
class IncomeRise:
    """Net monthly income expected to be added ``years_from_now`` years after the loan starts."""

    monthly: float
    years_from_now: float
    description: str = ""


def max_years(params: UnderwritingParameters) -> int:
    return params.budget.interest_only_max_years or params.max_interest_only_years


def interest_only_capacity_vec(
    available: npt.ArrayLike,
    rise_monthly: npt.ArrayLike,
    rise_years: npt.ArrayLike,
    stress_rate: npt.ArrayLike,
    term_years: npt.ArrayLike,
    limit: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """:func:`loan_engine.underwriting.rules.interest_only_capacity` (the one rule)."""
    return rules.interest_only_capacity(available, rise_monthly, rise_years, stress_rate, term_years, limit)


def not_helping(rise: IncomeRise | None, params: UnderwritingParameters) -> tuple[str, str]:
    """Why the step was not tried."""
    limit = max_years(params)
    if rise is None or rise.monthly <= 0:
        return (
            "Avdragsfrihet hjelper ikke: ingen inntektsøkning er ventet (ingen inntekt med startdato), så full betaling "
            "etter de avdragsfrie årene blir høyere enn uten avdragsfrihet.",
            "Interest-only years do not help: no income rise is expected (no income with a start date), so the full "
            "payment after the interest-only years would be higher than without them.",
        )
    years = f"{rise.years_from_now:.1f}"
    return (
        f"Avdragsfrihet hjelper ikke her: inntektsøkningen kommer om {years.replace('.', ',')} år (høyst {limit} "
        "avdragsfrie år), eller den gir ikke et større lån.",
        f"Interest-only years do not help here: the income rise comes in {years} years (at most {limit} "
        "interest-only years), or it does not give a larger loan.",
    )


def explain(
    k: int,
    rise: IncomeRise,
    stress: float,
    available: float,
    term_years: int,
    loan: int,
    params: UnderwritingParameters,
) -> tuple[str, str]:
    """The tried step, from its figures."""
    limit = max_years(params)
    _, io_cap, after, _ = rules.interest_only_capacity(
        [available], [rise.monthly], [rise.years_from_now], [stress], [term_years], limit
    )
    years = f"{rise.years_from_now:.1f}"
    why = f", {rise.description}" if rise.description else ""
    nb = (
        f"Avdragsfrihet i {k} år (høyst {limit}; begrunnelse: ventet inntektsøkning {kr_nb(rise.monthly)} per måned om "
        f"{years.replace('.', ',')} år{why}): renter alene med {pct_nb(stress)} tåler et lån på {kr_nb(io_cap[0])} med "
        f"dagens inntekt; full betaling over de {term_years - k} årene etterpå tåler {kr_nb(after[0])} med inntekten "
        f"da. Største lån {kr_nb(loan)}."
    )
    en = (
        f"Interest-only for {k} years (at most {limit}; reason: an expected income rise of {kr_en(rise.monthly)} a month "
        f"in {years} years{why}): interest alone at {pct_en(stress)} carries a loan of {kr_en(io_cap[0])} on today's "
        f"income; the full payment over the {term_years - k} years after carries {kr_en(after[0])} on the income then. "
        f"Maximum loan {kr_en(loan)}."
    )
    return nb, en


def with_interest_only(
    res: AffordabilityResult, loan: int, k: int, params: UnderwritingParameters
) -> AffordabilityResult:
    """The answer for the configuration the step reaches (floating rate, k interest-only years, the loan the rule
    allows with the income rise); the rest of ``res`` (budget, explanation) is unchanged."""
    fees = tuple(Fee(name, a / 100) for name, a in fee_ore(loan, params.fees))
    r = res.stress_rate
    return replace(
        res,
        max_loan=loan,
        payment_capacity_limit=max(loan, res.payment_capacity_limit),
        rate_type=RateType.FLOATING,
        fixed_rate=None,
        fixation_years=None,
        interest_only_years=k,
        fees=fees,
        payout=loan - sum(f.amount for f in fees),
        first_monthly_payment=loan * params.startlan_floating_rate / 12,
        peak_monthly_payment_at_stress=loan * peak_payment_per_krone(r, res.term_years * 12, Repayment.ANNUITY, k * 12),
    )
