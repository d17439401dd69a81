"""Schedules and the inverse, against hand-worked numbers and numpy-financial."""

from __future__ import annotations

import numpy_financial as npf
import pytest

from loan_engine.errors import InvalidInput
from loan_engine.underwriting.amortization import (
    LoanTerms,
    RateChange,
    Repayment,
    annuity_factor,
    build_schedule,
    fixed_then_floating,
    max_principal,
    peak_payment_per_krone,
)


def test_annuity_payment_matches_numpy_financial() -> None:
    s = build_schedule(LoanTerms(2_000_000, 0.05, 360))
    expected = -npf.pmt(0.05 / 12, 360, 2_000_000)
    assert s.first_payment == pytest.approx(expected, abs=0.005)
    assert s.first_payment == 10_736.43  # hand-worked: 2 000 000 · i / (1 − (1+i)^−360), i = 0.05/12
    # interest and principal of month 1 and month 120 agree with ipmt/ppmt to the øre
    for per in (1, 120, 359):
        row = s.rows[per - 1]
        assert row.interest == pytest.approx(-npf.ipmt(0.05 / 12, per, 360, 2_000_000), abs=0.02)
        assert row.principal == pytest.approx(-npf.ppmt(0.05 / 12, per, 360, 2_000_000), abs=0.02)


def test_principal_sums_to_loan_exactly_and_last_payment_absorbs_rounding() -> None:
    s = build_schedule(LoanTerms(1_234_567.89, 0.0477, 300))
    assert s.principal_sum_ore == s.principal_ore == 123_456_789
    assert sum(round(r.principal * 100) for r in s.rows) == 123_456_789
    assert s.rows[-1].balance == 0
    # the last payment differs only by the compounded øre rounding of the level payment: ≤ ½ øre · FV factor
    i = 0.0477 / 12
    assert abs(s.rows[-1].payment - s.rows[0].payment) <= 0.005 * ((1 + i) ** 300 - 1) / i + 0.01
    assert s.total_payment == pytest.approx(s.total_interest + s.total_principal, abs=1e-6)


def test_hand_worked_small_annuity() -> None:
    # 1 000 kr at 12 % a year (1 % a month) over 3 months: payment 1000·0.01/(1−1.01^−3) = 340.0221 → 340.02;
    # month 3: interest 3.3666 → 3.37 on the balance 336.66, so the last payment absorbs one øre: 340.03
    s = build_schedule(LoanTerms(1000, 0.12, 3))
    assert [r.payment for r in s.rows] == [340.02, 340.02, 340.03]
    assert [r.interest for r in s.rows] == [10.0, 6.7, 3.37]
    assert [r.principal for r in s.rows] == [330.02, 333.32, 336.66]
    assert s.total_principal == 1000.0


def test_zero_rate_annuity() -> None:
    s = build_schedule(LoanTerms(1200, 0.0, 12))
    assert all(r.payment == 100 for r in s.rows)
    assert max_principal(100, 0.0, 12) == pytest.approx(1200)


def test_serial_hand_worked() -> None:
    # 120 000 over 10 years serial at 6 %: instalment 1 000, first payment 1 000 + 600 = 1 600, last 1 005
    s = build_schedule(LoanTerms(120_000, 0.06, 120, Repayment.SERIAL))
    assert s.rows[0].payment == 1600.0
    assert s.rows[-1].payment == 1005.0
    assert all(r.principal == 1000.0 for r in s.rows)
    assert s.max_payment == 1600.0
    assert max_principal(1600, 0.06, 120, Repayment.SERIAL) == pytest.approx(120_000)


def test_interest_only_then_annuity() -> None:
    s = build_schedule(LoanTerms(1_000_000, 0.06, 360, Repayment.ANNUITY, interest_only_months=60))
    assert all(r.payment == 5000.0 and r.principal == 0 for r in s.rows[:60])
    amort = -npf.pmt(0.005, 300, 1_000_000)
    assert s.rows[60].payment == pytest.approx(amort, abs=0.005)
    assert s.principal_sum_ore == 100_000_000
    # the binding payment is the annuity after the interest-only period
    assert max_principal(amort, 0.06, 360, "annuity", 60) == pytest.approx(1_000_000, rel=1e-12)


def test_serial_with_interest_only_binds_on_first_amortising_payment() -> None:
    p = max_principal(10_000, 0.05, 360, "serial", 96)
    # first payment after 8 interest-only years: p/264 + p·0.05/12
    assert p / 264 + p * 0.05 / 12 == pytest.approx(10_000)
    s = build_schedule(LoanTerms(p, 0.05, 360, Repayment.SERIAL, 96))
    assert s.max_payment == pytest.approx(10_000, abs=0.02)
    assert s.rows[96].payment == s.max_payment


def test_fixed_then_floating_recomputes_annuity() -> None:
    changes = fixed_then_floating(0.04, 60, 0.07)
    s = build_schedule(LoanTerms(2_000_000, 0.04, 360, rate_changes=changes))
    first = -npf.pmt(0.04 / 12, 360, 2_000_000)
    assert s.rows[0].payment == pytest.approx(first, abs=0.005)
    balance_60 = s.rows[59].balance
    assert balance_60 == pytest.approx(-npf.fv(0.04 / 12, 60, -round(first, 2), 2_000_000), abs=0.05)
    assert s.rows[60].payment == pytest.approx(-npf.pmt(0.07 / 12, 300, balance_60), abs=0.01)
    assert s.rows[60].annual_rate == 0.07


def test_floating_rate_changes_serial_keeps_instalment() -> None:
    terms = LoanTerms(240_000, 0.05, 240, Repayment.SERIAL, rate_changes=(RateChange(13, 0.06), RateChange(25, 0.04)))
    s = build_schedule(terms)
    assert {r.principal for r in s.rows} == {1000.0}
    assert s.rows[12].interest == pytest.approx(228_000 * 0.06 / 12)
    assert s.rows[24].interest == pytest.approx(216_000 * 0.04 / 12)


def test_inverse_with_rate_changes_uses_the_highest_payment() -> None:
    changes = (RateChange(61, 0.08),)
    peak = peak_payment_per_krone(0.03, 360, "annuity", 0, changes)
    p = max_principal(10_000, 0.03, 360, "annuity", 0, changes)
    s = build_schedule(LoanTerms(p, 0.03, 360, rate_changes=changes))
    assert s.rows[60].payment == pytest.approx(10_000, abs=0.02)
    assert s.rows[0].payment < 10_000
    assert peak * p == pytest.approx(10_000)


def test_annuity_factor_equals_numpy_financial_pv() -> None:
    for rate, n in [(0.065, 360), (0.045, 600), (0.001, 12), (0.3, 120)]:
        assert annuity_factor(rate / 12, n) == pytest.approx(-npf.pv(rate / 12, n, 1), rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"term_months": 601}, "max-term-50-years"),
        ({"term_months": 0}, "max-term-50-years"),
        ({"interest_only_months": 97}, "max-interest-only-8-years"),
        ({"interest_only_months": 12, "term_months": 12}, "interest-only-shorter-than-term"),
        ({"annual_rate": -0.01}, "rate-0-100-percent"),
        ({"annual_rate": float("nan")}, "rate-0-100-percent"),
        ({"principal": -5}, "principal-positive"),
        ({"principal": float("inf")}, "principal-positive"),
        ({"rate_changes": (RateChange(1, 0.05),)}, "rate-change-within-term"),
        ({"rate_changes": (RateChange(400, 0.05),)}, "rate-change-within-term"),
    ],
)
def test_schedule_rejects_bad_terms(kwargs: dict[str, object], rule: str) -> None:
    base: dict[str, object] = {"principal": 100_000, "annual_rate": 0.05, "term_months": 360}
    base.update(kwargs)
    with pytest.raises(InvalidInput) as err:
        build_schedule(LoanTerms(**base))  # type: ignore[arg-type]
    assert err.value.rule == rule


def test_max_principal_non_positive_amount_is_zero() -> None:
    assert max_principal(0, 0.05, 360) == 0
    assert max_principal(-100, 0.05, 360, "serial") == 0
