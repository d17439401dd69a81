"""Reading tenant registers and price tables: CSV (as Excel exports them in Norway) and Parquet, in chunks.

CSV
---
* **Encoding** is detected, not asked for: a UTF-16 byte-order mark means UTF-16 (Excel's "Unicode text"); else the
  whole file is checked as UTF-8 (with or without BOM) in 1 MiB blocks; if any block is not UTF-8 the file is read
  as **Windows-1252** (Excel's "CSV (semikolondelt)" on Norwegian Windows). Bytes that are valid in neither give a
  file-level error naming the byte offset.
* **Separator** is sniffed from the header line: ``;`` (the Norwegian norm), ``,`` or a tab — whichever occurs most
  outside quotes (``;`` wins a tie).
* **Decimal commas** are handled per value by :func:`parse_number`, not here.
* Rows are yielded in chunks (``chunk_rows``) with their **spreadsheet row number** (the header is row 1, the first
  household row 2), so a 200 MiB file never becomes one big list of Python strings.

Limits
------
A file larger than ``max_bytes`` (default :data:`MAX_FILE_BYTES`, the service's upload limit) is refused **before**
it is read, with a message naming the limit; so is a register with more than :data:`MAX_ROWS` rows (when the row
is reached). Both raise :class:`~loan_engine.errors.LimitExceeded`. An empty file or one without a header raises
:class:`~loan_engine.errors.InvalidInput`.

Parquet
-------
Recognised by its magic bytes (``PAR1``); read with pyarrow in record batches. Column types may be numbers or
strings; they go through the same per-value validation as CSV.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from loan_engine.errors import InvalidInput, LimitExceeded

MAX_FILE_BYTES = 200 * 1_048_576
MAX_ROWS = 1_000_000
DEFAULT_CHUNK_ROWS = 50_000
_BLOCK = 1 << 20

Source = bytes | Path | str


@dataclass
class TableChunk:
    """Up to ``chunk_rows`` rows: spreadsheet row numbers and the raw values per column, in header order."""

    rows: list[int]
    columns: list[list[Any]]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class TableReader:
    """A header and an iterator of chunks. ``format``/``encoding``/``delimiter`` describe what was detected."""

    header: list[str]
    chunks: Iterator[TableChunk]
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    size: int = 0
    position: Callable[[], int] = lambda: 0  # bytes consumed so far (approximate; for progress)


def human_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _open(source: Source) -> tuple[BinaryIO, int]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        return io.BytesIO(data), len(data)
    path = Path(source)
    try:
        size = os.stat(path).st_size
        return open(path, "rb"), size
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file.", field="file", rule="file-exists") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory, not a file.", field="file", rule="file-exists") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror}).", field="file", rule="file-readable") from None


def detect_encoding(stream: BinaryIO, what: str = "file") -> str:
    """``utf-16``, ``utf-8-sig`` or ``cp1252`` (see the module docstring). Rewinds the stream."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        while True:
            block = stream.read(_BLOCK)
            if not block:
                decoder.decode(b"", final=True)
                break
            decoder.decode(block)
            offset += len(block)
    except UnicodeDecodeError:
        stream.seek(0)
        return _check_cp1252(stream, what)
    stream.seek(0)
    return "utf-8-sig"


def _check_cp1252(stream: BinaryIO, what: str) -> str:
    offset = 0
    while True:
        block = stream.read(_BLOCK)
        if not block:
            break
        try:
            block.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"The {what} is neither UTF-8 nor Windows-1252 text (byte 0x{block[exc.start]:02x} at offset "
                f"{offset + exc.start}). Save it from Excel as 'CSV UTF-8' or 'CSV (semikolondelt)', or as Parquet.",
                field=what,
                rule="encoding-utf8-or-windows-1252",
            ) from None
        offset += len(block)
    stream.seek(0)
    return "cp1252"


def sniff_delimiter(header_line: str) -> str:
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0:
        return ";"
    for d in (";", "\t", ","):
        if counts[d] == best:
            return d
    return ";"  # pragma: no cover


def _check_size(size: int, max_bytes: int, what: str) -> None:
    if size > max_bytes:
        raise LimitExceeded(
            f"The {what} is {human_bytes(size)}; the limit is {human_bytes(max_bytes)} ({max_bytes} bytes). "
            "Split the register (for example by area) and screen the parts separately.",
            field=what,
            rule=f"max-file-bytes-{max_bytes}",
        )


def open_table(
    source: Source,
    *,
    what: str = "register",
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> TableReader:
    """Open a CSV or Parquet table for chunked reading (format detected from the content)."""
    stream, size = _open(source)
    try:
        _check_size(size, max_bytes, what)
        if size == 0:
            raise InvalidInput(f"The {what} file is empty.", field=what, rule="file-not-empty")
        magic = stream.read(4)
        stream.seek(0)
        if magic == b"PAR1":
            return _open_parquet(stream, what, max_rows, chunk_rows, size)
        return _open_csv(stream, what, max_rows, chunk_rows, size)
    except BaseException:
        stream.close()
        raise


def _tell(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _open_csv(stream: BinaryIO, what: str, max_rows: int, chunk_rows: int, size: int) -> TableReader:
    encoding = detect_encoding(stream, what)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    first = text.readline()
    header_row = 1
    while first and not first.strip().strip(";,\t"):
        first = text.readline()  # blank lines before the header
        header_row += 1
    if not first.strip():
        text.close()
        raise InvalidInput(
            f"The {what} file has no header line (it is empty or blank).", field=what, rule="file-not-empty"
        )
    delimiter = sniff_delimiter(first)
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter))]
    reader = csv.reader(text, delimiter=delimiter)
    names = header

    def chunks() -> Iterator[TableChunk]:
        try:
            rows: list[int] = []
            width = len(names)
            lists: list[list[Any]] = [[] for _ in range(width)]
            count = 0
            line_no = header_row
            for record in reader:
                line_no += 1  # spreadsheet row: one per record, blank ones included
                if not record or all(not v.strip() for v in record):
                    continue  # blank line
                count += 1
                if count > max_rows:
                    raise LimitExceeded(
                        f"The {what} has more than {max_rows} rows; split it and screen the parts separately.",
                        field=what,
                        rule=f"max-rows-{max_rows}",
                    )
                rows.append(line_no)
                if len(record) < width:
                    record = record + [_MISSING_CELL] * (width - len(record))
                elif len(record) > width:
                    extra = record[width:]
                    record = record[:width]
                    if any(v.strip() for v in extra):
                        record[-1] = _TooManyCells(record[-1], len(extra))
                for lst, value in zip(lists, record, strict=True):
                    lst.append(value)
                if len(rows) >= chunk_rows:
                    yield TableChunk(rows, lists)
                    rows = []
                    lists = [[] for _ in range(width)]
            if rows:
                yield TableChunk(rows, lists)
        except UnicodeDecodeError as exc:  # pragma: no cover (checked before)
            raise InvalidInput(
                f"The {what} is not valid {encoding} text.", field=what, rule="encoding-utf8-or-windows-1252"
            ) from exc
        except csv.Error as exc:
            raise InvalidInput(f"The {what} is not readable CSV: {exc}.", field=what, rule="csv-format") from exc
        finally:
            text.close()

    label = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}[encoding]
    sep = {";": "semicolon", ",": "comma", "\t": "tab"}[delimiter]
    return TableReader(
        header=header,
        chunks=chunks(),
        format="csv",
        encoding=label,
        delimiter=sep,
        size=size,
        position=lambda: _tell(stream),
    )


class _MissingCell(str):
    """A cell that the row did not have at all (fewer separators than the header)."""


_MISSING_CELL = _MissingCell("")


class _TooManyCells(str):
    """The last cell of a row that had more (non-empty) cells than the header; ``extra`` counts them."""

    extra: int

    def __new__(cls, value: str, extra: int) -> _TooManyCells:
        obj = super().__new__(cls, value)
        obj.extra = extra
        return obj


def is_missing_cell(value: Any) -> bool:
    return isinstance(value, _MissingCell)


def extra_cells(value: Any) -> int:
    return value.extra if isinstance(value, _TooManyCells) else 0


def _open_parquet(stream: BinaryIO, what: str, max_rows: int, chunk_rows: int, size: int) -> TableReader:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(stream)
    except (pa.ArrowException, OSError, ValueError) as exc:
        stream.close()
        raise InvalidInput(
            f"The {what} looks like Parquet but cannot be read: {exc}.", field=what, rule="parquet-format"
        ) from None
    if pf.metadata.num_rows > max_rows:
        stream.close()
        raise LimitExceeded(
            f"The {what} has {pf.metadata.num_rows} rows; the limit is {max_rows}. Split it and screen the parts.",
            field=what,
            rule=f"max-rows-{max_rows}",
        )
    header = [str(n).strip() for n in pf.schema_arrow.names]
    total_rows = max(1, pf.metadata.num_rows)
    done = [0]

    def chunks() -> Iterator[TableChunk]:
        start = 2
        try:
            for batch in pf.iter_batches(batch_size=chunk_rows):
                n = batch.num_rows
                cols = [batch.column(k).to_pylist() for k in range(batch.num_columns)]
                done[0] += n
                yield TableChunk(list(range(start, start + n)), cols)
                start += n
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InvalidInput(
                f"The {what} Parquet file is damaged: {exc}.", field=what, rule="parquet-format"
            ) from None
        finally:
            stream.close()

    return TableReader(
        header=header, chunks=chunks(), format="parquet", size=size, position=lambda: size * done[0] // total_rows
    )
