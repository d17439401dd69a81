"""api.lean_route: the happy path answered without FastAPI's general handler, every other answer from FastAPI's.

Each request is sent twice, once as it is served and once with a dependency override in place (which makes the
lean handler hand every request to FastAPI's), and the two answers must be the same: status, media type, the
headers that are not per request, and the body byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.deps import AnyRoleDep, require_roles
from api.lean_route import LeanJSONRoute, LeanRouteShapeError
from models.api_keys import Role
from tests.underwriting.test_api import affordability_body

PER_REQUEST_HEADERS = {"x-request-id", "date", "content-length"}


def _unused_dependency() -> None:  # only there to make dependency_overrides non-empty
    return None


@pytest.fixture
def standard_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """How often FastAPI's own dependency solving ran (the standard handler's work)."""
    calls: list[str] = []
    real = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        request = kwargs.get("request")
        calls.append(str(request.url.path) if request is not None else "?")
        return await real(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    yield calls


def _both(client: TestClient, send: Callable[[TestClient], Any]) -> tuple[Any, Any]:
    app: FastAPI = client.app  # type: ignore[assignment]
    lean = send(client)
    app.dependency_overrides[_unused_dependency] = _unused_dependency
    try:
        standard = send(client)
    finally:
        app.dependency_overrides.pop(_unused_dependency, None)
    return lean, standard


def _same(lean: Any, standard: Any) -> None:
    assert lean.status_code == standard.status_code, (lean.text[:300], standard.text[:300])
    assert lean.content == standard.content
    strip = {k: v for k, v in lean.headers.items() if k not in PER_REQUEST_HEADERS}
    assert strip == {k: v for k, v in standard.headers.items() if k not in PER_REQUEST_HEADERS}


def _bodies() -> list[tuple[str, bytes, dict[str, str]]]:
    good = affordability_body()
    in_force = {k: v for k, v in good.items() if k != "parameter_set"}
    cases: list[tuple[str, Any, dict[str, str]]] = [
        ("hand-worked", good, {}),
        ("set in force", in_force, {}),
        ("bokmål", good, {"Accept-Language": "nb"}),
        ("fixed rate", affordability_body(loan={"rate_type": "fixed", "fixation_years": 3, "term_years": 30}), {}),
        ("serial", affordability_body(loan={"rate_type": "floating", "term_years": 30, "repayment": "serial"}), {}),
        ("50 years without § 8-5", affordability_body(loan={"term_years": 50}), {"Accept-Language": "nb"}),
        ("boolean for a number", affordability_body(other_fixed_costs_monthly=True), {}),
        ("unknown field", {**good, "surprise": 1}, {}),
        ("missing household", {k: v for k, v in good.items() if k != "household"}, {}),
        ("unknown parameter set", affordability_body(parameter_set={"id": "no-such", "version": 1}), {}),
        ("not an object", [1, 2], {}),
    ]
    out = [(name, json.dumps(body).encode(), headers) for name, body, headers in cases]
    raw = json.dumps(good).encode()
    out += [
        ("malformed JSON", b'{"household": ', {}),
        ("UTF-8 BOM", b"\xef\xbb\xbf" + raw, {}),
        ("NaN", raw.replace(b'"other_fixed_costs_monthly": 0', b'"other_fixed_costs_monthly": NaN'), {}),
        ("lone surrogate", raw.replace(b'"car": "petrol"', b'"car": "\\ud800"'), {}),
        ("duplicate key", raw[:-1] + b', "other_fixed_costs_monthly": -5}', {}),
        ("empty", b"", {}),
        ("text/plain", raw, {"Content-Type": "text/plain"}),
        ("JSON with charset", raw, {"Content-Type": "application/json; charset=utf-8"}),
    ]
    return out


@pytest.mark.parametrize("case", _bodies(), ids=lambda c: c[0])
def test_every_answer_is_the_one_fastapi_gives(
    client: TestClient, caseworker_headers: dict[str, str], case: tuple[str, bytes, dict[str, str]]
) -> None:
    _, body, extra = case
    headers = {"Content-Type": "application/json", **caseworker_headers, **extra}
    lean, standard = _both(client, lambda c: c.post("/v1/affordability", content=body, headers=headers))
    _same(lean, standard)


@pytest.mark.parametrize(
    "who", ["no key", "unknown key", "finance", "admin", "other kommune"], ids=lambda w: w.replace(" ", "-")
)
@pytest.mark.parametrize("body", [b'{"household": ', json.dumps(affordability_body()).encode()], ids=["bad", "good"])
def test_keys_and_roles_as_before(
    client: TestClient,
    make_key: Callable[..., dict[str, str]],
    finance_headers: dict[str, str],
    admin_headers: dict[str, str],
    who: str,
    body: bytes,
) -> None:
    keys = {
        "no key": {},
        "unknown key": {"X-API-Key": "le_not-a-key"},
        "finance": finance_headers,
        "admin": admin_headers,
        "other kommune": make_key(Role.caseworker),
    }
    headers = {"Content-Type": "application/json", **keys[who]}
    lean, standard = _both(client, lambda c: c.post("/v1/affordability", content=body, headers=headers))
    _same(lean, standard)


def test_the_happy_path_skips_fastapis_handler_and_the_rest_does_not(
    client: TestClient, caseworker_headers: dict[str, str], standard_calls: list[str]
) -> None:
    good = client.post("/v1/affordability", json=affordability_body(), headers=caseworker_headers)
    assert good.status_code == 200 and good.json()["max_loan"] > 0
    assert standard_calls == [], "answered by the lean handler"
    bad = client.post("/v1/affordability", json=affordability_body(loan={"term_years": 50}), headers=caseworker_headers)
    assert bad.status_code == 422
    assert standard_calls == [], "a domain error from the endpoint itself: still the lean handler"
    refused = client.post(
        "/v1/affordability", json=affordability_body(other_fixed_costs_monthly=True), headers=caseworker_headers
    )
    assert refused.status_code == 422 and len(standard_calls) == 1, "a refused body: FastAPI's handler"
    client.post("/v1/affordability", json=affordability_body())
    assert len(standard_calls) == 2, "no key: FastAPI's handler"


class Body(BaseModel):
    x: int


class Out(BaseModel):
    y: int


def test_only_the_supported_shape_is_accepted() -> None:
    def app_with(router: APIRouter) -> None:
        FastAPI().include_router(router)

    router = APIRouter(route_class=LeanJSONRoute)

    @router.post("/fine", response_model=Out)
    async def fine(body: Body, principal: AnyRoleDep) -> Out:
        return Out(y=body.x)

    app_with(router)  # the one shape: body + one require_roles dependency (+ optionally the Request)

    shapes: list[Callable[[APIRouter], None]] = []

    def with_query(r: APIRouter) -> None:
        @r.post("/q", response_model=Out)
        async def q(body: Body, principal: AnyRoleDep, page: int = 1) -> Out:
            return Out(y=page)

    def without_auth(r: APIRouter) -> None:
        @r.post("/n", response_model=Out)
        async def n(body: Body) -> Out:
            return Out(y=body.x)

    def other_dependency(r: APIRouter) -> None:
        @r.post("/d", response_model=Out)
        async def d(body: Body, extra: None = Depends(_unused_dependency)) -> Out:
            return Out(y=body.x)

    def sync_endpoint(r: APIRouter) -> None:
        @r.post("/s", response_model=Out)
        def s(body: Body, principal: Any = Depends(require_roles(Role.admin))) -> Out:
            return Out(y=body.x)

    def no_response_model(r: APIRouter) -> None:
        @r.post("/m")
        async def m(body: Body, principal: AnyRoleDep) -> dict[str, int]:
            return {"y": body.x}

    shapes += [with_query, without_auth, other_dependency, sync_endpoint, no_response_model]
    for shape in shapes:
        with pytest.raises(LeanRouteShapeError):
            r = APIRouter(route_class=LeanJSONRoute)
            shape(r)
            app_with(r)
