"""Cases as records: create (idempotent), assess, decide, appeal, pay out, expire, recompute — each a unit of
work that writes its audit entry in the same transaction and commits once at the end.

Concurrency: every change to a case is a conditional ``UPDATE … WHERE version = :expected`` (see
:func:`models.cases.update_versioned`), done *before* anything else is written in the transaction, so of two
caseworkers deciding the same case at once one wins and the other gets a 409 with nothing written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.cases import calculations as calc
from api.cases.schemas import (
    AppealIn,
    AppealOut,
    AssessmentRequest,
    AuditEntryOut,
    CalculationKind,
    CalculationOut,
    CaseCreate,
    CaseOut,
    CasePage,
    CaseSummary,
    DecisionIn,
    DecisionOut,
    ExpiryReport,
    Outcome,
    ParameterSetVersionRef,
    PayoutIn,
    PayoutOut,
    RecomputeOut,
)
from api.parameter_sets import service as parameter_set_service
from loan_engine.cases import decisions
from loan_engine.cases import national_id as nid
from loan_engine.cases.status import CaseStatus, transition
from loan_engine.errors import Conflict, InvalidInput, NotFound
from models import audit
from models import cases as repo
from models import parameter_sets as pset_repo
from models.audit import AuditEntry
from models.cases import Case, CaseCalculation, Decision
from models.common import utcnow
from models.idempotency import IdempotencyRecord

CASES_PATH = "/v1/cases"


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an API key (id, role, kommune) or the command line (all kommuner)."""

    key_id: str | None
    role: str
    kommune_number: str | None

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ("caseworker", "cli")


CLI_ACTOR = Actor(key_id=None, role="cli", kommune_number=None)


# ---------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back (stored as UTC); PostgreSQL gives aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _canonical_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _snapshot(case: Case) -> dict[str, Any]:
    """What the audit log keeps of a case's state (the national identity number only as a mask)."""
    return {
        "status": case.status,
        "version": case.version,
        "kommune_number": case.kommune_number,
        "reference": case.reference,
        "national_id": nid.mask(case.national_id),
    }


def _audit(session: Session, actor: Actor, action: str, case_id: str, before: Any, after: Any) -> None:
    audit.record(
        session,
        actor_key_id=actor.key_id,
        actor_role=actor.role,
        action=action,
        entity_type="case",
        entity_id=case_id,
        before=before,
        after=after,
    )


def _plausible_id(value: str) -> bool:
    """Ids are 32 hex characters; anything else cannot name a record (and is never sent to the database)."""
    return 0 < len(value) <= 32 and value.isascii() and value.isalnum()


def visible_case(session: Session, actor: Actor, case_id: str) -> Case:
    """The case, if the actor may see it: a caseworker sees only their own kommune's cases (others: 404)."""
    case = repo.get(session, case_id) if _plausible_id(case_id) else None
    if case is None or (actor.kommune_number is not None and case.kommune_number != actor.kommune_number):
        raise NotFound(f"No case {case_id}.", field="case_id", rule="case-exists")
    return case


def _check_version(case: Case, expected: int) -> None:
    if case.version != expected:
        raise Conflict(
            f"The case has changed since version {expected} (it is now at version {case.version}); "
            "fetch it again and decide on the current figures.",
            field="version",
            rule="stale-version",
        )


def _move(session: Session, case: Case, expected: int, target: CaseStatus, **values: Any) -> None:
    """The optimistic lock: move ``case`` to ``target`` only if nobody changed it since ``expected``."""
    _check_version(case, expected)
    transition(case.status, target)
    if not repo.update_versioned(session, case.id, expected, status=target.value, **values):
        session.rollback()
        raise Conflict(
            "Someone else changed the case at the same moment; nothing was saved. Fetch it again.",
            field="version",
            rule="stale-version",
        )
    session.expire(case)


# ---------------------------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------------------------


def calculation_out(row: CaseCalculation) -> CalculationOut:
    return CalculationOut(
        id=row.id,
        kind=CalculationKind(row.kind),
        parameter_set=ParameterSetVersionRef(id=row.parameter_set_id, version=row.parameter_set_version),
        serviceable=row.serviceable,
        max_loan=row.max_loan,
        request=row.request,
        result=row.result,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def decision_out(row: Decision) -> DecisionOut:
    return DecisionOut(
        id=row.id,
        sequence=row.sequence,
        outcome=Outcome(row.outcome),
        loan_amount=row.loan_amount,
        grant_amount=row.grant_amount,
        terms=row.terms,
        conditions=row.conditions,
        reason=row.reason,
        against_advice=row.against_advice,
        fraradning=row.fraradning,
        calculation_id=row.calculation_id,
        valid_until=row.valid_until,
        appeal_deadline=row.appeal_deadline,
        decided_at=_utc(row.decided_at),
        decided_by=row.decided_by,
    )


def case_out(session: Session, actor: Actor, case: Case, *, with_children: bool = True) -> CaseOut:
    return CaseOut(
        id=case.id,
        kommune_number=case.kommune_number,
        status=CaseStatus(case.status),
        version=case.version,
        reference=case.reference,
        national_id=case.national_id if actor.sees_personal_data else None,
        application=case.application,
        created_by=case.created_by,
        created_at=_utc(case.created_at),
        updated_at=_utc(case.updated_at),
        calculations=[calculation_out(c) for c in repo.calculations(session, case.id)] if with_children else [],
        decisions=[decision_out(d) for d in repo.decisions(session, case.id)] if with_children else [],
        appeal=(
            AppealOut(received_at=_utc(case.appeal_received_at), reason=case.appeal_reason or "")
            if case.appeal_received_at is not None
            else None
        ),
        payout=(
            PayoutOut(paid_out_at=_utc(case.paid_out_at), amount=case.paid_out_amount or 0.0)
            if case.paid_out_at is not None
            else None
        ),
        expired_at=_utc(case.expired_at) if case.expired_at is not None else None,
    )


# ---------------------------------------------------------------------------------------------------------------
# Create (idempotent)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    case: CaseOut
    replayed: bool


def _find_idempotency(session: Session, owner: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.owner_key_id == owner, IdempotencyRecord.idempotency_key == key
    )
    return session.exec(stmt).first()


def _replay(session: Session, actor: Actor, record: IdempotencyRecord, request_hash: str) -> Created:
    if record.request_hash != request_hash or record.method != "POST" or record.path != CASES_PATH:
        raise InvalidInput(
            "This Idempotency-Key was already used for a different request; use a new key for a new case.",
            field="Idempotency-Key",
            rule="idempotency-key-reused",
        )
    body = dict(record.response_body or {})
    if actor.sees_personal_data and body.get("id"):
        # The stored first answer never holds the identity number; put it back from the case itself.
        stored = repo.get(session, str(body["id"]))
        body["national_id"] = stored.national_id if stored is not None else None
    return Created(case=CaseOut.model_validate(body), replayed=True)


def create_case(
    session: Session,
    actor: Actor,
    body: CaseCreate,
    *,
    kommune_number: str | None = None,
    idempotency_key: str | None = None,
) -> Created:
    kommune = actor.kommune_number or kommune_number
    if kommune is None or not (len(kommune) == 4 and kommune.isdigit()):
        raise InvalidInput(
            "A case belongs to a kommune (4-digit kommunenummer).", field="kommune_number", rule="kommune-number-format"
        )
    payload = body.model_dump(mode="json")
    request_hash = _canonical_hash({"kommune": kommune, "body": payload})
    owner = actor.key_id
    if idempotency_key is not None and owner is not None:
        existing = _find_idempotency(session, owner, idempotency_key)
        if existing is not None:
            return _replay(session, actor, existing, request_hash)

    if body.national_id is not None:
        nid.parse(body.national_id, field="national_id")
    application = body.application.model_dump(mode="json")

    case = Case(
        kommune_number=kommune,
        status=CaseStatus.draft.value,
        reference=body.reference,
        application=application,
        national_id=body.national_id,
        created_by=actor.key_id,
    )
    session.add(case)
    _audit(session, actor, "case.create", case.id, None, {**_snapshot(case), "application": application})
    out = case_out(session, actor, case, with_children=False)
    if idempotency_key is not None and owner is not None:
        stored = out.model_dump(mode="json")
        stored["national_id"] = None
        session.add(
            IdempotencyRecord(
                owner_key_id=owner,
                idempotency_key=idempotency_key,
                method="POST",
                path=CASES_PATH,
                request_hash=request_hash,
                response_status=201,
                response_body=stored,
            )
        )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its case, never a second one.
        session.rollback()
        if idempotency_key is None or owner is None:
            raise
        existing = _find_idempotency(session, owner, idempotency_key)
        if existing is None:
            raise
        return _replay(session, actor, existing, request_hash)
    return Created(case=out, replayed=False)


# ---------------------------------------------------------------------------------------------------------------
# Read and list
# ---------------------------------------------------------------------------------------------------------------


def encode_cursor(created_at: datetime, case_id: str) -> str:
    raw = json.dumps([_utc(created_at).isoformat(), case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    bad = InvalidInput("The cursor is not one this service gave out.", field="cursor", rule="cursor-format")
    if len(cursor) > 200:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, case_id = json.loads(raw)
        when = _utc(datetime.fromisoformat(at))
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(case_id, str) or not _plausible_id(case_id):
        raise bad
    return when, case_id


def list_cases(
    session: Session,
    actor: Actor,
    *,
    status: CaseStatus | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    cursor: str | None = None,
    limit: int = 20,
    kommune_number: str | None = None,
) -> CasePage:
    """Newest first. ``created_from``/``created_to`` are inclusive dates (UTC)."""
    if created_from is not None and created_to is not None and created_to < created_from:
        raise InvalidInput("created_to is before created_from.", field="created_to", rule="date-range-order")
    rows = repo.list_page(
        session,
        kommune_number=actor.kommune_number or kommune_number,
        status=status.value if status is not None else None,
        created_from=datetime.combine(created_from, time.min, UTC) if created_from else None,
        created_to=(
            datetime.combine(created_to + timedelta(days=1), time.min, UTC)
            if created_to is not None and created_to < date.max
            else None
        ),
        after=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        CaseSummary(
            id=r.id,
            kommune_number=r.kommune_number,
            status=CaseStatus(r.status),
            version=r.version,
            reference=r.reference,
            purpose=str(r.application.get("purpose")) if isinstance(r.application, dict) else None,
            created_at=_utc(r.created_at),
            updated_at=_utc(r.updated_at),
        )
        for r in rows
    ]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return CasePage(items=items, next_cursor=next_cursor, limit=limit)


def audit_trail(session: Session, actor: Actor, case_id: str) -> list[AuditEntryOut]:
    visible_case(session, actor, case_id)
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == "case", AuditEntry.entity_id == case_id)
        .order_by(col(AuditEntry.id))
    )
    return [
        AuditEntryOut(
            id=e.id or 0,
            at=_utc(e.at),
            actor_key_id=e.actor_key_id,
            actor_role=e.actor_role,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
        )
        for e in session.exec(stmt).all()
    ]


# ---------------------------------------------------------------------------------------------------------------
# Assess
# ---------------------------------------------------------------------------------------------------------------


def assess(session: Session, actor: Actor, case_id: str, request: AssessmentRequest) -> CalculationOut:
    """Run the calculation with the parameter set in force (or the one named) and store it with the set's id
    and version; the case becomes ``assessed``."""
    case = visible_case(session, actor, case_id)
    transition(case.status, CaseStatus.assessed)
    if request.parameter_set is not None:
        row = parameter_set_service.resolve(
            session, set_id=request.parameter_set.id, version=request.parameter_set.version
        )
    else:
        row = parameter_set_service.resolve(session, on=request.on or date.today(), kommune_number=case.kommune_number)
    outcome = calc.calculate(request.kind, case.application, row)
    expected = case.version
    before = _snapshot(case)
    _move(session, case, expected, CaseStatus.assessed)
    calculation = CaseCalculation(
        case_id=case.id,
        kind=request.kind.value,
        request=outcome.request,
        result=outcome.result,
        parameter_set_id=row.set_id,
        parameter_set_version=row.version,
        serviceable=outcome.serviceable,
        max_loan=outcome.max_loan,
        created_by=actor.key_id,
    )
    session.add(calculation)
    session.flush()
    _audit(
        session,
        actor,
        "case.assess",
        case.id,
        before,
        {
            **before,
            "status": CaseStatus.assessed.value,
            "version": expected + 1,
            "calculation": {
                "id": calculation.id,
                "kind": calculation.kind,
                "parameter_set": {"id": row.set_id, "version": row.version},
                "serviceable": outcome.serviceable,
                "max_loan": outcome.max_loan,
            },
        },
    )
    session.commit()
    return calculation_out(calculation)


def recompute(session: Session, actor: Actor, case_id: str, calculation_id: str) -> RecomputeOut:
    """Run a stored calculation again with its own stored parameter set and say whether it gives the same."""
    visible_case(session, actor, case_id)
    stored = repo.get_calculation(session, case_id, calculation_id) if _plausible_id(calculation_id) else None
    if stored is None:
        raise NotFound(
            f"No calculation {calculation_id} in case {case_id}.", field="calculation_id", rule="calculation-exists"
        )
    row = parameter_set_service.resolve(session, set_id=stored.parameter_set_id, version=stored.parameter_set_version)
    again = calc.recalculate(CalculationKind(stored.kind), stored.request, row)
    differences = list(_differences(stored.result, again.result))
    return RecomputeOut(
        calculation_id=stored.id,
        parameter_set=ParameterSetVersionRef(id=row.set_id, version=row.version),
        matches=not differences,
        differences=differences[:50],
        result=again.result,
    )


def _differences(a: Any, b: Any, path: str = "") -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, f"{path}.{k}" if path else str(k))
    elif a != b:
        yield path or "(root)"


# ---------------------------------------------------------------------------------------------------------------
# Decide, appeal, pay out, expire
# ---------------------------------------------------------------------------------------------------------------


def _decision_calculation(session: Session, case: Case, calculation_id: str | None) -> CaseCalculation:
    if calculation_id is not None:
        row = repo.get_calculation(session, case.id, calculation_id) if _plausible_id(calculation_id) else None
        if row is None:
            raise InvalidInput(
                f"No calculation {calculation_id} in this case.", field="calculation_id", rule="calculation-exists"
            )
        return row
    rows = repo.calculations(session, case.id)
    if not rows:
        raise Conflict(
            "The case has no assessment to decide on; assess it first.", field="status", rule="assessment-required"
        )
    return rows[-1]


def _policy(session: Session, calculation: CaseCalculation) -> decisions.CasePolicy:
    """The case rules of the parameter set the calculation used (the built-in default's where it has none)."""
    row = pset_repo.get(session, calculation.parameter_set_id, calculation.parameter_set_version)
    return decisions.case_policy(parameter_set_service.parsed(row) if row is not None else None)


def _validate_decision(
    body: DecisionIn, calculation: CaseCalculation, decided_on: date, policy: decisions.CasePolicy
) -> tuple[bool, date | None]:
    """Returns (against_advice, valid_until): :func:`loan_engine.cases.decisions.check_decision`."""
    draft = decisions.DecisionDraft(
        granted=body.outcome is Outcome.granted,
        loan_amount=body.loan_amount,
        grant_amount=body.grant_amount,
        has_terms=body.terms is not None,
        fixed_rate=body.terms is not None and body.terms.rate_type == "fixed",
        fixation_years=body.terms.fixation_years if body.terms is not None else None,
        valid_until=body.valid_until,
        fraradning=body.fraradning,
    )
    advice = decisions.Advice(serviceable=calculation.serviceable, max_loan=calculation.max_loan)
    return decisions.check_decision(draft, advice, decided_on, policy)


def decide(
    session: Session,
    actor: Actor,
    case_id: str,
    body: DecisionIn,
    *,
    expected_version: int,
    now: datetime | None = None,
) -> CaseOut:
    case = visible_case(session, actor, case_id)
    _check_version(case, expected_version)
    transition(case.status, CaseStatus.decided)
    now = now or utcnow()
    decided_on = now.date()
    calculation = _decision_calculation(session, case, body.calculation_id)
    policy = _policy(session, calculation)
    against_advice, valid_until = _validate_decision(body, calculation, decided_on, policy)
    previous = repo.latest_decision(session, case.id)
    before = _snapshot(case)
    _move(session, case, expected_version, CaseStatus.decided)
    decision = Decision(
        case_id=case_id,
        sequence=(previous.sequence + 1) if previous is not None else 1,
        outcome=body.outcome.value,
        loan_amount=body.loan_amount,
        grant_amount=body.grant_amount,
        terms=body.terms.model_dump(mode="json") if body.terms is not None else {},
        conditions=list(body.conditions),
        reason=body.reason,
        against_advice=against_advice,
        fraradning=body.fraradning,
        calculation_id=calculation.id,
        valid_until=valid_until,
        appeal_deadline=decisions.appeal_deadline(decided_on, policy),
        decided_by=actor.key_id,
        decided_at=now,
    )
    session.add(decision)
    session.flush()
    _audit(
        session,
        actor,
        "case.decide",
        case_id,
        before,
        {
            **before,
            "status": CaseStatus.decided.value,
            "version": expected_version + 1,
            "decision": decision_out(decision).model_dump(mode="json"),
        },
    )
    _commit_or_conflict(session)
    return case_out(session, actor, _reload(session, case_id))


def appeal(
    session: Session,
    actor: Actor,
    case_id: str,
    body: AppealIn,
    *,
    expected_version: int,
    today: date | None = None,
) -> CaseOut:
    case = visible_case(session, actor, case_id)
    _check_version(case, expected_version)
    transition(case.status, CaseStatus.appealed)
    decision = repo.latest_decision(session, case.id)
    assert decision is not None  # a decided case has a decision
    today = today or date.today()
    received = body.received_on or today
    calculation = repo.get_calculation(session, case.id, decision.calculation_id) if decision.calculation_id else None
    policy = _policy(session, calculation) if calculation is not None else decisions.case_policy()
    decisions.check_appeal(received, today, decision.decided_at.date(), decision.appeal_deadline, policy)
    before = _snapshot(case)
    received_at = datetime.combine(received, utcnow().time(), UTC)
    _move(
        session, case, expected_version, CaseStatus.appealed, appeal_received_at=received_at, appeal_reason=body.reason
    )
    _audit(
        session,
        actor,
        "case.appeal",
        case_id,
        before,
        {
            **before,
            "status": CaseStatus.appealed.value,
            "version": expected_version + 1,
            "appeal": {"received_on": received.isoformat(), "reason": body.reason, "against_decision": decision.id},
        },
    )
    _commit_or_conflict(session)
    return case_out(session, actor, _reload(session, case_id))


def pay_out(
    session: Session,
    actor: Actor,
    case_id: str,
    body: PayoutIn,
    *,
    expected_version: int,
    today: date | None = None,
) -> CaseOut:
    case = visible_case(session, actor, case_id)
    _check_version(case, expected_version)
    transition(case.status, CaseStatus.paid_out)
    decision = repo.latest_decision(session, case.id)
    assert decision is not None
    today = today or date.today()
    paid_on = body.paid_out_on or today
    granted = decision.loan_amount + decision.grant_amount
    amount = body.amount if body.amount is not None else granted
    decisions.check_payout(
        decision.outcome == Outcome.granted.value, paid_on, today, decision.valid_until, amount, granted
    )
    before = _snapshot(case)
    paid_at = datetime.combine(paid_on, utcnow().time(), UTC)
    _move(session, case, expected_version, CaseStatus.paid_out, paid_out_at=paid_at, paid_out_amount=amount)
    _audit(
        session,
        actor,
        "case.payout",
        case_id,
        before,
        {
            **before,
            "status": CaseStatus.paid_out.value,
            "version": expected_version + 1,
            "payout": {"paid_out_on": paid_on.isoformat(), "amount": amount, "decision": decision.id},
        },
    )
    _commit_or_conflict(session)
    return case_out(session, actor, _reload(session, case_id))


def expire_due(
    session: Session, actor: Actor, *, today: date | None = None, kommune_number: str | None = None
) -> ExpiryReport:
    """Expire every granted, unpaid promise whose ``valid_until`` has passed (each case its own transaction)."""
    today = today or date.today()
    report = ExpiryReport(expired=[])
    due = [
        (c.id, c.version, d.id, d.valid_until)
        for c, d in repo.expirable(session, today, actor.kommune_number or kommune_number)
    ]
    session.commit()
    for case_id, version, decision_id, valid_until in due:
        case = repo.get(session, case_id)
        if case is None:
            continue
        before = _snapshot(case)
        try:
            _move(session, case, version, CaseStatus.expired, expired_at=utcnow())
        except Conflict:
            report.skipped_changed.append(case_id)
            continue
        _audit(
            session,
            actor,
            "case.expire",
            case_id,
            before,
            {
                **before,
                "status": CaseStatus.expired.value,
                "version": version + 1,
                "expiry": {"decision": decision_id, "valid_until": valid_until.isoformat() if valid_until else None},
            },
        )
        session.commit()
        report.expired.append(case_id)
    return report


def _commit_or_conflict(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "Someone else changed the case at the same moment; nothing was saved.",
            field="version",
            rule="stale-version",
        ) from None


def _reload(session: Session, case_id: str) -> Case:
    case = repo.get(session, case_id)
    assert case is not None
    session.refresh(case)
    return case
