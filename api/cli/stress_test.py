"""``loan-engine stress-test [run] PORTFOLIO``, ``stress-test validate``, ``stress-test calibrate`` and
``loan-engine portfolio generate``.

PORTFOLIO is a CSV/JSON file or the name of a stored portfolio (``--kommune`` picks the kommune). The test runs in
this process with a progress bar and prints a results table, or the JSON document with ``--json`` (the same
document as the API's ``result``). ``stress-test PORTFOLIO`` (without ``run``) still works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from api.cli.common import console, domain_error, fail, print_json
from loan_engine.errors import DomainError

if TYPE_CHECKING:
    from loan_engine.portfolio.engine import StressTestRun
    from loan_engine.portfolio.loans import Portfolio

# The portfolio engine (NumPy, Numba) and the database layer are imported inside the commands
# (`loan-engine --help` must not load them).


def _load(portfolio: str, kommune: str | None) -> Portfolio:
    from loan_engine.portfolio.io import load_portfolio_file
    from loan_engine.portfolio.loans import portfolio_from_records

    path = Path(portfolio)
    if path.suffix.lower() in (".csv", ".json", ".txt") or path.exists():
        return load_portfolio_file(path)
    from api.cli.common import db_session
    from models.portfolios import Portfolio as Row
    from models.portfolios import get_by_name

    with db_session() as session:
        if kommune is None:
            from sqlmodel import select

            rows = list(session.exec(select(Row).where(Row.name == portfolio)).all())
            if len(rows) > 1:
                fail(f"{len(rows)} kommuner have a portfolio named {portfolio!r}; add --kommune.")
            row = rows[0] if rows else None
        else:
            row = get_by_name(session, kommune, portfolio)
        if row is None:
            fail(f"{portfolio}: neither a file nor a stored portfolio")
        return portfolio_from_records(list(row.loans))


def _nok(x: Any) -> str:
    """Whole kroner, Norwegian grouping (the column says the unit)."""
    from api.cli.human import num

    return num(None if x is None else round(x))


def _table(res: dict[str, Any]) -> None:
    from rich.table import Table

    el = res["expected_loss"]
    from api.cli.human import num
    from api.cli.human import pct as percent

    t = Table(
        title=f"Stresstest / stress test — {num(res['scenarios'])} scenarioer, {res['horizon_years']} år, "
        f"seed {res['seed']}"
    )
    t.add_column("Figure")
    t.add_column("Total (NOK)", justify="right")
    t.add_column("Kommune", justify="right")
    t.add_column("State", justify="right")
    t.add_column("± MC s.e. (total)", justify="right")
    t.add_row(
        "Expected loss",
        _nok(el["total"]["value"]),
        _nok(el["kommune"]["value"]),
        _nok(el["state"]["value"]),
        _nok(el["total"]["se"]),
    )
    u = res["unresolved_at_horizon"]
    t.add_row("  of which unresolved at horizon", _nok(u["loss"]["value"]), "", "", _nok(u["loss"]["se"]))
    q = res["loss_quantiles"]
    for i, lvl in enumerate(q["total"]):
        for key, label in (("var", "VaR"), ("es", "ES")):
            t.add_row(
                f"{label} {num(lvl['level'], 1 if lvl['level'] % 1 else 0)}\u00a0%",
                _nok(lvl[key]),
                _nok(q["kommune"][i][key]),
                _nok(q["state"][i][key]),
                _nok(lvl[key + "_se"]),
            )
    console.print(t)
    share = res["loss_share_pct"]["kommune"]["value"]
    oc = res["over_capacity"]["households"]
    console.print(
        f"Kommunens andel av tapet / kommune's share of the loss: {percent(share, 1)}   "
        f"Husstander over betjeningsevne / households over capacity: {num(oc['value'], 1)} ± {num(oc['se'], 1)}"
    )
    y = Table(title="Per year")
    for col in ("Year", "Default %", "Arrears %", "Measures %", "Net interest income", "NIM %"):
        y.add_column(col, justify="right")
    for row in res["years"]:

        def pct(d: dict[str, Any]) -> str:
            return num(d["value"], 2)

        y.add_row(
            str(row["year"]),
            pct(row["default_rate_pct"]),
            pct(row["arrears_rate_pct"]),
            pct(row["measures_rate_pct"]),
            _nok(row["net_interest_income"]["value"]),
            pct(row["net_interest_margin_pct"]),
        )
    console.print(y)


def _segments(rc: dict[str, Any]) -> None:
    from rich.table import Table

    t = Table(title=f"Where the risk sits (ES {rc['level_pct']:g} %, {rc['tail_scenarios']} tail scenarios)")
    for col in ("Segment", "Loans", "Expected loss", "EL %", "ES contribution", "ES %"):
        t.add_column(col, justify="right")
    for typ, rows in rc["segments"].items():
        for r in rows:

            def p(x: Any) -> str:
                return "–" if x is None else f"{x:.1f}"

            t.add_row(
                f"{typ}: {r['segment']}",
                str(r["loans"]),
                _nok(r["expected_loss"]),
                p(r["expected_loss_share_pct"]),
                _nok(r["es_contribution"]),
                p(r["es_share_pct"]),
            )
    console.print(t)


def stress_test(
    portfolio: Annotated[str, typer.Argument(help="CSV/JSON file or stored portfolio name")],
    scenarios: Annotated[int, typer.Option("--scenarios", "-n", help="Monte Carlo scenarios (≤ 100 000)")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    horizon_years: Annotated[int, typer.Option("--horizon-years", help="Years (≤ 50); 10 as on the web page")] = 10,
    preset: Annotated[str | None, typer.Option(help="Scenario preset, e.g. hikes-2022-2023")] = None,
    rate_shock_bp: Annotated[float | None, typer.Option("--rate-shock-bp", help="Parallel shift, bp")] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario-file", help="Your own paths (CSV/JSON, see scenario_files.py)")
    ] = None,
    kommune: Annotated[str | None, typer.Option(help="Kommune of a stored portfolio")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result document as JSON")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler (tcp://host:port) to run the scenario chunks on (default LOAN_ENGINE_DASK_SCHEDULER;"
            " unset: this process). Results are identical either way.",
        ),
    ] = None,
    contributions: Annotated[
        bool, typer.Option("--contributions", help="Expected loss and ES 99 % contribution by segment")
    ] = False,
    segments_csv: Annotated[Path | None, typer.Option("--segments-csv", help="Write the segments as CSV")] = None,
) -> None:
    """Run a Monte Carlo stress test of a startlån portfolio."""
    from api.settings import get_settings

    address = scheduler or get_settings().dask_scheduler

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from loan_engine.portfolio.results import summarise, to_public
    from loan_engine.portfolio.scenarios import scenario_from_dict

    try:
        p = _load(portfolio, kommune)
        spec_in: dict[str, Any] = {}
        if preset is not None:
            spec_in["preset"] = preset
        if rate_shock_bp is not None:
            spec_in["rate_shock_bp"] = rate_shock_bp
        if scenario_file is not None:
            import json as _json

            text = scenario_file.read_text(encoding="utf-8-sig")
            if scenario_file.suffix.lower() == ".json":
                spec_in["paths"] = _json.loads(text)
            else:
                spec_in["paths_csv"] = text
        spec = scenario_from_dict(spec_in)
        contributions = contributions or segments_csv is not None
        if json_out:
            run = _run(address, p, spec, scenarios, horizon_years, seed, None, contributions)
        else:
            with Progress(
                TextColumn("[bold]scenarios"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("run", total=scenarios)
                run = _run(
                    address,
                    p,
                    spec,
                    scenarios,
                    horizon_years,
                    seed,
                    lambda done, total: bar.update(task, completed=done),
                    contributions,
                )
    except DomainError as exc:
        domain_error(exc)
    except OSError as exc:  # the scheduler cannot be reached (distributed raises OSError/TimeoutError)
        fail(f"cannot reach the Dask scheduler {address}: {exc}")
    res = to_public(summarise(run))
    if segments_csv is not None and run.contributions is not None:
        from loan_engine.portfolio.contributions import segments_csv as to_segments_csv

        segments_csv.write_bytes(to_segments_csv(run.contributions))
    if json_out:
        print_json(res)
    else:
        _table(res)
        if res.get("risk_contributions"):
            _segments(res["risk_contributions"])


def _run(
    address: str | None,
    p: Portfolio,
    spec: Any,
    scenarios: int,
    horizon_years: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
    contributions: bool = False,
) -> StressTestRun:
    from loan_engine.portfolio.engine import run_stress_test

    if not address:
        return run_stress_test(p, spec, scenarios, horizon_years, seed, progress=progress, contributions=contributions)
    from distributed import Client

    from loan_engine.portfolio.distributed import run_stress_test_dask

    with Client(address, timeout=10, set_as_default=False) as client:
        return run_stress_test_dask(
            client, p, spec, scenarios, horizon_years, seed, progress=progress, contributions=contributions
        )


def generate(
    loans: Annotated[int, typer.Option("--loans", help="Number of loans")] = 1000,
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv or .json)")] = Path("portfolio.csv"),
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Write a synthetic portfolio (for demos and tests) to a CSV or JSON file."""
    from loan_engine.portfolio.io import to_csv
    from loan_engine.portfolio.synthetic import generate_portfolio

    try:
        p = generate_portfolio(loans, seed)
    except DomainError as exc:
        domain_error(exc)
    if out.suffix.lower() == ".json":
        import json

        out.write_text(json.dumps({"loans": p.to_records()}, ensure_ascii=False))
    else:
        out.write_text(to_csv(p))
    console.print(f"wrote {p.n_loans} loans to {out}")


def validate(
    pd: Annotated[float, typer.Option(help="Default probability of the homogeneous pool (0–1)")] = 0.02,
    rho: Annotated[float, typer.Option(help="Asset correlation (0–1)")] = 0.12,
    loans: Annotated[int, typer.Option(help="Loans in the pool")] = 20_000,
    scenarios: Annotated[int, typer.Option("--scenarios", "-n", help="Scenarios")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 2024,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
) -> None:
    """Validate the Monte Carlo machinery against the closed-form Vasicek (ASRF) loss distribution."""
    from loan_engine.portfolio.vasicek import validate_against_closed_form

    try:
        if loans < 1 or scenarios < 2 or loans * scenarios > 2_000_000_000:
            fail("loans ≥ 1, scenarios ≥ 2 and loans × scenarios ≤ 2·10⁹")
        rep = validate_against_closed_form(pd, rho, loans, scenarios, seed)
    except DomainError as exc:
        domain_error(exc)
    if json_out:
        print_json(rep)
        return
    from rich.table import Table

    t = Table(title=f"Vasicek check — PD {pd:g}, ρ {rho:g}, {loans} loans × {scenarios} scenarios, seed {seed}")
    for col in ("Level", "Simulated VaR", "± s.e.", "Closed form", "Difference / tolerance", "Result"):
        t.add_column(col, justify="right")
    t.add_row(
        "mean",
        f"{rep['mean']['simulated']:.5f}",
        f"{rep['mean']['se']:.5f}",
        f"{rep['mean']['closed_form']:.5f}",
        f"{rep['mean']['z']:.2f}",
        "ok" if rep["mean"]["ok"] else "FAIL",
    )
    for q in rep["quantiles"]:
        t.add_row(
            f"{q['level'] * 100:g} %",
            "–" if q["simulated"] is None else f"{q['simulated']:.5f}",
            "–" if q["se"] is None else f"{q['se']:.5f}",
            f"{q['closed_form']:.5f}",
            "–" if q["z"] is None else f"{q['z']:.2f}",
            "ok" if q["ok"] else "FAIL",
        )
    console.print(t)
    console.print("All within tolerance." if rep["ok"] else "[red]Outside tolerance.[/red]")
    if not rep["ok"]:
        raise typer.Exit(1)


def calibrate(
    loans: Annotated[int, typer.Option(help="Synthetic loans")] = 2000,
    scenarios: Annotated[int, typer.Option("--scenarios", "-n", help="Scenarios per evaluation")] = 200,
    years: Annotated[int, typer.Option(help="Horizon in years")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed (book and scenarios)")] = 1,
    out: Annotated[Path | None, typer.Option(help="Write the fitted assumption overrides (JSON)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the fit as JSON")] = False,
) -> None:
    """Fit the baseline to the published targets (Husbanken's net startlån losses) and print fit against target."""
    import json

    from loan_engine.portfolio.calibration import calibrate as fit

    try:
        rep = fit(n_loans=loans, n_scenarios=scenarios, years=years, seed=seed)
    except DomainError as exc:
        domain_error(exc)
    if out is not None:
        out.write_text(json.dumps({"life_event_rate": rep["life_event_rate"]}, indent=2))
    if json_out:
        print_json(rep)
        return
    from rich.table import Table

    t = Table(title=f"Calibration — {loans} synthetic loans × {scenarios} scenarios × {years} years, seed {seed}")
    for col in ("Target", "Model", "Published", "Band", "Within"):
        t.add_column(col)

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x * 100:.4f} %"

    for r in rep["targets"]:
        band = "–" if r["low"] is None else f"{pct(r['low'])} – {pct(r['high'])}"
        within = {True: "yes", False: "NO", None: "no target"}[r["within_band"]]
        t.add_row(r["name"], pct(r["model"]), pct(r["value"]), band, within)
    console.print(t)
    for r in rep["targets"]:
        console.print(f"  {r['name']}: {r['source']}")
    b = rep["baseline"]
    console.print(
        f"fitted life_event_rate = {rep['life_event_rate']:.5f} /yr; baseline total loss {pct(b['total_annual_loss_rate'])}"
        f"/yr, state {pct(b['state_annual_loss_rate'])}/yr, defaults {pct(b['annual_default_rate'])}/yr, "
        f"arrears {pct(b['annual_arrears_share'])}/yr"
    )


class _DefaultRun(TyperGroup):
    """``stress-test PORTFOLIO …`` means ``stress-test run PORTFOLIO …`` (backwards compatible)."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


def register(app: typer.Typer) -> None:
    st = typer.Typer(
        cls=_DefaultRun,
        help="Monte Carlo stress tests: run (default), validate, calibrate.",
        no_args_is_help=True,
    )
    st.command("run")(stress_test)
    st.command("validate")(validate)
    st.command("calibrate")(calibrate)
    app.add_typer(st, name="stress-test")
    portfolio_app = typer.Typer(help="Loan portfolios for stress tests.", no_args_is_help=True)
    portfolio_app.command("generate")(generate)
    app.add_typer(portfolio_app, name="portfolio")
