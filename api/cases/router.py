"""Cases: create (Idempotency-Key), read, list (cursor), assess, decide (If-Match / version), appeal, pay out,
recompute a stored calculation, and the case's audit trail. Caseworkers only, and only their own kommune's cases.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from api.cases import service
from api.cases.schemas import (
    AppealIn,
    AssessmentRequest,
    AuditEntryOut,
    CalculationOut,
    CaseCreate,
    CaseOut,
    CasePage,
    DecisionIn,
    PayoutIn,
    RecomputeOut,
    VersionedBody,
)
from api.cases.service import Actor
from api.deps import CaseworkerDep, Principal, SessionDep
from api.problems import ProblemError, problem_responses
from loan_engine.cases.status import CaseStatus

router = APIRouter(prefix="/v1/cases", tags=["cases"])

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
ETAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')

CaseId = Annotated[str, "case id"]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The case version the change is based on, as its ETag (e.g. "3").'),
]


def _actor(principal: Principal) -> Actor:
    return Actor(key_id=principal.key_id, role=principal.role.value, kommune_number=principal.kommune_number)


def _etag(version: int) -> str:
    return f'"{version}"'


def _expected_version(body: VersionedBody, if_match: str | None) -> int:
    header_version: int | None = None
    if if_match is not None:
        m = ETAG.fullmatch(if_match.strip())
        if m is None:
            raise ProblemError(
                400,
                'If-Match must be the case\'s ETag, e.g. "3".',
                slug="malformed-if-match",
                field="If-Match",
                rule="etag-format",
            )
        header_version = int(m.group(1))
    if header_version is not None and body.version is not None and header_version != body.version:
        raise ProblemError(
            422,
            "If-Match and version name different versions.",
            slug="version-mismatch",
            field="version",
            rule="version-if-match-agree",
        )
    version = header_version if header_version is not None else body.version
    if version is None:
        raise ProblemError(
            428,
            "Say which version of the case the change is based on: If-Match or `version`.",
            slug="version-required",
            field="version",
            rule="version-required",
        )
    return version


def _case_response(case: CaseOut, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        case.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": _etag(case.version), **(headers or {})},
    )


@router.post(
    "",
    status_code=201,
    response_model=CaseOut,
    summary="Create a case (draft) from an application",
    responses=problem_responses(400, 401, 403, 409, 413, 422),
)
def create_case(
    body: CaseCreate,
    session: SessionDep,
    principal: CaseworkerDep,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Retry-safe creation: the same key and body give the same case."),
    ] = None,
) -> JSONResponse:
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise ProblemError(
            422,
            "Idempotency-Key must be 1-255 visible ASCII characters.",
            slug="idempotency-key-format",
            field="Idempotency-Key",
            rule="idempotency-key-format",
        )
    created = service.create_case(session, _actor(principal), body, idempotency_key=idempotency_key)
    headers = {"Location": f"/v1/cases/{created.case.id}"}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _case_response(created.case, 201, headers)


@router.get(
    "",
    response_model=CasePage,
    summary="List the kommune's cases, newest first (cursor pagination)",
    responses=problem_responses(401, 403, 422),
)
def list_cases(
    session: SessionDep,
    principal: CaseworkerDep,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status.")] = None,
    created_from: Annotated[date | None, Query(description="Created on or after this date (UTC).")] = None,
    created_to: Annotated[date | None, Query(description="Created on or before this date (UTC).")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CasePage:
    return service.list_cases(
        session,
        _actor(principal),
        status=status,
        created_from=created_from,
        created_to=created_to,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{case_id}",
    response_model=CaseOut,
    summary="A case with its calculations and decisions (ETag: its version)",
    responses=problem_responses(401, 403, 404),
)
def get_case(case_id: CaseId, session: SessionDep, principal: CaseworkerDep) -> JSONResponse:
    actor = _actor(principal)
    case = service.visible_case(session, actor, case_id)
    return _case_response(service.case_out(session, actor, case))


@router.post(
    "/{case_id}/assessments",
    status_code=201,
    response_model=CalculationOut,
    summary="Assess the case: run and store the calculation with the parameter set in force",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def assess_case(
    case_id: CaseId,
    session: SessionDep,
    principal: CaseworkerDep,
    response: Response,
    body: AssessmentRequest | None = None,
) -> CalculationOut:
    request = body or AssessmentRequest()
    out = service.assess(session, _actor(principal), case_id, request)
    response.headers["Location"] = f"/v1/cases/{case_id}/calculations/{out.id}"
    if request.household_risk and out.kind.value == "affordability" and out.max_loan:
        from loan_engine.portfolio.household import household_risk, loan_from_affordability
        from loan_engine.portfolio.household import to_public as risk_public
        from loan_engine.portfolio.scenarios import scenario_from_dict

        loan = loan_from_affordability(out.request, out.result)
        risk = risk_public(household_risk(loan, scenario_from_dict({}), 2000, 10, 0))
        out = out.model_copy(update={"household_risk": {**risk, "loan": loan}})
    return out


@router.get(
    "/{case_id}/calculations/{calculation_id}/recompute",
    response_model=RecomputeOut,
    summary="Recompute a stored calculation with its own parameter set and compare",
    responses=problem_responses(401, 403, 404, 422),
)
def recompute_calculation(
    case_id: CaseId, calculation_id: str, session: SessionDep, principal: CaseworkerDep
) -> RecomputeOut:
    return service.recompute(session, _actor(principal), case_id, calculation_id)


@router.post(
    "/{case_id}/decision",
    response_model=CaseOut,
    summary="Decide the case (vedtak): granted or refused, with terms, conditions, reason and frarådning",
    responses={**problem_responses(400, 401, 403, 404, 409, 422), 428: {"description": "Version required"}},
)
def decide_case(
    case_id: CaseId, body: DecisionIn, session: SessionDep, principal: CaseworkerDep, if_match: IfMatch = None
) -> JSONResponse:
    version = _expected_version(body, if_match)
    return _case_response(service.decide(session, _actor(principal), case_id, body, expected_version=version))


@router.post(
    "/{case_id}/appeal",
    response_model=CaseOut,
    summary="Register an appeal (klage) against the decision, within three weeks",
    responses={**problem_responses(400, 401, 403, 404, 409, 422), 428: {"description": "Version required"}},
)
def appeal_case(
    case_id: CaseId, body: AppealIn, session: SessionDep, principal: CaseworkerDep, if_match: IfMatch = None
) -> JSONResponse:
    version = _expected_version(body, if_match)
    return _case_response(service.appeal(session, _actor(principal), case_id, body, expected_version=version))


@router.post(
    "/{case_id}/payout",
    response_model=CaseOut,
    summary="Register the payout of a granted loan while the promise holds",
    responses={**problem_responses(400, 401, 403, 404, 409, 422), 428: {"description": "Version required"}},
)
def pay_out_case(
    case_id: CaseId, body: PayoutIn, session: SessionDep, principal: CaseworkerDep, if_match: IfMatch = None
) -> JSONResponse:
    version = _expected_version(body, if_match)
    return _case_response(service.pay_out(session, _actor(principal), case_id, body, expected_version=version))


@router.get(
    "/{case_id}/audit",
    response_model=list[AuditEntryOut],
    summary="The case's audit trail: who changed what, when, before and after",
    responses=problem_responses(401, 403, 404),
)
def case_audit(case_id: CaseId, session: SessionDep, principal: CaseworkerDep) -> list[AuditEntryOut]:
    return service.audit_trail(session, _actor(principal), case_id)
