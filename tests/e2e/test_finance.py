"""Finance page in a real browser: make a synthetic portfolio, choose a scenario, start a stress test, follow its
progress, and check that every figure and chart table shown equals the API's result (and the loss histogram the
per-scenario losses of the API's CSV)."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from api.seed import DEMO_KEYS
from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, type_into, wait_until, wait_visible

pytestmark = pytest.mark.e2e

BINS = 15


def histogram(losses: list[float], width: float) -> list[int]:
    """The page's rule: scenarios without loss, then bins of the given width over (0, max], bin i = (i·w, (i+1)·w]."""
    top = max([0.0, *losses])
    counts = [sum(1 for x in losses if x <= 0)]
    if top > 0:
        n = max(1, math.ceil(top / width - 1e-9))
        bins = [0] * n
        for x in losses:
            if x > 0:
                bins[min(n - 1, math.ceil(x / width - 1e-9) - 1)] += 1
        counts += bins
    return counts


def is_round(step: float) -> bool:
    """1, 2 or 5 × 10^k (d3's tick steps)."""
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5, 10))


def cell_values(page: Any, table_css: str, column: int) -> list[float | None]:
    """data-value of the given td column in each body row (None where empty)."""
    out: list[float | None] = []
    for row in page.find_elements(By.CSS_SELECTOR, f"{table_css} tbody tr"):
        raw = row.find_elements(By.TAG_NAME, "td")[column].get_attribute("data-value")
        out.append(float(raw) if raw not in (None, "", "null", "undefined") else None)
    return out


def test_finance_page_runs_a_stress_test_and_shows_the_apis_results(
    page: Any, live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    page.get(f"{live_server.url}/app/finance.html")
    key = page.find_element(By.ID, "api-key")
    wait_until(lambda: key.get_attribute("value") == DEMO_KEYS[Role.finance], 10, "the demo key")

    # A synthetic portfolio, made through the page with the keyboard.
    summary = page.find_element(By.CSS_SELECTOR, "#synthetic summary")
    summary.send_keys(Keys.ENTER)
    wait_visible(page, "#synthetic-name", 5)
    type_into(page.find_element(By.ID, "synthetic-name"), "E2E-portefølje")
    type_into(page.find_element(By.ID, "synthetic-loans"), "300")
    type_into(page.find_element(By.ID, "synthetic-seed"), "3")
    page.find_element(By.ID, "create-synthetic").send_keys(Keys.ENTER)
    select = page.find_element(By.ID, "portfolio")
    wait_until(lambda: "E2E-portefølje" in Select(select).first_selected_option.text, 30, "the new portfolio")
    with live_server.client(Role.finance) as api:
        listed = {p["name"]: p for p in api.get("/v1/portfolios").json()["items"]}
    portfolio = listed["E2E-portefølje"]
    assert select.get_attribute("value") == portfolio["id"]
    assert page.switch_to.active_element == select
    wait_until(lambda: "300" in page.find_element(By.ID, "portfolio-summary").text, 10, "the portfolio summary")

    # Scenario by keyboard, run settings, start.
    Select(page.find_element(By.ID, "scenario")).select_by_value("rate-up-200bp")
    type_into(page.find_element(By.ID, "scenarios"), "400")
    type_into(page.find_element(By.ID, "horizon"), "10")
    type_into(page.find_element(By.ID, "seed"), "7")
    expected_request = {
        "portfolio_id": portfolio["id"],
        "scenario": {"preset": "rate-up-200bp"},
        "scenarios": 400,
        "horizon_years": 10,
        "seed": 7,
    }
    assert page.execute_script("return window.loanEngineFinance.request()") == expected_request
    page.find_element(By.ID, "start").send_keys(Keys.ENTER)
    wait_visible(page, "#progress-box", 30)
    wait_visible(page, "#results", 600)
    assert page.switch_to.active_element.get_attribute("id") == "results-h"
    location = page.execute_script("return window.loanEngineFinance.location()")
    assert location.startswith("/v1/stress-tests/")

    progress = page.find_element(By.ID, "progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "400"
    assert page.find_element(By.ID, "progress-text").get_attribute("data-status") == "succeeded"
    assert "400 av 400" in page.find_element(By.ID, "progress-text").text

    with live_server.client(Role.finance) as api:
        job = api.get(location).json()
        losses_csv = api.get(f"{location}/scenario-losses.csv", params={"format": "machine"}).text
    assert job["params"]["scenario"] == {"preset": "rate-up-200bp"} and job["params"]["seed"] == 7
    r = job["result"]

    def shown(element_id: str) -> tuple[float, float | None]:
        e = page.find_element(By.ID, element_id)
        se = e.get_attribute("data-se")
        return float(e.get_attribute("data-value") or "nan"), float(se) if se else None

    for element_id, figure in (
        ("r-el-total", r["expected_loss"]["total"]),
        ("r-el-kommune", r["expected_loss"]["kommune"]),
        ("r-el-state", r["expected_loss"]["state"]),
        ("r-share-kommune", r["loss_share_pct"]["kommune"]),
        ("r-defaults-total", r["defaults_total"]),
    ):
        assert shown(element_id) == (figure["value"], figure["se"]), element_id
    el_total = page.find_element(By.ID, "r-el-total").text.replace("\u00a0", " ")
    assert f"{r['expected_loss']['total']['value']:,}".replace(",", " ") in el_total

    # Loss distribution: the histogram equals the API's per-scenario losses; the VaR/ES table equals the API's.
    losses = [float(row["loss_total"]) for row in csv.DictReader(io.StringIO(losses_csv))]
    assert len(losses) == 400
    bins = page.execute_script("return window.loanEngineFinance.histogram(arguments[0])", losses)
    width = bins[1]["to"] - bins[1]["from"] if len(bins) > 1 else 1.0
    assert is_round(width) and bins[-1]["to"] >= max(losses), "round bin edges that cover the largest loss"
    assert cell_values(page, "#loss-chart-table", 0) == histogram(losses, width)
    # Round axis ticks (d3-scale), labelled with one format, and round bin labels.
    for chart_id in ("loss-chart", "defaults-chart", "split-chart", "nim-chart"):
        ticks = [
            float(x.get_attribute("data-tick"))
            for x in page.find_elements(By.CSS_SELECTOR, f"#{chart_id} .tick[data-tick]")
        ]
        steps = {round(b - a, 12) for a, b in itertools.pairwise(ticks)}
        assert len(steps) == 1 and is_round(steps.pop()), (chart_id, ticks)
    assert sum(v or 0 for v in cell_values(page, "#loss-chart-table", 0)) == 400
    assert cell_values(page, "#quantiles-table", 0) == [q["var"] for q in r["loss_quantiles"]["total"]]
    assert cell_values(page, "#quantiles-table", 1) == [q["es"] for q in r["loss_quantiles"]["total"]]
    assert cell_values(page, "#quantiles-table", 2) == [q["var"] for q in r["loss_quantiles"]["kommune"]]

    # Default and arrears rates per year, the kommune/state split, the net interest margin.
    years = r["years"]
    assert cell_values(page, "#defaults-chart-table", 0) == [y["default_rate_pct"]["value"] for y in years]
    assert cell_values(page, "#defaults-chart-table", 1) == [y["arrears_rate_pct"]["value"] for y in years]
    available = [q for q in r["loss_quantiles"]["kommune"] if q["var"] is not None]
    state_available = [q for q in r["loss_quantiles"]["state"] if q["var"] is not None]
    assert cell_values(page, "#split-chart-table", 0) == [
        r["expected_loss"]["kommune"]["value"],
        *[q["var"] for q in available],
    ]
    assert cell_values(page, "#split-chart-table", 1) == [
        r["expected_loss"]["state"]["value"],
        *[q["var"] for q in state_available],
    ]
    assert cell_values(page, "#nim-chart-table", 0) == [y["net_interest_margin_pct"]["value"] for y in years]
    for chart_id in ("loss-chart", "defaults-chart", "split-chart", "nim-chart"):
        svg = page.find_element(By.CSS_SELECTOR, f"#{chart_id} svg[role=img]")
        assert svg.get_attribute("aria-labelledby")

    # Downloads: the Excel-ready CSV (";", BOM, bokmål headers, the API's filename) and the XLSX workbook.
    csv_download = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.loanEngineFinance.download('csv').then(done, (e) => done({error: String(e)}));"
    )
    job_id = location.rsplit("/", 1)[1]
    assert csv_download["name"] == f"stresstest-{job_id}-tap-per-scenario.csv", csv_download
    assert csv_download["head"][:3] == [0xEF, 0xBB, 0xBF], "UTF-8 BOM"
    lines = csv_download["text"].lstrip("\ufeff").splitlines()
    assert lines[0].startswith("scenario;tap totalt (kr);kommunens tap (kr);statens tap (kr)")
    assert len(lines) == 401
    assert [float(x.split(";")[1]) for x in lines[1:]] == [round(x) for x in losses]
    xlsx_download = page.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.loanEngineFinance.download('xlsx').then(done, (e) => done({error: String(e)}));"
    )
    assert xlsx_download["name"] == f"stresstest-{job_id}.xlsx", xlsx_download
    assert xlsx_download["head"] == [0x50, 0x4B, 0x03, 0x04] and xlsx_download["size"] > 5000
    assert page.find_element(By.ID, "download-csv").is_displayed()

    problems = a11y_problems(page)
    assert problems == [], problems
    screenshot("finance-nb")
    page.execute_script("document.getElementById('results-h').scrollIntoView()")
    screenshot("finance-nb-results", full_page=False)

    page.find_element(By.ID, "lang-toggle").click()
    wait_until(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", 5, "lang=en")
    assert page.find_element(By.ID, "r-el-total").text.startswith("NOK ")
    assert cell_values(page, "#defaults-chart-table", 0) == [y["default_rate_pct"]["value"] for y in years]
    assert a11y_problems(page) == []
    screenshot("finance-en")


def test_finance_page_shows_the_apis_problem_for_a_bad_run(page: Any, live_server: LiveServer) -> None:
    with live_server.client(Role.finance) as api:
        created = api.post("/v1/portfolios/synthetic", json={"name": "E2E-feil", "loans": 20, "seed": 1})
        assert created.status_code == 201
        bad = {
            "portfolio_id": created.json()["id"],
            "scenario": {"preset": "baseline"},
            "scenarios": 10_000_000,
            "horizon_years": 10,
            "seed": 0,
        }
        problem = api.post("/v1/stress-tests", json=bad, headers={"Accept-Language": "nb"}).json()
    page.get(f"{live_server.url}/app/finance.html")
    wait_until(lambda: page.find_element(By.ID, "api-key").get_attribute("value"), 10, "the demo key")
    select = page.find_element(By.ID, "portfolio")
    wait_until(
        lambda: created.json()["id"] in [o.get_attribute("value") for o in Select(select).options],
        10,
        "the portfolio list",
    )
    Select(select).select_by_value(created.json()["id"])
    type_into(page.find_element(By.ID, "scenarios"), "10000000")
    page.find_element(By.ID, "start").click()
    summary = wait_visible(page, "#run-form .error-summary", 10)
    assert problem["errors"], problem
    assert summary.find_element(By.CSS_SELECTOR, "li").text == problem["errors"][0]["message"]
    if problem["errors"][0]["field"] == "scenarios":
        assert page.find_element(By.ID, "scenarios").get_attribute("aria-invalid") == "true"
    assert page.find_element(By.ID, "results").get_attribute("hidden") is not None


def test_finance_page_says_why_the_first_run_waits(page: Any, live_server: LiveServer) -> None:
    """While no scenario is done the page shows a moving (indeterminate) bar, the seconds, and the Numba note."""
    page.get(f"{live_server.url}/app/finance.html")
    wait_until(lambda: page.execute_script("return !!window.loanEngineFinance"), 10, "the page script")
    job: dict[str, Any] = {"status": "running", "progress": {"scenarios_done": 0, "scenarios_total": 1000}}
    early = page.execute_script("return window.loanEngineFinance.progressMessage(arguments[0], 500)", job)
    late = page.execute_script("return window.loanEngineFinance.progressMessage(arguments[0], 12500)", job)
    assert early["warming"] is False
    assert late == {"warming": True, "elapsed": "Starter beregningsmotoren … 12 s"}
    job["progress"]["scenarios_done"] = 10
    moving = page.execute_script("return window.loanEngineFinance.progressMessage(arguments[0], 12500)", job)
    assert moving == {"warming": False, "elapsed": "Brukt tid: 12 s"}
    note = page.find_element(By.ID, "warmup-note")
    assert "Numba" in note.get_attribute("textContent") and "halvt minutt" in note.get_attribute("textContent")


def test_finance_page_uploads_a_portfolio_file(page: Any, live_server: LiveServer) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "portfolio.csv"
    page.get(f"{live_server.url}/app/finance.html")
    wait_until(lambda: page.find_element(By.ID, "api-key").get_attribute("value"), 10, "the demo key")
    page.find_element(By.CSS_SELECTOR, "#upload summary").click()
    page.find_element(By.ID, "upload-file").send_keys(str(example))
    type_into(page.find_element(By.ID, "upload-name"), "E2E-opplastet")
    page.find_element(By.ID, "upload-portfolio").click()
    status = page.find_element(By.ID, "upload-status")
    wait_until(lambda: "E2E-opplastet" in status.text, 30, "the upload")
    rows = len(example.read_text(encoding="utf-8").strip().splitlines()) - 1
    with live_server.client(Role.finance) as api:
        listed = {p["name"]: p for p in api.get("/v1/portfolios").json()["items"]}
    assert listed["E2E-opplastet"]["loan_count"] == rows
    assert f"{rows} lån" in status.text
    select = page.find_element(By.ID, "portfolio")
    assert select.get_attribute("value") == listed["E2E-opplastet"]["id"]
    # A second upload with the same name: the API's 409 problem, in bokmål, next to the name field.
    page.find_element(By.ID, "upload-file").send_keys(str(example))
    page.find_element(By.ID, "upload-portfolio").click()
    summary = wait_visible(page, "#portfolio-form .error-summary", 15)
    assert "navnet" in summary.text
