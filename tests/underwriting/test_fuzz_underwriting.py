"""Schemathesis fuzzing of the underwriting operations only (the whole-API fuzz lives in tests/api): no input may
produce a server error, and every error answer is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api.services.seed import DEMO_KEYS
from models.api_keys import Role


@pytest.fixture(scope="module")
def underwriting_schema(client: TestClient) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


schema = schemathesis.pytest.from_fixture("underwriting_schema").include(
    path_regex=r"^/v1/(affordability|schedules|financing-plans|parameter-sets)"
)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_underwriting_fuzz(case: Any) -> None:
    response = case.call(headers={**(case.headers or {}), "X-API-Key": DEMO_KEYS[Role.caseworker]})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), content_type
        assert response.json()["status"] == response.status_code
