"""The one writer of tabular exports (CSV and XLSX): every table a user downloads goes through here.

A table is described by its columns — key, bokmål header, English header, kind — and holds either rows (sequences
in column order, or mappings by key) or whole column arrays (lists or NumPy arrays, by key). Nothing here knows
about HTTP or the domain.

* :func:`to_csv` → bytes. ``excel=True`` (Excel-ready, the default): ``;`` separator, UTF-8 with BOM, CRLF line
  ends, decimal comma when ``lang="nb"``. ``excel=False``: ``,`` separator, UTF-8 without BOM, decimal point.
  ``header="label"`` writes the bokmål or English headers; ``header="key"`` the machine keys.
* :func:`to_xlsx` → bytes (XlsxWriter): one sheet per table, a bold header row, frozen panes, an autofilter,
  sensible widths, numbers as real numeric cells (percent and date cells with a number format).

Formula injection (OWASP "CSV injection")
    Every **text** cell whose first character is ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
    with a leading ``'`` so that no spreadsheet evaluates it (``=HYPERLINK(…)`` → ``'=HYPERLINK(…)``), in CSV and
    XLSX alike; quotes inside a cell are doubled by the CSV quoting. Numbers of the numeric kinds stay numbers: a
    negative amount is ``-1500`` in CSV and a numeric cell in XLSX. A value in a numeric column that is not a
    number is treated as text (and neutralised).

Kinds
    ``text``; ``int`` (rounded half away from zero); ``float`` (``decimals`` or up to 10 significant digits);
    ``percent`` (a fraction: 0.25 is 25 %); ``date`` (``date``/``datetime`` or an ISO string; ``DD.MM.YYYY``
    in bokmål CSV, ``YYYY-MM-DD`` otherwise); ``bool`` (ja/nei, yes/no). A text column may carry ``labels``: the
    bokmål and English words for its coded values (``"grant" → ("tilskudd", "grant")``).
    Empty: ``None``, NaN, or an empty string.
"""

from __future__ import annotations

import io
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO, Literal

import numpy as np

Lang = Literal["nb", "en"]
Kind = Literal["text", "int", "float", "percent", "date", "bool"]
KINDS: tuple[str, ...] = ("text", "int", "float", "percent", "date", "bool")

#: First characters that make a spreadsheet read a cell as a formula (OWASP), neutralised with a leading ``'``.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_BOOL_WORDS: dict[str, tuple[str, str]] = {"nb": ("ja", "nei"), "en": ("yes", "no")}
_MAX_SHEET_NAME = 31
_INVALID_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    key: str
    nb: str
    en: str
    kind: Kind = "text"
    decimals: int | None = None
    labels: Mapping[str, tuple[str, str]] | None = None  # coded text value -> (bokmål, English)
    width: int | None = None  # XLSX column width in characters (default: from the header and the first rows)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind must be one of {', '.join(KINDS)}; got {self.kind!r}")

    def header(self, lang: Lang) -> str:
        return self.nb if lang == "nb" else self.en


@dataclass
class Table:
    """Columns and either ``rows`` or ``data`` (column arrays by key, all of one length)."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[Any] | Mapping[str, Any]] | None = None
    data: Mapping[str, Sequence[Any] | np.ndarray] | None = None
    name_nb: str = "Ark1"
    name_en: str = "Sheet1"
    _cols: list[list[Any]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if (self.rows is None) == (self.data is None):
            raise ValueError("a table has either rows or column data")
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError("column keys must be unique")
        if self.data is not None:
            missing = [k for k in keys if k not in self.data]
            if missing:
                raise ValueError(f"no data for column(s) {', '.join(missing)}")
            lengths = {len(self.data[k]) for k in keys}
            if len(lengths) > 1:
                raise ValueError("column arrays differ in length")

    def name(self, lang: Lang) -> str:
        return self.name_nb if lang == "nb" else self.name_en

    def __len__(self) -> int:
        if self.data is not None:
            return len(self.data[self.columns[0].key]) if self.columns else 0
        return len(self.rows or ())

    def column_values(self, k: int) -> Sequence[Any] | np.ndarray:
        """The values of column ``k`` (from the arrays, or gathered from the rows once)."""
        col = self.columns[k]
        if self.data is not None:
            return self.data[col.key]
        if self._cols is None:
            rows = self.rows or ()
            cols: list[list[Any]] = [[] for _ in self.columns]
            keys = [c.key for c in self.columns]
            for r in rows:
                if isinstance(r, Mapping):
                    for lst, key in zip(cols, keys, strict=True):
                        lst.append(r.get(key))
                else:
                    if len(r) != len(keys):
                        raise ValueError(f"a row has {len(r)} values for {len(keys)} columns")
                    for lst, v in zip(cols, r, strict=True):
                        lst.append(v)
            self._cols = cols
        return self._cols[k]


# --------------------------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """``'=1+1'`` → ``"'=1+1"``; text that no spreadsheet would evaluate is returned as it is."""
    return "'" + text if text and text[0] in FORMULA_TRIGGERS else text


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v == "")


def _number(v: Any) -> float | None:
    """A real number (not a bool, not text), else None."""
    if isinstance(v, bool | np.bool_):
        return None
    if isinstance(v, int | float | np.integer | np.floating):
        x = float(v)
        return x if math.isfinite(x) else None
    return None


def _round_half_away(x: float) -> int:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _fmt_float(x: float, decimals: int | None, comma: bool) -> str:
    s = f"{x:.{decimals}f}" if decimals is not None else f"{x:.10g}"
    if "e" in s:  # never scientific notation in a spreadsheet cell
        s = f"{x:.{decimals if decimals is not None else 6}f}"
    return s.replace(".", ",") if comma else s


def _as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, np.datetime64):
        return date.fromisoformat(str(v.astype("datetime64[D]")))
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            return None
    return None


def _text(col: Column, v: Any, lang: Lang) -> str:
    s = str(v)
    if col.labels is not None and s in col.labels:
        s = col.labels[s][0 if lang == "nb" else 1]
    return neutralise(s)


def _csv_cell(col: Column, v: Any, lang: Lang, comma: bool, excel: bool = True) -> str:
    if _missing(v):
        return ""
    kind = col.kind
    if kind == "text":
        return _text(col, v, lang)
    if kind == "bool":
        if isinstance(v, bool | np.bool_) or v in (0, 1):
            yes, no = _BOOL_WORDS[lang]
            return yes if bool(v) else no
        return _text(col, v, lang)
    if kind == "date":
        d = _as_date(v)
        if d is None:
            return _text(col, v, lang)
        return d.strftime("%d.%m.%Y") if comma else d.isoformat()
    x = _number(v)
    if x is None:
        return "" if isinstance(v, float | np.floating) else _text(col, v, lang)  # NaN/inf: empty
    if kind == "int":
        return str(_round_half_away(x))
    if kind == "percent":
        return _fmt_float(x * 100, col.decimals, comma) + " %" if excel else _fmt_float(x, None, False)
    return _fmt_float(x, col.decimals, comma)


def _triggers() -> Any:
    import pyarrow as pa

    return pa.array(list(FORMULA_TRIGGERS), pa.string())


_TRIGGERS = _triggers()
_PIECE_ROWS = 100_000  # rows formatted at a time (bounded memory for a million rows)


def _quote(strings: Any, delimiter: str) -> Any:
    """CSV quoting where needed (the separator, a quote or a line break in the cell), array-wise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    need = None
    for ch in (delimiter, '"', "\n", "\r"):  # literal searches: faster than one regex
        hit = pc.match_substring(strings, ch)
        need = hit if need is None else pc.or_(need, hit)
    if not pc.any(need).as_py():
        return strings
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(strings, '"', '""'), '"', "")
    return pc.if_else(need, quoted, strings).cast(pa.string())


def _text_strings(values: Sequence[Any] | np.ndarray, delimiter: str) -> Any:
    """Text cells as an Arrow string array: empty for None, neutralised, quoted where needed."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray) and pa.types.is_string(values.dictionary.type):
        return _neutral_quoted(values.dictionary.fill_null(""), delimiter).take(values.indices).fill_null("")
    if isinstance(values, pa.Array) and pa.types.is_string(values.type):
        arr = values
    else:
        if isinstance(values, np.ndarray):
            values = values.tolist()
        try:
            arr = pa.array(values, pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if _missing(v) else str(v) for v in values], pa.string())
    arr = arr.fill_null("")
    if delimiter in (";", ",", "\t") and _plain_cells(arr, delimiter):
        return arr
    if len(arr) > 1000:  # few distinct values (areas …): once each; a sample tells whether it is worth it
        probe = arr.slice(0, 2000).dictionary_encode()
        if len(probe.dictionary) * 4 < len(probe):
            enc = arr.dictionary_encode()
            if len(enc.dictionary) * 4 < len(arr):
                return _neutral_quoted(enc.dictionary, delimiter).take(enc.indices)
    return _neutral_quoted(arr, delimiter)


def _plain_cells(arr: Any, delimiter: str) -> bool:
    """Whether no cell of the string array ``arr`` (without nulls) starts with a formula trigger or holds the
    separator, a quote or a line break: then it is written as it is. Read from the array's bytes in two NumPy
    passes (the triggers and the structural characters are ASCII: in UTF-8 no other character has such a byte)."""
    n = len(arr)
    if n == 0 or arr.null_count:
        return n == 0
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + n + 1]
    if data_buf is None or offsets[-1] == offsets[0]:
        return True
    data = np.frombuffer(data_buf, dtype=np.uint8)
    starts = offsets[:-1][offsets[1:] > offsets[:-1]]
    if _TRIGGER_BYTES[data[starts]].any():
        return False
    return not _STRUCTURAL_BYTES[ord(delimiter)][data[offsets[0] : offsets[-1]]].any()


def _byte_table(chars: Iterable[str]) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[ord(c) for c in chars]] = True
    return table


_TRIGGER_BYTES = _byte_table(FORMULA_TRIGGERS)
_STRUCTURAL_BYTES = {ord(d): _byte_table((d, '"', "\n", "\r")) for d in (";", ",", "\t")}


def _neutral_quoted(arr: Any, delimiter: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(arr.type) and delimiter in (";", ",", "\t") and _plain_cells(arr, delimiter):
        return arr
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    risky = pc.is_in(first, value_set=_TRIGGERS)
    if pc.any(risky).as_py():
        arr = pc.if_else(risky, pc.binary_join_element_wise("'", arr, ""), arr)
    return _quote(arr, delimiter)


#: Integer columns spanning at most this many values are formatted through a table of their strings (a take is
#: cheaper than formatting every cell: sizes, years, ranks and the many repeated amounts).
_INT_TABLE_SPAN = 1 << 16


def _int_strings(ints: np.ndarray, empty: np.ndarray | None) -> Any:
    """Whole numbers as decimal strings (``-1500``), an empty cell where ``empty``; as an Arrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = ints if empty is None else ints[~empty]
    if len(valid) == 0:
        return pa.array([""] * len(ints), pa.string())
    lo, hi = int(valid.min()), int(valid.max())
    span = hi - lo + 1
    if span <= _INT_TABLE_SPAN and span <= len(ints):
        numbers = pc.cast(pa.array(np.arange(lo, hi + 1, dtype=np.int64)), pa.string())
        table = pa.concat_arrays([numbers, pa.array([""], pa.string())])  # the last entry: an empty cell
        index = ints - lo
        if empty is not None:
            index[empty] = span
        return table.take(pa.array(index))
    return pc.cast(pa.array(ints, mask=empty), pa.string()).fill_null("")


def _dictionary_strings(col: Column, coded: Any, lang: Lang, comma: bool, excel: bool, delimiter: str) -> Any:
    """The cells of a dictionary-encoded column: each distinct value formatted once, taken by the indices (nulls
    empty), quoted only if a formatted value needs it."""
    import pyarrow as pa

    formatted = [_csv_cell(col, v, lang, comma, excel) for v in coded.dictionary.to_pylist()]
    strings = pa.array(formatted, pa.string()).take(coded.indices).fill_null("")
    if any(delimiter in c or '"' in c or "\n" in c or "\r" in c for c in formatted):
        return _quote(strings, delimiter)
    return strings


def _csv_column(
    col: Column, values: Sequence[Any] | np.ndarray, lang: Lang, comma: bool, excel: bool, delimiter: str
) -> Any:
    """One column formatted to CSV cells (already quoted where needed), as an Arrow string array.

    Array-wise where the values allow it (text, integers, whole NumPy columns); otherwise once per distinct value
    (booleans, dates, labels and most floats repeat), so a 100 000-row list costs a few array operations.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if col.kind == "text" and col.labels is None:
        return _text_strings(values, delimiter)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray):  # coded values (solutions, dates …): each distinct one formatted once
        return _dictionary_strings(col, values, lang, comma, excel, delimiter)
    if isinstance(values, pa.Array):
        values = values.to_pylist()
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf" and col.kind == "int":
        arr = values
        if arr.dtype.kind == "f":
            bad = ~np.isfinite(arr)
            whole = np.floor(arr)
            if np.array_equal(whole, arr, equal_nan=True):  # whole numbers already (rounded at the edge)
                rounded = arr
            else:
                with np.errstate(invalid="ignore"):
                    rounded = np.where(arr >= 0, np.floor(arr + 0.5), -np.floor(-arr + 0.5))
            if not bad.any():
                return _int_strings(rounded.astype(np.int64), None)
            return _int_strings(np.where(bad, 0, rounded).astype(np.int64), bad)
        return _int_strings(arr.astype(np.int64), None)
    if isinstance(values, np.ndarray) and values.dtype.kind == "b" and col.kind == "bool":
        yes, no = _BOOL_WORDS[lang]
        return pc.if_else(pa.array(values, pa.bool_()), yes, no)
    try:  # once per distinct value, array-wise around it
        enc = pa.array(values, from_pandas=True).dictionary_encode()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        enc = None
    if enc is not None and len(enc.dictionary) <= max(1000, len(enc) // 4):
        return _dictionary_strings(col, enc, lang, comma, excel, delimiter)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    memo: dict[Any, str] = {}
    out: list[str] = []
    append = out.append
    for v in values:
        try:
            cell = memo.get(v)
        except TypeError:  # unhashable: format it on its own
            append(_csv_cell(col, v, lang, comma, excel))
            continue
        if cell is None:
            cell = memo[v] = _csv_cell(col, v, lang, comma, excel)
        append(cell)
    strings = pa.array(out, pa.string())
    if any(delimiter in c or '"' in c or "\n" in c or "\r" in c for c in memo.values()):
        return _quote(strings, delimiter)
    return strings


def _join_lines(cols: list[Any], delimiter: str, eol: str) -> bytes:
    """Cells joined into lines, each ending with ``eol``, without a Python string per cell."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if not cols:
        return b""
    try:  # the fast writer, when no cell needed quotes (it refuses structural characters with quoting "none")
        out = io.BytesIO()
        table = pa.table({f"c{k}": c for k, c in enumerate(cols)})
        options = pacsv.WriteOptions(include_header=False, delimiter=delimiter, eol=eol, quoting_style="none")
        pacsv.write_csv(table, out, options)
        return out.getvalue()
    except pa.ArrowInvalid:
        pass
    lines = cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, delimiter)
    lines = pc.binary_join_element_wise(lines, pa.scalar("", pa.string()), eol)
    lines = pa.concat_arrays([lines]) if lines.offset else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[: len(lines) + 1]
    data = lines.buffers()[2]
    return bytes(data[int(offsets[0]) : int(offsets[-1])]) if data is not None else b""


def to_csv(table: Table, lang: Lang = "nb", excel: bool = True, header: Literal["label", "key"] = "label") -> bytes:
    """The table as CSV bytes (see the module docstring)."""
    out = io.BytesIO()
    write_csv(table, out, lang=lang, excel=excel, header=header)
    return out.getvalue()


def write_csv(
    table: Table, out: BinaryIO, lang: Lang = "nb", excel: bool = True, header: Literal["label", "key"] = "label"
) -> int:
    """:func:`to_csv` written to ``out`` piece by piece (a million rows never become one string); bytes written."""
    if lang not in ("nb", "en"):
        raise ValueError(f"lang must be 'nb' or 'en'; got {lang!r}")
    comma = excel and lang == "nb"
    delimiter = ";" if excel else ","
    eol = "\r\n" if excel else "\n"
    heads = [c.key if header == "key" else c.header(lang) for c in table.columns]
    first = ("\ufeff" if excel else "") + delimiter.join(_text_strings(heads, delimiter).to_pylist()) + eol
    written = out.write(first.encode("utf-8"))
    n = len(table)

    def piece(a: int, b: int) -> bytes:
        cols = [
            _csv_column(c, table.column_values(k)[a:b], lang, comma, excel, delimiter)
            for k, c in enumerate(table.columns)
        ]
        return _join_lines(cols, delimiter, eol)

    if n < _THREADED_ROWS or _THREADS < 2 or not table.columns:
        for a in range(0, n, _PIECE_ROWS):
            written += out.write(piece(a, min(n, a + _PIECE_ROWS)))
        return written
    # Pieces formatted on two threads (each cell is the same whatever the piece), written in order; at most two
    # pieces in memory besides the one being written.
    step = min(_THREADED_PIECE_ROWS, -(-n // _THREADS))
    table.column_values(0)  # a table of rows gathers its columns here, once, before the threads read them
    pending: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for a in range(0, n, step):
            if len(pending) == _THREADS:
                written += out.write(pending.popleft().result())
            pending.append(pool.submit(piece, a, min(n, a + step)))
        while pending:
            written += out.write(pending.popleft().result())
    return written


#: From this many rows the pieces of a CSV are formatted on ``_THREADS`` threads (Arrow's and NumPy's work
#: releases the GIL; the CSV writer releases it while it writes).
_THREADED_ROWS = 20_000
_THREADS = 2
#: Rows per piece on the threads (smaller than one at a time: two are formatted at once, bounded memory).
_THREADED_PIECE_ROWS = 50_000


# --------------------------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------------------------


def _sheet_names(tables: Sequence[Table], lang: Lang) -> list[str]:
    names: list[str] = []
    for k, t in enumerate(tables):
        base = (t.name(lang).translate(_INVALID_SHEET_CHARS).strip().strip("'") or f"Sheet{k + 1}")[:_MAX_SHEET_NAME]
        name, n = base, 2
        while name.casefold() in {x.casefold() for x in names}:
            suffix = f" ({n})"
            name = base[: _MAX_SHEET_NAME - len(suffix)] + suffix
            n += 1
        names.append(name)
    return names


_XLSX_PIECE = 10_000  # rows converted at a time; the workbook itself is written row by row (constant memory)


def _xlsx_cells(col: Column, values: Sequence[Any], lang: Lang) -> list[tuple[str, Any] | None]:
    """Each value as ``("n", number)``, ``("d", datetime)``, ``("s", text)`` or None (an empty cell)."""
    out: list[tuple[str, Any] | None] = []
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        if col.kind in ("int", "float", "percent"):
            x = _number(v)
            if x is not None:
                out.append(("n", float(_round_half_away(x)) if col.kind == "int" else x))
                continue
            if isinstance(v, float | np.floating):
                out.append(None)  # inf: empty
                continue
        elif col.kind == "date":
            d = _as_date(v)
            if d is not None:
                out.append(("d", datetime(d.year, d.month, d.day)))
                continue
        elif col.kind == "bool" and (isinstance(v, bool | np.bool_) or v in (0, 1)):
            yes, no = _BOOL_WORDS[lang]
            out.append(("s", yes if bool(v) else no))
            continue
        out.append(("s", _text(col, v, lang)))
    return out


def _plain(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        return list(values.tolist())
    if hasattr(values, "to_pylist"):  # an Arrow array
        return list(values.to_pylist())
    return list(values)


def to_xlsx(tables: Iterable[Table], lang: Lang = "nb") -> bytes:
    """The tables as one workbook, a sheet each (see the module docstring). Written row by row in XlsxWriter's
    constant-memory mode, so a sheet of a million households does not hold every cell in memory."""
    import tempfile

    import xlsxwriter  # a dependency of the project; imported here so CSV-only users never load it

    if lang not in ("nb", "en"):
        raise ValueError(f"lang must be 'nb' or 'en'; got {lang!r}")
    tables = list(tables)
    out = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="xlsx-") as tmp:
        wb = xlsxwriter.Workbook(
            out,
            {"constant_memory": True, "tmpdir": tmp, "strings_to_formulas": False, "strings_to_urls": False},
        )
        bold = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
        formats: dict[str, Any] = {
            "int": wb.add_format({"num_format": "#,##0"}),
            "float": wb.add_format({"num_format": "#,##0.0#"}),
            "percent": wb.add_format({"num_format": "0.0%"}),
            "date": wb.add_format({"num_format": "dd.mm.yyyy" if lang == "nb" else "yyyy-mm-dd"}),
        }
        for table, name in zip(tables, _sheet_names(tables, lang), strict=True):
            ws = wb.add_worksheet(name)
            n = len(table)
            cols = list(table.columns)
            fmts: list[Any] = []
            for col in cols:
                fmt = formats.get(col.kind)
                if col.kind == "float" and col.decimals is not None:
                    key = f"float{col.decimals}"
                    if key not in formats:
                        pattern = "#,##0" + ("." + "0" * col.decimals if col.decimals else "")
                        formats[key] = wb.add_format({"num_format": pattern})
                    fmt = formats[key]
                fmts.append(fmt)
            # Widths from the headers and the first 200 rows, set before any row is written.
            for j, col in enumerate(cols):
                head = col.header(lang)
                width = max(6, min(40, max((len(w) for w in head.split()), default=6) + 2))
                sample = _xlsx_cells(col, _plain(table.column_values(j)[:200]), lang)
                longest = 0
                for cell in sample:
                    if cell is None:
                        continue
                    kind, v = cell
                    longest = max(longest, 10 if kind == "d" else len(f"{v:,.0f}") + 3 if kind == "n" else len(v))
                ws.set_column(j, j, col.width or max(width, min(50, longest + 2)))
            ws.freeze_panes(1, 0)
            if cols:
                ws.autofilter(0, 0, max(n, 1), len(cols) - 1)
            for j, col in enumerate(cols):
                ws.write_string(0, j, neutralise(col.header(lang)), bold)
            for a in range(0, n, _XLSX_PIECE):
                b = min(n, a + _XLSX_PIECE)
                piece = [_xlsx_cells(col, _plain(table.column_values(j)[a:b]), lang) for j, col in enumerate(cols)]
                for i in range(b - a):
                    r = a + i + 1
                    for j, cells in enumerate(piece):
                        cell = cells[i]
                        if cell is None:
                            continue
                        kind, v = cell
                        if kind == "n":
                            ws.write_number(r, j, v, fmts[j])
                        elif kind == "d":
                            ws.write_datetime(r, j, v, fmts[j])
                        else:
                            ws.write_string(r, j, v)
        if not tables:
            wb.add_worksheet("Ark1" if lang == "nb" else "Sheet1")
        wb.close()
    return out.getvalue()


def key_value_table(
    items: Sequence[tuple[str, str, str, Any, Kind]], *, name_nb: str, name_en: str, lang: Lang
) -> Table:
    """A two-column table (what, value) from ``(key, bokmål label, English label, value, kind)`` items.

    Used for summaries: the value column is text in general, so each value is pre-formatted by its own kind
    except numbers, which stay numbers (XLSX numeric cells).
    """
    labels = [nb if lang == "nb" else en for _, nb, en, _, _ in items]
    values: list[Any] = []
    for _, _, _, v, kind in items:
        if kind == "bool" and isinstance(v, bool):
            yes, no = _BOOL_WORDS[lang]
            values.append(yes if v else no)
        elif kind == "date":
            d = _as_date(v)
            values.append(d.strftime("%d.%m.%Y") if d is not None and lang == "nb" else (d.isoformat() if d else v))
        else:
            values.append(v)
    return Table(
        columns=(
            Column("key", "nøkkel", "key"),
            Column("what", "hva", "what"),
            Column("value", "verdi", "value", "float"),  # numbers stay numeric cells; other values are text
        ),
        data={"key": [k for k, *_ in items], "what": labels, "value": values},
        name_nb=name_nb,
        name_en=name_en,
    )
