"""Screening page in a real browser: upload the sample tenant register (plus a broken row) and price table, wait for
the screening, and check the kommune summary, the ranked list and the row errors shown equal the API's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import loan_engine.screening.samples as samples
from api.seed import DEMO_KEYS
from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, number_in, type_into, wait_until, wait_visible

pytestmark = pytest.mark.e2e

SAMPLES = Path(samples.__file__).parent
BROKEN_ROW = "H999999;X130;9000;Nordby;20000;0;0;0;0;0;0;0;0;;KB-999999;nei;;0;0\n"


def _data_values(page: Any, css: str) -> list[str | None]:
    return [e.get_attribute("data-value") for e in page.find_elements(By.CSS_SELECTOR, css)]


def test_screening_page_shows_the_apis_summary_list_and_row_errors(
    page: Any, live_server: LiveServer, screenshot: Callable[..., Path], tmp_path: Path
) -> None:
    register = tmp_path / "leietakere.csv"
    register.write_text((SAMPLES / "tenants.csv").read_text(encoding="utf-8") + BROKEN_ROW, encoding="utf-8")
    prices = SAMPLES / "prices.csv"

    page.get(f"{live_server.url}/app/screening.html")
    key = page.find_element(By.ID, "api-key")
    wait_until(lambda: key.get_attribute("value") == DEMO_KEYS[Role.caseworker], 10, "the demo key")
    assert a11y_problems(page) == []

    # Without a register the page says so next to the file field, without calling the API.
    page.find_element(By.ID, "start").send_keys(Keys.ENTER)
    wait_visible(page, "#upload-form .error-summary", 5)
    assert (
        page.find_element(By.CSS_SELECTOR, "#upload-form .error-summary li").get_attribute("data-error-field")
        == "register"
    )

    page.find_element(By.ID, "register").send_keys(str(register))
    page.find_element(By.ID, "prices").send_keys(str(prices))
    date = page.find_element(By.ID, "screening-date")
    date.send_keys("01062026")  # a keyboard user types day, month, year into the date field (nb-NO)
    if date.get_attribute("value") != "2026-06-01":  # other locales order the parts differently
        page.execute_script("arguments[0].value = '2026-06-01'", date)
    assert date.get_attribute("value") == "2026-06-01"
    type_into(page.find_element(By.ID, "max-grant-share"), "25")
    assert page.execute_script("return window.loanEngineScreening.formData()") == [
        ["register", "leietakere.csv"],
        ["prices", "prices.csv"],
        ["screening_date", "2026-06-01"],
        ["count_bostotte", "false"],
        ["max_grant_share", "0.25"],
        ["purchase_costs_percent", "0"],
    ]
    page.find_element(By.ID, "start").send_keys(Keys.ENTER)
    wait_visible(page, "#results", 300)
    assert page.switch_to.active_element.get_attribute("id") == "results-h"
    assert page.find_element(By.ID, "progress-text").get_attribute("data-status") == "succeeded"
    location = page.execute_script("return window.loanEngineScreening.location()")

    with live_server.client(Role.caseworker) as api:
        job = api.get(location).json()
        ranked = api.get(f"{location}/results.json").json()["households"]
    assert job["params"]["options"]["screening_date"] == "2026-06-01"
    s = job["summary"]
    for element_id, key_name in (
        ("r-screened", "households_screened"),
        ("r-could-own", "could_own"),
        ("r-without-grant", "could_own_without_grant"),
        ("r-only-with-grant", "could_own_only_with_grant"),
        ("r-not-within-reach", "not_within_reach"),
        ("r-dwellings-freed", "dwellings_freed"),
        ("r-total-startlan", "total_startlan"),
        ("r-total-grant", "total_grant"),
        ("r-median-startlan", "median_startlan"),
    ):
        element = page.find_element(By.ID, element_id)
        assert element.get_attribute("data-value") == str(s[key_name]), element_id
        assert number_in(element.text) == s[key_name], element_id
    assert s["households_screened"] == 200 and s["rows_rejected"] == 1

    # By area: the chart's table equals the API's summary.
    areas = [a["area"] for a in s["by_area"]]
    assert [th.text for th in page.find_elements(By.CSS_SELECTOR, "#area-chart-table tbody th")] == areas
    assert _data_values(page, "#area-chart-table tbody td:nth-of-type(2)") == [
        str(a["could_own"]) for a in s["by_area"]
    ]
    assert _data_values(page, "#solution-chart-table tbody td") == [str(n) for n in s["by_solution"].values()]

    # The ranked list: the first 25, in the API's order, with its figures; then all of them.
    rows = page.find_elements(By.CSS_SELECTOR, "#ranked-table tbody tr")
    assert len(rows) == 25
    assert [r.get_attribute("data-household") for r in rows] == [h["household_id"] for h in ranked[:25]]
    first = rows[0]
    startlan = first.find_elements(By.TAG_NAME, "td")[4]
    assert startlan.get_attribute("data-value") == str(ranked[0]["startlan"])
    assert number_in(startlan.text) == ranked[0]["startlan"]
    assert first.find_elements(By.TAG_NAME, "td")[5].get_attribute("data-value") == str(ranked[0]["grant_needed"])
    page.find_element(By.ID, "toggle-list").send_keys(Keys.ENTER)
    wait_until(
        lambda: len(page.find_elements(By.CSS_SELECTOR, "#ranked-table tbody tr")) == len(ranked), 5, "the whole list"
    )
    assert page.switch_to.active_element.get_attribute("id") == "toggle-list"
    page.find_element(By.ID, "toggle-list").send_keys(Keys.ENTER)

    # The broken row: the API's row error, shown with its spreadsheet row number.
    api_errors = job["errors"]["register"]["errors"]
    assert len(api_errors) == 1 and api_errors[0]["row"] == 202
    shown = page.find_elements(By.CSS_SELECTOR, "#register-errors tbody tr")
    assert [(r.get_attribute("data-row"), r.get_attribute("data-rule")) for r in shown] == [
        (str(e["row"]), e["rule"]) for e in api_errors
    ]
    assert api_errors[0]["message"].replace("\u00a0", " ") in shown[0].text
    assert page.find_element(By.ID, "prices-errors-none")

    # The assumptions ("Forutsetninger") in bokmål on the bokmål page, in English on the English one.
    shown_assumptions = [li.text for li in page.find_elements(By.CSS_SELECTOR, "#assumptions li")]
    assert shown_assumptions == [a.replace("\u00a0", " ") for a in s["assumptions_nb"]]
    assert any("Bostøtte regnes ikke som inntekt" in a for a in shown_assumptions)
    assert not any(" the price" in a or "counted" in a for a in shown_assumptions)

    problems = a11y_problems(page)
    assert problems == [], problems
    screenshot("screening-nb")
    page.execute_script("document.getElementById('results-h').scrollIntoView()")
    screenshot("screening-nb-results", full_page=False)

    page.find_element(By.ID, "lang-toggle").click()
    wait_until(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", 5, "lang=en")
    assert page.find_element(By.ID, "r-total-startlan").text.startswith("NOK ")
    assert number_in(page.find_element(By.ID, "r-total-startlan").text, "en") == s["total_startlan"]
    assert [li.text for li in page.find_elements(By.CSS_SELECTOR, "#assumptions li")] == s["assumptions"]
    assert a11y_problems(page) == []
    screenshot("screening-en")
