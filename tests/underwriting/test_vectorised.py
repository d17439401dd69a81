"""The vectorised maximum loan equals the scalar rule code."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loan_engine.errors import InvalidInput
from loan_engine.underwriting.affordability import LoanWish, assess_affordability
from loan_engine.underwriting.amortization import Repayment, max_principal
from loan_engine.underwriting.vectorised import max_loan_vectorised, max_principal_vectorised
from tests.underwriting.helpers import params, request


@settings(max_examples=300, deadline=None)
@given(
    amount=st.floats(-1_000, 200_000, allow_nan=False),
    rate=st.floats(0, 0.3, allow_nan=False),
    term=st.integers(1, 600),
    io=st.integers(0, 96),
    serial=st.booleans(),
)
def test_vectorised_equals_scalar(amount: float, rate: float, term: int, io: int, serial: bool) -> None:
    io = min(io, term - 1)
    scalar = max_principal(amount, rate, term, Repayment.SERIAL if serial else Repayment.ANNUITY, io)
    vector = max_principal_vectorised([amount], rate, term, io, serial)[0]
    assert vector == pytest.approx(scalar, rel=1e-12, abs=1e-9)
    assert max_loan_vectorised([amount], rate, term, io, serial)[0] == max(0, math.floor(scalar + 1e-7))


def test_vectorised_equals_the_affordability_answer() -> None:
    p = params()
    incomes = np.arange(20_000, 120_000, 7_500, dtype=float)
    results = [assess_affordability(request(float(x)), p) for x in incomes]
    available = np.array([r.available_for_startlan_monthly for r in results])
    vector = max_loan_vectorised(available, results[0].stress_rate, 360)
    assert vector.tolist() == [float(r.max_loan) for r in results]
    serial = [
        assess_affordability(request(float(x), loan=LoanWish(repayment=Repayment.SERIAL, interest_only_years=3)), p)
        for x in incomes
    ]
    vector = max_loan_vectorised(available, 0.065, 360, 36, True)
    assert vector.tolist() == [float(r.max_loan) for r in serial]


def test_broadcasting_and_validation() -> None:
    out = max_loan_vectorised(np.full((3, 4), 10_000.0), np.array([0.05, 0.06, 0.07, 0.0]), 360)
    assert out.shape == (3, 4) and out[0, 3] == 3_600_000
    with pytest.raises(InvalidInput) as err:
        max_loan_vectorised([1, 2], 0.05, [360, 601])
    assert err.value.field == "term_months"
    with pytest.raises(InvalidInput):
        max_loan_vectorised([1], 0.05, 12, 12)
    with pytest.raises(InvalidInput):
        max_loan_vectorised([np.nan], 0.05, 12)
