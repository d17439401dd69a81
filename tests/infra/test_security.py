"""Issue 10 (hardening), the HTTP/service parts: body limits per route enforced while the body streams (upload
routes authenticate before reading), paths that name nothing, security headers, docs and demo keys in production,
booleans that are not numbers, every framework error documented. Runs on every test database."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.main import create_app
from api.security import UPLOAD_ROUTES, DemoKeysActive
from api.seed import DEMO_KEYS
from api.settings import Settings
from loan_engine.cases.national_id import control_digits
from models.api_keys import Role
from tests.cases.helpers import case_body
from tests.conftest import BACKENDS

PROBLEM = "application/problem+json"
MiB = 1_048_576


# --------------------------------------------------------------------------------------------------------------
# Calling the ASGI app directly: count what of the body the app actually reads.


class Body:
    """An ASGI ``receive`` serving ``chunks`` pieces of ``size`` bytes; counts what was read."""

    def __init__(self, chunks: int, size: int = 64 * 1024) -> None:
        self.chunks, self.size, self.read = chunks, size, 0

    async def __call__(self) -> dict[str, Any]:
        if self.read >= self.chunks:
            await anyio.sleep(0)
            return {"type": "http.disconnect"}
        self.read += 1
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.read < self.chunks}

    @property
    def bytes_read(self) -> int:
        return self.read * self.size


def call(
    app: FastAPI, method: str, path: str, headers: dict[str, str], body: Body, raw_path: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into the ASGI app; returns status, headers and body of the answer."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    anyio.run(app, scope, body, send)  # type: ignore[arg-type]  # an ASGI app is called with scope, receive, send
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    out_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], out_headers, content


def _problem(status: int, headers: dict[str, str], content: bytes, expected: int) -> dict[str, Any]:
    assert status == expected, content[:300]
    assert headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = json.loads(content)
    assert doc["status"] == expected
    return doc


# --------------------------------------------------------------------------------------------------------------
# 1. Unauthenticated memory fill


@pytest.mark.parametrize("path", ["/v1/portfolios/upload", "/v1/screenings"])
@pytest.mark.parametrize("key", [None, "le_not-a-key-that-exists-0000", "le_demo-caseworker-0301-secret"])
def test_upload_route_checks_the_key_before_reading_the_body(client: TestClient, path: str, key: str | None) -> None:
    roles = UPLOAD_ROUTES[("POST", path)]
    if key is not None and key in DEMO_KEYS.values() and Role.caseworker in roles:
        key = DEMO_KEYS[Role.finance]  # a key of a role the route does not allow
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": str(190 * MiB)}
    if key is not None:
        headers["x-api-key"] = key
    body = Body(chunks=190 * 16)
    status, out, content = call(client.app, "POST", path, headers, body)  # type: ignore[arg-type]
    doc = _problem(status, out, content, 403 if key in DEMO_KEYS.values() else 401)
    assert doc["errors"][0]["field"] == "X-API-Key"
    assert body.bytes_read == 0
    assert out["connection"] == "close"


def test_upload_route_roles_match_the_routes(client: TestClient) -> None:
    """The middleware's role table says the same as each upload route's own dependency."""
    for (method, path), roles in UPLOAD_ROUTES.items():
        for role in Role:
            headers = {"content-type": "multipart/form-data; boundary=x", "x-api-key": DEMO_KEYS[role]}
            r = client.request(method, path, content=b"--x--\r\n", headers=headers)
            assert (r.status_code != 403) == (role in roles), (path, role, r.status_code)


@pytest.mark.parametrize("content_type", ["text/csv", "application/octet-stream", "multipart/form-data; boundary=x"])
def test_json_route_stops_at_the_json_limit_whatever_the_media_type(client: TestClient, content_type: str) -> None:
    limit = client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    # Declared too large: refused before a byte is read.
    body = Body(chunks=190 * 16)
    headers = {"content-type": content_type, "content-length": str(190 * MiB)}
    status, out, content = call(client.app, "POST", "/v1/affordability", headers, body)  # type: ignore[arg-type]
    doc = _problem(status, out, content, 413)
    assert doc["errors"][0]["rule"] == f"max-body-bytes-{limit}"
    assert body.bytes_read == 0
    # Streamed without a length (chunked): reading stops just past the limit.
    body = Body(chunks=190 * 16)
    status, out, content = call(client.app, "POST", "/v1/affordability", {"content-type": content_type}, body)  # type: ignore[arg-type]
    _problem(status, out, content, 413)
    assert limit < body.bytes_read <= limit + body.size


def test_chunked_json_over_the_limit_is_413(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    """An authenticated chunked JSON body over the limit: 413 problem+json (FastAPI alone answered 400)."""

    def chunks() -> Iterator[bytes]:
        yield b'{"household": {"members": [], "x": "'
        for _ in range(24):
            yield b"a" * 65536
        yield b'"}}'

    r = client.post(
        "/v1/affordability", content=chunks(), headers={**caseworker_headers, "content-type": "application/json"}
    )
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["field"] == "body"


def test_authenticated_upload_may_exceed_the_json_limit(client: TestClient, finance_headers: dict[str, str]) -> None:
    csv_text = (
        "balance;remaining_term_months;net_income_monthly;living_costs_monthly;dwelling_value\n"
        "1200000;300;50000;21000;2000000\n"
    )
    padding = b"#" * (2 * MiB)  # a further file part, ignored by the route: the body is twice the JSON limit
    r = client.post(
        "/v1/portfolios/upload",
        files={"file": ("book.csv", csv_text.encode(), "text/csv"), "padding": ("pad.bin", padding, "text/plain")},
        data={"name": f"big-{uuid.uuid4().hex[:8]}"},
        headers=finance_headers,
    )
    assert r.status_code == 201, r.text


def test_json_body_in_another_media_type_is_415(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    r = client.post(
        "/v1/affordability", content=b"a;b\n1;2\n", headers={**caseworker_headers, "content-type": "text/csv"}
    )
    assert r.status_code == 415
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["errors"][0]["field"] == "Content-Type"


# --------------------------------------------------------------------------------------------------------------
# 7. Paths and headers


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/app/index.html\x00.js", b"/app/index.html%00.js"),
        ("/v1/cases/\x00", b"/v1/cases/%00"),
        ("/v1/cases/a\x1fb", b"/v1/cases/a%1Fb"),
        ("/app/\ufffd.js", b"/app/%FF.js"),
    ],
)
def test_control_characters_and_undecodable_paths_are_404(client: TestClient, path: str, raw: bytes) -> None:
    status, out, content = call(client.app, "GET", path, {}, Body(0), raw_path=raw)  # type: ignore[arg-type]
    _problem(status, out, content, 404)
    assert out["x-content-type-options"] == "nosniff"


def test_nul_in_a_static_path_through_http_is_404(client: TestClient) -> None:
    r = client.get("/app/index.html%00.js")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)


def test_api_answers_are_no_store_and_nosniff(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    for r in (
        client.get("/v1/parameter-sets", headers=caseworker_headers),
        client.get("/v1/parameter-sets"),  # 401
        client.get("/v1/cases/nope", headers=caseworker_headers),  # 404
        client.post("/v1/cases", json=case_body(), headers=caseworker_headers),  # personal data
    ):
        assert r.headers["cache-control"] == "no-store", (r.request.url, r.status_code)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in r.headers
    for r in (client.get("/healthz"), client.get("/app/"), client.get("/openapi.json")):
        assert r.headers["x-content-type-options"] == "nosniff"


def test_hsts_when_behind_tls(fresh_database_url: Callable[[str], str]) -> None:
    app = create_app(Settings(environment="test", database_url=fresh_database_url("sqlite"), behind_tls=True))
    with TestClient(app) as c:
        for r in (c.get("/healthz"), c.get("/v1/parameter-sets"), c.get("/app/")):
            assert r.headers["strict-transport-security"].startswith("max-age=31536000")


# --------------------------------------------------------------------------------------------------------------
# 3. Demo keys and docs in production


@pytest.mark.parametrize("backend", BACKENDS)
def test_production_refuses_to_start_with_active_demo_keys(
    backend: str, fresh_database_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fresh_database_url(backend)
    with TestClient(create_app(Settings(environment="development", database_url=url, demo_data=True))) as dev:
        assert dev.get("/v1/parameter-sets", headers={"X-API-Key": DEMO_KEYS[Role.admin]}).status_code == 200
    production = Settings(environment="production", database_url=url, demo_data=False)
    with (
        pytest.raises(DemoKeysActive, match="loan-engine keys revoke-demo") as refused,
        TestClient(create_app(production)),
    ):
        pass
    assert "admin" in str(refused.value) and "caseworker" in str(refused.value)

    # The command the message names revokes them (and says so in the audit log); production then starts.
    monkeypatch.setenv("LOAN_ENGINE_DATABASE_URL", url)
    monkeypatch.setenv("LOAN_ENGINE_ENVIRONMENT", "production")
    monkeypatch.setenv("LOAN_ENGINE_DEMO_DATA", "false")
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["keys", "revoke-demo"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "revoked 3 demo key(s)" in result.output
    with TestClient(create_app(production)) as prod:
        for secret in DEMO_KEYS.values():
            r = prod.get("/v1/parameter-sets", headers={"X-API-Key": secret})
            assert r.status_code == 401, r.text
        assert prod.get("/docs").status_code == 404
        assert prod.get("/openapi.json").status_code == 404
        assert prod.get("/healthz").status_code == 200


def test_docs_only_when_enabled(fresh_database_url: Callable[[str], str]) -> None:
    assert Settings(environment="production", database_url="postgresql://u@h/db", demo_data=False).docs_enabled is False
    assert Settings(environment="development").docs_enabled is True
    url = fresh_database_url("sqlite")
    enabled = Settings(environment="production", database_url=url, demo_data=False, docs_enabled=True)
    with TestClient(create_app(enabled)) as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/docs").status_code == 200
    disabled = Settings(environment="test", database_url=url, docs_enabled=False)
    with TestClient(create_app(disabled)) as c:
        assert c.get("/openapi.json").status_code == 404
        assert c.get("/docs").status_code == 404


def test_docs_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOAN_ENGINE_DOCS_ENABLED", "true")
    s = Settings(_env_file=None, environment="production", database_url="postgresql://u@h/db", demo_data=False)
    assert s.docs_enabled is True


# --------------------------------------------------------------------------------------------------------------
# 8. National identity numbers in free text


def _national_id(born: date, individual: int = 123, d_number: bool = False) -> str:
    for ind in range(individual, 500):
        nine = f"{born.day + (40 if d_number else 0):02d}{born.month:02d}{born.year % 100:02d}{ind:03d}"
        k = control_digits(nine)
        if k is not None:
            return nine + k
    raise AssertionError("no valid number")


def test_national_id_in_a_reference_is_masked_in_the_audit_log(
    client: TestClient, caseworker_headers: dict[str, str], engine: sa.Engine
) -> None:
    fnr = _national_id(date(1970, 1, 15))
    body = case_body()
    body["reference"] = f"sak fnr {fnr}"
    r = client.post("/v1/cases", json=body, headers=caseworker_headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    trail = client.get(f"/v1/cases/{case_id}/audit", headers=caseworker_headers)
    assert trail.status_code == 200
    assert fnr not in trail.text and "***********" in trail.text
    with engine.connect() as conn:
        stored = [
            json.dumps(list(row), default=str)
            for row in conn.execute(
                sa.text("SELECT before, after FROM audit_log WHERE entity_id = :id"), {"id": case_id}
            ).all()
        ]
    assert stored and not any(fnr in s for s in stored)
    assert any("sak fnr ***********" in s for s in stored)


def test_national_id_in_a_key_label_is_masked_in_the_audit_log(
    client: TestClient, admin_headers: dict[str, str], engine: sa.Engine
) -> None:
    dnr = _national_id(date(1985, 6, 3), d_number=True)
    r = client.post("/v1/admin/keys", json={"role": "caseworker", "label": f"NAV {dnr}"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    with engine.connect() as conn:
        after = conn.execute(
            sa.text("SELECT after FROM audit_log WHERE entity_id = :id"), {"id": r.json()["id"]}
        ).scalar_one()
    text = after if isinstance(after, str) else json.dumps(after)
    assert dnr not in text and "NAV ***********" in text


def test_national_ids_are_masked_in_logs(caplog: pytest.LogCaptureFixture, client: TestClient) -> None:
    fnr = _national_id(date(1990, 12, 31), individual=200)
    with caplog.at_level(logging.INFO, logger="loan_engine.api"):
        logging.getLogger("loan_engine.api").info("request for %s failed", f"/v1/cases/{fnr}")
    assert fnr not in caplog.text and "/v1/cases/***********" in caplog.text


# --------------------------------------------------------------------------------------------------------------
# 10. Conformance


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/portfolios/synthetic", {"name": "strict", "loans": 10, "seed": False}),
        ("/v1/portfolios/synthetic", {"name": "strict", "loans": True, "seed": 1}),
        ("/v1/stress-tests", {"portfolio_id": "x", "seed": False}),
        ("/v1/stress-tests", {"portfolio_id": "x", "scenario": {"rate_shock_bp": True}}),
        ("/v1/stress-tests", {"portfolio_id": "x", "scenario": {"assumptions": {"x": False}}}),
    ],
)
def test_a_boolean_is_not_a_number(client: TestClient, finance_headers: dict[str, str], path: str, body: dict) -> None:
    r = client.post(path, json=body, headers=finance_headers)
    assert r.status_code == 422, r.text
    fields = [e["field"] for e in r.json()["errors"]]
    if "scenario" in body:
        assert f"scenario.{next(iter(body['scenario']))}" in fields, fields
    else:
        assert next(k for k, v in body.items() if v is True or v is False) in fields


def test_a_boolean_is_not_a_number_in_underwriting(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = {"household": {"members": [{"age": 35, "sex": "female"}]}, "income": {"net_monthly": True}}
    r = client.post("/v1/affordability", json=body, headers=caseworker_headers)
    assert r.status_code == 422, r.text
    assert "income.net_monthly" in [e["field"] for e in r.json()["errors"]]


def test_openapi_documents_the_errors_the_framework_gives(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            where = f"{method.upper()} {path}"
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, where
                if "application/json" in op["requestBody"]["content"]:
                    assert "415" in codes, where
            if op.get("parameters"):
                assert "422" in codes, where
            if any("{" in path for _ in [0]):
                assert "404" in codes, where
            if op.get("security"):
                assert {"401", "403"} <= codes, where
    losses = spec["paths"]["/v1/stress-tests/{job_id}/scenario-losses.csv"]["get"]
    assert "not succeeded" in losses["responses"]["404"]["description"]


def test_national_ids_from_any_service_logger_are_masked_where_they_are_written(client: TestClient) -> None:
    """A logger's filters do not see records its children propagate: the mask is on the service's own handler too,
    so a record from a ``loan_engine.*`` logger that is not in MASKED_LOGGERS (or from a library) is masked."""
    import io

    from api import observability

    fnr = _national_id(date(1985, 6, 15), individual=300)
    ours = [h for h in logging.getLogger().handlers if getattr(h, observability.HANDLER_MARK, False)]
    assert len(ours) == 1
    handler = ours[0]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        logging.getLogger("loan_engine.screening.some_child").warning("register row for %s refused", fnr)
        logging.getLogger("sqlalchemy.engine.Engine").warning("parameters: ('%s',)", fnr)
    finally:
        handler.setStream(previous)
    text = stream.getvalue()
    assert fnr not in text and text.count("***********") == 2, text
