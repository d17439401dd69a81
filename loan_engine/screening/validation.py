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
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.screening.io import TableChunk, extra_cells, is_missing_cell
from loan_engine.screening.register import (
    ALL_COLUMNS,
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
    TextColumn,
    Texts,
    area_key,
    canonical_column,
    days,
    looks_like,
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
#: ``12.500`` / ``1.250.000`` (no decimal comma): dots group thousands, as Norwegian amounts are written.
_DOT_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def parse_number(value: Any) -> float | None:
    """A number from a cell; decimal comma or point; spaces, ``kr``/``NOK`` and ``,-`` ignored.

    Dots followed by groups of exactly three digits, without a decimal comma, group thousands (``kr 12.500,-`` and
    ``12.500`` are 12 500; ``12.5`` and ``0.500`` are decimals)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        x = float(value)
    else:
        text = str(value).strip()
        if not _DOT_THOUSANDS.match(text):
            try:  # fast path: a plain number
                x = float(text)
                if math.isfinite(x):
                    return x
            except (TypeError, ValueError):
                pass
        s = _SPACES.sub("", text).replace("\u2212", "-")
        s = _CURRENCY.sub("", s)
        if _DOT_THOUSANDS.match(s):
            s = s.replace(".", "")
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

    def __init__(
        self, header: list[str], report: ValidationReport | None = None, *, allow_unknown_columns: bool = False
    ) -> None:
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
        absent = set(ALL_COLUMNS) - set(self.columns)
        suspects = [(raw, looks_like(raw, absent)) for raw in header if canonical_column(raw) not in known]
        suspects = [(raw, like) for raw, like in suspects if like and canonical_column(raw)]
        if suspects and not allow_unknown_columns:
            parts = [
                f"'{raw[:100]}' looks like " + " or ".join(c if c == sp else f"{c} ({sp})" for c, sp in like)
                for raw, like in suspects
            ]
            raise InvalidInput(
                f"Unknown column(s) that look like known ones: {'; '.join(parts)}. Rename the column to the known "
                "name, or, if it really is another column, screen with --allow-unknown-columns (API: "
                "allow_unknown_columns=true) to ignore it.",
                field=f"register.columns.{suspects[0][1][0][0]}",
                rule="column-looks-like-known",
            )
        for raw, like in suspects:
            self.report.notes.append(
                f"Column '{raw[:100]}' was ignored although it looks like {like[0][0]} (allowed by "
                "allow_unknown_columns)."
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
        #: Ids of earlier chunks not yet in ``seen_ids`` (the ids as an Arrow string array, their rows): the dict
        #: is built only when a repeat needs the row of the first use.
        self._first_uses: list[tuple[Any, npt.NDArray[np.int64]]] = []
        #: The largest id so far while every chunk's ids were ascending (then a chunk whose ids ascend from above
        #: it repeats none), else None.
        self._ascending_to: str | None = None
        self._ascending = True

    def seen(self) -> dict[str, int]:
        """Every household id used so far → the row of its first use."""
        for ids, rows in self._first_uses:
            self.seen_ids.update(zip(ids.to_pylist(), rows.tolist(), strict=True))
        self._first_uses = []
        return self.seen_ids

    def first_uses_if_new(self, ids: Any, rows: npt.NDArray[np.int64]) -> bool:
        """Whether ``ids`` (an Arrow string array without nulls) are all different and none was used before; if so
        they are recorded as used for the first time on ``rows``. Ascending ids (as registers are usually sorted)
        are told apart by one comparison of neighbours; others are hashed (in Arrow, without a list)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(ids)
        ascending = n < 2 or bool(pc.all(pc.less(ids.slice(0, n - 1), ids.slice(1))).as_py())
        if not ascending and len(pc.unique(ids)) != n:
            return False
        if self.seen_ids and not self.seen_ids.keys().isdisjoint(ids.to_pylist()):
            return False
        if not n:
            return True
        first, last = ids[0].as_py(), ids[n - 1].as_py()
        after_all = self._ascending and ascending and (self._ascending_to is None or first > self._ascending_to)
        if self._first_uses and not after_all:
            earlier = pa.concat_arrays([done for done, _ in self._first_uses])
            if pc.any(pc.is_in(ids, value_set=earlier)).as_py():
                return False
        self._first_uses.append((ids, rows))
        self._ascending = after_all
        self._ascending_to = last if after_all else None
        return True

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
        seen = self.seen()
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
            first = seen.get(s)
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


# --------------------------------------------------------------------------------------------------------------
# The columnar validator: whole Arrow columns at once; the per-value parsers above only for the cells that are
# not in one of the plain forms (and so for every error message). Same rules, same errors, same order.
# --------------------------------------------------------------------------------------------------------------

#: Every character Python's ``str.split()`` treats as whitespace, for RE2 (whose ``\s`` is ASCII only).
_WS_CLASS = r"\s\x{0b}\x{0c}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_PLAIN_NUMBER = r"^[+-]?\d+(\.\d+)?$"
_DOT_THOUSANDS_RE2 = r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$"
_COMMA_NUMBER = r"^[+-]?\d+(,\d+)?$"
_DOT_GROUPED = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"


@dataclass(frozen=True)
class _Bad:
    rule: str
    message: str


def _is_text(arr: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))


def _np_bool(arr: Any) -> npt.NDArray[np.bool_]:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(arr, False), dtype=bool)


def _string_bytes(arr: Any) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]] | None:
    """(offsets from 0, bytes) of a string array without nulls, read from its buffers without a copy; None for any
    other array (nulls, large strings, dictionaries): then the Arrow kernels decide."""
    import pyarrow as pa

    if not pa.types.is_string(arr.type) or arr.null_count:
        return None
    n = len(arr)
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + n + 1]
    first = int(offsets[0]) if n else 0
    last = int(offsets[-1]) if n else 0
    data = np.frombuffer(data_buf, dtype=np.uint8)[first:last] if data_buf is not None else np.zeros(0, np.uint8)
    return offsets - first, data


def _trim(arr: Any) -> Any:
    """``pc.utf8_trim_whitespace(arr)``; the array itself when, by its bytes, no cell starts or ends with anything
    but a printable ASCII character (no whitespace, ASCII or other, to trim)."""
    import pyarrow.compute as pc

    parts = _string_bytes(arr)
    if parts is not None:
        offsets, data = parts
        filled = offsets[1:] > offsets[:-1]
        edges = np.concatenate([data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]])
        if not _UNTRIMMED_BYTES[edges].any():
            return arr
    return pc.utf8_trim_whitespace(arr)


def _byte_set(chars: str) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode("ascii"))] = True
    return table


_PLAIN_MEMBER_BYTES = _byte_set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")
_DIGIT_BYTES = _byte_set("0123456789")
#: Bytes a cell may start or end with and still need no trimming: printable ASCII, not the space.
_UNTRIMMED_BYTES = ~_byte_set("".join(chr(c) for c in range(0x21, 0x7F)))
_SEX_BYTES = _byte_set("fkjwmgbFKJWMGB")
_FEMALE_BYTES = _byte_set("fkjwFKJW")


def _plain_member_tokens(
    offsets: npt.NDArray[np.int32], data: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The space-separated tokens of members cells made of ASCII letters, digits and spaces only, from the bytes:
    per token its row, whether it is 'F34' (a sex letter and 1–6 digits), its age and whether the letter is a
    female one — what splitting on the space and the string kernels give, without building the tokens."""
    nb = len(data)
    if nb == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0, bool)
    word = data != 32
    # A token starts at a letter or digit after a space or at a cell's start, and ends before a space or at the
    # cell's end: boundaries are where ``word`` changes, the cells' ends always being boundaries.
    edge = np.zeros(nb + 1, dtype=bool)
    edge[offsets] = True
    starts = np.flatnonzero(word & (edge[:-1] | np.concatenate(([True], ~word[:-1]))))
    ends = np.flatnonzero(word & (edge[1:] | np.concatenate((~word[1:], [True]))))
    length = ends - starts + 1
    parent = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))[starts]  # each byte's cell
    first = data[starts]
    ok = (length >= 2) & (length <= 7) & _SEX_BYTES[first]
    age = np.zeros(len(starts), dtype=np.int64)
    longest = int(length[ok].max()) if ok.any() else 1
    for j in range(1, longest):  # the j-th character of every token at least j + 1 long
        has = ok & (length > j)
        b = data[np.minimum(starts + j, nb - 1)]
        ok &= ~has | _DIGIT_BYTES[b]
        age = np.where(has, age * 10 + (b.astype(np.int64) - 48), age)
    return parent, ok, age, _FEMALE_BYTES[first]


def _by_unique(arr: Any, fn: Any) -> tuple[list[Any], npt.NDArray[np.int64]]:
    """``fn`` applied once per distinct value: (results per distinct value, the value's index per row)."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arr, null_encoding="encode")
    results = [fn(v) for v in enc.dictionary.to_pylist()]
    return results, np.asarray(enc.indices, dtype=np.int64)


def _plain_numbers(arr: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None:
    """(values, blank) when every cell is empty or a plain number without a dot (``12500``, ``-5``): one cast.

    None otherwise (a dot, a comma, a space, a currency, text …): then the cells are looked at one form at a time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = _string_bytes(arr)
    if parts is not None:  # the same two questions asked of the bytes (a dot is one byte in UTF-8)
        offsets, data = parts
        if (data == 46).any():
            return None  # 12.500 is twelve thousand five hundred, which a cast would read as 12.5
        blank = offsets[1:] == offsets[:-1]
    else:
        if pc.any(pc.match_substring(arr, ".")).as_py():
            return None
        blank = _np_bool(pc.equal(arr, ""))
    try:
        cells = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), arr) if blank.any() else arr
        values = pc.cast(cells, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    x = np.asarray(values.fill_null(np.nan), dtype=np.float64)
    some_blank = bool(blank.any())
    if not (np.isfinite(x[~blank]) if some_blank else np.isfinite(x)).all():  # 'nan', 'inf', '1e400': the
        return None  # per-value rule explains why not
    # Read-only views of Arrow's buffer: the callers only read them.
    return x, blank | (pc.is_null(arr).to_numpy(zero_copy_only=False) if arr.null_count else blank)


def _numbers(arr: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], list[tuple[int, str]]]:
    """(values, blank, errors) of a number column: plain forms array-wise, the rest by :func:`parse_number`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(arr)
    errors: list[tuple[int, str]] = []
    fast = _plain_numbers(arr) if _is_text(arr) else None
    if fast is not None:
        return fast[0], fast[1], errors
    values = np.full(n, np.nan)
    if _is_text(arr):
        s = pc.utf8_trim_whitespace(arr)
        blank = ~_np_bool(pc.greater(pc.utf8_length(s), 0))
        plain = _np_bool(pc.match_substring_regex(s, _PLAIN_NUMBER)) & ~_np_bool(
            pc.match_substring_regex(s, _DOT_THOUSANDS_RE2)
        )
        rest = ~blank & ~plain
        done = plain.copy()
        text = s
        if rest.any():
            c = pc.replace_substring_regex(s, f"[{_WS_CLASS}']+", "")
            c = pc.replace_substring_regex(c, r"(?i)^(kr\.?|nok)|(kr\.?|nok|,-)$", "")
            comma = _np_bool(pc.match_substring_regex(c, _COMMA_NUMBER)) & rest
            grouped = _np_bool(pc.match_substring_regex(c, _DOT_GROUPED)) & rest & ~comma
            if comma.any() or grouped.any():
                fixed = pc.replace_substring(pc.replace_substring(c, ".", ""), ",", ".")
                text = pc.if_else(pa.array(comma | grouped), fixed, s)
                done |= comma | grouped
        if done.any():
            idx = pa.array(np.flatnonzero(done))
            values[done] = np.asarray(pc.cast(text.take(idx), pa.float64()), dtype=np.float64)
        slow = ~blank & ~done
        if slow.any():
            ks = np.flatnonzero(slow)
            for k, v in zip(ks.tolist(), arr.take(pa.array(ks)).to_pylist(), strict=True):
                try:
                    x = parse_number(v)
                except ValueError as exc:
                    errors.append((k, str(exc)))
                    continue
                if x is None:
                    blank[k] = True
                else:
                    values[k] = x
        return values, blank, errors
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_decimal(arr.type):
        values = np.asarray(pc.cast(arr, pa.float64()).fill_null(np.nan), dtype=np.float64).copy()
        blank = np.isnan(values)
        bad = ~blank & ~np.isfinite(values)
        for k in np.flatnonzero(bad).tolist():
            errors.append((k, f"{_show(values[k])} is not a finite number"))
        return values, blank, errors
    blank = np.zeros(n, dtype=bool)
    for k, v in enumerate(arr.to_pylist()):  # booleans, dates, …: the per-value rule decides
        try:
            x = parse_number(v)
        except ValueError as exc:
            errors.append((k, str(exc)))
            continue
        if x is None:
            blank[k] = True
        else:
            values[k] = x
    return values, blank, errors


def _id_value(v: Any) -> str | _Bad | None:
    if _blank(v):
        return None
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s


def _area_value(v: Any) -> tuple[str, str] | _Bad:
    if _blank(v):
        return _Bad("required", "area is empty")
    s = " ".join(str(v).split())
    if "\x00" in s:
        return _Bad("no-nul-characters", "area contains a NUL character")
    if len(s) > MAX_AREA_LENGTH:
        return _Bad(f"max-length-{MAX_AREA_LENGTH}", f"area is longer than {MAX_AREA_LENGTH}")
    return s, area_key(s)


def _dwelling_value(v: Any) -> str:
    if _blank(v):
        return ""
    s = str(v).strip()
    if isinstance(v, float) and v.is_integer():
        s = str(int(v))
    return s[:MAX_ID_LENGTH].replace("\x00", "")


def _date_value(v: Any) -> int | _Bad:
    try:
        d = parse_date(v)
    except ValueError as exc:
        return _Bad("date", str(exc))
    if d is None:
        return int(NO_END)
    if not 1990 <= d.year <= 2100:
        return _Bad("date-1990-2100", f"contract_end {d.isoformat()} is not plausible")
    return days(d)


def _flag_value(v: Any) -> bool | _Bad:
    try:
        return parse_flag(v)
    except ValueError as exc:
        return _Bad("flag", str(exc))


def _car_value(v: Any) -> str | _Bad:
    try:
        return parse_car(v).value
    except ValueError as exc:
        return _Bad("car-kind", str(exc))


def _members_value(v: Any) -> list[tuple[int, bool]] | _Bad:
    try:
        return parse_members(v)
    except ValueError as exc:
        return _Bad("members-format", str(exc))


class _Errors:
    """Errors of one chunk, emitted column by column in row order (as the row-by-row validator did)."""

    def __init__(self, report: ValidationReport, rows: npt.NDArray[np.int64], bad: npt.NDArray[np.bool_]) -> None:
        self.report, self.rows, self.bad = report, rows, bad
        self.pending: list[tuple[int, str, str]] = []

    def add(self, k: int, rule: str, message: str) -> None:
        self.pending.append((k, rule, message))

    def add_many(self, ks: npt.NDArray[np.int64], rule: str, message: Any) -> None:
        for k in ks.tolist():
            self.pending.append((k, rule, message(k) if callable(message) else message))

    def flush(self, column: str) -> None:
        self.pending.sort(key=lambda e: e[0])
        rows = self.rows
        for k, rule, message in self.pending:
            self.bad[k] = True
            self.report.add(RowError(int(rows[k]), column, rule, message))
        self.pending = []


def _pick(values: list[Any], index: npt.NDArray[np.int64]) -> list[Any]:
    """``[values[i] for i in index]`` at C speed (the same objects, no copies of the strings)."""
    if len(index) == len(values) and (len(index) == 0 or (index[0] == 0 and (np.diff(index) == 1).all())):
        return values
    holder = np.empty(len(values), dtype=object)
    holder[:] = values
    out: list[Any] = holder[index].tolist()
    return out


def validate_columns(validator: RegisterValidator, chunk: Any) -> Register:
    """A :class:`~loan_engine.screening.io.ColumnChunk` validated into a :class:`Register` (see above)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.asarray(chunk.rows, dtype=np.int64)
    n = len(rows)
    report = validator.report
    report.rows_read += n
    bad = np.zeros(n, dtype=bool)
    errs = _Errors(report, rows, bad)

    def col(name: str) -> Any:
        pos = validator.columns.get(name)
        return None if pos is None else chunk.columns[pos]

    def missing(name: str) -> npt.NDArray[np.bool_] | None:
        pos = validator.columns.get(name)
        if pos is None or chunk.missing is None:
            return None
        m: npt.NDArray[np.bool_] | None = chunk.missing[pos]
        return m

    if chunk.extra is not None:
        for k in np.flatnonzero(chunk.extra).tolist():
            errs.add(
                k,
                "cells-match-header",
                f"the row has {int(chunk.extra[k])} more cell(s) than the header; is a value with the separator "
                "unquoted?",
            )
        errs.flush("(row)")

    # household_id
    arr = col("household_id")
    ids: list[Any]
    id_strings: Any = None  # the ids as an Arrow string array, when the column is text
    if _is_text(arr):
        s = _trim(arr)
        parts = _string_bytes(s)
        if parts is not None and np.diff(parts[0]).max(initial=0) <= MAX_ID_LENGTH:
            # From the bytes: no cell is longer than the limit in bytes, so none is in characters.
            blank = parts[0][1:] == parts[0][:-1]
            nul = np.zeros(n, dtype=bool)
            if (parts[1] == 0).any():
                nul = _np_bool(pc.match_substring(s, "\x00")) & ~blank
            long = np.zeros(n, dtype=bool)
        else:
            length = np.asarray(pc.utf8_length(s).fill_null(0), dtype=np.int64)
            blank = length == 0
            nul = _np_bool(pc.match_substring(s, "\x00")) & ~blank
            long = (length > MAX_ID_LENGTH) & ~blank & ~nul
        id_strings = s
    else:
        ids = [_id_value(v) for v in arr.to_pylist()]
        blank = np.array([v is None for v in ids], dtype=bool)
        nul = np.array([v is not None and "\x00" in v for v in ids], dtype=bool)
        long = np.array([v is not None and len(v) > MAX_ID_LENGTH for v in ids], dtype=bool) & ~nul
    errs.add_many(np.flatnonzero(blank), "required", "household_id is empty")
    errs.add_many(np.flatnonzero(nul), "no-nul-characters", "household_id contains a NUL character")
    errs.add_many(np.flatnonzero(long), f"max-length-{MAX_ID_LENGTH}", f"household_id is longer than {MAX_ID_LENGTH}")
    ok_ids = np.flatnonzero(~(blank | nul | long))
    if id_strings is not None:  # distinct and unseen asked of the Arrow strings (no list)
        candidates = id_strings if len(ok_ids) == n else id_strings.take(pa.array(ok_ids))
    else:
        candidates = pa.array(_pick(ids, ok_ids), pa.string())
    if not validator.first_uses_if_new(candidates, rows[ok_ids]):  # else no repeat: every id is a first use
        if id_strings is not None:
            ids = id_strings.to_pylist()
        seen = validator.seen()
        for k in ok_ids.tolist():
            v = ids[k]
            first = seen.get(v)
            if first is not None:
                errs.add(k, "household-id-unique", f"household_id {_show(v)} is already used on row {first}")
            else:
                seen[v] = int(rows[k])
    errs.flush("household_id")

    # members: 'F34 M36' array-wise; every other spelling (and every error) by parse_members
    arr = col("members")
    m_parent: list[npt.NDArray[np.int64]] = []
    m_age: list[npt.NDArray[np.int64]] = []
    m_female: list[npt.NDArray[np.bool_]] = []
    slow = np.ones(n, dtype=bool)
    if _is_text(arr) and n:
        s = _trim(arr)
        parts = _string_bytes(s)
        # Only ASCII letters, digits and spaces: tokens between spaces, read from the bytes (fast); else split on
        # every separator (regex).
        if parts is not None:
            plain_text = bool(_PLAIN_MEMBER_BYTES[parts[1]].all())
        else:
            plain_text = not pc.any(pc.match_substring_regex(s, "[^A-Za-z0-9 ]")).as_py()
        token_age: npt.NDArray[np.int64] | None = None
        token_female: npt.NDArray[np.bool_] | None = None
        if plain_text and parts is not None:
            parent, ok_tok, token_age, token_female = _plain_member_tokens(*parts)
            empty_tok = np.zeros(len(parent), dtype=bool)
        else:
            lists = pc.split_pattern(s, " ") if plain_text else pc.split_pattern_regex(s, r"[\s/+|;,]+")
            flat = pc.list_flatten(lists)
            parent = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
            length = np.asarray(pc.utf8_length(flat).fill_null(0), dtype=np.int64)
            empty_tok = length == 0
            # 'F34': one sex letter, then 1–6 ASCII digits (every other spelling goes to parse_members).
            sex = pc.utf8_lower(pc.utf8_slice_codeunits(flat, 0, 1))
            digits = pc.utf8_slice_codeunits(flat, 1, 7)
            ok_tok = (
                (length >= 2)
                & (length <= 7)
                & _np_bool(pc.is_in(sex, value_set=pa.array(["f", "k", "j", "w", "m", "g", "b"])))
                & _np_bool(pc.ascii_is_decimal(digits))
            )
        failing = np.zeros(n, dtype=bool)
        failing[parent[~ok_tok & ~empty_tok]] = True
        has_tok = np.zeros(n, dtype=bool)
        has_tok[parent[ok_tok]] = True
        slow = failing | ~has_tok
        use = ok_tok & ~slow[parent]
        if use.any():
            m_parent.append(parent[use])
            if token_age is not None and token_female is not None:
                m_age.append(token_age[use])
                m_female.append(token_female[use])
            else:
                sel = pa.array(np.flatnonzero(use))
                m_age.append(np.asarray(pc.cast(digits.take(sel), pa.int64()), dtype=np.int64))
                m_female.append(_np_bool(pc.is_in(sex.take(sel), value_set=pa.array(["f", "k", "j", "w"]))))
    format_bad = np.zeros(n, dtype=bool)
    if slow.any():
        ks = np.flatnonzero(slow)
        values = arr.take(pa.array(ks)).to_pylist() if len(ks) < n else arr.to_pylist()
        par: list[int] = []
        ages: list[int] = []
        fem: list[bool] = []
        for k, v in zip(ks.tolist(), values, strict=True):
            ms = _members_value(v)
            if isinstance(ms, _Bad):
                format_bad[k] = True
                errs.add(k, ms.rule, ms.message)
                continue
            for a, f in ms:
                par.append(k)
                ages.append(a)
                fem.append(f)
        m_parent.append(np.asarray(par, dtype=np.int64))
        m_age.append(np.asarray(ages, dtype=np.int64))
        m_female.append(np.asarray(fem, dtype=bool))
    parent = np.concatenate(m_parent) if m_parent else np.zeros(0, dtype=np.int64)
    age = np.concatenate(m_age) if m_age else np.zeros(0, dtype=np.int64)
    female = np.concatenate(m_female) if m_female else np.zeros(0, dtype=bool)
    order = np.argsort(parent, kind="stable")
    parent, age, female = parent[order], age[order], female[order]
    count = np.bincount(parent, minlength=n)
    oldest = np.zeros(n, dtype=np.int64)
    np.maximum.at(oldest, parent, age)
    adults = np.bincount(parent, weights=(age >= 18), minlength=n)
    checked = ~format_bad
    wrong_count = checked & ((count < 1) | (count > MAX_MEMBERS))
    errs.add_many(
        np.flatnonzero(wrong_count),
        f"members-1-{MAX_MEMBERS}",
        lambda k: f"a household has 1–{MAX_MEMBERS} members; got {int(count[k])}",
    )
    wrong_age = checked & ~wrong_count & (oldest > MAX_AGE)
    errs.add_many(np.flatnonzero(wrong_age), f"age-0-{MAX_AGE}", f"every age must be 0–{MAX_AGE} years")
    no_adult = checked & ~wrong_count & ~wrong_age & (adults == 0)
    errs.add_many(
        np.flatnonzero(no_adult), "at-least-one-adult", "a household needs at least one member aged 18 or over"
    )
    members_ok = checked & ~wrong_count & ~wrong_age & ~no_adult
    errs.flush("members")

    # money
    money: dict[str, npt.NDArray[np.float64]] = {}
    for name in MONEY_COLUMNS:
        out = np.zeros(n, dtype=np.float64)
        money[name] = out
        arr = col(name)
        if arr is None:
            continue
        limit = MAX_EQUITY if name == "equity" else MAX_MONTHLY
        x, blank, errors = _numbers(arr)
        for k, message in errors:
            errs.add(k, "number", message)
        if name == "rent":
            gone = missing(name)
            for k in np.flatnonzero(blank).tolist():
                why = "the row has fewer cells than the header" if gone is not None and gone[k] else "rent is empty"
                errs.add(k, "required", why)
        with np.errstate(invalid="ignore"):
            negative = x < 0
            over = x > limit
        errs.add_many(np.flatnonzero(negative), "not-negative", lambda k: f"{name} must not be negative; got {x[k]:g}")  # noqa: B023 (called at once)
        errs.add_many(
            np.flatnonzero(over),
            f"at-most-{int(limit)}",
            lambda k: f"{name} {x[k]:g} is over the limit {limit:,.0f}",  # noqa: B023 (called at once)
        )
        good = ~np.isnan(x) & ~negative & ~over
        money[name] = np.where(good, x, 0.0)
        errs.flush(name)

    def per_unique(name: str, fn: Any, default: Any) -> tuple[list[Any], npt.NDArray[np.int64]]:
        arr = col(name)
        if arr is None:
            return [default], np.zeros(n, dtype=np.int64)
        results, codes = _by_unique(arr, fn)
        is_bad = np.array([isinstance(r, _Bad) for r in results], dtype=bool)
        if is_bad.any():
            for k in np.flatnonzero(is_bad[codes]).tolist():
                r = results[codes[k]]
                errs.add(k, r.rule, r.message)
            errs.flush(name)
        return results, codes

    # contract_end
    results, codes = per_unique("contract_end", _date_value, int(NO_END))
    ends = np.array([r if isinstance(r, int) else int(NO_END) for r in results], dtype=np.int64)[codes]

    # area
    area_results, area_codes = per_unique("area", _area_value, _Bad("required", "area is empty"))
    if col("area") is None:  # a required column: never absent here, but never silently empty either
        errs.add_many(np.arange(n), "required", "area is empty")
        errs.flush("area")

    arr = col("dwelling")
    if arr is not None and _is_text(arr):  # unique per household as a rule: array-wise, not per distinct value
        dw = _trim(arr.fill_null(""))
        parts = _string_bytes(dw)
        if parts is None or np.diff(parts[0]).max(initial=0) > MAX_ID_LENGTH:  # else no cell is longer in bytes
            dw = pc.utf8_slice_codeunits(dw, 0, MAX_ID_LENGTH)
        if parts is None or (parts[1] == 0).any():
            dw = pc.replace_substring(dw, "\x00", "")
        dw_results: list[Any] = []  # the Arrow strings are the column
        dw_codes = np.arange(n, dtype=np.int64)
    else:
        dw = None
        dw_results, dw_codes = per_unique("dwelling", _dwelling_value, "")
    low_results, low_codes = per_unique("permanently_low_income", _flag_value, False)
    low = np.array([r is True for r in low_results], dtype=bool)[low_codes]
    car_results, car_codes = per_unique("car", _car_value, Car.NONE.value)

    counts: dict[str, npt.NDArray[np.int64]] = {}
    for name, lo_age, hi_age, rule in (
        ("children_in_barnehage", 0, 6, "barnehage-children-in-household"),
        ("children_in_sfo", 5, 13, "sfo-children-in-household"),
    ):
        out_i = np.zeros(n, dtype=np.int64)
        counts[name] = out_i
        arr = col(name)
        if arr is None:
            continue
        x, blank, errors = _numbers(arr)
        for k, message in errors:
            errs.add(k, "number", message)
        in_range = (age >= lo_age) & (age <= hi_age)
        eligible = np.bincount(parent, weights=in_range, minlength=n).astype(np.int64)
        eligible = np.where(members_ok, eligible, 0)
        given = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            not_whole = given & ((x != np.floor(x)) | (x < 0))
            too_many = given & ~not_whole & members_ok & (x > eligible)
        errs.add_many(np.flatnonzero(not_whole), "whole-number", f"{name} must be a whole number ≥ 0")
        errs.add_many(
            np.flatnonzero(too_many),
            rule,
            lambda k: f"{name} is {int(x[k])} but only {int(eligible[k])} member(s) are aged {lo_age}–{hi_age}",  # noqa: B023 (called at once)
        )
        good = given & ~not_whole & ~too_many
        out_i[good] = x[good].astype(np.int64)
        errs.flush(name)

    keep = ~bad
    idx = np.flatnonzero(keep)
    report.rows_valid += len(idx)
    report.rows_rejected += int(bad.sum())
    all_kept = len(idx) == n

    def kept(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """The valid rows' values (every row valid: the array itself, built here for this register)."""
        return values if all_kept else values[idx]

    member_keep = keep[parent] if len(parent) else np.zeros(0, dtype=bool)
    sizes = kept(count)
    starts = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    names = [r[0] if isinstance(r, tuple) else "" for r in area_results]
    area_keys = [r[1] if isinstance(r, tuple) else "" for r in area_results]
    area_index = pa.array(kept(area_codes))
    take = None if all_kept else pa.array(idx)
    household_id: TextColumn
    if id_strings is not None:
        household_id = Texts(id_strings if take is None else id_strings.take(take))
    else:
        household_id = ids if all_kept else _pick(ids, idx)
    dwelling: TextColumn = (
        _pick(dw_results, kept(dw_codes)) if dw is None else Texts(dw if take is None else dw.take(take))
    )
    cars = pa.array([r if isinstance(r, str) else "" for r in car_results], pa.string())
    reg = Register(
        row=rows[idx],
        household_id=household_id,
        member_start=starts,
        member_age=age if all_kept else age[member_keep],
        member_female=female if all_kept else female[member_keep],
        income={c: kept(money[c]) for c in INCOME_COLUMNS},
        bostotte=kept(money["bostotte"]),
        rent=kept(money["rent"]),
        other_debt_payments=kept(money["other_debt_payments"]),
        other_fixed_costs=kept(money["other_fixed_costs"]),
        equity=kept(money["equity"]),
        contract_end=kept(ends),
        area=Texts(pa.array(names, pa.string()).take(area_index)),
        area_key=Texts(pa.array(area_keys, pa.string()).take(area_index)),
        dwelling=dwelling,
        permanently_low_income=kept(low),
        car=Texts(cars.take(pa.array(kept(car_codes)))),
        children_in_barnehage=kept(counts["children_in_barnehage"]),
        children_in_sfo=kept(counts["children_in_sfo"]),
    )
    return reg
