"""Property tests (hypothesis) for the loan mathematics."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from loan_engine.underwriting.affordability import LoanWish, assess_affordability
from loan_engine.underwriting.amortization import LoanTerms, RateChange, Repayment, build_schedule, max_principal
from tests.underwriting.helpers import params, request

rates = st.floats(0, 0.25, allow_nan=False)
repayments = st.sampled_from([Repayment.ANNUITY, Repayment.SERIAL])


@settings(max_examples=150, deadline=None)
@given(
    principal=st.floats(1_000, 20_000_000, allow_nan=False),
    rate=rates,
    term=st.integers(1, 600),
    io=st.integers(0, 96),
    repayment=repayments,
    change=st.one_of(st.none(), st.tuples(st.integers(2, 600), rates)),
)
def test_schedule_principal_sums_to_the_loan(
    principal: float, rate: float, term: int, io: int, repayment: Repayment, change: tuple[int, float] | None
) -> None:
    io = min(io, term - 1)
    changes = (RateChange(*change),) if change and change[0] <= term else ()
    s = build_schedule(LoanTerms(principal, rate, term, repayment, io, changes))
    assert s.principal_sum_ore == s.principal_ore
    assert sum(round(r.principal * 100) for r in s.rows) == s.principal_ore
    assert s.rows[-1].balance == 0
    assert all(r.principal >= 0 and r.interest >= 0 for r in s.rows)
    assert all(r.principal == 0 for r in s.rows[:io])


@settings(max_examples=150, deadline=None)
@given(
    amount=st.floats(500, 100_000, allow_nan=False),
    rate=rates,
    term=st.integers(12, 600),
    io=st.integers(0, 96),
    repayment=repayments,
)
def test_inverse_and_schedule_agree(amount: float, rate: float, term: int, io: int, repayment: Repayment) -> None:
    io = min(io, term - 1)
    p = max_principal(amount, rate, term, repayment, io)
    assume(p >= 1_000)
    s = build_schedule(LoanTerms(p, rate, term, repayment, io))
    regular = [r.payment for r in s.rows[:-1]]  # the last payment absorbs rounding
    # the binding payment equals the amount (to the øre); no regular payment exceeds it
    assert max(regular or [s.rows[-1].payment]) <= amount + 0.015
    assert s.rows[io].payment >= amount - 0.015


@settings(max_examples=100, deadline=None)
@given(
    income=st.floats(10_000, 200_000, allow_nan=False),
    extra=st.floats(0, 50_000, allow_nan=False),
    stress=st.floats(0, 0.3, allow_nan=False),
    repayment=repayments,
    io=st.integers(0, 8),
)
def test_more_income_never_lowers_the_maximum_loan(
    income: float, extra: float, stress: float, repayment: Repayment, io: int
) -> None:
    loan = LoanWish(stress_rate=stress, repayment=repayment, interest_only_years=io)
    p = params()
    low = assess_affordability(request(income, loan=loan), p).max_loan
    high = assess_affordability(request(income + extra, loan=loan), p).max_loan
    assert high >= low


@settings(max_examples=100, deadline=None)
@given(
    income=st.floats(10_000, 200_000, allow_nan=False),
    stress=st.floats(0, 0.29, allow_nan=False),
    bump=st.floats(0, 0.1, allow_nan=False),
    repayment=repayments,
    term=st.integers(1, 30),
)
def test_higher_stress_rate_never_raises_the_maximum_loan(
    income: float, stress: float, bump: float, repayment: Repayment, term: int
) -> None:
    p = params()
    hi_rate = min(stress + bump, 0.3)
    low_rate = assess_affordability(
        request(income, loan=LoanWish(stress_rate=stress, repayment=repayment, term_years=term)), p
    ).max_loan
    high_rate = assess_affordability(
        request(income, loan=LoanWish(stress_rate=hi_rate, repayment=repayment, term_years=term)), p
    ).max_loan
    assert high_rate <= low_rate
