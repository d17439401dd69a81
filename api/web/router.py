"""The built-in web front end: static pages for caseworkers, the finance department and tenant screening.

Hand-written HTML/CSS/JS modules under ``api/web/static`` (no build step, no external CDN) served at ``/app/``;
``/`` redirects there. The pages call the same public API as any other front end. ``/app/config.json`` tells the
pages which environment they run in and, only when the service seeds demo data, the public demo API keys.
None of these routes are part of the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from api.problems import problem_response
from api.seed import DEMO_KEYS
from api.settings import Settings

STATIC_DIR = Path(__file__).resolve().parents[1] / "web" / "static"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".csv": "text/csv; charset=utf-8",
}

# Everything comes from this service: no CDN, no inline script. Styles set through the CSSOM are allowed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["web"], include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app")
def app_without_slash() -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app/config.json")
def web_config(request: Request) -> JSONResponse:
    """The environment name and, when demo data is seeded (never in production), the public demo keys."""
    settings: Settings = request.app.state.settings
    body: dict[str, Any] = {"environment": settings.environment, "demo_keys": {}}
    if settings.demo_data and settings.environment != "production":
        body["demo_keys"] = {role.value: secret for role, secret in DEMO_KEYS.items()}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/app/{path:path}")
def static_file(path: str) -> Response:
    target = _resolve(path or "index.html")
    if target is None:
        return problem_response(404, f"No page or file /app/{path}.", slug="not-found", instance=f"/app/{path}")
    media_type = MEDIA_TYPES.get(target.suffix, "application/octet-stream")
    return FileResponse(target, media_type=media_type, headers=SECURITY_HEADERS)


def _resolve(path: str) -> Path | None:
    """The file under STATIC_DIR that ``path`` names, or None (also for anything outside it or hidden)."""
    if path.endswith("/"):
        path += "index.html"
    parts = [p for p in path.split("/") if p]
    if not parts or any(p.startswith(".") or "\\" in p or not p.isprintable() for p in parts):
        return None
    root = STATIC_DIR.resolve()
    try:
        target = root.joinpath(*parts).resolve()
    except (OSError, ValueError):  # e.g. an embedded NUL: names no file
        return None
    if root not in target.parents or not target.is_file() or target.suffix not in MEDIA_TYPES:
        return None
    return target
