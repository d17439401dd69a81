"""Parameter sets as stored, versioned records: seed the built-in ones, resolve the one to use, load new ones.

A calculation names the set it used (id and version); recomputing with that stored set reproduces it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.caching import CatalogueEntry, ParameterSetCatalogue, SingleFlight, forget_parameter_sets
from loan_engine.errors import Conflict, NotFound
from loan_engine.parameters import (
    ParameterSet,
    UnderwritingParameters,
    builtin_parameter_sets,
    parse_parameter_set,
    underwriting_parameters,
)
from models import parameter_sets as repo
from models.common import insert_if_absent
from models.parameter_sets import StoredParameterSet


def seed_builtin_sets(session: Session, _demo: bool) -> None:
    """Store every built-in set that is not stored yet (never overwrites a stored version). Insert-if-absent,
    so that several processes starting at once on one database do not collide."""
    for ps in builtin_parameter_sets():
        if repo.get(session, ps.id, ps.version) is None:
            row = StoredParameterSet(
                set_id=ps.id,
                version=ps.version,
                valid_from=ps.valid_from,
                kommune_number=ps.kommune_number,
                description=ps.description,
                document=(document := ps.model_dump(mode="json")),
                checksum=repo.checksum(document),
                loaded_by=None,
            )
            insert_if_absent(session, row, ["set_id", "version"])


def _store(session: Session, ps: ParameterSet, loaded_by: str | None) -> StoredParameterSet:
    return repo.store(
        session,
        set_id=ps.id,
        version=ps.version,
        valid_from=ps.valid_from,
        kommune_number=ps.kommune_number,
        description=ps.description,
        document=ps.model_dump(mode="json"),
        loaded_by=loaded_by,
    )


# Parsed documents by checksum (a stored document never changes; the checksum is its SHA-256). Bounded; the
# hot path finds its entry without decoding or re-encoding the document (docs/operations.md, "Caches").
_PARSED_MAX = 64
_parsed: dict[str, tuple[ParameterSet, UnderwritingParameters]] = {}
_parsed_lock = threading.Lock()


def _remember(checksum: str, document: dict[str, Any]) -> tuple[ParameterSet, UnderwritingParameters]:
    hit = _parsed.get(checksum)
    if hit is not None:
        return hit
    ps = parse_parameter_set(document)
    entry = (ps, underwriting_parameters(ps))
    with _parsed_lock:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.pop(next(iter(_parsed)))
        _parsed[checksum] = entry
    return entry


def parsed(row: StoredParameterSet) -> ParameterSet:
    return _remember(row.checksum, row.document)[0]


def underwriting_view(row: StoredParameterSet) -> UnderwritingParameters:
    return _remember(row.checksum, row.document)[1]


def _not_named(set_id: str, version: int | None) -> NotFound:
    what = f"{set_id} v{version}" if version is not None else set_id
    return NotFound(f"No parameter set {what}.", field="parameter_set.id", rule="parameter-set-exists")


def _not_in_force(on: date) -> NotFound:
    return NotFound(
        f"No parameter set is in force on {on.isoformat()}.", field="parameter_set", rule="parameter-set-in-force"
    )


def _pick(
    entries: Sequence[CatalogueEntry], set_id: str | None, version: int | None, on: date | None, kommune: str | None
) -> CatalogueEntry:
    if set_id is not None:
        entry = repo.pick_by_id(entries, set_id, version)
        if entry is None:
            raise _not_named(set_id, version)
        return entry
    day = on or date.today()
    found = repo.pick_in_force(entries, day, kommune)
    if found is None:
        raise _not_in_force(day)
    return found


def cached_underwriting_view(
    engine: Engine,
    catalogue: ParameterSetCatalogue,
    *,
    set_id: str | None = None,
    version: int | None = None,
    on: date | None = None,
    kommune_number: str | None = None,
) -> UnderwritingParameters:
    """As ``underwriting_view(resolve(...))``, from the in-process catalogue: no database work while the catalogue
    is fresh and the document is parsed already. May query (blocking) when it is not."""
    entry = _pick(catalogue.entries(engine), set_id, version, on, kommune_number)
    hit = _parsed.get(entry.checksum)
    if hit is not None:
        return hit[1]
    with Session(engine) as session:
        row = session.get(StoredParameterSet, entry.pk)
        if row is None:  # cannot happen with insert-only storage; be safe anyway
            catalogue.invalidate()
            raise _not_named(entry.set_id, entry.version)
        return underwriting_view(row)


_lookups = SingleFlight()


async def cached_underwriting_view_async(
    engine: Engine,
    catalogue: ParameterSetCatalogue,
    *,
    set_id: str | None = None,
    version: int | None = None,
    on: date | None = None,
    kommune_number: str | None = None,
) -> UnderwritingParameters:
    """The same for ``async`` endpoints: answered on the event loop when everything is in memory (the usual case);
    the database is asked in the thread pool otherwise (the event loop never blocks on it)."""
    entries = catalogue.peek(engine)
    if entries is not None:
        hit = _parsed.get(_pick(entries, set_id, version, on, kommune_number).checksum)
        if hit is not None:
            return hit[1]
    lookup = partial(
        cached_underwriting_view,
        engine,
        catalogue,
        set_id=set_id,
        version=version,
        on=on,
        kommune_number=kommune_number,
    )
    # one thread-pool lookup for every request in flight that needs the same set when the catalogue goes stale
    return await _lookups.run(
        (id(engine), id(catalogue), set_id, version, on, kommune_number), lambda: run_in_threadpool(lookup)
    )


def resolve(
    session: Session,
    *,
    set_id: str | None = None,
    version: int | None = None,
    on: date | None = None,
    kommune_number: str | None = None,
) -> StoredParameterSet:
    """The set named by id (and version), else the one in force on ``on`` (today) for the kommune."""
    if set_id is not None:
        row = repo.get(session, set_id, version)
        if row is None:
            raise _not_named(set_id, version)
        return row
    day = on or date.today()
    row = repo.in_force(session, day, kommune_number)
    if row is None:
        raise _not_in_force(day)
    return row


def load(session: Session, document: dict[str, Any], loaded_by: str | None) -> StoredParameterSet:
    """Validate and store a new set (or a new version). An existing (id, version) is never overwritten."""
    ps = parse_parameter_set(document)
    if repo.get(session, ps.id, ps.version) is not None:
        raise Conflict(
            f"Parameter set {ps.id} v{ps.version} already exists; stored versions are never changed — "
            "load it with a higher version.",
            field="parameter_set.version",
            rule="parameter-set-version-unique",
        )
    row = _store(session, ps, loaded_by)
    # this process's catalogues read the table again: now, and once the new row is committed (a read between the
    # two could not see it yet); other processes see it within their re-validation interval
    forget_parameter_sets()
    event.listen(session, "after_commit", lambda _s: forget_parameter_sets(), once=True)
    return row
