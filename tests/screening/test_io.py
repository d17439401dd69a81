"""Reading registers as Excel writes them in Norway, and every kind of bad file: a clear error, never a crash."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.screening.io import open_table
from loan_engine.screening.register import Register
from loan_engine.screening.run import read_register
from loan_engine.screening.validation import ValidationReport, parse_date, parse_members, parse_number
from tests.screening.conftest import HEADER, register_text


def _read(data: bytes | Path, **kw: object) -> tuple[Register, ValidationReport, dict[str, object]]:
    return read_register(data, **kw)  # type: ignore[arg-type]


def _check_three(reg: Register) -> None:
    assert reg.household_id == ["A1", "A2", "A3"]
    assert reg.income["income_wages"][0] == pytest.approx(38000.5)
    assert reg.rent.tolist() == [13200.0, 9800.0, 8700.0]
    assert reg.bostotte[1] == pytest.approx(2100.25)
    assert reg.members_text(0) == "F34 M36 F8 M3"
    assert reg.contract_end_date(0).isoformat() == "2026-03-31"  # type: ignore[union-attr]
    assert reg.contract_end_date(2) is None
    assert reg.permanently_low_income.tolist() == [False, False, True]
    assert reg.row.tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    "encoding,label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("utf-16", "UTF-16")]
)
def test_encodings_with_norwegian_letters(encoding: str, label: str) -> None:
    text = register_text(
        [r.replace("Nordby", "Løvenstad Øst").replace("Rud", "Årnes") for r in register_text().splitlines()[1:]]
    )
    reg, report, src = _read(text.encode(encoding))
    assert src["encoding"] == label
    assert report.error_count == 0
    _check_three(reg)
    assert reg.area[:2] == ["Løvenstad Øst", "Årnes"]


def test_windows_1252_header_aliases_in_norwegian() -> None:
    header = HEADER.replace("area", "Område").replace("rent", "Husleie").replace("bostotte", "Bostøtte")
    reg, report, _ = _read(register_text(header=header).encode("cp1252"))
    assert report.error_count == 0 and not report.ignored_columns
    _check_three(reg)


def test_comma_separated_with_decimal_points_and_quotes() -> None:
    rows = [
        '"A1","F34 M36 F8 M3",38000.5,0,0,3532,0,13200,1500,50000,2026-03-31,Nordby,KB-1,no',
        "A2,F29,24500,0,0,0,2100.25,9800,0,0,30/06/2026,Rud,KB-2,false",
        "A3,M61,0,21300,0,0,2900,8700,0,0,,Fjerdingby,KB-3,yes",
    ]
    reg, report, src = _read(register_text(rows, HEADER.replace(";", ",")).encode())
    assert src["delimiter"] == "comma"
    assert report.error_count == 0
    _check_three(reg)


def test_tab_separated() -> None:
    text = register_text().replace(";", "\t")
    reg, report, src = _read(text.encode())
    assert src["delimiter"] == "tab" and report.error_count == 0
    _check_three(reg)


def test_parquet_with_numeric_and_string_columns(tmp_path: Path) -> None:
    table = pa.table(
        {
            "household_id": ["A1", "A2", "A3"],
            "members": ["F34 M36 F8 M3", "F29", "M61"],
            "income_wages": [38000.5, 24500.0, 0.0],
            "income_pension": [0, 0, 21300],
            "income_child_benefit": [3532, 0, 0],
            "bostotte": ["0", "2 100,25", "2900"],
            "rent": [13200, 9800, 8700],
            "contract_end": pa.array([date(2026, 3, 31), None, None], pa.date32()),
            "area": ["Nordby", "Rud", "Fjerdingby"],
            "permanently_low_income": [False, False, True],
        }
    )
    path = tmp_path / "tenants.parquet"
    pq.write_table(table, path)
    reg, report, src = _read(path)
    assert src["format"] == "parquet"
    assert report.error_count == 0
    assert reg.household_id == ["A1", "A2", "A3"]
    assert reg.bostotte[1] == pytest.approx(2100.25)
    assert reg.permanently_low_income.tolist() == [False, False, True]
    assert reg.contract_end_date(0) == date(2026, 3, 31) and reg.contract_end_date(1) is None


def test_empty_file() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"")
    assert e.value.rule == "file-not-empty"


def test_blank_file() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"\r\n  \r\n;;;\r\n")
    assert e.value.rule == "file-not-empty"


def test_bare_carriage_return_in_the_header_is_a_csv_problem() -> None:
    """A CR inside an unquoted header name: the csv module's error was a 500 at submission before."""
    from api.screening.service import check_register

    with pytest.raises(InvalidInput) as e:
        _read(b"household_id\rx;members\r\n1;2\r\n")
    assert (e.value.rule, e.value.field) == ("csv-format", "register")
    with pytest.raises(InvalidInput) as e:
        check_register(b"household_id\rx;members\n1;2\n", 10_000_000)
    assert (e.value.rule, e.value.field) == ("csv-format", "register")


def test_header_without_rows() -> None:
    with pytest.raises(InvalidInput) as e:
        _read((HEADER + "\r\n").encode())
    assert e.value.rule == "register-not-empty"


def test_missing_columns_are_all_named() -> None:
    header = HEADER.replace("members;", "").replace("rent;", "")
    rows = [";".join(r.split(";")[:1] + r.split(";")[2:7] + r.split(";")[8:]) for r in register_text().splitlines()[1:]]
    with pytest.raises(InvalidInput) as e:
        _read(register_text(rows, header).encode())
    assert e.value.rule == "column-required"
    assert "members" in e.value.detail and "rent" in e.value.detail


def test_no_income_column() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"household_id;members;rent;area\r\nA;F30;9000;Rud\r\n")
    assert "income_wages" in e.value.detail


def test_duplicate_column() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"household_id;members;rent;husleie;area;income_wages\r\nA;F30;9000;9000;Rud;1\r\n")
    assert e.value.rule == "column-duplicate"


def test_not_a_text_file() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"\x81\x8d\x8f\x90\x9d" * 20)
    assert e.value.rule == "encoding-utf8-or-windows-1252"


def test_broken_parquet() -> None:
    with pytest.raises(InvalidInput) as e:
        _read(b"PAR1" + b"\x00" * 100)
    assert e.value.rule == "parquet-format"


def test_oversized_file_is_refused_before_reading_and_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as f:  # a sparse 1 GiB file: refused from its size alone, nothing is read
        f.truncate(1 << 30)
    with pytest.raises(LimitExceeded) as e:
        _read(path, max_bytes=200 * 1_048_576)
    assert "1.0 GiB" in e.value.detail and "200.0 MiB" in e.value.detail
    assert e.value.rule == f"max-file-bytes-{200 * 1_048_576}"


def test_small_configured_limit() -> None:
    data = register_text().encode()
    with pytest.raises(LimitExceeded):
        _read(data, max_bytes=len(data) - 1)
    _read(data, max_bytes=len(data))


def test_row_limit() -> None:
    with pytest.raises(LimitExceeded) as e:
        _read(register_text().encode(), max_rows=2)
    assert e.value.rule == "max-rows-2"


def test_chunked_reading_gives_the_same_register() -> None:
    rows = [f"H{i};F{20 + i % 50} M{3 + i % 10};{20000 + i};0;0;0;0;9000;0;0;;Rud;;nei" for i in range(250)]
    one, _, _ = _read(register_text(rows).encode())
    many, _, _ = _read(register_text(rows).encode(), chunk_rows=7)
    assert one.household_id == many.household_id
    assert one.member_start.tolist() == many.member_start.tolist()
    assert one.member_age.tolist() == many.member_age.tolist()
    assert one.row.tolist() == many.row.tolist()


def test_missing_file() -> None:
    with pytest.raises(InvalidInput) as e:
        open_table(Path("/nonexistent/tenants.csv"))
    assert e.value.rule == "file-exists"


@pytest.mark.parametrize(
    "text,value",
    [
        ("12 345,50", 12345.5),
        ("12.345,50", 12345.5),
        ("12,345.50", 12345.5),
        ("12345.5", 12345.5),
        ("kr 7 850", 7850.0),
        ("7850,-", 7850.0),
        ("1\u00a0234", 1234.0),
        ("-5", -5.0),
        ("0,5", 0.5),
        ("", None),
        ("  ", None),
        (12, 12.0),
        (None, None),
    ],
)
def test_parse_number(text: object, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["abc", "1,2,3", "12 kr 3", "nan", "inf", "1e400"])
def test_parse_number_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_members_and_dates() -> None:
    assert parse_members("K34/M36+J8|G3") == [(34, True), (36, False), (8, True), (3, False)]
    assert parse_members("F34;M36") == [(34, True), (36, False)]
    for bad in ("X34", "F", "34", "F3.5"):
        with pytest.raises(ValueError):
            parse_members(bad)
    assert parse_date("31.03.2026").isoformat() == "2026-03-31"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        parse_date("31.02.2026")


def test_bytesio_is_not_required() -> None:
    # Sources are bytes or paths; a stream is wrapped by the caller.
    assert read_register(io.BytesIO(register_text().encode()).getvalue())[0].household_id == ["A1", "A2", "A3"]
