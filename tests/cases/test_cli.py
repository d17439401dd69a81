"""The command line takes a case from draft to decided (and loads parameter sets), on every test database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import get_settings
from tests.cases.helpers import VALID_NATIONAL_ID, case_body, granted
from tests.cases.test_parameter_sets_and_keys import kommune_set
from tests.conftest import BACKENDS

runner = CliRunner()


@pytest.fixture(scope="module", params=BACKENDS)
def cli_database(request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]) -> Iterator[str]:
    url = fresh_database_url(request.param)
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    mp.setenv("LOAN_ENGINE_ENVIRONMENT", "test")
    mp.setenv("LOAN_ENGINE_DEMO_DATA", "false")
    get_settings.cache_clear()
    yield url
    mp.undo()
    get_settings.cache_clear()


def invoke(*args: str) -> tuple[int, str]:
    """Exit code and output with rich's line wrapping undone."""
    result = runner.invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


def test_case_from_draft_to_decided(cli_database: str, tmp_path: Path) -> None:
    application = tmp_path / "application.json"
    application.write_text(json.dumps(case_body(national_id=VALID_NATIONAL_ID)), encoding="utf-8")
    case = run("cases", "create", str(application), "--kommune", "0301", "--json")
    assert case["status"] == "draft" and case["national_id"] == VALID_NATIONAL_ID

    calc = run("cases", "assess", case["id"], "--json")
    assert calc["serviceable"] is True
    decision = tmp_path / "decision.json"
    body = granted(2, calc["max_loan"] + 50_000)
    decision.write_text(json.dumps(body), encoding="utf-8")
    code, out = invoke("cases", "decide", case["id"], str(decision))
    assert code == 2 and "fraradning-required" in out

    body["fraradning"] = "Kommunen fraråder et lån over det beregningen viser at husstanden kan betjene."
    decision.write_text(json.dumps(body), encoding="utf-8")
    text_out = run("cases", "decide", case["id"], str(decision))
    assert "granted" in text_out and "AGAINST" in " ".join(text_out.split())

    shown = run("cases", "show", case["id"])
    assert json.loads(shown)["status"] == "decided"
    listed = run("cases", "list", "--kommune", "0301", "--status", "decided", "--json")
    assert [c["id"] for c in listed["items"]] == [case["id"]]

    code, out = invoke("cases", "decide", case["id"], str(decision))
    assert code == 2 and "stale-version" in out
    code, out = invoke("cases", "show", "nope")
    assert code == 2 and "case-exists" in out

    later = (date.today() + timedelta(days=400)).isoformat()
    assert "expired 1 case" in " ".join(run("cases", "expire", "--today", later).split())
    assert json.loads(run("cases", "show", case["id"]))["status"] == "expired"


def test_bad_files_are_red_lines_not_tracebacks(cli_database: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{oops", encoding="utf-8")
    code, out = invoke("cases", "create", str(broken), "--kommune", "0301")
    assert code == 2 and "not valid JSON" in out
    bad_id = tmp_path / "bad_id.json"
    bad_id.write_text(json.dumps(case_body(national_id="15076500566")), encoding="utf-8")
    code, out = invoke("cases", "create", str(bad_id), "--kommune", "0301")
    assert code == 2 and "national-id-mod11" in out and "15076500566" not in out
    code, out = invoke("cases", "create", str(tmp_path / "missing.json"), "--kommune", "0301")
    assert code == 2 and "no such file" in out


def test_parameter_sets_load_and_list(cli_database: str, tmp_path: Path) -> None:
    doc = kommune_set("4620", 4.25, date.today() + timedelta(days=10))
    path = tmp_path / "set.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert f"loaded parameter set {doc['id']} v1" in " ".join(run("parameter-sets", "load", str(path)).split())
    code, out = invoke("parameter-sets", "load", str(path))
    assert code == 2 and "parameter-set-version-unique" in out
    listed = run("parameter-sets", "list", "--json")
    assert {(s["id"], s["version"]) for s in listed} >= {(doc["id"], 1)}
