"""Job-queue overhead: claim → finish of empty jobs per second, by 1 and 4 concurrent claimers, beside a baseline
measured in the same run — the same number of single-row write transactions (UPDATE by primary key + COMMIT),
the least any durable queue on this database must pay per job.

``python -m benchmarks.job_queue [--quick] [--postgres postgresql://user@host/db]`` (a scratch database is
created next to the given one and dropped afterwards). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from api.settings import normalise_database_url
from models import db
from models import jobs as repo
from models.jobs import Job, JobStatus


def _add(engine: Engine, n: int, kind: str) -> None:
    with Session(engine) as session:
        for _ in range(n):
            session.add(Job(kind=kind, params={}, kommune_number="0301"))
        session.commit()


def _queue_rate(url: str, n: int, claimers: int) -> float:
    kind = f"bench-{uuid.uuid4().hex[:6]}"
    setup = db.make_engine(url)
    _add(setup, n, kind)
    setup.dispose()
    engines = [db.make_engine(url) for _ in range(claimers)]

    def work(engine: Engine) -> None:
        while (c := repo.claim_next(engine, "bench", lease_seconds=60, max_attempts=3, kinds=[kind])) is not None:
            repo.finish(engine, c.job_id, JobStatus.succeeded, token=c.token, result={})

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for e in engines:
        e.dispose()
    return n / elapsed


def _baseline_rate(url: str, n: int) -> float:
    engine = db.make_engine(url)
    _add(engine, 1, "bench-baseline")
    with engine.connect() as conn:
        job_id = conn.execute(sa.text("SELECT id FROM jobs WHERE kind = 'bench-baseline'")).scalar()
    start = time.perf_counter()
    for i in range(n):
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE jobs SET progress_done = :i WHERE id = :j"), {"i": i, "j": job_id})
    elapsed = time.perf_counter() - start
    engine.dispose()
    return n / elapsed


def _report(name: str, url: str, n: int) -> None:
    db.upgrade(url)
    base = _baseline_rate(url, n)
    print(f"{name}: baseline single-row write transactions: {base:8.0f} /s")
    for claimers in (1, 4):
        rate = _queue_rate(url, n, claimers)
        print(
            f"{name}: claim + finish, {claimers} claimer(s):       {rate:8.0f} jobs/s  ({rate / base:.2f} × baseline)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL next to which a scratch database is made")
    args = parser.parse_args()
    n = 200 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        _report("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", n)
    if args.postgres:
        base = make_url(normalise_database_url(args.postgres))
        name = f"loan_engine_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            _report("postgresql", base.set(database=name).render_as_string(hide_password=False), n)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
