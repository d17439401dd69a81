"""A value the database cannot store (PostgreSQL refuses NUL characters in text) is the client's fault: a 422
problem, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.cases.helpers import assert_problem


def test_unstorable_value_is_422_not_500(
    client: TestClient, engine: Engine, caseworker_headers: dict[str, str]
) -> None:
    r = client.get("/v1/parameter-sets/a%00b", headers=caseworker_headers)
    if engine.dialect.name == "postgresql":
        assert_problem(r, 422, rule="storable-value")
    else:
        assert_problem(r, 404)
