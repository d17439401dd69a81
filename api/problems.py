"""RFC 9457 problem+json answers for every error the service can give.

Domain errors (``loan_engine.errors``) carry the field and the rule; request validation errors are turned into a
list of ``{field, rule, message}``; anything unexpected becomes a 500 problem without internals (and is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import i18n
from loan_engine.errors import Conflict, DomainError, InvalidInput, LimitExceeded, NotFound

log = logging.getLogger("loan_engine.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://loan-engine.example/problems/"

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    LimitExceeded: 422,
}

HTTP_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    500: "Internal error",
    503: "Service unavailable",
}


class ProblemFieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending input, e.g. loan.term_years")
    rule: str = Field(description="Stable slug of the rule that was broken, e.g. max-term-50-years")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemFieldError] = Field(default_factory=list)


class ProblemError(Exception):
    """Raise from the API layer for a problem that is not a domain error (auth, media type, limits)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        field: str | None = None,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or HTTP_TITLES.get(status, "error").lower().replace(" ", "-")
        self.field = field
        self.rule = rule
        self.headers = headers


def problem_response(
    status: int,
    detail: str | None,
    *,
    slug: str,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title or HTTP_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body["errors"] = errors or []
    if extra:
        body.update(extra)
    i18n.localise_problem(body, slug, i18n.current_language())
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_error_response(exc: ProblemError, instance: str | None) -> JSONResponse:
    """The answer for a :class:`ProblemError` (also used by middleware, outside the exception handlers)."""
    errors = []
    if exc.field or exc.rule:
        errors.append({"field": exc.field or "body", "rule": exc.rule or exc.slug, "message": exc.detail})
    return problem_response(
        exc.status, exc.detail, slug=exc.slug, instance=instance, errors=errors, headers=exc.headers
    )


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts) if parts else "body"


def _rule_from_pydantic(err: dict[str, Any]) -> str:
    kind = str(err.get("type", "invalid"))
    ctx = err.get("ctx") or {}
    for key in ("ge", "gt", "le", "lt", "min_length", "max_length"):
        if key in ctx:
            return f"{kind.replace('_', '-')}-{ctx[key]}"
    return kind.replace("_", "-")


def _body_not_json(exc: RequestValidationError) -> bool:
    """FastAPI hands a JSON route's body over unparsed (bytes) when its media type is not JSON."""
    return any(tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), bytes) for e in exc.errors())


def validation_errors(exc: RequestValidationError, lang: str = "en") -> list[dict[str, str]]:
    """``{field, rule, message}`` per pydantic error, the message from the catalogue (``api.i18n``) in ``lang``."""
    out = []
    for err in exc.errors():
        out.append(
            {
                "field": _loc_to_field(err.get("loc", ())),
                "rule": _rule_from_pydantic(err),
                "message": i18n.pydantic_message(err, lang),
            }
        )
    return out


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _body_not_json(exc):
            return problem_response(
                415,
                "The request body must be JSON (Content-Type: application/json).",
                slug="unsupported-media-type",
                instance=request.url.path,
                errors=[
                    {"field": "Content-Type", "rule": "media-type-application-json", "message": "application/json"}
                ],
            )
        errors = validation_errors(exc, i18n.current_language())
        if any(e["rule"] == "json-invalid" for e in errors):
            return problem_response(
                400,
                "The request body is not valid JSON.",
                slug="malformed-json",
                instance=request.url.path,
                errors=errors,
            )
        return problem_response(
            422,
            i18n.validation_summary(errors, "en"),
            slug="validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(exc, cls)), 422)
        errors = []
        if exc.field or exc.rule:
            errors.append({"field": exc.field or "body", "rule": exc.rule or "invalid", "message": exc.detail})
        slug = (exc.rule or type(exc).__name__).lower()
        return problem_response(
            status, exc.detail, slug=slug, title=exc.title, instance=request.url.path, errors=errors
        )

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_error_response(exc, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTP_TITLES.get(exc.status_code, "Error")
        slug = HTTP_TITLES.get(exc.status_code, "error").lower().replace(" ", "-")
        return problem_response(
            exc.status_code, detail, slug=slug, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            return problem_response(
                503,
                "The database is not reachable; nothing was saved. Try again shortly.",
                slug="database-unavailable",
                instance=request.url.path,
                headers={"Retry-After": "5"},
            )
        if isinstance(exc, DataError):
            # The database cannot store or compare a value of the request (a NUL character in text on PostgreSQL,
            # a number out of the column's range): bad input, not a server fault.
            log.info("database refused a value on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
            return problem_response(
                422,
                "A value in the request cannot be stored (e.g. a NUL character in text, or a number out of range).",
                slug="unstorable-value",
                instance=request.url.path,
                errors=[{"field": "body", "rule": "storable-value", "message": "value the database cannot store"}],
            )
        log.exception("database error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "The database refused the operation; nothing was saved. The error has been logged.",
            slug="database-error",
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "An unexpected error occurred. Nothing was saved. The error has been logged.",
            slug="internal-error",
            instance=request.url.path,
        )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": HTTP_TITLES[status]}
    for status in (400, 401, 403, 404, 409, 410, 413, 415, 422, 503)
}


def problem_responses(*statuses: int, descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry for a route that can answer with these problem statuses; ``descriptions`` says
    when the route gives one of them (e.g. 404 also while a job's results are not ready)."""
    out: dict[int | str, dict[str, Any]] = {s: PROBLEM_RESPONSES[s] for s in statuses if s in PROBLEM_RESPONSES}
    for status, text in (descriptions or {}).items():
        out[status] = {**PROBLEM_RESPONSES[status], "description": text}
    return out


def document_framework_errors(routers: Iterable[APIRouter]) -> None:
    """Add to every route's ``responses`` the problem statuses the framework and the middleware can give it
    whatever the route itself declares: 400 (malformed JSON) and 413 (body over the limit) and 422 for a route
    with a body, 415 for a JSON body sent as another media type, 422 for a route with parameters, 401/403 for a
    route behind an API key, 503 (database unreachable) for a route that uses the database. Call on the routers
    before they are included in the app."""
    from fastapi.routing import APIRoute

    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                _document_route(route)


def _document_route(route: Any) -> None:
    statuses: set[int] = set()
    flat = route.dependant
    names = _dependency_names(flat)
    if route.body_field is not None:
        statuses |= {400, 413, 422}
        if not _is_form(route):
            statuses.add(415)
    if flat.path_params:
        statuses.add(404)  # a path parameter may name nothing (or, with a control character, nothing at all)
    if flat.path_params or flat.query_params or flat.header_params or _has_params(flat):
        statuses.add(422)
    if "authenticate" in names:
        statuses |= {401, 403}
    if "get_session" in names or "authenticate" in names:
        statuses.add(503)
    for status in sorted(statuses):
        route.responses.setdefault(status, PROBLEM_RESPONSES[status])


def _dependency_names(dependant: Any) -> set[str]:
    names = set()
    for dep in dependant.dependencies:
        if dep.call is not None:
            names.add(getattr(dep.call, "__name__", ""))
            if getattr(dep.call, "authenticates", False):  # api.deps.require_roles: authenticate and the role check
                names.add("authenticate")
        names |= _dependency_names(dep)
    return names


def _has_params(dependant: Any) -> bool:
    return any(d.path_params or d.query_params or d.header_params or _has_params(d) for d in dependant.dependencies)


def _is_form(route: Any) -> bool:
    from fastapi import params

    field = route.body_field
    info = getattr(field, "field_info", None)
    return isinstance(info, params.Form | params.File)
