"""Stress tests: submit (202 + Location), poll status/progress/results, cancel, per-scenario losses (CSV).

Finance and admin roles, own kommune only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import FinanceDep, SessionDep
from api.i18n import current_language
from api.jobs import runner as jobs
from api.jobs.router import RETRY_AFTER_SECONDS, add_job_routes, stored_artifact
from api.portfolio import stress_tests_exports as exports
from api.portfolio import stress_tests_service as service
from api.portfolio.stress_tests_schemas import AssumptionOut, StressTestCreate, StressTestOut
from api.problems import problem_responses
from loan_engine.errors import InvalidInput, NotFound
from loan_engine.exports import Lang
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


add_job_routes(
    router,
    kind=service.KIND,
    noun="stress test",
    out_model=StressTestOut,
    view=service.view,
    principal=FinanceDep,
    route_names=("get_stress_test", "cancel_stress_test", "cancel_stress_test_post"),
)


CSV_FORMATS = ("excel", "machine")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download_headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


def _language(lang: str | None) -> Lang:
    chosen = lang or current_language()
    if chosen not in ("nb", "en"):
        raise InvalidInput("lang must be nb or en.", field="lang", rule="unknown-value")
    return "nb" if chosen == "nb" else "en"


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
def scenario_losses(
    job_id: str,
    session: SessionDep,
    principal: FinanceDep,
    format: Annotated[
        str,
        Query(description="excel (default): `;`, UTF-8 with BOM, headers in `lang`; machine: `,`, no BOM, keys."),
    ] = "excel",
    lang: Annotated[str | None, Query(description="nb or en headers (default: Accept-Language).")] = None,
) -> Response:
    """Per-scenario losses (total, kommune, state), defaults and over-capacity counts, as CSV. The default opens
    in Norwegian Excel as columns; ``format=machine`` is the comma-separated file for programs."""
    if format not in CSV_FORMATS:
        raise InvalidInput("format must be excel or machine.", field="format", rule="unknown-value")
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    content = stored_artifact(session, job, service.ARTIFACT, "No results yet: the stress test has not succeeded.")
    headers = _download_headers(f"stresstest-{job.id}-tap-per-scenario.csv")
    if format == "machine":
        return Response(content, media_type="text/csv", headers=headers)
    body = exports.scenario_losses_csv(content, _language(lang))
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/{job_id}/results.xlsx",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, **problem_responses(401, 403, 404, 410)},
)
def results_xlsx(
    job_id: str,
    session: SessionDep,
    principal: FinanceDep,
    lang: Annotated[str | None, Query(description="nb or en (default: Accept-Language).")] = None,
) -> Response:
    """The results as an Excel workbook: summary, quantiles, per year, scenario losses (and segments if any)."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    content = stored_artifact(session, job, service.ARTIFACT, "No results yet: the stress test has not succeeded.")
    if job.result is None:
        raise NotFound("No results yet: the stress test has not succeeded.", field="id", rule="results-ready")
    body = exports.results_xlsx(service.view(job), job.result, content, _language(lang))
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers=_download_headers(f"stresstest-{job.id}.xlsx"))
