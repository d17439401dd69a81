"""``loan-engine worker``: run queued jobs (stress tests, screenings) in their own process.

Any number of workers, on any number of machines, may run against one PostgreSQL database (SQLite: one machine):
each claims jobs atomically from the queue in the database and holds a lease on it, renewed by heartbeat. The
worker also applies the screening retention (``LOAN_ENGINE_SCREENING_RETENTION_DAYS``). SIGTERM or Ctrl-C stops it:
running jobs stop at their next check and go back to the queue for another process.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from api.cli.common import console

# The settings and the database layer are imported inside the command (`loan-engine --help` must not load them).


def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", help="Jobs at a time (default LOAN_ENGINE_JOB_WORKERS).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then exit.")] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler for stress tests (tcp://host:port).")
    ] = None,
) -> None:
    """Run queued jobs until stopped (SIGTERM/Ctrl-C)."""
    from api.jobs.kinds import JOB_KINDS
    from api.jobs.runner import JobRunner
    from api.seed import seed
    from api.settings import get_settings
    from models import db

    settings = get_settings()
    url = settings.sqlalchemy_url
    if settings.auto_migrate:
        db.upgrade(settings.migration_url)
    engine = db.get_engine(url)
    with db.session_scope(engine) as session:
        seed(session, demo=settings.demo_data)
    overrides: dict[str, Any] = {}
    if concurrency is not None:
        overrides["workers"] = concurrency
    if scheduler:
        overrides["dask_scheduler"] = scheduler
    runner = JobRunner.from_settings(engine, settings, JOB_KINDS, **overrides)
    console.print(
        f"loan-engine worker {runner.owner}: {runner.workers} job(s) at a time, lease {runner.lease_seconds:g} s,"
        f" max attempts {runner.max_attempts}, dask: {runner.dask_scheduler or 'no'}",
        highlight=False,
    )
    if once:
        ran = 0
        while runner.run_next() is not None:
            ran += 1
        runner.shutdown()
        console.print(f"ran {ran} job(s)")
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        console.print("stopping: running jobs go back to the queue")
        runner.shutdown(wait=True)
        db.dispose_engine(url)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
