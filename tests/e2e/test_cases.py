"""Cases page in a real browser: the list with filters, open a case, assess, decide — with the frarådning the API
requires when the loan is granted against the calculation's advice — then either the payout or an appeal, and the
audit trail; every figure and status checked against the API's own answers for the same case."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, number_in, type_into, wait_until, wait_visible

pytestmark = pytest.mark.e2e

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "examples" / "case.json").read_text(encoding="utf-8"))


def create_case(live_server: LiveServer, reference: str) -> dict[str, Any]:
    body = {**EXAMPLE, "reference": reference}
    with live_server.client(Role.caseworker) as api:
        answer = api.post("/v1/cases", json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
    return created


def api_case(live_server: LiveServer, case_id: str) -> dict[str, Any]:
    with live_server.client(Role.caseworker) as api:
        case: dict[str, Any] = api.get(f"/v1/cases/{case_id}").json()
    return case


def open_from_list(page: Any, case_id: str) -> None:
    link = wait_until(lambda: page.find_element(By.CSS_SELECTOR, f"a[data-open='{case_id}']"), 15, "the case row")
    link.click()
    wait_until(lambda: page.find_element(By.ID, "c-version").text, 15, "the case to open")


def status_of(page: Any) -> str:
    return str(page.find_element(By.ID, "c-status").get_attribute("data-value"))


def test_case_from_list_to_payout_with_fraradning(
    page: Any, live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    case = create_case(live_server, "E2E/0001")
    page.get(f"{live_server.url}/app/cases.html")
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#cases-table tbody tr"), 15, "the case list")
    assert a11y_problems(page) == []
    # The filter: draft cases include it; decided ones do not.
    Select(page.find_element(By.ID, "f-status")).select_by_value("decided")
    page.find_element(By.ID, "search").click()
    wait_until(lambda: not page.find_elements(By.CSS_SELECTOR, f"tr[data-case='{case['id']}']"), 10, "filtered out")
    Select(page.find_element(By.ID, "f-status")).select_by_value("draft")
    page.find_element(By.ID, "search").click()
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, f"tr[data-case='{case['id']}']"), 10, "the draft case")
    rows = page.find_elements(By.CSS_SELECTOR, "#cases-table tbody tr")
    assert all(r.get_attribute("data-status") == "draft" for r in rows)
    row = page.find_element(By.CSS_SELECTOR, f"tr[data-case='{case['id']}']")
    assert "Utkast" in row.text and "E2E/0001" in row.text
    assert "T" not in row.find_elements(By.TAG_NAME, "td")[3].text, "dates are shown for people, not as ISO"
    screenshot("cases-list")

    open_from_list(page, case["id"])
    assert page.switch_to.active_element.get_attribute("id") == "case-h"
    assert page.find_element(By.ID, "case-h").text == "Sak E2E/0001"
    assert status_of(page) == "draft"
    assert page.find_element(By.ID, "calc-none")

    # Assess: the stored calculation appears with the API's figures.
    page.find_element(By.ID, "assess").click()
    wait_until(lambda: status_of(page) == "assessed", 30, "the assessment")
    stored = api_case(live_server, case["id"])
    calc = stored["calculations"][-1]
    cells = page.find_elements(By.CSS_SELECTOR, "#calc-table tbody tr td")
    assert number_in(cells[4].text) == round(calc["max_loan"])
    assert f"{calc['parameter_set']['id']}, versjon {calc['parameter_set']['version']}" in cells[2].text

    # Decide a loan above the maximum: the page warns, the API refuses without frarådning (shown at the field).
    over = round(calc["max_loan"]) + 100_000
    type_into(page.find_element(By.ID, "d-loan"), str(over))
    type_into(page.find_element(By.ID, "d-grant"), "0")
    advice = page.find_element(By.ID, "advice")
    assert advice.get_attribute("data-against") == "true"
    assert "fraråder" in advice.text
    type_into(page.find_element(By.ID, "d-reason"), "Husstanden har stabil inntekt.")
    page.find_element(By.ID, "decide").click()
    summary = wait_visible(page, "#decision-form .error-summary", 15)
    item = summary.find_element(By.CSS_SELECTOR, "li")
    assert item.get_attribute("data-error-rule") == "fraradning-required"
    assert "frarådning" in item.text.lower()
    fraradning = page.find_element(By.ID, "d-fraradning")
    assert fraradning.get_attribute("aria-invalid") == "true"
    screenshot("cases-fraradning-required")
    type_into(fraradning, "Lånet er større enn beregningen tilrår; kunden er informert skriftlig.")
    page.find_element(By.ID, "decide").click()
    wait_until(lambda: status_of(page) == "decided", 30, "the decision")
    stored = api_case(live_server, case["id"])
    decision = stored["decisions"][-1]
    assert decision["against_advice"] is True and decision["loan_amount"] == over
    shown = page.find_element(By.CSS_SELECTOR, "#decisions li")
    assert shown.get_attribute("data-against-advice") == "true"
    assert "Frarådning" in shown.text and "Mot beregningens råd" in shown.text

    # Appeal or payout: both offered, as alternatives.
    assert page.find_element(By.ID, "appeal-form").is_displayed()
    assert page.find_element(By.ID, "payout-form").is_displayed()
    assert a11y_problems(page) == []
    screenshot("cases-decided")
    page.find_element(By.ID, "payout-form-submit").click()
    wait_until(lambda: status_of(page) == "paid_out", 30, "the payout")
    assert number_in(page.find_element(By.ID, "payout-shown").text) == over
    assert not page.find_elements(By.ID, "appeal-form")

    # The audit trail: the API's entries, in its order, with bokmål names.
    with live_server.client(Role.caseworker) as api:
        trail = api.get(f"/v1/cases/{case['id']}/audit").json()
    actions = [r.get_attribute("data-action") for r in page.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr")]
    assert actions == [e["action"] for e in trail]
    assert actions[:1] == ["case.create"] and "case.payout" in actions
    assert "Utbetaling registrert" in page.find_element(By.ID, "audit-table").text
    screenshot("cases-paid-out")


def test_case_appeal_instead_of_payout_in_english(page: Any, live_server: LiveServer) -> None:
    case = create_case(live_server, "E2E/0002")
    with live_server.client(Role.caseworker) as api:
        assert api.post(f"/v1/cases/{case['id']}/assessments", json={}).status_code == 201
    page.get(f"{live_server.url}/app/cases.html#case={case['id']}")
    wait_until(lambda: page.find_element(By.ID, "c-version").text, 15, "the case from the address")
    page.find_element(By.ID, "lang-toggle").click()
    wait_until(lambda: page.find_element(By.ID, "case-h").text == "Case E2E/0002", 5, "English")
    page.find_element(By.ID, "d-refused").click()
    assert not page.find_element(By.ID, "granted-fields").is_displayed()
    type_into(page.find_element(By.ID, "d-reason"), "The household cannot carry a startlån.")
    page.find_element(By.ID, "decide").click()
    wait_until(lambda: status_of(page) == "decided", 30, "the refusal")
    assert page.find_element(By.ID, "payout-refused").is_displayed()
    type_into(page.find_element(By.ID, "a-reason"), "The part-time income was left out.")
    page.find_element(By.ID, "appeal-form-submit").click()
    wait_until(lambda: status_of(page) == "appealed", 30, "the appeal")
    assert "The part-time income was left out." in page.find_element(By.ID, "appeal-shown").text
    assert api_case(live_server, case["id"])["appeal"]["reason"] == "The part-time income was left out."
    # An appealed case is decided again: the decision form is back.
    assert page.find_element(By.ID, "decision-form").is_displayed()
    page.find_element(By.ID, "lang-toggle").click()


def test_caseworker_page_saves_its_calculation_as_a_case(page: Any, live_server: LiveServer) -> None:
    from tests.e2e.test_caseworker import fill_form

    page.get(f"{live_server.url}/app/caseworker.html")
    wait_until(lambda: page.find_element(By.ID, "api-key").get_attribute("value"), 10, "the demo key")
    type_into(page.find_element(By.ID, "case-ref"), "E2E/0003")
    fill_form(page)
    page.find_element(By.ID, "calculate").click()
    wait_visible(page, "#results", 30)
    requests = page.execute_script("return window.loanEngineCaseworker.requests()")
    page.find_element(By.ID, "save-case").click()
    wait_until(lambda: "cases.html#case=" in page.current_url, 30, "the cases page")
    wait_until(lambda: page.find_element(By.ID, "case-h").text == "Sak E2E/0003", 15, "the new case")
    case_id = page.current_url.split("#case=")[1]
    stored = api_case(live_server, case_id)
    assert stored["status"] == "draft" and stored["reference"] == "E2E/0003"
    assert stored["application"]["purpose"] == "purchase"
    assert (
        stored["application"]["affordability"]["income"]["net_monthly"]
        == requests["affordability"]["income"]["net_monthly"]
    )
    assert stored["application"]["financing_plan"]["purchase"] == requests["plan"]["purchase"]
