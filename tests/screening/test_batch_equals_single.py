"""One rule, one place: the screening gives, for every row, exactly what the PUBLIC single-household functions give
(the financing plan and the affordability answer, for the row's single request)."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening import synthetic
from loan_engine.screening.engine import (
    SOLUTION_BY_STEP,
    ScreeningOptions,
    ScreeningResult,
    Solution,
    screen,
    single_request,
)
from loan_engine.screening.prices import PriceTable, prices_from_records, suitable_dwelling
from loan_engine.screening.register import Register
from loan_engine.screening.run import load_prices, read_register
from loan_engine.underwriting.affordability import (
    RateType,
    assess_affordability,
    check_long_term,
    loan_for_payout,
    payout_ore,
)
from loan_engine.underwriting.amortization import Repayment, peak_payment_per_krone
from loan_engine.underwriting.financing_ladder import FinancingPlanRequest, financing_plan, smallest_grant
from loan_engine.underwriting.living_costs import choose_living_costs
from tests.screening.conftest import SCREENING_DATE, register_text

INT_FIELDS = (
    "required_loan",
    "max_loan_reference",
    "max_loan_best",
    "best_fixation_years",
    "best_term_years",
    "solution_term_years",
    "solution_fixation_years",
    "grant",
    "startlan",
    "margin",
)
BOOL_FIELDS = ("within_reach_without_grant", "within_reach_with_grant")
FLOAT_FIELDS = ("available", "living_costs", "price")


def single_answer(
    reg: Register, i: int, prices: PriceTable, params: UnderwritingParameters, options: ScreeningOptions
) -> dict[str, Any]:
    """Row ``i`` answered by the public single-household functions (financing plan + affordability answer)."""
    rooms, m2 = suitable_dwelling(int(reg.size[i]))
    hit = prices.lookup(reg.area_key[i], rooms, m2)
    assert hit is not None
    price, running, _ = hit
    costs = price * options.purchase_costs_percent / 100
    request = single_request(reg, i, price, running, costs, options)
    plan = financing_plan(FinancingPlanRequest(base=request), params)
    solution = SOLUTION_BY_STEP.get(plan.solution or "", Solution.NONE)
    grant = plan.grant.amount if plan.grant is not None and plan.grant.serviceable else 0
    final = plan.final
    assert final is not None
    no_dwelling = replace(request, dwelling=None)
    ref = assess_affordability(no_dwelling, params)
    allowed = check_long_term(
        params.special_max_term_years, request.loan.term_over_30_reasons, request.household, params
    )
    best_term = params.special_max_term_years if (allowed is None or allowed.allowed) else params.reference_term_years
    best = max(
        (
            assess_affordability(
                replace(
                    no_dwelling,
                    loan=replace(request.loan, rate_type=RateType.FIXED, fixation_years=y, term_years=best_term),
                ),
                params,
            ).max_loan,
            -k,
            y,
        )
        for k, y in enumerate(params.fixation_periods_years)
        if y <= best_term
    )
    max_best, best_fix = best[0], best[2]
    rate = (
        final.fixed_rate if final.rate_type is RateType.FIXED and final.fixed_rate is not None else final.floating_rate
    )
    owning = (
        plan.startlan * peak_payment_per_krone(rate, final.term_years * 12, Repayment.ANNUITY, 0, ()) + running
        if solution is not Solution.NONE
        else math.nan
    )
    share_cap = math.floor(price * options.max_grant_share + 1e-9)
    grant_cap = share_cap if options.max_grant is None else min(share_cap, options.max_grant)
    without = solution not in (Solution.NONE, Solution.GRANT)
    return {
        "price": price,
        "required_loan": plan.required_loan,
        "available": final.available_for_startlan_monthly,
        "living_costs": final.living_costs.amount,
        "max_loan_reference": ref.max_loan,
        "max_loan_best": max_best,
        "best_fixation_years": best_fix,
        "best_term_years": best_term,
        "solution": solution.slug,
        "solution_term_years": final.term_years,
        "solution_fixation_years": final.fixation_years or 0,
        "grant": grant,
        "startlan": plan.startlan,
        "within_reach_without_grant": without,
        "within_reach_with_grant": without or (solution is Solution.GRANT and grant <= grant_cap),
        "monthly_owning": owning,
        "margin": max_best - plan.required_loan,
    }


def assert_batch_equals_single(
    result: ScreeningResult, prices: PriceTable, params: UnderwritingParameters, options: ScreeningOptions
) -> None:
    reg = result.register
    assert len(reg) > 0
    for i in range(len(reg)):
        single = single_answer(reg, i, prices, params, options)
        where = (int(reg.row[i]), reg.household_id[i])
        for k in INT_FIELDS:
            assert int(getattr(result, k)[i]) == single[k], (where, k)
        for k in BOOL_FIELDS:
            assert bool(getattr(result, k)[i]) == single[k], (where, k)
        for k in FLOAT_FIELDS:  # bit-for-bit: the same operations in the same order
            assert float(getattr(result, k)[i]) == single[k], (where, k)
        assert Solution(int(result.solution[i])).slug == single["solution"], where
        own, ref = float(result.monthly_owning[i]), single["monthly_owning"]
        assert (math.isnan(own) and math.isnan(ref)) or own == ref, where
        assert float(result.living_costs[i]) == choose_living_costs(reg.household(i), params).amount


def _screen(
    source: bytes | Path, prices: PriceTable, params: UnderwritingParameters, options: ScreeningOptions
) -> ScreeningResult:
    reg, report, _ = read_register(source)
    assert report.error_count == 0, report.errors[:3]
    return screen(reg, prices, params, options)


def test_every_row_of_the_shipped_sample_register(
    sample_register_path: Path, sample_prices_path: Path, params: UnderwritingParameters, options: ScreeningOptions
) -> None:
    prices = load_prices(sample_prices_path)
    result = _screen(sample_register_path, prices, params, options)
    assert len(result) == 200
    # The sample exercises every outcome of the ladder.
    outcomes = {Solution(int(s)) for s in result.solution}
    assert {Solution.REFERENCE, Solution.FIXED_RATE, Solution.GRANT, Solution.NONE} <= outcomes
    assert_batch_equals_single(result, prices, params, options)


@pytest.mark.parametrize(
    "opts",
    [
        ScreeningOptions(SCREENING_DATE, count_bostotte=True),
        ScreeningOptions(SCREENING_DATE, purchase_costs_percent=2.5, max_grant_share=0.4, max_grant=400_000),
    ],
)
def test_every_row_with_other_options(
    opts: ScreeningOptions, prices: PriceTable, params: UnderwritingParameters
) -> None:
    records = synthetic.sample_households(150, seed=11, screening_date=SCREENING_DATE)
    result = _screen(synthetic.to_csv(records).encode(), prices, params, opts)
    assert_batch_equals_single(result, prices, params, opts)


def test_edge_households(prices: PriceTable, params: UnderwritingParameters, options: ScreeningOptions) -> None:
    header = (
        "household_id;members;income_wages;income_pension;income_benefits;income_child_benefit;income_other;"
        "rent;other_debt_payments;other_fixed_costs;equity;area;permanently_low_income;car;"
        "children_in_barnehage;children_in_sfo"
    )
    rows = [
        "E0;F30;0;0;0;0;0;9000;0;0;0;Rud;nei;;0;0",  # no income: nothing left, no grant can help
        "E1;M45;20000;0;0;0;0;9000;0;0;5000000;Rud;nei;;0;0",  # equity covers the price: no loan needed
        "E2;F38 M40 F1 M3 F5 M8 F12 M15;62000;0;0;14128;0;16000;0;0;0;Sentrum;nei;petrol;3;1",  # large family
        "E3;F70;0;24000;0;0;0;8000;0;0;0;Blystadlia;ja;;0;0",  # 50 years allowed
        "E4;F28 G0;0;0;21000;1766;0;9500;2000;1500;0;Nordby;ja;electric;0;0",  # infant, 50 years with a child
        "E5;F35 M37 F10 M12 F14 G16 J17 M19;90000;0;0;10000;500;17000;3000;0;30000;Sentrum;nei;petrol;0;2",
        "E6;M40;1000000;0;0;0;0;9000;0;0;0;Løvenstad;nei;;0;0",  # very high income
        "E7;F52;31000,55;0;0;0;0;9000;0;0;0;Løvenstad;ja;;0;0",
        "E8;F22 M23 F24 M25 F26 M27 F28 M29 F30 M31;150000;0;0;0;0;20000;0;0;0;Sentrum;nei;;0;0",  # 10 adults
        "E9;F70;0;21000;0;0;0;8000;0;0;0;Blystadlia;ja;;0;0",  # 30 years fixed is not enough, 40 years is
        "E10;F70;0;21250;0;0;0;8000;0;0;0;Blystadlia;ja;;0;0",  # 32 years
        "E11;F70;0;18000;0;0;0;8000;0;0;0;Blystadlia;ja;;0;0",  # a grant after 50 years
    ]
    result = _screen(register_text(rows, header).encode(), prices, params, options)
    assert_batch_equals_single(result, prices, params, options)
    sol = {result.register.household_id[i]: Solution(int(result.solution[i])) for i in range(len(result))}
    assert sol["E0"] is Solution.NONE and sol["E1"] is Solution.REFERENCE
    assert int(result.required_loan[1]) == 0
    assert sol["E9"] is Solution.LONGER_TERM and int(result.solution_term_years[9]) == 40
    assert sol["E10"] is Solution.LONGER_TERM and int(result.solution_term_years[10]) == 32
    assert sol["E11"] is Solution.GRANT and int(result.solution_term_years[11]) == 50


def test_size_priced_area_picks_the_suitable_or_next_larger_size(
    params: UnderwritingParameters, options: ScreeningOptions
) -> None:
    table = prices_from_records(
        [
            {"area": "X", "rooms": 2, "price": 2_000_000, "monthly_costs": 2500},
            {"area": "X", "rooms": 4, "price": 3_500_000, "monthly_costs": 4000},
        ]
    )
    header = "household_id;members;income_wages;rent;area"
    rows = ["S1;F30;40000;9000;X", "S2;F30 M31;50000;9000;X", "S3;F30 M31 F2 M4 F6 M8;70000;12000;X"]
    reg, report, _ = read_register(register_text(rows, header).encode())
    from loan_engine.screening.engine import split_unpriced

    reg = split_unpriced(reg, table, report)
    assert reg.household_id == ["S1", "S2"]  # 6 persons need 5 rooms: none listed
    assert report.errors[0].rule == "area-in-price-table" and "5-room" in report.errors[0].message
    result = screen(reg, table, params, options)
    assert result.price.tolist() == [2_000_000, 3_500_000]  # 2 persons need 3 rooms: the next larger is 4
    assert result.running_costs.tolist() == [2500, 4000]
    assert_batch_equals_single(result, table, params, options)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**6), max_value=10**12))
def test_loan_for_payout_is_the_smallest_loan_that_covers(need_ore: int) -> None:
    from loan_engine.parameters import default_underwriting_parameters

    fees = default_underwriting_parameters().fees
    loan = loan_for_payout(need_ore, fees)
    if need_ore <= 0:
        assert loan == 0
    else:
        assert payout_ore(loan, fees) >= need_ore
        assert loan == 1 or payout_ore(loan - 1, fees) < need_ore


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**10), st.integers(min_value=0, max_value=10**8))
def test_smallest_grant_is_the_smallest_that_fits(need_ore: int, max_loan: int) -> None:
    from loan_engine.parameters import default_underwriting_parameters

    params = default_underwriting_parameters()
    g = smallest_grant(need_ore, max_loan, params)
    assert loan_for_payout(need_ore - g * 100, params.fees) <= max_loan
    assert g == 0 or loan_for_payout(need_ore - (g - 1) * 100, params.fees) > max_loan


def test_screening_arrays_equal_the_single_household_fees(params: UnderwritingParameters) -> None:
    from loan_engine.underwriting import rules

    loans = np.array([0, 1, 2, 499, 500, 50_000, 50_001, 149_999, 150_000, 150_001, 3_000_000, 10**9])
    assert rules.payout_ore(loans, params.fees).tolist() == [payout_ore(int(x), params.fees) for x in loans]


def test_a_register_screened_in_pieces_is_screened_as_a_whole(
    sample_register_path: Path,
    sample_prices_path: Path,
    params: UnderwritingParameters,
    options: ScreeningOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every figure is a household's own: pieces of the register (as a large one is screened) give the same
    arrays, bit for bit, the same assumptions, and progress from 0 to the number of pieces."""
    import loan_engine.screening.engine as engine

    prices = load_prices(sample_prices_path)
    reg, _, _ = read_register(sample_register_path)
    whole = screen(reg, prices, params, options)
    monkeypatch.setattr(engine, "SCREEN_PIECE_ROWS", 13)
    seen: list[tuple[int, int]] = []
    pieces = screen(reg, prices, params, options, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 15) for k in range(16)]
    assert pieces.register is reg
    for f in fields(ScreeningResult):
        a, b = getattr(whole, f.name), getattr(pieces, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f.name
        elif f.name != "register":
            assert a == b, f.name
    # Running costs in one area only: a piece without that area alone would add "no running costs".
    n = len(reg)
    in_pieces = [set(reg.area_key[n * k // 15 : n * (k + 1) // 15]) for k in range(15)]
    first = min(set(reg.area_key), key=lambda key: sum(key in keys for keys in in_pieces))  # the rarest area
    some = PriceTable(
        areas={
            key: replace(
                ap,
                costs_per_m2=ap.costs_per_m2 if key == first else None,
                by_rooms={r: (price, monthly if key == first else None) for r, (price, monthly) in ap.by_rooms.items()},
            )
            for key, ap in prices.areas.items()
        }
    )
    none = PriceTable(
        areas={
            key: replace(ap, costs_per_m2=None, by_rooms={r: (price, None) for r, (price, _) in ap.by_rooms.items()})
            for key, ap in prices.areas.items()
        }
    )
    assert any(first not in keys for keys in in_pieces)  # some pieces lack the area with running costs
    assert any(first in keys for keys in in_pieces)
    for table in (some, none):
        split = screen(reg, table, params, options)
        monkeypatch.setattr(engine, "SCREEN_PIECE_ROWS", 10**9)
        assert split.assumptions == screen(reg, table, params, options).assumptions
        assert split.assumptions_nb == screen(reg, table, params, options).assumptions_nb
        monkeypatch.setattr(engine, "SCREEN_PIECE_ROWS", 13)
    assert len(screen(reg, none, params, options).assumptions) == len(whole.assumptions) + 1
