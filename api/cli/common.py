"""Helpers shared by the CLI commands: settings, a database session, reading JSON, error output.

Kept light on purpose: ``loan-engine --help`` imports every command module, so nothing here (or at the top of a
command module) may import NumPy/Numba, SQLAlchemy/SQLModel or FastAPI; commands import those inside their bodies
(tests/ops/test_cold_start.py checks it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sqlmodel import Session

    from loan_engine.errors import DomainError

M = TypeVar("M", bound="BaseModel")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def read_json_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read it as UTF-8 text ({exc})")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")


def parse_model(model: type[M], data: Any, source: str) -> M:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:10]:
            field = ".".join(str(p) for p in err.get("loc", ())) or "body"
            lines.append(f"  {field}: {err.get('msg')} [{err.get('type')}]")
        fail(f"{source}: the input does not follow the rules:\n" + "\n".join(lines))


def domain_error(exc: DomainError) -> NoReturn:
    where = f" (field {exc.field}, rule {exc.rule})" if exc.field or exc.rule else ""
    fail(f"{exc.detail}{where}")


@contextmanager
def db_session(migrate: bool = True) -> Iterator[Session]:
    """A session on the configured database (migrated to head first), committed on success."""
    from api.settings import get_settings
    from models import db

    settings = get_settings()
    url = settings.sqlalchemy_url
    if migrate and settings.auto_migrate:
        db.upgrade(settings.migration_url)
    engine = db.get_engine(url)
    if migrate:
        from api.seed import seed

        with db.session_scope(engine) as session:
            seed(session, demo=settings.demo_data)
    with db.session_scope(engine) as session:
        yield session


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
