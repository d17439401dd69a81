"""The command line's human output uses one number format (Norwegian, as the pages), its defaults are the web
pages' defaults, and ``--json`` writes only JSON to standard output."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.cli import screening as screening_cli
from api.cli import stress_test as stress_cli

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "web" / "static"
ENGLISH_NUMBER = re.compile(r"\d,\d{3}\b|\d\.\d{2}\b|\bNOK\b")


def page_default(page: str, input_id: str) -> float:
    html = (STATIC / page).read_text(encoding="utf-8")
    match = re.search(rf'<input id="{input_id}"[^>]*value="([^"]*)"', html)
    assert match, f"{page} has no #{input_id} with a value"
    return float(match.group(1))


def default_of(function: object, name: str) -> object:
    return inspect.signature(function).parameters[name].default  # type: ignore[arg-type]


def test_defaults_are_the_web_pages_defaults() -> None:
    assert default_of(stress_cli.stress_test, "horizon_years") == page_default("finance.html", "horizon")
    assert default_of(stress_cli.stress_test, "scenarios") == page_default("finance.html", "scenarios")
    assert default_of(stress_cli.stress_test, "seed") == page_default("finance.html", "seed")
    assert default_of(screening_cli.screen_command, "max_grant_percent") == page_default(
        "screening.html", "max-grant-share"
    )
    assert default_of(screening_cli.screen_command, "purchase_costs_percent") == page_default(
        "screening.html", "purchase-costs"
    )


def test_affordability_table_in_norwegian_number_format() -> None:
    result = runner.invoke(
        app, ["affordability", str(ROOT / "examples" / "affordability.json")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    table = result.stdout.split("Forklaring")[0]
    assert re.search(r"\d{1,3}(\u00a0\d{3})+\u00a0kr", table), table
    assert re.search(r"\d,\d{2}\u00a0%", table), "the stress rate as 6,50 %"
    assert not ENGLISH_NUMBER.search(table), ENGLISH_NUMBER.search(table)


def test_stress_test_table_in_norwegian_number_format(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    assert runner.invoke(app, ["portfolio", "generate", "--loans", "60", "--out", str(book)]).exit_code == 0
    result = runner.invoke(
        app, ["stress-test", str(book), "--scenarios", "32", "--horizon-years", "2"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Kommunens andel" in result.stdout and re.search(r"\d,\d\u00a0%", result.stdout)
    assert not re.search(r"\d,\d{3}\b", result.stdout.replace("\u00a0", " ")), "no English thousands separators"


def test_screen_json_goes_to_standard_output(tmp_path: Path) -> None:
    tenants, prices = tmp_path / "t.csv", tmp_path / "p.csv"
    sample = ["screen", "sample", "--households", "40", "--out", str(tenants), "--prices-out", str(prices)]
    assert runner.invoke(app, sample).exit_code == 0
    result = runner.invoke(app, ["screen", str(tenants), "--prices", str(prices), "--json", "--date", "2026-01-01"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["households"]) == 40 and "summary" in document
