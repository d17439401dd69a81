"""Data the service needs on first start: the built-in parameter sets and, in development, demo keys.

Demo keys are public (they are printed in the README) and therefore refused in production by the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from models import api_keys
from models.api_keys import ApiKey, Role
from models.common import insert_if_absent

DEMO_KOMMUNE = "0301"
DEMO_KEYS: dict[Role, str] = {
    Role.caseworker: "le_demo-caseworker-0301-secret",
    Role.finance: "le_demo-finance-0301-secret",
    Role.admin: "le_demo-admin-0301-secret",
}


def _seeders() -> list[Callable[[Session, bool], None]]:
    """Every seeder, listed explicitly: fn(session, demo) -> None, each insert-if-absent."""
    from api.parameter_sets.service import seed_builtin_sets

    return [seed_builtin_sets]


@dataclass
class SeedReport:
    keys_created: int = 0


def seed_demo_keys(session: Session) -> int:
    """Insert-if-absent (by key hash): safe when several processes seed at once; a revoked demo key stays revoked."""
    created = 0
    for role, secret in DEMO_KEYS.items():
        key = ApiKey(
            key_hash=api_keys.hash_key(secret),
            prefix=secret[:10],
            role=role.value,
            kommune_number=DEMO_KOMMUNE,
            label=f"demo {role.value}",
        )
        if insert_if_absent(session, key, ["key_hash"]):
            created += 1
    return created


def seed(session: Session, *, demo: bool) -> SeedReport:
    """Idempotent: safe to run at every start."""
    report = SeedReport()
    for seeder in _seeders():
        seeder(session, demo)
    if demo:
        report.keys_created = seed_demo_keys(session)
    session.commit()
    return report
