"""Caseworker page in a real browser: the form filled by keyboard, the numbers shown equal the API's answers for
the same input (affordability, financing ladder, grant, schedule), bokmål and English, errors next to the field,
the print view, and a PDF of the page."""

from __future__ import annotations

import base64
import io
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from api.seed import DEMO_KEYS
from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, number_in, type_into, wait_until, wait_visible

pytestmark = pytest.mark.e2e

MEMBERS = [(34, "female"), (36, "male"), (7, "female")]
FIGURES = {
    "income": "54000",
    "housing-costs": "4500",
    "price": "3400000",
    "purchase-costs": "85000",
    "equity": "100000",
}
DEBT = ("80000", "2500")
CASE_REF = "2026/0042"
CASEWORKER = "Kari Nordmann"


def expected_requests() -> tuple[dict[str, Any], dict[str, Any]]:
    """The API requests for the figures typed in, written independently of the page's script."""
    budget: dict[str, Any] = {
        "household": {
            "members": [{"age": a, "sex": s} for a, s in MEMBERS],
            "car": "none",
            "children_in_barnehage": 0,
            "children_in_sfo": 1,
        },
        "income": {"net_monthly": 54000},
        "housing_costs_monthly": 4500,
        "other_fixed_costs_monthly": 0,
        "existing_debts": [{"balance": 80000, "monthly_payment": 2500}],
    }
    purchase = {"price": 3400000, "fellesgjeld": 0, "costs": 85000, "equity": 100000}
    prefs: dict[str, Any] = {"repayment": "annuity", "interest_only_years": 0, "term_over_30_reasons": []}
    affordability = {**budget, "loan": {**prefs, "rate_type": "floating", "term_years": 30}, "dwelling": purchase}
    plan = {**budget, "purchase": purchase, "loan": prefs}
    return affordability, plan


def plain(text: str) -> str:
    """Text as Selenium reports it (it turns non-breaking spaces into spaces)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def shown(page: Any, element_id: str, lang: str = "nb") -> float:
    return number_in(page.find_element(By.ID, element_id).text, lang)


def data_value(element: WebElement) -> float:
    raw = element.get_attribute("data-value")
    assert raw is not None, "the element has no data-value"
    return float(raw)


def fill_form(page: Any) -> None:
    """Fill the form with the keyboard: type into fields, Enter on buttons, Tab between fields, arrows in selects."""
    age0 = page.find_element(By.ID, "member-0-age")
    type_into(age0, str(MEMBERS[0][0]))
    for i, (age, sex) in enumerate(MEMBERS[1:], start=1):
        page.find_element(By.ID, "add-member").send_keys(Keys.ENTER)
        new_age = wait_visible(page, f"#member-{i}-age", 5)
        assert page.switch_to.active_element == new_age, "focus should move to the new person's age field"
        new_age.send_keys(str(age))
        new_age.send_keys(Keys.TAB)  # to the sex select
        select = page.switch_to.active_element
        assert select.get_attribute("id") == f"member-{i}-sex"
        if sex == "male":
            select.send_keys(Keys.ARROW_DOWN)
    assert page.find_element(By.ID, "member-1-sex").get_attribute("value") == "male"
    type_into(page.find_element(By.ID, "sfo"), "1")
    for field, value in FIGURES.items():
        type_into(page.find_element(By.ID, field), value)
    page.find_element(By.ID, "add-debt").send_keys(Keys.ENTER)
    balance = wait_until(lambda: page.find_element(By.ID, "debt-0-balance"), 5, "the debt row")
    balance.send_keys(DEBT[0], Keys.TAB)
    page.switch_to.active_element.send_keys(DEBT[1])


def test_caseworker_page_shows_the_apis_numbers(
    page: Any, live_server: LiveServer, screenshot: Callable[..., Path], tmp_path: Path
) -> None:
    page.get(f"{live_server.url}/app/caseworker.html")
    key = page.find_element(By.ID, "api-key")
    wait_until(lambda: key.get_attribute("value") == DEMO_KEYS[Role.caseworker], 10, "the demo key")
    assert a11y_problems(page) == []
    kommune = page.find_element(By.ID, "case-kommune")
    wait_until(lambda: kommune.get_attribute("value") == "0301", 10, "the key's kommune in the case file")
    type_into(page.find_element(By.ID, "case-ref"), CASE_REF)
    type_into(page.find_element(By.ID, "case-worker"), CASEWORKER)
    fill_form(page)
    assert page.find_element(By.ID, "member-2-sex").get_attribute("value") == "female"
    assert page.find_element(By.CSS_SELECTOR, "#member-2-sex option[value=female]").text == "Jente"
    assert page.find_element(By.CSS_SELECTOR, "#member-0-sex option[value=female]").text == "Kvinne"

    affordability_req, plan_req = expected_requests()
    page_requests = page.execute_script("return window.loanEngineCaseworker.requests()")
    assert page_requests == {"affordability": affordability_req, "plan": plan_req}

    page.find_element(By.ID, "income").send_keys(Keys.ENTER)  # implicit submission, as a keyboard user would
    wait_visible(page, "#results")
    wait_until(lambda: page.find_element(By.ID, "r-max-loan").text, 30, "the maximum loan")
    focused = page.switch_to.active_element.get_attribute("id")
    assert focused == "results-h", "focus should move to the results heading"

    with live_server.client(Role.caseworker) as api:
        aff = api.post("/v1/affordability", json=affordability_req).json()
        plan = api.post("/v1/financing-plans", json=plan_req).json()
        ps_ref = plan["final"]["parameter_set"]
        ps = api.get(f"/v1/parameter-sets/{ps_ref['id']}", params={"version": ps_ref["version"]}).json()

    # Maximum loan and budget: rounded display equals the API's whole-krone (or øre) figures.
    assert shown(page, "r-max-loan") == aff["max_loan"]
    assert data_value(page.find_element(By.ID, "r-max-loan")) == aff["max_loan"]
    assert shown(page, "r-disposable") == round(aff["disposable_monthly"])
    assert shown(page, "r-stress-rate") == pytest.approx(aff["stress_rate"], abs=0.005)
    assert shown(page, "r-first-payment") == round(aff["first_monthly_payment"])
    assert shown(page, "r-living-costs") == round(aff["living_costs"]["amount"])
    assert "SIFO" in page.find_element(By.ID, "r-living-costs").text
    rows = page.find_elements(By.CSS_SELECTOR, "#living-table tbody tr")
    assert len(rows) == len(aff["living_costs"]["breakdown"])
    explanation = [li.text for li in page.find_elements(By.CSS_SELECTOR, "#explanation li")]
    assert explanation == [plain(s["nb"]) for s in aff["explanation"]]

    # The ladder step by step, the solution and the grant.
    steps = page.find_elements(By.CSS_SELECTOR, "#ladder > li")
    assert [s.get_attribute("data-step") for s in steps] == [s["name"] for s in plan["steps"]]
    assert [s.get_attribute("data-works") == "true" for s in steps] == [s["works"] for s in plan["steps"]]
    assert [int(s.get_attribute("data-max-loan")) for s in steps] == [s["max_loan"] for s in plan["steps"]]
    for step, api_step in zip(steps, plan["steps"], strict=True):
        assert plain(api_step["nb"]) in step.text
    assert shown(page, "r-required-loan") == plan["required_loan"]
    assert page.find_element(By.ID, "r-solution").get_attribute("data-solution") == (plan["solution"] or "")
    grant = plan["grant"]["amount"] if plan["grant"] else 0
    assert shown(page, "r-grant") == grant
    assert plan["solution"] == "grant" and grant > 0, "the example household should need a grant"

    # The schedule of the loan the plan arrives at, at the rate it carries.
    final = plan["final"]
    principal = plan["grant"]["loan_with_grant"] if plan["grant"] else min(plan["required_loan"], final["max_loan"])
    values = ps["values"]
    floating = round(values["husbanken_rates"]["value"]["floating"] + values["kommune_margin_pp"]["value"], 6)
    assert final["floating_rate"] == floating, "the API's floating rate is Husbanken's plus the kommune margin"
    schedule_req: dict[str, Any] = {
        "principal": principal,
        "term_years": final["term_years"],
        "repayment": final["repayment"],
        "interest_only_years": 0,
        "annual_rate": floating,
    }
    if final["rate_type"] == "fixed":
        schedule_req["annual_rate"] = final["fixed_rate"]
        if final["fixation_years"] and final["fixation_years"] < final["term_years"]:
            schedule_req.update(fixed_period_years=final["fixation_years"], rate_after_fixed=floating)
    with live_server.client(Role.caseworker) as api:
        schedule = api.post("/v1/schedules", json=schedule_req).json()
    assert shown(page, "s-principal") == principal
    assert shown(page, "s-first-payment") == round(schedule["first_payment"])
    assert shown(page, "s-total-interest") == round(schedule["totals"]["interest"])
    assert shown(page, "s-total-payment") == round(schedule["totals"]["payment"])
    year_rows = page.find_elements(By.CSS_SELECTOR, "#schedule-table tbody tr")
    assert len(year_rows) == len(schedule["rows"]) // 12
    last_balance = year_rows[-1].find_elements(By.TAG_NAME, "td")[-1]
    assert data_value(last_balance) == pytest.approx(schedule["rows"][-1]["balance"], abs=0.005)
    first_year_interest = sum(r["interest"] for r in schedule["rows"][:12])
    assert data_value(year_rows[0].find_elements(By.TAG_NAME, "td")[1]) == pytest.approx(first_year_interest)
    assert page.find_element(By.CSS_SELECTOR, "#schedule-chart svg[role=img]")
    assert page.find_element(By.ID, "r-parameter-set").text.startswith(f"Parametersett: {ps_ref['id']}")

    problems = a11y_problems(page)
    assert problems == [], problems
    screenshot("caseworker-nb")
    page.execute_script("document.getElementById('results').scrollIntoView()")
    screenshot("caseworker-nb-results", full_page=False)
    page.execute_script("document.getElementById('plan-h').scrollIntoView()")
    screenshot("caseworker-nb-ladder", full_page=False)

    # English: the same numbers, English text from the API, lang attribute switched.
    page.find_element(By.ID, "lang-toggle").click()
    wait_until(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", 5, "lang=en")
    assert page.find_element(By.ID, "r-max-loan").text.startswith("NOK ")
    assert shown(page, "r-max-loan", "en") == aff["max_loan"]
    assert shown(page, "r-grant", "en") == grant
    assert [li.text for li in page.find_elements(By.CSS_SELECTOR, "#explanation li")] == [
        plain(s["en"]) for s in aff["explanation"]
    ]
    assert page.find_element(By.CSS_SELECTOR, "label[for=member-0-age]").text == "Age, person 1"
    assert a11y_problems(page) == []
    screenshot("caseworker-en")
    page.find_element(By.ID, "lang-toggle").click()

    # Print view: the form and navigation are hidden, the results stay; and the page prints to a PDF.
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert not page.find_element(By.ID, "cw-form").is_displayed()
    assert not page.find_element(By.CSS_SELECTOR, ".site-header").is_displayed()
    assert page.find_element(By.ID, "r-max-loan").is_displayed()
    assert page.find_element(By.ID, "print-header").is_displayed()
    screenshot("caseworker-print")
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(page.print_page())
    assert pdf.startswith(b"%PDF")
    (tmp_path / "caseworker.pdf").write_bytes(pdf)
    check_case_file_pdf(pdf, aff, plan, ps_ref)


def squeeze(text: str) -> str:
    """Text without any whitespace (PDF text extraction breaks lines and spaces where the layout does)."""
    text = unicodedata.normalize("NFKC", text)  # ligatures such as "ﬂ" back to letters
    return re.sub(r"\s+", "", text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2011", "-"))


def check_case_file_pdf(pdf: bytes, aff: dict[str, Any], plan: dict[str, Any], ps_ref: dict[str, Any]) -> None:
    """The printed case file holds, each exactly once: the case reference, kommune, caseworker, date, parameter set
    and version, the inputs, the figures, the explanation and each step of the ladder."""
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = squeeze(text)
    assert "[object" not in text, "an element was printed as [object HTMLElement]"
    today = date.today()
    months = [
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ]
    once = {
        "case reference": CASE_REF,
        "caseworker": CASEWORKER,
        "kommune": "Kommune0301",
        "date": f"{today.day}.{months[today.month - 1]}{today.year}",
        "parameter set": f"{ps_ref['id']},versjon{ps_ref['version']}",
        "inputs heading": "Opplysningerlagttilgrunn",
        "income input": "Netto inntekt per måned 54 000 kr",
        "maximum loan": "Maksimalt startlån " + f"{aff['max_loan']:,}".replace(",", " ") + " kr",
        "grant": "Tilskuddsbehov " + f"{plan['grant']['amount']:,}".replace(",", " ") + " kr",
    }
    for what, needle in once.items():
        assert flat.count(squeeze(needle)) == 1, (
            f"{what} ({needle!r}) should be printed once: {flat.count(squeeze(needle))}"
        )
    for sentence in aff["explanation"]:
        assert flat.count(squeeze(plain(sentence["nb"]))) >= 1, f"explanation missing: {sentence['nb']}"
    assert "sifo)" not in flat and "holder:grant" not in flat
    for step in plan["steps"]:
        assert flat.count(squeeze(plain(step["nb"]))) == 1, (
            f"ladder step printed {flat.count(squeeze(plain(step['nb'])))}×"
        )


def test_caseworker_page_shows_the_apis_problem_next_to_the_field(page: Any, live_server: LiveServer) -> None:
    page.get(f"{live_server.url}/app/caseworker.html")
    key = page.find_element(By.ID, "api-key")
    wait_until(lambda: key.get_attribute("value"), 10, "the demo key")
    age = page.find_element(By.ID, "member-0-age")
    type_into(age, "130")
    type_into(page.find_element(By.ID, "income"), "30000")
    page.find_element(By.ID, "calculate").send_keys(Keys.ENTER)
    summary = wait_visible(page, ".error-summary")

    with live_server.client(Role.caseworker) as api:
        problem = api.post(
            "/v1/affordability",
            json={
                "household": {
                    "members": [{"age": 130, "sex": "female"}],
                    "car": "none",
                    "children_in_barnehage": 0,
                    "children_in_sfo": 0,
                },
                "income": {"net_monthly": 30000},
            },
            headers={"Accept-Language": "nb"},  # as the page asks: the problem in bokmål
        ).json()
    error = problem["errors"][0]
    assert error["message"] == "Må være høyst 120"
    assert error["field"] == "household.members.0.age"
    item = summary.find_element(By.CSS_SELECTOR, "li")
    assert item.get_attribute("data-error-field") == error["field"]
    assert item.text == error["message"]
    assert age.get_attribute("aria-invalid") == "true"
    note = page.find_element(By.ID, age.get_attribute("aria-describedby").split()[-1])
    assert note.text == error["message"]
    assert page.switch_to.active_element == summary, "focus should move to the error summary"
    # The link in the summary takes keyboard users to the field.
    summary.find_element(By.CSS_SELECTOR, "a").send_keys(Keys.ENTER)
    assert page.switch_to.active_element == age
    assert page.find_element(By.ID, "results").get_attribute("hidden") is not None

    # A wrong key: the 401 problem lands next to the key field.
    type_into(age, "40")
    type_into(key, "le_not-a-real-key-000000000")
    page.find_element(By.ID, "calculate").click()
    wait_until(lambda: key.get_attribute("aria-invalid") == "true", 10, "the key field to be marked")
    assert "ukjent eller trukket tilbake" in page.find_element(By.CSS_SELECTOR, ".error-summary").text
