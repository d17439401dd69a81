import pytest

from loan_engine.portfolio.synthetic import generate_portfolio


@pytest.fixture(scope="session")
def small_portfolio():
    return generate_portfolio(300, seed=11)
