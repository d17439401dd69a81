"""Case decision rules (pure; no persistence, no HTTP): what a decision must contain, how long a promise holds,
when advice against the loan (frarådning) must be written, the appeal deadline and what may be paid out.

The periods come from the parameter set (``case_promise``: promise validity and its maximum;
``appeal_window_weeks``); a set without them (e.g. one stored before the values existed) uses the built-in default
set's. Rules raise the
typed errors of :mod:`loan_engine.errors`; the API turns them into problem+json, the CLI into a message. The case
life cycle itself is :mod:`loan_engine.cases.status`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from loan_engine.errors import Conflict, InvalidInput
from loan_engine.parameters import ParameterSet, default_parameter_set


@dataclass(frozen=True)
class CasePolicy:
    promise_months: int  # a promise (tilsagn) holds this long unless the decision says otherwise
    max_promise_months: int  # and never longer than this
    appeal_weeks: int  # klagefrist


def case_policy(ps: ParameterSet | None = None) -> CasePolicy:
    """The case rules of ``ps`` (the built-in default set's for a value ``ps`` does not have)."""
    default = default_parameter_set()

    def value(key: str) -> object:
        return (ps if ps is not None and key in ps.values else default).value(key)

    promise = value("case_promise")
    assert isinstance(promise, dict)
    return CasePolicy(
        promise_months=int(promise["promise_months"]),
        max_promise_months=int(promise["max_promise_months"]),
        appeal_weeks=int(str(value("appeal_window_weeks"))),
    )


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class DecisionDraft:
    """What a caseworker decides: granted or refused, the amounts and terms, and any written advice against."""

    granted: bool
    loan_amount: float
    grant_amount: float
    has_terms: bool
    fixed_rate: bool
    fixation_years: int | None
    valid_until: date | None
    fraradning: str | None


@dataclass(frozen=True)
class Advice:
    """What the calculation the decision rests on says: serviceable, and the largest loan it allows."""

    serviceable: bool | None
    max_loan: float | None


def check_decision(d: DecisionDraft, advice: Advice, decided_on: date, policy: CasePolicy) -> tuple[bool, date | None]:
    """Validate a decision; returns (granted against the calculation's advice, the promise's ``valid_until``).

    A grant gives a loan, a grant or both; a loan needs its terms (a fixed rate its fixation period); the promise
    holds ``promise_months`` unless given, after the decision and at most ``max_promise_months``. A refusal has no
    amounts and no promise. A loan granted although the calculation says the purchase is not serviceable, or above
    its largest loan, needs the written advice against (frarådning, finansavtaleloven)."""
    if d.granted:
        if d.loan_amount <= 0 and d.grant_amount <= 0:
            raise InvalidInput(
                "A granted decision gives a loan, a grant or both.", field="loan_amount", rule="granted-amount-positive"
            )
        if d.loan_amount > 0 and not d.has_terms:
            raise InvalidInput(
                "A granted loan needs its terms (term_years, rate_type, …).", field="terms", rule="terms-required"
            )
        if d.fixed_rate and d.fixation_years is None:
            raise InvalidInput(
                "A fixed rate needs fixation_years.", field="terms.fixation_years", rule="fixation-years-required"
            )
        valid_until = d.valid_until or add_months(decided_on, policy.promise_months)
        if valid_until <= decided_on:
            raise InvalidInput(
                "valid_until must be after the decision date.", field="valid_until", rule="valid-until-after-decision"
            )
        if valid_until > add_months(decided_on, policy.max_promise_months):
            raise InvalidInput(
                f"A promise holds at most {policy.max_promise_months} months.",
                field="valid_until",
                rule=f"valid-until-max-{policy.max_promise_months}-months",
            )
    else:
        if d.loan_amount or d.grant_amount:
            raise InvalidInput("A refusal grants no amounts.", field="loan_amount", rule="refused-without-amounts")
        if d.valid_until is not None:
            raise InvalidInput("A refusal has no valid_until.", field="valid_until", rule="refused-without-promise")
        valid_until = None
    against_advice = bool(
        d.granted
        and d.loan_amount > 0
        and (advice.serviceable is False or (advice.max_loan is not None and d.loan_amount > advice.max_loan))
    )
    if against_advice and not (d.fraradning and d.fraradning.strip()):
        cap = ""
        if advice.max_loan is not None:
            cap = f" (at most {advice.max_loan:,.0f} NOK)".replace(",", " ")
        raise InvalidInput(
            f"The loan is granted against the calculation's advice{cap}: the written advice against "
            "(frarådning, finansavtaleloven) must be given in `fraradning`.",
            field="fraradning",
            rule="fraradning-required",
        )
    return against_advice, valid_until


def appeal_deadline(decided_on: date, policy: CasePolicy) -> date:
    """The last day an appeal (klage) against a decision made on ``decided_on`` can be received."""
    return decided_on + timedelta(weeks=policy.appeal_weeks)


def check_appeal(received: date, today: date, decided_on: date, deadline: date, policy: CasePolicy) -> None:
    """An appeal is received today or earlier, on or after the decision and by its deadline."""
    if received > today:
        raise InvalidInput("received_on is in the future.", field="received_on", rule="not-in-future")
    if received < decided_on:
        raise InvalidInput("received_on is before the decision.", field="received_on", rule="after-decision")
    if received > deadline:
        raise Conflict(
            f"The appeal deadline ({policy.appeal_weeks} weeks) was {deadline.isoformat()}.",
            field="received_on",
            rule="appeal-deadline-passed",
        )


def check_payout(
    granted: bool, paid_on: date, today: date, valid_until: date | None, amount: float, granted_total: float
) -> None:
    """Only a granted decision is paid out, not in the future, while the promise holds, and at most what was
    granted."""
    if not granted:
        raise Conflict("Only a granted decision can be paid out.", field="status", rule="payout-requires-grant")
    if paid_on > today:
        raise InvalidInput("paid_out_on is in the future.", field="paid_out_on", rule="not-in-future")
    if valid_until is not None and paid_on > valid_until:
        raise Conflict(
            f"The promise expired on {valid_until.isoformat()}; it can no longer be paid out.",
            field="paid_out_on",
            rule="promise-expired",
        )
    if amount > granted_total + 0.5:
        raise InvalidInput(
            f"The payout is more than was granted ({granted_total:,.0f} NOK).".replace(",", " "),
            field="amount",
            rule="payout-within-decision",
        )
