"""Admin: loading parameter sets (validated, versioned, never overwritten) and managing API keys. A calculation
names the set it used; recomputing an old case with its own set gives the same numbers after a new set is in
force."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from typing import Any

from fastapi.testclient import TestClient

from models.api_keys import Role
from tests.cases.helpers import assert_problem, case_body, create, granted


def builtin_document() -> dict[str, Any]:
    text = resources.files("loan_engine.parameter_sets").joinpath("no-2026-1.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def kommune_set(kommune: str, policy_rate: float, valid_from: date) -> dict[str, Any]:
    """A kommune's own set (so it is in force only for that kommune's cases, not for the rest of the suite)."""
    doc = builtin_document()
    doc["id"] = f"test-{kommune}-{uuid.uuid4().hex[:6]}"
    doc["version"] = 1
    doc["valid_from"] = valid_from.isoformat()
    doc["kommune_number"] = kommune
    doc["values"]["policy_rate"] = {**doc["values"]["policy_rate"], "value": policy_rate}
    return doc


def test_load_parameter_set_validates_and_never_overwrites(
    client: TestClient,
    admin_headers: dict[str, str],
    caseworker_headers: dict[str, str],
    finance_headers: dict[str, str],
) -> None:
    doc = kommune_set("4690", 4.5, date.today() + timedelta(days=30))
    r = client.post("/v1/parameter-sets", json=doc, headers=admin_headers)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == doc["id"] and r.json()["version"] == 1
    assert r.headers["Location"] == f"/v1/parameter-sets/{doc['id']}?version=1"
    assert client.get(r.headers["Location"], headers=caseworker_headers).status_code == 200

    assert_problem(
        client.post("/v1/parameter-sets", json=doc, headers=admin_headers), 409, rule="parameter-set-version-unique"
    )
    doc2 = {**doc, "version": 2}
    assert client.post("/v1/parameter-sets", json=doc2, headers=admin_headers).status_code == 201
    versions = {
        s["version"] for s in client.get("/v1/parameter-sets", headers=admin_headers).json() if s["id"] == doc["id"]
    }
    assert versions == {1, 2}

    for headers in (caseworker_headers, finance_headers):
        assert_problem(client.post("/v1/parameter-sets", json={**doc, "version": 3}, headers=headers), 403)
    broken = {**doc, "version": 4, "values": {k: v for k, v in doc["values"].items() if k != "stress_rule"}}
    assert_problem(
        client.post("/v1/parameter-sets", json=broken, headers=admin_headers), 422, rule="parameter-required"
    )
    no_source = json.loads(json.dumps({**doc, "version": 5}))
    del no_source["values"]["policy_rate"]["source"]
    assert_problem(client.post("/v1/parameter-sets", json=no_source, headers=admin_headers), 422)
    assert_problem(client.post("/v1/parameter-sets", json=[1, 2], headers=admin_headers), 422)

    trail = [e for e in client.get("/v1/parameter-sets", headers=admin_headers).json() if e["id"] == doc["id"]]
    assert len(trail) == 2


def test_new_set_in_force_and_old_case_recomputes_the_same(
    client: TestClient, admin_headers: dict[str, str], make_key: Callable[..., dict[str, str]]
) -> None:
    kommune = "4691"
    h = make_key(Role.caseworker, kommune)
    old_case = create(client, h)
    old_calc = client.post(f"/v1/cases/{old_case['id']}/assessments", json={}, headers=h).json()
    national = old_calc["parameter_set"]

    doc = kommune_set(kommune, 6.0, date.today() - timedelta(days=1))  # a higher policy rate → higher stress rate
    assert client.post("/v1/parameter-sets", json=doc, headers=admin_headers).status_code == 201

    new_case = create(client, h)
    new_calc = client.post(f"/v1/cases/{new_case['id']}/assessments", json={}, headers=h).json()
    assert new_calc["parameter_set"] == {"id": doc["id"], "version": 1}
    assert new_calc["max_loan"] < old_calc["max_loan"]
    assert new_calc["result"]["parameter_set"]["id"] == doc["id"]

    # The old calculation, recomputed with its own (stored) set, gives exactly the stored numbers.
    r = client.get(f"/v1/cases/{old_case['id']}/calculations/{old_calc['id']}/recompute", headers=h).json()
    assert r["matches"] is True and r["differences"] == [] and r["parameter_set"] == national
    assert r["result"]["max_loan"] == old_calc["max_loan"]
    # Assessing the old case again uses the set in force now; pinning the old set reproduces the old figure.
    again = client.post(f"/v1/cases/{old_case['id']}/assessments", json={}, headers=h).json()
    assert again["parameter_set"]["id"] == doc["id"]
    pinned = client.post(f"/v1/cases/{old_case['id']}/assessments", json={"parameter_set": national}, headers=h).json()
    assert pinned["max_loan"] == old_calc["max_loan"]
    on_date = client.post(
        f"/v1/cases/{old_case['id']}/assessments",
        json={"on": (date.today() - timedelta(days=2)).isoformat()},
        headers=h,
    ).json()
    assert on_date["parameter_set"] == national
    # A decision rests on a named calculation: here the pinned one.
    r = client.post(f"/v1/cases/{old_case['id']}/decision", json=granted(5, calculation_id=pinned["id"]), headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["decisions"][0]["calculation_id"] == pinned["id"]


def test_admin_keys_api(client: TestClient, admin_headers: dict[str, str], caseworker_headers: dict[str, str]) -> None:
    r = client.post("/v1/admin/keys", json={"role": "caseworker", "label": "Kari"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("le_") and created["kommune_number"] == "0301"
    new_headers = {"X-API-Key": secret}
    assert client.post("/v1/cases", json=case_body(), headers=new_headers).status_code == 201

    listed = client.get("/v1/admin/keys", headers=admin_headers).json()
    assert created["id"] in {k["id"] for k in listed}
    assert secret not in json.dumps(listed)

    assert_problem(client.post("/v1/admin/keys", json={"role": "caseworker"}, headers=caseworker_headers), 403)
    assert_problem(client.post("/v1/admin/keys", json={"role": "root"}, headers=admin_headers), 422)
    assert_problem(client.post("/v1/admin/keys/nope/revoke", headers=admin_headers), 404)

    me = next(k for k in listed if k["label"] == "demo admin")
    assert_problem(
        client.post(f"/v1/admin/keys/{me['id']}/revoke", headers=admin_headers), 409, rule="cannot-revoke-own-key"
    )
    r = client.post(f"/v1/admin/keys/{created['id']}/revoke", headers=admin_headers)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_problem(client.get("/v1/cases", headers=new_headers), 401, rule="api-key-active")
