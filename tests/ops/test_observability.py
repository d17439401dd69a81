"""Observability: request ids, one JSON log line per request without personal data, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from api import observability
from api.main import create_app
from api.settings import Settings
from models import db
from models.common import utcnow
from models.jobs import Job
from tests.underwriting.test_api import affordability_body

REPO_ROOT = Path(__file__).resolve().parents[2]
NATIONAL_ID = "01017012345"  # shaped like a fødselsnummer: must never reach a log line or a metric


def _read(handler_stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in handler_stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.log_formatter("json"))
    logger = logging.getLogger("loan_engine.request")
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _metrics(client: TestClient) -> dict[str, list[Any]]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    families: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(r.text):
        families.setdefault(family.name, []).extend(family.samples)
    return families


def test_request_id_taken_when_valid_else_generated(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "abc.DEF_123-x"})
    assert r.headers["X-Request-ID"] == "abc.DEF_123-x"
    for bad in ("x" * 65, "has space", "semi;colon", "%C3%A6", "a/b", ""):
        r = client.get("/healthz", headers={"X-Request-ID": bad})
        echoed = r.headers["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32 and echoed.isalnum()
    assert observability.accepted_request_id("æøå") != "æøå"  # non-ASCII (latin-1 decoded header bytes)
    assert observability.accepted_request_id("x" * 64) == "x" * 64
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second


def test_one_json_line_per_request_with_route_template_and_no_personal_data(
    client: TestClient, caseworker_headers: dict[str, str], capture: io.StringIO
) -> None:
    client.get(
        f"/v1/cases/{NATIONAL_ID}?national_id={NATIONAL_ID}",
        headers={**caseworker_headers, "X-Request-ID": "req-1"},
    )
    client.post("/v1/affordability", json=affordability_body(), headers={**caseworker_headers, "X-Request-ID": "req-2"})
    client.get(f"/no/such/{NATIONAL_ID}", headers={"X-Request-ID": "req-3"})
    text = capture.getvalue()
    assert NATIONAL_ID not in text
    lines = _read(capture)
    by_id = {line["request_id"]: line for line in lines}
    assert set(by_id) >= {"req-1", "req-2", "req-3"}
    assert len([line for line in lines if line["request_id"] == "req-2"]) == 1  # one line per request
    case = by_id["req-1"]
    assert case["event"] == "request" and case["method"] == "GET"
    assert case["route"] == "/v1/cases/{case_id}"
    assert case["status"] == 404 and isinstance(case["duration_ms"], float)
    assert case["level"] == "info" and case["timestamp"].endswith("Z")
    assert by_id["req-2"]["route"] == "/v1/affordability" and by_id["req-2"]["status"] == 200
    assert by_id["req-3"]["route"] == "unmatched"
    allowed = {"event", "request_id", "method", "route", "status", "duration_ms", "logger", "level", "timestamp"}
    assert all(set(line) <= allowed for line in lines), "nothing else (no query, body, headers, client address)"


def test_413_is_logged_and_counted(
    client: TestClient, caseworker_headers: dict[str, str], capture: io.StringIO
) -> None:
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    big = b"{" + b" " * (settings.max_body_bytes + 10) + b"}"
    r = client.post(
        "/v1/affordability",
        content=big,
        headers={**caseworker_headers, "Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    assert r.status_code == 413 and r.headers["X-Request-ID"] == "big-1"
    line = next(line for line in _read(capture) if line["request_id"] == "big-1")
    assert line["status"] == 413


def test_metrics_requests_latency_and_jobs(
    client: TestClient, caseworker_headers: dict[str, str], engine: Engine
) -> None:
    with db.session_scope(engine) as session:
        now = utcnow()
        session.add(Job(kind="ops-test", status="queued"))
        session.add(Job(kind="ops-test", status="succeeded", started_at=now.replace(microsecond=0), finished_at=now))
    client.post("/v1/affordability", json=affordability_body(), headers=caseworker_headers)
    client.get(f"/v1/cases/{NATIONAL_ID}", headers=caseworker_headers)
    families = _metrics(client)
    requests = families["loan_engine_http_requests"]
    assert any(
        s.labels == {"method": "POST", "route": "/v1/affordability", "status": "200"} and s.value >= 1
        for s in requests
        if s.name.endswith("_total")
    )
    assert any(s.labels.get("route") == "/v1/cases/{case_id}" for s in requests)
    latency = families["loan_engine_http_request_duration_seconds"]
    assert any(s.name.endswith("_count") and s.labels["route"] == "/v1/affordability" for s in latency)
    jobs = {(s.labels["kind"], s.labels["status"]): s.value for s in families["loan_engine_jobs"]}
    assert jobs[("ops-test", "queued")] == 1 and jobs[("ops-test", "succeeded")] == 1
    assert families["loan_engine_job_queue_depth"][0].value >= 1
    durations = {
        s.name: s.value for s in families["loan_engine_job_duration_seconds"] if s.labels.get("kind") == "ops-test"
    }
    assert durations["loan_engine_job_duration_seconds_count"] == 1
    assert 0 <= durations["loan_engine_job_duration_seconds_sum"] < 1.0
    assert families["loan_engine_jobs_scrape_ok"][0].value == 1
    client.request("BREW", "/healthz")  # a made-up method does not become a label value
    r = client.get("/metrics")
    assert NATIONAL_ID not in r.text and "X-API-Key" not in r.text
    assert "BREW" not in r.text and 'method="OTHER"' in r.text


def test_metrics_not_in_openapi_and_switchable(client: TestClient, tmp_path: Path) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
    settings = Settings(
        environment="test", database_url=f"sqlite:///{tmp_path / 'x.db'}", demo_data=False, metrics_enabled=False
    )
    bare = TestClient(create_app(settings))  # no lifespan: /metrics needs no database to be absent
    assert bare.get("/metrics").status_code == 404
    assert bare.get("/healthz").headers["X-Request-ID"]  # the request id stays


def test_text_log_format_is_available() -> None:
    record = logging.LogRecord("loan_engine.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    assert "hello there" in observability.log_formatter("text").format(record)
    assert json.loads(observability.log_formatter("json").format(record))["event"] == "hello there"


@pytest.mark.slow
def test_multiprocess_metrics_sum_over_workers(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, each process writes its figures there and a scrape sums them (uvicorn
    --workers): two processes each answer 3 requests; a third renders 6."""
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    worker = (
        "from fastapi.testclient import TestClient\n"
        "from api.main import create_app\n"
        "from api.settings import Settings\n"
        f"s = Settings(environment='test', database_url='sqlite:///{tmp_path / 'm.db'}', demo_data=False)\n"
        "c = TestClient(create_app(s))\n"  # no lifespan: /healthz needs no database
        "for _ in range(3):\n"
        "    assert c.get('/healthz').status_code == 200\n"
    )
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", worker], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(metrics_dir.glob("*.db")), "each process wrote its figures to the folder"
    scrape = (
        "from api.observability import render_metrics\nimport sys\nsys.stdout.write(render_metrics(None).decode())\n"
    )
    proc = subprocess.run([sys.executable, "-c", scrape], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    total = [
        s.value
        for f in text_string_to_metric_families(proc.stdout)
        for s in f.samples
        if s.name == "loan_engine_http_requests_total" and s.labels.get("route") == "/healthz"
    ]
    assert total == [6.0]


def test_metrics_answer_when_the_database_is_gone(client: TestClient, engine: Engine) -> None:
    import sqlalchemy as sa
    from sqlalchemy import event

    def gone(*_args: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("the database went away"))

    event.listen(engine, "before_cursor_execute", gone)
    try:
        families = _metrics(client)
    finally:
        event.remove(engine, "before_cursor_execute", gone)
    assert families["loan_engine_jobs_scrape_ok"][0].value == 0
    assert "loan_engine_http_requests" in families  # the request figures are still there


def test_request_line_written_directly_is_the_line_logging_would_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default configuration the request line skips structlog and ``logging`` (a hot-path cost); it must be
    the same JSON object the formatter writes, and anything listening on the request logger gets the ordinary path."""
    import structlog

    observability.configure_logging(Settings())
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, observability._HANDLER_MARK, False)]
    assert len(ours) == 1
    assert (observability._sole_json_handler() is None) == (len(root.handlers) > 1), "pytest's capture handlers"
    monkeypatch.setattr(root, "handlers", ours)  # as in the service: only the handler configure_logging installs
    handler = observability._sole_json_handler()
    assert handler is ours[0], "the default configuration: the service's one JSON handler on the root"
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)
    calls: list[str] = []
    real_info = observability.request_log.info

    def counting_info(*args: Any, **kwargs: Any) -> None:
        calls.append("logging")
        real_info(*args, **kwargs)

    monkeypatch.setattr(observability.request_log, "info", counting_info)
    tokens = structlog.contextvars.bind_contextvars(request_id="direct-1")
    try:
        observability.log_request("POST", "/v1/affordability", 200, 1.25)
        direct = _read(stream)
        assert calls == [], "the direct path, not logging"
        stream.truncate(0)
        stream.seek(0)
        real_info("request", method="POST", route="/v1/affordability", status=200, duration_ms=1.25)
        ordinary = _read(stream)
        assert len(direct) == len(ordinary) == 1
        (d,), (o,) = direct, ordinary
        assert list(d) == list(o), "same keys in the same order"
        assert {k: v for k, v in d.items() if k != "timestamp"} == {k: v for k, v in o.items() if k != "timestamp"}
        assert d["timestamp"].endswith("Z") and len(d["timestamp"]) == len(o["timestamp"])
        # a handler on the request logger (or text logs) takes the ordinary path and sees the line
        extra = io.StringIO()
        listener = logging.StreamHandler(extra)
        listener.setFormatter(observability.log_formatter("json"))
        logging.getLogger(observability.REQUEST_LOGGER_NAME).addHandler(listener)
        try:
            assert observability._sole_json_handler() is None
            observability.log_request("GET", "/healthz", 200, 0.5)
        finally:
            logging.getLogger(observability.REQUEST_LOGGER_NAME).removeHandler(listener)
        assert calls == ["logging"] and _read(extra)[0]["route"] == "/healthz"
        monkeypatch.setattr(handler, "formatter", observability.log_formatter("text"))
        assert observability._sole_json_handler() is None, "text logs: the formatter renders them"
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
