"""Issue 10 (formula injection) and 14 (a wrong file read as right) end to end: results and summary through the
shared writer, columns that look like known ones, Norwegian amounts, contracts already ended, CLI --json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from api.cli import app
from loan_engine.errors import InvalidInput
from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.engine import ScreeningOptions
from loan_engine.screening.prices import prices_from_records
from loan_engine.screening.ranking import RESULT_COLUMNS, results_csv, results_xlsx, summary_csv
from loan_engine.screening.run import read_register, run_screening
from loan_engine.screening.synthetic import sample_prices
from tests.screening.conftest import register_text

HEADER = "household_id;members;income_wages;rent;contract_end;area;dwelling"
INJECTIONS = ['=HYPERLINK("http://evil","klikk")', "+SUM(1+1)*cmd|'/C calc'!A0", "@SUM(A1)", "-2+3"]


@pytest.fixture
def injected(params: UnderwritingParameters, options: ScreeningOptions) -> Any:
    prices = prices_from_records([*sample_prices(), *({"area": s, "price_per_m2": 30000} for s in INJECTIONS)])
    rows = []
    for k, s in enumerate(INJECTIONS):
        cell = '"' + s.replace('"', '""') + '"'
        rows.append(f"{cell};F40;45000;9000;;Nordby;D{k}")  # household_id
        rows.append(f"X{k};F40;45000;9000;;{cell};D{k}b")  # area
        rows.append(f"Y{k};F40;45000;9000;;Rud;{cell}")  # dwelling
    rows.append("P1;F40;8000;15000;;Rud;D9")  # a household whose owning - rent is negative (a number)
    run = run_screening(register_text(rows, HEADER).encode(), prices, params, options)
    assert run.report.error_count == 0 and len(run.records) == 13
    return run


def _raw_cells(data: bytes, delimiter: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def test_results_csv_neutralises_formulas_in_every_language(injected: Any) -> None:
    for data in (
        results_csv(injected.columns),
        results_csv(injected.columns, lang="nb"),
        results_csv(injected.columns, lang="en", excel=True),
        results_csv(injected.records),
    ):
        cells = [c for row in _raw_cells(data)[1:] for c in row]
        for s in INJECTIONS:
            assert s not in cells, s
            assert "'" + s in cells, s
        for c in cells:
            assert not c or c[0] not in "=+@\t\r" or c.startswith("'")


def test_negative_numbers_stay_numbers(injected: Any) -> None:
    rows = _raw_cells(results_csv(injected.columns))
    k = RESULT_COLUMNS.index("owning_minus_rent")
    values = [r[k] for r in rows[1:] if r[k]]
    assert any(v.startswith("-") for v in values)
    assert all(int(v) == int(v) for v in values)  # plain integers, no quote prefix
    wb = openpyxl.load_workbook(io.BytesIO(results_xlsx(injected.columns, injected.summary, lang="nb")))
    ws = wb.worksheets[0]
    col = [c.value for c in ws[1]].index("eie minus leie (kr)") + 1
    cells = [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]
    assert any(isinstance(c.value, int | float) and c.value < 0 and c.data_type == "n" for c in cells)


def test_results_xlsx_numbers_numeric_and_formulas_neutralised(injected: Any) -> None:
    data = results_xlsx(injected.columns, injected.summary, lang="nb")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Resultater", "Sammendrag", "Områder"]
    ws = wb["Resultater"]
    head = [c.value for c in ws[1]]
    assert head[:3] == ["rangering", "rad i registeret", "husstand"]
    assert ws.freeze_panes == "A2"
    texts = {c.value for row in ws.iter_rows(min_row=2) for c in row if c.data_type == "s"}
    for s in INJECTIONS:
        assert "'" + s in texts and s not in texts
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    price = head.index("pris (kr)") + 1
    assert all(ws.cell(row=r, column=price).data_type == "n" for r in range(2, ws.max_row + 1))
    sol = head.index("løsning") + 1
    assert {ws.cell(row=r, column=sol).value for r in range(2, ws.max_row + 1)} <= {
        "ingen",
        "referansevilkår",
        "fastrente",
        "lengre løpetid",
        "tilpasset forbruk",
        "tilskudd",
    }
    s = wb["Sammendrag"]
    values = {row[1].value: row[2] for row in s.iter_rows(min_row=2)}
    assert values["husstander screenet"].value == 13 and values["husstander screenet"].data_type == "n"


def test_summary_csv_in_bokmal(injected: Any) -> None:
    rows = _raw_cells(summary_csv(injected.summary, lang="nb"))
    assert rows[0] == ["nøkkel", "hva", "verdi"]
    by_key = {r[0]: r[2] for r in rows[1:]}
    assert by_key["households_screened"] == "13"
    assert by_key["screening_date"] == "01.01.2026"


def test_column_that_looks_like_a_known_one_stops_the_run(sample_register_path: Path) -> None:
    text = sample_register_path.read_text(encoding="utf-8").replace("income_wages", "inntekt_arbeid", 1)
    with pytest.raises(InvalidInput) as e:
        read_register(text.encode())
    assert e.value.rule == "column-looks-like-known"
    assert "inntekt_arbeid" in e.value.detail and "income_wages" in e.value.detail
    assert "allow-unknown-columns" in e.value.detail
    reg, report, _ = read_register(text.encode(), allow_unknown_columns=True)
    assert len(reg) == 200 and "inntekt_arbeid" in report.ignored_columns
    assert any("inntekt_arbeid" in n for n in report.notes)


def test_typo_in_a_norwegian_alias_stops_the_run() -> None:
    header = HEADER.replace("rent", "husleiee")
    with pytest.raises(InvalidInput) as e:
        read_register(register_text(["A;F30;1;9000;;Rud;"], header).encode())
    assert e.value.rule == "column-looks-like-known" and "husleiee" in e.value.detail and "rent" in e.value.detail


def test_unrelated_extra_column_is_only_noted() -> None:
    reg, report, _ = read_register(register_text(["A;F30;1;9000;;Rud;;hei"], HEADER + ";kommentar").encode())
    assert len(reg) == 1 and report.ignored_columns == ["kommentar"]


def test_norwegian_amounts_with_dot_thousands(params: UnderwritingParameters, options: ScreeningOptions) -> None:
    rows = ["A;F40;kr 42.500,-;kr 12.500,-;;Rud;", "B;F40;125.000;9.800;;Rud;", "C;F40;42500,5;9800.5;;Rud;"]
    reg, report, _ = read_register(register_text(rows, HEADER).encode())
    assert report.error_count == 0
    assert reg.rent.tolist() == [12500.0, 9800.0, 9800.5]
    assert reg.income["income_wages"].tolist() == [42500.0, 125000.0, 42500.5]


def test_contracts_already_ended_are_their_own_category(
    sample_register_path: Path, sample_prices_path: Path, params: UnderwritingParameters
) -> None:
    from datetime import date, timedelta

    on = date(2026, 12, 1)  # the sample register's contracts, seen late in 2026: many have ended
    run = run_screening(sample_register_path, sample_prices_path, params, ScreeningOptions(screening_date=on))
    s = run.summary
    today = on.isoformat()
    limit = (on + timedelta(days=round(4 * 30.4375))).isoformat()
    could = [r for r in run.records if r["within_reach_with_grant"] and r["contract_end"]]
    ended = sum(1 for r in could if r["contract_end"] < today)
    assert s["could_own_contract_already_ended"] == ended
    assert ended > 0  # the sample has some, so the split is really tested
    assert s["could_own_contract_ending_within_4_months"] == sum(
        1 for r in could if today <= r["contract_end"] <= limit
    )


runner = CliRunner()


def test_cli_json_goes_to_standard_output(sample_register_path: Path, sample_prices_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    r = runner.invoke(
        app,
        [
            "screen",
            str(sample_register_path),
            "--prices",
            str(sample_prices_path),
            "--date",
            "2026-01-01",
            "--json",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    start = r.stdout.index('{"summary"')
    doc = json.loads(r.stdout[start:])
    assert doc["summary"]["households_screened"] == 200 and len(doc["households"]) == 200
    assert doc["source"]["format"] == "csv" and "register" in doc["errors"]
    assert out.read_bytes().startswith("\ufeff".encode())  # --out stays the CSV it names
    assert _raw_cells(out.read_bytes())[0][0] == "rank"


def test_cli_xlsx_and_bokmal_csv(sample_register_path: Path, sample_prices_path: Path, tmp_path: Path) -> None:
    args = ["screen", str(sample_register_path), "--prices", str(sample_prices_path), "--date", "2026-01-01"]
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "r.xlsx")])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames[0] == "Resultater" and wb.worksheets[0].max_row == 201
    r = runner.invoke(app, [*args, "--out", str(tmp_path / "r.csv"), "--lang", "nb"])
    assert r.exit_code == 0, r.output
    assert _raw_cells((tmp_path / "r.csv").read_bytes())[0][0] == "rangering"


def test_cli_refuses_a_look_alike_column_unless_allowed(
    sample_register_path: Path, sample_prices_path: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "t.csv"
    bad.write_text(sample_register_path.read_text(encoding="utf-8").replace("income_wages", "inntekt_arbeid", 1))
    args = ["screen", str(bad), "--prices", str(sample_prices_path), "--date", "2026-01-01"]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "inntekt_arbeid" in r.output and "income_wages" in r.output
    r = runner.invoke(app, [*args, "--allow-unknown-columns"])
    assert r.exit_code == 0, r.output


def test_api_downloads(
    client: Any, caseworker_headers: dict[str, str], finance_headers: dict[str, str], sample_register_path: Path
) -> None:
    import time

    text = sample_register_path.read_text(encoding="utf-8").replace("income_wages", "inntekt_arbeid", 1)
    files = {"register": ("t.csv", text.encode(), "text/csv")}
    form = {"screening_date": "2026-01-01", "prices_json": json.dumps(sample_prices())}
    r = client.post("/v1/screenings", files=files, data=form, headers=caseworker_headers)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "column-looks-like-known"
    r = client.post(
        "/v1/screenings", files=files, data={**form, "allow_unknown_columns": "true"}, headers=caseworker_headers
    )
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = client.get(location, headers=caseworker_headers).json()
        if doc["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert doc["status"] == "succeeded", doc
    machine = client.get(f"{location}/results.csv", headers=caseworker_headers)
    assert machine.status_code == 200
    assert machine.headers["content-disposition"].startswith('attachment; filename="screening-')
    assert _raw_cells(machine.content)[0][0] == "rank"
    nb = client.get(f"{location}/results.csv?lang=nb", headers=caseworker_headers)
    assert nb.status_code == 200 and _raw_cells(nb.content)[0][0] == "rangering"
    assert nb.headers["content-disposition"].endswith('-nb.csv"')
    en = client.get(f"{location}/results.csv?excel=true&lang=en", headers=caseworker_headers)
    assert _raw_cells(en.content)[0][0] == "rank" and _raw_cells(en.content)[0][1] == "register row"
    x = client.get(f"{location}/results.xlsx", headers=caseworker_headers)
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert x.headers["content-disposition"].endswith('.xlsx"')
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["Resultater", "Sammendrag", "Områder"] and wb.worksheets[0].max_row == 201
    j = client.get(f"{location}/results.json", headers=caseworker_headers)
    assert j.headers["content-disposition"].endswith('.json"')
    assert client.get(f"{location}/results.xlsx", headers=finance_headers).status_code == 403
    s = client.get(f"{location}/summary.csv", headers=finance_headers)
    assert s.status_code == 200 and s.headers["content-disposition"].endswith('-summary-nb.csv"')
    assert "H000001" not in s.content.decode("utf-8-sig")
    s = client.get(f"{location}/summary.xlsx?lang=en", headers=finance_headers)
    assert s.status_code == 200 and openpyxl.load_workbook(io.BytesIO(s.content)).sheetnames == ["Summary", "Areas"]
    assert client.get(f"{location}/results.csv?lang=de", headers=caseworker_headers).status_code == 422
