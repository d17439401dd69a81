"""Synthetic startlån portfolios for demos, tests and benchmarks.

Not calibrated to any kommune's ledger (which is not public); the shapes follow the published statistics
(domain_rules §7): average new startlån ≈ 1.2–1.8 MNOK, about 2/3 to families, a majority of loans co-financed with a
bank loan with priority, terms up to 30 years (50 with the § 8-5 exception). Every household met the startlån
stress test at origination: payment at (rate + 2.5 pp) plus the bank loan fits within income − living costs.
Deterministic for a given seed (NumPy PCG64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.portfolio.loans import MAX_LOANS, Portfolio, portfolio_from_arrays


def _annuity(balance: np.ndarray, rate_yr: np.ndarray | float, months: np.ndarray) -> np.ndarray:
    rm = np.asarray(rate_yr) / 12.0
    return balance * rm / (1.0 - (1.0 + rm) ** (-months.astype(np.float64)))


def generate_portfolio(n_loans: int, seed: int = 0) -> Portfolio:
    if isinstance(n_loans, bool) or not isinstance(n_loans, int) or n_loans < 1:
        raise InvalidInput("loans must be a whole number ≥ 1.", field="loans", rule="min-1-loan")
    if n_loans > MAX_LOANS:
        raise LimitExceeded(
            f"{n_loans} loans asked; the limit is max-loans = {MAX_LOANS}.", field="loans", rule="max-loans"
        )
    g = np.random.default_rng(seed)
    n = n_loans
    co_financed = g.random(n) < 0.6
    term = np.where(g.random(n) < 0.03, g.integers(361, 601, n), g.integers(36, 361, n)).astype(np.int64)
    full = np.clip(g.lognormal(np.log(2_000_000), 0.35, n), 500_000, 6_000_000)
    top = np.clip(g.lognormal(np.log(600_000), 0.5, n), 100_000, 2_500_000)
    balance = np.round(np.where(co_financed, top, full), 0)
    prior = np.where(co_financed, np.round(np.clip(g.lognormal(np.log(2_200_000), 0.35, n), 500_000, 6e6)), 0.0)
    # Outstanding balances are partly repaid: scale by remaining-term share (older loans have repaid more).
    balance = np.maximum(20_000.0, np.round(balance * (0.4 + 0.6 * term / 360.0).clip(0.4, 1.0)))
    prior = np.where(co_financed, np.round(prior * (0.4 + 0.6 * term / 360.0).clip(0.4, 1.0)), 0.0)
    serial = (g.random(n) < 0.1).astype(np.int64)
    fixed = (g.random(n) < 0.2).astype(np.int64)
    fixed_rate = np.where(fixed == 1, np.round(g.uniform(0.039, 0.047, n), 5), 0.0)
    fixation = np.where(fixed == 1, np.minimum(term, g.integers(1, 121, n)), 0).astype(np.int64)
    io = np.where(g.random(n) < 0.05, np.minimum(term, g.integers(1, 25, n)), 0).astype(np.int64)
    ltv = g.uniform(0.85, 1.05, n)
    value = np.round((balance + prior) / ltv, -3)
    age = g.integers(0, 121, n).astype(np.int64)
    # Capacity at origination: stress rate (policy 4 % + 2.5 pp) on the startlån, bank stress 7 % on the bank loan.
    stress_pay = _annuity(balance, 0.065, term) + np.where(co_financed, _annuity(prior, 0.07, term), 0.0)
    living = np.round(g.uniform(14_000, 32_000, n), -2)
    buffer = g.gamma(2.0, 2_500.0, n)
    income = np.round(living + stress_pay + buffer, -2)
    u = g.random(n)
    status = np.where(u < 0.015, 1, np.where(u < 0.025, 2, 0)).astype(np.int64)
    # Paid out when the (30-year) loan had its full term: older loans have less left.
    orig = np.clip(2025 - np.maximum(0, 360 - term) // 12, 2003, 2025).astype(np.int64)
    return portfolio_from_arrays(
        balance=balance.astype(np.float64),
        remaining_months=term,
        serial=serial,
        fixed=fixed,
        fixed_rate=fixed_rate,
        fixation_months=fixation,
        io_months=io,
        income=income,
        living_costs=living,
        dwelling_value=value,
        value_age_months=age,
        prior_balance=prior,
        status=status,
        origination_year=orig,
    )


def generate_records(n_loans: int, seed: int = 0) -> list[dict[str, Any]]:
    return generate_portfolio(n_loans, seed).to_records()
