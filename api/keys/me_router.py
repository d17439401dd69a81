"""``GET /v1/me``: who the API key is — its role, kommune and label (never the secret). The web pages use it to put
the kommune on a printed case file and to offer what the role may do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import select

from api.deps import AnyRoleDep, SessionDep
from api.problems import problem_responses
from models.api_keys import ApiKey, Role

router = APIRouter(prefix="/v1/me", tags=["access"])


class MeOut(BaseModel):
    key_id: str
    role: Role
    kommune_number: str
    label: str


@router.get(
    "", response_model=MeOut, summary="The calling key: role, kommune, label", responses=problem_responses(401, 403)
)
def who_am_i(session: SessionDep, principal: AnyRoleDep) -> MeOut:
    key = session.exec(select(ApiKey).where(ApiKey.id == principal.key_id)).first()
    return MeOut(
        key_id=principal.key_id,
        role=principal.role,
        kommune_number=principal.kommune_number,
        label=key.label if key else "",
    )
