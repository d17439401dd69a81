"""A startlån portfolio as column arrays, built from loan records and validated row by row.

A *loan record* is a plain dict in canonical form (what is stored and returned):

================================ ======= ==========================================================================
field                            type    meaning
================================ ======= ==========================================================================
loan_id                          str     the kommune's reference (optional; row number if absent)
balance                          NOK     outstanding startlån principal, > 0
remaining_term_months            int     months to maturity, 1–600
repayment                        str     ``annuity`` or ``serial``
rate_type                        str     ``floating`` or ``fixed``
fixed_rate                       %/yr    customer rate while fixed (required for fixed, 0–25)
fixation_months_left             int     months until the fixation ends (fixed only; ≤ remaining term)
interest_only_months_left        int     0 … remaining term
net_income_monthly               NOK     household net income per month (at origination), ≥ 0
living_costs_monthly             NOK     living costs per month used in the assessment, ≥ 0
dwelling_value                   NOK     market value at ``dwelling_value_age_months`` ago, > 0
dwelling_value_age_months        int     age of that valuation, ≥ 0
priority                         str     ``first`` or ``second`` (behind a bank loan)
prior_loan_balance               NOK     balance of the senior bank loan (0 when first priority)
status                           str     ``current``, ``arrears`` or ``deferred``
origination_year                 int     year the loan was paid out (optional, 1970–2100; for risk segments)
================================ ======= ==========================================================================

Import (``io.py``) also accepts dates (``fixation_end_date``, ``dwelling_value_date``) and converts them to months
against an ``as_of`` date, so that a stored portfolio has no hidden dependence on "today".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput, LimitExceeded

MAX_LOANS = 200_000
MAX_TERM_MONTHS = 600

REPAYMENT = {"annuity": 0, "serial": 1}
RATE_TYPE = {"floating": 0, "fixed": 1}
PRIORITY = {"first": 0, "second": 1}
STATUS = {"current": 0, "arrears": 1, "deferred": 2}

FIELDS: tuple[str, ...] = (
    "loan_id",
    "balance",
    "remaining_term_months",
    "repayment",
    "rate_type",
    "fixed_rate",
    "fixation_months_left",
    "interest_only_months_left",
    "net_income_monthly",
    "living_costs_monthly",
    "dwelling_value",
    "dwelling_value_age_months",
    "priority",
    "prior_loan_balance",
    "status",
    "origination_year",
)
REQUIRED: tuple[str, ...] = (
    "balance",
    "remaining_term_months",
    "net_income_monthly",
    "living_costs_monthly",
    "dwelling_value",
)
DEFAULTS: dict[str, Any] = {
    "repayment": "annuity",
    "rate_type": "floating",
    "fixed_rate": None,
    "fixation_months_left": 0,
    "interest_only_months_left": 0,
    "dwelling_value_age_months": 0,
    "priority": "first",
    "prior_loan_balance": 0.0,
    "status": "current",
}


@dataclass(frozen=True)
class Portfolio:
    """Column arrays of a validated portfolio (domain units: rates as fractions)."""

    loan_id: list[str]
    balance: np.ndarray  # float64
    remaining_months: np.ndarray  # int64
    serial: np.ndarray  # int64 0/1
    fixed: np.ndarray  # int64 0/1
    fixed_rate: np.ndarray  # float64 fraction/yr (0 for floating)
    fixation_months: np.ndarray  # int64
    io_months: np.ndarray  # int64
    income: np.ndarray  # float64 NOK/month
    living_costs: np.ndarray  # float64 NOK/month
    dwelling_value: np.ndarray  # float64 NOK
    value_age_months: np.ndarray  # int64
    prior_balance: np.ndarray  # float64
    status: np.ndarray  # int64 (STATUS)
    origination_year: np.ndarray | None = None  # int64, −1 = unknown

    def origination_years(self) -> np.ndarray:
        if self.origination_year is None:
            return np.full(self.n_loans, -1, np.int64)
        return self.origination_year

    @property
    def n_loans(self) -> int:
        return int(self.balance.shape[0])

    @property
    def total_balance(self) -> float:
        return float(self.balance.sum())

    def summary(self) -> dict[str, Any]:
        n = self.n_loans
        return {
            "loan_count": n,
            "total_balance": float(self.balance.sum()),
            "fixed_share": float(self.fixed.mean()) if n else 0.0,
            "second_priority_share": float((self.prior_balance > 0).mean()) if n else 0.0,
            "in_arrears": int((self.status == STATUS["arrears"]).sum()),
            "deferred": int((self.status == STATUS["deferred"]).sum()),
            "max_remaining_term_months": int(self.remaining_months.max()) if n else 0,
        }

    def to_records(self) -> list[dict[str, Any]]:
        inv_rep = {v: k for k, v in REPAYMENT.items()}
        inv_status = {v: k for k, v in STATUS.items()}
        out = []
        oy = self.origination_years()
        for i in range(self.n_loans):
            fixed = bool(self.fixed[i])
            out.append(
                {
                    "loan_id": self.loan_id[i],
                    "balance": float(self.balance[i]),
                    "remaining_term_months": int(self.remaining_months[i]),
                    "repayment": inv_rep[int(self.serial[i])],
                    "rate_type": "fixed" if fixed else "floating",
                    "fixed_rate": round(float(self.fixed_rate[i]) * 100.0, 10) if fixed else None,
                    "fixation_months_left": int(self.fixation_months[i]),
                    "interest_only_months_left": int(self.io_months[i]),
                    "net_income_monthly": float(self.income[i]),
                    "living_costs_monthly": float(self.living_costs[i]),
                    "dwelling_value": float(self.dwelling_value[i]),
                    "dwelling_value_age_months": int(self.value_age_months[i]),
                    "priority": "second" if self.prior_balance[i] > 0 else "first",
                    "prior_loan_balance": float(self.prior_balance[i]),
                    "status": inv_status[int(self.status[i])],
                    "origination_year": int(oy[i]) if oy[i] >= 0 else None,
                }
            )
        return out


def _num(rec: dict[str, Any], name: str, row: int, *, integer: bool = False, allow_none: bool = False) -> Any:
    field = f"loans[{row}].{name}"
    v = rec.get(name)
    if v is None or (isinstance(v, str) and v.strip() == ""):
        if allow_none:
            return None
        raise InvalidInput(f"Row {row}: '{name}' is required.", field=field, rule="required")
    if isinstance(v, bool):
        raise InvalidInput(f"Row {row}: '{name}' must be a number.", field=field, rule="not-a-number")
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
        if "," in s:  # Norwegian decimal comma, possibly with '.' as thousands separator
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        try:
            v = float(s)
        except ValueError:
            raise InvalidInput(
                f"Row {row}: '{name}' = {v!r} is not a number.", field=field, rule="not-a-number"
            ) from None
    if not isinstance(v, int | float):
        raise InvalidInput(f"Row {row}: '{name}' must be a number.", field=field, rule="not-a-number")
    fv = float(v)
    if not math.isfinite(fv):
        raise InvalidInput(f"Row {row}: '{name}' is NaN or infinite.", field=field, rule="finite-number")
    if integer:
        if fv != math.floor(fv):
            raise InvalidInput(f"Row {row}: '{name}' must be a whole number of months.", field=field, rule="integer")
        return int(fv)
    return fv


def _choice(rec: dict[str, Any], name: str, row: int, options: dict[str, int]) -> int:
    v = rec.get(name)
    if v is None or (isinstance(v, str) and v.strip() == ""):
        v = DEFAULTS[name]
    if not isinstance(v, str) or v.strip().lower() not in options:
        raise InvalidInput(
            f"Row {row}: '{name}' = {v!r}; expected one of {', '.join(options)}.",
            field=f"loans[{row}].{name}",
            rule="unknown-value",
        )
    return options[v.strip().lower()]


def _check(cond: bool, row: int, name: str, rule: str, msg: str) -> None:
    if not cond:
        raise InvalidInput(f"Row {row}: {msg}", field=f"loans[{row}].{name}", rule=rule)


def portfolio_from_records(records: list[dict[str, Any]]) -> Portfolio:
    """Validate canonical loan records and build the column arrays.

    Raises ``InvalidInput`` naming the row, the field and the rule for the first problem found, and
    ``LimitExceeded`` above ``MAX_LOANS``.
    """
    if not isinstance(records, list) or len(records) == 0:
        raise InvalidInput("The portfolio has no loans.", field="loans", rule="empty-portfolio")
    if len(records) > MAX_LOANS:
        raise LimitExceeded(
            f"The portfolio has {len(records)} loans; the limit is {MAX_LOANS}.", field="loans", rule="max-loans"
        )
    known = set(FIELDS)
    n = len(records)
    cols: dict[str, Any] = {
        "balance": np.empty(n),
        "remaining_months": np.empty(n, np.int64),
        "serial": np.empty(n, np.int64),
        "fixed": np.empty(n, np.int64),
        "fixed_rate": np.empty(n),
        "fixation_months": np.empty(n, np.int64),
        "io_months": np.empty(n, np.int64),
        "income": np.empty(n),
        "living_costs": np.empty(n),
        "dwelling_value": np.empty(n),
        "value_age_months": np.empty(n, np.int64),
        "prior_balance": np.empty(n),
        "status": np.empty(n, np.int64),
        "origination_year": np.full(n, -1, np.int64),
    }
    ids: list[str] = []
    seen: set[str] = set()
    for row, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InvalidInput(f"Row {row} is not an object.", field=f"loans[{row}]", rule="not-an-object")
        unknown = sorted(set(rec) - known)
        if unknown:
            raise InvalidInput(
                f"Row {row}: unknown field(s) {', '.join(unknown)}. Known fields: {', '.join(FIELDS)}.",
                field=f"loans[{row}].{unknown[0]}",
                rule="unknown-column",
            )
        lid = rec.get("loan_id")
        lid = str(row + 1) if lid is None or str(lid).strip() == "" else str(lid).strip()
        _check(lid not in seen, row, "loan_id", "duplicate-loan-id", f"loan_id {lid!r} appears twice.")
        seen.add(lid)
        ids.append(lid)
        bal = _num(rec, "balance", row)
        _check(bal > 0, row, "balance", "positive-balance", "balance must be greater than 0.")
        term = _num(rec, "remaining_term_months", row, integer=True)
        _check(
            1 <= term <= MAX_TERM_MONTHS,
            row,
            "remaining_term_months",
            "term-1-to-600-months",
            "remaining_term_months must be between 1 and 600 (50 years).",
        )
        serial = _choice(rec, "repayment", row, REPAYMENT)
        fixed = _choice(rec, "rate_type", row, RATE_TYPE)
        fr = _num(rec, "fixed_rate", row, allow_none=True)
        fix_m = _num(rec, "fixation_months_left", row, integer=True, allow_none=True) or 0
        if fixed:
            _check(fr is not None, row, "fixed_rate", "fixed-rate-required", "a fixed loan needs fixed_rate (%).")
            assert fr is not None
            _check(0 <= fr <= 25, row, "fixed_rate", "rate-0-to-25-percent", "fixed_rate must be 0–25 %.")
            _check(
                fix_m >= 1,
                row,
                "fixation_months_left",
                "fixation-required",
                "a fixed loan needs fixation_months_left ≥ 1 (or a fixation_end_date in the future).",
            )
            _check(
                fix_m <= term,
                row,
                "fixation_months_left",
                "fixation-after-maturity",
                "the fixation ends after the loan matures.",
            )
        else:
            _check(
                fix_m == 0 and (fr is None or fr == 0),
                row,
                "rate_type",
                "floating-with-fixation",
                "a floating loan cannot have a fixed_rate or fixation.",
            )
        io = _num(rec, "interest_only_months_left", row, integer=True, allow_none=True) or 0
        _check(
            0 <= io <= term,
            row,
            "interest_only_months_left",
            "interest-only-within-term",
            "interest_only_months_left must be between 0 and the remaining term.",
        )
        inc = _num(rec, "net_income_monthly", row)
        _check(inc >= 0, row, "net_income_monthly", "non-negative", "net_income_monthly cannot be negative.")
        liv = _num(rec, "living_costs_monthly", row)
        _check(liv >= 0, row, "living_costs_monthly", "non-negative", "living_costs_monthly cannot be negative.")
        val = _num(rec, "dwelling_value", row)
        _check(val > 0, row, "dwelling_value", "positive-value", "dwelling_value must be greater than 0.")
        age = _num(rec, "dwelling_value_age_months", row, integer=True, allow_none=True) or 0
        _check(
            0 <= age <= 1200,
            row,
            "dwelling_value_age_months",
            "valuation-age",
            "dwelling_value_age_months must be 0–1200 (the valuation cannot be in the future).",
        )
        prio = _choice(rec, "priority", row, PRIORITY)
        prior = _num(rec, "prior_loan_balance", row, allow_none=True) or 0.0
        _check(prior >= 0, row, "prior_loan_balance", "non-negative", "prior_loan_balance cannot be negative.")
        if prio == PRIORITY["second"]:
            _check(
                prior > 0,
                row,
                "prior_loan_balance",
                "prior-loan-required",
                "a second-priority loan needs the prior bank loan's balance.",
            )
        else:
            _check(
                prior == 0,
                row,
                "priority",
                "prior-loan-with-first-priority",
                "a first-priority loan cannot have a prior bank loan.",
            )
        status = _choice(rec, "status", row, STATUS)
        oy = _num(rec, "origination_year", row, integer=True, allow_none=True)
        if oy is not None:
            _check(
                1970 <= oy <= 2100,
                row,
                "origination_year",
                "origination-year-range",
                "origination_year must be a year between 1970 and 2100.",
            )
            cols["origination_year"][row] = oy
        cols["balance"][row] = bal
        cols["remaining_months"][row] = term
        cols["serial"][row] = serial
        cols["fixed"][row] = fixed
        cols["fixed_rate"][row] = (fr or 0.0) / 100.0 if fixed else 0.0
        cols["fixation_months"][row] = fix_m if fixed else 0
        cols["io_months"][row] = io
        cols["income"][row] = inc
        cols["living_costs"][row] = liv
        cols["dwelling_value"][row] = val
        cols["value_age_months"][row] = age
        cols["prior_balance"][row] = prior
        cols["status"][row] = status
    return Portfolio(loan_id=ids, **cols)


def portfolio_from_arrays(**arrays: Any) -> Portfolio:
    """Build a portfolio directly from arrays (synthetic generator); validated via records on small inputs only."""
    n = len(arrays["balance"])
    ids = arrays.pop("loan_id", None) or [str(i + 1) for i in range(n)]
    return Portfolio(loan_id=list(ids), **{k: np.ascontiguousarray(v) for k, v in arrays.items()})
