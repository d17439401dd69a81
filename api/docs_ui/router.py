"""``/docs`` without internet: Swagger UI's files come from the installed ``swagger-ui-bundle`` package.

FastAPI's own ``/docs`` page loads Swagger UI from a CDN and starts it with an inline script; on a network without
internet (or under a strict Content-Security-Policy) that is a blank page. This page loads the bundle, its CSS and
a small start-up script (``init.js`` beside this module) from this service, under ``/docs/assets/``. None of these
routes are in the OpenAPI document. Whether ``/docs`` exists at all is ``settings.docs_enabled``.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

ASSETS_PREFIX = "/docs/assets"
HERE = Path(__file__).resolve().parent

# Only these files are served (no directory listing, no path from the request reaches the file system).
_BUNDLE_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_OWN_FILES = {"init.js": "text/javascript; charset=utf-8"}


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle  # the installed package (Apache-2.0); its vendor folder holds swagger-ui-dist

    return Path(swagger_ui_bundle.swagger_ui_path)


router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs_page(request: Request) -> HTMLResponse:
    openapi_url = request.app.openapi_url or "/openapi.json"
    title = html.escape(f"{request.app.title} — API documentation")
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{ASSETS_PREFIX}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS_PREFIX}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>
<script src="{ASSETS_PREFIX}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PREFIX}/init.js"></script>
</body>
</html>
"""
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


@router.get(ASSETS_PREFIX + "/{name}")
def docs_asset(name: str) -> FileResponse:
    if name in _BUNDLE_FILES:
        return FileResponse(
            swagger_ui_dir() / name, media_type=_BUNDLE_FILES[name], headers={"Cache-Control": "max-age=86400"}
        )
    if name in _OWN_FILES:
        return FileResponse(HERE / name, media_type=_OWN_FILES[name], headers={"Cache-Control": "no-cache"})
    raise HTTPException(status_code=404)
