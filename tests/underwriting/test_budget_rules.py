"""The whole-budget rules of issue 13, each against hand-worked numbers from the published 2026 rates.

Tax cases are worked by hand from the rates in parameter set no-2026-2 (regjeringen.no skattesatser 2026 as adopted:
trinnskatt 226 100 / 318 300 / 725 050 / 980 100 / 1 467 200 at 1.7 / 4.0 / 13.7 / 16.8 / 17.8 %, trygdeavgift
7.6 / 5.1 / 10.8 % with the 99 650 lower limit and 25 % phase-in, personfradrag 114 540, minstefradrag 46 % max
95 700 for wages and 40 % max 75 400 for pensions, 22 % on alminnelig inntekt). Skatteetaten's own 2026 worked
examples were not available in the stored sources; the figures are the rules applied line by line.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy_financial as npf
import pytest

from loan_engine.errors import InvalidInput
from loan_engine.underwriting.affordability import AffordabilityRequest, BankLoan, Dwelling, HousingCosts, Income
from loan_engine.underwriting.benefits import BenefitClaims, benefit_incomes, overgangsstonad_annual
from loan_engine.underwriting.bostotte import bostotte_annual
from loan_engine.underwriting.budget import (
    BudgetDebt,
    BudgetIncome,
    BudgetIncomeKind,
    BudgetRequest,
    DwellingFacts,
    DwellingType,
    FellesgjeldTerms,
    Improvement,
    LoanPurpose,
    Refinancing,
    assess_budget,
)
from loan_engine.underwriting.calculators import debt_service, repayment_period
from loan_engine.underwriting.debts import DebtKind, DebtRateType, DebtTerms, counted_payments
from loan_engine.underwriting.living_costs import Car, Household, Member, Sex
from loan_engine.underwriting.tax import income_tax, tax_base
from tests.underwriting.helpers import params, params_v2

TODAY = date(2026, 12, 1)
P2 = params_v2()
TAX = P2.budget.require_tax("income")


def _tax(kind: str, gross: float, interest: float = 0.0) -> float:
    b = tax_base(1)
    k = TAX.kinds[kind]
    {"wage": b.wage, "pension": b.pension, "self_employment": b.self_employment}[k.trygdeavgift][0] = gross
    if k.minstefradrag == "wage":
        b.minstefradrag_wage[0] = gross
    elif k.minstefradrag == "pension":
        b.minstefradrag_pension[0] = gross
    if k.pensioner_deduction:
        b.pensioner_deduction_base[0] = gross
    b.interest_paid[0] = interest
    return float(income_tax(b, TAX).tax[0])


# --------------------------------------------------------------------------------------------------------------
# Gross → net
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "gross", "interest", "expected"),
    [
        # wage 500 000: trygdeavgift 38 000; trinnskatt 92 200 × 1.7 % + 181 700 × 4 % = 8 835.4;
        # 22 % × (500 000 − 95 700 − 114 540) = 63 747.2
        ("salary", 500_000, 0, 38_000 + 8_835.4 + 63_747.2),
        # wage 1 000 000: all five trinn: 1 567.4 + 16 270 + 34 941.85 + 19 900 × 16.8 % = 56 122.45
        ("salary", 1_000_000, 0, 76_000 + 56_122.45 + 0.22 * (1_000_000 - 95_700 - 114_540)),
        # alderspensjon 300 000: trygdeavgift 5.1 % = 15 300; minstefradrag 40 % capped at 75 400; trinnskatt
        # 73 900 × 1.7 % = 1 256.3; skattefradrag for pensjonister 36 000 − 16.7 % × 23 600 = 32 058.8
        ("pension", 300_000, 0, 15_300 + 1_256.3 + 0.22 * (300_000 - 75_400 - 114_540) - 32_058.8),
        # uføretrygd 300 000: taxed as wages since 2015 (trygdeavgift 7.6 % = 22 800, wage minstefradrag 95 700),
        # no pensioner deduction
        ("disability", 300_000, 0, 22_800 + 1_256.3 + 0.22 * (300_000 - 95_700 - 114_540)),
        # AAP 250 000: wage trygdeavgift 7.6 % = 19 000; trinnskatt 23 900 × 1.7 % = 406.3
        ("aap", 250_000, 0, 19_000 + 406.3 + 0.22 * (250_000 - 95_700 - 114_540)),
        # low wage 110 000: trygdeavgift phased in, 25 % × (110 000 − 99 650) = 2 587.5 < 7.6 %; no other tax
        ("salary", 110_000, 0, 2_587.5),
        # rentefradrag: 50 000 of interest saves 22 % = 11 000
        ("salary", 500_000, 50_000, 38_000 + 8_835.4 + 63_747.2 - 11_000),
        # self-employment 600 000: trygdeavgift 10.8 % = 64 800, no minstefradrag
        ("self_employment", 600_000, 0, 64_800 + 1_567.4 + 281_700 * 0.04 + 0.22 * (600_000 - 114_540)),
    ],
)
def test_income_tax_2026_hand_worked(kind: str, gross: float, interest: float, expected: float) -> None:
    assert _tax(kind, gross, interest) == pytest.approx(expected, abs=0.01)


def test_income_tax_is_one_rule_over_arrays() -> None:
    b = tax_base(3)
    b.wage[:] = [500_000, 110_000, 1_000_000]
    b.minstefradrag_wage[:] = b.wage
    res = income_tax(b, TAX)
    assert res.tax.tolist() == pytest.approx([_tax("salary", g) for g in (500_000, 110_000, 1_000_000)])
    assert res.net.tolist() == pytest.approx((b.wage - res.tax).tolist())


def test_pensioner_deduction_tapers_to_zero_for_high_pensions() -> None:
    # 36 000 − 16.7 % × (422 950 − 276 400) − 6 % × (p − 422 950) reaches 0 at p ≈ 615 000
    high = _tax("pension", 700_000)
    b = tax_base(1)
    b.pension[0] = b.minstefradrag_pension[0] = 700_000
    assert high == pytest.approx(float(income_tax(b, TAX).tax[0]))


# --------------------------------------------------------------------------------------------------------------
# Debts
# --------------------------------------------------------------------------------------------------------------


def _terms(**kw: object) -> DebtTerms:
    n = 1
    base: dict[str, object] = {
        "balance": np.array([150_000.0]),
        "stated_payment": np.full(n, np.nan),
        "annual_rate": np.array([0.12]),
        "remaining_months": np.array([60.0]),
        "fixed": np.zeros(n, dtype=bool),
        "fixed_months_left": np.zeros(n),
        "credit_card": np.zeros(n, dtype=bool),
        "credit_limit": np.full(n, np.nan),
    }
    base.update(kw)
    return DebtTerms(**base)  # type: ignore[arg-type]


def test_floating_debt_counts_at_rate_plus_the_startlan_add_on() -> None:
    add_on = 0.065 - 0.0489  # no-2026-2: stress 6.5 % − startlån floating 4.89 %
    c = counted_payments(_terms(), add_on, 0.03)
    assert float(c.counted_payment[0]) == pytest.approx(-npf.pmt((0.12 + add_on) / 12, 60, 150_000))
    # the example: a floating debt no longer counts the same at a 6.5 % and a 9 % stress rate
    higher = counted_payments(_terms(), 0.09 - 0.0489, 0.03)
    assert float(higher.counted_payment[0]) > float(c.counted_payment[0])


def test_fixed_debt_at_its_rate_until_fixation_ends_then_stressed() -> None:
    b, r, n, f, a = 1_000_000.0, 0.04, 240, 36, 0.0161
    c = counted_payments(
        _terms(
            balance=np.array([b]),
            annual_rate=np.array([r]),
            remaining_months=np.array([float(n)]),
            fixed=np.array([True]),
            fixed_months_left=np.array([float(f)]),
        ),
        a,
        0.03,
    )
    during = -npf.pmt(r / 12, n, b)
    left = npf.fv(r / 12, f, during, -b)
    after = -npf.pmt((r + a) / 12, n - f, left)
    assert float(c.counted_payment[0]) == pytest.approx(max(during, after))
    assert after > during


def test_credit_card_counts_by_its_limit() -> None:
    c = counted_payments(
        _terms(balance=np.array([2_000.0]), credit_card=np.array([True]), credit_limit=np.array([20_000.0])),
        0.0161,
        0.03,
    )
    assert float(c.counted_payment[0]) == pytest.approx(600)


def test_term_from_the_stated_payment_where_only_rate_is_given() -> None:
    c = counted_payments(_terms(stated_payment=np.array([3_000.0]), remaining_months=np.array([np.nan])), 0.0161, 0.03)
    months = np.ceil(npf.nper(0.12 / 12, -3_000, 150_000))
    assert float(c.remaining_months[0]) == months
    assert float(c.counted_payment[0]) == pytest.approx(-npf.pmt((0.12 + 0.0161) / 12, months, 150_000))


# --------------------------------------------------------------------------------------------------------------
# Calculators
# --------------------------------------------------------------------------------------------------------------


def test_repayment_period_matches_nper() -> None:
    r = repayment_period(1_000_000, 0.05, 6_000)
    exact = npf.nper(0.05 / 12, -6_000, 1_000_000)
    assert r.months == int(np.ceil(exact))
    assert 0 < r.last_payment <= 6_000
    # the schedule closes: n − 1 full payments and the last one repay principal plus interest
    assert r.total_paid == pytest.approx(6_000 * (r.months - 1) + r.last_payment)
    assert r.total_interest == pytest.approx(r.total_paid - 1_000_000)
    assert "måneder" in r.explanation[0].nb


def test_repayment_period_instalment_below_interest_is_an_error() -> None:
    with pytest.raises(InvalidInput) as err:
        repayment_period(1_000_000, 0.05, 4_000)  # interest 4 166.67 a month
    assert err.value.field == "instalment" and err.value.rule == "instalment-covers-interest"


def test_debt_service_surplus_and_deficit_in_kroner() -> None:
    pay = -npf.pmt(0.065 / 12, 360, 1_500_000)
    ok = debt_service(12_000, 1_500_000, 0.065, 30, termingebyr_monthly=30)
    assert ok.surplus_monthly == pytest.approx(12_000 - pay - 30) and ok.serviceable
    short = debt_service(8_000, 1_500_000, 0.065, 30)
    assert short.surplus_monthly == pytest.approx(8_000 - pay) and not short.serviceable
    assert "Underskudd" in short.explanation[0].nb


# --------------------------------------------------------------------------------------------------------------
# Benefits and bostøtte
# --------------------------------------------------------------------------------------------------------------


def test_benefits_by_their_rules_with_end_years() -> None:
    rules = P2.budget.benefits
    assert rules is not None
    items = benefit_incomes(
        BenefitClaims(barnetrygd=True, utvidet_barnetrygd=True, kontantstotte=True, overgangsstonad=True),
        np.array([1, 6, 16]),
        200_000,
        rules,
    )
    by = {(b.kind, b.label_en): b for b in items}
    bt = [b for b in items if b.kind == "barnetrygd"]
    assert [b.net_monthly for b in bt] == [1_968] * 3 and [b.years_left for b in bt] == [17, 12, 2]
    utv = next(b for b in items if b.kind == "utvidet_barnetrygd")
    assert utv.net_monthly == 2_516 and utv.years_left == 17  # while the youngest gets barnetrygd
    ks = next(b for b in items if b.kind == "kontantstotte")
    assert ks.net_monthly == 7_500
    og = next(b for b in items if b.kind == "overgangsstonad")
    # 2.25 G − 45 % × (200 000 − 0.5 G), G = 130 160; at most 3 years
    assert og.gross_annual == pytest.approx(2.25 * 130_160 - 0.45 * (200_000 - 65_080))
    assert og.years_left == 3 and len(by) == len(items)
    assert overgangsstonad_annual(10_000_000, rules) == 0


def test_bostotte_by_husbankens_formula() -> None:
    rules = P2.budget.bostotte
    assert rules is not None
    amount, egen, counted = bostotte_annual([300_000], [120_000], [2], rules)
    # weight 1.13; egenandel 22 487 + 16.44 % × (300 000 / 1.13 − 110 866); costs capped at 97 404 (2 persons)
    expected_egen = 22_487 + 0.1644 * (300_000 / 1.13 - 110_866)
    assert float(egen[0]) == pytest.approx(expected_egen)
    assert float(counted[0]) == 97_404
    assert float(amount[0]) == pytest.approx(0.737 * (97_404 - expected_egen))
    none, _, _ = bostotte_annual([900_000], [60_000], [1], rules)
    assert float(none[0]) == 0


# --------------------------------------------------------------------------------------------------------------
# The whole budget
# --------------------------------------------------------------------------------------------------------------


def single() -> Household:
    return Household((Member(35, Sex.FEMALE),), Car.NONE)


def budget(**kw: object) -> BudgetRequest:
    base = AffordabilityRequest(
        household=kw.pop("household", single()),  # type: ignore[arg-type]
        income=Income(net_monthly=0.0),
        housing_costs=kw.pop("housing", HousingCosts(felleskostnader=3_000, electricity=800, insurance=300)),  # type: ignore[arg-type]
        bank_loan=kw.pop("bank_loan", None),  # type: ignore[arg-type]
        dwelling=kw.pop("dwelling", None),  # type: ignore[arg-type]
    )
    incomes = kw.pop("incomes", (BudgetIncome(BudgetIncomeKind.SALARY, gross_annual=550_000),))
    return BudgetRequest(base, incomes=incomes, today=TODAY, **kw)  # type: ignore[arg-type]


def test_gross_income_is_counted_after_tax() -> None:
    r = assess_budget(budget(), P2)
    tax = 41_800 + 1_567.4 + (550_000 - 318_300) * 0.04 + 0.22 * (550_000 - 95_700 - 114_540)
    assert r.affordability.counted_income_monthly == pytest.approx((550_000 - tax) / 12)
    assert r.taxes[0].tax == pytest.approx(tax)
    assert r.affordability.explanation[0].code == "income_tax"
    # termingebyr (30 kr) is in the fixed costs of the new set
    assert r.affordability.other_fixed_costs_monthly == 30 and r.termingebyr_monthly == 30


def test_a_request_without_new_inputs_computes_as_before() -> None:
    from loan_engine.underwriting.affordability import assess_affordability

    base = AffordabilityRequest(
        household=single(), income=Income(net_monthly=40_000), housing_costs=HousingCosts(other=5_000)
    )
    r = assess_budget(BudgetRequest(base, today=TODAY), params())
    assert r.affordability == assess_affordability(base, params())


def test_income_ending_within_the_horizon_gives_the_capacity_after() -> None:
    r = assess_budget(
        budget(
            incomes=(
                BudgetIncome(BudgetIncomeKind.SALARY, gross_annual=450_000),
                BudgetIncome(BudgetIncomeKind.AAP, gross_annual=150_000, ends_on=date(2028, 6, 1), description="AAP"),
            )
        ),
        P2,
    )
    assert r.after_income_ends is not None
    assert r.after_income_ends.ends == ("AAP",)
    assert r.after_income_ends.max_loan < r.affordability.max_loan
    alone = assess_budget(budget(incomes=(BudgetIncome(BudgetIncomeKind.SALARY, gross_annual=450_000),)), P2)
    assert r.after_income_ends.max_loan == alone.affordability.max_loan
    assert any(s.code == "after_income_ends" for s in r.affordability.explanation)


def test_income_starting_later_is_not_counted_today() -> None:
    r = assess_budget(
        budget(
            incomes=(
                BudgetIncome(BudgetIncomeKind.AAP, gross_annual=250_000),
                BudgetIncome(
                    BudgetIncomeKind.SALARY, gross_annual=300_000, starts_on=date(2029, 1, 1), description="ny jobb"
                ),
            )
        ),
        P2,
    )
    alone = assess_budget(budget(incomes=(BudgetIncome(BudgetIncomeKind.AAP, gross_annual=250_000),)), P2)
    assert r.affordability.max_loan == alone.affordability.max_loan
    assert r.income_rise is not None and r.income_rise.monthly > 0
    assert r.income_rise.years_from_now == pytest.approx((date(2029, 1, 1) - TODAY).days / 365.25)


def test_debts_show_each_counted_payment() -> None:
    r = assess_budget(
        budget(
            debts=(
                BudgetDebt(150_000, annual_rate=0.12, remaining_years=5, kind=DebtKind.CAR),
                BudgetDebt(1_000, kind=DebtKind.CREDIT_CARD, credit_limit=30_000),
                BudgetDebt(50_000, monthly_payment=1_000, kind=DebtKind.OTHER),
            )
        ),
        P2,
    )
    counted = [d.counted_payment for d in r.debts]
    assert counted[0] == pytest.approx(-npf.pmt((0.12 + 0.065 - 0.0489) / 12, 60, 150_000))
    assert counted[1] == pytest.approx(900) and counted[2] == 1_000 and r.debts[2].test_rate is None
    assert r.affordability.existing_debt_payments_monthly == pytest.approx(sum(counted))


def test_fellesgjeld_is_stressed_with_its_terms() -> None:
    r = assess_budget(
        budget(dwelling=Dwelling(2_000_000, 500_000, 50_000), fellesgjeld_terms=FellesgjeldTerms(0.05, 20)),
        P2,
    )
    a = 0.065 - 0.0489
    extra = -npf.pmt((0.05 + a) / 12, 240, 500_000) + npf.pmt(0.05 / 12, 240, 500_000)
    assert r.fellesgjeld_stress_monthly == pytest.approx(extra)


def test_housing_defaults_fill_zeros_and_are_shown() -> None:
    r = assess_budget(
        budget(housing=HousingCosts(felleskostnader=3_000), dwelling_facts=DwellingFacts(DwellingType.APARTMENT, 60)),
        P2,
    )
    used = {u.item: u.amount for u in r.housing_defaults}
    assert used == {"electricity": 660, "insurance": 250, "maintenance": 300}
    assert r.affordability.housing_costs_monthly == pytest.approx(3_000 + 660 + 250 + 300)
    silent = assess_budget(budget(housing=HousingCosts(felleskostnader=3_000)), P2)
    assert any(s.code == "housing_costs_zero" for s in silent.affordability.explanation)


def test_bank_part_checked_against_utlansforskriften() -> None:
    ok = assess_budget(budget(bank_loan=BankLoan(1_500_000, 0.05), dwelling=Dwelling(2_500_000, 0, 60_000)), P2)
    assert ok.bank_limits is not None and ok.bank_limits.ltv == pytest.approx(0.6) and ok.bank_limits.ltv_ok
    high = assess_budget(
        budget(
            incomes=(BudgetIncome(BudgetIncomeKind.SALARY, gross_annual=400_000),),
            bank_loan=BankLoan(2_400_000, 0.05),
            dwelling=Dwelling(2_500_000, 0, 60_000),
        ),
        P2,
    )
    b = high.bank_limits
    assert b is not None and b.possible is False and b.ltv_ok is False and b.debt_ok is False
    assert b.max_bank_loan == pytest.approx(min(0.9 * 2_500_000, 5 * 400_000 - high.affordability.max_loan))
    assert "ikke mulig" in b.nb
    unknown = assess_budget(
        budget(
            incomes=(BudgetIncome(BudgetIncomeKind.SALARY, net_monthly=40_000),), bank_loan=BankLoan(1_000_000, 0.05)
        ),
        P2,
    )
    assert unknown.bank_limits is not None and unknown.bank_limits.debt_ok is None


def test_refinancing_consolidates_debts_with_the_home_as_security() -> None:
    debts = (
        BudgetDebt(1_200_000, annual_rate=0.06, remaining_years=20, kind=DebtKind.MORTGAGE),
        BudgetDebt(100_000, annual_rate=0.15, remaining_years=4, kind=DebtKind.CONSUMER, consolidate=True),
        BudgetDebt(200_000, annual_rate=0.02, remaining_years=15, kind=DebtKind.STUDIELAN),
    )
    r = assess_budget(
        budget(debts=debts, purpose=LoanPurpose.REFINANCING, refinancing=Refinancing(2_000_000, 10_000)), P2
    )
    assert r.purpose.need == 1_310_000 and r.purpose.security_limit == 2_000_000
    # only the studielån stays in the budget
    assert r.affordability.existing_debt_payments_monthly == pytest.approx(r.debts[2].counted_payment)
    assert r.affordability.dwelling_cap is not None and r.affordability.payout <= 2_010_000 + 0.01
    assert any(s.code == "purpose_refinancing" for s in r.affordability.explanation)


def test_improvement_secured_within_value_after_works() -> None:
    r = assess_budget(
        budget(
            debts=(BudgetDebt(1_500_000, annual_rate=0.05, remaining_years=25, kind=DebtKind.MORTGAGE),),
            purpose=LoanPurpose.IMPROVEMENT,
            improvement=Improvement(300_000, 1_700_000),
        ),
        P2,
    )
    assert r.purpose.security_limit == 200_000 and r.purpose.covered is False
    assert r.affordability.payout <= 200_000 + 0.01  # fees deducted at payout count as costs


def test_bostotte_is_an_option() -> None:
    low = budget(incomes=(BudgetIncome(BudgetIncomeKind.DISABILITY, gross_annual=280_000),), bostotte=True)
    r = assess_budget(low, P2)
    assert r.bostotte is not None and not r.bostotte.counted_in_budget
    counted = assess_budget(
        budget(
            incomes=(BudgetIncome(BudgetIncomeKind.DISABILITY, gross_annual=280_000),),
            bostotte=True,
            count_bostotte=True,
        ),
        P2,
    )
    assert counted.bostotte is not None
    if counted.bostotte.monthly > 0:
        assert counted.affordability.max_loan > r.affordability.max_loan


# --------------------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field", "rule"),
    [
        (
            {"incomes": (BudgetIncome(BudgetIncomeKind.SALARY, net_monthly=30_000, gross_annual=500_000),)},
            "income.sources.0.gross_annual",
            "gross-or-net-not-both",
        ),
        (
            {"debts": (BudgetDebt(100_000, annual_rate=-0.01, remaining_years=5),)},
            "existing_debts.0.annual_rate",
            "rate-non-negative-bounded",
        ),
        (
            {"debts": (BudgetDebt(1_000_000, monthly_payment=3_000, annual_rate=0.05),)},
            "existing_debts.0.monthly_payment",
            "payment-covers-interest",
        ),
        (
            {"incomes": (BudgetIncome(BudgetIncomeKind.AAP, gross_annual=200_000, ends_on=date(2026, 1, 1)),)},
            "income.sources.0.ends_on",
            "end-date-not-past",
        ),
        (
            {"purpose": LoanPurpose.REFINANCING, "refinancing": Refinancing(2_000_000)},
            "existing_debts",
            "refinancing-needs-existing-loan",
        ),
        (
            {"debts": (BudgetDebt(100_000, annual_rate=0.04, remaining_years=10, rate_type=DebtRateType.FIXED),)},
            "existing_debts.0.fixed_years_left",
            "fixation-required",
        ),
    ],
)
def test_bad_input_names_field_and_rule(kw: dict[str, object], field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        assess_budget(budget(**kw), P2)
    assert err.value.field == field and err.value.rule == rule


def test_gross_income_needs_a_set_with_tax_rules() -> None:
    with pytest.raises(InvalidInput) as err:
        assess_budget(budget(), params())
    assert err.value.rule == "parameter-income-tax-required"


# --------------------------------------------------------------------------------------------------------------
# The ladder's interest-only step
# --------------------------------------------------------------------------------------------------------------


def _plan(rise: object) -> object:
    from loan_engine.underwriting.financing_ladder import FinancingPlanRequest, financing_plan

    base = AffordabilityRequest(
        household=single(),
        income=Income(net_monthly=28_000),
        housing_costs=HousingCosts(other=5_000),
        dwelling=Dwelling(3_000_000, 0, 75_000),
    )
    return financing_plan(FinancingPlanRequest(base, income_rise=rise), P2)  # type: ignore[arg-type]


def test_interest_only_helps_when_income_rises_later() -> None:
    from loan_engine.underwriting.amortization import max_principal
    from loan_engine.underwriting.interest_only import IncomeRise

    without = _plan(None)
    io = next(s for s in without.steps if s.name == "interest_only")  # type: ignore[attr-defined]
    assert not io.tried and "ingen inntektsøkning" in io.nb
    plan = _plan(IncomeRise(9_000, 2.4, "fast jobb etter utdanning"))
    step = next(s for s in plan.steps if s.name == "interest_only")  # type: ignore[attr-defined]
    ref = plan.steps[0]  # type: ignore[attr-defined]
    assert step.tried
    # k = 3 interest-only years: interest at the stress rate against today's budget, the full annuity over the
    # 27 years after against today's budget plus the rise
    a, r = ref.available_monthly, 0.065
    expected = int(min(a / (r / 12), max_principal(a + 9_000, r, 27 * 12)))
    assert step.max_loan == expected
    assert step.max_loan > max(s.max_loan for s in plan.steps if s.name != "interest_only")  # type: ignore[attr-defined]
    assert "Avdragsfrihet i 3 år" in step.nb
    # the grant (if any) is smaller than without the interest-only years
    assert (plan.grant.amount if plan.grant else 0) <= (without.grant.amount if without.grant else 0)  # type: ignore[attr-defined]


def test_interest_only_beyond_eight_years_does_not_help() -> None:
    from loan_engine.underwriting.interest_only import IncomeRise

    plan = _plan(IncomeRise(9_000, 9.5))
    step = next(s for s in plan.steps if s.name == "interest_only")  # type: ignore[attr-defined]
    assert not step.tried and "høyst 8" in step.nb


def test_interest_only_rule_over_arrays_equals_one_by_one() -> None:
    from loan_engine.underwriting.amortization import max_principal
    from loan_engine.underwriting.interest_only import interest_only_capacity_vec

    avail = np.array([10_000.0, 8_000.0, -100.0, 9_000.0])
    rise = np.array([9_000.0, 0.0, 5_000.0, 4_000.0])
    years = np.array([2.4, 1.0, 1.0, 9.0])
    k, io_cap, after, offered = interest_only_capacity_vec(avail, rise, years, np.full(4, 0.065), np.full(4, 30), 8)
    assert offered.tolist() == [True, False, False, False]
    assert k[0] == 3 and io_cap[0] == pytest.approx(10_000 / (0.065 / 12))
    assert after[0] == pytest.approx(max_principal(19_000, 0.065, 27 * 12))


def test_no_2026_2_is_in_force_and_every_value_is_sourced() -> None:
    from loan_engine.parameters import builtin_parameter_set, default_parameter_set

    ps = default_parameter_set()
    assert (ps.id, ps.version) == ("no-2026-2", 1)
    for key in (
        "income_tax",
        "benefits",
        "bostotte",
        "bank_limits",
        "debt_rules",
        "fee_termingebyr",
        "housing_cost_defaults",
    ):
        v = ps.values[key]
        assert v.source and v.unit and v.status in ("confirmed", "secondary", "derived", "not-confirmed"), key
    # values carried over without a newer source say so
    for key in ("husbanken_rates", "sosialhjelp_floor"):
        assert "not found" in (ps.values[key].note or "") or "none in the stored" in (ps.values[key].note or ""), key
    assert (
        ps.values["benefits"].status == "not-confirmed" and ps.values["housing_cost_defaults"].status == "not-confirmed"
    )
    # the first set is unchanged and loadable
    old = builtin_parameter_set("no-2026-1", 1)
    assert "income_tax" not in old.values and old.values["ladder_order"].value == [
        "fixed_rate",
        "longer_term",
        "adjusted_consumption",
    ]


def test_repayment_period_beyond_100_years_is_an_error_not_a_crash() -> None:
    with pytest.raises(InvalidInput) as err:
        repayment_period(999_999_999, 0.0, 5e-324)
    assert err.value.rule == "repayment-within-100-years"


def test_no_2026_2_carries_every_value_of_no_2026_1() -> None:
    from loan_engine.parameters import builtin_parameter_set

    old = builtin_parameter_set("no-2026-1", 1).values
    new = builtin_parameter_set("no-2026-2", 1).values
    assert set(old) <= set(new)
