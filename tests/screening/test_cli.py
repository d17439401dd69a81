"""``loan-engine screen``: sample register, screening with a progress bar, summary and row errors, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.screening.conftest import register_text

runner = CliRunner()


def _out(result: object) -> str:
    return " ".join(str(getattr(result, "output", "")).split())  # rich wraps long lines


def test_sample_then_screen_csv_and_json(tmp_path: Path) -> None:
    tenants, prices, out = tmp_path / "tenants.csv", tmp_path / "prices.csv", tmp_path / "results.csv"
    r = runner.invoke(
        app,
        [
            "screen",
            "sample",
            "--households",
            "300",
            "--out",
            str(tenants),
            "--prices-out",
            str(prices),
            "--date",
            "2026-01-01",
        ],
    )
    assert r.exit_code == 0, r.output
    assert len(tenants.read_text(encoding="utf-8").splitlines()) == 301
    r = runner.invoke(app, ["screen", str(tenants), "--prices", str(prices), "--out", str(out), "--date", "2026-01-01"])
    assert r.exit_code == 0, r.output
    assert "Kommune summary" in _out(r) and "municipal dwellings freed" in _out(r)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 300
    r = runner.invoke(
        app,
        [
            "screen",
            str(tenants),
            "--prices",
            str(prices),
            "--out",
            str(tmp_path / "r.json"),
            "--json",
            "--date",
            "2026-01-01",
            "--count-bostotte",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["summary"]["options"]["count_bostotte"] is True and len(doc["households"]) == 300


def test_row_errors_are_printed(tmp_path: Path, sample_prices_path: Path) -> None:
    tenants = tmp_path / "t.csv"
    rows = [*register_text().splitlines()[1:], "B1;F150;1;0;0;0;0;9000;0;0;;Rud;;nei"]
    tenants.write_bytes(register_text(rows).encode("cp1252"))
    r = runner.invoke(app, ["screen", str(tenants), "--prices", str(sample_prices_path), "--date", "2026-01-01"])
    assert r.exit_code == 0, r.output
    assert "Windows-1252" in r.output or "UTF-8" in r.output
    assert "age-0-120" in _out(r) and "3 screened, 1 rejected" in _out(r)


def test_bad_input_is_a_red_line_not_a_traceback(tmp_path: Path, sample_prices_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    r = runner.invoke(app, ["screen", str(empty), "--prices", str(sample_prices_path)])
    assert r.exit_code == 2 and "empty" in _out(r) and "Traceback" not in r.output
    r = runner.invoke(app, ["screen", str(tmp_path / "missing.csv"), "--prices", str(sample_prices_path)])
    assert r.exit_code == 2 and "no such file" in _out(r)
    r = runner.invoke(app, ["screen", str(empty)])
    assert r.exit_code == 2 and "--prices" in _out(r)
    big = tmp_path / "big.csv"
    big.write_bytes(register_text().encode())
    r = runner.invoke(app, ["screen", str(big), "--prices", str(sample_prices_path), "--max-bytes", "100"])
    assert r.exit_code == 2 and "limit" in _out(r)
    r = runner.invoke(app, ["screen", str(big), "--prices", str(sample_prices_path), "--date", "tomorrow"])
    assert r.exit_code == 2
