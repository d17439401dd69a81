"""Errors in bokmål for ``Accept-Language: nb`` and English otherwise, from the one catalogue (api/i18n), with
Norwegian field labels for request-validation errors; Norwegian number/date formatting by Babel."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.i18n import field_label, negotiate, rule_text
from api.i18n.catalogue import PYDANTIC, RULES
from api.i18n.formatting import day, nok, number, percent
from api.main import create_app
from api.seed import DEMO_KEYS
from api.settings import Settings
from models.api_keys import Role

ROOT = Path(__file__).resolve().parents[2]
NB = {"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"}
ENGLISH_WORDS = re.compile(r"\b(Input|should|must|the|is|Field required|less than)\b")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("i18n") / "db.sqlite"
    app = create_app(Settings(environment="test", database_url=f"sqlite:///{db}", demo_data=True))
    with TestClient(app) as c:
        c.headers["X-API-Key"] = DEMO_KEYS[Role.caseworker]
        yield c


def affordability(age: int = 34) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((ROOT / "examples" / "affordability.json").read_text(encoding="utf-8"))
    body["household"]["members"][0]["age"] = age
    return body


def test_accept_language_negotiation() -> None:
    assert negotiate("nb") == "nb"
    assert negotiate("nb-NO,nb;q=0.9,en;q=0.8") == "nb"
    assert negotiate("no") == "nb" and negotiate("nn-NO") == "nb"
    assert negotiate("en-GB,nb;q=0.5") == "en"
    assert negotiate("de, nb;q=0.4") == "nb"
    assert negotiate(None) == "en" and negotiate("") == "en" and negotiate("fr") == "en"


def test_validation_error_in_bokmal_with_norwegian_field_label(client: TestClient) -> None:
    answer = client.post("/v1/affordability", json=affordability(age=130), headers=NB)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["title"] == "Ugyldige opplysninger"
    [error] = problem["errors"]
    assert error["field"] == "household.members.0.age"  # the machine path stays
    assert error["message"] == "Må være høyst 120"
    assert problem["detail"] == "Opplysningene følger ikke reglene: Husstand, person nr. 1, alder: Må være høyst 120"
    assert not ENGLISH_WORDS.search(problem["detail"]), problem["detail"]


def test_same_error_in_english_without_the_header(client: TestClient) -> None:
    problem = client.post("/v1/affordability", json=affordability(age=130)).json()
    assert problem["title"] == "Invalid input"
    assert problem["errors"][0]["message"] == "Must be at most 120"
    assert problem["detail"] == "The request does not follow the rules: household.members.0.age: Must be at most 120"


def test_missing_field_and_wrong_type_in_bokmal(client: TestClient) -> None:
    body = affordability()
    del body["income"]
    body["housing_costs_monthly"] = "mye"
    problem = client.post("/v1/affordability", json=body, headers=NB).json()
    messages = {e["field"]: e["message"] for e in problem["errors"]}
    assert messages["income"] == "Må fylles ut"
    housing = [m for f, m in messages.items() if f.startswith("housing_costs_monthly")]
    assert "Må være et tall" in housing
    assert "Boutgifter per måned: Må være et tall" in problem["detail"]
    assert "Inntekt: Må fylles ut" in problem["detail"]


def test_domain_rule_in_bokmal(client: TestClient) -> None:
    body = affordability()
    body["household"]["members"] = [{"age": 10, "sex": "female"}]
    problem = client.post("/v1/affordability", json=body, headers=NB).json()
    assert problem["errors"][0]["rule"] == "at-least-one-adult"
    assert problem["errors"][0]["message"] == RULES["at-least-one-adult"]
    assert problem["detail"].endswith(RULES["at-least-one-adult"])
    english = client.post("/v1/affordability", json=body).json()
    assert "at least one member aged 18" in english["detail"]


def test_auth_problems_in_bokmal(client: TestClient) -> None:
    answer = client.get("/v1/parameter-sets", headers={**NB, "X-API-Key": "le_" + "x" * 30})
    assert answer.status_code == 401
    problem = answer.json()
    assert problem["title"] == "Ikke autentisert"
    assert problem["detail"] == "API-nøkkelen er ukjent eller trukket tilbake."
    english = client.get("/v1/parameter-sets", headers={"X-API-Key": "le_" + "x" * 30}).json()
    assert english["detail"] == "The API key is unknown or revoked."
    forbidden = client.get("/v1/portfolios", headers=NB).json()
    assert forbidden["status"] == 403
    assert "økonomi" in forbidden["detail"] and "administrator" in forbidden["detail"]


def test_not_found_and_malformed_json_in_bokmal(client: TestClient) -> None:
    assert client.get("/v1/nothing-here", headers=NB).json()["title"] == "Finnes ikke"
    answer = client.post("/v1/affordability", content=b"{not json", headers={**NB, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "Forespørselen er ikke gyldig JSON."


def test_every_rule_in_the_code_has_a_bokmal_sentence() -> None:
    """One catalogue: a rule id raised anywhere in the code must have its bokmål sentence there."""
    found = subprocess.run(
        ["grep", "-rhoE", r"rule=f?\"[a-z0-9{}._-]+\"", "loan_engine", "api", "models"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rules = {re.sub(r"\{[^}]+\}", "100", r.split('"')[1]) for r in found}
    rules.discard("role-")
    missing = sorted(r for r in rules if rule_text(r) is None)
    assert len(rules) > 100
    assert missing == []
    assert rule_text("role-caseworker") == "Dette krever rollen saksbehandler; nøkkelen din har en annen rolle."


def test_catalogue_has_both_languages_for_validation_types() -> None:
    assert all(set(v) == {"en", "nb"} for v in PYDANTIC.values())
    assert field_label("existing_debts.1.balance", "nb") == "Eksisterende lån nr. 2, restgjeld"
    assert field_label("existing_debts.1.balance", "en") == "existing_debts.1.balance"


def test_norwegian_formatting() -> None:
    assert nok(1_000_000) == "1\u00a0000\u00a0000\u00a0kr"
    assert nok(3_126_878.4, "en") == "NOK 3,126,878"
    assert percent(52.72) == "52,7\u00a0%"
    assert number(-0.126, 2).replace("\u2212", "-") == "-0,13"
    assert day(date(2026, 3, 1)) == "1. mars 2026"
    assert day("2026-03-01", style="short") == "01.03.2026"
