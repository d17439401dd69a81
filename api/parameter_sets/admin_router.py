"""Loading new parameter sets (or new versions) through the API: admin only; validated; stored versions are never
changed (a duplicate id + version is a 409)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from api.cases.schemas import has_nul
from api.deps import AdminDep, SessionDep
from api.parameter_sets import service
from api.problems import problem_responses
from loan_engine.errors import Conflict, InvalidInput
from models import audit
from models.parameter_sets import StoredParameterSet

router = APIRouter(prefix="/v1/parameter-sets", tags=["parameter-sets"])


class LoadedParameterSet(BaseModel):
    id: str
    version: int
    valid_from: date
    kommune_number: str | None
    description: str
    checksum: str
    loaded_at: datetime
    loaded_by: str | None


def loaded_view(row: StoredParameterSet) -> LoadedParameterSet:
    return LoadedParameterSet(
        id=row.set_id,
        version=row.version,
        valid_from=row.valid_from,
        kommune_number=row.kommune_number,
        description=row.description,
        checksum=row.checksum,
        loaded_at=row.loaded_at,
        loaded_by=row.loaded_by,
    )


@router.post(
    "",
    status_code=201,
    response_model=LoadedParameterSet,
    summary="Load and validate a new parameter set or version (admin)",
    responses=problem_responses(400, 401, 403, 409, 413, 422),
)
def load_parameter_set(
    session: SessionDep,
    principal: AdminDep,
    document: dict[str, Any] = Body(
        description="A parameter-set document: id, version, valid_from, kommune_number, description, values "
        "(each value with unit, source and status)."
    ),
) -> JSONResponse:
    if has_nul(document):
        raise InvalidInput(
            "Text in a parameter set must not contain NUL characters.", field="parameter_set", rule="no-nul-characters"
        )
    row = service.load(session, document, loaded_by=principal.key_id)
    view = loaded_view(row)
    audit.record(
        session,
        actor_key_id=principal.key_id,
        actor_role=principal.role.value,
        action="parameter-set.load",
        entity_type="parameter_set",
        entity_id=f"{row.set_id}@{row.version}",
        after=view.model_dump(mode="json"),
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"Parameter set {row.set_id} v{row.version} was loaded at the same moment by someone else.",
            field="parameter_set.version",
            rule="parameter-set-version-unique",
        ) from None
    location = f"/v1/parameter-sets/{row.set_id}?version={row.version}"
    return JSONResponse(view.model_dump(mode="json"), status_code=201, headers={"Location": location})
