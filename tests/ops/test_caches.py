"""Hot-path caches: API keys and the parameter set in force come from memory, are dropped at once by this process's
changes and within the documented bound by another process's; the hot path's dependencies are async."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.caching import ApiKeyCache, ParameterSetCatalogue
from api.deps import Principal
from api.main import create_app
from api.seed import DEMO_KEYS, DEMO_KOMMUNE
from api.settings import Settings
from api.underwriting import affordability_router, financing_plans_router
from models import api_keys, db
from models import parameter_sets as repo
from models.api_keys import ApiKey, Role
from models.common import utcnow
from tests.underwriting.test_api import affordability_body


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def own_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app on its own database: these tests load parameter sets in force for the demo kommune."""
    path: Path = tmp_path_factory.mktemp("caches") / "caches.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{path}", demo_data=True, auto_migrate=True)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def clock(own_client: TestClient) -> FakeClock:
    """Fresh caches driven by a fake clock (installed on the app; the previous ones are simply replaced)."""
    fake = FakeClock()
    app: Any = own_client.app
    app.state.api_key_cache = ApiKeyCache(5.0, clock=fake)
    app.state.parameter_set_catalogue = ParameterSetCatalogue(2.0, clock=fake)
    return fake


class QueryCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


def _headers(role: Role = Role.caseworker) -> dict[str, str]:
    return {"X-API-Key": DEMO_KEYS[role]}


def _document(version: int, valid_from: date, set_id: str) -> dict[str, Any]:
    text = resources.files("loan_engine.parameter_sets").joinpath("no-2026-1.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    doc.update(id=set_id, version=version, valid_from=valid_from.isoformat(), kommune_number=DEMO_KOMMUNE)
    return doc


def _store_elsewhere(engine: Engine, doc: dict[str, Any]) -> None:
    """What another process does when it loads a set: a committed row, no message to this process's caches."""
    with db.session_scope(engine) as session:
        repo.store(
            session,
            set_id=doc["id"],
            version=doc["version"],
            valid_from=date.fromisoformat(doc["valid_from"]),
            kommune_number=doc["kommune_number"],
            description="loaded by another process",
            document=doc,
        )


def _used_set(client: TestClient) -> tuple[str, int]:
    """The set in force, as an affordability request that names no set gets it."""
    body = affordability_body()
    body.pop("parameter_set", None)  # the shared body pins no-2026-1 for its hand-worked figures
    r = client.post("/v1/affordability", json=body, headers=_headers())
    assert r.status_code == 200, r.text
    ref = r.json()["parameter_set"]
    return ref["id"], ref["version"]


# ------------------------------------------------------------------------------------------------------------------
# API keys
# ------------------------------------------------------------------------------------------------------------------


def test_key_cache_unit_rules() -> None:
    fake = FakeClock()
    cache: ApiKeyCache[Principal] = ApiKeyCache(5.0, max_entries=2, clock=fake)
    a = Principal(key_id="a", role=Role.caseworker, kommune_number="0301")
    b = Principal(key_id="b", role=Role.admin, kommune_number="0301")
    cache.put("ha", a)
    assert cache.get("ha") == a
    fake.now += 4.99
    assert cache.get("ha") == a
    fake.now += 0.02
    assert cache.get("ha") is None  # expired after its lifetime
    cache.put("ha", a)
    cache.put("hb", b)
    cache.put("hc", b)  # over max_entries: the least recently used goes
    assert cache.get("ha") is None and cache.get("hc") == b
    cache.forget_key_id("b")
    assert cache.get("hb") is None and cache.get("hc") is None
    # a lookup that started before a revoke is not stored afterwards
    token = cache.generation()
    cache.forget_key_id("a")
    cache.put("ha", a, token)
    assert cache.get("ha") is None
    off: ApiKeyCache[Principal] = ApiKeyCache(0)
    off.put("ha", a)
    assert off.get("ha") is None and len(off) == 0


def test_accepted_key_is_not_looked_up_again(own_client: TestClient, clock: FakeClock) -> None:
    engine: Engine = own_client.app.state.engine  # type: ignore[attr-defined]
    _used_set(own_client)  # warm: the key and the parameter set are cached now
    with QueryCounter(engine) as queries:
        for _ in range(3):
            _used_set(own_client)
    assert queries.statements == [], "the warm hot path asks the database nothing"


def test_revoke_in_this_process_is_immediate(own_client: TestClient, clock: FakeClock) -> None:
    engine: Engine = own_client.app.state.engine  # type: ignore[attr-defined]
    with db.session_scope(engine) as session:
        key, secret = api_keys.create_key(session, role=Role.caseworker, kommune_number=DEMO_KOMMUNE, label="t")
        key_id = key.id
    headers = {"X-API-Key": secret}
    assert own_client.post("/v1/affordability", json=affordability_body(), headers=headers).status_code == 200
    r = own_client.post(f"/v1/admin/keys/{key_id}/revoke", headers=_headers(Role.admin))
    assert r.status_code == 200, r.text
    r = own_client.post("/v1/affordability", json=affordability_body(), headers=headers)
    assert r.status_code == 401 and r.json()["errors"][0]["rule"] == "api-key-active"


def test_revoke_elsewhere_is_seen_within_the_key_lifetime(own_client: TestClient, clock: FakeClock) -> None:
    engine: Engine = own_client.app.state.engine  # type: ignore[attr-defined]
    with db.session_scope(engine) as session:
        key, secret = api_keys.create_key(session, role=Role.caseworker, kommune_number=DEMO_KOMMUNE, label="t")
        key_id = key.id
    headers = {"X-API-Key": secret}
    assert own_client.post("/v1/affordability", json=affordability_body(), headers=headers).status_code == 200
    with db.session_scope(engine) as session:  # another process (the CLI, another worker) revokes it
        row = session.get(ApiKey, key_id)
        assert row is not None
        row.revoked_at = utcnow()
        session.add(row)
    clock.now += 4.0  # within api_key_cache_seconds: this process still remembers the key (the documented bound)
    assert own_client.post("/v1/affordability", json=affordability_body(), headers=headers).status_code == 200
    clock.now += 1.5  # past it: refused
    assert own_client.post("/v1/affordability", json=affordability_body(), headers=headers).status_code == 401


def test_unknown_keys_are_not_cached(own_client: TestClient, clock: FakeClock) -> None:
    cache: ApiKeyCache[Principal] = own_client.app.state.api_key_cache  # type: ignore[attr-defined]
    before = len(cache)
    for _ in range(3):
        secret = "le_" + uuid.uuid4().hex
        r = own_client.post("/v1/affordability", json=affordability_body(), headers={"X-API-Key": secret})
        assert r.status_code == 401
    assert len(cache) == before


# ------------------------------------------------------------------------------------------------------------------
# Parameter sets
# ------------------------------------------------------------------------------------------------------------------


def test_set_loaded_in_this_process_is_used_at_once(own_client: TestClient, clock: FakeClock) -> None:
    set_id = f"ops-here-{uuid.uuid4().hex[:6]}"
    before = _used_set(own_client)
    doc = _document(1, date.today() - timedelta(days=1), set_id)
    r = own_client.post("/v1/parameter-sets", json=doc, headers=_headers(Role.admin))
    assert r.status_code == 201, r.text
    assert _used_set(own_client) == (set_id, 1) != before  # no clock advance needed


def test_set_loaded_elsewhere_is_used_within_the_check_interval(own_client: TestClient, clock: FakeClock) -> None:
    engine: Engine = own_client.app.state.engine  # type: ignore[attr-defined]
    catalogue: ParameterSetCatalogue = own_client.app.state.parameter_set_catalogue  # type: ignore[attr-defined]
    set_id = f"ops-there-{uuid.uuid4().hex[:6]}"
    before = _used_set(own_client)
    reads = catalogue.reads
    _store_elsewhere(engine, _document(1, date.today(), set_id))
    clock.now += 1.9  # within parameter_set_cache_seconds: the old set is still used (the documented bound)
    assert _used_set(own_client) == before
    clock.now += 0.2  # past it: one cheap check finds the change, the catalogue is read again
    assert _used_set(own_client) == (set_id, 1)
    assert catalogue.reads == reads + 1
    checks = catalogue.checks
    clock.now += 2.1  # nothing changed: checked, not read
    assert _used_set(own_client) == (set_id, 1)
    assert catalogue.checks == checks + 1 and catalogue.reads == reads + 1


def test_cached_lookup_follows_the_database_rules(own_client: TestClient, clock: FakeClock) -> None:
    """Named sets and unknown names answer as before (same problem documents)."""
    body = affordability_body(parameter_set={"id": "no-such-set", "version": 1})
    r = own_client.post("/v1/affordability", json=body, headers=_headers())
    assert r.status_code == 404 and r.json()["errors"][0]["rule"] == "parameter-set-exists"
    body = affordability_body(parameter_set={"id": "no-2026-1", "version": 1})
    r = own_client.post("/v1/affordability", json=body, headers=_headers())
    assert r.status_code == 200 and r.json()["parameter_set"] == {"id": "no-2026-1", "version": 1}


@dataclass(frozen=True)
class Ident:
    set_id: str
    version: int
    valid_from: date
    kommune_number: str | None


def test_pick_in_force_rule() -> None:
    entries = [
        Ident("nat", 1, date(2026, 1, 1), None),
        Ident("nat", 2, date(2026, 1, 1), None),
        Ident("own", 1, date(2025, 6, 1), "0301"),
        Ident("later", 1, date(2027, 1, 1), None),
    ]
    assert repo.pick_in_force(entries, date(2026, 3, 1), None) == entries[1]  # highest version among equals
    assert repo.pick_in_force(entries, date(2026, 3, 1), "0301") == entries[2]  # kommune's own set first
    assert repo.pick_in_force(entries, date(2026, 3, 1), "4601") == entries[1]
    assert repo.pick_in_force(entries, date(2027, 2, 1), None) == entries[3]
    assert repo.pick_in_force(entries, date(2020, 1, 1), None) is None
    assert repo.pick_by_id(entries, "nat") == entries[1]
    assert repo.pick_by_id(entries, "nat", 1) == entries[0]
    assert repo.pick_by_id(entries, "nat", 3) is None


# ------------------------------------------------------------------------------------------------------------------
# No thread-pool hops for pure dependencies
# ------------------------------------------------------------------------------------------------------------------


def _is_async(call: Any) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


@pytest.mark.parametrize("router", [affordability_router.router, financing_plans_router.router])
def test_hot_path_dependencies_are_async(router: APIRouter) -> None:
    route = next(r for r in router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or ()))
    sync = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None and not _is_async(dep.call):
            sync.append(getattr(dep.call, "__name__", repr(dep.call)))
        stack.extend(dep.dependencies)
    assert sync == [], f"dependencies sent through the thread pool: {sync}"


def test_database_gone_cached_answers_then_503_never_500(own_client: TestClient, clock: FakeClock) -> None:
    engine: Engine = own_client.app.state.engine  # type: ignore[attr-defined]
    assert _used_set(own_client)  # warm: key and catalogue cached

    def gone(*_args: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("the database went away"))

    event.listen(engine, "before_cursor_execute", gone)
    try:
        r = own_client.post("/v1/affordability", json=affordability_body(), headers=_headers())
        assert r.status_code == 200  # everything it needs is in memory
        clock.now += 2.5  # the catalogue is due for its check, which cannot reach the database
        r = own_client.post("/v1/affordability", json=affordability_body(), headers=_headers())
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        unknown = {"X-API-Key": "le_" + uuid.uuid4().hex}
        r = own_client.post("/v1/affordability", json=affordability_body(), headers=unknown)
        assert r.status_code == 503
    finally:
        event.remove(engine, "before_cursor_execute", gone)
    assert own_client.post("/v1/affordability", json=affordability_body(), headers=_headers()).status_code == 200


def test_expired_entries_send_one_lookup_to_the_database_not_one_per_request(
    own_client: TestClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the key's entry or the catalogue snapshot expires with many requests in flight, one of them asks the
    database and the others wait for its answer (before: each asked, 16 queries at once under load)."""
    import threading
    import time as real_time

    from api import caching, deps

    app: Any = own_client.app
    engine: Engine = app.state.engine
    cache: ApiKeyCache[Principal] = app.state.api_key_cache
    catalogue: ParameterSetCatalogue = app.state.parameter_set_catalogue
    secret = DEMO_KEYS[Role.caseworker]
    key_hash = api_keys.hash_key(secret)
    lookups: list[str] = []
    real_find = deps._find_principal

    def slow_find(engine_: Engine, secret_: str) -> Principal | None:
        lookups.append(secret_)
        real_time.sleep(0.2)  # a database under load: the others arrive meanwhile
        return real_find(engine_, secret_)

    monkeypatch.setattr(deps, "_find_principal", slow_find)
    stamps: list[int] = []
    real_stamp = caching.catalogue_stamp

    def slow_stamp(session: Any) -> Any:
        stamps.append(1)
        real_time.sleep(0.2)
        return real_stamp(session)

    monkeypatch.setattr(caching, "catalogue_stamp", slow_stamp)
    catalogue.entries(engine)  # a snapshot, then let it and the key expire
    stamps.clear()
    clock.now += 10.0
    assert cache.get(key_hash) is None and catalogue.peek(engine) is None

    barrier = threading.Barrier(8)
    principals: list[Principal | None] = []
    entries: list[int] = []

    def request() -> None:
        barrier.wait()
        principals.append(deps._find_principal_once(cache, engine, secret, key_hash))
        entries.append(len(catalogue.entries(engine)))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(principals) == 8 and all(p is not None and p.role == Role.caseworker for p in principals)
    assert len(lookups) == 1, "one lookup for eight requests"
    assert len(stamps) == 1 and len(set(entries)) == 1 and entries[0] > 0, "one re-validation for eight requests"
    # unknown keys are never cached: each is looked up (and refused)
    lookups.clear()
    bogus = "le_" + "x" * 30
    assert deps._find_principal_once(cache, engine, bogus, api_keys.hash_key(bogus)) is None
    assert deps._find_principal_once(cache, engine, bogus, api_keys.hash_key(bogus)) is None
    assert len(lookups) == 2


def test_single_flight_shares_one_call_its_error_and_survives_a_cancelled_leader() -> None:
    import asyncio

    from api.caching import SingleFlight

    flight = SingleFlight()
    calls: list[str] = []

    async def slow(value: str, fail: bool = False) -> str:
        calls.append(value)
        await asyncio.sleep(0.05)
        if fail:
            raise RuntimeError("database gone")
        return value

    async def scenario() -> None:
        got = await asyncio.gather(*(flight.run("k", lambda: slow("a")) for _ in range(8)))
        assert got == ["a"] * 8 and calls == ["a"], "eight requests, one call"
        calls.clear()
        assert await asyncio.gather(flight.run("x", lambda: slow("x")), flight.run("y", lambda: slow("y"))) == [
            "x",
            "y",
        ]
        assert sorted(calls) == ["x", "y"], "different keys do not wait for each other"
        calls.clear()
        errors = await asyncio.gather(
            *(flight.run("k", lambda: slow("b", fail=True)) for _ in range(4)), return_exceptions=True
        )
        assert all(isinstance(e, RuntimeError) for e in errors) and calls == ["b"], "the error is shared"
        calls.clear()
        leader = asyncio.ensure_future(flight.run("k", lambda: slow("c")))
        await asyncio.sleep(0.01)
        follower = asyncio.ensure_future(flight.run("k", lambda: slow("d")))
        await asyncio.sleep(0.01)
        leader.cancel()
        assert await follower == "d" and calls == ["c", "d"], "a cancelled leader hands over"
        assert flight._inflight == {}

    asyncio.run(scenario())


def test_expired_key_under_concurrent_requests_is_one_thread_pool_lookup(
    own_client: TestClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from api import deps

    app: Any = own_client.app
    engine: Engine = app.state.engine
    secret = DEMO_KEYS[Role.caseworker]
    hops: list[int] = []
    real_once = deps._find_principal_once

    def counting_once(*args: Any) -> Principal | None:
        hops.append(1)
        return real_once(*args)

    monkeypatch.setattr(deps, "_find_principal_once", counting_once)

    async def burst() -> list[Principal]:
        return await asyncio.gather(*(deps.principal_for(app, engine, secret) for _ in range(16)))

    clock.now += 10.0  # every entry expired
    principals = asyncio.run(burst())
    assert len(principals) == 16 and {p.role for p in principals} == {Role.caseworker}
    assert len(hops) == 1, "one thread-pool hop for sixteen requests"
