"""Vectorised maximum loan over NumPy arrays (for batch screening and benchmarks).

The same closed forms as :func:`loan_engine.underwriting.amortization.max_principal` (single rate, no rate
changes), applied
elementwise with broadcasting; ``tests/underwriting/test_vectorised.py`` proves equality with the scalar path::

    annuity: P = A · (1 − (1+i)^−(n−io)) / i        (P = A · (n − io) when i = 0)
    serial:  P = A / (1/(n − io) + i)              (first payment after the interest-only period binds)

with ``i = annual_rate / 12``, ``n = term_months`` and ``io = interest_only_months``. The maximum loan is rounded
down to whole kroner and is 0 where the monthly amount is not positive.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.explain import kr_en

MAX_TERM_MONTHS = 600
MAX_INTEREST_ONLY_MONTHS = 96


def _check(name: str, ok: npt.NDArray[np.bool_], rule: str, message: str) -> None:
    if not bool(np.all(ok)):
        bad = int(np.flatnonzero(~ok.ravel())[0])
        raise InvalidInput(f"{message} (first offending element: {bad}).", field=name, rule=rule)


def max_principal_vectorised(
    monthly_amount: npt.ArrayLike,
    annual_rate: npt.ArrayLike,
    term_months: npt.ArrayLike,
    interest_only_months: npt.ArrayLike = 0,
    serial: npt.ArrayLike = False,
) -> npt.NDArray[np.float64]:
    """Unrounded largest principal per element (0 where ``monthly_amount <= 0``).

    ``annual_rate`` is a fraction per year (the stress rate); ``serial`` is a boolean (False = annuity).
    All arguments broadcast against each other.
    """
    a = np.asarray(monthly_amount, dtype=np.float64)
    r = np.asarray(annual_rate, dtype=np.float64)
    n = np.asarray(term_months, dtype=np.int64)
    io = np.asarray(interest_only_months, dtype=np.int64)
    s = np.asarray(serial, dtype=np.bool_)
    _check("monthly_amount", np.isfinite(a), "finite", "monthly_amount must be finite")
    _check(
        "annual_rate",
        np.isfinite(r) & (r >= 0) & (r <= 1),
        "rate-0-100-percent",
        "annual_rate must be a fraction between 0 and 1",
    )
    _check("term_months", (n >= 1) & (n <= MAX_TERM_MONTHS), "max-term-50-years", "term_months must be 1–600")
    _check(
        "interest_only_months",
        (io >= 0) & (io <= MAX_INTEREST_ONLY_MONTHS) & (io < n),
        "max-interest-only-8-years",
        "interest_only_months must be 0–96 and shorter than the term",
    )
    i = r / 12.0
    m = (n - io).astype(np.float64)
    zero = i == 0.0
    safe_i = np.where(zero, 1.0, i)
    annuity = np.where(zero, m, -np.expm1(-m * np.log1p(i)) / safe_i)
    serial_factor = 1.0 / (1.0 / m + i)
    factor = np.where(s, serial_factor, annuity)
    out: npt.NDArray[np.float64] = np.where(a > 0, a * factor, 0.0)
    return out


def max_loan_vectorised(
    monthly_amount: npt.ArrayLike,
    annual_rate: npt.ArrayLike,
    term_months: npt.ArrayLike,
    interest_only_months: npt.ArrayLike = 0,
    serial: npt.ArrayLike = False,
) -> npt.NDArray[np.float64]:
    """Largest loan per element in whole NOK, rounded down (float64 array of integral values)."""
    p = max_principal_vectorised(monthly_amount, annual_rate, term_months, interest_only_months, serial)
    out: npt.NDArray[np.float64] = np.floor(p + 1e-7)
    return out


def describe(max_loans: npt.NDArray[np.float64]) -> str:
    """A one-line summary (for logs and the CLI)."""
    if max_loans.size == 0:
        return "no households"
    return (
        f"{max_loans.size} households; median max loan {kr_en(float(np.median(max_loans)))}, "
        f"{int(np.count_nonzero(max_loans == 0))} with none"
    )
