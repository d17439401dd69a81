"""Stored background jobs (stress tests, screenings) and their artifacts (result files)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import json_column, new_id, timestamp_column, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINAL_STATUSES = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})


class Job(SQLModel, table=True):
    __tablename__ = "jobs"

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
