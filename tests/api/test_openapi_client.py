"""The OpenAPI document generates a complete client: every operation is in it (two schemas with one name make
openapi-python-client drop the operations that use them)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

pytest.importorskip("openapi_python_client")


def _module_name(operation_id: str) -> str:
    """openapi-python-client's module name for an operation id (ours are ``tag-function_name``)."""
    return re.sub(r"[^a-z0-9]+", "_", operation_id.lower()).strip("_")


def test_schema_names_are_unique(client: TestClient) -> None:
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    titles = Counter(s.get("title", name) for name, s in schemas.items())
    # FastAPI names a schema after its model; a clash shows as a module-qualified name.
    assert not [name for name in schemas if "__" in name], sorted(schemas)
    assert all(n == 1 for n in titles.values()), titles.most_common(3)


@pytest.mark.slow
def test_generated_client_has_every_operation(client: TestClient, tmp_path: Path) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    (tmp_path / "openapi.json").write_text(json.dumps(spec), encoding="utf-8")
    out = tmp_path / "client"
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json"]
    run = subprocess.run(
        [*command, "--output-path", str(out), "--meta", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "Unable to" not in log and "Warning" not in log, log
    operations = {
        _module_name(op["operationId"])
        for item in spec["paths"].values()
        for op in item.values()
        if "operationId" in op
    }
    assert len(operations) == sum(len(item) for item in spec["paths"].values())  # every operation has an id
    generated = {p.stem for p in (out / "api").rglob("*.py") if p.stem != "__init__"}
    assert operations - generated == set()
    for path in ("/v1/affordability", "/v1/financing-plans", "/v1/cases"):
        assert "post" in spec["paths"][path]
    assert {"underwriting_post_affordability", "underwriting_post_financing_plan", "cases_assess_case"} <= generated
