"""The case service without HTTP: the conditional UPDATE is the lock, appeal deadlines, promise expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.cases import service
from api.cases.schemas import AppealIn, AssessmentRequest, CaseCreate, DecisionIn, PayoutIn
from api.cases.service import CLI_ACTOR, Actor
from loan_engine.cases.decisions import add_months
from loan_engine.errors import Conflict, NotFound
from models import cases as repo
from models.common import utcnow
from tests.cases.helpers import case_body, granted


def _assessed_case(engine: Engine, kommune: str = "4610") -> str:
    with Session(engine, expire_on_commit=False) as s:
        created = service.create_case(s, CLI_ACTOR, CaseCreate.model_validate(case_body()), kommune_number=kommune)
        service.assess(s, CLI_ACTOR, created.case.id, AssessmentRequest())
        return created.case.id


def test_add_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2024, 11, 29), 3) == date(2025, 2, 28)
    assert add_months(date(2026, 5, 15), 12) == date(2027, 5, 15)


def test_the_conditional_update_is_the_lock(engine: Engine) -> None:
    """Both sessions have read version 2; the first commits its decision; the second's UPDATE … WHERE version = 2
    matches nothing, so it gets a conflict and writes nothing."""
    case_id = _assessed_case(engine)
    body = DecisionIn.model_validate(granted(2))
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        assert service.visible_case(first, CLI_ACTOR, case_id).version == 2
        assert service.visible_case(second, CLI_ACTOR, case_id).version == 2  # cached, stale after `first` commits
        service.decide(first, CLI_ACTOR, case_id, body, expected_version=2)
        with pytest.raises(Conflict) as info:
            service.decide(second, CLI_ACTOR, case_id, body, expected_version=2)
        assert info.value.rule == "stale-version"
    with Session(engine) as s:
        assert len(repo.decisions(s, case_id)) == 1
        case = repo.get(s, case_id)
        assert case is not None and case.version == 3 and case.status == "decided"


def test_kommune_scope_in_the_service(engine: Engine) -> None:
    case_id = _assessed_case(engine, "4611")
    with Session(engine) as s, pytest.raises(NotFound):
        service.visible_case(s, Actor(key_id="k", role="caseworker", kommune_number="0301"), case_id)


def test_appeal_deadline_is_three_weeks(engine: Engine) -> None:
    case_id = _assessed_case(engine)
    decided_at = utcnow() - timedelta(days=30)
    with Session(engine, expire_on_commit=False) as s:
        refused = DecisionIn.model_validate({"version": 2, "outcome": "refused", "reason": "Not in the target group."})
        out = service.decide(s, CLI_ACTOR, case_id, refused, expected_version=2, now=decided_at)
        deadline = out.decisions[0].appeal_deadline
        assert deadline == decided_at.date() + timedelta(days=21)
        late = AppealIn(reason="Too late", received_on=deadline + timedelta(days=1))
        with pytest.raises(Conflict) as info:
            service.appeal(s, CLI_ACTOR, case_id, late, expected_version=3)
        assert info.value.rule == "appeal-deadline-passed"
        on_time = AppealIn(reason="In time", received_on=deadline)
        assert service.appeal(s, CLI_ACTOR, case_id, on_time, expected_version=3).status == "appealed"


def test_expiry_of_unpaid_promises(engine: Engine) -> None:
    kommune = "4612"
    paid = _assessed_case(engine, kommune)
    unpaid = _assessed_case(engine, kommune)
    decided_at = datetime.combine(date.today() - timedelta(days=120), datetime.min.time()).replace(
        tzinfo=utcnow().tzinfo
    )
    with Session(engine, expire_on_commit=False) as s:
        for case_id in (paid, unpaid):
            service.decide(
                s, CLI_ACTOR, case_id, DecisionIn.model_validate(granted(2)), expected_version=2, now=decided_at
            )
        valid_until = add_months(decided_at.date(), 3)
        service.pay_out(s, CLI_ACTOR, paid, PayoutIn(paid_out_on=valid_until), expected_version=3, today=valid_until)
        with pytest.raises(Conflict) as info:
            service.pay_out(s, CLI_ACTOR, unpaid, PayoutIn(), expected_version=3)
        assert info.value.rule == "promise-expired"

        report = service.expire_due(s, CLI_ACTOR, kommune_number=kommune)
        assert report.expired == [unpaid]
        assert service.expire_due(s, CLI_ACTOR, kommune_number=kommune).expired == []
        trail = service.audit_trail(s, CLI_ACTOR, unpaid)
        assert trail[-1].action == "case.expire" and trail[-1].actor_role == "cli"
    with Session(engine) as s:
        statuses = {c: repo.get(s, c).status for c in (paid, unpaid)}  # type: ignore[union-attr]
    assert statuses == {paid: "paid_out", unpaid: "expired"}
