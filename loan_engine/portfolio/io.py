"""Import and export of portfolios: CSV (``,`` or ``;``, decimal point or Norwegian decimal comma) and JSON.

Besides the canonical fields (``loans.FIELDS``) an import may give dates instead of month counts:
``fixation_end_date`` (→ ``fixation_months_left``) and ``dwelling_value_date`` (→ ``dwelling_value_age_months``),
converted against the ``as_of`` date of the import. The stored portfolio keeps only month counts, so a stress test
of a stored portfolio does not depend on the day it runs.
"""

from __future__ import annotations

import csv
import io as _io
import json
from datetime import date
from pathlib import Path
from typing import Any

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.portfolio.loans import FIELDS, MAX_LOANS, Portfolio, portfolio_from_records

DATE_FIELDS = {"fixation_end_date": "fixation_months_left", "dwelling_value_date": "dwelling_value_age_months"}
MAX_FILE_BYTES = 50_000_000


def _parse_date(v: Any, row: int, name: str) -> date:
    try:
        return date.fromisoformat(str(v).strip())
    except ValueError:
        try:  # Norwegian dd.mm.yyyy
            d, m, y = str(v).strip().split(".")
            return date(int(y), int(m), int(d))
        except ValueError:
            raise InvalidInput(
                f"Row {row}: '{name}' = {v!r} is not a date (YYYY-MM-DD or DD.MM.YYYY).",
                field=f"loans[{row}].{name}",
                rule="invalid-date",
            ) from None


def _months_between(a: date, b: date) -> int:
    """Whole months from a to b, counting a started month as a month."""
    m = (b.year - a.year) * 12 + (b.month - a.month)
    return m + (1 if b.day > a.day else 0)


def normalise_records(records: list[dict[str, Any]], as_of: date | None = None) -> list[dict[str, Any]]:
    """Convert import conveniences (dates, empty strings) into canonical records."""
    as_of = as_of or date.today()
    out = []
    for row, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise InvalidInput(f"Row {row} is not an object.", field=f"loans[{row}]", rule="not-an-object")
        r = {
            k.strip() if isinstance(k, str) else k: (None if isinstance(v, str) and v.strip() == "" else v)
            for k, v in rec.items()
        }
        fe = r.pop("fixation_end_date", None)
        if fe is not None:
            if r.get("fixation_months_left") is not None:
                raise InvalidInput(
                    f"Row {row}: give fixation_end_date or fixation_months_left, not both.",
                    field=f"loans[{row}].fixation_end_date",
                    rule="conflicting-fields",
                )
            end = _parse_date(fe, row, "fixation_end_date")
            months = _months_between(as_of, end)
            if months < 1:
                raise InvalidInput(
                    f"Row {row}: the fixation ended on {end} (before {as_of}).",
                    field=f"loans[{row}].fixation_end_date",
                    rule="fixation-in-past",
                )
            r["fixation_months_left"] = months
        vd = r.pop("dwelling_value_date", None)
        if vd is not None:
            if r.get("dwelling_value_age_months") is not None:
                raise InvalidInput(
                    f"Row {row}: give dwelling_value_date or dwelling_value_age_months, not both.",
                    field=f"loans[{row}].dwelling_value_date",
                    rule="conflicting-fields",
                )
            d = _parse_date(vd, row, "dwelling_value_date")
            if d > as_of:
                raise InvalidInput(
                    f"Row {row}: the valuation date {d} is after {as_of}.",
                    field=f"loans[{row}].dwelling_value_date",
                    rule="valuation-in-future",
                )
            r["dwelling_value_age_months"] = max(0, _months_between(d, as_of) - (1 if as_of.day < d.day else 0))
        out.append(r)
    return out


def parse_csv(data: str | bytes, as_of: date | None = None) -> list[dict[str, Any]]:
    """The loan records of a CSV file (``;``, ``,`` or tab); a file the csv module cannot read (a bare carriage
    return inside an unquoted field, say) is InvalidInput naming the line, never an unhandled error."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise LimitExceeded(f"The file is larger than {MAX_FILE_BYTES} bytes.", field="file", rule="max-file-size")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput("The CSV file is empty.", field="file", rule="empty-portfolio")
    header = lines[0]
    delim = ";" if header.count(";") > header.count(",") else ("\t" if "\t" in header else ",")
    reader = csv.DictReader(_io.StringIO(text), delimiter=delim)
    try:
        records = _csv_records(reader)
    except csv.Error:
        raise InvalidInput(
            f"Line {reader.line_num + 1}: the loan file is not readable CSV (a line break inside a field that is not "
            "quoted). Quote such a field or remove the line break.",
            field="file",
            rule="csv-format",
        ) from None
    return normalise_records(records, as_of)


def _csv_records(reader: csv.DictReader[str]) -> list[dict[str, Any]]:
    fieldnames = [f.strip() for f in (reader.fieldnames or [])]
    allowed = set(FIELDS) | set(DATE_FIELDS)
    unknown = [f for f in fieldnames if f not in allowed]
    if unknown:
        raise InvalidInput(
            f"Unknown column(s): {', '.join(unknown)}. Known columns: {', '.join(sorted(allowed))}.",
            field=f"columns.{unknown[0]}",
            rule="unknown-column",
        )
    records: list[dict[str, Any]] = []
    for row, raw in enumerate(reader):
        if None in raw:
            raise InvalidInput(f"Row {row}: more values than columns.", field=f"loans[{row}]", rule="too-many-values")
        if all(v is None or str(v).strip() == "" for v in raw.values()):
            continue
        records.append({k.strip(): v for k, v in raw.items()})
        if len(records) > MAX_LOANS:
            raise LimitExceeded(f"More than {MAX_LOANS} loans.", field="loans", rule="max-loans")
    return records


def parse_json(data: str | bytes | list[Any] | dict[str, Any], as_of: date | None = None) -> list[dict[str, Any]]:
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise InvalidInput(f"Invalid JSON: {e.msg} (line {e.lineno}).", field="file", rule="invalid-json") from None
    loans = data.get("loans") if isinstance(data, dict) else data
    if not isinstance(loans, list):
        raise InvalidInput("Expected a list of loans or an object with 'loans'.", field="loans", rule="not-a-list")
    return normalise_records(loans, as_of)


def load_portfolio_file(path: str | Path, as_of: date | None = None) -> Portfolio:
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"No such file: {p}", field="portfolio", rule="file-not-found")
    raw = p.read_bytes()
    records = parse_json(raw, as_of) if p.suffix.lower() == ".json" else parse_csv(raw, as_of)
    return portfolio_from_records(records)


def to_csv(portfolio: Portfolio, delimiter: str = ",") -> str:
    buf = _io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(FIELDS), delimiter=delimiter, lineterminator="\n")
    w.writeheader()
    for rec in portfolio.to_records():
        w.writerow({k: ("" if v is None else v) for k, v in rec.items()})
    return buf.getvalue()
