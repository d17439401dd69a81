"""Data the service needs on first start: the built-in parameter sets and, in development, demo keys.

Demo keys are public (they are printed in the README) and therefore refused in production by the settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from models import api_keys
from models.api_keys import Role

DEMO_KOMMUNE = "0301"
DEMO_KEYS: dict[Role, str] = {
    Role.caseworker: "le_demo-caseworker-0301-secret",
    Role.finance: "le_demo-finance-0301-secret",
    Role.admin: "le_demo-admin-0301-secret",
}

# Further seeders (built-in parameter sets, demo portfolio, ...) register here: fn(session, demo) -> None.
SEEDERS: list[Callable[[Session, bool], None]] = []


@dataclass
class SeedReport:
    keys_created: int = 0


def seed_demo_keys(session: Session) -> int:
    created = 0
    for role, secret in DEMO_KEYS.items():
        if api_keys.find_active(session, secret) is None:
            api_keys.create_key(
                session, role=role, kommune_number=DEMO_KOMMUNE, label=f"demo {role.value}", secret=secret
            )
            created += 1
    return created


def seed(session: Session, *, demo: bool) -> SeedReport:
    """Idempotent: safe to run at every start."""
    report = SeedReport()
    for seeder in SEEDERS:
        seeder(session, demo)
    if demo:
        report.keys_created = seed_demo_keys(session)
    session.commit()
    return report
