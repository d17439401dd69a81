"""The columnar reader + validator give exactly what the row-by-row reader + validator give: the same households
(every field), the same errors (row, column, rule, message) in the same order, on good, bad and odd registers."""

from __future__ import annotations

import random
from dataclasses import fields
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loan_engine.screening import synthetic
from loan_engine.screening.io import open_columns, open_table
from loan_engine.screening.register import Register, concat
from loan_engine.screening.validation import RegisterValidator, validate_columns
from tests.screening.conftest import GOOD_ROWS, HEADER, register_text
from tests.screening.test_validation import BAD_ROWS

FULL_HEADER = HEADER + ";car;children_in_barnehage;children_in_sfo;other_fixed_costs"


def _both(data: bytes, chunk_rows: int = 50_000) -> tuple[tuple[Register, list[Any]], tuple[Register, list[Any]]]:
    reader = open_table(data, chunk_rows=chunk_rows)
    rv = RegisterValidator(reader.header)
    rows = concat([rv.validate(c) for c in reader.chunks])
    creader = open_columns(data, chunk_rows=chunk_rows)
    cv = RegisterValidator(creader.header)
    cols = concat([validate_columns(cv, c) for c in creader.chunks])
    assert (rv.report.rows_read, rv.report.rows_valid, rv.report.rows_rejected) == (
        cv.report.rows_read,
        cv.report.rows_valid,
        cv.report.rows_rejected,
    )
    return (rows, rv.report.errors), (cols, cv.report.errors)


def _same(a: Register, b: Register) -> None:
    for f in fields(Register):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict):
            assert x.keys() == y.keys()
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{f.name}.{k}")
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def test_bad_rows_same_errors_same_households() -> None:
    rows = [*GOOD_ROWS, *(v[0] for v in BAD_ROWS.values()), "C1;M40;31000;0;0;0;0;9500;0;0;;Nordby;;nei"]
    (a, ea), (b, eb) = _both(register_text(rows).encode("cp1252"))
    _same(a, b)
    assert ea == eb


ODD_CELLS = [
    "kr 12.500,-",
    "12.500",
    "1.250.000",
    "12 345,50",
    "12,345.50",
    "1\u00a0234",
    "−5",
    "7850,-",
    "abc",
    "1,2,3",
    "nan",
    "1e5",
    " 42 ",
    "0.500",
    "+7",
    "NOK 900",
    "",
    "  ",
]
ODD_MEMBERS = ["F34 M36", "K34/M36+J8|G3", "f30", "F34;M36", "F3.5", "X1", "", "J8 G3", "F150", "F34,M1", "kvinne40"]
ODD_DATES = ["2026-03-31", "31.03.2026", "31/03/2026", "31.02.2026", "1980-01-01", "", "20260331", "31.03.26"]
ODD_FLAGS = ["ja", "nei", "JA", "x", "", "kanskje", "1", "true"]
ODD_CARS = ["", "elbil", "Bensin", "hest", "none"]


@pytest.mark.parametrize("block", [16 << 20, 2048])
def test_random_odd_registers_are_read_the_same(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with tiny pyarrow blocks: many batches, rows with too few/many cells on their boundaries."""
    from loan_engine.screening import io as screening_io

    monkeypatch.setattr(screening_io, "CSV_BLOCK_BYTES", block)
    rnd = random.Random(14)
    lines = []
    for i in range(600):
        members = rnd.choice(ODD_MEMBERS)
        cells = [
            rnd.choice([f"H{i}", f"H{i % 50}", "", f"H\x00{i}", "x" * 70]),
            members,
            rnd.choice(ODD_CELLS),
            rnd.choice(["0", "21 300", ""]),
            "0",
            rnd.choice(["3532", "kr 1.766,-"]),
            rnd.choice(ODD_CELLS),
            rnd.choice(["9 800", "", "13.200", "-1", "2000000"]),
            "0",
            rnd.choice(["0", "50.000", "50 000,5"]),
            rnd.choice(ODD_DATES),
            rnd.choice(["Nordby", " Rud ", "Løvenstad  Øst", "", "A\x00B", "y" * 120]),
            rnd.choice(["KB-1", "", "  KB 2 "]),
            rnd.choice(ODD_FLAGS),
            rnd.choice(ODD_CARS),
            rnd.choice(["", "0", "1", "2", "1,5", "-1"]),
            rnd.choice(["", "0", "1"]),
            rnd.choice(ODD_CELLS),
        ]
        shape = rnd.random()
        if shape < 0.03:
            cells = cells[: rnd.randrange(1, len(cells))]  # a short row
        elif shape < 0.06:
            cells = [*cells, rnd.choice(["", "extra"])]  # a long row
        elif shape < 0.08:
            cells = [""] * len(cells)  # a blank row
        line = ";".join(f'"{c}"' if ";" in c else c for c in cells)
        lines.append(line)
        if rnd.random() < 0.02:
            lines.append("")
    for chunk_rows in (50_000, 37):
        (a, ea), (b, eb) = _both(register_text(lines, FULL_HEADER).encode("utf-8"), chunk_rows)
        _same(a, b)
        assert ea == eb
        assert len(ea) > 100  # the random register really is full of errors


def test_synthetic_register_is_read_the_same() -> None:
    data = synthetic.to_csv(synthetic.sample_households(2_000, seed=5)).encode()
    (a, ea), (b, eb) = _both(data)
    _same(a, b)
    assert ea == eb


def test_parquet_is_read_the_same_as_its_csv(tmp_path: Any) -> None:
    records = synthetic.sample_households(300, seed=7)
    text = synthetic.to_csv(records, delimiter=",", decimal_comma=False)
    (a, _), _ = _both(text.encode())
    table = pa.table({k: [str(r.get(k) if r.get(k) is not None else "") for r in records] for k in records[0]})
    path = tmp_path / "r.parquet"
    pq.write_table(table, path)
    reader = open_columns(path)
    v = RegisterValidator(reader.header)
    b = concat([validate_columns(v, c) for c in reader.chunks])
    _same(a, b)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16"])
def test_encodings_row_numbers_and_quoted_newlines(encoding: str) -> None:
    rows = [
        *GOOD_ROWS,
        '"B1";"F34";"30000";0;0;0;0;9000;0;0;;"Rud\r\nNord";;nei',
        "",
        "B2;F150;1;0;0;0;0;9000;0;0;;Rud;;nei",
    ]
    (a, ea), (b, eb) = _both(register_text(rows).encode(encoding))
    _same(a, b)
    assert ea == eb and ea[0].row == 7


def test_household_ids_repeated_in_later_chunks_are_reported_the_same() -> None:
    """Every chunk's ids are distinct among themselves, but later chunks repeat earlier ones: each repeat is a
    row error naming the first row, exactly as the row-by-row validator reports it."""
    rows = [f"H{i % 40};F34;30000;0;0;0;0;9000;0;0;;Rud;KB-{i};nei" for i in range(120)]
    for chunk_rows in (40, 37, 50_000):
        (a, ea), (b, eb) = _both(register_text(rows).encode("utf-8"), chunk_rows)
        _same(a, b)
        assert ea == eb
        assert [e.rule for e in eb].count("household-id-unique") == 80
        assert len(b) == 40
