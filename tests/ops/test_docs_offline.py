"""/docs works without internet: every file it needs comes from this service."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def test_docs_page_references_no_external_host(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    refs = URL_ATTR.findall(page)
    assert refs, "the page loads its scripts and styles"
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), f"{ref} is not served by this service"
    assert "http://" not in page and "https://" not in page
    assert "<script>" not in page, "no inline script (works under a strict CSP)"
    # every referenced asset is actually served, with a sensible media type
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 100, ref
    assert client.get("/docs/assets/swagger-ui-bundle.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    init = client.get("/docs/assets/init.js").text
    assert "validatorUrl: null" in init and "https://" not in init


def test_docs_assets_serve_only_known_files(client: TestClient) -> None:
    for name in ("index.html", "..%2Fpyproject.toml", "swagger-initializer.js", "router.py"):
        assert client.get(f"/docs/assets/{name}").status_code == 404, name


def test_docs_routes_not_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/docs")]


def test_docs_disabled_by_setting(tmp_path: Path) -> None:
    settings = Settings(
        environment="test", database_url=f"sqlite:///{tmp_path / 'x.db'}", demo_data=False, docs_enabled=False
    )
    bare = TestClient(create_app(settings))  # no lifespan needed: these routes touch no database
    assert bare.get("/docs").status_code == 404
    assert bare.get("/docs/assets/swagger-ui-bundle.js").status_code == 404
    enabled = TestClient(create_app(settings.model_copy(update={"docs_enabled": True})))
    assert enabled.get("/docs").status_code == 200
