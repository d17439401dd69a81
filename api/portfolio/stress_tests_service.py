"""Stress tests as stored background jobs (kind ``stress-test``).

Everything that can be wrong with a request is checked when it is submitted (portfolio exists and is valid,
scenario specification, documented limits), so bad input is a problem+json answer and never a failed job. The
handler runs the Numba kernel in scenario blocks: progress is stored after each block and cancellation is checked
between blocks. Results are a JSON summary (money in whole NOK, ratios in percent) plus a per-scenario CSV artifact.
"""

from __future__ import annotations

import io
from typing import Any

from sqlmodel import Session

from api.jobs import runner as jobs
from api.jobs.runner import JobCancelled, JobContext, JobOwner, JobRunner
from api.portfolio import portfolios_service as portfolio_service
from loan_engine.portfolio.contributions import segments_csv
from loan_engine.portfolio.engine import Cancelled, ScenarioOutputs, StressTestRun, check_limits, run_stress_test
from loan_engine.portfolio.results import summarise, to_public
from loan_engine.portfolio.scenarios import scenario_from_dict
from models.jobs import Job

KIND = "stress-test"

ARTIFACT = "scenario-losses.csv"
DASK_CONNECT_SECONDS = 10
SEGMENTS_ARTIFACT = "segments.csv"


def validate(session: Session, params: dict[str, Any], kommune: str) -> dict[str, Any]:
    """Check a request fully; returns the normalised job parameters."""
    row = portfolio_service.get_row(session, params["portfolio_id"], kommune)
    check_limits(row.loan_count, params["scenarios"], params["horizon_years"], params["seed"])
    scenario_from_dict(params.get("scenario") or {}, percent_assumptions=True)
    return {
        "portfolio_id": row.id,
        "portfolio_name": row.name,
        "loan_count": row.loan_count,
        "scenario": params.get("scenario") or {},
        "scenarios": params["scenarios"],
        "horizon_years": params["horizon_years"],
        "seed": params["seed"],
        "contributions": bool(params.get("contributions", True)),
    }


def submit(session: Session, runner: JobRunner, params: dict[str, Any], owner: JobOwner) -> Job:
    normalised = validate(session, params, owner.kommune_number)
    return jobs.submit_job(session, runner, KIND, normalised, owner)


def _losses_csv(o: ScenarioOutputs) -> bytes:
    buf = io.StringIO()
    buf.write(
        "scenario,loss_total,loss_kommune,loss_state,loss_unresolved_at_horizon,forced_sales,unresolved_at_horizon,over_capacity\n"
    )
    defaults = o.defaults.sum(axis=1)
    for s in range(o.n_scenarios):
        buf.write(
            f"{s},{o.loss_total[s]:.0f},{o.loss_kommune[s]:.0f},{o.loss_state[s]:.0f},{o.loss_unresolved[s]:.0f},"
            f"{int(defaults[s])},{int(o.unresolved[s])},{int(o.over_capacity[s])}\n"
        )
    return buf.getvalue().encode()


def handle(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    with Session(ctx.engine) as session:
        row = portfolio_service.get_row_any(session, params["portfolio_id"])
        portfolio = portfolio_service.to_domain(row)
    spec = scenario_from_dict(params.get("scenario") or {}, percent_assumptions=True)
    args = (portfolio, spec, int(params["scenarios"]), int(params["horizon_years"]), int(params["seed"]))
    contributions = bool(params.get("contributions", False))
    try:
        if ctx.dask_scheduler:
            run = _run_on_dask(ctx.dask_scheduler, args, ctx, contributions)
        else:
            run = run_stress_test(*args, progress=ctx.progress, cancelled=ctx.cancelled, contributions=contributions)
    except Cancelled as exc:
        raise JobCancelled(str(exc)) from None
    ctx.save_artifact(ARTIFACT, "text/csv", _losses_csv(run.outputs))
    if run.contributions is not None:
        ctx.save_artifact(SEGMENTS_ARTIFACT, "text/csv", segments_csv(run.contributions))
    result = to_public(summarise(run))
    result["portfolio"]["id"] = params["portfolio_id"]
    result["portfolio"]["name"] = params.get("portfolio_name")
    return result


def _run_on_dask(address: str, args: tuple[Any, ...], ctx: JobContext, contributions: bool) -> StressTestRun:
    """The scenario chunks as tasks on an existing Dask cluster (results identical to the local run)."""
    from distributed import Client

    from loan_engine.portfolio.distributed import run_stress_test_dask

    with Client(address, timeout=DASK_CONNECT_SECONDS, set_as_default=False) as client:
        return run_stress_test_dask(
            client, *args, progress=ctx.progress, cancelled=ctx.cancelled, contributions=contributions
        )


def view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "progress": {
            "scenarios_done": job.progress_done,
            "scenarios_total": job.progress_total or int(job.params.get("scenarios", 0)),
        },
        "params": job.params,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "results_removed_at": job.results_removed_at,
        "result": job.result,
    }


def keep_on_removal(job: Job) -> dict[str, Any] | None:
    """What the record keeps when its results are removed: nothing of the result document."""
    return None
