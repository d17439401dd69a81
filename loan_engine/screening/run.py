"""One screening run end to end: read and validate the register and the price table, screen, rank, summarise.

Used by the CLI (``loan-engine screen``) and the API job (``POST /v1/screenings``). ``progress(done, total)`` is
called in per-mille of the whole run (reading ≈ 80 %, screening the rest); it may raise to stop the run (the API
job raises on cancellation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput
from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.engine import ScreeningOptions, ScreeningResult, screen, split_unpriced
from loan_engine.screening.io import (
    COLUMNAR_CHUNK_ROWS,
    MAX_DECODED_BYTES,
    MAX_FILE_BYTES,
    MAX_ROWS,
    Source,
    open_columns,
    open_table,
)
from loan_engine.screening.prices import (
    PriceTable,
    prices_from_records,
    read_prices,
    suitable_arrays,
    suitable_dwelling,
)
from loan_engine.screening.ranking import kommune_summary, records_from_columns, result_columns
from loan_engine.screening.register import Register, concat
from loan_engine.screening.validation import RegisterValidator, ValidationReport, validate_columns

Progress = Callable[[int, int], None]
PROGRESS_TOTAL = 1000
_READ_SHARE = 800


@dataclass
class ScreeningRun:
    """A finished run. ``columns`` is the ranked list as whole columns (what the exports write);
    ``records`` the same list as one dict per household, built only when asked for."""

    result: ScreeningResult
    report: ValidationReport
    price_report: ValidationReport
    columns: dict[str, Any]
    summary: dict[str, Any]
    source: dict[str, Any]
    _records: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def records(self) -> list[dict[str, Any]]:
        if self._records is None:
            self._records = records_from_columns(self.columns)
        return self._records

    def errors_document(self) -> dict[str, Any]:
        """Row errors of both files (the register's rows and the price table's, columns prefixed ``prices.``)."""
        return {"register": self.report.as_dict(), "prices": self.price_report.as_dict()}


def load_prices(prices: PriceTable | Source | list[dict[str, Any]], *, max_bytes: int = MAX_FILE_BYTES) -> PriceTable:
    if isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, list):
        return prices_from_records(prices)
    return read_prices(open_table(prices, what="prices", max_bytes=max_bytes))


def read_register(
    source: Source,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    chunk_rows: int = COLUMNAR_CHUNK_ROWS,
    progress: Progress | None = None,
    allow_unknown_columns: bool = False,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> tuple[Register, ValidationReport, dict[str, Any]]:
    """The register read column-wise (pyarrow) and validated whole columns at a time."""
    reader = open_columns(
        source,
        what="register",
        max_bytes=max_bytes,
        max_rows=max_rows,
        chunk_rows=chunk_rows,
        max_decoded_bytes=max_decoded_bytes,
    )
    try:
        validator = RegisterValidator(reader.header, allow_unknown_columns=allow_unknown_columns)
    except BaseException:
        close = getattr(reader.chunks, "close", None)
        if close is not None:
            close()
        raise
    parts = []
    for chunk in reader.chunks:
        parts.append(validate_columns(validator, chunk))
        if progress is not None and reader.size:
            progress(min(_READ_SHARE, _READ_SHARE * reader.position() // reader.size), PROGRESS_TOTAL)
    report = validator.report
    if report.rows_read == 0:
        raise InvalidInput(
            "The register has a header but no household rows.", field="register", rule="register-not-empty"
        )
    source_info = {
        "format": reader.format,
        "encoding": reader.encoding,
        "delimiter": reader.delimiter,
        "bytes": reader.size,
    }
    if report.ignored_columns:
        report.notes.append("Ignored columns: " + ", ".join(report.ignored_columns))
    return concat(parts), report, source_info


def _all_priced(reg: Register, table: PriceTable) -> bool:
    """Whether every household's area has a price for its suitable dwelling: once per distinct (area, size)."""
    if not len(reg):
        return True
    sizes = reg.size
    rooms, _ = suitable_arrays(sizes)
    encoded = reg.strings("area_key").dictionary_encode()
    area_code = np.asarray(encoded.indices, dtype=np.int64)
    keys = encoded.dictionary.to_pylist()
    width = int(rooms.max()) + 1
    present = np.flatnonzero(np.bincount(area_code * width + rooms, minlength=len(keys) * width))
    # A suitable size's m² for each number of rooms (whether there is a price depends only on the area and the
    # rooms; the m² only sizes the price): from the sizes present, not per household.
    m2_of = {r: a for r, a in (suitable_dwelling(int(s)) for s in np.flatnonzero(np.bincount(sizes)))}
    return all(table.lookup(keys[int(c) // width], int(c) % width, m2_of[int(c) % width]) is not None for c in present)


def run_screening(
    register: Source,
    prices: PriceTable | Source | list[dict[str, Any]],
    params: UnderwritingParameters,
    options: ScreeningOptions,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    chunk_rows: int = COLUMNAR_CHUNK_ROWS,
    progress: Progress | None = None,
    allow_unknown_columns: bool = False,
) -> ScreeningRun:
    options.validate()
    table = load_prices(prices, max_bytes=max_bytes)
    reg, report, source_info = read_register(
        register,
        max_bytes=max_bytes,
        max_rows=max_rows,
        chunk_rows=chunk_rows,
        progress=progress,
        allow_unknown_columns=allow_unknown_columns,
    )
    if not _all_priced(reg, table):
        reg = split_unpriced(reg, table, report)  # the households without a price, each with its row error

    def screening_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(_READ_SHARE + (PROGRESS_TOTAL - _READ_SHARE) * done // max(total, 1) - 1, PROGRESS_TOTAL)

    result = screen(reg, table, params, options, progress=screening_progress)
    columns = result_columns(result)
    summary = kommune_summary(result, report)
    summary["price_table"] = {"areas": len(table.areas), "row_errors": table.report.error_count}
    if progress is not None:
        progress(PROGRESS_TOTAL, PROGRESS_TOTAL)
    return ScreeningRun(
        result=result, report=report, price_report=table.report, columns=columns, summary=summary, source=source_info
    )
