"""Observability: JSON logs with a request id, one line per request, and Prometheus metrics at ``/metrics``.

Logs (structlog over the standard ``logging`` module, so the service's own loggers and uvicorn's come out the same
way): one JSON object per line on standard output, ``LOAN_ENGINE_LOG_FORMAT=text`` for plain lines. Every request
gets one ``request`` line with ``request_id``, ``method``, ``route`` (the route *template*, e.g.
``/v1/cases/{case_id}``; ``unmatched`` when no route matched), ``status`` and ``duration_ms``. Query strings,
bodies, headers and concrete paths are never logged (they may hold personal data such as a fødselsnummer).

Request id: a caller's ``X-Request-ID`` is kept when it is 1-64 characters of ``A-Z a-z 0-9 . _ -``; otherwise
(absent, too long, other characters) a new one is generated. It is echoed in the response's ``X-Request-ID`` and
bound to every log line written while the request runs.

Metrics (``prometheus-client``): requests and latency per method + route template + status, and, read from the
jobs table at scrape time, jobs by kind and status, the queue depth and job durations (no per-process state, so
every worker answers the same). Several uvicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable
folder before the service starts; each scrape then sums every worker's request figures. ``/metrics`` is not in
the OpenAPI document and needs no API key (``LOAN_ENGINE_METRICS_ENABLED=false`` removes it); it holds no personal
data. See docs/operations.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "unmatched"
# label values stay bounded whatever a client sends: other methods are counted as OTHER
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_LOGGER_NAME = "loan_engine.request"
request_log = structlog.stdlib.get_logger(REQUEST_LOGGER_NAME)

# ---------------------------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------------------------

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
HANDLER_MARK = "_loan_engine_handler"
_HANDLER_MARK = HANDLER_MARK
_JSON_MARK = "_loan_engine_json"


def log_formatter(fmt: str = "json") -> logging.Formatter:
    """The formatter for every handler: JSON objects (or readable text) from structlog and plain ``logging``."""
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    setattr(formatter, _JSON_MARK, fmt == "json")
    return formatter


def configure_logging(settings: Settings) -> None:
    """Idempotent: structlog through ``logging``; one stdout handler on the root logger; uvicorn's handlers get
    the same formatter."""
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = log_formatter(settings.log_format)
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    if ours:
        handler = ours[0]
    else:
        handler = logging.StreamHandler(sys.stdout)
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    handler.setFormatter(formatter)
    # the service's own loggers at the configured level; the root logger's level (other libraries) is left alone
    logging.getLogger("loan_engine").setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        for h in logging.getLogger(name).handlers:
            h.setFormatter(formatter)


def _sole_json_handler() -> logging.StreamHandler[Any] | None:
    """The service's own JSON handler when it is the only place a request line can go: the request logger has no filter,
    it and its parents up to the root have no handler of their own and propagate, the root has only the handler
    :func:`configure_logging` installed, with the JSON formatter and no filter but the national-id mask (which
    rewrites free text; the request line has none). None otherwise (a test's handler,
    text logs, another configuration): the line then goes through ``logging`` as any other."""
    logger: logging.Logger | None = logging.getLogger(REQUEST_LOGGER_NAME)
    root = logging.getLogger()
    if logger is None or logger.filters:  # a parent's filters apply only to its own records, not to propagated ones
        return None
    while logger is not None and logger is not root:
        if logger.handlers or not logger.propagate:
            return None
        logger = logger.parent
    if len(root.handlers) != 1 or root.filters:
        return None
    handler = root.handlers[0]
    if (
        not getattr(handler, _HANDLER_MARK, False)
        or not isinstance(handler, logging.StreamHandler)
        or not all(getattr(f, "masks_free_text_only", False) for f in handler.filters)
        or handler.level > logging.INFO
        or not getattr(handler.formatter, _JSON_MARK, False)
    ):
        return None
    return handler


_REQUEST_LOGGER = logging.getLogger(REQUEST_LOGGER_NAME)


def log_request(method: str, route: str, status: int, duration_ms: float) -> None:
    """The one ``request`` line per request. With the service's default configuration (JSON to standard output
    through the one handler :func:`configure_logging` installs) the line is rendered and written here directly,
    the same JSON object the formatter would write (same keys, values and order), without the ≈ 0.1-0.2 ms a
    record takes through structlog's processors, a ``LogRecord`` and the formatter (a measurable share of a hot
    request). Any other configuration takes the ordinary path, so a handler added to ``loan_engine.request`` (or
    text logs) sees every line."""
    if not _REQUEST_LOGGER.isEnabledFor(logging.INFO):
        return
    handler = _sole_json_handler()
    if handler is None:
        request_log.info("request", method=method, route=route, status=status, duration_ms=duration_ms)
        return
    event: dict[str, Any] = {"method": method, "route": route, "status": status, "duration_ms": duration_ms}
    event["event"] = "request"
    event.update(structlog.contextvars.get_contextvars())
    event["logger"] = REQUEST_LOGGER_NAME
    event["level"] = "info"
    event["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    line = json.dumps(event, ensure_ascii=False, default=repr) + handler.terminator
    handler.acquire()
    try:
        handler.stream.write(line)
        handler.flush()
    except Exception:  # the stream is gone or full: logging's own rule (report on stderr, carry on)
        handler.handleError(logging.makeLogRecord({"msg": line.rstrip(), "name": REQUEST_LOGGER_NAME}))
    finally:
        handler.release()


# ---------------------------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------------------------

HTTP_REGISTRY = CollectorRegistry(auto_describe=False)
HTTP_REQUESTS = Counter(
    "loan_engine_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=HTTP_REGISTRY,
)
HTTP_LATENCY = Histogram(
    "loan_engine_http_request_duration_seconds",
    "Time from receiving a request to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=HTTP_REGISTRY,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class JobsCollector:
    """Job figures read from the jobs table at scrape time (the same in every process)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        from models.jobs import Job

        table = Job.__table__  # type: ignore[attr-defined]
        c = table.c
        by_status = GaugeMetricFamily("loan_engine_jobs", "Stored jobs by kind and status.", labels=["kind", "status"])
        queued = GaugeMetricFamily("loan_engine_job_queue_depth", "Jobs waiting to run (status queued).")
        duration = SummaryMetricFamily(
            "loan_engine_job_duration_seconds",
            "Run time (started to finished) of finished jobs, by kind and final status.",
            labels=["kind", "status"],
        )
        up = GaugeMetricFamily("loan_engine_jobs_scrape_ok", "1 if the jobs table could be read for this scrape.")
        try:
            with self.engine.connect() as conn:
                counts = conn.execute(select(c.kind, c.status, func.count()).group_by(c.kind, c.status)).all()
                seconds: ColumnElement[Any]
                if self.engine.dialect.name == "postgresql":
                    seconds = func.extract("epoch", c.finished_at - c.started_at)
                else:  # SQLite: julian days
                    seconds = (func.julianday(c.finished_at) - func.julianday(c.started_at)) * 86400.0
                runs = conn.execute(
                    select(c.kind, c.status, func.count(), func.coalesce(func.sum(seconds), 0.0))
                    .where(c.started_at.is_not(None), c.finished_at.is_not(None))
                    .group_by(c.kind, c.status)
                ).all()
        except (SQLAlchemyError, AttributeError):  # database unreachable, or the jobs table changed its columns
            up.add_metric([], 0)
            yield up
            return
        depth = 0
        for kind, status, n in counts:
            by_status.add_metric([str(kind), str(status)], int(n))
            if status == "queued":
                depth += int(n)
        queued.add_metric([], depth)
        for kind, status, n, total in runs:
            duration.add_metric([str(kind), str(status)], count_value=int(n), sum_value=max(0.0, float(total or 0.0)))
        up.add_metric([], 1)
        yield from (by_status, queued, duration, up)


class _Scrape:
    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render_metrics(engine: Engine | None) -> bytes:
    collectors: list[Any] = []
    directory = multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry, path=directory)
        collectors.append(registry)
    else:
        collectors.append(HTTP_REGISTRY)
    if engine is not None:
        collectors.append(JobsCollector(engine))
    return generate_latest(_Scrape(collectors))


metrics_router = APIRouter(include_in_schema=False)


@metrics_router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text format. No API key by design (see the module docstring and docs/operations.md)."""
    engine = getattr(request.app.state, "engine", None)
    return Response(render_metrics(engine), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------------------------------------------------
# Middleware
# ---------------------------------------------------------------------------------------------------------------


def accepted_request_id(value: str | None) -> str:
    """The caller's request id if it is safe to echo and log, else a new one."""
    if value is not None and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(path, str) or not path:
        return UNMATCHED
    root = scope.get("root_path", "") or ""
    return root + path if root and not path.startswith(root) else path


# (method, route template, status) -> the request counter's and the latency histogram's series: ``.labels()`` takes
# a lock and builds the label tuple on every call; the series it returns for the same labels is always the same
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_MAX_SERIES = 4096  # label values are bounded (methods, route templates, statuses); a ceiling all the same


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    key = (method, route, status)
    hit = _SERIES.get(key)
    if hit is None:
        hit = (HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route))
        if len(_SERIES) < _MAX_SERIES:
            _SERIES[key] = hit
    return hit


class RequestObservability:
    """Pure ASGI middleware: request id in and out, one log line and the metrics per request."""

    def __init__(self, app: ASGIApp, metrics_enabled: bool = True) -> None:
        self.app = app
        self.metrics_enabled = metrics_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accepted_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        header_value = request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", header_value))
                message = {**message, "headers": headers}
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = str(scope.get("method", ""))
            if method not in KNOWN_METHODS:
                method = "OTHER"
            if self.metrics_enabled:
                counter, latency = _series(method, route, status)
                counter.inc()
                latency.observe(elapsed)
            log_request(method, route, status, round(elapsed * 1000.0, 2))
            structlog.contextvars.reset_contextvars(**tokens)
