"""Parameter sets as stored, versioned records: seed the built-in ones, resolve the one to use, load new ones.

A calculation names the set it used (id and version); recomputing with that stored set reproduces it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from sqlmodel import Session

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


@lru_cache(maxsize=64)
def _parse_cached(checksum: str, document_json: str) -> ParameterSet:
    import json

    return parse_parameter_set(json.loads(document_json))


def parsed(row: StoredParameterSet) -> ParameterSet:
    import json

    return _parse_cached(row.checksum, json.dumps(row.document, sort_keys=True))


@lru_cache(maxsize=64)
def _view_cached(checksum: str, document_json: str) -> UnderwritingParameters:
    return underwriting_parameters(_parse_cached(checksum, document_json))


def underwriting_view(row: StoredParameterSet) -> UnderwritingParameters:
    import json

    return _view_cached(row.checksum, json.dumps(row.document, sort_keys=True))


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
            what = f"{set_id} v{version}" if version is not None else set_id
            raise NotFound(f"No parameter set {what}.", field="parameter_set.id", rule="parameter-set-exists")
        return row
    row = repo.in_force(session, on or date.today(), kommune_number)
    if row is None:
        raise NotFound(
            f"No parameter set is in force on {(on or date.today()).isoformat()}.",
            field="parameter_set",
            rule="parameter-set-in-force",
        )
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
    return _store(session, ps, loaded_by)
