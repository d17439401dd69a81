"""Caseworker page, the whole budget (issue 13): a gross income with its kind, barnetrygd, a debt with its terms,
and the two calculators (betjeningsevne for a loan amount, nedbetalingstid), in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By

from api.seed import DEMO_KEYS
from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, type_into, wait_until

pytestmark = pytest.mark.e2e


def test_gross_income_debt_terms_and_calculators(page: Any, live_server: LiveServer) -> None:
    page.get(f"{live_server.url}/app/caseworker.html")
    key = page.find_element(By.ID, "api-key")
    wait_until(lambda: key.get_attribute("value") == DEMO_KEYS[Role.caseworker], 10, "the demo key")
    assert a11y_problems(page) == []
    type_into(page.find_element(By.ID, "member-0-age"), "38")
    type_into(page.find_element(By.ID, "income-gross"), "520000")
    page.find_element(By.ID, "barnetrygd").click()
    type_into(page.find_element(By.ID, "housing-costs"), "5000")
    page.find_element(By.ID, "add-debt").click()
    wait_until(lambda: page.find_element(By.ID, "debt-0-balance"), 5, "the debt row")
    type_into(page.find_element(By.ID, "debt-0-balance"), "120000")
    type_into(page.find_element(By.ID, "debt-0-rate"), "9,5")
    type_into(page.find_element(By.ID, "debt-0-years"), "4")

    req = page.execute_script("return window.loanEngineCaseworker.requests()")["affordability"]
    assert req["income"] == {
        "sources": [{"kind": "salary", "gross_annual": 520000}],
        "benefits": {"barnetrygd": True, "utvidet_barnetrygd": False},
    }
    assert req["existing_debts"] == [{"balance": 120000, "kind": "other", "annual_rate": 9.5, "remaining_years": 4}]

    with live_server.client(Role.caseworker) as api:
        expected = api.post("/v1/debt-service", json={**req, "loan_amount": 1500000}).json()
        period = api.post(
            "/v1/repayment-period", json={"principal": 1000000, "annual_rate": 5, "instalment": 6000}
        ).json()

    type_into(page.find_element(By.ID, "ds-amount"), "1500000")
    page.find_element(By.ID, "ds-run").click()
    out = page.find_element(By.ID, "ds-out")
    wait_until(lambda: "kr" in out.text and "måned" in out.text, 30, "the debt-service answer")
    word = "Overskudd" if expected["surplus_monthly"] >= 0 else "Underskudd"
    assert out.text.startswith(word)
    shown = int(out.text.split(word)[1].split("kr")[0].replace("\u00a0", "").replace(" ", ""))
    assert shown == round(abs(expected["surplus_monthly"]))

    type_into(page.find_element(By.ID, "rp-principal"), "1000000")
    type_into(page.find_element(By.ID, "rp-rate"), "5")
    type_into(page.find_element(By.ID, "rp-instalment"), "6000")
    page.find_element(By.ID, "rp-run").click()
    rp = page.find_element(By.ID, "rp-out")
    wait_until(lambda: "måneder" in rp.text, 30, "the repayment-period answer")
    assert f"{period['months']} måneder" in rp.text

    type_into(page.find_element(By.ID, "rp-instalment"), "4000")
    page.find_element(By.ID, "rp-run").click()
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#rp-form .error-summary li"), 30, "the problem")
    assert "instalment" in page.find_element(
        By.CSS_SELECTOR, "#rp-form .error-summary"
    ).text.lower() or page.find_elements(By.CSS_SELECTOR, "#rp-instalment[aria-invalid=true]")
