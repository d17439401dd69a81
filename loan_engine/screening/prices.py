"""The local price level: what a suitable dwelling costs in each area, and what counts as suitable.

Price table (CSV or Parquet, read like the register: UTF-8/Windows-1252, ``;``/``,``, decimal comma; or JSON
through the API). One row per area **either** per square metre **or** per dwelling size; both kinds may be mixed:

====================  =====================================================================================
column                meaning
====================  =====================================================================================
``area``              Area key, matched case- and space-insensitively with the register's ``area`` [område, bydel]
``price_per_m2``      Purchase price per m², NOK (a per-m² row) [pris_per_m2, kvm_pris, kvadratmeterpris]
``rooms``             Number of rooms (``3`` = 3-roms: two bedrooms + living room) (a size row) [rom, antall_rom]
``price``             Purchase price of a typical dwelling of that size, NOK (a size row) [pris]
``monthly_costs``     Monthly running costs of such a dwelling (felleskostnader, kommunale avgifter,
                      maintenance), NOK [felleskostnader, månedlige_kostnader]; on a per-m² row it is per m²
``monthly_costs_per_m2``  Monthly running costs per m² (per-m² rows)
====================  =====================================================================================

Look-up for a household: a size row for the suitable number of rooms (else the smallest larger size listed for
the area); without size rows, ``price_per_m2 × suitable m²``. Running costs come from the same row (0 when the
table gives none — the screening then says so in its assumptions). Purchase price only: fellesgjeld of a
borettslag is not modelled here.

Suitable dwelling (:data:`SUITABLE_DWELLINGS`) — an **assumption of this screening** (status *not-confirmed*:
there is no national norm; the kommune may give its own table): by household size, rooms and m².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_engine.errors import InvalidInput
from loan_engine.screening.io import TableChunk, TableReader
from loan_engine.screening.register import area_key, canonical_column
from loan_engine.screening.validation import RowError, ValidationReport, parse_number

#: (household size, rooms, m²). Sizes above the last row use the last row plus :data:`EXTRA_M2_PER_PERSON`.
SUITABLE_DWELLINGS: tuple[tuple[int, int, float], ...] = (
    (1, 2, 40.0),
    (2, 3, 55.0),
    (3, 3, 65.0),
    (4, 4, 80.0),
    (5, 4, 90.0),
    (6, 5, 100.0),
)
EXTRA_M2_PER_PERSON = 10.0
SUITABLE_SOURCE = (
    "Screening assumption (not-confirmed): one bedroom per adult couple/single adult and per two children, "
    "rounded; no national norm was found. A kommune may supply its own table."
)

PRICE_ALIASES: dict[str, str] = {
    "område": "area",
    "omrade": "area",
    "bydel": "area",
    "pris_per_m2": "price_per_m2",
    "kvm_pris": "price_per_m2",
    "kvadratmeterpris": "price_per_m2",
    "price_per_sqm": "price_per_m2",
    "pris_per_kvm": "price_per_m2",
    "rom": "rooms",
    "antall_rom": "rooms",
    "pris": "price",
    "felleskostnader": "monthly_costs",
    "månedlige_kostnader": "monthly_costs",
    "manedlige_kostnader": "monthly_costs",
    "felleskostnader_per_m2": "monthly_costs_per_m2",
}
PRICE_COLUMNS = ("area", "price_per_m2", "rooms", "price", "monthly_costs", "monthly_costs_per_m2")

MIN_PRICE_PER_M2, MAX_PRICE_PER_M2 = 1_000.0, 500_000.0
MIN_PRICE, MAX_PRICE = 50_000.0, 200_000_000.0
MAX_ROOMS = 12
MAX_MONTHLY_COSTS = 200_000.0
MAX_PRICE_ROWS = 100_000


@dataclass
class AreaPrices:
    area: str
    per_m2: float | None = None
    costs_per_m2: float | None = None
    by_rooms: dict[int, tuple[float, float | None]] = field(default_factory=dict)  # rooms -> (price, monthly)


@dataclass
class PriceTable:
    areas: dict[str, AreaPrices]  # by area_key
    report: ValidationReport = field(default_factory=ValidationReport)

    def lookup(self, key: str, rooms: int, m2: float) -> tuple[float, float, str] | None:
        """(price, monthly running costs, basis) for a dwelling with ``rooms``/``m2`` in area ``key``."""
        ap = self.areas.get(key)
        if ap is None:
            return None
        sizes = sorted(r for r in ap.by_rooms if r >= rooms)
        if sizes:
            price, monthly = ap.by_rooms[sizes[0]]
            return price, monthly or 0.0, f"{sizes[0]}-roms"
        if ap.per_m2 is not None:
            return ap.per_m2 * m2, (ap.costs_per_m2 or 0.0) * m2, f"{m2:g} m²"
        return None


def suitable_dwelling(size: int) -> tuple[int, float]:
    """(rooms, m²) of a suitable dwelling for a household of ``size`` persons."""
    last = SUITABLE_DWELLINGS[-1]
    if size >= last[0]:
        return last[1], last[2] + EXTRA_M2_PER_PERSON * (size - last[0])
    for persons, rooms, m2 in SUITABLE_DWELLINGS:
        if size <= persons:
            return rooms, m2
    return last[1], last[2]  # pragma: no cover


def suitable_arrays(sizes: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    top = int(sizes.max()) if sizes.size else 1
    table = [suitable_dwelling(s) for s in range(top + 1)]
    rooms = np.array([r for r, _ in table], dtype=np.int64)
    m2 = np.array([a for _, a in table], dtype=np.float64)
    return rooms[sizes], m2[sizes]


def _canon(name: str) -> str:
    c = canonical_column(name)
    return PRICE_ALIASES.get(c, c)


def read_prices(reader: TableReader) -> PriceTable:
    """Validate a price table; bad rows become row errors (``column`` prefixed ``prices.``), good rows are used."""
    report = ValidationReport()
    pos: dict[str, int] = {}
    for k, raw in enumerate(reader.header):
        c = _canon(raw)
        if c in PRICE_COLUMNS and c not in pos:
            pos[c] = k
        elif c:
            report.ignored_columns.append(raw.replace("\x00", "\\x00")[:100])
    if "area" not in pos or not ({"price_per_m2"} <= pos.keys() or {"rooms", "price"} <= pos.keys()):
        raise InvalidInput(
            "The price table needs an 'area' column and either 'price_per_m2' or 'rooms' + 'price'. Found: "
            f"{', '.join(h for h in reader.header if h) or 'no column names'}.",
            field="prices.columns",
            rule="price-columns-required",
        )
    table = PriceTable(areas={}, report=report)
    for chunk in reader.chunks:
        _read_chunk(chunk, pos, table)
    if not table.areas:
        raise InvalidInput(
            "The price table has no usable row"
            + (
                f" ({report.error_count} rows have errors, e.g. row "
                f"{report.errors[0].row}: {report.errors[0].message})."
                if report.errors
                else "."
            ),
            field="prices",
            rule="price-table-not-empty",
        )
    return table


def _read_chunk(chunk: TableChunk, pos: dict[str, int], table: PriceTable) -> None:
    report = table.report
    cols = {name: chunk.columns[p] for name, p in pos.items()}

    def get(name: str, k: int) -> Any:
        col = cols.get(name)
        return None if col is None else col[k]

    for k, row in enumerate(chunk.rows):
        report.rows_read += 1
        errors: list[RowError] = []

        def number(
            name: str, lo: float, hi: float, *, k: int = k, errors: list[RowError] = errors, row: int = row
        ) -> float | None:
            try:
                x = parse_number(get(name, k))
            except ValueError as exc:
                errors.append(RowError(row, f"prices.{name}", "number", str(exc)))
                return None
            if x is not None and not lo <= x <= hi:
                errors.append(
                    RowError(
                        row, f"prices.{name}", f"range-{lo:g}-{hi:g}", f"{name} {x:g} is outside {lo:,.0f}–{hi:,.0f}"
                    )
                )
                return None
            return x

        area_raw = get("area", k)
        area = " ".join(str(area_raw).split()) if area_raw is not None else ""
        if not area:
            errors.append(RowError(row, "prices.area", "required", "area is empty"))
        elif "\x00" in area:
            errors.append(RowError(row, "prices.area", "no-nul-characters", "area contains a NUL character"))
        per_m2 = number("price_per_m2", MIN_PRICE_PER_M2, MAX_PRICE_PER_M2)
        rooms = number("rooms", 1, MAX_ROOMS)
        price = number("price", MIN_PRICE, MAX_PRICE)
        monthly = number("monthly_costs", 0, MAX_MONTHLY_COSTS)
        monthly_m2 = number("monthly_costs_per_m2", 0, MAX_MONTHLY_COSTS / 100)
        if rooms is not None and rooms != int(rooms):
            errors.append(RowError(row, "prices.rooms", "whole-number", "rooms must be a whole number"))
        size_row = rooms is not None or price is not None
        if not errors:
            if size_row and (rooms is None or price is None):
                errors.append(
                    RowError(
                        row,
                        "prices.price" if rooms is not None else "prices.rooms",
                        "required",
                        "a size row needs both rooms and price",
                    )
                )
            elif not size_row and per_m2 is None:
                errors.append(RowError(row, "prices.price_per_m2", "required", "give price_per_m2, or rooms and price"))
        if errors:
            report.rows_rejected += 1
            for e in errors:
                report.add(e)
            continue
        key = area_key(area)
        ap = table.areas.setdefault(key, AreaPrices(area=area))
        if size_row:
            assert rooms is not None and price is not None
            r = int(rooms)
            if r in ap.by_rooms:
                report.rows_rejected += 1
                report.add(
                    RowError(
                        row, "prices.rooms", "price-row-unique", f"area {area!r} already has a price for {r} rooms"
                    )
                )
                continue
            ap.by_rooms[r] = (price, monthly)
        else:
            if ap.per_m2 is not None:
                report.rows_rejected += 1
                report.add(
                    RowError(
                        row, "prices.price_per_m2", "price-row-unique", f"area {area!r} already has a price per m²"
                    )
                )
                continue
            ap.per_m2 = per_m2
            ap.costs_per_m2 = monthly_m2 if monthly_m2 is not None else monthly
        report.rows_valid += 1
        if len(table.areas) > MAX_PRICE_ROWS:
            raise InvalidInput(
                f"The price table has more than {MAX_PRICE_ROWS} areas.",
                field="prices",
                rule=f"max-areas-{MAX_PRICE_ROWS}",
            )


def prices_from_records(records: list[dict[str, Any]]) -> PriceTable:
    """A price table from JSON records (``[{"area": ..., "price_per_m2": ...}, ...]``), same rules as a file."""
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise InvalidInput(
            "The price table must be a non-empty list of objects.", field="prices", rule="price-table-list"
        )
    if len(records) > MAX_PRICE_ROWS:
        raise InvalidInput(
            f"The price table has more than {MAX_PRICE_ROWS} rows.", field="prices", rule=f"max-areas-{MAX_PRICE_ROWS}"
        )
    header: list[str] = []
    for r in records:
        for key in r:
            if str(key) not in header:
                header.append(str(key))
    cols = [[r.get(h) for r in records] for h in header]
    chunk = TableChunk(list(range(1, len(records) + 1)), cols)
    return read_prices(TableReader(header=header, chunks=iter([chunk]), format="json"))
