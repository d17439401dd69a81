"""Tenant screenings (leie til eie) as stored background jobs (kind ``screening``).

At submission everything that can be checked cheaply is checked (size, encoding, separator, required columns, the
price table, the options, the parameter set in force): such problems are a problem+json answer, never a failed
job. The uploaded register is stored as the job artifact ``input`` (and a price file as ``prices``) so that a
queued job survives a restart; the handler deletes ``input`` when it ends, keeping only the results.

Artifacts: ``results.csv`` (``;``, UTF-8 with BOM, ranked, machine keys), ``results.json`` (summary + ranked
households). The other downloads (bokmål/Excel CSV, ``results.xlsx``, the summary as CSV/XLSX) are rendered from
``results.json`` by the shared export writer (:mod:`loan_engine.exports`) when asked for.
The job result holds the kommune summary (no personal details), the file description and the row errors; the
API shows the row errors and results only to caseworkers of the kommune, the summary also to finance.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, delete

from api.jobs import runner as jobs
from api.jobs.runner import JobContext, JobOwner, JobRunner
from api.parameter_sets import service as parameter_set_service
from loan_engine.errors import InvalidInput
from loan_engine.exports import Lang
from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening import io as screening_io
from loan_engine.screening.engine import ScreeningOptions
from loan_engine.screening.io import open_columns
from loan_engine.screening.ranking import (
    results_csv,
    results_json,
    results_xlsx,
    summary_csv,
    summary_xlsx,
)
from loan_engine.screening.run import PROGRESS_TOTAL, load_prices, run_screening
from loan_engine.screening.validation import RegisterValidator
from models.jobs import Job, JobArtifact
from models.parameter_sets import StoredParameterSet

KIND = "screening"
INPUT = "input"
PRICES = "prices"
RESULTS_CSV = "results.csv"
RESULTS_JSON = "results.json"


def check_register(
    data: bytes, max_bytes: int, *, allow_unknown_columns: bool = False, max_rows: int | None = None
) -> dict[str, Any]:
    """File-level checks of an uploaded register; raises domain errors (a problem+json answer, not a failed job).

    Size, empty, encoding, header and columns always; the row limit and (Parquet) the decoded size too, while
    reading: a CSV with more line breaks than the row limit is counted with the columnar reader, which stops at
    the limit + 1; a Parquet file is refused from its metadata (rows, uncompressed sizes), and its dictionaries are
    checked before anything is expanded.
    """
    max_rows = screening_io.MAX_ROWS if max_rows is None else max_rows
    reader = open_columns(data, what="register", max_bytes=max_bytes, max_rows=max_rows)
    try:
        RegisterValidator(reader.header, allow_unknown_columns=allow_unknown_columns)
        if reader.format == "parquet" or data.count(b"\n") > max_rows:
            for _ in reader.chunks:
                pass
    finally:
        close = getattr(reader.chunks, "close", None)
        if close is not None:
            close()
    return {"format": reader.format, "encoding": reader.encoding, "delimiter": reader.delimiter, "bytes": len(data)}


def submit(
    session: Session,
    runner: JobRunner,
    owner: JobOwner,
    *,
    register: bytes,
    register_name: str | None,
    prices_file: bytes | None,
    prices_records: list[dict[str, Any]] | None,
    options: ScreeningOptions,
    max_bytes: int,
    allow_unknown_columns: bool = False,
) -> Job:
    options.validate()
    if (prices_file is None) == (prices_records is None):
        raise InvalidInput(
            "Send the price table either as the 'prices' file or as the 'prices_json' field.",
            field="prices",
            rule="prices-file-or-json",
        )
    source = check_register(register, max_bytes, allow_unknown_columns=allow_unknown_columns)
    table = load_prices(prices_records if prices_records is not None else prices_file or b"", max_bytes=max_bytes)
    row = parameter_set_service.resolve(session, on=options.screening_date, kommune_number=owner.kommune_number)
    parameter_set_service.underwriting_view(row)
    params = {
        "options": options.as_dict(),
        "parameter_set": {"id": row.set_id, "version": row.version},
        "register": {"filename": (register_name or "").replace("\x00", "")[:200], **source},
        "price_areas": len(table.areas),
        "prices_json": prices_records,
        "allow_unknown_columns": allow_unknown_columns,
    }
    # The job and its input in one transaction: a worker polling the queue never claims a job without its register.
    job = jobs.create_job(session, KIND, params, owner, commit=False)
    session.add(JobArtifact(job_id=job.id, name=INPUT, media_type="application/octet-stream", content=register))
    if prices_file is not None:
        session.add(JobArtifact(job_id=job.id, name=PRICES, media_type="application/octet-stream", content=prices_file))
    session.commit()
    runner.submit(job.id)
    return job


def _options(raw: dict[str, Any]) -> ScreeningOptions:
    return ScreeningOptions(
        screening_date=date.fromisoformat(raw["screening_date"]),
        count_bostotte=bool(raw.get("count_bostotte", False)),
        max_grant_share=float(raw.get("max_grant_share", 0.25)),
        max_grant=None if raw.get("max_grant") is None else float(raw["max_grant"]),
        purchase_costs_percent=float(raw.get("purchase_costs_percent", 0.0)),
    )


def _parameters(session: Session, ref: dict[str, Any]) -> UnderwritingParameters:
    row = parameter_set_service.resolve(session, set_id=str(ref["id"]), version=int(ref["version"]))
    assert isinstance(row, StoredParameterSet)
    return parameter_set_service.underwriting_view(row)


def handle(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    try:
        result = _handle(params, ctx)
    except BaseException as exc:
        if not _will_be_retried(ctx, exc):
            _drop_input(ctx)
        raise
    _drop_input(ctx)
    return result


def _will_be_retried(ctx: JobContext, exc: BaseException) -> bool:
    """The run stopped for a reason that is not the job's (lease lost, process stopping, database trouble):
    keep the uploaded register for the next attempt."""
    return ctx.lease_lost or (ctx.runner.stopping and not ctx.cancel_requested) or isinstance(exc, SQLAlchemyError)


def _handle(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    with Session(ctx.engine) as session:
        register = jobs.get_artifact(session, ctx.job_id, INPUT)
        prices_art = jobs.get_artifact(session, ctx.job_id, PRICES)
        if register is None:
            raise InvalidInput(
                "The uploaded register is no longer stored; submit it again.",
                field="register",
                rule="register-stored",
            )
        data = bytes(register.content)
        prices: Any = params.get("prices_json")
        if prices is None:
            prices = bytes(prices_art.content) if prices_art is not None else b""
        uw = _parameters(session, params["parameter_set"])
    last = [-1]

    def progress(done: int, total: int) -> None:
        ctx.check_cancelled()
        if done - last[0] >= 50 or done >= total:
            last[0] = done
            ctx.progress(done, total)

    run = run_screening(
        data,
        prices,
        uw,
        _options(params["options"]),
        progress=progress,
        allow_unknown_columns=bool(params.get("allow_unknown_columns", False)),
    )
    ctx.check_cancelled()
    ctx.save_artifact(RESULTS_CSV, "text/csv; charset=utf-8", results_csv(run.columns))
    ctx.save_artifact(RESULTS_JSON, "application/json", results_json(run.columns, run.summary))
    ctx.progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
    return {"summary": run.summary, "source": run.source, "errors": run.errors_document()}


def _drop_input(ctx: JobContext) -> None:
    """The raw register is personal data: keep it no longer than the run needs it."""
    with Session(ctx.engine) as session:
        session.exec(
            delete(JobArtifact).where(col(JobArtifact.job_id) == ctx.job_id, col(JobArtifact.name).in_([INPUT, PRICES]))
        )
        session.commit()


def view(job: Job, *, personal: bool) -> dict[str, Any]:
    """The job as the API shows it; without ``personal`` the row errors are left out."""
    result = job.result or {}
    out: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "progress": {
            "done": job.progress_done,
            "total": job.progress_total or PROGRESS_TOTAL,
            "unit": "per mille of the run",
        },
        "params": {k: v for k, v in job.params.items() if k != "prices_json"},
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "attempts": job.attempts,
        "results_removed_at": job.results_removed_at,
        "summary": result.get("summary"),
        "source": result.get("source"),
    }
    if personal:
        out["errors"] = result.get("errors")
        out["results"] = (
            {
                "csv": f"/v1/screenings/{job.id}/results.csv",
                "json": f"/v1/screenings/{job.id}/results.json",
                "xlsx": f"/v1/screenings/{job.id}/results.xlsx",
                "csv_excel": f"/v1/screenings/{job.id}/results.csv?lang=nb",
                "summary_csv": f"/v1/screenings/{job.id}/summary.csv",
                "summary_xlsx": f"/v1/screenings/{job.id}/summary.xlsx",
            }
            if job.status == "succeeded" and job.results_removed_at is None
            else None
        )
    return out


def summary_view(job: Job) -> dict[str, Any]:
    result = job.result or {}
    return {
        "id": job.id,
        "status": job.status,
        "summary": result.get("summary"),
        "parameter_set": job.params.get("parameter_set"),
    }


def render_results(stored_json: bytes, what: str, *, lang: Lang, excel: bool) -> tuple[bytes, str]:
    """A download of the ranked list rendered from the stored ``results.json``: (content, media type).

    ``what``: ``csv`` (bokmål or English headers and values, Excel-ready) or ``xlsx`` (results, summary and areas
    sheets).
    """
    doc = json.loads(stored_json)
    households, summary = doc.get("households", []), doc.get("summary", {})
    if what == "csv":
        return results_csv(households, lang=lang, excel=excel), CSV
    return results_xlsx(households, summary, lang=lang), XLSX


def render_summary(job: Job, what: str, *, lang: Lang, excel: bool) -> tuple[bytes, str] | None:
    """The kommune summary (no personal details) as ``csv`` or ``xlsx``; None while there is none."""
    summary = (job.result or {}).get("summary")
    if not summary:
        return None
    if what == "csv":
        return summary_csv(summary, lang=lang, excel=excel), CSV
    return summary_xlsx(summary, lang=lang), XLSX


CSV = "text/csv; charset=utf-8"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def parse_prices_json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"prices_json is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            field="prices_json",
            rule="json-invalid",
        ) from None
    if isinstance(data, dict) and isinstance(data.get("areas"), list):
        data = data["areas"]
    if not isinstance(data, list):
        raise InvalidInput(
            'prices_json must be a list of rows (or {"areas": [...]}).', field="prices_json", rule="price-table-list"
        )
    return data


def keep_on_removal(job: Job) -> dict[str, Any] | None:
    """After its results are removed (on request or by retention) the record keeps only the counts."""
    summary = (job.result or {}).get("summary")
    return {"summary": summary} if summary is not None else None
