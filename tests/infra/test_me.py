"""GET /v1/me: the calling key's role, kommune and label, never its secret; 401 without a key."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.seed import DEMO_KEYS
from api.settings import Settings
from models.api_keys import Role


def test_me_names_the_key_without_its_secret(tmp_path: Path) -> None:
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", demo_data=True))
    with TestClient(app) as client:
        for role in Role:
            answer = client.get("/v1/me", headers={"X-API-Key": DEMO_KEYS[role]})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["role"] == role.value and body["kommune_number"] == "0301"
            assert DEMO_KEYS[role] not in answer.text
        assert client.get("/v1/me").status_code == 401
