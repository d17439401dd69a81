"""The case status machine: the allowed moves, and every other move refused with a stable rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loan_engine.cases.status import ALLOWED, FINAL, CaseStatus, can_transition, transition
from loan_engine.errors import Conflict

statuses = st.sampled_from(list(CaseStatus))


def test_happy_path_draft_to_paid_out() -> None:
    s = CaseStatus.draft
    for target in (
        CaseStatus.assessed,
        CaseStatus.decided,
        CaseStatus.appealed,
        CaseStatus.decided,
        CaseStatus.paid_out,
    ):
        s = transition(s, target)
    assert s is CaseStatus.paid_out


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "decided"),  # a decision must rest on an assessment
        ("draft", "paid_out"),
        ("assessed", "paid_out"),
        ("appealed", "paid_out"),
        ("paid_out", "decided"),
        ("expired", "assessed"),
        ("decided", "assessed"),
    ],
)
def test_illegal_transitions_are_conflicts(current: str, target: str) -> None:
    with pytest.raises(Conflict) as info:
        transition(current, target)
    assert info.value.rule == "illegal-status-transition"
    assert info.value.field == "status"
    assert current in info.value.detail and target in info.value.detail


def test_final_states() -> None:
    assert {CaseStatus.paid_out, CaseStatus.expired} == FINAL


@given(statuses, statuses)
def test_transition_agrees_with_table(current: CaseStatus, target: CaseStatus) -> None:
    if target in ALLOWED[current]:
        assert transition(current, target) is target
        assert can_transition(current, target)
    else:
        assert not can_transition(current, target)
        with pytest.raises(Conflict):
            transition(current, target)


@given(st.lists(statuses, max_size=12))
def test_any_accepted_walk_starts_at_draft_and_never_leaves_a_final_state(path: list[CaseStatus]) -> None:
    s = CaseStatus.draft
    for target in path:
        if not can_transition(s, target):
            continue
        assert s not in FINAL
        s = transition(s, target)
    # every state is reachable from draft, and nothing reaches draft again
    assert all(CaseStatus.draft not in targets for targets in ALLOWED.values())


def test_every_state_reachable_from_draft() -> None:
    seen = {CaseStatus.draft}
    frontier = [CaseStatus.draft]
    while frontier:
        for t in ALLOWED[frontier.pop()]:
            if t not in seen:
                seen.add(t)
                frontier.append(t)
    assert seen == set(CaseStatus)
