"""API keys through the API (admin): create (the secret is shown once), list (never secrets), revoke.

An admin manages the keys of its own kommune; the command line (`loan-engine keys …`) manages all of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.caching import forget_api_key
from api.cases.schemas import InputDocument
from api.deps import AdminDep, SessionDep
from api.problems import problem_responses
from loan_engine.errors import Conflict, NotFound
from models import api_keys, audit
from models.api_keys import ApiKey, Role
from models.common import utcnow

router = APIRouter(prefix="/v1/admin/keys", tags=["admin"])


class KeyCreate(InputDocument):
    role: Role
    label: str = Field(default="", max_length=200, description="Whose key this is.")


class KeyOut(BaseModel):
    id: str
    prefix: str
    role: Role
    kommune_number: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="The key itself. Shown once; only its hash is stored.")


def _out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.id,
        prefix=key.prefix,
        role=Role(key.role),
        kommune_number=key.kommune_number,
        label=key.label,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=KeyCreated,
    summary="Create an API key for the admin's kommune (the secret is shown once)",
    responses=problem_responses(401, 403, 422),
)
def create_key(body: KeyCreate, session: SessionDep, principal: AdminDep) -> KeyCreated:
    key, secret = api_keys.create_key(
        session, role=body.role, kommune_number=principal.kommune_number, label=body.label
    )
    out = _out(key)
    audit.record(
        session,
        actor_key_id=principal.key_id,
        actor_role=principal.role.value,
        action="api-key.create",
        entity_type="api_key",
        entity_id=key.id,
        after=out.model_dump(mode="json"),
    )
    session.commit()
    return KeyCreated(**out.model_dump(), secret=secret)


@router.get(
    "",
    response_model=list[KeyOut],
    summary="The kommune's API keys (never the secrets)",
    responses=problem_responses(401, 403),
)
def list_keys(session: SessionDep, principal: AdminDep) -> list[KeyOut]:
    rows = session.exec(
        select(ApiKey).where(ApiKey.kommune_number == principal.kommune_number).order_by(col(ApiKey.created_at))
    ).all()
    return [_out(k) for k in rows]


@router.post(
    "/{key_id}/revoke",
    response_model=KeyOut,
    summary="Revoke a key at once",
    responses=problem_responses(401, 403, 404, 409),
)
def revoke_key(key_id: Annotated[str, Path(max_length=64)], session: SessionDep, principal: AdminDep) -> KeyOut:
    key = session.get(ApiKey, key_id) if key_id.isascii() and key_id.isalnum() else None
    if key is None or key.kommune_number != principal.kommune_number:
        raise NotFound(f"No key {key_id}.", field="key_id", rule="api-key-exists")
    if key.id == principal.key_id:
        raise Conflict("You cannot revoke the key you are using.", field="key_id", rule="cannot-revoke-own-key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        audit.record(
            session,
            actor_key_id=principal.key_id,
            actor_role=principal.role.value,
            action="api-key.revoke",
            entity_type="api_key",
            entity_id=key.id,
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at.isoformat()},
        )
        session.commit()
    forget_api_key(key.id)  # refused at once in this process; elsewhere within the key cache's lifetime
    return _out(key)
