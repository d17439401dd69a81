"""Response documents for tenant screenings (stored background jobs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.jobs.schemas import JobOut


class ScreeningProgress(BaseModel):
    done: int
    total: int
    unit: str = "per mille of the run"


class ScreeningOut(JobOut):
    """A screening as its caseworkers see it: status, progress, the kommune summary and the row errors."""

    progress: ScreeningProgress
    summary: dict[str, Any] | None = Field(
        None,
        description="Kommune summary (no personal details): households that could own with and without a "
        "grant, dwellings freed, total startlån and grant, by solution and area.",
    )
    source: dict[str, Any] | None = Field(None, description="What was detected: format, encoding, separator.")
    errors: dict[str, Any] | None = Field(
        None,
        description="Row-level errors {row, column, rule, message} of the register and the price table "
        "(the first 1000 of each, all counted by rule).",
    )
    results: dict[str, str] | None = Field(None, description="Download links when the screening has succeeded.")


class ScreeningSummaryOut(BaseModel):
    """The kommune summary only: counts and sums, no personal details (finance may see it)."""

    id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    summary: dict[str, Any] | None = None
    parameter_set: dict[str, Any] | None = None
