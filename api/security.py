"""HTTP hardening (issue 10): request limits per route, path checks, security headers, production start-up checks.

ASGI middleware, installed by :func:`install` (outermost first):

* :class:`SecurityHeaders` — ``X-Content-Type-Options: nosniff`` on every answer, ``Cache-Control: no-store`` on
  every ``/v1`` answer (they may carry personal data), ``Strict-Transport-Security`` when the service is behind TLS.
* :class:`PathGuard` — a path with a NUL or other control character, or one whose percent-encoding is not UTF-8,
  names nothing: 404 problem+json before any route sees it.
* :class:`RequestLimits` — the body limit is chosen by the route, never by the Content-Type: only the upload
  routes (:data:`UPLOAD_ROUTES`) accept ``max_upload`` bytes, and only after their API key and role are checked
  (before a byte of the body is read); every other request stops at ``max_body``. The limit is enforced while
  the body streams (chunked bodies too): over it the answer is 413 problem+json.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import observability
from api.deps import check_role, principal_for
from api.problems import ProblemError, problem_error_response, problem_response
from api.seed import DEMO_KEYS
from api.settings import Settings
from loan_engine.cases import national_id as nid
from models import api_keys
from models.api_keys import ApiKey, Role

# The only routes that accept file-sized bodies, and the roles their own dependencies require (kept equal by
# tests/infra/test_security.py::test_upload_route_roles_match_the_routes).
UPLOAD_ROUTES: dict[tuple[str, str], tuple[Role, ...]] = {
    ("POST", "/v1/portfolios/upload"): (Role.finance, Role.admin),
    ("POST", "/v1/screenings"): (Role.caseworker,),
}

HSTS_VALUE = "max-age=31536000; includeSubDomains"


def install(app: FastAPI, settings: Settings) -> None:
    """Add the hardening middleware to ``app`` (Starlette runs the last added first) and mask national identity
    numbers in the service's logs."""
    install_log_masking()
    app.add_middleware(RequestLimits, max_body=settings.max_body_bytes, max_upload=settings.max_upload_bytes)
    app.add_middleware(PathGuard)
    app.add_middleware(SecurityHeaders, hsts=settings.behind_tls)


log = logging.getLogger("loan_engine.api")

# Loggers whose messages may carry request text (paths, field values): national identity numbers are masked.
MASKED_LOGGERS = ("loan_engine", "loan_engine.api", "loan_engine.jobs", "uvicorn.access", "uvicorn.error")


class MaskNationalIds(logging.Filter):
    """Replaces every valid fødselsnummer/D-nummer in a log record's message by the mask."""

    # read by api.observability: this filter only rewrites free text, and the request line has none
    masks_free_text_only = True

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = nid.mask_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_log_masking() -> None:
    """The mask on the named loggers (for records logged on them) and on the service's own stdout handler: a
    logger's filters do not apply to records its children propagate, so a record from any ``loan_engine.*``
    logger (or a library's) is masked where it is written."""
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskNationalIds) for f in logger.filters):
            logger.addFilter(MaskNationalIds())
    for handler in logging.getLogger().handlers:
        if getattr(handler, observability.HANDLER_MARK, False) and not any(
            isinstance(f, MaskNationalIds) for f in handler.filters
        ):
            handler.addFilter(MaskNationalIds())


class BodyTooLarge(Exception):
    pass


async def _send_response(response: Any, scope: Scope, receive: Receive, send: Send) -> None:
    response.headers["Connection"] = "close"  # the unread rest of the body is not waited for
    await response(scope, receive, send)


def _too_large(scope: Scope, limit: int) -> Any:
    return problem_response(
        413,
        f"The request body is larger than the limit of {limit} bytes for this route.",
        slug="body-too-large",
        instance=scope.get("path"),
        errors=[{"field": "body", "rule": f"max-body-bytes-{limit}", "message": f"at most {limit} bytes"}],
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def _check_key(app: Any, engine: Engine, secret: str | None, roles: Iterable[Role]) -> ProblemError | None:
    """The problem the route's own authentication would give this key (None when it may proceed)."""
    try:
        check_role(await principal_for(app, engine, secret), frozenset(roles))
    except ProblemError as exc:
        return exc
    return None


class RequestLimits:
    """Body limits per route, enforced while the body streams; upload routes authenticate before reading."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        roles = UPLOAD_ROUTES.get((scope["method"], scope["path"]))
        limit = self.max_body
        if roles is not None:
            engine: Engine = scope["app"].state.engine
            problem = await _check_key(scope["app"], engine, _header(scope, b"x-api-key"), roles)
            if problem is not None:
                await _send_response(problem_error_response(problem, scope["path"]), scope, receive, send)
                return
            limit = self.max_upload

        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _send_response(_too_large(scope, limit), scope, receive, send)
            return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # The framework turns an error while reading the body into its own answer (FastAPI: 400); a body
            # over the limit is answered 413 whatever the route made of it.
            nonlocal response_started
            if exceeded:
                if not response_started:
                    response_started = True
                    await _send_response(_too_large(scope, limit), scope, receive, send)
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not response_started:
                await _send_response(_too_large(scope, limit), scope, receive, send)


_CONTROL_OR_REPLACEMENT = re.compile("[\x00-\x1f\x7f\ufffd]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _path_is_sound(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if _CONTROL_OR_REPLACEMENT.search(path):
        return False
    raw = scope.get("raw_path")
    if raw:
        try:
            decoded = unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
        except UnicodeDecodeError:
            return False
        if _CONTROL.search(decoded):
            return False
    return True


class PathGuard:
    """Paths with NUL/control characters or undecodable percent-encoding are answered 404 problem+json."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _path_is_sound(scope):
            response = problem_response(
                404,
                "No such resource: the path contains a control character or is not valid UTF-8.",
                slug="not-found",
                errors=[{"field": "path", "rule": "path-printable-utf8", "message": "printable UTF-8 only"}],
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """nosniff on every answer, no-store on /v1 answers, HSTS when behind TLS."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope.get("path", "").startswith("/v1/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if api:
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS_VALUE
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------------------------------------------
# Start-up checks


@dataclass(frozen=True)
class DemoKeyFound:
    key_id: str
    role: str


class DemoKeysActive(RuntimeError):
    """Production must not start while a public demo key can authenticate."""


def active_demo_keys(session: Session) -> list[DemoKeyFound]:
    hashes = [api_keys.hash_key(secret) for secret in DEMO_KEYS.values()]
    rows = session.exec(select(ApiKey).where(col(ApiKey.key_hash).in_(hashes), col(ApiKey.revoked_at).is_(None))).all()
    return [DemoKeyFound(key_id=r.id, role=r.role) for r in rows]


def startup_checks(session: Session, settings: Settings) -> None:
    """Run at start-up, before seeding: refuse public demo keys in production; warn in production when the
    service's own PostgreSQL role owns the audit log (it could disable the append-only triggers)."""
    refuse_demo_keys_in_production(session, settings)
    if settings.environment == "production" and session.get_bind().dialect.name == "postgresql":
        owner = session.execute(
            sa.text("SELECT tableowner = current_user FROM pg_tables WHERE tablename = 'audit_log'")
        ).scalar()
        if owner:
            log.warning(
                "the service's database role owns audit_log: it could disable the append-only triggers. Run the "
                "migrations as an owner role (LOAN_ENGINE_MIGRATION_DATABASE_URL) and the service as a role with "
                "INSERT/SELECT only (`loan-engine db grant-service-role ROLE`, docs/database-roles.md)"
            )


def refuse_demo_keys_in_production(session: Session, settings: Settings) -> None:
    """Raise :class:`DemoKeysActive` when production would accept a public demo key."""
    if settings.environment != "production":
        return
    found = active_demo_keys(session)
    if found:
        ids = ", ".join(f"{k.key_id} ({k.role})" for k in found)
        raise DemoKeysActive(
            f"refusing to start in production: {len(found)} public demo API key(s) are active in this database: "
            f"{ids}. Revoke them with `loan-engine keys revoke-demo` (or `loan-engine keys revoke ID` for each), "
            "then start again."
        )
