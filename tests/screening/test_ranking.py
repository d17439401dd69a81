"""The ranked list (contracts ending soonest, then largest margin) and a summary without personal details."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.engine import ScreeningOptions
from loan_engine.screening.prices import PriceTable
from loan_engine.screening.ranking import MIN_CELL, RESULT_COLUMNS, ranking_order, records_csv
from loan_engine.screening.register import NO_END
from loan_engine.screening.run import run_screening
from tests.screening.conftest import register_text

HEADER = "household_id;members;income_wages;rent;contract_end;area;dwelling"


def test_ranking_order(params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable) -> None:
    rows = [
        "R1;F40;40000;9000;2026-06-30;Nordby;D1",  # potential, later contract
        "R2;F40;60000;9000;2026-03-31;Nordby;D2",  # potential, soonest contract, big margin
        "R3;F40;35000;9000;2026-03-31;Nordby;D3",  # potential, same date, smaller margin
        "R4;F40;15000;9000;2026-02-28;Nordby;D4",  # no potential (ends soonest, but unranked)
        "R5;F40;45000;9000;;Nordby;D5",  # potential, open-ended: after every dated contract
        "R6;F40;40000;9000;2025-12-01;Nordby;D6",  # potential, already ended: first
    ]
    run = run_screening(register_text(rows, HEADER).encode(), prices, params, options)
    order = [(r["household_id"], r["rank"]) for r in run.records]
    assert order == [("R6", 1), ("R2", 2), ("R3", 3), ("R1", 4), ("R5", 5), ("R4", None)]
    by_id = {r["household_id"]: r for r in run.records}
    assert by_id["R2"]["margin"] > by_id["R3"]["margin"]
    assert by_id["R4"]["within_reach_with_grant"] is False
    assert run.summary["could_own"] == 5
    assert run.summary["dwellings_freed"] == 5
    # Issue 14: a contract that already ended (R6) is its own category, not "ending within 4 months".
    assert run.summary["could_own_contract_already_ended"] == 1  # R6
    assert run.summary["could_own_contract_ending_within_4_months"] == 2  # R2, R3
    assert run.summary["could_own_open_ended_contract"] == 1


def test_ranking_order_is_the_four_key_sort() -> None:
    """The packed one-key sort (rows ascending) gives the order of the four-key sort it replaces: ties in the
    contract end and the margin, open-ended contracts, negative margins, rows with gaps, and rows out of order."""
    rng = np.random.default_rng(7)
    cases = [
        (2000, np.cumsum(rng.integers(1, 4, 2000)), 1),
        (500, rng.permutation(500) + 2, 1),
        (3000, np.arange(3000, dtype=np.int64) + 2, 1 << 40),  # margins too wide to pack the index as well
    ]
    for n, rows, scale in cases:
        ends = rng.choice(np.array([20000, 20100, 20101, 23000, NO_END], dtype=np.int64), n)
        margin = rng.integers(-5, 5, n) * rng.choice(np.array([1, 1_000_000]), n) * scale
        potential = rng.random(n) < 0.6
        result = SimpleNamespace(
            register=SimpleNamespace(row=rows.astype(np.int64), contract_end=ends),
            within_reach_with_grant=potential,
            margin=margin.astype(np.int64),
        )
        expected = np.lexsort((rows, -margin, ends, ~potential))
        assert ranking_order(result).tolist() == expected.tolist()  # type: ignore[arg-type]


def test_summary_has_no_personal_details(
    sample_register_path: Path, sample_prices_path: Path, params: UnderwritingParameters, options: ScreeningOptions
) -> None:
    run = run_screening(sample_register_path, sample_prices_path, params, options)
    text = json.dumps(run.summary, ensure_ascii=False)
    for r in run.records:
        assert r["household_id"] not in text
        if r["dwelling"]:
            assert r["dwelling"] not in text
    forbidden = {"household_id", "members", "row", "dwelling", "contract_end", "errors", "income_wages", "rent"}

    def keys(x: object) -> set[str]:
        if isinstance(x, dict):
            return set(x) | {k for v in x.values() for k in keys(v)}
        if isinstance(x, list):
            return {k for v in x for k in keys(v)}
        return set()

    assert not keys(run.summary) & forbidden
    for area in run.summary["by_area"]:
        assert area["households"] >= MIN_CELL
    s = run.summary
    assert s["could_own"] == s["could_own_without_grant"] + s["could_own_only_with_grant"]
    assert s["households_screened"] == s["could_own"] + s["not_within_reach"]
    assert s["total_startlan"] == sum(r["startlan"] for r in run.records if r["within_reach_with_grant"])
    assert s["total_grant"] == sum(
        r["grant_needed"] for r in run.records if r["within_reach_with_grant"] and not r["within_reach_without_grant"]
    )


def test_small_areas_are_merged(params: UnderwritingParameters, options: ScreeningOptions, prices: PriceTable) -> None:
    rows = [f"N{i};F40;40000;9000;;Nordby;" for i in range(MIN_CELL)] + ["L1;F40;40000;9000;;Rud;"]
    run = run_screening(register_text(rows, HEADER).encode(), prices, params, options)
    assert [a["area"] for a in run.summary["by_area"]] == ["Nordby"]  # Rud's single household is not shown
    assert run.summary["households_screened"] == MIN_CELL + 1


def test_results_csv_opens_in_norwegian_excel(
    sample_register_path: Path, sample_prices_path: Path, params: UnderwritingParameters, options: ScreeningOptions
) -> None:
    run = run_screening(sample_register_path, sample_prices_path, params, options)
    data = records_csv(run.records)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == RESULT_COLUMNS
    assert len(rows) == 1 + len(run.records)
    assert {r[RESULT_COLUMNS.index("within_reach_with_grant")] for r in rows[1:]} <= {"yes", "no"}
