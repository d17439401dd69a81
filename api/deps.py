"""Request dependencies: database session and API-key authentication with roles.

Dependencies that do no blocking work are ``async`` so FastAPI runs them on the event loop instead of sending each
through the thread pool. Authentication answers from the API-key cache (:mod:`api.caching`) and asks the database,
in the thread pool, only on a miss.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from api.caching import ApiKeyCache, ParameterSetCatalogue, SingleFlight
from api.problems import ProblemError
from api.settings import Settings
from models import api_keys
from models.api_keys import Role


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine_dep(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def api_key_cache(app: Any) -> ApiKeyCache[Principal]:
    """The app's API-key cache (made on first use with the app's setting)."""
    cache: ApiKeyCache[Principal] | None = getattr(app.state, "api_key_cache", None)
    if cache is None:
        settings: Settings = app.state.settings
        cache = ApiKeyCache(settings.api_key_cache_seconds)
        app.state.api_key_cache = cache
    return cache


def parameter_set_catalogue(app: Any) -> ParameterSetCatalogue:
    """The app's parameter-set catalogue (made on first use with the app's setting)."""
    catalogue: ParameterSetCatalogue | None = getattr(app.state, "parameter_set_catalogue", None)
    if catalogue is None:
        settings: Settings = app.state.settings
        catalogue = ParameterSetCatalogue(settings.parameter_set_cache_seconds)
        app.state.parameter_set_catalogue = catalogue
    return catalogue


async def get_catalogue_dep(request: Request) -> ParameterSetCatalogue:
    return parameter_set_catalogue(request.app)


def get_session(engine: Annotated[Engine, Depends(get_engine_dep)]) -> Iterator[Session]:
    """A session per request. Services commit explicitly at the end of their unit of work; anything not
    committed is rolled back when the request ends, so a failed request leaves nothing half-written."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
CatalogueDep = Annotated[ParameterSetCatalogue, Depends(get_catalogue_dep)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key (le_…). Roles: caseworker, finance, admin. `loan-engine keys create` makes one.",
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id (never the secret), its role and the kommune it acts for."""

    key_id: str
    role: Role
    kommune_number: str


def _find_principal(engine: Engine, secret: str) -> Principal | None:
    with Session(engine) as session:
        key = api_keys.find_active(session, secret)
        if key is None:
            return None
        return Principal(key_id=key.id, role=Role(key.role), kommune_number=key.kommune_number)


_key_lookups = SingleFlight()


def _find_principal_once(cache: ApiKeyCache[Principal], engine: Engine, secret: str, key_hash: str) -> Principal | None:
    """:func:`_find_principal`, one lookup per key at a time: a request that waited for another's lookup of the
    same key takes the cached answer (unknown keys are never cached, so each is looked up)."""
    if not cache.enabled:  # no cache to share an answer through
        return _find_principal(engine, secret)
    with cache.lookup_lock(key_hash):
        principal = cache.get(key_hash)
        if principal is not None:
            return principal
        generation = cache.generation()
        principal = _find_principal(engine, secret)
        if principal is not None:
            cache.put(key_hash, principal, generation)
        return principal


async def principal_for(app: Any, engine: Engine, secret: str | None) -> Principal:
    """Who the key ``secret`` is, from the app's API-key cache or (on a miss) the database in the thread pool;
    a 401/503 :class:`ProblemError` otherwise. Used by the dependency below and by the upload guard in
    :mod:`api.security`, so both authenticate the same way."""
    unauthorised = {"WWW-Authenticate": 'ApiKey header="X-API-Key"'}
    if not secret:
        raise ProblemError(
            401,
            "Send an API key in the X-API-Key header.",
            slug="missing-api-key",
            field="X-API-Key",
            rule="api-key-required",
            headers=unauthorised,
        )
    if not api_keys.is_well_formed(secret):
        raise ProblemError(
            401,
            "The API key is malformed: it must be le_ followed by 20-128 URL-safe characters.",
            slug="malformed-api-key",
            field="X-API-Key",
            rule="api-key-format",
            headers=unauthorised,
        )
    cache = api_key_cache(app)
    key_hash = api_keys.hash_key(secret)
    principal = cache.get(key_hash)
    if principal is not None:
        return principal
    try:  # one lookup per key for all requests in flight (when its entry expires under load)
        principal = await _key_lookups.run(
            (id(cache), id(engine), key_hash),
            lambda: run_in_threadpool(_find_principal_once, cache, engine, secret, key_hash),
        )
    except SQLAlchemyError as exc:
        raise ProblemError(
            503, "The database is not reachable; try again shortly.", slug="database-unavailable"
        ) from exc
    if principal is None:
        raise ProblemError(
            401,
            "The API key is unknown or revoked.",
            slug="unknown-api-key",
            field="X-API-Key",
            rule="api-key-active",
            headers=unauthorised,
        )
    return principal


async def authenticate(request: Request, secret: Annotated[str | None, Depends(api_key_header)]) -> Principal:
    # the engine straight from the app state (what get_engine_dep gives): one dependency less to solve per request
    return await principal_for(request.app, request.app.state.engine, secret)


def check_role(principal: Principal, roles: frozenset[Role]) -> Principal:
    """``principal`` if its role is one of ``roles``; a 403 :class:`ProblemError` otherwise."""
    if principal.role not in roles:
        names = ", ".join(sorted(r.value for r in roles))
        raise ProblemError(
            403,
            f"This needs one of the roles: {names}; your key has the role {principal.role.value}.",
            slug="forbidden-role",
            field="X-API-Key",
            rule="role-" + "-or-".join(sorted(r.value for r in roles)),
        )
    return principal


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: :func:`authenticate` and :func:`check_role` in one (each dependency FastAPI solves costs a
    few microseconds per request). Marked ``authenticates`` so the OpenAPI document lists 401/403 for its routes
    (:func:`api.problems.document_framework_errors`)."""
    allowed = frozenset(roles)

    async def dependency(request: Request, secret: Annotated[str | None, Depends(api_key_header)]) -> Principal:
        return check_role(await principal_for(request.app, request.app.state.engine, secret), allowed)

    dependency.authenticates = True  # type: ignore[attr-defined]
    dependency.roles = allowed  # type: ignore[attr-defined]  # read by api.lean_route
    return dependency


AnyRoleDep = Annotated[Principal, Depends(require_roles(Role.caseworker, Role.finance, Role.admin))]
CaseworkerDep = Annotated[Principal, Depends(require_roles(Role.caseworker))]
FinanceDep = Annotated[Principal, Depends(require_roles(Role.finance, Role.admin))]
AdminDep = Annotated[Principal, Depends(require_roles(Role.admin))]
