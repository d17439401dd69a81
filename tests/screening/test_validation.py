"""Row-level errors name the row, column and rule; the good rows are still screened."""

from __future__ import annotations

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.engine import ScreeningOptions
from loan_engine.screening.prices import PriceTable, prices_from_records
from loan_engine.screening.run import run_screening
from tests.screening.conftest import GOOD_ROWS, HEADER, register_text

BAD_ROWS = {
    # spreadsheet row -> (row text, column, rule)
    5: ("B1;F34 X36;30000;0;0;0;0;9000;0;0;;Rud;;nei", "members", "members-format"),
    6: ("B2;F150;30000;0;0;0;0;9000;0;0;;Rud;;nei", "members", "age-0-120"),
    7: ("B3;J8 G3;30000;0;0;0;0;9000;0;0;;Rud;;nei", "members", "at-least-one-adult"),
    8: ("B4;F34;-30000;0;0;0;0;9000;0;0;;Rud;;nei", "income_wages", "not-negative"),
    9: ("B5;F34;tretti;0;0;0;0;9000;0;0;;Rud;;nei", "income_wages", "number"),
    10: ("B6;F34;30000;0;0;0;0;;0;0;;Rud;;nei", "rent", "required"),
    11: ("B7;F34;30000;0;0;0;0;9000;0;0;31.02.2026;Rud;;nei", "contract_end", "date"),
    12: ("B8;F34;30000;0;0;0;0;9000;0;0;;Atlantis;;nei", "area", "area-in-price-table"),
    13: ("A1;F34;30000;0;0;0;0;9000;0;0;;Rud;;nei", "household_id", "household-id-unique"),
    14: ("B9;F34;30000;0;0;0;0;9000;0;0;;Rud;;kanskje", "permanently_low_income", "flag"),
    15: ("B10;F34;30000;0;0;0;0;9000;0;0;;Rud;;nei;extra;cells", "(row)", "cells-match-header"),
    16: ("B11;F34;30000;0;0;0;0", "rent", "required"),  # a short row: rent and area are missing
    17: (";F34;30000;0;0;0;0;9000;0;0;;Rud;;nei", "household_id", "required"),
    18: ("B12;F34;99000000;0;0;0;0;9000;0;0;;Rud;;nei", "income_wages", "at-most-1000000"),
    19: ("B13;;30000;0;0;0;0;9000;0;0;;Rud;;nei", "members", "members-format"),
}


def test_bad_rows_are_reported_and_good_rows_screened(
    params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable
) -> None:
    rows = [*GOOD_ROWS, *(v[0] for v in BAD_ROWS.values()), "C1;M40;31000;0;0;0;0;9500;0;0;;Nordby;;nei"]
    run = run_screening(register_text(rows).encode("cp1252"), prices, params, options)
    screened = {r["household_id"] for r in run.records}
    assert screened == {"A1", "A2", "A3", "C1"}
    assert run.report.rows_read == 19
    assert run.report.rows_rejected == 15
    found = {(e.row, e.column, e.rule) for e in run.report.errors}
    for row, (_, column, rule) in BAD_ROWS.items():
        assert (row, column, rule) in found, (row, column, rule, sorted(found))
    assert any(e.row == 16 and e.column == "area" and e.rule == "required" for e in run.report.errors)
    for e in run.report.errors:
        assert e.message
    assert run.summary["rows_rejected"] == 15
    assert run.summary["row_errors_by_rule"]["members-format"] == 2


def test_every_row_bad_still_answers(
    params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable
) -> None:
    rows = [v[0] for k, v in BAD_ROWS.items() if k != 13]  # row 13 is bad only as a duplicate of A1
    run = run_screening(register_text(rows).encode(), prices, params, options)
    assert run.records == []
    assert run.summary["households_screened"] == 0
    assert run.summary["could_own"] == 0


def test_price_table_row_errors(params: UnderwritingParameters, options: ScreeningOptions) -> None:
    table = prices_from_records(
        [
            {"area": "Rud", "price_per_m2": 44000},
            {"area": "Nordby", "price_per_m2": "dyrt"},
            {"area": "Fjerdingby", "rooms": 3},
            {"area": "", "price_per_m2": 40000},
            {"area": "Rud", "price_per_m2": 45000},
        ]
    )
    rules = {(e.row, e.column, e.rule) for e in table.report.errors}
    assert (2, "prices.price_per_m2", "number") in rules
    assert (3, "prices.price", "required") in rules
    assert (4, "prices.area", "required") in rules
    assert (5, "prices.price_per_m2", "price-row-unique") in rules
    run = run_screening(register_text().encode(), table, params, options)
    assert [r["household_id"] for r in run.records] == ["A2"]  # only Rud is priced
    assert {e.rule for e in run.report.errors} == {"area-in-price-table"}


def test_header_row_is_not_needed_in_a_fixed_order(
    params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable
) -> None:
    cols = HEADER.split(";")
    order = list(reversed(range(len(cols))))
    header = ";".join(cols[k] for k in order)
    rows = [";".join(r.split(";")[k] for k in order) for r in GOOD_ROWS]
    run = run_screening(register_text(rows, header + ";notes").encode(), prices, params, options)
    assert {r["household_id"] for r in run.records} == {"A1", "A2", "A3"}
    assert run.report.ignored_columns == ["notes"]


def test_nul_characters_never_reach_the_results(
    params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable
) -> None:
    rows = [
        *GOOD_ROWS,
        "N\x001;F34;30000;0;0;0;0;9000;0;0;;Rud;;nei",
        "N2;F34;30000;0;0;0;0;9000;0;0;;R\x00ud;;nei",
        "N3;F3\x004;30000;0;0;0;0;9000;0;0;;Rud;;nei",
    ]
    run = run_screening(register_text(rows, HEADER + ";x\x00y").encode(), prices, params, options)
    assert {r["household_id"] for r in run.records} == {"A1", "A2", "A3"}
    assert {(e.row, e.rule) for e in run.report.errors} >= {
        (5, "no-nul-characters"),
        (6, "no-nul-characters"),
        (7, "members-format"),
    }
    import json

    text = json.dumps({"summary": run.summary, "errors": run.errors_document()})
    assert "\\u0000" not in text
