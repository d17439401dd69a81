"""The built-in web front end's routes (no browser): demo keys only with demo data, no way out of the static
folder, and nothing of it in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings


@pytest.fixture(scope="module")
def no_demo_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = tmp_path_factory.mktemp("web-db") / "loan_engine.db"
    settings = Settings(environment="development", database_url=f"sqlite:///{path}", demo_data=False)
    with TestClient(create_app(settings)) as client:
        yield client


def test_config_has_no_demo_keys_without_demo_data(no_demo_client: TestClient) -> None:
    response = no_demo_client.get("/app/config.json")
    assert response.status_code == 200
    assert response.json() == {"environment": "development", "demo_keys": {}}
    assert response.headers["cache-control"] == "no-store"


def test_config_has_demo_keys_with_demo_data(client: TestClient) -> None:
    keys = client.get("/app/config.json").json()["demo_keys"]
    assert set(keys) == {"caseworker", "finance", "admin"}


@pytest.mark.parametrize(
    "path",
    [
        "/app/../api/settings.py",
        "/app/%2e%2e/api/settings.py",
        "/app/..%2fapi%2fsettings.py",
        "/app/.hidden",
        "/app/__init__.py",
        "/app/nope.html",
        "/app/static/../../settings.py",
    ],
)
def test_no_file_outside_the_static_folder(no_demo_client: TestClient, path: str) -> None:
    response = no_demo_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_pages_and_assets_are_served_with_their_types(no_demo_client: TestClient) -> None:
    assert no_demo_client.get("/", follow_redirects=False).headers["location"] == "/app/"
    assert no_demo_client.get("/app", follow_redirects=False).headers["location"] == "/app/"
    index = no_demo_client.get("/app/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert no_demo_client.get("/app/app.js").headers["content-type"].startswith("text/javascript")
    assert no_demo_client.get("/app/style.css").headers["content-type"].startswith("text/css")
    assert index.headers["x-content-type-options"] == "nosniff"
    paths = no_demo_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/app")]
