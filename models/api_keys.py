"""API keys: stored hashed (SHA-256 of a high-entropy secret), each with one role and a kommune."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from models.common import new_id, timestamp_column, utcnow
from models.roles import Role as Role  # re-exported (defined without the database layer, for the CLI)

KEY_PATTERN = re.compile(r"^le_[A-Za-z0-9_-]{20,128}$")


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16, description="First characters of the key, to recognise it in lists.")
    role: str = Field(max_length=16)
    kommune_number: str = Field(max_length=4, description="Kommunenummer (4 digits) the key acts for.")
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_secret() -> str:
    return "le_" + secrets.token_urlsafe(32)


def is_well_formed(secret: str) -> bool:
    return bool(KEY_PATTERN.fullmatch(secret))


def create_key(
    session: Session, *, role: Role, kommune_number: str, label: str = "", secret: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key; returns the record and the secret (shown once, never stored)."""
    secret = secret or generate_secret()
    if not is_well_formed(secret):
        raise ValueError("an API key must look like le_ followed by 20-128 URL-safe characters")
    key = ApiKey(
        key_hash=hash_key(secret), prefix=secret[:10], role=role.value, kommune_number=kommune_number, label=label
    )
    session.add(key)
    session.flush()
    return key, secret


def find_active(session: Session, secret: str) -> ApiKey | None:
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key
