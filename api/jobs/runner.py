"""Stored background jobs: submit, run in a worker thread, report progress, cancel, recover after restart.

A job kind is served by a handler ``fn(params, ctx) -> result`` registered with :func:`register_handler`.
The handler calls ``ctx.progress(done, total)`` as it goes and checks ``ctx.cancelled()`` between chunks
(raising :class:`JobCancelled` or returning early). Every state change is committed at once, so a client that
polls sees progress, and a restart never leaves a job "running": on start-up, jobs that were running are marked
failed with the reason, and queued jobs are queued again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from loan_engine.errors import Conflict, DomainError, NotFound
from models.common import utcnow
from models.jobs import FINAL_STATUSES, Job, JobArtifact, JobStatus

log = logging.getLogger("loan_engine.jobs")


class JobCancelled(Exception):
    """Raised by a handler (or by ``ctx.check_cancelled()``) when the job was cancelled."""


class JobOwner(Protocol):
    """Who owns a job (read-only, so a frozen ``api.deps.Principal`` fits)."""

    @property
    def key_id(self) -> str: ...

    @property
    def kommune_number(self) -> str: ...


class JobContext:
    """What a running handler may do: report progress, learn of cancellation, store artifacts."""

    def __init__(self, engine: Engine, job_id: str) -> None:
        self.engine = engine
        self.job_id = job_id
        self._cancel_checked_at = 0.0
        self._cancelled = False

    def progress(self, done: int, total: int) -> None:
        with Session(self.engine) as session:
            job = session.get(Job, self.job_id)
            if job is not None:
                job.progress_done = int(done)
                job.progress_total = int(total)
                session.add(job)
                session.commit()

    def cancelled(self) -> bool:
        now = time.monotonic()
        if not self._cancelled and now - self._cancel_checked_at > 0.2:
            self._cancel_checked_at = now
            with Session(self.engine) as session:
                job = session.get(Job, self.job_id)
                self._cancelled = bool(job is None or job.cancel_requested)
        return self._cancelled

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled()

    def save_artifact(self, name: str, media_type: str, data: bytes) -> None:
        with Session(self.engine) as session:
            existing = session.exec(
                select(JobArtifact).where(JobArtifact.job_id == self.job_id, JobArtifact.name == name)
            ).first()
            if existing is not None:
                existing.content = data
                existing.media_type = media_type
                session.add(existing)
            else:
                session.add(JobArtifact(job_id=self.job_id, name=name, media_type=media_type, content=data))
            session.commit()


Handler = Callable[[dict[str, Any], JobContext], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    HANDLERS[kind] = handler


class JobRunner:
    """Runs stored jobs in a small thread pool (CPU-heavy kernels release the GIL)."""

    def __init__(self, engine: Engine, workers: int = 1) -> None:
        self.engine = engine
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")

    def submit(self, job_id: str) -> None:
        self.executor.submit(self.run, job_id)

    def run(self, job_id: str) -> None:
        """Run one job to its end (also usable synchronously, e.g. from tests)."""
        with Session(self.engine) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.queued:
                return
            if job.cancel_requested:
                _finish(session, job, JobStatus.cancelled, error="cancelled before it started")
                return
            handler = HANDLERS.get(job.kind)
            if handler is None:
                _finish(session, job, JobStatus.failed, error=f"no handler for job kind {job.kind!r}")
                return
            job.status = JobStatus.running.value
            job.started_at = utcnow()
            session.add(job)
            session.commit()
            params = dict(job.params)
        ctx = JobContext(self.engine, job_id)
        try:
            result = handler(params, ctx)
        except JobCancelled:
            self._end(job_id, JobStatus.cancelled, error="cancelled on request")
        except DomainError as exc:
            self._end(job_id, JobStatus.failed, error=exc.detail)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._end(job_id, JobStatus.failed, error=f"internal error ({type(exc).__name__}); see the service log")
        else:
            if ctx.cancelled():
                self._end(job_id, JobStatus.cancelled, error="cancelled on request")
            else:
                self._end(job_id, JobStatus.succeeded, result=result)

    def _end(
        self, job_id: str, status: JobStatus, *, error: str | None = None, result: dict[str, Any] | None = None
    ) -> None:
        with Session(self.engine) as session:
            job = session.get(Job, job_id)
            if job is not None:
                _finish(session, job, status, error=error, result=result)

    def recover(self) -> tuple[int, int]:
        """After a restart: fail the jobs that were running, queue again the ones still queued."""
        failed = requeued = 0
        with Session(self.engine) as session:
            jobs = session.exec(
                select(Job).where(col(Job.status).in_([JobStatus.running.value, JobStatus.queued.value]))
            ).all()
            to_queue = []
            for job in jobs:
                if job.status == JobStatus.running:
                    _finish(
                        session,
                        job,
                        JobStatus.failed,
                        error="the service restarted while the job was running; submit it again",
                        commit=False,
                    )
                    failed += 1
                else:
                    to_queue.append(job.id)
            session.commit()
        for job_id in to_queue:
            self.submit(job_id)
            requeued += 1
        return failed, requeued

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def _finish(
    session: Session,
    job: Job,
    status: JobStatus,
    *,
    error: str | None = None,
    result: dict[str, Any] | None = None,
    commit: bool = True,
) -> None:
    job.status = status.value
    job.error = error
    job.result = result
    job.finished_at = utcnow()
    session.add(job)
    if commit:
        session.commit()


def create_job(session: Session, kind: str, params: dict[str, Any], owner: JobOwner) -> Job:
    """Store a queued job (committed) and return it; the caller submits it to a runner."""
    job = Job(kind=kind, params=params, owner_key_id=owner.key_id, kommune_number=owner.kommune_number)
    session.add(job)
    session.commit()
    return job


def submit_job(session: Session, runner: JobRunner, kind: str, params: dict[str, Any], owner: JobOwner) -> Job:
    job = create_job(session, kind, params, owner)
    runner.submit(job.id)
    return job


def get_job(session: Session, job_id: str, owner: JobOwner, kind: str | None = None) -> Job:
    """A job visible to ``owner`` (same kommune), or NotFound."""
    job = session.get(Job, job_id)
    if job is None or job.kommune_number != owner.kommune_number or (kind is not None and job.kind != kind):
        raise NotFound(f"No {kind or 'job'} with id {job_id}.", field="id", rule="job-exists")
    return job


def request_cancel(session: Session, job_id: str, owner: JobOwner, kind: str | None = None) -> Job:
    job = get_job(session, job_id, owner, kind)
    if job.status in FINAL_STATUSES:
        raise Conflict(
            f"The job is already {job.status}; only queued or running jobs can be cancelled.",
            field="id",
            rule="job-cancellable",
        )
    job.cancel_requested = True
    if job.status == JobStatus.queued:
        _finish(session, job, JobStatus.cancelled, error="cancelled before it started", commit=False)
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def get_artifact(session: Session, job_id: str, name: str) -> JobArtifact | None:
    return session.exec(select(JobArtifact).where(JobArtifact.job_id == job_id, JobArtifact.name == name)).first()
