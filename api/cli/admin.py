"""Operational commands: serve, migrate, seed, API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, db_session, fail, print_json
from models.roles import Role

# The database layer is imported inside the commands (`loan-engine --help` must not load it).

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("seed")(seed_command)
    app.add_typer(keys_app, name="keys")
    app.add_typer(db_app, name="db")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
) -> None:
    """Start the HTTP service (migrates the database and seeds the demo data first).

    Jobs run in the service's processes unless LOAN_ENGINE_RUN_JOBS=false (then run `loan-engine worker`)."""
    import uvicorn

    from api.settings import get_settings
    from models import db

    settings = get_settings()
    if settings.auto_migrate:
        db.upgrade(settings.migration_url)  # once, before the workers fork (they find the schema at head)
    console.print(
        f"loan_engine on http://{host}:{port}  (docs: {'/docs' if settings.docs_enabled else 'off'}, database: "
        f"{settings.sqlalchemy_url.split('://')[0]}, demo data: {settings.demo_data}, jobs in-process: {settings.run_jobs})"
    )
    if settings.demo_data:
        from api.seed import DEMO_KEYS

        for role, secret in DEMO_KEYS.items():
            console.print(f"  demo {role.value:<10} key: {secret}")
    uvicorn.run("api.main:app", host=host, port=port, workers=workers, log_level="info")


def seed_command(
    demo: Annotated[bool, typer.Option(help="Also create the demo keys and data.")] = False,
) -> None:
    """Load the built-in parameter sets (and, with --demo, the demo keys and data)."""
    from api.seed import seed

    with db_session() as session:
        report = seed(session, demo=demo)
    console.print(f"seeded; demo keys created: {report.keys_created}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Run the migrations up to REVISION (default head), as LOAN_ENGINE_MIGRATION_DATABASE_URL when it is set."""
    from api.settings import get_settings
    from models import db

    db.upgrade(get_settings().migration_url, revision)
    console.print(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")]) -> None:
    """Undo migrations down to REVISION (as the migration role when one is set)."""
    from api.settings import get_settings
    from models import db

    db.downgrade(get_settings().migration_url, revision)
    console.print(f"database at {revision}")


@db_app.command("grant-service-role")
def db_grant_service_role(
    role: Annotated[str, typer.Argument(help="The existing PostgreSQL role the service connects as.")],
) -> None:
    """Grant the service's role what it needs and no more: DML on the tables, INSERT and SELECT only on
    audit_log, SELECT only on alembic_version. Runs as the migration (owner) role; run it again after migrations
    that add tables. See docs/database-roles.md."""
    from api import db_roles
    from api.settings import get_settings
    from models import db

    settings = get_settings()
    try:
        statements = db_roles.grant_service_role(db.get_engine(settings.migration_url), role)
    except db_roles.RoleError as exc:
        fail(str(exc))
    for sql in statements:
        console.print(sql, highlight=False)
    console.print(f"granted the service role {role}")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="caseworker, finance or admin.")],
    kommune: Annotated[str, typer.Option(help="Kommunenummer, 4 digits (e.g. 0301 Oslo).")],
    label: Annotated[str, typer.Option(help="Whose key this is.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API key. The secret is printed once and never stored."""
    if not (len(kommune) == 4 and kommune.isdigit()):
        fail("--kommune must be a 4-digit kommunenummer (rule kommune-number-format)")
    from models import api_keys

    with db_session() as session:
        key, secret = api_keys.create_key(session, role=role, kommune_number=kommune, label=label)
        from models import audit

        audit.record(
            session,
            actor_key_id=None,
            actor_role="cli",
            action="api-key.create",
            entity_type="api_key",
            entity_id=key.id,
            after={"role": key.role, "kommune_number": key.kommune_number, "label": key.label, "prefix": key.prefix},
        )
        key_id = key.id
    if as_json:
        print_json({"id": key_id, "role": role.value, "kommune_number": kommune, "secret": secret})
    else:
        console.print(f"key id {key_id} ({role.value}, kommune {kommune})\nsecret (shown once): {secret}")


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List keys (never the secrets)."""
    from rich.table import Table
    from sqlmodel import col, select

    from api.cli.human import when
    from models.api_keys import ApiKey

    with db_session() as session:
        rows = session.exec(select(ApiKey).order_by(col(ApiKey.created_at))).all()
        if as_json:
            print_json(
                [
                    {
                        "id": k.id,
                        "prefix": k.prefix,
                        "role": k.role,
                        "kommune_number": k.kommune_number,
                        "label": k.label,
                        "created_at": k.created_at.isoformat(),
                        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                    }
                    for k in rows
                ]
            )
            return
        table = Table("id", "prefix", "role", "kommune", "label", "created", "revoked")
        for k in rows:
            table.add_row(
                k.id,
                k.prefix + "…",
                k.role,
                k.kommune_number,
                k.label,
                when(k.created_at),
                when(k.revoked_at) if k.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `keys list`).")]) -> None:
    """Revoke a key at once."""
    from models.api_keys import ApiKey
    from models.common import utcnow

    with db_session() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            fail(f"no key with id {key_id}")
        key.revoked_at = utcnow()
        session.add(key)
        from models import audit

        audit.record(
            session,
            actor_key_id=None,
            actor_role="cli",
            action="api-key.revoke",
            entity_type="api_key",
            entity_id=key.id,
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at.isoformat()},
        )
    console.print(f"revoked {key_id}")


@keys_app.command("revoke-demo")
def keys_revoke_demo() -> None:
    """Revoke the public demo keys (needed before the service starts in production on a database that was
    once started with demo data)."""
    from api.security import active_demo_keys
    from models.api_keys import ApiKey
    from models.common import utcnow

    with db_session(migrate=False) as session:
        found = active_demo_keys(session)
        for demo in found:
            key = session.get(ApiKey, demo.key_id)
            assert key is not None
            key.revoked_at = utcnow()
            session.add(key)
            from models import audit

            audit.record(
                session,
                actor_key_id=None,
                actor_role="cli",
                action="api-key.revoke",
                entity_type="api_key",
                entity_id=key.id,
                before={"revoked_at": None},
                after={"revoked_at": key.revoked_at.isoformat(), "reason": "demo key"},
            )
    console.print(f"revoked {len(found)} demo key(s)")
