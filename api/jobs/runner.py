"""Stored background jobs: submit to the queue in the database, claim and run them, report progress, cancel.

A job kind is served by a handler ``fn(params, ctx) -> result`` listed in :mod:`api.jobs.kinds`. The handler
calls ``ctx.progress(done, total)`` as it goes and checks ``ctx.cancelled()`` between chunks (raising
:class:`JobCancelled` or returning early).

Any number of processes (API processes with ``LOAN_ENGINE_RUN_JOBS=true``, ``loan-engine worker`` processes, on
any number of machines) run a :class:`JobRunner` against one database. A runner claims jobs atomically (see
``models.jobs.claim_next``), renews each claimed job's lease by heartbeat, learns of cancellation from the same
heartbeat (so a cancel reaches the process running the job within about a second), and writes the final status
with its lease token. A runner that starts never touches another process's running job; a job is retried (or
failed when its attempts are used up) only when its lease has expired. Database outages are survived: every
database call of the loop, the heartbeat and the final write is retried, never fatal.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from loan_engine.errors import Conflict, DomainError, NotFound
from models import audit
from models import jobs as repo
from models.common import utcnow
from models.jobs import FINAL_STATUSES, Claim, Job, JobArtifact, JobStatus

if TYPE_CHECKING:
    from api.settings import Settings

log = logging.getLogger("loan_engine.jobs")


class JobCancelled(Exception):
    """Raised by a handler (or by ``ctx.check_cancelled()``) when the job was cancelled."""


class JobOwner(Protocol):
    """Who owns a job (read-only, so a frozen ``api.deps.Principal`` fits)."""

    @property
    def key_id(self) -> str: ...

    @property
    def kommune_number(self) -> str: ...


Handler = Callable[[dict[str, Any], "JobContext"], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: its handler, and what its record keeps when its stored results are removed."""

    name: str
    handler: Handler
    keep_on_removal: Callable[[Job], dict[str, Any] | None] = lambda job: None
    transient_artifacts: tuple[str, ...] = ()  # needed by a run only; deleted once the job is final


class JobContext:
    """What a running handler may do: report progress, learn of cancellation, store artifacts."""

    def __init__(self, runner: JobRunner, claim: Claim) -> None:
        self.runner = runner
        self.engine = runner.engine
        self.job_id = claim.job_id
        self.token = claim.token
        self.attempt = claim.attempt
        self.dask_scheduler = runner.dask_scheduler
        self.cancel_requested = claim.cancel_requested
        self.lease_lost = False

    def progress(self, done: int, total: int) -> None:
        """Store progress (best effort: a database hiccup does not stop the computation)."""
        try:
            if not repo.set_progress(self.engine, self.job_id, self.token, done, total):
                self.lease_lost = True
        except SQLAlchemyError as exc:
            log.warning("job %s: progress not stored (%s)", self.job_id, type(exc).__name__)

    def cancelled(self) -> bool:
        return self.cancel_requested or self.lease_lost or self.runner.stopping

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled()

    def save_artifact(self, name: str, media_type: str, data: bytes) -> None:
        if self.lease_lost:
            raise JobCancelled("the lease was lost")
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


class JobRunner:
    """Claims jobs from the queue and runs them in a small thread pool (CPU-heavy kernels release the GIL).

    ``start()`` starts the claim loop and the heartbeat; without it (``run_jobs=False``: an API-only process)
    ``submit`` only leaves the job in the queue for another process.
    """

    def __init__(
        self,
        engine: Engine,
        workers: int = 1,
        *,
        lease_seconds: float = 30.0,
        max_attempts: int = 3,
        poll_seconds: float = 1.0,
        dask_scheduler: str | None = None,
        screening_retention_days: float | None = None,
        retention_check_seconds: float = 3600.0,
        kinds: Mapping[str, JobKind],
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.workers = workers
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = max(0.05, min(1.0, lease_seconds / 3))
        self.dask_scheduler = dask_scheduler
        self.screening_retention_days = screening_retention_days
        self.retention_check_seconds = retention_check_seconds
        self.kinds = dict(kinds)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.stopping = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._active: dict[str, JobContext] = {}
        self._active_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._last_retention = -float("inf")
        self._last_cleanup = -float("inf")
        self._last_expiry = -float("inf")
        self.jobs_run = 0

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, kinds: Mapping[str, JobKind], **overrides: Any
    ) -> JobRunner:
        """A runner for the kinds the composition root hands in (``api.jobs.kinds.JOB_KINDS``)."""
        options: dict[str, Any] = {
            "workers": settings.job_workers,
            "lease_seconds": settings.job_lease_seconds,
            "max_attempts": settings.job_max_attempts,
            "poll_seconds": settings.job_poll_seconds,
            "dask_scheduler": settings.dask_scheduler,
            "screening_retention_days": settings.screening_retention_days,
            "retention_check_seconds": settings.retention_check_seconds,
        }
        options.update(overrides)
        return cls(engine, kinds=kinds, **options)

    # -- life cycle ---------------------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> JobRunner:
        if not self._threads:
            for target, name in ((self._loop, "job-claims"), (self._heartbeats, "job-heartbeat")):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def submit(self, job_id: str) -> None:
        """A job was queued: claim it now if this process runs jobs (else another process will)."""
        self._wake.set()

    def shutdown(self, wait: bool = True) -> None:
        """Stop claiming; running jobs stop at their next check and go back to the queue for another process."""
        self.stopping = True
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.executor.shutdown(wait=wait, cancel_futures=True)

    def active_jobs(self) -> list[str]:
        with self._active_lock:
            return list(self._active)

    # -- the loop ----------------------------------------------------------------------------------------------

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.maintain()
                while len(self.active_jobs()) < self.workers and not self._stop.is_set():
                    claim = self.claim()
                    if claim is None:
                        break
                    self._start_job(claim)
                failures = 0
            except SQLAlchemyError as exc:
                failures += 1
                if failures == 1 or failures % 30 == 0:
                    log.warning("job queue: database unavailable (%s); retrying", type(exc).__name__)
            except Exception:
                log.exception("job queue loop error; retrying")
            self._wake.wait(self.poll_seconds if failures == 0 else min(5.0, self.poll_seconds * 2))
            self._wake.clear()

    def maintain(self) -> None:
        """Fail/cancel jobs whose lease expired with no attempts left; purge old screenings when it is time."""
        now = time.monotonic()
        if now - self._last_expiry >= max(self.poll_seconds, min(5.0, self.lease_seconds / 4)):
            self._last_expiry = now
            n = repo.fail_exhausted(self.engine, self.max_attempts)
            if n:
                log.warning("job queue: %d job(s) whose process stopped were failed or cancelled", n)
        if now - self._last_cleanup >= 60:
            self._last_cleanup = now
            names = sorted({n for kind in self.kinds.values() for n in kind.transient_artifacts})
            repo.drop_transient_artifacts(self.engine, names)
        if self.screening_retention_days is not None and now - self._last_retention >= self.retention_check_seconds:
            self._last_retention = now
            purged = purge_screenings(self.engine, self.screening_retention_days, self.kinds)
            if purged:
                log.info("retention: removed the stored results of %d screening(s)", purged)

    def claim(self) -> Claim | None:
        return repo.claim_next(
            self.engine,
            self.owner,
            lease_seconds=self.lease_seconds,
            max_attempts=self.max_attempts,
            kinds=sorted(self.kinds),
        )

    def _start_job(self, claim: Claim) -> None:
        ctx = JobContext(self, claim)
        with self._active_lock:
            self._active[claim.job_id] = ctx
        try:
            self.executor.submit(self._execute, ctx, claim)
        except RuntimeError:  # shut down meanwhile: give it back
            with self._active_lock:
                self._active.pop(claim.job_id, None)
            repo.release(self.engine, claim.job_id, claim.token)

    def run_next(self) -> str | None:
        """Claim and run one job in this thread (tests, ``worker --once``); its id, or None if none was queued."""
        self.maintain()
        claim = self.claim()
        if claim is None:
            return None
        ctx = JobContext(self, claim)
        with self._active_lock:
            self._active[claim.job_id] = ctx
        self._execute(ctx, claim)
        return claim.job_id

    def _heartbeats(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            for job_id in self.active_jobs():
                with self._active_lock:
                    ctx = self._active.get(job_id)
                if ctx is None:
                    continue
                try:
                    beat = repo.heartbeat(self.engine, job_id, ctx.token, self.lease_seconds)
                except SQLAlchemyError as exc:
                    log.warning("job %s: heartbeat failed (%s); the job goes on", job_id, type(exc).__name__)
                    continue
                if not beat.held and not ctx.lease_lost:
                    log.warning("job %s: lease lost (another process took it over); stopping here", job_id)
                    ctx.lease_lost = True
                if beat.cancel_requested:
                    ctx.cancel_requested = True

    # -- one job -----------------------------------------------------------------------------------------------

    def _execute(self, ctx: JobContext, claim: Claim) -> None:
        try:
            self.jobs_run += 1
            kind = self.kinds.get(claim.kind)
            if claim.cancel_requested:
                self._end(ctx, JobStatus.cancelled, error="cancelled before it started")
                return
            if kind is None:
                self._end(ctx, JobStatus.failed, error=f"no handler for job kind {claim.kind!r}")
                return
            try:
                result = kind.handler(claim.params, ctx)
            except JobCancelled:
                self._end(ctx, JobStatus.cancelled, error="cancelled on request")
            except DomainError as exc:
                self._end(ctx, JobStatus.failed, error=exc.detail)
            except SQLAlchemyError as exc:
                # The database failed under the handler: not the job's fault. Leave it; its lease expires and
                # it is claimed again (or failed when its attempts are used up).
                log.warning("job %s: database error while running (%s); it will be retried", claim.job_id, exc)
            except Exception as exc:
                log.exception("job %s failed", claim.job_id)
                self._end(ctx, JobStatus.failed, error=f"internal error ({type(exc).__name__}); see the service log")
            else:
                # The handler finished (its results are stored): a cancel that arrived after its last check came
                # too late, and the job succeeded. Status and stored results always agree.
                self._end(ctx, JobStatus.succeeded, result=result)
        finally:
            with self._active_lock:
                self._active.pop(claim.job_id, None)
            self._wake.set()

    def _end(
        self, ctx: JobContext, status: JobStatus, *, error: str | None = None, result: dict[str, Any] | None = None
    ) -> None:
        """The final write, with the lease token; retried while the database is away."""
        if ctx.lease_lost:
            log.warning("job %s: lease lost; its result from this process is discarded", ctx.job_id)
            return
        if self.stopping and not ctx.cancel_requested and status == JobStatus.cancelled:
            self._release(ctx)
            return
        delay = 0.5
        while True:
            try:
                if not repo.finish(self.engine, ctx.job_id, status, token=ctx.token, error=error, result=result):
                    log.warning("job %s: not finished as %s (lease lost or already final)", ctx.job_id, status)
                return
            except SQLAlchemyError as exc:
                if self._stop.is_set() and delay > 8:
                    log.error("job %s: final status not stored (%s); its lease will expire", ctx.job_id, exc)
                    return
                log.warning("job %s: final status not stored yet (%s); retrying", ctx.job_id, type(exc).__name__)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _release(self, ctx: JobContext) -> None:
        try:
            repo.release(self.engine, ctx.job_id, ctx.token)
            log.info("job %s: given back to the queue (this process is stopping)", ctx.job_id)
        except SQLAlchemyError:
            log.warning("job %s: not given back (database unavailable); its lease will expire", ctx.job_id)


def create_job(session: Session, kind: str, params: dict[str, Any], owner: JobOwner, *, commit: bool = True) -> Job:
    """Store a queued job and return it; the caller tells its runner (``runner.submit``).

    With ``commit=False`` the job is only flushed: the caller stores the job's input in the same transaction and
    commits, so no runner (in any process) can claim a job whose input is not yet there.
    """
    job = Job(kind=kind, params=params, owner_key_id=owner.key_id, kommune_number=owner.kommune_number)
    session.add(job)
    if commit:
        session.commit()
    else:
        session.flush()
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
    repo.request_cancel(session, job.id)
    session.commit()
    session.refresh(job)
    return job


def remove_results(
    session: Session,
    job: Job,
    kind: JobKind,
    *,
    actor_key_id: str | None,
    actor_role: str | None,
    reason: str,
) -> bool:
    """Remove a finished job's stored results and record it in the audit log (one transaction). False if they
    were already removed (by another request or the retention purge): nothing is recorded twice."""
    keep = kind.keep_on_removal(job)
    if not repo.remove_results(session, job.id, keep):
        session.rollback()
        return False
    audit.record(
        session,
        actor_key_id=actor_key_id,
        actor_role=actor_role,
        action=f"{kind.name}.results-removed",
        entity_type="job",
        entity_id=job.id,
        before={"status": job.status, "finished_at": job.finished_at.isoformat() if job.finished_at else None},
        after={"reason": reason, "kept": sorted((keep or {}).keys())},
    )
    session.commit()
    session.refresh(job)
    return True


def purge_screenings(engine: Engine, retention_days: float, kinds: Mapping[str, JobKind]) -> int:
    """Remove the stored results (personal data) of screenings finished more than ``retention_days`` ago."""
    kind = kinds.get("screening")
    if kind is None:
        return 0
    before = utcnow() - timedelta(days=retention_days)
    purged = 0
    with Session(engine, expire_on_commit=False) as session:
        while True:
            batch = repo.finished_before(session, kind.name, before)
            if not batch:
                return purged
            for job in batch:
                if remove_results(
                    session,
                    job,
                    kind,
                    actor_key_id=None,
                    actor_role="retention",
                    reason=f"retention: finished more than {retention_days:g} days ago",
                ):
                    purged += 1
            if len(batch) < 100:
                return purged


def get_artifact(session: Session, job_id: str, name: str) -> JobArtifact | None:
    return session.exec(select(JobArtifact).where(JobArtifact.job_id == job_id, JobArtifact.name == name)).first()
