import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loan_engine.errors import InvalidInput
from loan_engine.portfolio.loss_split import split_loss, tapsdeling


def test_husbanken_example_full_financing():
    # domain_rules §5.2 example 1: 1 000 000 startlån, sold for 800 000 → kommune bears all 200 000.
    r = tapsdeling(principal=1_000_000, sale_price_net=800_000)
    assert (r.loss, r.kommune, r.state) == (200_000, 200_000, 0)


def test_husbanken_example_co_financing():
    # Example 2: 800 000 bank loan first, 200 000 startlån top loan fully lost → kommune 50 000, state 150 000.
    r = tapsdeling(principal=200_000, sale_price_net=800_000, prior_bank_claim=800_000)
    assert (r.loss, r.kommune, r.state) == (200_000, 50_000, 150_000)


def test_eligible_interest_joins_kommune_basis_and_excluded_interest_is_kommunes():
    r = tapsdeling(principal=400_000, sale_price_net=0, eligible_interest_costs=10_000, excluded_interest=5_000)
    assert r.loss == 415_000
    assert r.kommune == pytest.approx(5_000 + 0.25 * 400_000 + 10_000)
    assert r.state == pytest.approx(415_000 - r.kommune)


def test_no_loss_when_proceeds_cover_the_claim():
    r = tapsdeling(principal=100_000, sale_price_net=500_000, prior_bank_claim=300_000)
    assert (r.loss, r.kommune, r.state) == (0, 0, 0)


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_bad_input(bad):
    with pytest.raises(InvalidInput) as e:
        tapsdeling(principal=bad, sale_price_net=1.0)
    assert e.value.rule == "non-negative"


money = st.floats(min_value=0, max_value=1e8, allow_nan=False)


@given(money, money, money, money, st.floats(min_value=0, max_value=1))
def test_split_properties(principal, elig, excl, proceeds, share):
    loss, k, s = split_loss(principal, elig, excl, proceeds, share)
    assert loss >= 0 and k >= 0 and s >= -1e-6
    assert k + s == pytest.approx(loss, rel=1e-12, abs=1e-6)
    assert loss <= principal + elig + excl + 1e-6
    # The kommune never bears more than its basis plus the excluded interest.
    assert k <= share * principal + elig + excl + 1e-6 * (1 + principal + elig + excl)
