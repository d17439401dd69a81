"""The shared export writer: Excel-ready CSV, XLSX with numeric cells, and formulas neutralised everywhere."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import numpy as np
import openpyxl
import pytest

from loan_engine.exports import Column, Table, key_value_table, neutralise, to_csv, to_xlsx

COLUMNS = (
    Column("id", "husstand", "household", "text"),
    Column("amount", "beløp", "amount", "int"),
    Column("m2", "kvadratmeter", "square metres", "float", decimals=1),
    Column("share", "andel", "share", "percent"),
    Column("end", "kontraktslutt", "contract end", "date"),
    Column("ok", "innen rekkevidde", "within reach", "bool"),
    Column("solution", "løsning", "solution", "text", labels={"grant": ("tilskudd", "grant")}),
)
INJECTIONS = ['=HYPERLINK("http://x","klikk")', "+SUM(1+1)*cmd|'/C calc'!A0", "@SUM(A1)", "-2+3", "\tx", "\rx"]


def _rows() -> list[list[object]]:
    return [
        ["H1", 12500, 62.5, 0.25, date(2026, 3, 31), True, "grant"],
        ["H2", -1500, 40.0, None, None, False, "none"],
        *[[s, 1, 1.0, 0.1, "2026-01-01", True, "grant"] for s in INJECTIONS],
    ]


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("Nordby") == "Nordby"
    assert neutralise("") == ""
    for s in INJECTIONS:
        assert neutralise(s).startswith("'")


def test_excel_csv_in_bokmal() -> None:
    data = to_csv(Table(COLUMNS, rows=_rows()), lang="nb")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["husstand", "beløp", "kvadratmeter", "andel", "kontraktslutt", "innen rekkevidde", "løsning"]
    assert rows[1] == ["H1", "12500", "62,5", "25 %", "31.03.2026", "ja", "tilskudd"]
    assert rows[2] == ["H2", "-1500", "40,0", "", "", "nei", "none"]  # a negative number stays a number
    for row, s in zip(rows[3:], INJECTIONS, strict=True):
        assert row[0] == "'" + s


def test_machine_csv_in_english() -> None:
    data = to_csv(Table(COLUMNS, rows=_rows()), lang="en", excel=False, header="key")
    assert not data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == [c.key for c in COLUMNS]
    assert rows[1] == ["H1", "12500", "62.5", "0.25", "2026-03-31", "yes", "grant"]
    assert rows[3][0] == "'" + INJECTIONS[0]


def test_column_arrays_give_the_same_csv_as_rows() -> None:
    rows = _rows()
    data: dict[str, Any] = {c.key: [r[k] for r in rows] for k, c in enumerate(COLUMNS)}
    data["amount"] = np.array([r[1] for r in rows], dtype=np.int64)
    data["m2"] = np.array([r[2] for r in rows], dtype=np.float64)
    for lang in ("nb", "en"):
        assert to_csv(Table(COLUMNS, data=data), lang=lang) == to_csv(Table(COLUMNS, rows=rows), lang=lang)


def test_float_arrays_with_nan_are_empty_and_ints_round_half_away() -> None:
    t = Table(
        (Column("x", "x", "x", "int"), Column("y", "y", "y", "float")),
        data={"x": np.array([2.5, -2.5, np.nan]), "y": np.array([1.25, np.nan, -0.5])},
    )
    rows = list(csv.reader(io.StringIO(to_csv(t, lang="nb").decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [["3", "1,25"], ["-3", ""], ["", "-0,5"]]


def test_xlsx_numbers_are_numeric_and_formulas_neutralised() -> None:
    summary = key_value_table(
        [("n", "husstander", "households", 200, "int"), ("d", "dato", "date", date(2026, 1, 1), "date")],
        name_nb="Sammendrag",
        name_en="Summary",
        lang="nb",
    )
    data = to_xlsx([Table(COLUMNS, rows=_rows(), name_nb="Resultater", name_en="Results"), summary], lang="nb")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Resultater", "Sammendrag"]
    ws = wb["Resultater"]
    assert [c.value for c in ws[1]] == [c.nb for c in COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == 12500 and ws["B2"].data_type == "n"
    assert ws["B3"].value == -1500 and ws["B3"].data_type == "n"
    assert ws["C2"].value == 62.5 and ws["D2"].value == 0.25 and ws["D2"].number_format.endswith("%")
    assert ws["E2"].value == datetime(2026, 3, 31) and ws["E2"].is_date
    assert ws["E3"].value is None
    assert ws["F2"].value == "ja" and ws["G2"].value == "tilskudd"
    for k, s in enumerate(INJECTIONS, start=4):
        cell = ws.cell(row=k, column=1)
        assert cell.data_type == "s" and cell.value.startswith("'")
        assert cell.value == "'" + s or s == "\rx"  # openpyxl shows a stored CR as _x000D_
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert ws.column_dimensions["A"].width >= 6
    s = wb["Sammendrag"]
    assert s["C2"].value == 200 and s["C2"].data_type == "n"
    assert s["C3"].value == "01.01.2026"


def test_english_xlsx_and_sheet_names_made_safe() -> None:
    t = Table(COLUMNS[:2], rows=[["a", 1]], name_nb="x", name_en="Results: [all]/2026 and much more than 31 chars")
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx([t, t], lang="en")))
    assert len(wb.sheetnames) == 2 and all(len(n) <= 31 for n in wb.sheetnames)
    assert len(set(wb.sheetnames)) == 2
    assert [c.value for c in wb.worksheets[0][1]] == ["household", "amount"]


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError):
        Table(COLUMNS, rows=[], data={})
    with pytest.raises(ValueError):
        Table((Column("a", "a", "a"), Column("a", "b", "b")), rows=[])
    with pytest.raises(ValueError):
        Column("a", "a", "a", "money")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_csv(Table(COLUMNS[:1], rows=[["x"]]), lang="de")  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [19_999, 20_001, 250_001])
def test_a_large_csv_is_the_same_on_two_threads(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces formatted on two threads (from 20 000 rows) give the bytes of one piece after another: numbers,
    empty cells, text to quote and to neutralise, rows as well as column arrays."""
    import loan_engine.exports as exports

    rng = np.random.default_rng(n)
    amount = rng.integers(-(10**7), 10**7, n).astype(np.float64)
    amount[rng.random(n) < 0.1] = np.nan
    text = [f"x;{i}" if i % 7 == 0 else (f"=y{i}" if i % 5 == 0 else f"z{i % 50}") for i in range(n)]
    columns = (Column("a", "a", "a", "int"), Column("t", "t", "t"), Column("b", "b", "b", "bool"))
    flags = rng.random(n) < 0.5
    tables = [
        Table(columns, data={"a": amount, "t": text, "b": flags}),
        Table(
            columns,
            rows=[[None if x != x else int(x), t, bool(f)] for x, t, f in zip(amount, text, flags, strict=True)],
        ),
    ]
    for lang in ("nb", "en"):
        threaded = [to_csv(t, lang=lang) for t in tables]
        monkeypatch.setattr(exports, "_THREADS", 1)
        single = [to_csv(t, lang=lang) for t in tables]
        monkeypatch.setattr(exports, "_THREADS", 2)
        assert threaded == single
        assert threaded[0] == threaded[1]
        assert threaded[0].count(b"\r\n") == n + 1
