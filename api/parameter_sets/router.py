"""``GET /v1/parameter-sets`` and ``GET /v1/parameter-sets/{id}``: the SIFO tables, floors, rates and kommune rules
in force, each value with its source and status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AnyRoleDep, SessionDep
from api.parameter_sets import service
from api.problems import problem_responses
from api.underwriting.schemas import ParameterSetOut, ParameterSetSummary, ParameterValueOut
from models import parameter_sets as repo
from models.parameter_sets import StoredParameterSet

router = APIRouter(prefix="/v1/parameter-sets", tags=["parameter-sets"])


def _summary(row: StoredParameterSet) -> ParameterSetSummary:
    return ParameterSetSummary(
        id=row.set_id,
        version=row.version,
        valid_from=row.valid_from.isoformat(),
        kommune_number=row.kommune_number,
        description=row.description,
        checksum=row.checksum,
    )


@router.get(
    "",
    response_model=list[ParameterSetSummary],
    summary="List the stored parameter sets (every version), newest first",
    responses=problem_responses(401, 403),
)
def list_parameter_sets(session: SessionDep, principal: AnyRoleDep) -> list[ParameterSetSummary]:
    return [_summary(row) for row in repo.list_all(session)]


@router.get(
    "/{set_id}",
    response_model=ParameterSetOut,
    summary="One parameter set with every value, its unit, source and status",
    responses=problem_responses(401, 403, 404, 422),
)
def get_parameter_set(
    session: SessionDep,
    principal: AnyRoleDep,
    set_id: Annotated[str, Path(min_length=1, max_length=64, description="Parameter-set id")],
    version: Annotated[int | None, Query(ge=1, le=1_000_000, description="Version (default: the highest)")] = None,
) -> ParameterSetOut:
    row = service.resolve(session, set_id=set_id, version=version)
    ps = service.parsed(row)
    return ParameterSetOut(
        **_summary(row).model_dump(),
        values={k: ParameterValueOut(**v.model_dump()) for k, v in ps.values.items()},
    )
