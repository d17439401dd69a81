"""The financing ladder and the smallest grant."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loan_engine.errors import InvalidInput
from loan_engine.parameters import default_parameter_set, parse_parameter_set, underwriting_parameters
from loan_engine.underwriting.affordability import (
    BankLoan,
    Dwelling,
    LoanWish,
    Section85Reason,
    loan_for_payout,
)
from loan_engine.underwriting.financing_ladder import (
    FinancingPlan,
    FinancingPlanRequest,
    financing_plan,
    smallest_grant,
)
from tests.underwriting.helpers import params, request

A_TO_D = (
    Section85Reason.PERMANENTLY_LOW_INCOME,
    Section85Reason.DWELLING_MEETS_LONG_TERM_NEEDS,
    Section85Reason.RENTAL_MARKET_UNSUITABLE,
    Section85Reason.SHORTER_TERM_NOT_RESPONSIBLE,
)


def plan_for(
    income: float,
    price: float,
    *,
    reasons: tuple[Section85Reason, ...] = (),
    adjusted: float | None = None,
    equity: float = 0,
    bank: BankLoan | None = None,
) -> FinancingPlan:
    base = replace(
        request(income, loan=LoanWish(term_over_30_reasons=reasons)),
        dwelling=Dwelling(price=price, fellesgjeld=0, costs=price * 0.025, equity=equity),
        bank_loan=bank,
    )
    return financing_plan(FinancingPlanRequest(base, adjusted), params())


def test_reference_works_for_a_cheap_dwelling() -> None:
    plan = plan_for(60_000, 1_500_000)
    assert plan.solution == "reference"
    assert [s.name for s in plan.steps] == ["reference"]
    assert plan.grant is None
    assert plan.required_loan == loan_for_payout(1_537_500 * 100, params().fees)
    assert plan.explanation[-1].code == "conclusion"


def test_ladder_order_fixed_then_longer_then_consumption_then_grant() -> None:
    plan = plan_for(38_000, 4_000_000, reasons=A_TO_D, adjusted=13_000)
    names = [s.name for s in plan.steps]
    assert names == ["reference", "fixed_rate", "longer_term", "adjusted_consumption"]
    assert all(not s.works for s in plan.steps)
    # cumulative: each step at least as good as the one before
    loans = [s.max_loan for s in plan.steps]
    assert loans == sorted(loans)
    assert plan.steps[1].rate_type.value == "fixed" and plan.steps[1].fixation_years in (3, 5, 10, 20)
    assert plan.steps[2].term_years == 50
    assert plan.steps[3].living_costs_source == "caseworker"
    assert plan.solution == "grant" and plan.grant is not None and plan.grant.serviceable
    g = plan.grant.amount
    best = plan.steps[-1].max_loan
    need_ore = round(plan.need * 100)
    assert loan_for_payout(need_ore - g * 100, params().fees) <= best
    assert loan_for_payout(need_ore - (g - 1) * 100, params().fees) > best  # smallest whole krone
    assert plan.grant.form == "write_down" and plan.grant.write_down_years == 20
    assert plan.grant.annual_write_down == pytest.approx(g / 20)


def test_longer_term_not_tried_without_section_8_5() -> None:
    plan = plan_for(38_000, 3_000_000)
    step = next(s for s in plan.steps if s.name == "longer_term")
    assert not step.tried and "§ 8-5" in step.en and "§ 8-5" in step.nb
    step = next(s for s in plan.steps if s.name == "adjusted_consumption")
    assert not step.tried


def test_stops_at_first_step_that_works_and_picks_the_shortest_long_term() -> None:
    plan = plan_for(44_000, 3_100_000, reasons=A_TO_D, adjusted=13_000)
    assert [s.name for s in plan.steps] == ["reference", "fixed_rate", "longer_term"]
    assert plan.solution == "longer_term" and plan.grant is None
    step = plan.steps[-1]
    assert step.works and 30 < step.term_years <= 50
    # the shortest term that works: one year less does not
    from loan_engine.underwriting.affordability import RateType, assess_affordability

    shorter = replace(
        request(44_000),
        loan=LoanWish(
            rate_type=RateType.FIXED,
            fixation_years=step.fixation_years,
            term_years=step.term_years - 1,
            term_over_30_reasons=A_TO_D,
        ),
        dwelling=Dwelling(3_100_000, 0, 3_100_000 * 0.025),
    )
    assert assess_affordability(shorter, params()).max_loan < plan.required_loan


def test_grant_form_interest_free_loan() -> None:
    doc = default_parameter_set().model_dump(mode="json")
    doc["values"]["grant"]["value"] = {"form": "interest_free_loan"}
    p = underwriting_parameters(parse_parameter_set(doc))
    base = replace(request(30_000), dwelling=Dwelling(2_000_000, 0, 50_000))
    plan = financing_plan(FinancingPlanRequest(base), p)
    assert plan.grant is not None and plan.grant.form == "interest_free_loan"
    assert plan.grant.write_down_years is None and "repaid on sale" in plan.grant.en


def test_no_grant_can_help_a_negative_budget() -> None:
    plan = plan_for(12_000, 2_000_000)
    assert plan.solution is None
    assert plan.grant is not None and not plan.grant.serviceable


def test_smallest_grant_exact() -> None:
    fees = params()
    # need 1 000 000 kr, max loan 900 000: payout at 900 000 is 900 000 − 1 500 − 500 = 898 000 → grant 102 000
    assert smallest_grant(100_000_000, 900_000, fees) == 102_000
    assert smallest_grant(0, 0, fees) == 0


def test_equity_covers_everything() -> None:
    plan = plan_for(40_000, 1_000_000, equity=2_000_000)
    assert plan.required_loan == 0 and plan.solution == "reference"


def test_plan_needs_a_purchase() -> None:
    with pytest.raises(InvalidInput) as err:
        financing_plan(FinancingPlanRequest(request()), params())
    assert err.value.rule == "purchase-required"


def test_bank_co_financing_reduces_need() -> None:
    plan = plan_for(90_000, 4_000_000, bank=BankLoan(2_000_000, 0.05))
    assert plan.need == pytest.approx(4_100_000 - 2_000_000)
