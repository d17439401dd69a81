"""The FastAPI application: ``api.main:app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlmodel import Session

from api import openapi, problems
from api.i18n import LanguageMiddleware
from api.jobs.runner import JobRunner
from api.middleware import BodySizeLimit
from api.parameter_sets import service as _parameter_sets  # noqa: F401  (registers its seeder)
from api.routes import ALL_ROUTERS
from api.seed import seed
from api.settings import Settings, get_settings
from models import db

log = logging.getLogger("loan_engine.api")

DESCRIPTION = """
Underwriting and portfolio risk engine for Norwegian municipalities' **startlån**.

* Amounts are NOK; monthly amounts are NOK per month; rates are **percent per year** (4.5 = 4.5 %).
* Errors are RFC 9457 `application/problem+json` documents naming the field and the rule.
* Authenticate with an API key in the `X-API-Key` header (roles: caseworker, finance, admin).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.sqlalchemy_url
        if settings.auto_migrate:
            db.upgrade(url)
        engine = db.get_engine(url)
        app.state.engine = engine
        app.state.expected_revision = db.head_revision(url)
        with Session(engine) as session:
            seed(session, demo=settings.demo_data)
        runner = JobRunner(engine, workers=settings.job_workers)
        app.state.job_runner = runner
        failed, requeued = runner.recover()
        if failed or requeued:
            log.warning("after restart: %d running jobs marked failed, %d queued jobs resubmitted", failed, requeued)
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
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
    )
    app.state.settings = settings
    problems.install(app)
    openapi.install(app)
    app.add_middleware(BodySizeLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    app.add_middleware(LanguageMiddleware)
    for router in ALL_ROUTERS:
        app.include_router(router)
    return app


app = create_app()
