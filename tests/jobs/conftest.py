"""Helpers for the job-queue tests: a fresh migrated database per test module and small test job kinds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.jobs.runner import JobCancelled, JobContext, JobKind
from models import db
from models.jobs import FINAL_STATUSES, Job
from tests.conftest import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def queue_engine(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> Iterator[Engine]:
    url = fresh_database_url(request.param)
    db.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


class Recorder:
    """Counts how often each job's handler started (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[str, int] = {}

    def start(self, job_id: str) -> None:
        with self.lock:
            self.starts[job_id] = self.starts.get(job_id, 0) + 1


def sleeper_kind(recorder: Recorder, name: str = "test-sleep") -> JobKind:
    """A job that runs ``params['seconds']`` in steps of 50 ms, reporting progress and honouring cancellation."""

    def handle(params: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
        recorder.start(ctx.job_id)
        steps = max(1, int(float(params.get("seconds", 0.1)) / 0.05))
        for i in range(steps):
            if ctx.cancelled():
                raise JobCancelled()
            time.sleep(0.05)
            if i % 5 == 0:
                ctx.progress(i, steps)
        return {"steps": steps, "value": params.get("value")}

    return JobKind(name, handle)


def add_jobs(engine: Engine, n: int, kind: str = "test-sleep", **params: Any) -> list[str]:
    with Session(engine) as session:
        jobs = [Job(kind=kind, params={**params, "value": i}, kommune_number="0301") for i in range(n)]
        for job in jobs:
            session.add(job)
        session.commit()
        return [job.id for job in jobs]


def statuses(engine: Engine, ids: list[str]) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, status FROM jobs")).all()
    wanted = set(ids)
    return {r[0]: r[1] for r in rows if r[0] in wanted}


def wait_final(engine: Engine, ids: list[str], timeout: float = 60.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = statuses(engine, ids)
        if len(now) == len(ids) and all(s in FINAL_STATUSES for s in now.values()):
            return now
        time.sleep(0.05)
    raise AssertionError(f"jobs not final after {timeout} s: {statuses(engine, ids)}")


def get_job(engine: Engine, job_id: str) -> Job:
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job
