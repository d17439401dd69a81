"""A lean request handler for hot JSON routes, behind FastAPI's own.

FastAPI's request handler is general: it decodes the body with ``json.loads``, solves the dependency graph, validates
the decoded body with pydantic in Python mode, validates the returned model again and encodes it. For a route called
at volume (``POST /v1/affordability``) that machinery costs more than the calculation's own prose. A route declared
with :class:`LeanJSONRoute` keeps FastAPI's handler and its OpenAPI document as they are, and answers the **happy
path** itself:

* the body is a JSON document (``Content-Type: application/json``), parsed and validated in one step by pydantic's
  JSON mode (``model_validate_json``, which accepts exactly what ``json.loads`` + Python-mode validation accepts with
  the same values, or refuses; tested);
* the API key is known and its role may use the route (the same :func:`api.deps.principal_for` and
  :func:`api.deps.check_role` the dependency calls);
* the endpoint is called with the same arguments FastAPI would give it and its model is written with the response
  model's own serializer.

Anything else — another media type, an empty or invalid body, a missing, unknown or revoked key, a role that may not,
a dependency override (tests) — is handed to FastAPI's handler unchanged, so every refusal is the one the route gave
before, in the same order (a malformed body is 400 before the key is looked at, as FastAPI decides). The endpoint's
own errors (domain errors, problems) propagate as from FastAPI's handler, to the same exception handlers.

Only endpoints of one shape are accepted (one JSON body model, optionally the ``Request``, and exactly one
authenticating dependency from :func:`api.deps.require_roles`; no path, query, header or cookie parameters; a
response model; default response options): a route of another shape is refused when the app is built, not served
half-lean.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, cast

from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.deps import ProblemError, check_role, principal_for

JSON_MEDIA_TYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})


@dataclass(frozen=True)
class _Plan:
    body_name: str
    body_model: type[BaseModel]
    request_name: str | None
    principal_name: str
    roles: frozenset[Any]
    endpoint: Callable[..., Coroutine[Any, Any, Any]]
    response_model: type[BaseModel]
    response: TypeAdapter[Any]
    status_code: int


class LeanRouteShapeError(TypeError):
    """A :class:`LeanJSONRoute` whose endpoint is not of the one supported shape."""


def _plan(route: APIRoute) -> _Plan:
    d = route.dependant
    where = f"{', '.join(sorted(route.methods or ()))} {route.path}"

    def refuse(why: str) -> LeanRouteShapeError:
        return LeanRouteShapeError(f"LeanJSONRoute {where}: {why}")

    if d.path_params or d.query_params or d.header_params or d.cookie_params:
        raise refuse("only a body, the Request and one authenticating dependency are supported")
    if len(d.body_params) != 1 or route.body_field is None:
        raise refuse("exactly one JSON body parameter is needed")
    body_type = d.body_params[0].field_info.annotation
    if not (isinstance(body_type, type) and issubclass(body_type, BaseModel)):
        raise refuse("the body must be one pydantic model")
    if len(d.dependencies) != 1:
        raise refuse("exactly one dependency (api.deps.require_roles) is supported")
    auth = d.dependencies[0]
    roles = getattr(auth.call, "roles", None)
    if not getattr(auth.call, "authenticates", False) or roles is None or auth.name is None:
        raise refuse("the one dependency must come from api.deps.require_roles")
    if d.response_param_name or d.background_tasks_param_name or d.websocket_param_name:
        raise refuse("Response, BackgroundTasks and WebSocket parameters are not supported")
    if not _is_coroutine(route.endpoint):
        raise refuse("the endpoint must be async")
    response_type = route.response_model
    if not (isinstance(response_type, type) and issubclass(response_type, BaseModel)):
        raise refuse("a response model is needed")
    if (
        route.response_model_include is not None
        or route.response_model_exclude is not None
        or not route.response_model_by_alias
        or route.response_model_exclude_unset
        or route.response_model_exclude_defaults
        or route.response_model_exclude_none
    ):
        raise refuse("only the default response model options are supported")
    return _Plan(
        body_name=d.body_params[0].name,
        body_model=body_type,
        request_name=d.request_param_name,
        principal_name=auth.name,
        roles=frozenset(roles),
        endpoint=route.endpoint,
        response_model=response_type,
        response=TypeAdapter(response_type),
        status_code=route.status_code or 200,
    )


def _is_coroutine(func: Any) -> bool:
    return inspect.iscoroutinefunction(func)


class LeanJSONRoute(APIRoute):
    """An :class:`~fastapi.routing.APIRoute` that answers the happy path itself (see the module's text)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        standard = super().get_route_handler()
        plan = _plan(self)
        body_model, response, status_code = plan.body_model, plan.response, plan.status_code

        async def handler(request: Request) -> Response:
            app = request.app
            if app.dependency_overrides or request.headers.get("content-type") not in JSON_MEDIA_TYPES:
                return await standard(request)
            try:
                principal = check_role(
                    await principal_for(app, app.state.engine, request.headers.get("x-api-key")), plan.roles
                )
            except ProblemError:
                return await standard(request)  # FastAPI's order: a malformed body is answered before the key
            body = await request.body()  # kept on the request: FastAPI's handler reads the same bytes if it runs
            try:
                document = body_model.model_validate_json(body)
            except ValidationError:
                return await standard(request)  # the same refusal, worded by FastAPI's path
            arguments: dict[str, Any] = {plan.body_name: document, plan.principal_name: principal}
            if plan.request_name:
                arguments[plan.request_name] = request
            result = await plan.endpoint(**arguments)
            if isinstance(result, Response):
                return result
            if not isinstance(result, plan.response_model):  # FastAPI validates what is not the model already
                try:
                    result = response.validate_python(result)
                except ValidationError as exc:
                    raise ResponseValidationError(errors=exc.errors(), body=result) from exc
            return Response(
                response.dump_json(result, by_alias=True), status_code=status_code, media_type="application/json"
            )

        return cast(Callable[[Request], Coroutine[Any, Any, Response]], handler)
