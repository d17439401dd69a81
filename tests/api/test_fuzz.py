"""Schemathesis fuzzing of the whole OpenAPI document: no input, valid or not, may produce a server error, every
error answer must be a problem+json document, and every status an operation answers with is in its OpenAPI
``responses``.

Runs against the app in-process (ASGI) with a caseworker, a finance and an admin key in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.main import create_app
from api.seed import DEMO_KEYS
from api.settings import Settings
from models.api_keys import Role

# Operations that start long-running work are fuzzed for validation only; the job itself is tested elsewhere.
MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def api_schema(database_url: str, fresh_database_url: Callable[[str], str]) -> Any:
    """A separate app on a fresh database of the same backend: schemathesis runs the app's start-up and
    shutdown itself, which must not stop the job runner of the shared ``client`` app."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    app = create_app(Settings(environment="test", database_url=fresh_database_url(backend), demo_data=True))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


def _check_problem(response: Any) -> None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), (response.status_code, content_type)
        body = response.json()
        assert body["status"] == response.status_code
        assert body["title"]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_problem_json(case: Any) -> None:
    for role in (Role.caseworker, Role.finance, Role.admin):
        response = case.call(headers={**(case.headers or {}), "X-API-Key": DEMO_KEYS[role]})
        assert response.status_code < 500, (role, case.method, case.path, response.status_code, response.text[:500])
        _check_problem(response)
        if case.method.upper() != case.operation.method.upper():
            continue  # a method the operation does not have (schemathesis tries TRACE etc.): 405, not its answer
        documented = {str(code) for code in case.operation.responses.status_codes}
        assert str(response.status_code) in documented or "default" in documented, (
            "undocumented status",
            case.method,
            case.path,
            response.status_code,
            sorted(documented),
            response.text[:300],
        )
