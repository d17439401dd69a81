"""Tenant screenings (leie til eie): upload a tenant register and a price table, poll, download the ranked list.

* ``POST /v1/screenings`` — multipart: ``register`` file (CSV or Parquet) and ``prices`` file or ``prices_json``
  field; caseworker role. 202 + ``Location``.
* ``GET /v1/screenings/{id}`` — status, progress, kommune summary and row errors; caseworkers of the kommune.
* ``GET /v1/screenings/{id}/results.csv`` / ``results.json`` / ``results.xlsx`` — the ranked households
  (personal data): caseworkers of the kommune only. ``results.csv`` without parameters is the machine-readable
  file it always was (machine keys as headers, ``;``, UTF-8 with BOM, decimal point, yes/no); ``?lang=nb`` (or
  ``?excel=true``, bokmål by default) gives the Excel-ready list with bokmål headers and values, decimal comma
  and DD.MM.YYYY dates; ``?lang=en&excel=true`` the same in English. ``results.xlsx`` (``?lang=nb`` default or
  ``en``) has the results, summary and areas sheets with numeric cells.
* ``GET /v1/screenings/{id}/summary`` — the kommune summary without personal details: any role of the kommune
  (finance included); ``summary.csv`` / ``summary.xlsx`` the same as a download (``?lang=nb`` default).
* ``DELETE /v1/screenings/{id}`` — cancel a queued or running screening; remove a finished one's stored results
  (personal data), recorded in the audit log (the record keeps only the counts); 410 once removed.

Every download answers with ``Content-Disposition: attachment; filename="…"``; every exported cell that a
spreadsheet would read as a formula is neutralised (:mod:`loan_engine.exports`).

Another kommune's screening is answered 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from api.deps import AnyRoleDep, CaseworkerDep, SessionDep, SettingsDep
from api.jobs import runner as jobs
from api.jobs.router import RETRY_AFTER_SECONDS, add_job_routes, stored_artifact
from api.problems import problem_responses
from api.screening import service
from api.screening.schemas import ScreeningOut, ScreeningSummaryOut
from loan_engine.errors import NotFound
from loan_engine.screening.engine import ScreeningOptions

router = APIRouter(prefix="/v1/screenings", tags=["screenings"])


@router.post("", status_code=202, response_model=ScreeningOut, responses=problem_responses(401, 403, 404, 413, 422))
def submit_screening(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseworkerDep,
    register_file: Annotated[
        UploadFile,
        File(
            alias="register",
            description="Tenant register: CSV (UTF-8 or Windows-1252, ';' or ',', decimal comma or point) or Parquet; "
            "one row a household.",
        ),
    ],
    prices: Annotated[
        UploadFile | None,
        File(description="Price table (CSV or Parquet): area + price_per_m2, or area + rooms + price."),
    ] = None,
    prices_json: Annotated[
        str | None,
        Form(
            description="The price table as JSON rows instead of a file: "
            '[{"area": "Nordby", "price_per_m2": 39000}, …].'
        ),
    ] = None,
    screening_date: Annotated[
        date | None, Form(description="Screening date (default today): contract ends and the parameter set in force.")
    ] = None,
    count_bostotte: Annotated[bool, Form(description="Count today's bostøtte as income.")] = False,
    max_grant_share: Annotated[
        float, Form(ge=0, le=1, description="Largest grant as a share of the price (kommune choice).")
    ] = 0.25,
    max_grant: Annotated[float | None, Form(ge=0, le=100_000_000, description="Largest grant, NOK.")] = None,
    purchase_costs_percent: Annotated[
        float, Form(ge=0, le=20, description="Purchase costs in percent of the price (e.g. 2.5 dokumentavgift).")
    ] = 0.0,
    allow_unknown_columns: Annotated[
        bool,
        Form(
            description="Screen even if a column is not known but looks like a known one (e.g. 'inntekt_arbeid' "
            "beside the expected income_wages): it is then ignored. Without it such a register is refused (422)."
        ),
    ] = False,
) -> JSONResponse:
    """Start a screening of the kommune's tenant register; answers 202 with the job's location."""
    data = register_file.file.read(settings.max_upload_bytes + 1)
    prices_file = prices.file.read(settings.max_upload_bytes + 1) if prices is not None else None
    records = service.parse_prices_json(prices_json) if prices_json is not None and prices_json.strip() else None
    options = ScreeningOptions(
        screening_date=screening_date or date.today(),
        count_bostotte=count_bostotte,
        max_grant_share=max_grant_share,
        max_grant=max_grant,
        purchase_costs_percent=purchase_costs_percent,
    )
    job = service.submit(
        session,
        request.app.state.job_runner,
        principal,
        register=data,
        register_name=register_file.filename,
        prices_file=prices_file,
        prices_records=records,
        options=options,
        max_bytes=settings.max_upload_bytes,
        allow_unknown_columns=allow_unknown_columns,
    )
    doc = ScreeningOut(**service.view(job, personal=True)).model_dump(mode="json")
    return JSONResponse(
        doc, status_code=202, headers={"Location": f"/v1/screenings/{job.id}", "Retry-After": RETRY_AFTER_SECONDS}
    )


@router.get("/{job_id}/summary", response_model=ScreeningSummaryOut, responses=problem_responses(401, 403, 404))
def get_screening_summary(job_id: str, session: SessionDep, principal: AnyRoleDep) -> ScreeningSummaryOut:
    """The kommune summary: counts and sums, no personal details (any role of the kommune)."""
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    return ScreeningSummaryOut(**service.summary_view(job))


LangQuery = Annotated[Literal["nb", "en"] | None, Query(description="Language of headers and values: nb or en.")]
ExcelQuery = Annotated[
    bool, Query(description="Excel-ready CSV: ';', UTF-8 with BOM, headers in the language (decimal comma in nb).")
]


def _artifact(job_id: str, name: str, session: SessionDep, principal: CaseworkerDep) -> bytes:
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    return stored_artifact(session, job, name, f"No results yet: the screening is {job.status}.")


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


_XLSX_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {service.XLSX: {}}}}
_CSV_CONTENT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.get("/{job_id}/results.csv", responses={**_CSV_CONTENT, **problem_responses(401, 403, 404, 410, 422)})
def screening_results_csv(
    job_id: str, session: SessionDep, principal: CaseworkerDep, lang: LangQuery = None, excel: ExcelQuery = False
) -> Response:
    """The ranked households as CSV: personal data, caseworkers of the kommune only.

    Without parameters the machine-readable file (machine keys, ``;``, UTF-8 with BOM, decimal point); with
    ``lang=nb`` or ``excel=true`` the Excel-ready list with headers and values in bokmål (default) or English.
    """
    if lang is None and not excel:
        return _download(
            _artifact(job_id, service.RESULTS_CSV, session, principal), service.CSV, f"screening-{job_id}.csv"
        )
    chosen = lang or "nb"
    content, media = service.render_results(
        _artifact(job_id, service.RESULTS_JSON, session, principal), "csv", lang=chosen, excel=True
    )
    return _download(content, media, f"screening-{job_id}-{chosen}.csv")


@router.get("/{job_id}/results.xlsx", responses={**_XLSX_CONTENT, **problem_responses(401, 403, 404, 410, 422)})
def screening_results_xlsx(
    job_id: str, session: SessionDep, principal: CaseworkerDep, lang: LangQuery = None
) -> Response:
    """The ranked households, the summary and the areas as an Excel workbook (numeric cells, frozen header)."""
    chosen = lang or "nb"
    content, media = service.render_results(
        _artifact(job_id, service.RESULTS_JSON, session, principal), "xlsx", lang=chosen, excel=True
    )
    return _download(content, media, f"screening-{job_id}-{chosen}.xlsx")


@router.get(
    "/{job_id}/results.json",
    responses={200: {"content": {"application/json": {}}}, **problem_responses(401, 403, 404, 410)},
)
def screening_results_json(job_id: str, session: SessionDep, principal: CaseworkerDep) -> Response:
    """The summary and the ranked households as JSON: personal data, caseworkers of the kommune only."""
    content = _artifact(job_id, service.RESULTS_JSON, session, principal)
    return _download(content, "application/json", f"screening-{job_id}.json")


def _summary_download(job_id: str, what: str, session: SessionDep, principal: AnyRoleDep, lang: str | None) -> Response:
    job = jobs.get_job(session, job_id, principal, kind=service.KIND)
    chosen: Literal["nb", "en"] = "en" if lang == "en" else "nb"
    rendered = service.render_summary(job, what, lang=chosen, excel=True)
    if rendered is None:
        raise NotFound(f"No summary yet: the screening is {job.status}.", field="id", rule="results-ready")
    return _download(rendered[0], rendered[1], f"screening-{job_id}-summary-{chosen}.{what}")


@router.get("/{job_id}/summary.csv", responses={**_CSV_CONTENT, **problem_responses(401, 403, 404, 410, 422)})
def screening_summary_csv(job_id: str, session: SessionDep, principal: AnyRoleDep, lang: LangQuery = None) -> Response:
    """The kommune summary as Excel-ready CSV (no personal details; any role of the kommune)."""
    return _summary_download(job_id, "csv", session, principal, lang)


@router.get("/{job_id}/summary.xlsx", responses={**_XLSX_CONTENT, **problem_responses(401, 403, 404, 410, 422)})
def screening_summary_xlsx(job_id: str, session: SessionDep, principal: AnyRoleDep, lang: LangQuery = None) -> Response:
    """The kommune summary and its areas as an Excel workbook (no personal details; any role of the kommune)."""
    return _summary_download(job_id, "xlsx", session, principal, lang)


add_job_routes(
    router,
    kind=service.KIND,
    noun="screening",
    out_model=ScreeningOut,
    view=lambda job: service.view(job, personal=True),
    principal=CaseworkerDep,
    route_names=("get_screening", "cancel_screening", None),
)
