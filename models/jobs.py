"""Stored background jobs (stress tests, screenings) and their artifacts (result files), and the queue over them.

The ``jobs`` table is the queue. A process *claims* a queued job atomically (PostgreSQL ``FOR UPDATE SKIP
LOCKED``; SQLite a conditional update), which gives it a lease: a random token and an expiry that the claimant
renews by heartbeat while the job runs. Only the holder of the current token may report progress or finish the
job, and every status change is a conditional update on a non-final row, so a final status (succeeded, failed,
cancelled) never changes afterwards. A job whose lease expired (its process died or lost the database for longer
than the lease) is claimed again while it has attempts left, and failed otherwise — never because another process
started.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, and_, func, or_
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from models.common import json_column, new_id, timestamp_column, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})
OPEN_STATUSES = (JobStatus.queued.value, JobStatus.running.value)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    kind: str = Field(max_length=32, index=True)
    status: str = Field(default=JobStatus.queued.value, max_length=16, index=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    progress_done: int = 0
    progress_total: int = 0
    cancel_requested: bool = False
    owner_key_id: str | None = Field(default=None, max_length=32)
    kommune_number: str | None = Field(default=None, max_length=4, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    started_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    # The queue (0003_job_queue): claims so far, the current lease, and when the stored results were removed.
    attempts: int = 0
    lease_token: str | None = Field(default=None, max_length=64)
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    heartbeat_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    results_removed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class JobArtifact(SQLModel, table=True):
    __tablename__ = "job_artifacts"
    __table_args__ = (UniqueConstraint("job_id", "name", name="uq_job_artifacts_job_name"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(
        sa_column=Column(String(32), ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    name: str = Field(max_length=100)
    media_type: str = Field(max_length=100)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


JOBS = Job.__table__  # type: ignore[attr-defined]
ARTIFACTS = JobArtifact.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A job claimed by this process: what the handler needs, and the lease token that proves ownership."""

    job_id: str
    kind: str
    params: dict[str, Any]
    token: str
    attempt: int
    cancel_requested: bool


@dataclass(frozen=True)
class Heartbeat:
    held: bool  # False: the lease was lost (expired and claimed again, or the job is final) — stop working on it
    cancel_requested: bool


def _claimable(t: Any, now: datetime, kinds: list[str] | None, max_attempts: int) -> Any:
    expired = and_(
        t.c.status == JobStatus.running.value,
        or_(t.c.lease_expires_at.is_(None), t.c.lease_expires_at < now),
        t.c.attempts < max_attempts,
    )
    cond = or_(t.c.status == JobStatus.queued.value, expired)
    if kinds is not None:
        cond = and_(cond, t.c.kind.in_(kinds))
    return and_(cond, t.c.cancel_requested.is_(False))


def claim_next(
    engine: Engine,
    owner: str,
    *,
    lease_seconds: float,
    max_attempts: int,
    kinds: list[str] | None = None,
) -> Claim | None:
    """Claim the oldest queued job (or one whose lease expired, with attempts left), atomically; None if none."""
    now = utcnow()
    token = uuid.uuid4().hex
    values = {
        "status": JobStatus.running.value,
        "lease_token": token,
        "lease_owner": owner[:200],
        "lease_expires_at": now + timedelta(seconds=lease_seconds),
        "heartbeat_at": now,
        "attempts": JOBS.c.attempts + 1,
        "started_at": func.coalesce(JOBS.c.started_at, now),
        "progress_done": 0,
    }
    inner = JOBS.alias("candidate")  # an alias, so that the sub-select is not correlated with the UPDATE
    pick = (
        sa_select(inner.c.id).where(_claimable(inner, now, kinds, max_attempts)).order_by(inner.c.created_at).limit(1)
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Lock the oldest claimable row (rows locked by concurrent claimers are skipped), then take it. Two
            # statements: in a sub-select of the UPDATE, PostgreSQL may evaluate LIMIT 1 … SKIP LOCKED again per
            # row and take several.
            job_id = conn.execute(pick.with_for_update(skip_locked=True)).scalar()
            target: Any = JOBS.c.id == job_id
            if job_id is None:
                return None
        else:
            # One statement: SQLite takes the write lock before it reads, so two processes cannot both match it.
            target = JOBS.c.id.in_(pick.scalar_subquery())
        res = conn.execute(sa_update(JOBS).where(target, _claimable(JOBS, now, kinds, max_attempts)).values(**values))
        if res.rowcount != 1:
            conn.rollback()
            return None
        row = conn.execute(
            sa_select(JOBS.c.id, JOBS.c.kind, JOBS.c.params, JOBS.c.attempts, JOBS.c.cancel_requested).where(
                JOBS.c.lease_token == token
            )
        ).one()
        job_id = row.id
    return Claim(
        job_id=job_id,
        kind=row.kind,
        params=dict(row.params or {}),
        token=token,
        attempt=int(row.attempts),
        cancel_requested=bool(row.cancel_requested),
    )


def heartbeat(engine: Engine, job_id: str, token: str, lease_seconds: float) -> Heartbeat:
    """Renew the lease of a job this process holds; tells whether it still holds it and whether to cancel."""
    now = utcnow()
    with engine.begin() as conn:
        res = conn.execute(
            sa_update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.lease_token == token, JOBS.c.status == JobStatus.running.value)
            .values(lease_expires_at=now + timedelta(seconds=lease_seconds), heartbeat_at=now)
        )
        held = res.rowcount == 1
        cancel = conn.execute(sa_select(JOBS.c.cancel_requested).where(JOBS.c.id == job_id)).scalar()
    return Heartbeat(held=held, cancel_requested=bool(cancel) or cancel is None)


def set_progress(engine: Engine, job_id: str, token: str, done: int, total: int) -> bool:
    with engine.begin() as conn:
        res = conn.execute(
            sa_update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.lease_token == token, JOBS.c.status == JobStatus.running.value)
            .values(progress_done=int(done), progress_total=int(total))
        )
    return res.rowcount == 1


def finish(
    engine_or_session: Engine | Session,
    job_id: str,
    status: JobStatus,
    *,
    token: str | None = None,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Give a job its final status — only if it is not final yet (and, with ``token``, only while that lease is
    held). Returns whether the row changed; a final status is never overwritten."""
    assert status in FINAL_STATUSES
    cond = [JOBS.c.id == job_id, JOBS.c.status.in_(OPEN_STATUSES)]
    if token is not None:
        cond.append(JOBS.c.lease_token == token)
    stmt = (
        sa_update(JOBS)
        .where(*cond)
        .values(status=status.value, error=error, result=result, finished_at=utcnow(), lease_expires_at=None)
    )
    if isinstance(engine_or_session, Session):
        return bool(engine_or_session.connection().execute(stmt).rowcount == 1)
    with engine_or_session.begin() as conn:
        return bool(conn.execute(stmt).rowcount == 1)


def release(engine: Engine, job_id: str, token: str) -> bool:
    """Give a claimed job back to the queue (this process stops, e.g. on shutdown); its attempt stays counted."""
    with engine.begin() as conn:
        res = conn.execute(
            sa_update(JOBS)
            .where(JOBS.c.id == job_id, JOBS.c.lease_token == token, JOBS.c.status == JobStatus.running.value)
            .values(
                status=JobStatus.queued.value,
                lease_token=None,
                lease_owner=None,
                lease_expires_at=None,
                attempts=JOBS.c.attempts - 1,  # a job given back on shutdown has not used up an attempt
            )
        )
    return res.rowcount == 1


def fail_exhausted(engine: Engine, max_attempts: int) -> int:
    """Running jobs whose lease expired and that have no attempts left are failed (cancel-requested ones are
    cancelled). Safe from any number of processes: conditional updates on non-final rows."""
    now = utcnow()
    expired = and_(
        JOBS.c.status == JobStatus.running.value,
        or_(JOBS.c.lease_expires_at.is_(None), JOBS.c.lease_expires_at < now),
    )
    with engine.begin() as conn:
        cancelled = conn.execute(
            sa_update(JOBS)
            .where(expired, JOBS.c.cancel_requested.is_(True))
            .values(
                status=JobStatus.cancelled.value,
                error="cancelled on request (the process running it stopped)",
                finished_at=now,
                lease_expires_at=None,
            )
        ).rowcount
        failed = conn.execute(
            sa_update(JOBS)
            .where(expired, JOBS.c.attempts >= max_attempts)
            .values(
                status=JobStatus.failed.value,
                error=f"the job's process stopped while running it, {max_attempts} time(s); submit it again",
                finished_at=now,
                lease_expires_at=None,
            )
        ).rowcount
    return int(cancelled or 0) + int(failed or 0)


def drop_transient_artifacts(engine: Engine, names: list[str]) -> int:
    """Delete artifacts that only a run needs (e.g. an uploaded register) of jobs that are final."""
    if not names:
        return 0
    finals = [s.value for s in FINAL_STATUSES]
    final_ids = sa_select(JOBS.c.id).where(JOBS.c.status.in_(finals))
    with engine.begin() as conn:
        res = conn.execute(sa_delete(ARTIFACTS).where(ARTIFACTS.c.name.in_(names), ARTIFACTS.c.job_id.in_(final_ids)))
    return int(res.rowcount or 0)


def request_cancel(session: Session, job_id: str) -> None:
    """Ask for cancellation (in the caller's transaction): a queued job is cancelled at once; a running one is
    stopped by the process that holds it at its next heartbeat."""
    conn = session.connection()
    conn.execute(
        sa_update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status.in_(OPEN_STATUSES)).values(cancel_requested=True)
    )
    conn.execute(
        sa_update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status == JobStatus.queued.value)
        .values(status=JobStatus.cancelled.value, error="cancelled before it started", finished_at=utcnow())
    )


def remove_results(session: Session, job_id: str, keep: dict[str, Any] | None) -> bool:
    """Remove a finished job's stored results (artifacts; the result document replaced by ``keep``), once.
    Returns False if they were already removed (or the job is not final) — the caller records nothing then."""
    finals = [s.value for s in FINAL_STATUSES]
    conn = session.connection()
    res = conn.execute(
        sa_update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status.in_(finals), JOBS.c.results_removed_at.is_(None))
        .values(results_removed_at=utcnow(), result=keep)
    )
    if res.rowcount != 1:
        return False
    conn.execute(sa_delete(ARTIFACTS).where(ARTIFACTS.c.job_id == job_id))
    return True


def finished_before(session: Session, kind: str, before: datetime, limit: int = 100) -> list[Job]:
    """Finished jobs of ``kind`` whose results are still stored and that ended before ``before``."""
    return list(
        session.exec(
            select(Job)
            .where(
                col(Job.kind) == kind,
                col(Job.status).in_([s.value for s in FINAL_STATUSES]),
                col(Job.results_removed_at).is_(None),
                col(Job.finished_at) < before,
            )
            .order_by(col(Job.finished_at))
            .limit(limit)
        ).all()
    )


# For metrics (jobs by status, queue depth): small reads, safe to call from any process.


def counts_by_status(session: Session, kind: str | None = None) -> dict[str, int]:
    """Number of jobs in each status (every status present, 0 when none)."""
    stmt = sa_select(JOBS.c.status, func.count()).group_by(JOBS.c.status)
    if kind is not None:
        stmt = stmt.where(JOBS.c.kind == kind)
    counts = {s.value: 0 for s in JobStatus}
    for status, n in session.connection().execute(stmt):
        counts[str(status)] = int(n)
    return counts


def queue_depth(session: Session, kind: str | None = None) -> int:
    """Jobs waiting to be claimed (status queued)."""
    stmt = sa_select(func.count()).select_from(JOBS).where(JOBS.c.status == JobStatus.queued.value)
    if kind is not None:
        stmt = stmt.where(JOBS.c.kind == kind)
    return int(session.connection().execute(stmt).scalar() or 0)
