"""Betjeningsevne and the maximum loan: hand-worked numbers and each rule of issue 2."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy_financial as npf
import pytest

from loan_engine.errors import InvalidInput
from loan_engine.underwriting.affordability import (
    BankLoan,
    Dwelling,
    ExistingDebt,
    Income,
    IncomeKind,
    IncomeSource,
    LoanWish,
    RateType,
    Section85Reason,
    assess_affordability,
    bank_stress_rate,
    fee_ore,
    loan_for_payout,
    payout_ore,
)
from loan_engine.underwriting.amortization import LoanTerms, Repayment, build_schedule
from loan_engine.underwriting.living_costs import LivingCostSource
from tests.underwriting.helpers import family, params, request

ALL_A_TO_D = (
    Section85Reason.PERMANENTLY_LOW_INCOME,
    Section85Reason.DWELLING_MEETS_LONG_TERM_NEEDS,
    Section85Reason.RENTAL_MARKET_UNSUITABLE,
    Section85Reason.SHORTER_TERM_NOT_RESPONSIBLE,
)


def test_hand_worked_family_at_default_stress_rate() -> None:
    # income 75 000 − SIFO 37 776 − housing 6 100 − debt 2 000 = 29 124; stress 4 % + 2.5 pp = 6.5 %
    r = replace(request(75_000, household=family(), housing=6_100), existing_debts=(ExistingDebt(100_000, 2_000),))
    res = assess_affordability(r, params())
    assert res.disposable_monthly == pytest.approx(29_124)
    assert res.stress_rate == pytest.approx(0.065)
    assert res.stress_rate_source == "parameter_set"
    expected = math.floor(-npf.pv(0.065 / 12, 360, 29_124))
    assert res.max_loan == expected
    assert res.living_costs.source is LivingCostSource.SIFO
    assert res.parameter_set_id == "no-2026-1" and res.parameter_set_version == 1
    codes = [s.code for s in res.explanation]
    assert codes[:2] == ["income", "living_costs_sifo"]
    assert "disposable" in codes and "stress_rate" in codes and codes[-1] == "result"
    assert all(s.nb and s.en for s in res.explanation)


def test_stress_rate_override_and_fees_deducted_at_payout() -> None:
    res = assess_affordability(request(loan=LoanWish(stress_rate=0.08)), params())
    assert res.stress_rate == 0.08 and res.stress_rate_source == "request"
    # etableringsgebyr 1 % capped at 1 500, tinglysing 500
    assert {f.name: f.amount for f in res.fees} == {"etableringsgebyr": 1500.0, "tinglysingsgebyr": 500.0}
    assert res.payout == res.max_loan - 2000


@pytest.mark.parametrize(
    ("loan", "etablering"), [(30_000, 500.0), (100_000, 1000.0), (123_456, 1234.56), (400_000, 1500.0)]
)
def test_etableringsgebyr_one_percent_min_500_max_1500(loan: int, etablering: float) -> None:
    fees = dict(fee_ore(loan, params().fees))
    assert fees["etableringsgebyr"] / 100 == etablering
    assert payout_ore(loan, params().fees) == loan * 100 - fees["etableringsgebyr"] - 50_000
    assert fee_ore(0, params().fees) == []


def test_loan_for_payout_is_the_smallest_that_covers() -> None:
    p = params().fees
    for need_kr in (1, 499, 1_000, 50_000, 149_999, 2_460_000):
        loan = loan_for_payout(need_kr * 100, p)
        assert payout_ore(loan, p) >= need_kr * 100 > payout_ore(loan - 1, p)


def test_fixed_rate_applies_for_the_fixation_period() -> None:
    p = params()
    floating = assess_affordability(request(), p)
    fixed = assess_affordability(request(loan=LoanWish(rate_type=RateType.FIXED, fixation_years=10)), p)
    assert fixed.fixed_rate is not None
    assert fixed.fixed_rate == pytest.approx(p.startlan_fixed_rate(10))
    assert fixed.max_loan > floating.max_loan
    # the schedule of that loan: payment at the fixed rate ≤ available; after 10 years at the stress rate ≤ available
    rate_change = 10 * 12 + 1
    from loan_engine.underwriting.amortization import RateChange

    s = build_schedule(
        LoanTerms(fixed.max_loan, fixed.fixed_rate, 360, rate_changes=(RateChange(rate_change, fixed.stress_rate),))
    )
    assert max(r.payment for r in s.rows[:-1]) <= fixed.available_for_startlan_monthly + 0.01
    # fixation over the whole term: only the fixed rate matters
    whole = assess_affordability(request(loan=LoanWish(rate_type=RateType.FIXED, fixation_years=20, term_years=20)), p)
    assert whole.fixed_rate is not None
    assert whole.max_loan == math.floor(-npf.pv(whole.fixed_rate / 12, 240, whole.available_for_startlan_monthly))


def test_serial_is_bound_by_its_first_payment() -> None:
    res = assess_affordability(request(loan=LoanWish(repayment=Repayment.SERIAL)), params())
    a, i = res.available_for_startlan_monthly, 0.065 / 12
    assert res.max_loan == math.floor(a / (1 / 360 + i))
    assert res.max_loan < assess_affordability(request(), params()).max_loan


def test_interest_only_years_reduce_amortising_months() -> None:
    res = assess_affordability(request(loan=LoanWish(interest_only_years=5)), params())
    assert res.max_loan == math.floor(-npf.pv(0.065 / 12, 300, res.available_for_startlan_monthly))


def test_co_financing_bank_loan_at_bank_stress() -> None:
    p = params()
    assert bank_stress_rate(0.05, p) == pytest.approx(0.08)
    assert bank_stress_rate(0.03, p) == pytest.approx(0.07)  # minimum 7 %
    bank = BankLoan(1_000_000, 0.05, 30)
    res = assess_affordability(replace(request(80_000), bank_loan=bank), p)
    assert res.bank_loan is not None
    bank_payment = -npf.pmt(0.08 / 12, 360, 1_000_000)
    assert res.bank_loan.monthly_payment_at_stress == pytest.approx(bank_payment)
    assert res.available_for_startlan_monthly == pytest.approx(res.disposable_monthly - bank_payment)
    assert res.max_loan == math.floor(-npf.pv(0.065 / 12, 360, res.available_for_startlan_monthly))


def test_50_years_requires_section_8_5() -> None:
    p = params()
    with pytest.raises(InvalidInput) as err:
        assess_affordability(request(loan=LoanWish(term_years=50)), p)
    assert err.value.rule == "term-over-30-needs-section-8-5"
    assert err.value.field == "loan.term_years"
    assert "permanently low income" in err.value.detail and "varig lav inntekt" in err.value.detail
    with pytest.raises(InvalidInput):
        assess_affordability(request(loan=LoanWish(term_years=31)), p)
    ok = assess_affordability(request(loan=LoanWish(term_years=50, term_over_30_reasons=ALL_A_TO_D)), p)
    assert ok.long_term is not None and ok.long_term.allowed
    assert ok.max_loan > assess_affordability(request(), p).max_loan
    # waivers: children + low predictable income waive a); risk of losing the home waives b) and c)
    waived = (
        Section85Reason.LOW_PREDICTABLE_INCOME,
        Section85Reason.AT_RISK_OF_LOSING_HOME,
        Section85Reason.SHORTER_TERM_NOT_RESPONSIBLE,
    )
    assert assess_affordability(request(loan=LoanWish(term_years=50, term_over_30_reasons=waived)), p).long_term


def test_borettslag_cap() -> None:
    p = params()
    rich = request(200_000)
    d = Dwelling(price=1_500_000, fellesgjeld=900_000, costs=10_000)
    res = assess_affordability(replace(rich, dwelling=d), p)
    # fellesgjeld + startlån ≤ price + fellesgjeld + costs, fees deducted at payout count as costs
    assert res.dwelling_cap == res.max_loan
    assert payout_ore(res.max_loan, p.fees) <= (1_500_000 + 10_000) * 100 < payout_ore(res.max_loan + 1, p.fees)
    assert res.payment_capacity_limit > res.max_loan
    with pytest.raises(InvalidInput) as err:
        assess_affordability(replace(rich, dwelling=d, bank_loan=BankLoan(2_000_000, 0.05)), p)
    assert err.value.rule == "loans-within-price-and-costs"


def test_no_surplus_means_no_loan() -> None:
    res = assess_affordability(request(15_000), params())
    assert res.disposable_monthly < 0 and res.max_loan == 0 and res.fees == () and res.payout == 0


def test_caseworker_living_costs_and_floor() -> None:
    p = params()
    res = assess_affordability(request(living=12_000), p)
    assert res.living_costs.source is LivingCostSource.CASEWORKER
    low = assess_affordability(request(living=1_000), p)
    assert low.living_costs.source is LivingCostSource.FLOOR
    assert low.living_costs.amount == 7_850 + 3_950


def test_income_sources_and_rental_ten_of_twelve_months() -> None:
    p = params()
    income = Income(sources=(IncomeSource(IncomeKind.SALARY, 40_000), IncomeSource(IncomeKind.RENTAL, 12_000)))
    res = assess_affordability(replace(request(), income=income), p)
    assert res.counted_income_monthly == pytest.approx(40_000 + 10_000)
    with pytest.raises(InvalidInput) as err:
        assess_affordability(replace(request(), income=Income(60_000, income.sources)), p)
    assert err.value.rule == "income-sources-sum"
    with pytest.raises(InvalidInput) as err:
        assess_affordability(replace(request(), income=Income()), p)
    assert err.value.rule == "income-required"


@pytest.mark.parametrize(
    ("loan", "rule"),
    [
        (LoanWish(term_years=51), "max-term-50-years"),
        (LoanWish(term_years=0), "max-term-50-years"),
        (LoanWish(interest_only_years=9), "max-interest-only-8-years"),
        (LoanWish(term_years=5, interest_only_years=5), "interest-only-shorter-than-term"),
        (LoanWish(rate_type=RateType.FIXED), "fixation-required"),
        (LoanWish(rate_type=RateType.FIXED, fixation_years=7), "fixation-period-3-5-10-20"),
        (LoanWish(rate_type=RateType.FIXED, fixation_years=20, term_years=10), "fixation-within-term"),
        (LoanWish(stress_rate=0.5), "stress-rate-0-30-percent"),
    ],
)
def test_bad_loan_terms(loan: LoanWish, rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        assess_affordability(request(loan=loan), params())
    assert err.value.rule == rule


def test_negative_and_absurd_amounts() -> None:
    p = params()
    with pytest.raises(InvalidInput) as err:
        assess_affordability(request(-1), p)
    assert err.value.field == "income.net_monthly"
    with pytest.raises(InvalidInput):
        assess_affordability(request(1e12), p)
    with pytest.raises(InvalidInput) as err:
        assess_affordability(replace(request(), existing_debts=(ExistingDebt(-5, 100),)), p)
    assert err.value.field == "existing_debts.0.balance"
