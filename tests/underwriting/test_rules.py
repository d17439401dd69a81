"""The underwriting rules over arrays (loan_engine.underwriting.rules): one household is an array of one, and
every element of a batch equals the same household computed alone."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loan_engine.parameters import FeeRule
from loan_engine.underwriting import rules
from loan_engine.underwriting.amortization import LoanTerms, RateChange, Repayment, build_schedule
from tests.underwriting.helpers import params


def test_present_value_factor_scalars_arrays_and_zero_rate() -> None:
    assert rules.present_value_factor(0.0, 360.0) == 360.0
    assert rules.present_value_factor(0.05 / 12, 360.0) == pytest.approx(-npf.pv(0.05 / 12, 360, 1), rel=1e-12)
    out = rules.present_value_factor(np.array([0.0, 0.004, 0.01]), np.array([12.0, 240.0, 600.0]))
    assert out.shape == (3,) and out[0] == 12.0
    assert out[2] == pytest.approx(-npf.pv(0.01, 600, 1), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.floats(1_000, 100_000, allow_nan=False),
    rate=st.floats(0.0, 0.2, allow_nan=False),
    later=st.floats(0.0, 0.2, allow_nan=False),
    term_years=st.integers(2, 50),
    io_years=st.integers(0, 8),
    fix_years=st.sampled_from([0, 3, 5, 10, 20]),
    serial=st.booleans(),
)
def test_max_principal_is_carried_by_the_exact_schedule(
    amount: float, rate: float, later: float, term_years: int, io_years: int, fix_years: int, serial: bool
) -> None:
    """The largest principal's highest scheduled payment (exact to the øre) is the monthly amount."""
    term, io = term_years * 12, min(io_years, term_years - 1) * 12
    fix = fix_years * 12 if 0 < fix_years < term_years else None
    p = float(rules.max_principal(amount, rate, term, serial, io, fix, later if fix else None))
    assert p > 0
    changes = (RateChange(fix + 1, later),) if fix else ()
    sched = build_schedule(LoanTerms(p, rate, term, Repayment.SERIAL if serial else Repayment.ANNUITY, io, changes))
    # The last payment absorbs the rounding; the others are within a few øre (rounded instalment and interest).
    assert max(r.payment for r in sched.rows[:-1]) <= amount * (1 + 1e-5) + 0.05


def test_batch_equals_each_household_alone() -> None:
    rng = np.random.default_rng(3)
    n = 200
    amount = rng.uniform(-2_000, 40_000, n)
    rate = rng.uniform(0.0, 0.1, n)
    term = rng.choice([120, 360, 600], n)
    io = rng.choice([0, 12, 60], n)
    fix = rng.choice([36, 60, 120, 600], n)
    later = rng.uniform(0.02, 0.1, n)
    serial = rng.random(n) < 0.3
    batch = rules.max_principal(amount, rate, term, serial, io, fix, later)
    for k in range(n):
        alone = rules.max_principal(amount[k], rate[k], term[k], serial[k], io[k], fix[k], later[k])
        assert float(alone) == float(batch[k])
    assert (batch[amount <= 0] == 0).all()
    assert rules.max_loan(batch).dtype == np.int64
    assert rules.max_loan(np.array([-3.0, 2.9999999999, 7.5])).tolist() == [0, 3, 7]


def test_fees_payout_and_the_smallest_loan_over_arrays() -> None:
    fees = params().fees
    loans = np.array([0, 1, 50_000, 150_000, 3_000_000])
    rows = rules.fees_ore(loans, fees)
    assert rows.shape == (len(fees), len(loans)) and (rows[:, 0] == 0).all()
    payout = rules.payout_ore(loans, fees)
    assert payout.tolist() == (loans * 100 - rows.sum(axis=0)).tolist()
    need = np.array([-5, 0, 1, 10_000_000, 250_000_000])
    loan = rules.loan_for_payout(need, fees)
    assert loan[0] == loan[1] == 0
    assert (rules.payout_ore(loan[2:], fees) >= need[2:]).all()
    assert (rules.payout_ore(loan[2:] - 1, fees) < need[2:]).all()
    grant = rules.smallest_grant(np.array([250_000_000]), np.array([2_000_000]), fees)
    assert int(rules.loan_for_payout(250_000_000 - int(grant[0]) * 100, fees)) <= 2_000_000


@pytest.mark.parametrize(
    "fees",
    [
        (),
        (FeeRule("pct", 1.0, 500, 1500), FeeRule("fixed", amount=500)),
        (FeeRule("pct", 2.5, 0, None),),
        (FeeRule("pct", 40.0, 10_000, None), FeeRule("pct2", 55.5, 0, 7)),
        (FeeRule("fixed", amount=123_456.78),),
        (FeeRule("pct", 0.3333, 1, 2), FeeRule("fixed", amount=0.01)),
    ],
)
def test_the_smallest_loan_with_lower_bound_steps_is_the_bisections(fees: tuple[FeeRule, ...]) -> None:
    """The steps up from a lower bound before the bisection find the loan the bisection alone finds, and it is
    the smallest that pays out enough."""
    rng = np.random.default_rng(3)
    need = np.concatenate(
        [rng.integers(-10, 10**12, 3000), rng.integers(1, 10**6, 1000), np.array([1, 99, 100, 101, 50_000_000])]
    )
    table = rules._fee_table(fees)
    assert rules._fees_never_fall(table)
    stepped = rules._loan_for_payout_kernel(need, table, rules._LOWER_BOUND_STEPS)
    assert stepped.tolist() == rules._loan_for_payout_kernel(need, table, 0).tolist()
    assert stepped.tolist() == rules.loan_for_payout(need, fees).tolist()
    pos = need > 0
    assert (rules.payout_ore(stepped[pos], fees) >= need[pos]).all()
    lower = stepped[pos] - 1
    assert ((lower == 0) | (rules.payout_ore(np.maximum(lower, 1), fees) < need[pos])).all()
    assert (stepped[~pos] == 0).all()


def test_section_8_5_over_arrays() -> None:
    yes, no = np.array([True, True, False]), np.array([False, False, False])
    all_four = {c: yes for c in rules.SECTION_85_CONDITIONS}
    _, allowed, _ = rules.section_8_5_missing(all_four, no)
    assert allowed.tolist() == [True, True, False]
    # a) waived with children and a low, predictable income; b) and c) waived at risk of losing the home
    given_ = {
        "shorter_term_not_responsible": yes,
        "at_risk_of_losing_home": np.array([True, True, False]),
        "low_predictable_income": np.array([True, False, True]),
    }
    missing, allowed, waived = rules.section_8_5_missing(given_, np.array([False, False, True]))
    assert allowed.tolist() == [True, False, False]
    assert missing["permanently_low_income"].tolist() == [False, True, False]
    assert missing["dwelling_meets_long_term_needs"].tolist() == [False, False, True]
    assert waived.tolist() == [True, True, True]


def test_living_costs_caseworker_figure_never_below_the_floor() -> None:
    p = params()
    hh = np.array([0, 1, 1, 2])
    age = np.array([30, 40, 38, 70])
    female = np.array([True, False, True, True])
    lc = rules.living_costs(
        p, household_of_member=hh, age=age, female=female, caseworker_amount=np.array([np.nan, 100.0, 50_000.0])
    )
    assert lc.source.tolist() == [rules.SOURCE_SIFO, rules.SOURCE_FLOOR, rules.SOURCE_CASEWORKER]
    assert lc.amount[1] == lc.floor[1] and lc.amount[2] == 50_000.0
    assert lc.floor[0] == p.floor.single_adult and lc.floor[1] == p.floor.couple
    assert math.isclose(lc.amount[0], lc.sifo[0])
