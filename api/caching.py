"""In-process caches on the request hot path, with their staleness bounds (docs/operations.md, "Caches").

* :class:`ApiKeyCache` — who an API key is (its id, role and kommune), keyed by the key's SHA-256 hash (the secret
  itself is never kept). An entry lives ``LOAN_ENGINE_API_KEY_CACHE_SECONDS`` (default 5 s). Revoking a key in
  this process drops it at once (:func:`forget_api_key`); a key revoked by another process (another worker, the
  CLI) is refused here within that many seconds. Unknown or revoked keys are never cached (each such request asks
  the database), so the cache cannot be filled with made-up keys.
* :class:`ParameterSetCatalogue` — the stored parameter sets' identities (id, version, valid from, kommune,
  checksum; not their documents), from which the set in force is picked with the same rule as the database query
  (:func:`models.parameter_sets.pick_in_force`). Loading a set in this process drops it at once
  (:func:`forget_parameter_sets`, also after the commit); another process's load is seen within
  ``LOAN_ENGINE_PARAMETER_SET_CACHE_SECONDS`` (default 2 s): after that long the catalogue is re-validated with one
  cheap query (row count, highest key and newest load time: stored versions are insert-only, so any load changes
  it) and re-read only when that changed. The parsed documents themselves are cached by checksum in
  :mod:`api.parameter_sets.service` (a document is immutable once stored).

A setting of 0 turns the cache off (every request asks the database). Every cache instance registers itself, so
the "forget" functions reach all apps in the process (tests create several).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.parameter_sets import StoredParameterSet

Clock = Callable[[], float]


class _HasKeyId(Protocol):
    @property
    def key_id(self) -> str: ...


P = TypeVar("P", bound=_HasKeyId)

_key_caches: weakref.WeakSet[ApiKeyCache[Any]] = weakref.WeakSet()
_catalogues: weakref.WeakSet[ParameterSetCatalogue] = weakref.WeakSet()


_LOOKUP_STRIPES = 64
T = TypeVar("T")


class _LeaderGone(Exception):
    """The request running a shared call was cancelled: the ones waiting for it run the call themselves."""


class SingleFlight:
    """At most one call in flight per key (and event loop): a request that arrives while the call runs awaits
    its result instead of starting its own. Used where an expired cache entry sends the database lookup to the
    thread pool: without it every request in flight hops to its own thread when the entry expires (16 at once
    under load), and the GIL hand-offs between them stall the event loop for tens of milliseconds. The result (or
    the error) is shared; a cancelled leader hands over to the next waiter."""

    def __init__(self) -> None:
        self._inflight: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        while (shared := self._inflight.get(slot)) is not None:
            try:
                return cast(T, await asyncio.shield(shared))
            except _LeaderGone:
                continue
        mine: asyncio.Future[Any] = loop.create_future()
        self._inflight[slot] = mine
        try:
            result = await call()
        except asyncio.CancelledError:
            mine.set_exception(_LeaderGone())
            mine.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        except Exception as exc:
            mine.set_exception(exc)
            mine.exception()
            raise
        else:
            mine.set_result(result)
            return result
        finally:
            if self._inflight.get(slot) is mine:
                del self._inflight[slot]


class ApiKeyCache(Generic[P]):
    """key hash -> principal, for ``ttl_seconds``; at most ``max_entries`` (least recently used go first)."""

    def __init__(self, ttl_seconds: float, max_entries: int = 4096, clock: Clock = time.monotonic) -> None:
        self.ttl = float(ttl_seconds)
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, P]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every forget: a lookup that raced a revoke is not stored
        self._lookup_locks = tuple(threading.Lock() for _ in range(_LOOKUP_STRIPES))
        _key_caches.add(self)

    def lookup_lock(self, key_hash: str) -> threading.Lock:
        """Held while the database is asked about ``key_hash``: requests that missed together (an entry expired
        with many requests in flight) wait for the first lookup and take its answer from the cache, instead of
        each asking the database. Striped: keys share ``_LOOKUP_STRIPES`` locks."""
        return self._lookup_locks[int(key_hash[:8], 16) % _LOOKUP_STRIPES]

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key_hash: str) -> P | None:
        if not self.enabled:
            return None
        with self._lock:
            hit = self._entries.get(key_hash)
            if hit is None:
                return None
            expires, principal = hit
            if self._clock() >= expires:
                del self._entries[key_hash]
                return None
            self._entries.move_to_end(key_hash)
            return principal

    def generation(self) -> int:
        """Take this before looking a key up in the database; pass it to :meth:`put`."""
        return self._generation

    def put(self, key_hash: str, principal: P, generation: int | None = None) -> None:
        if not self.enabled:
            return
        with self._lock:
            if generation is not None and generation != self._generation:
                return  # a key was revoked meanwhile: this answer may be stale, do not keep it
            self._entries[key_hash] = (self._clock() + self.ttl, principal)
            self._entries.move_to_end(key_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_key_id(self, key_id: str) -> None:
        with self._lock:
            self._generation += 1
            for key_hash in [h for h, (_, p) in self._entries.items() if p.key_id == key_id]:
                del self._entries[key_hash]

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def forget_api_key(key_id: str) -> None:
    """Drop a (revoked) key from every key cache in this process."""
    for cache in list(_key_caches):
        cache.forget_key_id(key_id)


@dataclass(frozen=True)
class CatalogueEntry:
    """A stored parameter set's identity; enough to pick the set in force and to find its document."""

    pk: int
    set_id: str
    version: int
    valid_from: date
    kommune_number: str | None
    checksum: str


Stamp = tuple[int, int | None, datetime | str | None]


@dataclass(frozen=True)
class _Snapshot:
    entries: tuple[CatalogueEntry, ...]
    stamp: Stamp
    valid_until: float


def catalogue_stamp(session: Session) -> Stamp:
    """What changes whenever a set is stored (the table is insert-only): count, highest key, newest load."""
    count, max_pk, newest = session.exec(
        select(func.count(), func.max(StoredParameterSet.pk), func.max(StoredParameterSet.loaded_at))
    ).one()
    return int(count), max_pk, newest


def read_catalogue(session: Session) -> tuple[CatalogueEntry, ...]:
    table = StoredParameterSet.__table__.c  # type: ignore[attr-defined]
    stmt = sa_select(  # sqlmodel's select takes at most four columns
        table.pk, table.set_id, table.version, table.valid_from, table.kommune_number, table.checksum
    ).order_by(table.pk)
    rows = session.connection().execute(stmt).all()
    return tuple(
        CatalogueEntry(pk=int(pk or 0), set_id=s, version=v, valid_from=vf, kommune_number=k, checksum=c)
        for pk, s, v, vf, k, c in rows
    )


class ParameterSetCatalogue:
    """The stored sets' identities for one database, re-validated after ``check_seconds``."""

    def __init__(self, check_seconds: float, clock: Clock = time.monotonic) -> None:
        self.check_seconds = float(check_seconds)
        self._clock = clock
        self._snapshots: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()
        self._generation = 0
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()  # one re-validation at a time; the others wait and take its answer
        self.reads = 0  # full catalogue reads (tests and the benchmark look at it)
        self.checks = 0  # cheap re-validation queries
        _catalogues.add(self)

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._snapshots.clear()

    def peek(self, engine: Engine) -> Sequence[CatalogueEntry] | None:
        """The entries if they are fresh, else ``None`` (then call :meth:`entries`, which may query)."""
        snap = self._snapshots.get(engine)
        if snap is not None and self._clock() < snap.valid_until:
            return snap.entries
        return None

    def entries(self, engine: Engine) -> Sequence[CatalogueEntry]:
        fresh = self.peek(engine)
        if fresh is not None:
            return fresh
        with self._refresh_lock:  # requests in flight when the snapshot went stale: one query, not one each
            return self._refresh(engine)

    def _refresh(self, engine: Engine) -> Sequence[CatalogueEntry]:
        now = self._clock()
        snap = self._snapshots.get(engine)
        if snap is not None and now < snap.valid_until:
            return snap.entries  # refreshed by the request this one waited for
        generation = self._generation
        with Session(engine) as session:
            stamp = catalogue_stamp(session)
            self.checks += 1
            if snap is not None and stamp == snap.stamp:
                entries = snap.entries
            else:
                entries = read_catalogue(session)
                self.reads += 1
        with self._lock:
            if generation == self._generation:  # not invalidated while we were reading
                self._snapshots[engine] = _Snapshot(entries, stamp, now + self.check_seconds)
        return entries


def forget_parameter_sets() -> None:
    """A set was stored: every catalogue in this process reads the table again on next use."""
    for catalogue in list(_catalogues):
        catalogue.invalidate()
