"""The CLI: loan-engine affordability | schedule | financing-plan, tables or --json, bad input → exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.underwriting.test_api import affordability_body, plan_body

runner = CliRunner()


def write(tmp_path: Path, body: Any, name: str = "request.json") -> str:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return str(path)


def test_affordability_json_equals_the_api_shape(tmp_path: Path) -> None:
    result = runner.invoke(app, ["affordability", write(tmp_path, affordability_body()), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["disposable_monthly"] == 29_124
    assert out["parameter_set"] == {"id": "no-2026-1", "version": 1}
    assert out["explanation"]


def test_affordability_table(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["affordability", write(tmp_path, affordability_body()), "--lang", "en"], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    assert "maximum loan" in result.stdout and "Explanation" in result.stdout and "no-2026-1" in result.stdout


def test_schedule_table_and_json(tmp_path: Path) -> None:
    path = write(tmp_path, {"principal": 1_000_000, "annual_rate": 5, "term_years": 30})
    table = runner.invoke(app, ["schedule", path], env={"COLUMNS": "160"})
    assert table.exit_code == 0 and "1\u00a0000\u00a0000,00\u00a0kr" in table.stdout
    as_json = json.loads(runner.invoke(app, ["schedule", path, "--json"]).stdout)
    assert as_json["totals"]["principal"] == 1_000_000 and len(as_json["rows"]) == 360


def test_financing_plan(tmp_path: Path) -> None:
    path = write(tmp_path, plan_body())
    result = runner.invoke(app, ["financing-plan", path, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["solution"] == "grant" and out["grant"]["amount"] > 0
    table = runner.invoke(app, ["financing-plan", path], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "grant" in table.stdout


@pytest.mark.parametrize(
    ("command", "body", "expected"),
    [
        ("affordability", "{not json", "not valid JSON"),
        ("affordability", affordability_body(loan={"term_years": 60}), "loan.term_years"),
        ("affordability", affordability_body(loan={"term_years": 50}), "term-over-30-needs-section-8-5"),
        ("affordability", affordability_body(income={"net_monthly": -1}), "income.net_monthly"),
        (
            "schedule",
            {"principal": 1_000, "annual_rate": 5, "term_years": 30, "interest_only_years": 9},
            "interest_only_years",
        ),
        (
            "schedule",
            {"principal": 1_000, "annual_rate": 5, "term_years": 2, "interest_only_years": 2},
            "interest-only-shorter-than-term",
        ),
        ("financing-plan", {"household": {"members": [{"age": 30, "sex": "x"}]}}, "household.members.0.sex"),
    ],
)
def test_bad_input_exit_2_without_traceback(tmp_path: Path, command: str, body: Any, expected: str) -> None:
    result = runner.invoke(app, [command, write(tmp_path, body)], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert expected in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_file_and_bad_language(tmp_path: Path) -> None:
    result = runner.invoke(app, ["affordability", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "no such file" in result.output
    result = runner.invoke(app, ["affordability", write(tmp_path, affordability_body()), "--lang", "de"])
    assert result.exit_code == 2 and "--lang" in result.output
