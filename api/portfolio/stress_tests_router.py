"""Stress tests: submit (202 + Location), poll status/progress/results, cancel, per-scenario losses (CSV).

Finance and admin roles, own kommune only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.deps import FinanceDep, SessionDep
from api.jobs import runner as jobs
from api.jobs.router import RETRY_AFTER_SECONDS, add_job_routes, stored_artifact
from api.portfolio import stress_tests_service as service
from api.portfolio.stress_tests_schemas import AssumptionOut, StressTestCreate, StressTestOut
from api.problems import problem_responses
from loan_engine.portfolio.assumptions import DEFAULT_ASSUMPTIONS

router = APIRouter(prefix="/v1/stress-tests", tags=["stress-tests"])


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


@router.get(
    "/{job_id}/scenario-losses.csv",
    responses={
        200: {"content": {"text/csv": {}}},
        **problem_responses(
            401,
            403,
            404,
            410,
            descriptions={
                404: "No such stress test in your kommune, or it has not succeeded (yet): the CSV exists only "
                "once the job's status is succeeded (rule results-ready; poll GET /v1/stress-tests/{job_id})."
            },
        ),
    },
)
def scenario_losses(job_id: str, session: SessionDep, principal: FinanceDep) -> Response:
    """Per-scenario losses (total, kommune, state), forced sales and over-capacity counts, as CSV.

    404 until the stress test has succeeded (queued, running, failed or cancelled jobs have no results)."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    content = stored_artifact(session, job, service.ARTIFACT, "No results yet: the stress test has not succeeded.")
    return Response(content, media_type="text/csv")


add_job_routes(
    router,
    kind=service.KIND,
    noun="stress test",
    out_model=StressTestOut,
    view=service.view,
    principal=FinanceDep,
    route_names=("get_stress_test", "cancel_stress_test", "cancel_stress_test_post"),
)


@router.get(
    "/{job_id}/segments.csv", responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404, 410)}
)
def segments(job_id: str, session: SessionDep, principal: FinanceDep) -> Response:
    """Expected loss and contribution to ES 99 % by segment (rate type, LTV band, income band, origination year,
    priority), as plain CSV (NOK; shares in percent)."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    content = stored_artifact(
        session,
        job,
        service.SEGMENTS_ARTIFACT,
        "No segment contributions: the stress test has not succeeded or ran without contributions.",
    )
    return Response(content, media_type="text/csv")
