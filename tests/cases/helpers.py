"""Shared test data for case tests: a household, applications, decisions."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

VALID_NATIONAL_ID = "15076500565"  # a well-formed (mod-11) number used only in tests


def affordability_request(net_monthly: float = 52_000) -> dict[str, Any]:
    return {
        "household": {"members": [{"age": 35, "sex": "female"}, {"age": 37, "sex": "male"}, {"age": 6, "sex": "male"}]},
        "income": {"net_monthly": net_monthly},
        "housing_costs_monthly": 4_500,
    }


def case_body(net_monthly: float = 52_000, **extra: Any) -> dict[str, Any]:
    return {
        "reference": f"2026/{uuid.uuid4().hex[:6]}",
        "application": {
            "purpose": "purchase",
            "requested_loan": 2_000_000,
            "affordability": affordability_request(net_monthly),
            "financing_plan": {
                **affordability_request(net_monthly),
                "purchase": {"price": 3_200_000, "costs": 80_000, "equity": 100_000},
                "bank_loan": {"amount": 1_500_000, "annual_rate": 5.5},
            },
        },
        **extra,
    }


def granted(version: int, loan_amount: float = 1_000_000, **extra: Any) -> dict[str, Any]:
    return {
        "version": version,
        "outcome": "granted",
        "loan_amount": loan_amount,
        "grant_amount": 0,
        "terms": {"term_years": 30, "rate_type": "floating", "repayment": "annuity"},
        "conditions": ["First-priority mortgage (1. prioritet pant)."],
        "reason": "The household can carry the loan (betjeningsevne documented).",
        **extra,
    }


def create(client: TestClient, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    r = client.post("/v1/cases", json=case_body(**kw), headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def create_assessed(client: TestClient, headers: dict[str, str], **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    case = create(client, headers, **kw)
    r = client.post(f"/v1/cases/{case['id']}/assessments", json={}, headers=headers)
    assert r.status_code == 201, r.text
    calc: dict[str, Any] = r.json()
    r = client.get(f"/v1/cases/{case['id']}", headers=headers)
    out: dict[str, Any] = r.json()
    return out, calc


def assert_problem(r: Any, status: int, rule: str | None = None, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    if rule is not None:
        assert rule in {e["rule"] for e in body["errors"]}, body
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    return body
