"""``loan-engine affordability | schedule | financing-plan | debt-service request.json`` and
``loan-engine repayment-period --principal --rate --instalment``: the underwriting calculations from a
terminal. The request file is the same JSON document as the HTTP request body and is validated with the same
schema. Prints readable tables (``--lang nb|en`` for the explanation) or the HTTP answer's JSON with ``--json``.

Parameter sets: the built-in sets by default (the request's ``parameter_set`` or the newest national set);
``--from-database`` resolves them from the configured database like the API does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from api.cli.common import console, domain_error, parse_model, print_json, read_json_file
from loan_engine.errors import DomainError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.table import Table

    from api.underwriting import schemas as uw
    from loan_engine.parameters import UnderwritingParameters

# The schemas and the calculations are imported inside the commands (`loan-engine --help` must not load them).

FileArg = Annotated[Path, typer.Argument(help="Request JSON file (same document as the HTTP request body).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the answer as JSON instead of tables.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of the explanation: nb or en.")]
DbOpt = Annotated[
    bool, typer.Option("--from-database", help="Resolve the parameter set from the database (default: built-in).")
]
KommuneOpt = Annotated[
    str | None, typer.Option("--kommune", help="Kommune number for --from-database (its own set first).")
]


def register(app: typer.Typer) -> None:
    app.command("affordability")(affordability)
    app.command("schedule")(schedule)
    app.command("financing-plan")(financing_plan)
    app.command("debt-service")(debt_service)
    app.command("repayment-period")(repayment_period)


def _params(ref: uw.ParameterSetRef | None, from_database: bool, kommune: str | None) -> UnderwritingParameters:
    from loan_engine.parameters import builtin_parameter_set, default_parameter_set, underwriting_parameters

    if from_database:
        from api.cli.common import db_session
        from api.parameter_sets import service

        with db_session() as session:
            row = service.resolve(
                session, set_id=ref.id if ref else None, version=ref.version if ref else None, kommune_number=kommune
            )
            return service.underwriting_view(row)
    ps = builtin_parameter_set(ref.id, ref.version) if ref else default_parameter_set()
    return underwriting_parameters(ps)


def _lang(lang: str) -> Literal["nb", "en"]:
    if lang not in ("nb", "en"):
        from api.cli.common import fail

        fail(f"--lang must be nb or en; got {lang!r}")
    return "nb" if lang == "nb" else "en"


def _kr(x: float) -> str:
    """Whole kroner without the unit, Norwegian grouping: ``1 000 000``."""
    from api.cli.human import num

    return num(round(x))


def _explanation(steps: list[uw.ExplanationStepOut], lang: str) -> Table:
    from rich.table import Table

    table = Table(title="Forklaring" if lang == "nb" else "Explanation", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("Steg" if lang == "nb" else "Step", overflow="fold")
    for k, step in enumerate(steps, start=1):
        table.add_row(str(k), step.nb if lang == "nb" else step.en)
    return table


def _kv(title: str, rows: list[tuple[str, str]]) -> Table:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for key, value in rows:
        table.add_row(key, value)
    return table


Request = TypeVar("Request", bound="BaseModel")
Answer = TypeVar("Answer")


def _answer(schema: type[Request], document: Any, source: str, calculate: Callable[[Request], Answer]) -> Answer:
    """Every command's first half: validate the document with the HTTP schema, calculate, and turn a domain error
    into the red one-line message (exit 2)."""
    request = parse_model(schema, document, source)
    try:
        return calculate(request)
    except DomainError as exc:
        domain_error(exc)


def _emit(model: BaseModel, as_json: bool) -> bool:
    if as_json:
        print_json(model.model_dump(mode="json"))
    return as_json


def affordability(
    file: FileArg,
    as_json: JsonOpt = False,
    lang: LangOpt = "nb",
    from_database: DbOpt = False,
    kommune: KommuneOpt = None,
) -> None:
    """Debt-service capacity and the maximum startlån for a household."""
    from api.underwriting import schemas as uw
    from api.underwriting.service import affordability as calculate

    language = _lang(lang)
    out = _answer(
        uw.AffordabilityRequestIn,
        read_json_file(file),
        str(file),
        lambda r: calculate(r, _params(r.parameter_set, from_database, kommune), kommune),
    )
    if _emit(out, as_json):
        return
    from api.cli.human import nok, pct

    rows = [
        ("Største startlån / maximum loan", nok(out.max_loan)),
        ("Disponibelt / disposable (per month)", f"{_kr(out.disposable_monthly)} kr"),
        ("Til startlån / for the startlån (per month)", f"{_kr(out.available_for_startlan_monthly)} kr"),
        ("Stressrente / stress rate", f"{pct(out.stress_rate, 2)} ({out.stress_rate_source})"),
        ("Livsopphold / living costs", f"{_kr(out.living_costs.amount)} kr ({out.living_costs.source.value})"),
        ("Løpetid / term", f"{out.term_years} år, {out.repayment.value}, {out.rate_type.value}"),
        ("Utbetalt / payout", f"{_kr(out.payout)} kr"),
        ("Parametersett / parameter set", f"{out.parameter_set.id} v{out.parameter_set.version}"),
    ]
    b = out.budget
    if b is not None:  # the whole budget: tax per person, each debt as counted, what happens when income ends
        rows[1:1] = [(f"Skatt person {t.person + 1} / tax (per year)", f"{_kr(t.tax)} kr") for t in b.taxes]
        rows += [
            (f"Gjeld {k + 1} / debt ({d.kind.value}, per month)", f"{_kr(d.counted_payment)} kr")
            for k, d in enumerate(b.debts)
        ]
        if b.after_income_ends is not None:
            rows.append(("Når inntekt slutter / after income ends", nok(b.after_income_ends.max_loan)))
        if b.bank_limits is not None and b.bank_limits.possible is False:
            rows.append(("Bankens andel / the bank's share", "ikke mulig / not possible"))
    console.print(_kv("Betjeningsevne / affordability", rows))
    console.print(_explanation(out.explanation, language))


def schedule(
    file: FileArg,
    as_json: JsonOpt = False,
    all_rows: Annotated[bool, typer.Option("--all", help="Print every row (default: the first and last 12).")] = False,
) -> None:
    """A repayment schedule and its totals."""
    from rich.table import Table

    from api.underwriting import schemas as uw
    from api.underwriting.service import schedule as calculate

    out = _answer(uw.ScheduleRequestIn, read_json_file(file), str(file), calculate)
    if _emit(out, as_json):
        return
    from api.cli.human import num, ore

    console.print(
        _kv(
            "Nedbetalingsplan / schedule",
            [
                ("Måneder / months", str(out.term_months)),
                ("Første betaling / first payment", ore(out.first_payment)),
                ("Høyeste betaling / highest payment", ore(out.max_payment)),
                ("Sum renter / total interest", ore(out.totals.interest)),
                ("Sum avdrag / total principal", ore(out.totals.principal)),
                ("Sum betalt / total paid", ore(out.totals.payment)),
            ],
        )
    )
    if not out.rows:
        return
    table = Table(title="Terminer / periods")
    for col in ("Periode", "Rente %", "Betaling", "Renter", "Avdrag", "Saldo"):
        table.add_column(col, justify="right")
    shown = out.rows if all_rows or len(out.rows) <= 24 else [*out.rows[:12], None, *out.rows[-12:]]
    for r in shown:
        if r is None:
            table.add_row("…", "", "", "", "", "")
            continue
        table.add_row(
            str(r.period),
            num(r.annual_rate, 3),
            num(r.payment, 2),
            num(r.interest, 2),
            num(r.principal, 2),
            num(r.balance, 2),
        )
    console.print(table)


def financing_plan(
    file: FileArg,
    as_json: JsonOpt = False,
    lang: LangOpt = "nb",
    from_database: DbOpt = False,
    kommune: KommuneOpt = None,
) -> None:
    """The financing ladder for a concrete purchase and the smallest grant."""
    from rich.table import Table

    from api.underwriting import schemas as uw
    from api.underwriting.service import plan as calculate

    language = _lang(lang)
    out = _answer(
        uw.FinancingPlanRequestIn,
        read_json_file(file),
        str(file),
        lambda r: calculate(r, _params(r.parameter_set, from_database, kommune)),
    )
    if _emit(out, as_json):
        return
    table = Table(title="Finansieringsstigen / financing ladder")
    for col, justify in (
        ("Steg", "left"),
        ("Rente", "left"),
        ("År", "right"),
        ("Livsopphold", "right"),
        ("Største lån", "right"),
        ("Trengs", "right"),
        ("Holder", "center"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for s in out.steps:
        rate = s.rate_type.value + (f" {s.fixation_years} år" if s.fixation_years else "")
        table.add_row(
            s.name,
            rate,
            str(s.term_years),
            _kr(s.living_costs_monthly),
            _kr(s.max_loan) if s.tried else "–",
            _kr(s.required_loan) if s.tried else "–",
            ("[green]ja[/]" if s.works else "[red]nei[/]") if s.tried else "ikke prøvd",
        )
    console.print(table)
    rows = [
        ("Løsning / solution", out.solution or "ingen / none"),
        ("Lån som trengs / loan needed", f"{_kr(out.required_loan)} kr"),
    ]
    if out.grant is not None:
        rows += [
            ("Tilskudd / grant", f"{_kr(out.grant.amount)} kr ({out.grant.form})"),
            ("Startlån med tilskudd / with grant", f"{_kr(out.grant.loan_with_grant)} kr"),
        ]
    rows.append(("Parametersett / parameter set", f"{out.parameter_set.id} v{out.parameter_set.version}"))
    console.print(_kv("Resultat / result", rows))
    console.print(_explanation(out.explanation, language))


def debt_service(
    file: FileArg,
    as_json: JsonOpt = False,
    lang: LangOpt = "nb",
    from_database: DbOpt = False,
    kommune: KommuneOpt = None,
) -> None:
    """Betjeningsevne in kroner: the monthly surplus or deficit when the household carries ``loan_amount``."""
    from api.underwriting import calculators_schemas as calc
    from api.underwriting.service import debt_service as calculate

    language = _lang(lang)
    out = _answer(
        calc.DebtServiceRequestIn,
        read_json_file(file),
        str(file),
        lambda r: calculate(r, _params(r.parameter_set, from_database, kommune), kommune),
    )
    if _emit(out, as_json):
        return
    surplus = out.surplus_monthly
    label = ("Overskudd / surplus" if surplus >= 0 else "Underskudd / deficit") + " (per month)"
    rows = [
        ("Lån / loan", f"{_kr(out.loan_amount)} kr"),
        (
            "Betaling ved stressrente / payment at stress",
            f"{_kr(out.monthly_payment_at_stress)} kr ({out.stress_rate:.2f} %)",
        ),
        ("Tilgjengelig / available (per month)", f"{_kr(out.available_monthly)} kr"),
        (label, f"{_kr(abs(surplus))} kr"),
        ("Største startlån / maximum loan", f"{out.max_loan:,} kr".replace(",", " ")),
        ("Parametersett / parameter set", f"{out.parameter_set.id} v{out.parameter_set.version}"),
    ]
    console.print(_kv("Betjeningsevne / debt service", rows))
    console.print(_explanation(out.explanation, language))


def repayment_period(
    principal: Annotated[float, typer.Option("--principal", help="Loan amount, NOK.")],
    rate: Annotated[float, typer.Option("--rate", help="Nominal rate, percent per year.")],
    instalment: Annotated[float, typer.Option("--instalment", help="Monthly payment (annuity), NOK.")],
    as_json: JsonOpt = False,
    lang: LangOpt = "nb",
) -> None:
    """Nedbetalingstid: how long a monthly instalment takes to pay off a loan at a rate."""
    from api.underwriting import calculators_schemas as calc
    from api.underwriting.service import repayment_period as calculate

    language = _lang(lang)
    out = _answer(
        calc.RepaymentPeriodRequestIn,
        {"principal": principal, "annual_rate": rate, "instalment": instalment},
        "options",
        calculate,
    )
    if _emit(out, as_json):
        return
    rows = [
        ("Måneder / months", str(out.months)),
        ("År / years", f"{out.years:.2f}"),
        ("Siste betaling / last payment", f"{_kr(out.last_payment)} kr"),
        ("Renter til sammen / total interest", f"{_kr(out.total_interest)} kr"),
    ]
    console.print(_kv("Nedbetalingstid / repayment period", rows))
    console.print(_explanation(out.explanation, language))
