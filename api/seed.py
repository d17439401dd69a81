"""Data the service needs on first start: the built-in parameter sets and, with demo data, demo keys, a demo
portfolio and a few demo cases (one draft, one assessed, one decided) for kommune 0301.

Demo data is public (the keys are printed in the README) and therefore refused in production by the settings.
Everything is insert-if-absent: a demo record that exists (by name, or by its idempotency key) is left alone, so
the seed runs at every start, also from several processes at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
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


DEMO_PORTFOLIO = "demo-portefølje"
DEMO_PORTFOLIO_LOANS = 500
_HOUSEHOLD: dict[str, Any] = {
    "household": {"members": [{"age": 35, "sex": "female"}, {"age": 37, "sex": "male"}, {"age": 6, "sex": "male"}]},
    "income": {"net_monthly": 52000},
    "housing_costs_monthly": 4500,
}
# (reference, requested loan, price, what happens to it)
DEMO_CASES: tuple[tuple[str, int, int, str], ...] = (
    ("DEMO/2026-001", 2_000_000, 3_200_000, "draft"),
    ("DEMO/2026-002", 1_800_000, 2_900_000, "assessed"),
    ("DEMO/2026-003", 1_500_000, 2_600_000, "decided"),
)


@dataclass
class SeedReport:
    keys_created: int = 0
    portfolios_created: int = 0
    cases_created: int = 0


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


def seed_demo_portfolio(session: Session) -> int:
    """A synthetic loan book for the finance page and the README's stress test (insert-if-absent by name)."""
    from api.portfolio import portfolios_service
    from models.portfolios import get_by_name

    if get_by_name(session, DEMO_KOMMUNE, DEMO_PORTFOLIO) is not None:
        return 0
    try:
        portfolios_service.create_synthetic(session, DEMO_PORTFOLIO, DEMO_KOMMUNE, None, DEMO_PORTFOLIO_LOANS, 2026)
        session.commit()
    except IntegrityError:  # another process seeded it at the same moment
        session.rollback()
        return 0
    return 1


def _demo_application(requested: int, price: int) -> dict[str, Any]:
    return {
        "purpose": "purchase",
        "requested_loan": requested,
        "affordability": _HOUSEHOLD,
        "financing_plan": {**_HOUSEHOLD, "purchase": {"price": price, "costs": 80_000, "equity": 100_000}},
    }


def seed_demo_cases(session: Session) -> int:
    """Three demo cases of the demo caseworker: a draft, an assessed and a decided one. Each is created with an
    idempotency key, so a second start (or a second process) replays it instead of making another."""
    from api.cases import service
    from api.cases.schemas import AssessmentRequest, CalculationKind, CaseCreate, DecisionIn
    from loan_engine.errors import DomainError

    key = api_keys.find_active(session, DEMO_KEYS[Role.caseworker])
    if key is None:
        return 0
    actor = service.Actor(key_id=key.id, role=Role.caseworker.value, kommune_number=DEMO_KOMMUNE)
    created = 0
    for reference, requested, price, stage in DEMO_CASES:
        body = CaseCreate.model_validate({"reference": reference, "application": _demo_application(requested, price)})
        try:
            made = service.create_case(session, actor, body, idempotency_key=f"demo-seed-{reference}")
            if made.replayed:
                continue
            created += 1
            case_id = made.case.id
            if stage == "draft":
                continue
            calc = service.assess(session, actor, case_id, AssessmentRequest(kind=CalculationKind.financing_plan))
            if stage == "decided":
                loan = min(requested, int(calc.max_loan or 0))
                decision = DecisionIn.model_validate(
                    {
                        "outcome": "granted",
                        "loan_amount": loan,
                        "grant_amount": 0,
                        "terms": {"term_years": 30, "rate_type": "floating", "repayment": "annuity"},
                        "conditions": ["Pant med første prioritet."],
                        "reason": "Husstanden har betjeningsevne for lånet (demo).",
                    }
                )
                service.decide(
                    session,
                    actor,
                    case_id,
                    decision,
                    expected_version=service.visible_case(session, actor, case_id).version,
                )
        except (DomainError, IntegrityError):  # raced with another process, or a demo rule changed: skip it
            session.rollback()
    return created


def seed(session: Session, *, demo: bool) -> SeedReport:
    """Idempotent: safe to run at every start."""
    report = SeedReport()
    for seeder in _seeders():
        seeder(session, demo)
    if demo:
        report.keys_created = seed_demo_keys(session)
        session.commit()
        report.portfolios_created = seed_demo_portfolio(session)
        report.cases_created = seed_demo_cases(session)
    session.commit()
    return report
