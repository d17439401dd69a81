"""Downloads of a stress test: the per-scenario losses as Excel-ready CSV (``;``, BOM, filename, bokmål headers
with ``?lang=nb``) or machine CSV, and the results as XLSX (summary, quantiles, per year, scenario losses)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.portfolio.test_api import _wait

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SCENARIOS, YEARS = 40, 3


@pytest.fixture(scope="module")
def finished(client: TestClient, finance_headers: dict[str, str]) -> dict[str, Any]:
    made = client.post(
        "/v1/portfolios/synthetic",
        json={"name": f"x-{uuid.uuid4().hex[:8]}", "loans": 150, "seed": 2},
        headers=finance_headers,
    )
    assert made.status_code == 201, made.text
    body = {
        "portfolio_id": made.json()["id"],
        "scenario": {"preset": "crisis-1988-1993"},
        "scenarios": SCENARIOS,
        "horizon_years": YEARS,
        "seed": 3,
    }
    started = client.post("/v1/stress-tests", json=body, headers=finance_headers)
    assert started.status_code == 202, started.text
    job = _wait(client, finance_headers, started.headers["Location"], timeout=120)
    assert job["status"] == "succeeded", job
    return job


def test_scenario_losses_excel_ready_in_bokmal(
    client: TestClient, finance_headers: dict[str, str], finished: dict[str, Any]
) -> None:
    url = f"/v1/stress-tests/{finished['id']}/scenario-losses.csv"
    machine = client.get(url, params={"format": "machine"}, headers=finance_headers)
    assert machine.status_code == 200
    assert machine.content.startswith(b"scenario,loss_total,")
    stored = list(csv.DictReader(io.StringIO(machine.text)))

    answer = client.get(url, params={"lang": "nb"}, headers=finance_headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="stresstest-{finished["id"]}-tap-per-scenario.csv"'
    )
    assert answer.content.startswith("\ufeff".encode())
    text = answer.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "scenario",
        "tap totalt (kr)",
        "kommunens tap (kr)",
        "statens tap (kr)",
        "mislighold (lån)",
        "husstander over betjeningsevne",
    ]
    assert len(rows) == SCENARIOS + 1 == len(stored) + 1
    assert [int(r[1]) for r in rows[1:]] == [round(float(r["loss_total"])) for r in stored]
    assert "\r\n" in text


def test_scenario_losses_headers_follow_accept_language(
    client: TestClient, finance_headers: dict[str, str], finished: dict[str, Any]
) -> None:
    url = f"/v1/stress-tests/{finished['id']}/scenario-losses.csv"
    english = client.get(url, headers=finance_headers).content.decode("utf-8-sig").splitlines()[0]
    assert english.startswith("scenario;total loss (NOK);")
    norwegian = client.get(url, headers={**finance_headers, "Accept-Language": "nb"}).content.decode("utf-8-sig")
    assert norwegian.startswith("scenario;tap totalt (kr);")
    bad = client.get(url, params={"format": "xls"}, headers=finance_headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"


def test_results_xlsx(client: TestClient, finance_headers: dict[str, str], finished: dict[str, Any]) -> None:
    answer = client.get(
        f"/v1/stress-tests/{finished['id']}/results.xlsx", params={"lang": "nb"}, headers=finance_headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer.headers["content-disposition"] == f'attachment; filename="stresstest-{finished["id"]}.xlsx"'
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["Sammendrag", "Kvantiler", "Per år", "Tap per scenario"]
    result = finished["result"]
    summary = {row[0]: row[2] for row in book["Sammendrag"].iter_rows(min_row=2, values_only=True)}
    assert summary["el_total"] == result["expected_loss"]["total"]["value"]
    assert summary["scenarios"] == SCENARIOS
    years = list(book["Per år"].iter_rows(min_row=2, values_only=True))
    assert len(years) == YEARS
    assert years[0][0] == 1
    first = result["years"][0]
    assert years[0][3] == pytest.approx(first["default_rate_pct"]["value"] / 100)  # a percent cell (fraction)
    losses = list(book["Tap per scenario"].iter_rows(min_row=2, values_only=True))
    assert len(losses) == SCENARIOS and all(isinstance(r[1], int | float) for r in losses)


def test_downloads_before_results_are_404(client: TestClient, finance_headers: dict[str, str]) -> None:
    for path in ("scenario-losses.csv", "results.xlsx"):
        answer = client.get(f"/v1/stress-tests/nope/{path}", headers=finance_headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
