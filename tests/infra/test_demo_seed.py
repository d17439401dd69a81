"""Demo data: a demo portfolio and three demo cases (draft, assessed, decided) for kommune 0301, inserted only
when absent — a second start, or a second process, adds nothing — and never without demo data."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.seed import DEMO_CASES, DEMO_KEYS, DEMO_PORTFOLIO, DEMO_PORTFOLIO_LOANS
from api.settings import Settings
from models.api_keys import Role


def _state(client: TestClient) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    cases = client.get("/v1/cases", headers={"X-API-Key": DEMO_KEYS[Role.caseworker]}).json()["items"]
    books = client.get("/v1/portfolios", headers={"X-API-Key": DEMO_KEYS[Role.finance]}).json()["items"]
    return sorted((c["reference"], c["status"]) for c in cases), [(p["name"], p["loan_count"]) for p in books]


def test_demo_portfolio_and_cases_are_seeded_once(tmp_path: Path) -> None:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", demo_data=True)
    with TestClient(create_app(settings)) as client:
        first = _state(client)
    assert first[0] == sorted((ref, stage) for ref, _, _, stage in DEMO_CASES)
    assert first[1] == [(DEMO_PORTFOLIO, DEMO_PORTFOLIO_LOANS)]
    with TestClient(create_app(settings)) as client:
        assert _state(client) == first
        case_id = client.get(
            "/v1/cases", params={"status": "decided"}, headers={"X-API-Key": DEMO_KEYS[Role.caseworker]}
        ).json()["items"][0]["id"]
        case = client.get(f"/v1/cases/{case_id}", headers={"X-API-Key": DEMO_KEYS[Role.caseworker]}).json()
    decision = case["decisions"][-1]
    assert decision["outcome"] == "granted" and decision["against_advice"] is False
    assert decision["loan_amount"] <= case["calculations"][-1]["max_loan"]


def test_no_demo_records_without_demo_data(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with TestClient(create_app(Settings(environment="test", database_url=db, demo_data=False))):
        pass
    from sqlmodel import Session, select

    from models import db as database
    from models.cases import Case
    from models.portfolios import Portfolio

    with Session(database.get_engine(db)) as session:
        assert session.exec(select(Case)).first() is None
        assert session.exec(select(Portfolio)).first() is None
