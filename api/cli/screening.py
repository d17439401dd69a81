"""``loan-engine screen``: screen a tenant register for ownership potential (leie til eie), or write a sample one.

    loan-engine screen tenants.csv --prices prices.csv --out results.csv [--json] [--date 2026-03-01]
    loan-engine screen tenants.csv --prices prices.csv --out results.xlsx [--lang nb|en]
    loan-engine screen sample --households 1000 --out tenants.csv [--prices-out prices.csv]

The first form reads the register (CSV or Parquet; UTF-8 or Windows-1252; ``;`` or ``,``; decimal comma or point),
shows a progress bar, writes the ranked list to ``--out`` in the format its name ends with (``.csv``: the
machine-readable list, or with ``--lang``/``--excel`` the Excel-ready one in that language; ``.xlsx``: results,
summary and areas sheets; ``.json``: summary + households), prints the kommune summary and the row errors.
``--json`` writes one JSON document (summary, source, row errors, households) to standard output; the progress
bar and the tables then go to standard error. A column that is not known but looks like a known one stops the
run with an error naming both, unless ``--allow-unknown-columns``. The parameter set is the built-in one in force on the screening date (no database needed); ``--db``
uses the service's stored sets for the kommune instead. The second form (the word ``sample`` in place of the file;
write ``./sample`` for a file of that name) writes an invented register and price table for demos and tests.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import console, domain_error, err_console, fail
from loan_engine.errors import DomainError
from loan_engine.screening.io import MAX_FILE_BYTES

if TYPE_CHECKING:
    from rich.console import Console

    from loan_engine.exports import Lang
    from loan_engine.parameters import UnderwritingParameters
    from loan_engine.screening.run import ScreeningRun

# The screening engine (NumPy) and the parameter sets are imported inside the command (`loan-engine --help`
# must not load them).

SAMPLE = "sample"
MAX_ERRORS_SHOWN = 20


def register(app: typer.Typer) -> None:
    app.command("screen")(screen_command)


def _parameters(on: date, kommune: str | None, use_db: bool) -> UnderwritingParameters:
    from loan_engine.parameters import builtin_parameter_sets, underwriting_parameters

    if use_db:
        from api.cli.common import db_session
        from api.parameter_sets import service

        with db_session() as session:
            return service.underwriting_view(service.resolve(session, on=on, kommune_number=kommune))
    candidates = [ps for ps in builtin_parameter_sets() if ps.valid_from <= on and ps.kommune_number is None]
    if not candidates:
        fail(f"No built-in parameter set is in force on {on.isoformat()}.")
    return underwriting_parameters(candidates[0])


def screen_command(
    file: Annotated[
        str, typer.Argument(help="Tenant register (CSV or Parquet), or the word 'sample' to write an invented one.")
    ],
    prices: Annotated[Path | None, typer.Option("--prices", help="Price table (CSV or Parquet).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the results (or the sample).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Write JSON (summary, source, row errors, households) to standard output.")
    ] = False,
    lang: Annotated[
        str | None, typer.Option("--lang", help="nb or en: headers and values of the CSV/XLSX written to --out.")
    ] = None,
    excel: Annotated[bool, typer.Option("--excel", help="Excel-ready CSV (bokmål unless --lang en).")] = False,
    allow_unknown_columns: Annotated[
        bool,
        typer.Option(
            "--allow-unknown-columns", help="Screen even if a column looks like a known one; it is then ignored."
        ),
    ] = False,
    on: Annotated[str | None, typer.Option("--date", help="Screening date YYYY-MM-DD (default today).")] = None,
    count_bostotte: Annotated[bool, typer.Option(help="Count today's bostøtte as income.")] = False,
    max_grant_percent: Annotated[
        float, typer.Option("--max-grant-percent", help="Largest grant, percent of the price (as on the web page).")
    ] = 25.0,
    max_grant_share: Annotated[
        float | None, typer.Option(hidden=True, help="Old form: largest grant as a share (0.25).")
    ] = None,
    max_grant: Annotated[float | None, typer.Option(help="Largest grant, NOK.")] = None,
    purchase_costs_percent: Annotated[float, typer.Option(help="Purchase costs, percent of the price.")] = 0.0,
    kommune: Annotated[str | None, typer.Option(help="Kommune number for --db parameter sets.")] = None,
    use_db: Annotated[bool, typer.Option("--db", help="Use the service's stored parameter sets.")] = False,
    households: Annotated[int, typer.Option(help="sample: number of households.", min=1, max=2_000_000)] = 1000,
    seed: Annotated[int, typer.Option(help="sample: random seed.")] = 2026,
    prices_out: Annotated[Path | None, typer.Option(help="sample: also write the sample price table here.")] = None,
    max_bytes: Annotated[int, typer.Option(help="Largest input file accepted, bytes.")] = MAX_FILE_BYTES,
) -> None:
    """Screen a tenant register for ownership potential (leie til eie), or write a sample register."""
    try:
        screening_date = date.fromisoformat(on) if on else date.today()
    except ValueError:
        fail(f"--date {on!r} is not a date (YYYY-MM-DD).")
    if file == SAMPLE:
        _sample(households, seed, out, prices_out, screening_date)
        return
    if prices is None:
        fail("--prices is required: the price table (area + price_per_m2, or area + rooms + price).")
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from loan_engine.screening.engine import ScreeningOptions
    from loan_engine.screening.ranking import results_json, results_xlsx, write_results_csv
    from loan_engine.screening.run import PROGRESS_TOTAL, run_screening

    if lang not in (None, "nb", "en"):
        fail(f"--lang {lang!r}: use nb or en.")
    suffix = out.suffix.lower() if out is not None else ""
    if out is not None and suffix not in (".csv", ".xlsx", ".json", ".txt", ""):
        fail(f"--out {out}: the name must end with .csv, .xlsx or .json.")
    screen_console = err_console if as_json else console
    options = ScreeningOptions(
        screening_date=screening_date,
        count_bostotte=count_bostotte,
        max_grant_share=max_grant_share if max_grant_share is not None else max_grant_percent / 100,
        max_grant=max_grant,
        purchase_costs_percent=purchase_costs_percent,
    )
    try:
        params = _parameters(screening_date, kommune, use_db)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=screen_console,
            transient=False,
        ) as bar:
            task = bar.add_task(f"screening {Path(file).name}", total=PROGRESS_TOTAL)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = run_screening(
                Path(file),
                prices,
                params,
                options,
                max_bytes=max_bytes,
                progress=progress,
                allow_unknown_columns=allow_unknown_columns,
            )
    except DomainError as exc:
        domain_error(exc)
    if out is not None:
        chosen: Lang = "en" if lang == "en" else "nb"
        if suffix == ".xlsx":
            data = results_xlsx(run.columns, run.summary, lang=chosen)
        elif suffix == ".json":
            data = results_json(run.columns, run.summary)
        else:
            data = None  # written piece by piece below
        try:
            if data is not None:
                out.write_bytes(data)
            else:
                with out.open("wb") as f:
                    if lang or excel:
                        write_results_csv(run.columns, f, lang=chosen, excel=True)
                    else:
                        write_results_csv(run.columns, f)
        except OSError as exc:
            fail(f"{out}: cannot write ({exc.strerror}).")
    _print(run, out, screen_console)
    if as_json:
        doc = results_json(run.columns, run.summary, {"source": run.source, "errors": run.errors_document()})
        sys.stdout.flush()
        typer.echo(doc.decode("utf-8"))


def _sample(households: int, seed: int, out: Path | None, prices_out: Path | None, on: date) -> None:
    if out is None:
        fail("--out is required: where to write the sample register.")
    from loan_engine.screening import synthetic

    records = synthetic.sample_households(households, seed=seed, screening_date=on)
    try:
        out.write_text(synthetic.to_csv(records), encoding="utf-8")
        if prices_out is not None:
            prices_out.write_text(synthetic.to_csv(synthetic.sample_prices()), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write the sample ({exc.strerror}).")
    console.print(
        f"wrote {households} invented households to {out}"
        + (f" and the sample price table to {prices_out}" if prices_out else "")
    )


def _print(run: ScreeningRun, out: Path | None, console: Console = console) -> None:
    from rich.table import Table

    from api.cli.human import num

    s = run.summary
    src = run.source
    console.print(
        f"read {src['format']}"
        + (f" ({src['encoding']}, {src['delimiter']}-separated)" if src.get("encoding") else "")
        + f": {run.report.rows_read} rows, {run.report.rows_valid} screened, "
        f"{run.report.rows_rejected} rejected"
    )
    table = Table(
        title=f"Kommune summary {s['screening_date']} (parameter set {s['parameter_set']['id']} "
        f"v{s['parameter_set']['version']})"
    )
    table.add_column("")
    table.add_column("value", justify="right")
    for label, key in (
        ("households screened", "households_screened"),
        ("could own without a grant", "could_own_without_grant"),
        ("could own only with a grant", "could_own_only_with_grant"),
        ("not within reach", "not_within_reach"),
        ("municipal dwellings freed", "dwellings_freed"),
        ("could own, contract already ended", "could_own_contract_already_ended"),
        ("total startlån (NOK)", "total_startlan"),
        ("total grant (NOK)", "total_grant"),
        ("could own, contract ending within 4 months", "could_own_contract_ending_within_4_months"),
        ("could own, contract ending within 12 months", "could_own_contract_ending_within_12_months"),
    ):
        v = s.get(key)
        table.add_row(label, num(v) if isinstance(v, int | float) else str(v))
    console.print(table)
    for a in s["assumptions"]:
        console.print(f"  [dim]• {a}[/]")
    errors = run.report.errors + run.price_report.errors
    if errors:
        et = Table(
            title=f"Row errors ({run.report.error_count + run.price_report.error_count}; "
            f"first {min(len(errors), MAX_ERRORS_SHOWN)} shown)"
        )
        for c in ("row", "column", "rule", "message"):
            et.add_column(c)
        for e in errors[:MAX_ERRORS_SHOWN]:
            et.add_row(str(e.row), e.column, e.rule, e.message)
        console.print(et)
    for note in run.report.notes:
        console.print(f"[yellow]note:[/] {note}")
    if out is not None:
        console.print(f"results: {out} ({len(run.records)} households, ranked)")
