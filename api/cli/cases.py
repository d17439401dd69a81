"""Cases and parameter sets from the command line: the same services as the API, with the CLI as the actor
(written to the audit log as ``cli``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from api.cases.kinds import CalculationKind
from api.cli.common import console, db_session, domain_error, fail, parse_model, print_json, read_json_file
from loan_engine.cases.status import CaseStatus
from loan_engine.errors import DomainError

# The services, schemas and the database layer are imported inside the commands (`loan-engine --help` must not
# load them).

cases_app = typer.Typer(help="Startlån cases: create, assess, decide, appeal, pay out, expire.", no_args_is_help=True)
parameter_sets_app = typer.Typer(help="Versioned parameter sets: load a new one, list them.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
    app.add_typer(parameter_sets_app, name="parameter-sets")


def _current_version(case_id: str) -> int:
    from api.cases import service
    from api.cases.service import CLI_ACTOR

    with db_session() as session:
        return service.visible_case(session, CLI_ACTOR, case_id).version


@cases_app.command("create")
def create(
    file: Annotated[Path, typer.Argument(help="Application JSON: {reference?, national_id?, application: {…}}.")],
    kommune: Annotated[str, typer.Option(help="Kommunenummer the case belongs to (4 digits).")],
    as_json: JsonOpt = False,
) -> None:
    """Create a case (draft) from an application file."""
    from api.cases import service
    from api.cases.schemas import CaseCreate
    from api.cases.service import CLI_ACTOR

    body = parse_model(CaseCreate, read_json_file(file), str(file))
    try:
        with db_session() as session:
            created = service.create_case(session, CLI_ACTOR, body, kommune_number=kommune)
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(created.case.model_dump(mode="json"))
    else:
        console.print(f"case {created.case.id} created (status {created.case.status.value}, kommune {kommune})")


@cases_app.command("assess")
def assess(
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    kind: Annotated[CalculationKind, typer.Option(help="affordability or financing-plan.")] = (
        CalculationKind.affordability
    ),
    parameter_set: Annotated[str | None, typer.Option(help="Use this parameter set id (default: in force).")] = None,
    parameter_set_version: Annotated[int | None, typer.Option(help="… and this version.")] = None,
    on: Annotated[str | None, typer.Option(help="Parameter set in force on this date (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the calculation with the parameter set in force and store it; the case becomes assessed."""
    from api.cases import service
    from api.cases.schemas import AssessmentRequest, ParameterSetVersionRef
    from api.cases.service import CLI_ACTOR

    try:
        on_date = date.fromisoformat(on) if on else None
    except ValueError:
        fail("--on must be a date YYYY-MM-DD")
    ref = None
    if parameter_set is not None:
        if parameter_set_version is None:
            fail("--parameter-set needs --parameter-set-version")
        ref = ParameterSetVersionRef(id=parameter_set, version=parameter_set_version)
    try:
        with db_session() as session:
            request = AssessmentRequest(kind=kind, parameter_set=ref, on=on_date)
            out = service.assess(session, CLI_ACTOR, case_id, request)
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        advice = {True: "serviceable", False: "NOT serviceable", None: "no advice"}[out.serviceable]
        from api.cli.human import nok

        max_loan = f", max loan {nok(out.max_loan)}" if out.max_loan is not None else ""
        console.print(
            f"case {case_id} assessed: calculation {out.id} ({out.kind.value}, parameter set "
            f"{out.parameter_set.id} v{out.parameter_set.version}): {advice}{max_loan}"
        )


def _versioned_command(case_id: str, version: int | None) -> int:
    return version if version is not None else _current_version(case_id)


@cases_app.command("decide")
def decide(
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    file: Annotated[Path, typer.Argument(help="Decision JSON: outcome, loan_amount, terms, reason, fraradning, …")],
    as_json: JsonOpt = False,
) -> None:
    """Decide the case (vedtak). The file's `version` is checked if given (else the current version is used)."""
    from api.cases import service
    from api.cases.schemas import DecisionIn
    from api.cases.service import CLI_ACTOR

    body = parse_model(DecisionIn, read_json_file(file), str(file))
    try:
        version = _versioned_command(case_id, body.version)
        with db_session() as session:
            out = service.decide(session, CLI_ACTOR, case_id, body, expected_version=version)
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(out.model_dump(mode="json"))
    else:
        from api.cli.human import day, nok

        d = out.decisions[-1]
        console.print(
            f"case {case_id} decided: {d.outcome.value}, loan {nok(d.loan_amount)}, grant {nok(d.grant_amount)}, "
            f"valid until {day(d.valid_until)}, appeal deadline {day(d.appeal_deadline)}"
            + (" — granted AGAINST the calculation's advice (frarådning given)" if d.against_advice else "")
        )


@cases_app.command("appeal")
def appeal(
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    reason: Annotated[str, typer.Option(help="What the applicant appeals against.")],
    received_on: Annotated[str | None, typer.Option(help="Date received (YYYY-MM-DD), default today.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an appeal (klage) against the latest decision."""
    from api.cases import service
    from api.cases.schemas import AppealIn
    from api.cases.service import CLI_ACTOR

    data = {"reason": reason, "received_on": received_on}
    body = parse_model(AppealIn, data, "appeal")
    try:
        with db_session() as session:
            out = service.appeal(session, CLI_ACTOR, case_id, body, expected_version=_current_version(case_id))
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    console.print(f"case {case_id}: appeal registered (status {out.status.value})")


@cases_app.command("payout")
def payout(
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    amount: Annotated[float | None, typer.Option(help="Amount paid out, NOK (default: as granted).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register the payout of a granted loan."""
    from api.cases import service
    from api.cases.schemas import PayoutIn
    from api.cases.service import CLI_ACTOR

    body = parse_model(PayoutIn, {"amount": amount}, "payout")
    try:
        with db_session() as session:
            out = service.pay_out(session, CLI_ACTOR, case_id, body, expected_version=_current_version(case_id))
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(out.model_dump(mode="json"))
        return
    from api.cli.human import nok

    paid = out.payout.amount if out.payout else None
    console.print(f"case {case_id}: paid out {nok(paid)} (status {out.status.value})")


@cases_app.command("show")
def show(case_id: Annotated[str, typer.Argument(help="The case id.")]) -> None:
    """Print the case with its calculations and decisions as JSON."""
    from api.cases import service
    from api.cases.service import CLI_ACTOR

    try:
        with db_session() as session:
            out = service.case_out(session, CLI_ACTOR, service.visible_case(session, CLI_ACTOR, case_id))
    except DomainError as exc:
        domain_error(exc)
    print_json(out.model_dump(mode="json"))


@cases_app.command("list")
def list_cases(
    kommune: Annotated[str | None, typer.Option(help="Only this kommune's cases.")] = None,
    status: Annotated[CaseStatus | None, typer.Option(help="Only cases in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor from the previous page.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List cases, newest first."""
    from rich.table import Table

    from api.cases import service
    from api.cases.service import CLI_ACTOR

    try:
        with db_session() as session:
            page = service.list_cases(
                session, CLI_ACTOR, status=status, cursor=cursor, limit=limit, kommune_number=kommune
            )
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json(page.model_dump(mode="json"))
        return
    from api.cli.human import when

    table = Table("id", "kommune", "status", "version", "reference", "purpose", "created")
    for c in page.items:
        table.add_row(
            c.id,
            c.kommune_number,
            c.status.value,
            str(c.version),
            c.reference or "",
            c.purpose or "",
            when(c.created_at),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}")


@cases_app.command("expire")
def expire(
    today: Annotated[str | None, typer.Option(help="Treat this date as today (YYYY-MM-DD).")] = None,
    kommune: Annotated[str | None, typer.Option(help="Only this kommune's cases.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Expire granted promises (tilsagn) not paid out before their valid_until date."""
    from api.cases import service
    from api.cases.service import CLI_ACTOR

    try:
        day = date.fromisoformat(today) if today else None
    except ValueError:
        fail("--today must be a date YYYY-MM-DD")
    with db_session() as session:
        report = service.expire_due(session, CLI_ACTOR, today=day, kommune_number=kommune)
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    console.print(
        f"expired {len(report.expired)} case(s)"
        + (f"; {len(report.skipped_changed)} changed meanwhile and were left alone" if report.skipped_changed else "")
    )
    for case_id in report.expired:
        console.print(f"  {case_id}")


@parameter_sets_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="A parameter-set JSON document.")], as_json: JsonOpt = False
) -> None:
    """Validate and store a new parameter set (or a new version). Stored versions are never changed."""
    from api.parameter_sets import service as parameter_set_service
    from models import audit

    document = read_json_file(file)
    if not isinstance(document, dict):
        fail(f"{file}: a parameter set is a JSON object")
    try:
        with db_session() as session:
            row = parameter_set_service.load(session, document, loaded_by=None)
            audit.record(
                session,
                actor_key_id=None,
                actor_role="cli",
                action="parameter-set.load",
                entity_type="parameter_set",
                entity_id=f"{row.set_id}@{row.version}",
                after={
                    "id": row.set_id,
                    "version": row.version,
                    "valid_from": row.valid_from.isoformat(),
                    "kommune_number": row.kommune_number,
                    "checksum": row.checksum,
                },
            )
            set_id, version, valid_from = row.set_id, row.version, row.valid_from
    except DomainError as exc:
        domain_error(exc)
    if as_json:
        print_json({"id": set_id, "version": version, "valid_from": valid_from.isoformat()})
        return
    console.print(f"loaded parameter set {set_id} v{version} (valid from {valid_from.isoformat()})")


@parameter_sets_app.command("list")
def list_sets(as_json: JsonOpt = False) -> None:
    """Every stored parameter set and version, newest first."""
    from rich.table import Table

    from models import parameter_sets as parameter_set_repo

    with db_session() as session:
        rows = [
            {
                "id": r.set_id,
                "version": r.version,
                "valid_from": r.valid_from.isoformat(),
                "kommune_number": r.kommune_number,
                "description": r.description,
                "checksum": r.checksum[:12],
            }
            for r in parameter_set_repo.list_all(session)
        ]
    if as_json:
        print_json(rows)
        return
    from api.cli.human import day

    table = Table("id", "version", "valid from", "kommune", "description", "checksum")
    for r in rows:
        table.add_row(
            str(r["id"]),
            str(r["version"]),
            day(str(r["valid_from"])),
            str(r["kommune_number"] or "national"),
            str(r["description"])[:60],
            str(r["checksum"]),
        )
    console.print(table)
