import math
from datetime import date

import numpy as np
import pytest

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.portfolio.engine import check_limits
from loan_engine.portfolio.io import parse_csv, parse_json, to_csv
from loan_engine.portfolio.loans import portfolio_from_records
from loan_engine.portfolio.synthetic import generate_portfolio

GOOD = {
    "loan_id": "A1",
    "balance": 1_500_000,
    "remaining_term_months": 300,
    "repayment": "annuity",
    "rate_type": "fixed",
    "fixed_rate": 4.2,
    "fixation_months_left": 36,
    "net_income_monthly": 52_000,
    "living_costs_monthly": 22_000,
    "dwelling_value": 2_000_000,
    "priority": "first",
    "status": "current",
}


def test_norwegian_csv_with_semicolons_decimal_commas_and_dates():
    csv_text = (
        "loan_id;balance;remaining_term_months;rate_type;fixed_rate;fixation_end_date;net_income_monthly;"
        "living_costs_monthly;dwelling_value;dwelling_value_date;priority;prior_loan_balance;status\n"
        "K-1;1 250 000,50;240;fixed;4,25;2027-03-01;48 500;21 000;3.100.000,00;15.06.2024;second;1800000;current\n"
        "K-2;800000;360;floating;;;41000;19500;2900000;2025-01-01;first;;arrears\n"
    )
    recs = parse_csv(csv_text.encode("utf-8"), as_of=date(2026, 1, 1))
    p = portfolio_from_records(recs)
    assert p.n_loans == 2
    assert p.balance[0] == pytest.approx(1_250_000.50)
    assert p.fixed_rate[0] == pytest.approx(0.0425)
    assert p.fixation_months[0] == 14
    assert p.value_age_months[0] == 18 and p.value_age_months[1] == 12
    assert p.dwelling_value[0] == 3_100_000
    assert p.prior_balance[0] == 1_800_000 and p.status[1] == 1


def test_round_trip_csv_and_json():
    p = generate_portfolio(50, seed=3)
    q = portfolio_from_records(parse_csv(to_csv(p)))
    r = portfolio_from_records(parse_json({"loans": p.to_records()}))
    for other in (q, r):
        assert np.allclose(other.balance, p.balance) and np.array_equal(other.fixation_months, p.fixation_months)
        assert np.allclose(other.fixed_rate, p.fixed_rate)


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"balance": -5}, "loans[0].balance", "positive-balance"),
        ({"balance": math.nan}, "loans[0].balance", "finite-number"),
        ({"balance": "NaN"}, "loans[0].balance", "finite-number"),
        ({"balance": "abc"}, "loans[0].balance", "not-a-number"),
        ({"fixation_months_left": 400}, "loans[0].fixation_months_left", "fixation-after-maturity"),
        ({"colour": "blue"}, "loans[0].colour", "unknown-column"),
        ({"remaining_term_months": 700}, "loans[0].remaining_term_months", "term-1-to-600-months"),
        ({"priority": "second"}, "loans[0].prior_loan_balance", "prior-loan-required"),
        ({"status": "bankrupt"}, "loans[0].status", "unknown-value"),
        ({"fixed_rate": None}, "loans[0].fixed_rate", "fixed-rate-required"),
        ({"net_income_monthly": -1}, "loans[0].net_income_monthly", "non-negative"),
    ],
)
def test_inconsistent_loans_are_refused_with_row_field_and_rule(change, field, rule):
    with pytest.raises(InvalidInput) as e:
        portfolio_from_records([{**GOOD, **change}])
    assert e.value.field == field and e.value.rule == rule


def test_empty_portfolio_and_unknown_csv_columns():
    with pytest.raises(InvalidInput) as e:
        portfolio_from_records([])
    assert e.value.rule == "empty-portfolio"
    with pytest.raises(InvalidInput) as e:
        parse_csv("balance,foo\n1,2\n")
    assert e.value.rule == "unknown-column" and "foo" in e.value.detail
    with pytest.raises(InvalidInput) as e:
        parse_csv("")
    assert e.value.rule == "empty-portfolio"
    with pytest.raises(InvalidInput) as e:
        parse_json(b"{not json")
    assert e.value.rule == "invalid-json"
    with pytest.raises(InvalidInput) as e:
        parse_csv(b"balance,remaining_term_months\n1\r2,300\n")  # a bare CR in an unquoted field
    assert (e.value.rule, e.value.field) == ("csv-format", "file") and "Line 2" in e.value.detail


def test_fixation_end_date_in_the_past_is_refused():
    rec = {**GOOD}
    rec.pop("fixation_months_left")
    rec["fixation_end_date"] = "2020-01-01"
    with pytest.raises(InvalidInput) as e:
        parse_json([rec], as_of=date(2026, 1, 1))
    assert e.value.rule == "fixation-in-past"


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        ((100, 100_001, 30, 1), "max-scenarios"),
        ((100, 100, 51, 1), "max-horizon-years"),
        ((200_000, 100_000, 50, 1), "max-loan-months"),
        ((100, 0, 30, 1), "min-1-scenario"),
        ((100, 10, 30, -1), "seed-range"),
    ],
)
def test_limits_name_the_limit(args, rule):
    with pytest.raises((LimitExceeded, InvalidInput)) as e:
        check_limits(*args)
    assert e.value.rule == rule
    if rule.startswith("max-"):
        assert isinstance(e.value, LimitExceeded) and rule in e.value.detail


def test_synthetic_portfolio_is_valid_and_deterministic():
    p = generate_portfolio(2000, seed=5)
    q = portfolio_from_records(p.to_records())  # passes every validation rule
    assert q.n_loans == 2000
    assert np.array_equal(generate_portfolio(2000, seed=5).balance, p.balance)
    assert 0.5 < (p.prior_balance > 0).mean() < 0.7
