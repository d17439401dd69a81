"""Cases through the API: from draft to decided (and appealed, paid out), idempotent creation, access control,
stale versions, illegal transitions, frarådning, the audit trail, pagination. Runs on every test database."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from models.api_keys import Role
from tests.cases.helpers import (
    VALID_NATIONAL_ID,
    assert_problem,
    case_body,
    create,
    create_assessed,
    granted,
)

# ---------------------------------------------------------------------------------------------------------------
# Create, read, idempotency
# ---------------------------------------------------------------------------------------------------------------


def test_create_read_and_audit(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = case_body(national_id=VALID_NATIONAL_ID)
    r = client.post("/v1/cases", json=body, headers=caseworker_headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert r.headers["Location"] == f"/v1/cases/{case['id']}"
    assert r.headers["ETag"] == '"1"'
    assert case["status"] == "draft" and case["version"] == 1
    assert case["national_id"] == VALID_NATIONAL_ID
    # every default of the request is stored, so a later change of a default cannot change the case
    assert case["application"]["affordability"]["loan"]["term_years"] == 30

    got = client.get(f"/v1/cases/{case['id']}", headers=caseworker_headers)
    assert got.status_code == 200
    assert got.json()["application"] == case["application"]
    assert got.headers["ETag"] == '"1"'

    trail = client.get(f"/v1/cases/{case['id']}/audit", headers=caseworker_headers).json()
    assert [e["action"] for e in trail] == ["case.create"]
    assert trail[0]["after"]["national_id"] == "*" * 11
    assert VALID_NATIONAL_ID not in json.dumps(trail)


def test_idempotent_creation(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = case_body(national_id=VALID_NATIONAL_ID)
    headers = {**caseworker_headers, "Idempotency-Key": "create-7f3a9"}
    first = client.post("/v1/cases", json=body, headers=headers)
    again = client.post("/v1/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]

    other = client.post("/v1/cases", json=case_body(), headers=headers)
    assert_problem(other, 422, rule="idempotency-key-reused", field="Idempotency-Key")

    bad = client.post("/v1/cases", json=body, headers={**caseworker_headers, "Idempotency-Key": "has space"})
    assert_problem(bad, 422, rule="idempotency-key-format", field="Idempotency-Key")


def test_concurrent_retries_with_one_key_make_one_case(
    client: TestClient, engine: Engine, make_key: Callable[..., dict[str, str]]
) -> None:
    headers = {**make_key(Role.caseworker, "4601"), "Idempotency-Key": "concurrent-retry-1"}
    body = case_body()
    answers = _race(client, "/v1/cases", [(body, headers)] * 4)
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM cases WHERE reference = :r"), {"r": body["reference"]}).scalar()
    assert n == 1


def test_invalid_national_id_is_refused_and_never_echoed(
    client: TestClient, caseworker_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    bad = "15076500566"
    with caplog.at_level(logging.DEBUG):
        r = client.post("/v1/cases", json=case_body(national_id=bad), headers=caseworker_headers)
        assert_problem(r, 422, rule="national-id-mod11", field="national_id")
        assert bad not in r.text
        ok = client.post("/v1/cases", json=case_body(national_id=VALID_NATIONAL_ID), headers=caseworker_headers)
        assert ok.status_code == 201
    for record in caplog.records:
        assert bad not in record.getMessage() and VALID_NATIONAL_ID not in record.getMessage()


def test_bad_application_is_a_problem(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = case_body()
    body["application"]["affordability"]["income"] = {"net_monthly": -5}
    r = client.post("/v1/cases", json=body, headers=caseworker_headers)
    problem = assert_problem(r, 422)
    assert any(e["field"].startswith("application.affordability.income") for e in problem["errors"])
    r = client.post(
        "/v1/cases", content=b"{not json", headers={**caseworker_headers, "content-type": "application/json"}
    )
    assert_problem(r, 400)


def test_oversized_body_is_413(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    body = case_body()
    body["application"]["notes"] = "x" * 2_000_000
    r = client.post("/v1/cases", json=body, headers=caseworker_headers)
    assert_problem(r, 413)


# ---------------------------------------------------------------------------------------------------------------
# Access control
# ---------------------------------------------------------------------------------------------------------------


def test_roles_and_kommune_scope(
    client: TestClient,
    caseworker_headers: dict[str, str],
    finance_headers: dict[str, str],
    admin_headers: dict[str, str],
    make_key: Callable[..., dict[str, str]],
) -> None:
    case = create(client, caseworker_headers, national_id=VALID_NATIONAL_ID)
    cid = case["id"]
    for headers in (finance_headers, admin_headers):
        assert_problem(client.get(f"/v1/cases/{cid}", headers=headers), 403, rule="role-caseworker")
        assert_problem(client.get("/v1/cases", headers=headers), 403)
        assert_problem(client.post("/v1/cases", json=case_body(), headers=headers), 403)
    assert_problem(client.get(f"/v1/cases/{cid}"), 401, rule="api-key-required")
    assert_problem(client.get(f"/v1/cases/{cid}", headers={"X-API-Key": "not-a-key"}), 401, rule="api-key-format")
    assert_problem(client.get(f"/v1/cases/{cid}", headers={"X-API-Key": "le_" + "x" * 30}), 401, rule="api-key-active")

    elsewhere = make_key(Role.caseworker, "1103")
    assert_problem(client.get(f"/v1/cases/{cid}", headers=elsewhere), 404, rule="case-exists")
    assert_problem(client.get(f"/v1/cases/{cid}/audit", headers=elsewhere), 404)
    assert_problem(client.post(f"/v1/cases/{cid}/assessments", json={}, headers=elsewhere), 404)
    assert_problem(client.post(f"/v1/cases/{cid}/decision", json=granted(1), headers=elsewhere), 404)
    assert cid not in {c["id"] for c in client.get("/v1/cases?limit=100", headers=elsewhere).json()["items"]}


def test_unknown_ids_are_404(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    for path in ("/v1/cases/0000", "/v1/cases/" + "a" * 300, "/v1/cases/nope/audit"):
        assert_problem(client.get(path, headers=caseworker_headers), 404)
    assert_problem(client.post("/v1/cases/nope/decision", json=granted(1), headers=caseworker_headers), 404)
    case = create(client, caseworker_headers)
    r = client.get(f"/v1/cases/{case['id']}/calculations/nope/recompute", headers=caseworker_headers)
    assert_problem(r, 404, rule="calculation-exists")


# ---------------------------------------------------------------------------------------------------------------
# The status flow
# ---------------------------------------------------------------------------------------------------------------


def test_draft_to_decided_to_appealed_to_paid_out(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    h = caseworker_headers
    case, calc = create_assessed(client, h)
    cid = case["id"]
    assert case["status"] == "assessed" and case["version"] == 2
    assert calc["parameter_set"]["id"] and calc["parameter_set"]["version"] >= 1
    assert calc["serviceable"] is True and calc["max_loan"] > 2_000_000
    assert calc["result"]["max_loan"] == calc["max_loan"]
    assert "parameter_set" not in calc["request"]

    refused = {"version": 2, "outcome": "refused", "reason": "Bank financing is available (no startlån need)."}
    r = client.post(f"/v1/cases/{cid}/decision", json=refused, headers=h)
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "decided" and decided["version"] == 3 and r.headers["ETag"] == '"3"'
    d = decided["decisions"][0]
    today = date.fromisoformat(d["decided_at"][:10])
    assert d["appeal_deadline"] == (today + timedelta(weeks=3)).isoformat()
    assert d["valid_until"] is None and d["calculation_id"] == calc["id"]

    assert_problem(
        client.post(f"/v1/cases/{cid}/payout", json={"version": 3}, headers=h), 409, rule="payout-requires-grant"
    )
    r = client.post(
        f"/v1/cases/{cid}/appeal", json={"reason": "I do not get a bank loan."}, headers={**h, "If-Match": '"3"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "appealed" and r.json()["appeal"]["reason"] == "I do not get a bank loan."

    r = client.post(f"/v1/cases/{cid}/decision", json=granted(4, 1_500_000), headers=h)
    assert r.status_code == 200, r.text
    second = r.json()["decisions"]
    assert [x["sequence"] for x in second] == [1, 2]
    assert second[1]["valid_until"] is not None
    assert date.fromisoformat(second[1]["valid_until"]) > today + timedelta(days=85)

    r = client.post(f"/v1/cases/{cid}/payout", json={"version": 5}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "paid_out" and r.json()["payout"]["amount"] == 1_500_000
    assert_problem(
        client.post(f"/v1/cases/{cid}/appeal", json={"version": 6, "reason": "x"}, headers=h),
        409,
        rule="illegal-status-transition",
    )

    trail = client.get(f"/v1/cases/{cid}/audit", headers=h).json()
    assert [e["action"] for e in trail] == [
        "case.create",
        "case.assess",
        "case.decide",
        "case.appeal",
        "case.decide",
        "case.payout",
    ]
    versions = [e["after"]["version"] for e in trail]
    assert versions == [1, 2, 3, 4, 5, 6]
    assert [e["before"]["version"] for e in trail[1:]] == versions[:-1]
    assert all(e["actor_role"] == "caseworker" for e in trail)


def test_illegal_transitions_and_versions(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    h = caseworker_headers
    case = create(client, h)
    cid = case["id"]
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=granted(1), headers=h), 409, rule="illegal-status-transition"
    )
    assert_problem(
        client.post(f"/v1/cases/{cid}/appeal", json={"version": 1, "reason": "x"}, headers=h),
        409,
        rule="illegal-status-transition",
    )
    assert_problem(
        client.post(f"/v1/cases/{cid}/payout", json={"version": 1}, headers=h), 409, rule="illegal-status-transition"
    )
    client.post(f"/v1/cases/{cid}/assessments", json={}, headers=h)

    body = granted(1)
    assert_problem(client.post(f"/v1/cases/{cid}/decision", json=body, headers=h), 409, rule="stale-version")
    no_version = {k: v for k, v in body.items() if k != "version"}
    assert_problem(client.post(f"/v1/cases/{cid}/decision", json=no_version, headers=h), 428, rule="version-required")
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=no_version, headers={**h, "If-Match": "abc"}),
        400,
        rule="etag-format",
    )
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=granted(2), headers={**h, "If-Match": '"3"'}),
        422,
        rule="version-if-match-agree",
    )
    r = client.post(f"/v1/cases/{cid}/decision", json=no_version, headers={**h, "If-Match": 'W/"2"'})
    assert r.status_code == 200, r.text
    # nothing of the refused attempts was written
    trail = client.get(f"/v1/cases/{cid}/audit", headers=h).json()
    assert [e["action"] for e in trail] == ["case.create", "case.assess", "case.decide"]


def test_decision_rules(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    h = caseworker_headers
    case, calc = create_assessed(client, h)
    cid = case["id"]
    over = calc["max_loan"] + 100_000
    r = client.post(f"/v1/cases/{cid}/decision", json=granted(2, over), headers=h)
    assert_problem(r, 422, rule="fraradning-required", field="fraradning")
    no_terms = {**granted(2), "terms": None}
    assert_problem(client.post(f"/v1/cases/{cid}/decision", json=no_terms, headers=h), 422, rule="terms-required")
    refused_amount = {"version": 2, "outcome": "refused", "loan_amount": 5, "reason": "no"}
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=refused_amount, headers=h), 422, rule="refused-without-amounts"
    )
    late = granted(2, valid_until=(date.today() + timedelta(days=800)).isoformat())
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=late, headers=h), 422, rule="valid-until-max-12-months"
    )
    past = granted(2, valid_until=date.today().isoformat())
    assert_problem(
        client.post(f"/v1/cases/{cid}/decision", json=past, headers=h), 422, rule="valid-until-after-decision"
    )

    advice = "Vi fraråder lånet: beregningen viser at husholdningen ikke kan betjene et så stort lån over tid."
    r = client.post(f"/v1/cases/{cid}/decision", json=granted(2, over, fraradning=advice), headers=h)
    assert r.status_code == 200, r.text
    d = r.json()["decisions"][0]
    assert d["against_advice"] is True and d["fraradning"] == advice


def test_not_serviceable_assessment_needs_fraradning(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    h = caseworker_headers
    case, calc = create_assessed(client, h, net_monthly=15_000)
    assert calc["serviceable"] is False
    r = client.post(f"/v1/cases/{case['id']}/decision", json=granted(2, 100_000), headers=h)
    assert_problem(r, 422, rule="fraradning-required")
    # a grant alone (no loan) is not a loan against advice
    grant_only = {**granted(2, 0), "grant_amount": 150_000, "terms": None}
    r = client.post(f"/v1/cases/{case['id']}/decision", json=grant_only, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["decisions"][0]["against_advice"] is False


def test_financing_plan_assessment_and_recompute(client: TestClient, caseworker_headers: dict[str, str]) -> None:
    h = caseworker_headers
    case = create(client, h)
    r = client.post(f"/v1/cases/{case['id']}/assessments", json={"kind": "financing-plan"}, headers=h)
    assert r.status_code == 201, r.text
    calc = r.json()
    assert calc["kind"] == "financing-plan" and calc["result"]["solution"] is not None
    assert r.headers["Location"].endswith(calc["id"])
    again = client.get(f"/v1/cases/{case['id']}/calculations/{calc['id']}/recompute", headers=h)
    assert again.status_code == 200
    assert again.json()["matches"] is True and again.json()["result"] == calc["result"]

    no_plan = case_body()
    del no_plan["application"]["financing_plan"]
    c2 = client.post("/v1/cases", json=no_plan, headers=h).json()
    r = client.post(f"/v1/cases/{c2['id']}/assessments", json={"kind": "financing-plan"}, headers=h)
    assert_problem(r, 422, rule="financing-plan-required")
    r = client.post(
        f"/v1/cases/{c2['id']}/assessments", json={"parameter_set": {"id": "nope", "version": 1}}, headers=h
    )
    assert_problem(r, 404, rule="parameter-set-exists")


# ---------------------------------------------------------------------------------------------------------------
# Concurrency: two caseworkers deciding at once
# ---------------------------------------------------------------------------------------------------------------


def _race(client: TestClient, path: str, calls: list[tuple[dict[str, Any], dict[str, str]]]) -> list[Any]:
    """POST each (body, headers) to ``path`` from its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = []

    def post(body: dict[str, Any], headers: dict[str, str]) -> None:
        barrier.wait()
        answers.append(client.post(path, json=body, headers=headers))

    threads = [threading.Thread(target=post, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_caseworkers_decide_at_once(
    client: TestClient, engine: Engine, make_key: Callable[..., dict[str, str]]
) -> None:
    h = make_key(Role.caseworker, "4602")
    other = make_key(Role.caseworker, "4602")
    refusal = {"version": 2, "outcome": "refused", "reason": "The household has bank financing."}
    for _ in range(3):
        case, _calc = create_assessed(client, h)
        cid = case["id"]
        answers = _race(client, f"/v1/cases/{cid}/decision", [(granted(2), h), (refusal, other)])
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert_problem(loser, 409, rule="stale-version")
        winner = next(a for a in answers if a.status_code == 200).json()
        final = client.get(f"/v1/cases/{cid}", headers=h).json()
        assert final["version"] == 3 and len(final["decisions"]) == 1
        assert final["decisions"][0]["outcome"] == winner["decisions"][0]["outcome"]
        with engine.connect() as conn:
            decides = conn.execute(
                text("SELECT count(*) FROM audit_log WHERE entity_id = :c AND action = 'case.decide'"), {"c": cid}
            ).scalar()
            decisions = conn.execute(
                text("SELECT count(*) FROM case_decisions WHERE case_id = :c"), {"c": cid}
            ).scalar()
        assert decides == 1 and decisions == 1


# ---------------------------------------------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------------------------------------------


def test_cursor_pagination_and_filters(client: TestClient, make_key: Callable[..., dict[str, str]]) -> None:
    h = make_key(Role.caseworker, "4603")
    made = [create(client, h)["id"] for _ in range(5)]
    assessed = made[1]
    client.post(f"/v1/cases/{assessed}/assessments", json={}, headers=h)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/cases", params=params, headers=h).json()
        pages += 1
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(made)) and pages == 3

    r = client.get("/v1/cases", params={"status": "assessed"}, headers=h).json()
    assert [c["id"] for c in r["items"]] == [assessed]
    today = date.today()
    r = client.get(
        "/v1/cases",
        params={
            "created_from": (today - timedelta(days=1)).isoformat(),
            "created_to": (today + timedelta(days=1)).isoformat(),
        },
        headers=h,
    ).json()
    assert len(r["items"]) == 5
    r = client.get("/v1/cases", params={"created_from": (today + timedelta(days=2)).isoformat()}, headers=h).json()
    assert r["items"] == [] and r["next_cursor"] is None

    assert_problem(client.get("/v1/cases", params={"cursor": "!!!"}, headers=h), 422, rule="cursor-format")
    assert_problem(client.get("/v1/cases", params={"status": "lost"}, headers=h), 422)
    assert_problem(client.get("/v1/cases", params={"limit": 0}, headers=h), 422)
    assert_problem(
        client.get("/v1/cases", params={"created_from": "2026-02-02", "created_to": "2026-02-01"}, headers=h),
        422,
        rule="date-range-order",
    )


def test_nul_characters_and_odd_ids_are_refused_not_500(
    client: TestClient, caseworker_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    h = caseworker_headers
    assert_problem(client.post("/v1/cases", json=case_body(reference="a\x00b"), headers=h), 422)
    case = create(client, h)
    body = {"version": 1, "outcome": "refused", "reason": "no\x00"}
    assert_problem(client.post(f"/v1/cases/{case['id']}/decision", json=body, headers=h), 422)
    for path in ("/v1/cases/a%00b", f"/v1/cases/{case['id']}/calculations/x%00/recompute"):
        assert_problem(client.get(path, headers=h), 404)
    nul_cursor = "WyIyMDI2IiwgIlx1MDAwMCJd"  # base64 of ["2026", "\u0000"]
    assert_problem(client.get("/v1/cases", params={"cursor": nul_cursor}, headers=h), 422, rule="cursor-format")
    assert client.get("/v1/cases", params={"created_to": "9999-12-31"}, headers=h).status_code == 200
    assert_problem(client.post("/v1/admin/keys", json={"role": "finance", "label": "\x00"}, headers=admin_headers), 422)
    assert_problem(client.post("/v1/admin/keys/a%00/revoke", headers=admin_headers), 404)
    document = {"id": "x", "version": 1, "valid_from": "2026-01-01", "description": "\x00", "values": {}}
    assert_problem(
        client.post("/v1/parameter-sets", json=document, headers=admin_headers), 422, rule="no-nul-characters"
    )
