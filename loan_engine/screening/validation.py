"""Row-level validation of a tenant register: good rows become a :class:`~.register.Register`, bad rows become
``{row, column, rule, message}`` errors, and the good rows are still screened.

File-level problems (a required column missing, a column given twice) raise
:class:`~loan_engine.errors.InvalidInput` naming every such column: without them no row can be read.

Values are parsed the Norwegian way as well as the international one: ``12 345,50``, ``12.345,50``, ``12345.5``,
``kr 7 850``; dates ``2026-03-31``, ``31.03.2026``, ``31/03/2026``; flags ``ja``/``nei``, ``yes``/``no``,
``true``/``false``, ``1``/``0``, ``x``/empty.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput
from loan_engine.screening.io import TableChunk, extra_cells, is_missing_cell
from loan_engine.screening.register import (
    INCOME_COLUMNS,
    MAX_AREA_LENGTH,
    MAX_EQUITY,
    MAX_ID_LENGTH,
    MAX_MONTHLY,
    MONEY_COLUMNS,
    NO_END,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    Register,
    area_key,
    canonical_column,
    days,
)
from loan_engine.underwriting.living_costs import MAX_AGE, MAX_MEMBERS, Car

#: At most this many row errors are kept with their details (all are counted, by rule).
MAX_ERROR_DETAILS = 1000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationReport:
    """What validation found: counts, the first :data:`MAX_ERROR_DETAILS` errors, and notes on the file."""

    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_by_rule: Counter[str] = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, error: RowError) -> None:
        self.error_count += 1
        self.errors_by_rule[error.rule] += 1
        if len(self.errors) < MAX_ERROR_DETAILS:
            self.errors.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_rejected": self.rows_rejected,
            "error_count": self.error_count,
            "errors_shown": len(self.errors),
            "errors_by_rule": dict(sorted(self.errors_by_rule.items())),
            "errors": [e.as_dict() for e in self.errors],
            "ignored_columns": list(self.ignored_columns),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------------------------
# Value parsers (raise ValueError with a message; ``None`` means empty)
# --------------------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CURRENCY = re.compile(r"^(kr\.?|nok)|(kr\.?|nok|,-)$", re.IGNORECASE)


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def parse_number(value: Any) -> float | None:
    """A number from a cell; decimal comma or point; spaces, ``kr``/``NOK`` and ``,-`` ignored."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        x = float(value)
    else:
        try:  # fast path: a plain number
            x = float(value)
            if math.isfinite(x):
                return x
        except (TypeError, ValueError):
            pass
        s = _SPACES.sub("", str(value)).replace("\u2212", "-")
        s = _CURRENCY.sub("", s)
        if "," in s and "." in s:
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        elif "," in s:
            if s.count(",") > 1:
                raise ValueError(f"{_show(value)} is not a number (more than one decimal comma)")
            s = s.replace(",", ".")
        if not _NUMBER.match(s):
            raise ValueError(f"{_show(value)} is not a number")
        x = float(s)
    if not math.isfinite(x):
        raise ValueError(f"{_show(value)} is not a finite number")
    return x


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_date(value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = str(value).strip()
    try:
        return date.fromisoformat(s)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{_show(value)} is not a date (use YYYY-MM-DD or DD.MM.YYYY)")


_TRUE = {"ja", "j", "yes", "y", "true", "sann", "1", "x"}
_FALSE = {"nei", "n", "no", "false", "usann", "0", "-"}


def parse_flag(value: Any) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    s = str(value).strip().casefold()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"{_show(value)} is not ja/nei (yes/no, true/false, 1/0)")


_CARS = {
    "": Car.NONE,
    "none": Car.NONE,
    "ingen": Car.NONE,
    "nei": Car.NONE,
    "no": Car.NONE,
    "0": Car.NONE,
    "petrol": Car.PETROL,
    "bensin": Car.PETROL,
    "diesel": Car.PETROL,
    "fossil": Car.PETROL,
    "electric": Car.ELECTRIC,
    "elbil": Car.ELECTRIC,
    "el": Car.ELECTRIC,
    "ev": Car.ELECTRIC,
}


def parse_car(value: Any) -> Car:
    key = "" if _blank(value) else str(value).strip().casefold()
    if key not in _CARS:
        raise ValueError(f"{_show(value)} is not a car kind (none, petrol or electric)")
    return _CARS[key]


_MEMBER = re.compile(r"([A-Za-zÆØÅæøå]+)\s*(\d+(?:[.,]\d+)?)")
_MEMBER_SEP = re.compile(r"[\s/+|;,]+")
_FEMALE = {"f", "k", "j", "w", "kvinne", "jente"}
_MALE = {"m", "g", "mann", "gutt", "b"}


def parse_members(value: Any) -> list[tuple[int, bool]]:
    """``'F34 M36 F8 M3'`` → ``[(34, True), (36, False), (8, True), (3, False)]`` (age, female)."""
    if _blank(value):
        raise ValueError("members is empty: list every member as sex + age, e.g. 'F34 M36 F8'")
    text = str(value).strip()
    tokens = [t for t in _MEMBER_SEP.split(text) if t]
    out: list[tuple[int, bool]] = []
    for tok in tokens:
        m = _MEMBER.fullmatch(tok)
        if not m:
            raise ValueError(f"{_show(tok)} is not a member (write sex letter + age, e.g. F34 or M8)")
        letters, age_text = m.group(1).casefold(), m.group(2).replace(",", ".")
        if letters in _FEMALE:
            female = True
        elif letters in _MALE:
            female = False
        else:
            raise ValueError(f"{_show(tok)}: sex must be F/K/J (female) or M/G (male)")
        age = float(age_text)
        if age != int(age):
            raise ValueError(f"{_show(tok)}: age must be whole years")
        out.append((int(age), female))
    return out


def _show(value: Any) -> str:
    s = str(value)
    return repr(s if len(s) <= 40 else s[:37] + "...")


# --------------------------------------------------------------------------------------------------------------
# The validator
# --------------------------------------------------------------------------------------------------------------


class RegisterValidator:
    """Validates a register chunk by chunk (duplicate ids are caught across chunks)."""

    def __init__(self, header: list[str], report: ValidationReport | None = None) -> None:
        self.report = report or ValidationReport()
        self.columns: dict[str, int] = {}  # canonical name -> position in the header
        duplicates: list[str] = []
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        for pos, raw in enumerate(header):
            canon = canonical_column(raw)
            if not canon:
                continue
            if canon in self.columns:
                duplicates.append(f"'{header[self.columns[canon]]}' and '{raw}'")
            elif canon in known:
                self.columns[canon] = pos
            else:
                self.report.ignored_columns.append(raw.replace("\x00", "\\x00")[:100])
        if duplicates:
            raise InvalidInput(
                f"These columns are given twice: {', '.join(duplicates)}.",
                field="register.columns",
                rule="column-duplicate",
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in self.columns]
        if not any(c in self.columns for c in INCOME_COLUMNS):
            missing.append("one of " + "/".join(INCOME_COLUMNS))
        if missing:
            raise InvalidInput(
                f"The register lacks required columns: {', '.join(missing)}. Found: "
                f"{', '.join(h for h in header if h) or 'no column names'}. The first line must be the header.",
                field=f"register.columns.{missing[0].split('/')[0].removeprefix('one of ')}",
                rule="column-required",
            )
        self.seen_ids: dict[str, int] = {}

    def _col(self, chunk: TableChunk, name: str) -> list[Any] | None:
        pos = self.columns.get(name)
        return None if pos is None else chunk.columns[pos]

    def validate(self, chunk: TableChunk) -> Register:
        rows = chunk.rows
        n = len(rows)
        self.report.rows_read += n
        bad = np.zeros(n, dtype=bool)
        report = self.report

        def err(k: int, column: str, rule: str, message: str) -> None:
            bad[k] = True
            report.add(RowError(rows[k], column, rule, message))

        # Rows with more cells than the header.
        last = chunk.columns[-1] if chunk.columns else []
        for k, v in enumerate(last):
            extra = extra_cells(v)
            if extra:
                err(
                    k,
                    "(row)",
                    "cells-match-header",
                    f"the row has {extra} more cell(s) than the header; is a value with the separator unquoted?",
                )

        # household_id
        ids: list[str] = [""] * n
        col: list[Any] | None
        col = self._col(chunk, "household_id") or [None] * n
        for k, v in enumerate(col):
            if _blank(v):
                err(k, "household_id", "required", "household_id is empty")
                continue
            s = str(v).strip()
            if isinstance(v, float) and v.is_integer():
                s = str(int(v))
            if "\x00" in s:
                err(k, "household_id", "no-nul-characters", "household_id contains a NUL character")
                continue
            if len(s) > MAX_ID_LENGTH:
                err(k, "household_id", f"max-length-{MAX_ID_LENGTH}", f"household_id is longer than {MAX_ID_LENGTH}")
                continue
            first = self.seen_ids.get(s)
            if first is not None:
                err(k, "household_id", "household-id-unique", f"household_id {_show(s)} is already used on row {first}")
                continue
            self.seen_ids[s] = rows[k]
            ids[k] = s

        # members
        members: list[list[tuple[int, bool]]] = [[] for _ in range(n)]
        col = self._col(chunk, "members") or [None] * n
        for k, v in enumerate(col):
            try:
                ms = parse_members(v)
            except ValueError as exc:
                err(k, "members", "members-format", str(exc))
                continue
            if not 1 <= len(ms) <= MAX_MEMBERS:
                err(k, "members", f"members-1-{MAX_MEMBERS}", f"a household has 1–{MAX_MEMBERS} members; got {len(ms)}")
                continue
            if any(a < 0 or a > MAX_AGE for a, _ in ms):
                err(k, "members", f"age-0-{MAX_AGE}", f"every age must be 0–{MAX_AGE} years")
                continue
            if not any(a >= 18 for a, _ in ms):
                err(k, "members", "at-least-one-adult", "a household needs at least one member aged 18 or over")
                continue
            members[k] = ms

        # money
        money: dict[str, np.ndarray] = {}
        for name in MONEY_COLUMNS:
            arr = np.zeros(n, dtype=np.float64)
            money[name] = arr
            col = self._col(chunk, name)
            if col is None:
                continue
            limit = MAX_EQUITY if name == "equity" else MAX_MONTHLY
            for k, v in enumerate(col):
                try:
                    x = parse_number(v)
                except ValueError as exc:
                    err(k, name, "number", str(exc))
                    continue
                if x is None:
                    if name == "rent":
                        why = "the row has fewer cells than the header" if is_missing_cell(v) else "rent is empty"
                        err(k, name, "required", why)
                    continue
                if x < 0:
                    err(k, name, "not-negative", f"{name} must not be negative; got {x:g}")
                elif x > limit:
                    err(k, name, f"at-most-{int(limit)}", f"{name} {x:g} is over the limit {limit:,.0f}")
                else:
                    arr[k] = x

        # contract_end
        ends = np.full(n, NO_END, dtype=np.int64)
        col = self._col(chunk, "contract_end")
        if col is not None:
            for k, v in enumerate(col):
                try:
                    d = parse_date(v)
                except ValueError as exc:
                    err(k, "contract_end", "date", str(exc))
                    continue
                if d is None:
                    continue
                if not 1990 <= d.year <= 2100:
                    err(k, "contract_end", "date-1990-2100", f"contract_end {d.isoformat()} is not plausible")
                    continue
                ends[k] = days(d)

        # area
        areas: list[str] = [""] * n
        keys: list[str] = [""] * n
        col = self._col(chunk, "area") or [None] * n
        for k, v in enumerate(col):
            if _blank(v):
                err(k, "area", "required", "area is empty")
                continue
            s = " ".join(str(v).split())
            if "\x00" in s:
                err(k, "area", "no-nul-characters", "area contains a NUL character")
                continue
            if len(s) > MAX_AREA_LENGTH:
                err(k, "area", f"max-length-{MAX_AREA_LENGTH}", f"area is longer than {MAX_AREA_LENGTH}")
                continue
            areas[k] = s
            keys[k] = area_key(s)

        dwellings = [""] * n
        col = self._col(chunk, "dwelling")
        if col is not None:
            for k, v in enumerate(col):
                if not _blank(v):
                    s = str(v).strip()
                    if isinstance(v, float) and v.is_integer():
                        s = str(int(v))
                    dwellings[k] = s[:MAX_ID_LENGTH].replace("\x00", "")

        low = np.zeros(n, dtype=bool)
        col = self._col(chunk, "permanently_low_income")
        if col is not None:
            for k, v in enumerate(col):
                try:
                    low[k] = parse_flag(v)
                except ValueError as exc:
                    err(k, "permanently_low_income", "flag", str(exc))

        cars = [Car.NONE.value] * n
        col = self._col(chunk, "car")
        if col is not None:
            for k, v in enumerate(col):
                try:
                    cars[k] = parse_car(v).value
                except ValueError as exc:
                    err(k, "car", "car-kind", str(exc))

        counts: dict[str, np.ndarray] = {}
        for name, lo_age, hi_age, rule in (
            ("children_in_barnehage", 0, 6, "barnehage-children-in-household"),
            ("children_in_sfo", 5, 13, "sfo-children-in-household"),
        ):
            arr = np.zeros(n, dtype=np.int64)
            counts[name] = arr
            col = self._col(chunk, name)
            if col is None:
                continue
            for k, v in enumerate(col):
                try:
                    x = parse_number(v)
                except ValueError as exc:
                    err(k, name, "number", str(exc))
                    continue
                if x is None:
                    continue
                eligible = sum(1 for a, _ in members[k] if lo_age <= a <= hi_age)
                if x != int(x) or x < 0:
                    err(k, name, "whole-number", f"{name} must be a whole number ≥ 0")
                elif members[k] and x > eligible:
                    err(k, name, rule, f"{name} is {int(x)} but only {eligible} member(s) are aged {lo_age}–{hi_age}")
                else:
                    arr[k] = int(x)

        keep = ~bad
        idx = np.flatnonzero(keep)
        report.rows_valid += len(idx)
        report.rows_rejected += int(bad.sum())
        sizes = np.array([len(members[k]) for k in idx], dtype=np.int64)
        starts = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        ages = np.fromiter((a for k in idx for a, _ in members[k]), dtype=np.int64, count=int(starts[-1]))
        female = np.fromiter((f for k in idx for _, f in members[k]), dtype=bool, count=int(starts[-1]))
        return Register(
            row=np.asarray(rows, dtype=np.int64)[idx],
            household_id=[ids[k] for k in idx],
            member_start=starts,
            member_age=ages,
            member_female=female,
            income={c: money[c][idx] for c in INCOME_COLUMNS},
            bostotte=money["bostotte"][idx],
            rent=money["rent"][idx],
            other_debt_payments=money["other_debt_payments"][idx],
            other_fixed_costs=money["other_fixed_costs"][idx],
            equity=money["equity"][idx],
            contract_end=ends[idx],
            area=[areas[k] for k in idx],
            area_key=[keys[k] for k in idx],
            dwelling=[dwellings[k] for k in idx],
            permanently_low_income=low[idx],
            car=[cars[k] for k in idx],
            children_in_barnehage=counts["children_in_barnehage"][idx],
            children_in_sfo=counts["children_in_sfo"][idx],
        )
