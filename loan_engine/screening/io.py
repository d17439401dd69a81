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

Two readers
-----------
:func:`open_columns` (the register) reads with pyarrow and yields whole Arrow columns (:class:`ColumnChunk`),
enforcing the limits while reading (rows at the limit + 1; Parquet row count, uncompressed and decoded sizes and
cell sizes from the metadata and the dictionaries before anything is expanded). :func:`open_table` (the price
table, and the row-by-row reference the columnar reader is tested against) yields Python lists per column.
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
#: Rows per chunk of the columnar reader: whole columns cost little per row, so chunks can be larger.
COLUMNAR_CHUNK_ROWS = 200_000
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


def _header_fields(line: str, delimiter: str, what: str) -> list[str]:
    """The header line's column names; a line the csv module cannot read (a bare carriage return in an unquoted
    name) is the same csv-format problem as a bad data line."""
    try:
        return [h.strip() for h in next(csv.reader([line], delimiter=delimiter))]
    except csv.Error as exc:
        raise InvalidInput(f"The {what} is not readable CSV: {exc}.", field=what, rule="csv-format") from None


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
    header = _header_fields(first, delimiter, what)
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


# --------------------------------------------------------------------------------------------------------------
# Columnar reading (the register): pyarrow's CSV and Parquet readers, whole columns as Arrow arrays
# --------------------------------------------------------------------------------------------------------------

#: Largest single cell accepted (bytes); no register cell is anywhere near it (ids ≤ 64, areas ≤ 100 characters).
MAX_CELL_BYTES = 4096
#: Bytes pyarrow parses at a time (one Arrow batch).
CSV_BLOCK_BYTES = 16 << 20
#: Largest decoded (decompressed) register accepted, bytes: a small compressed Parquet file may decode to far more.
MAX_DECODED_BYTES = 1 << 30


@dataclass
class ColumnChunk:
    """Up to ``chunk_rows`` rows as Arrow arrays, in header order.

    ``rows`` are spreadsheet row numbers (the header is row 1). CSV columns are strings; Parquet columns keep their
    stored type (strings as dictionary or plain strings). ``missing[k]`` marks the cells of column ``k`` that the
    row did not have at all (fewer separators than the header); ``extra`` counts non-empty cells beyond the header.
    """

    rows: Any  # npt.NDArray[np.int64]
    columns: list[Any]  # pa.Array
    missing: list[Any] | None = None  # per column: npt.NDArray[np.bool_] or None
    extra: Any = None  # npt.NDArray[np.int64] or None

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class ColumnReader:
    header: list[str]
    chunks: Iterator[ColumnChunk]
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    size: int = 0
    position: Callable[[], int] = lambda: 0


def _row_limit(what: str, max_rows: int) -> LimitExceeded:
    return LimitExceeded(
        f"The {what} has more than {max_rows} rows (the limit is {max_rows}); split it and screen the parts "
        "separately.",
        field=what,
        rule=f"max-rows-{max_rows}",
    )


def _cell_limit(what: str, column: str, size: int) -> LimitExceeded:
    return LimitExceeded(
        f"The {what}'s column '{column[:100]}' has a cell of {human_bytes(size)}; a cell may be at most "
        f"{MAX_CELL_BYTES} bytes. This is not a tenant register.",
        field=f"{what}.{column[:100]}",
        rule=f"max-cell-bytes-{MAX_CELL_BYTES}",
    )


def _decoded_limit(what: str, size: int, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"The {what} decodes to {human_bytes(size)} or more; the limit is {human_bytes(limit)} ({limit} bytes). "
        "Split the register and screen the parts separately.",
        field=what,
        rule=f"max-decoded-bytes-{limit}",
    )


def open_columns(
    source: Source,
    *,
    what: str = "register",
    max_bytes: int = MAX_FILE_BYTES,
    max_rows: int = MAX_ROWS,
    chunk_rows: int = COLUMNAR_CHUNK_ROWS,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> ColumnReader:
    """Open a CSV or Parquet register for columnar reading (format detected from the content).

    Limits are enforced while reading, never after: the file size before anything is read; for Parquet the row
    count and the uncompressed sizes from the file's metadata before any data page, then every dictionary's
    values before it is expanded (a 1 MB string repeated in 2 000 rows is refused without building 2 GB); for CSV
    the row count at the row limit + 1.
    """
    stream, size = _open(source)
    try:
        _check_size(size, max_bytes, what)
        if size == 0:
            raise InvalidInput(f"The {what} file is empty.", field=what, rule="file-not-empty")
        magic = stream.read(4)
        stream.seek(0)
        if magic == b"PAR1":
            return _columns_parquet(stream, what, max_rows, chunk_rows, size, max_decoded_bytes)
        return _columns_csv(stream, what, max_rows, chunk_rows, size)
    except BaseException:
        stream.close()
        raise


def _header_offset(data: bytes, pos: int = 0) -> tuple[int, int, str]:
    """(byte offset after the header line, its spreadsheet row, the header line) of UTF-8 ``data`` from ``pos``."""
    row = 1
    while True:
        end = data.find(b"\n", pos)
        line = data[pos:] if end < 0 else data[pos : end + 1]
        text = line.decode("utf-8")
        if text.strip().strip(";,\t") or end < 0:
            return (len(data) if end < 0 else end + 1), row, text
        pos = end + 1
        row += 1


def _columns_csv(stream: BinaryIO, what: str, max_rows: int, chunk_rows: int, size: int) -> ColumnReader:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    raw = stream.getvalue() if isinstance(stream, io.BytesIO) else stream.read()  # BytesIO: the caller's bytes
    # ASCII bytes are UTF-8 (and carry no byte-order mark): no decoding needed to tell; else the checks.
    encoding = "utf-8-sig" if raw.isascii() else detect_encoding(stream, what)
    stream.close()
    start = 0
    if encoding == "utf-8-sig":
        data = raw
        start = 3 if raw.startswith(codecs.BOM_UTF8) else 0
    else:  # Windows-1252 or UTF-16 (checked above): to UTF-8 once, for pyarrow
        data = raw.decode(encoding).encode("utf-8")
    del raw
    offset, header_row, first = _header_offset(data, start)
    if not first.strip():
        raise InvalidInput(
            f"The {what} file has no header line (it is empty or blank).", field=what, rule="file-not-empty"
        )
    delimiter = sniff_delimiter(first)
    header = _header_fields(first.rstrip("\r\n"), delimiter, what)
    width = len(header)
    names = [f"c{k}" for k in range(width)]
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: Any) -> str:
        invalid.append((int(row.number) if row.number is not None else -1, str(row.text)))
        return "skip"

    body = pa.py_buffer(data)[offset:]
    progress = [0]
    lines: list[int] = []  # records, roughly: for the progress of the reading (counted when first asked for)

    def position() -> int:
        if not lines:
            lines.append(max(1, data.count(b"\n", offset)))
        return size * min(progress[0], lines[0]) // lines[0]

    def chunks() -> Iterator[ColumnChunk]:
        if not body.size or (body.size < 65536 and not bytes(body).strip()):
            return
        try:
            reader = pacsv.open_csv(
                pa.BufferReader(body),
                read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=CSV_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            raise InvalidInput(f"The {what} is not readable CSV: {exc}.", field=what, rule="csv-format") from None
        valid_seen = 0  # valid (parsed) rows so far, blank ones included
        counted = 0  # non-blank records so far
        assigned = 0  # entries of ``invalid`` taken into ``pending``
        pending: list[tuple[int, str]] = []
        held: tuple[list[Any], Any, int, list[tuple[int, str]]] | None = None
        buffer = _Rechunk(chunk_rows)
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    batch = None
                n = 0 if batch is None else batch.num_rows
                # Spreadsheet rows of the valid rows: their position among all records, skipping invalid ones.
                bad_numbers = np.array(sorted(x for x, _ in invalid), dtype=np.int64)
                p = np.arange(valid_seen + 1, valid_seen + n + 1, dtype=np.int64)
                if bad_numbers.size:
                    before = bad_numbers - 1 - np.arange(bad_numbers.size, dtype=np.int64)
                    p = p + np.searchsorted(before, p, side="left")
                valid_seen += n
                progress[0] = valid_seen
                pending.extend(invalid[assigned:])
                assigned = len(invalid)
                pending.sort()
                if batch is not None and n == 0:
                    continue
                # A batch's chunk is built when the next batch has been read: the rows with too few/many cells
                # that lie between the two (reported late) then still join the chunk they belong to.
                if held is not None:
                    if batch is None:
                        extra, pending = pending, []
                    else:
                        first = int(p[0])
                        extra = [r for r in pending if r[0] < first]
                        pending = pending[len(extra) :]
                    h_cols, h_p, h_n, h_take = held
                    held = None
                    chunk = _csv_chunk(h_cols, h_p + header_row, h_take + extra, header_row, width, delimiter, h_n)
                    if chunk is not None and len(chunk):
                        counted += len(chunk)
                        if counted > max_rows:
                            raise _row_limit(what, max_rows)
                        yield from buffer.add(chunk)
                if batch is None:
                    chunk = _csv_chunk([], p, pending, header_row, width, delimiter, 0) if pending else None
                    if chunk is not None and len(chunk):
                        counted += len(chunk)
                        if counted > max_rows:
                            raise _row_limit(what, max_rows)
                        yield from buffer.add(chunk)
                    yield from buffer.flush()
                    break
                last = int(p[-1])
                take = [r for r in pending if r[0] <= last]
                pending = pending[len(take) :]
                cols: list[Any] = [batch.column(k) for k in range(width)]
                held = (cols, p, n, take)
                if counted + n + len(take) > max_rows:  # perhaps over the limit: count it now, not a batch later
                    probe = _csv_chunk(cols, p + header_row, take, header_row, width, delimiter, n)
                    if probe is not None and counted + len(probe) > max_rows:
                        raise _row_limit(what, max_rows)
        except pa.ArrowInvalid as exc:
            raise InvalidInput(f"The {what} is not readable CSV: {exc}.", field=what, rule="csv-format") from None

    label = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "utf-16": "UTF-16"}[encoding]
    sep = {";": "semicolon", ",": "comma", "\t": "tab"}[delimiter]
    return ColumnReader(
        header=header,
        chunks=chunks(),
        format="csv",
        encoding=label,
        delimiter=sep,
        size=size,
        position=position,
    )


class _Rechunk:
    """Pieces of any size in, chunks of exactly ``chunk_rows`` rows out (the last one smaller), in order."""

    def __init__(self, chunk_rows: int) -> None:
        self.chunk_rows = chunk_rows
        self.parts: list[ColumnChunk] = []
        self.rows = 0

    def add(self, chunk: ColumnChunk) -> Iterator[ColumnChunk]:
        self.parts.append(chunk)
        self.rows += len(chunk)
        if self.rows >= self.chunk_rows:
            whole = _concat_chunks(self.parts)
            cut = (self.rows // self.chunk_rows) * self.chunk_rows
            yield from _split(_slice(whole, 0, cut), self.chunk_rows)
            rest = _slice(whole, cut, self.rows)
            self.parts = [rest] if len(rest) else []
            self.rows = len(rest)

    def flush(self) -> Iterator[ColumnChunk]:
        if self.parts:
            yield from _split(_concat_chunks(self.parts), self.chunk_rows)
        self.parts, self.rows = [], 0


def _slice(chunk: ColumnChunk, a: int, b: int) -> ColumnChunk:
    return ColumnChunk(
        rows=chunk.rows[a:b],
        columns=[c.slice(a, b - a) for c in chunk.columns],
        missing=None if chunk.missing is None else [None if m is None else m[a:b] for m in chunk.missing],
        extra=None if chunk.extra is None else chunk.extra[a:b],
    )


def _concat_chunks(parts: list[ColumnChunk]) -> ColumnChunk:
    import numpy as np
    import pyarrow as pa

    if len(parts) == 1:
        return parts[0]
    width = len(parts[0].columns)
    missing: list[Any] | None = None
    if any(p.missing is not None for p in parts):
        missing = []
        for k in range(width):
            ms = [
                p.missing[k] if p.missing is not None and p.missing[k] is not None else np.zeros(len(p), dtype=bool)
                for p in parts
            ]
            m = np.concatenate(ms)
            missing.append(m if m.any() else None)
    extra = None
    if any(p.extra is not None for p in parts):
        extra = np.concatenate([p.extra if p.extra is not None else np.zeros(len(p), dtype=np.int64) for p in parts])
    return ColumnChunk(
        rows=np.concatenate([p.rows for p in parts]),
        columns=[pa.concat_arrays([p.columns[k] for p in parts]) for k in range(width)],
        missing=missing,
        extra=extra,
    )


def _split(chunk: ColumnChunk, chunk_rows: int) -> Iterator[ColumnChunk]:
    n = len(chunk)
    if n <= chunk_rows:
        yield chunk
        return
    for a in range(0, n, chunk_rows):
        b = min(n, a + chunk_rows)
        yield ColumnChunk(
            rows=chunk.rows[a:b],
            columns=[c.slice(a, b - a) for c in chunk.columns],
            missing=None if chunk.missing is None else [None if m is None else m[a:b] for m in chunk.missing],
            extra=None if chunk.extra is None else chunk.extra[a:b],
        )


def _no_blank_cell(arr: Any) -> bool:
    """Whether, by its bytes, every cell of the string array ``arr`` starts with a printable ASCII character other
    than the space (so none is empty or only whitespace); False when that cannot be told so cheaply."""
    import numpy as np
    import pyarrow as pa

    n = len(arr)
    if not pa.types.is_string(arr.type) or arr.null_count or n == 0:
        return False
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + n + 1]
    if data_buf is None or not bool((offsets[1:] > offsets[:-1]).all()):
        return False
    first = np.frombuffer(data_buf, dtype=np.uint8)[offsets[:-1]]
    return bool(((first > 0x20) & (first < 0x7F)).all())


def _csv_chunk(
    cols: list[Any],
    rows: Any,
    invalid: list[tuple[int, str]],
    header_row: int,
    width: int,
    delimiter: str,
    n: int,
) -> ColumnChunk | None:
    """Valid rows of a batch plus the rows with too few/many cells, in row order, blank rows dropped."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    extra_rows: list[list[str]] = []
    extra_numbers: list[int] = []
    extra_missing: list[list[bool]] = []
    extra_count: list[int] = []
    for number, text in invalid:
        try:
            record = next(csv.reader([text], delimiter=delimiter))
        except (csv.Error, StopIteration):
            record = [text]
        if not record or all(not v.strip() for v in record):
            continue
        missing = [False] * width
        count = 0
        if len(record) < width:
            missing[len(record) :] = [True] * (width - len(record))
            record = record + [""] * (width - len(record))
        elif len(record) > width:
            count = sum(1 for v in record[width:] if v.strip())
            record = record[:width]
        extra_rows.append(record)
        extra_numbers.append(number + header_row)
        extra_missing.append(missing)
        extra_count.append(count)
    if n == 0 and not extra_rows:
        return None
    if not cols:
        cols = [pa.array([], pa.string()) for _ in range(width)]
    # Blank rows (every cell empty or spaces) are skipped but keep their row number.
    if n:
        blank = np.ones(n, dtype=bool)
        for c in cols:
            if _no_blank_cell(c):
                blank[:] = False
                break
            blank &= np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(c)), 0), dtype=bool)
            if not blank.any():
                break
        if blank.any():
            keep = np.flatnonzero(~blank)
            idx = pa.array(keep)
            cols = [c.take(idx) for c in cols]
            rows = rows[keep]
            n = len(keep)
    if not extra_rows:
        return ColumnChunk(rows=rows, columns=list(cols))
    m = len(extra_rows)
    all_rows = np.concatenate([rows, np.asarray(extra_numbers, dtype=np.int64)])
    order = np.argsort(all_rows, kind="stable")
    take = pa.array(order)
    out_cols = []
    for k, c in enumerate(cols):
        merged = pa.concat_arrays([c.cast(pa.string()), pa.array([r[k] for r in extra_rows], pa.string())])
        out_cols.append(merged.take(take))
    missing_arr = np.zeros((width, n + m), dtype=bool)
    missing_arr[:, n:] = np.asarray(extra_missing, dtype=bool).T
    extra = np.zeros(n + m, dtype=np.int64)
    extra[n:] = extra_count
    return ColumnChunk(
        rows=all_rows[order],
        columns=out_cols,
        missing=[missing_arr[k][order] if missing_arr[k].any() else None for k in range(width)],
        extra=extra[order] if extra.any() else None,
    )


def _columns_parquet(
    stream: BinaryIO, what: str, max_rows: int, chunk_rows: int, size: int, max_decoded_bytes: int
) -> ColumnReader:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(stream)
        stream.seek(0)
        texty = [
            f.name
            for f in schema
            if pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or pa.types.is_binary(f.type)
            or pa.types.is_large_binary(f.type)
        ]
        pf = pq.ParquetFile(stream, read_dictionary=texty)
        md = pf.metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        stream.close()
        raise InvalidInput(
            f"The {what} looks like Parquet but cannot be read: {exc}.", field=what, rule="parquet-format"
        ) from None
    try:
        if md.num_rows > max_rows:
            raise LimitExceeded(
                f"The {what} has {md.num_rows} rows; the limit is {max_rows}. Split it and screen the parts.",
                field=what,
                rule=f"max-rows-{max_rows}",
            )
        uncompressed = 0
        for i in range(md.num_row_groups):
            rg = md.row_group(i)
            for j in range(rg.num_columns):
                col = rg.column(j)
                uncompressed += max(0, int(col.total_uncompressed_size or 0))
                stats = col.statistics
                if stats is not None and stats.has_min_max and col.physical_type == "BYTE_ARRAY":
                    for v in (stats.min, stats.max):
                        length = len(v) if isinstance(v, bytes | str) else 0
                        if length > MAX_CELL_BYTES:
                            raise _cell_limit(what, col.path_in_schema, length)
        if uncompressed > max_decoded_bytes:
            raise _decoded_limit(what, uncompressed, max_decoded_bytes)
    except BaseException:
        stream.close()
        raise
    header = [str(n).strip() for n in pf.schema_arrow.names]
    total_rows = max(1, md.num_rows)
    done = [0]

    def chunks() -> Iterator[ColumnChunk]:
        start = 2
        decoded = 0
        try:
            for batch in pf.iter_batches(batch_size=chunk_rows):
                n = batch.num_rows
                cols = []
                for k in range(batch.num_columns):
                    c = batch.column(k)
                    if pa.types.is_dictionary(c.type):
                        lengths = pc.binary_length(c.dictionary.cast(pa.binary()))
                        longest = pc.max(lengths).as_py() if len(lengths) else 0
                        if longest and longest > MAX_CELL_BYTES:
                            raise _cell_limit(what, header[k], int(longest))
                        # What the column would take decoded, computed from the indices before decoding.
                        decoded += int(np.asarray(lengths.fill_null(0))[np.asarray(c.indices.fill_null(0))].sum())
                        if decoded > max_decoded_bytes:
                            raise _decoded_limit(what, decoded, max_decoded_bytes)
                        c = c.dictionary_decode()
                    else:
                        decoded += c.nbytes
                        if decoded > max_decoded_bytes:
                            raise _decoded_limit(what, decoded, max_decoded_bytes)
                        if pa.types.is_string(c.type) or pa.types.is_large_string(c.type):
                            longest = pc.max(pc.binary_length(c)).as_py() if n else 0
                            if longest and longest > MAX_CELL_BYTES:
                                raise _cell_limit(what, header[k], int(longest))
                    if pa.types.is_binary(c.type) or pa.types.is_large_binary(c.type):
                        c = c.cast(pa.string(), safe=False)
                    cols.append(c)
                done[0] += n
                yield ColumnChunk(np.arange(start, start + n, dtype=np.int64), cols)
                start += n
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InvalidInput(
                f"The {what} Parquet file is damaged: {exc}.", field=what, rule="parquet-format"
            ) from None
        finally:
            stream.close()

    return ColumnReader(
        header=header, chunks=chunks(), format="parquet", size=size, position=lambda: size * done[0] // total_rows
    )
