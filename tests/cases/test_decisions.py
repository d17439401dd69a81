"""The pure case decision rules (loan_engine.cases.decisions) and their values from the parameter set."""

from __future__ import annotations

from datetime import date

import pytest

from loan_engine.cases import decisions
from loan_engine.cases.decisions import Advice, CasePolicy, DecisionDraft, case_policy, check_decision
from loan_engine.errors import Conflict, InvalidInput
from loan_engine.parameters import default_parameter_set, parse_parameter_set

DAY = date(2026, 3, 31)


def draft(**changes: object) -> DecisionDraft:
    base: dict[str, object] = {
        "granted": True,
        "loan_amount": 1_000_000.0,
        "grant_amount": 0.0,
        "has_terms": True,
        "fixed_rate": False,
        "fixation_years": None,
        "valid_until": None,
        "fraradning": None,
    }
    return DecisionDraft(**{**base, **changes})  # type: ignore[arg-type]


def test_policy_comes_from_the_parameter_set_with_the_default_as_fallback() -> None:
    assert case_policy() == CasePolicy(promise_months=3, max_promise_months=12, appeal_weeks=3)
    doc = default_parameter_set().model_dump(mode="json")
    doc["values"]["appeal_window_weeks"]["value"] = 4
    del doc["values"]["case_promise"]
    policy = case_policy(parse_parameter_set(doc))
    assert policy.appeal_weeks == 4 and policy.promise_months == 3
    assert decisions.appeal_deadline(DAY, policy) == date(2026, 4, 28)


def test_promise_validity_and_its_maximum() -> None:
    policy = case_policy()
    advice = Advice(serviceable=True, max_loan=2_000_000)
    assert check_decision(draft(), advice, DAY, policy) == (False, date(2026, 6, 30))
    with pytest.raises(InvalidInput) as err:
        check_decision(draft(valid_until=date(2027, 4, 1)), advice, DAY, policy)
    assert err.value.rule == "valid-until-max-12-months"
    assert check_decision(draft(valid_until=date(2027, 3, 31)), advice, DAY, policy)[1] == date(2027, 3, 31)


def test_fraradning_is_required_above_the_calculation() -> None:
    policy = case_policy()
    with pytest.raises(InvalidInput) as err:
        check_decision(draft(loan_amount=2_500_000.0), Advice(True, 2_000_000), DAY, policy)
    assert err.value.rule == "fraradning-required" and "2 000 000" in err.value.detail
    assert check_decision(draft(fraradning="Frarådet skriftlig."), Advice(False, None), DAY, policy)[0] is True
    refused = draft(granted=False, loan_amount=0.0, has_terms=False)
    assert check_decision(refused, Advice(False, 0), DAY, policy) == (False, None)


def test_appeal_and_payout_rules() -> None:
    policy = case_policy()
    deadline = decisions.appeal_deadline(DAY, policy)
    decisions.check_appeal(deadline, deadline, DAY, deadline, policy)
    with pytest.raises(Conflict) as late:
        decisions.check_appeal(date(2026, 4, 22), date(2026, 5, 1), DAY, deadline, policy)
    assert late.value.rule == "appeal-deadline-passed"
    with pytest.raises(InvalidInput):
        decisions.check_appeal(date(2026, 3, 30), DAY, DAY, deadline, policy)
    decisions.check_payout(True, DAY, DAY, date(2026, 6, 30), 100.0, 100.0)
    with pytest.raises(Conflict) as expired:
        decisions.check_payout(True, date(2026, 7, 1), date(2026, 7, 2), date(2026, 6, 30), 1.0, 1.0)
    assert expired.value.rule == "promise-expired"
    with pytest.raises(InvalidInput) as more:
        decisions.check_payout(True, DAY, DAY, None, 101.0, 100.0)
    assert more.value.rule == "payout-within-decision"
