"""The FastAPI application: ``api.main:app``."""

from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from api import observability, openapi, problems, security
from api.docs_ui import router as docs_ui
from api.i18n import LanguageMiddleware
from api.jobs.kinds import JOB_KINDS
from api.jobs.runner import JobRunner
from api.routes import ALL_ROUTERS
from api.seed import seed
from api.settings import Settings, get_settings
from loan_engine import _numba_cache
from models import db

log = logging.getLogger("loan_engine.api")

DESCRIPTION = """
Underwriting and portfolio risk engine for Norwegian municipalities' **startlån**.

* Amounts are NOK; monthly amounts are NOK per month; rates are **percent per year** (4.5 = 4.5 %).
* Errors are RFC 9457 `application/problem+json` documents naming the field and the rule.
* Authenticate with an API key in the `X-API-Key` header (roles: caseworker, finance, admin).
"""


_heap_frozen = False

# FastAPI's own OpenTelemetry hooks (newer FastAPI releases) are off: the service writes its own request lines and
# Prometheus metrics (api.observability); with them on, every request asks OpenTelemetry for three global providers.
_NO_NATIVE_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


def freeze_startup_heap() -> None:
    """Once per process, after start-up: collect, then move every object alive now (modules, schemas, compiled
    kernels, the ORM's mappings: a few hundred thousand) out of the garbage collector's generations. A full
    collection then scans only what was made since, instead of pausing every request in flight for ~0.1 s every
    few thousand requests. The price: an object alive at start-up that later becomes cyclic garbage is not collected
    (start-up state lives as long as the process; tests that make many apps freeze only the first)."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    observability.configure_logging(settings)
    if settings.numba_cache_dir:  # also read from the environment before Numba is imported (loan_engine._numba_cache)
        _numba_cache.configure(settings.numba_cache_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.sqlalchemy_url
        if settings.auto_migrate:
            db.upgrade(settings.migration_url)  # the owner role's URL when one is set (docs/database-roles.md)
        engine = db.get_engine(url)
        app.state.engine = engine
        app.state.expected_revision = db.head_revision(url)
        with Session(engine) as session:
            security.startup_checks(session, settings)
            seed(session, demo=settings.demo_data)
        # Jobs run from the queue in the database; an API-only replica (run_jobs false) only queues them.
        runner = JobRunner.from_settings(engine, settings, JOB_KINDS)
        app.state.job_runner = runner
        if settings.run_jobs:
            runner.start()
        freeze_startup_heap()
        try:
            yield
        finally:
            runner.shutdown()

    app = FastAPI(
        title="loan_engine — startlån underwriting and portfolio risk",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
        docs_url=None,  # /docs is served offline by api.docs_ui (FastAPI's own page loads Swagger UI from a CDN)
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        redoc_url=None,
        **_NO_NATIVE_TELEMETRY,
    )
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    security.install(app, settings)
    problems.document_framework_errors(ALL_ROUTERS)
    # outside the security middleware, so its 401/413 answers are in the request's language
    app.add_middleware(LanguageMiddleware)
    # outermost: request id, the request log line and the metrics cover every answer, 413s included
    app.add_middleware(observability.RequestObservability, metrics_enabled=settings.metrics_enabled)
    for router in ALL_ROUTERS:
        app.include_router(router)
    if settings.docs_enabled:
        app.include_router(docs_ui.router)
    if settings.metrics_enabled:
        app.include_router(observability.metrics_router)
    return app


app = create_app()
