"""Liveness (/healthz) and readiness (/readyz: the database answers and the schema is at head)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.problems import problem_response
from models.db import current_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and migrations are at head",
    responses={503: {"description": "Not ready (problem+json)"}},
)
def readyz(request: Request) -> Any:
    engine = request.app.state.engine
    expected = request.app.state.expected_revision
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        return problem_response(
            503,
            f"The database is not reachable ({type(exc).__name__}).",
            slug="not-ready",
            instance="/readyz",
        )
    if revision != expected:
        return problem_response(
            503,
            f"The database schema is at {revision}, the service needs {expected}: run `loan-engine migrate`.",
            slug="not-ready",
            instance="/readyz",
        )
    return JSONResponse({"status": "ready", "database": engine.dialect.name, "schema_revision": revision})
