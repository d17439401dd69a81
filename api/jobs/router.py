"""One factory for the job part of a job kind's router: status (GET), cancel or remove (DELETE), cancel (POST).

* ``GET /{id}`` — status, progress, result; ``Retry-After`` while the job is queued or running.
* ``DELETE /{id}`` — a queued or running job is cancelled (202; a running one stops at its next check, within
  seconds, in whichever process runs it); a finished job's stored results are removed (200, recorded in the
  audit log; the record keeps only counts); once removed, 410.
* ``POST /{id}/cancel`` — cancel only; 409 when the job is already finished.

Another kommune's job is answered 404, as if it did not exist.
"""

# No ``from __future__ import annotations``: FastAPI reads the route functions' annotations, which name the
# caller's principal dependency (a local variable here).

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from api.deps import SessionDep
from api.jobs import runner as jobs
from api.problems import ProblemError, problem_responses
from models.jobs import FINAL_STATUSES, Job

RETRY_AFTER_SECONDS = "2"


def results_gone(job: Job) -> ProblemError:
    removed = job.results_removed_at.isoformat(timespec="seconds") if job.results_removed_at else "earlier"
    return ProblemError(
        410,
        f"The stored results of this job were removed ({removed}); only its counts are kept.",
        slug="results-removed",
        field="id",
        rule="results-removed",
    )


def stored_artifact(session: Session, job: Job, name: str, not_ready: str) -> bytes:
    """An artifact of ``job``: 410 when its results were removed, 404 (``not_ready``) when it has none yet."""
    if job.results_removed_at is not None:
        raise results_gone(job)
    art = jobs.get_artifact(session, job.id, name)
    if art is None:
        from loan_engine.errors import NotFound

        raise NotFound(not_ready, field="id", rule="results-ready")
    return bytes(art.content)


def add_job_routes(
    router: APIRouter,
    *,
    kind: str,
    noun: str,
    out_model: type[BaseModel],
    view: Callable[[Job], dict[str, Any]],
    principal: Any,
    route_names: tuple[str, str, str | None],
) -> None:
    """Add GET/DELETE ``/{job_id}`` (and POST ``/{job_id}/cancel`` when its name is given) to ``router``.

    ``principal`` is the role dependency (e.g. ``FinanceDep``); ``route_names`` the (get, delete, post-cancel)
    route names, which make the OpenAPI operation ids.
    """
    get_name, delete_name, cancel_name = route_names

    def _doc(job: Job, status_code: int) -> JSONResponse:
        return JSONResponse(out_model(**view(job)).model_dump(mode="json"), status_code=status_code)

    def get_job(job_id: str, session: SessionDep, who: principal, response: Response) -> Any:
        job = jobs.get_job(session, job_id, who, kind=kind)
        if job.status not in FINAL_STATUSES:
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return out_model(**view(job))

    def delete_job(job_id: str, request: Request, session: SessionDep, who: principal) -> JSONResponse:
        job = jobs.get_job(session, job_id, who, kind=kind)
        if job.status not in FINAL_STATUSES:
            return _doc(jobs.request_cancel(session, job_id, who, kind=kind), 202)
        if job.results_removed_at is not None:
            raise results_gone(job)
        removed = jobs.remove_results(
            session,
            job,
            request.app.state.job_runner.kinds[kind],  # the kinds the composition root (api.main) handed the runner
            actor_key_id=who.key_id,
            actor_role=getattr(getattr(who, "role", None), "value", None),
            reason="deleted on request",
        )
        if not removed:
            session.refresh(job)
            raise results_gone(job)
        return _doc(job, 200)

    def cancel_job(job_id: str, session: SessionDep, who: principal) -> JSONResponse:
        return _doc(jobs.request_cancel(session, job_id, who, kind=kind), 202)

    router.add_api_route(
        "/{job_id}",
        get_job,
        methods=["GET"],
        name=get_name,
        response_model=out_model,
        summary=f"Status, progress and result of a {noun}",
        responses=problem_responses(401, 403, 404),
    )
    router.add_api_route(
        "/{job_id}",
        delete_job,
        methods=["DELETE"],
        name=delete_name,
        status_code=202,
        response_model=out_model,
        summary=f"Cancel a queued or running {noun}, or remove a finished one's stored results",
        description=(
            f"A queued or running {noun} is cancelled (202; a running one stops within seconds). A finished "
            f"{noun}'s stored results are removed (200; recorded in the audit log; the record keeps only counts)."
        ),
        responses={
            200: {"model": out_model, "description": "The finished job's stored results were removed"},
            **problem_responses(401, 403, 404, 410),
        },
    )
    if cancel_name is not None:
        router.add_api_route(
            "/{job_id}/cancel",
            cancel_job,
            methods=["POST"],
            name=cancel_name,
            status_code=202,
            response_model=out_model,
            summary=f"Cancel a queued or running {noun}",
            responses=problem_responses(401, 403, 404, 409),
        )
