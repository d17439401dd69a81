"""Stress tests: submit (202 + Location), poll status/progress/results, cancel, per-scenario losses (CSV).

Finance and admin roles, own kommune only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import FinanceDep, SessionDep
from api.jobs import runner as jobs
from api.portfolio import stress_tests_service as service
from api.portfolio.stress_tests_schemas import AssumptionOut, StressTestCreate, StressTestOut
from api.problems import problem_responses
from loan_engine.errors import NotFound
from loan_engine.portfolio.assumptions import DEFAULT_ASSUMPTIONS
from models.jobs import FINAL_STATUSES

router = APIRouter(prefix="/v1/stress-tests", tags=["stress-tests"])

RETRY_AFTER_SECONDS = "2"


@router.get("/assumptions", response_model=list[AssumptionOut], responses=problem_responses(401, 403))
def list_assumptions(principal: FinanceDep) -> list[AssumptionOut]:
    """Every model assumption with its value, unit, source and status (override them in ``scenario``).

    Values are in the unit stated for each: rates and shares in percent (``%/yr``, ``%``), as everywhere in the
    API; ``scenario.assumptions`` overrides take the same units."""
    return [AssumptionOut(**a) for a in DEFAULT_ASSUMPTIONS.describe_public()]


@router.post("", status_code=202, response_model=StressTestOut, responses=problem_responses(401, 403, 404, 422))
def submit_stress_test(
    body: StressTestCreate, request: Request, session: SessionDep, principal: FinanceDep
) -> JSONResponse:
    """Start a Monte Carlo stress test; answers 202 with the job's location."""
    params = body.model_dump()
    params["scenario"] = body.scenario.to_domain()
    job = service.submit(session, request.app.state.job_runner, params, principal)
    doc = StressTestOut(**service.view(job)).model_dump(mode="json")
    return JSONResponse(
        doc, status_code=202, headers={"Location": f"/v1/stress-tests/{job.id}", "Retry-After": RETRY_AFTER_SECONDS}
    )


@router.get("/{job_id}", response_model=StressTestOut, responses=problem_responses(401, 403, 404))
def get_stress_test(job_id: str, session: SessionDep, principal: FinanceDep, response: Response) -> StressTestOut:
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    if job.status not in FINAL_STATUSES:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return StressTestOut(**service.view(job))


def _cancel(job_id: str, session: SessionDep, principal: FinanceDep) -> JSONResponse:
    job = jobs.request_cancel(session, job_id, principal, kind=service.KIND)
    return JSONResponse(StressTestOut(**service.view(job)).model_dump(mode="json"), status_code=202)


@router.delete(
    "/{job_id}", status_code=202, response_model=StressTestOut, responses=problem_responses(401, 403, 404, 409)
)
def cancel_stress_test(job_id: str, session: SessionDep, principal: FinanceDep) -> JSONResponse:
    """Cancel a queued or running stress test (it stops at the next scenario block)."""
    return _cancel(job_id, session, principal)


@router.post(
    "/{job_id}/cancel", status_code=202, response_model=StressTestOut, responses=problem_responses(401, 403, 404, 409)
)
def cancel_stress_test_post(job_id: str, session: SessionDep, principal: FinanceDep) -> JSONResponse:
    return _cancel(job_id, session, principal)


@router.get(
    "/{job_id}/scenario-losses.csv", responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404)}
)
def scenario_losses(job_id: str, session: SessionDep, principal: FinanceDep) -> Response:
    """Per-scenario losses (total, kommune, state), forced sales and over-capacity counts, as CSV."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    art = jobs.get_artifact(session, job.id, service.ARTIFACT)
    if art is None:
        raise NotFound("No results yet: the stress test has not succeeded.", field="id", rule="results-ready")
    return Response(art.content, media_type="text/csv")


@router.get(
    "/{job_id}/segments.csv", responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404)}
)
def segments(job_id: str, session: SessionDep, principal: FinanceDep) -> Response:
    """Expected loss and contribution to ES 99 % by segment (rate type, LTV band, income band, origination year,
    priority), as plain CSV (NOK; shares in percent)."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    art = jobs.get_artifact(session, job.id, service.SEGMENTS_ARTIFACT)
    if art is None:
        raise NotFound(
            "No segment contributions: the stress test has not succeeded or ran without contributions.",
            field="id",
            rule="results-ready",
        )
    return Response(art.content, media_type="text/csv")
