"""The OpenAPI document: explicit snake_case operationIds for every operation, declared tags, problem answers only
under application/problem+json, and the examples of ``examples/`` attached to their operations (and valid)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.openapi import EXAMPLES, OPERATION_IDS, TAGS
from api.settings import Settings

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("openapi") / "db.sqlite"
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{db}", demo_data=False))
    with TestClient(app) as client:
        doc: dict[str, Any] = client.get("/openapi.json").json()
    return doc


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def test_every_operation_has_its_listed_snake_case_id(schema: dict[str, Any]) -> None:
    ids = []
    for method, path, op in operations(schema):
        assert (method, path) in OPERATION_IDS, f"{method} {path} has no entry in api.openapi.OPERATION_IDS"
        assert op["operationId"] == OPERATION_IDS[(method, path)]
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", op["operationId"]), op["operationId"]
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    assert len(ids) >= 30


def test_tags_are_declared_with_descriptions(schema: dict[str, Any]) -> None:
    declared = {t["name"]: t for t in schema["tags"]}
    assert all(t.get("description") for t in schema["tags"])
    used = {tag for _, _, op in operations(schema) for tag in op.get("tags", [])}
    assert used and used <= set(declared), f"undeclared tags: {used - set(declared)}"
    assert [t["name"] for t in TAGS][:2] == ["health", "underwriting"]


def test_problems_only_under_problem_json(schema: dict[str, Any]) -> None:
    checked = 0
    for method, path, op in operations(schema):
        for status, answer in op["responses"].items():
            if status[0] not in "45" or "content" not in answer:
                continue
            assert "application/json" not in answer["content"], f"{method} {path} {status} declares application/json"
            assert answer["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
            checked += 1
    assert checked > 50


def test_examples_attached_and_equal_to_the_files(schema: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(schema)}
    for operation_id, (filename, _summary) in EXAMPLES.items():
        assert operation_id in by_id, operation_id
        file_value = json.loads((EXAMPLES_DIR / filename).read_text(encoding="utf-8"))
        examples = by_id[operation_id]["requestBody"]["content"]["application/json"]["examples"]
        assert [e["value"] for e in examples.values()] == [file_value]


def test_examples_are_accepted_by_their_operations(tmp_path: Path) -> None:
    """The stateless examples give 200 with the demo caseworker key (the others are run by the README test)."""
    from api.seed import DEMO_KEYS
    from models.api_keys import Role

    app = create_app(Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", demo_data=True))
    with TestClient(app) as client:
        for path, filename in (
            ("/v1/affordability", "affordability.json"),
            ("/v1/schedules", "schedule.json"),
            ("/v1/financing-plans", "financing-plan.json"),
        ):
            body = json.loads((EXAMPLES_DIR / filename).read_text(encoding="utf-8"))
            answer = client.post(path, json=body, headers={"X-API-Key": DEMO_KEYS[Role.caseworker]})
            assert answer.status_code == 200, answer.text
