"""``loan-engine stress-test PORTFOLIO`` and ``loan-engine portfolio generate``.

PORTFOLIO is a CSV/JSON file or the name of a stored portfolio (``--kommune`` picks the kommune). The test runs in
this process with a progress bar and prints a results table, or the JSON document with ``--json`` (the same
document as the API's ``result``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import console, domain_error, fail, print_json
from loan_engine.errors import DomainError
from loan_engine.portfolio.engine import run_stress_test
from loan_engine.portfolio.io import load_portfolio_file, to_csv
from loan_engine.portfolio.loans import Portfolio, portfolio_from_records
from loan_engine.portfolio.results import summarise, to_public
from loan_engine.portfolio.scenarios import scenario_from_dict
from loan_engine.portfolio.synthetic import generate_portfolio


def _load(portfolio: str, kommune: str | None) -> Portfolio:
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


def stress_test(
    portfolio: Annotated[str, typer.Argument(help="CSV/JSON file or stored portfolio name")],
    scenarios: Annotated[int, typer.Option("--scenarios", "-n", help="Monte Carlo scenarios (≤ 100 000)")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    horizon_years: Annotated[int, typer.Option("--horizon-years", help="Years (≤ 50); 10 as on the web page")] = 10,
    preset: Annotated[str | None, typer.Option(help="Scenario preset, e.g. hikes-2022-2023")] = None,
    rate_shock_bp: Annotated[float | None, typer.Option("--rate-shock-bp", help="Parallel shift, bp")] = None,
    kommune: Annotated[str | None, typer.Option(help="Kommune of a stored portfolio")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result document as JSON")] = False,
) -> None:
    """Run a Monte Carlo stress test of a startlån portfolio."""
    try:
        p = _load(portfolio, kommune)
        spec_in: dict[str, Any] = {}
        if preset is not None:
            spec_in["preset"] = preset
        if rate_shock_bp is not None:
            spec_in["rate_shock_bp"] = rate_shock_bp
        spec = scenario_from_dict(spec_in)
        if json_out:
            run = run_stress_test(p, spec, scenarios, horizon_years, seed)
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
                run = run_stress_test(
                    p,
                    spec,
                    scenarios,
                    horizon_years,
                    seed,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
    except DomainError as exc:
        domain_error(exc)
    res = to_public(summarise(run))
    if json_out:
        print_json(res)
    else:
        _table(res)


def generate(
    loans: Annotated[int, typer.Option("--loans", help="Number of loans")] = 1000,
    out: Annotated[Path, typer.Option("--out", help="Output file (.csv or .json)")] = Path("portfolio.csv"),
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
) -> None:
    """Write a synthetic portfolio (for demos and tests) to a CSV or JSON file."""
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


def register(app: typer.Typer) -> None:
    app.command("stress-test")(stress_test)
    portfolio_app = typer.Typer(help="Loan portfolios for stress tests.", no_args_is_help=True)
    portfolio_app.command("generate")(generate)
    app.add_typer(portfolio_app, name="portfolio")
