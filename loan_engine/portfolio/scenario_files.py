"""User scenario files: rate, CPI, wage, house-price and unemployment paths as CSV or JSON.

One deterministic scenario or a set. Columns (CSV header or JSON object keys; CSV with ``,`` or ``;``, decimal
comma accepted):

=================== ======= =======================================================================================
column              unit    meaning
=================== ======= =======================================================================================
scenario            int     scenario number 0 … K−1 (optional: one scenario when absent)
month               int     months after the analysis date, 0 … T−1 (consecutive in every scenario)
policy_rate         %/yr    Norges Bank policy rate (Husbanken's floating rate follows by its reset rule)
cpi_inflation       %/yr    CPI inflation (twelve-month rate) in the month; living costs follow it
wage_growth         %/yr    wage growth in the month; household incomes follow it
house_price_index   index   any positive level; the path is used relative to its month-0 value
unemployment        %       unemployment rate (job-loss flow ``f·u/(1−u)``)
=================== ======= =======================================================================================

Every problem is an ``InvalidInput`` naming the row (0-based data row) and the column: ``paths[12].policy_rate``.
Stress-test scenario ``s`` uses file scenario ``s mod K``; beyond the file's last month every path holds its last
value (house prices flat). Scenario shocks (``rate_shock_bp``, ``house_price_shock_pct``, income/cost shocks) are
applied on top.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput, LimitExceeded

COLUMNS = ("scenario", "month", "policy_rate", "cpi_inflation", "wage_growth", "house_price_index", "unemployment")
REQUIRED = COLUMNS[1:]
MAX_ROWS = 200_000
_RANGES = {
    "policy_rate": (-5.0, 30.0),
    "cpi_inflation": (-20.0, 50.0),
    "wage_growth": (-50.0, 50.0),
    "unemployment": (0.0, 50.0),
}


@dataclass(frozen=True, eq=False)
class CustomPaths:
    """(K, T) arrays in model units (fractions; HPI relative to month 0)."""

    policy: np.ndarray
    cpi_inflation: np.ndarray
    wage_growth: np.ndarray
    hpi: np.ndarray
    unemployment: np.ndarray

    @property
    def n_scenarios(self) -> int:
        return int(self.policy.shape[0])

    @property
    def n_months(self) -> int:
        return int(self.policy.shape[1])

    def summary(self) -> dict[str, Any]:
        return {"scenarios": self.n_scenarios, "months": self.n_months}

    def window(self, s0: int, n_scen: int, n_months: int) -> dict[str, np.ndarray]:
        """Rows for global scenarios s0 … (mod K), extended by holding the last month."""
        idx = (np.arange(s0, s0 + n_scen) % self.n_scenarios).astype(np.int64)
        cols = np.minimum(np.arange(n_months), self.n_months - 1)
        return {
            name: np.ascontiguousarray(getattr(self, name)[idx][:, cols])
            for name in ("policy", "cpi_inflation", "wage_growth", "hpi", "unemployment")
        }


def _err(row: int, col: str, rule: str, msg: str) -> InvalidInput:
    return InvalidInput(f"Row {row}, column '{col}': {msg}", field=f"paths[{row}].{col}", rule=rule)


def _number(v: Any, row: int, col: str) -> float:
    if v is None or (isinstance(v, str) and v.strip() == ""):
        raise _err(row, col, "required", "a value is required.")
    if isinstance(v, bool):
        raise _err(row, col, "not-a-number", "must be a number.")
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
        if "," in s:
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        try:
            v = float(s)
        except ValueError:
            raise _err(row, col, "not-a-number", f"{v!r} is not a number.") from None
    if not isinstance(v, int | float):
        raise _err(row, col, "not-a-number", "must be a number.")
    f = float(v)
    if not math.isfinite(f):
        raise _err(row, col, "finite-number", "is NaN or infinite.")
    return f


def parse_csv(text: str) -> list[dict[str, Any]]:
    if not text.strip():
        raise InvalidInput("The scenario file is empty.", field="paths", rule="empty-file")
    first = text.splitlines()[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delim)
    try:
        return _csv_rows(reader)
    except csv.Error:
        raise InvalidInput(
            f"Line {reader.line_num + 1}: the scenario file is not readable CSV (a line break inside a field that is not "
            "quoted). Quote such a field or remove the line break.",
            field="paths",
            rule="csv-format",
        ) from None


def _csv_rows(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"Unknown column(s) {', '.join(unknown)}. Known: {', '.join(COLUMNS)}.",
            field=f"paths.{unknown[0]}",
            rule="unknown-column",
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"Missing column(s) {', '.join(missing)}.", field=f"paths.{missing[0]}", rule="missing-column"
        )
    return [{k.strip(): v for k, v in r.items() if k is not None} for r in reader]


def parse_json(doc: Any) -> list[dict[str, Any]]:
    """A list of row objects, or ``{"paths": [...]}``."""
    rows = doc.get("paths") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise InvalidInput("Expected a list of rows (or {'paths': [...]}).", field="paths", rule="not-a-list")
    return rows


def load_paths(rows: list[Any]) -> CustomPaths:
    """Validate rows and build the (K, T) arrays."""
    if len(rows) == 0:
        raise InvalidInput("The scenario file has no rows.", field="paths", rule="empty-file")
    if len(rows) > MAX_ROWS:
        raise LimitExceeded(
            f"{len(rows)} rows; the limit is max-scenario-rows = {MAX_ROWS}.", field="paths", rule="max-scenario-rows"
        )
    parsed: list[tuple[int, int, tuple[float, ...]]] = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise InvalidInput(f"Row {i} is not an object.", field=f"paths[{i}]", rule="not-an-object")
        unknown = sorted(set(r) - set(COLUMNS))
        if unknown:
            raise _err(i, unknown[0], "unknown-column", f"unknown column; known: {', '.join(COLUMNS)}.")
        s_raw = r.get("scenario")
        s = 0 if s_raw is None or (isinstance(s_raw, str) and not s_raw.strip()) else _number(s_raw, i, "scenario")
        m = _number(r.get("month"), i, "month")
        for col, v in (("scenario", s), ("month", m)):
            if v != math.floor(v) or v < 0:
                raise _err(i, col, "whole-number", "must be a whole number ≥ 0.")
        vals = []
        for col in REQUIRED[1:]:
            v = _number(r.get(col), i, col)
            if col == "house_price_index":
                if v <= 0:
                    raise _err(i, col, "positive", "must be greater than 0.")
            else:
                lo, hi = _RANGES[col]
                if not lo <= v <= hi:
                    raise _err(i, col, "out-of-range", f"{v} is outside [{lo}, {hi}] (%).")
            vals.append(v)
        parsed.append((int(s), int(m), tuple(vals)))
    k = max(p[0] for p in parsed) + 1
    by: dict[int, dict[int, tuple[int, tuple[float, ...]]]] = {}
    for i, (sc, mo, vv) in enumerate(parsed):
        d = by.setdefault(sc, {})
        if mo in d:
            raise _err(i, "month", "duplicate-month", f"scenario {sc} has month {mo} twice (rows {d[mo][0]} and {i}).")
        d[mo] = (i, vv)
    missing_s = [s for s in range(k) if s not in by]
    if missing_s:
        raise InvalidInput(
            f"Scenarios must be numbered 0 … {k - 1}; scenario {missing_s[0]} has no rows.",
            field="paths.scenario",
            rule="scenario-numbering",
        )
    n = len(by[0])
    for s in range(k):
        months = sorted(by[s])
        if months != list(range(len(months))):
            gap = next(t for t, mm in enumerate(months) if t != mm) if months[0] == 0 else 0
            row = by[s][months[min(gap, len(months) - 1)]][0]
            raise _err(row, "month", "consecutive-months", f"scenario {s}: months must run 0, 1, 2, … without gaps.")
        if len(months) != n:
            row = by[s][months[-1]][0]
            raise _err(row, "month", "equal-lengths", f"scenario {s} has {len(months)} months, scenario 0 has {n}.")
    arr = np.array([[by[s][t][1] for t in range(n)] for s in range(k)])  # (K, T, 5)
    hpi = arr[:, :, 3] / arr[:, :1, 3]
    return CustomPaths(
        policy=arr[:, :, 0] / 100.0,
        cpi_inflation=arr[:, :, 1] / 100.0,
        wage_growth=arr[:, :, 2] / 100.0,
        hpi=hpi,
        unemployment=arr[:, :, 4] / 100.0,
    )


def load_scenario_file(content: str | bytes, filename: str = "scenario.csv") -> CustomPaths:
    import json

    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    if filename.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise InvalidInput(
                f"Not valid JSON (line {e.lineno}, column {e.colno}).", field="paths", rule="invalid-json"
            ) from None
        return load_paths(parse_json(doc))
    return load_paths(parse_csv(text))
