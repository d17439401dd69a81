"""``price_arrays`` (one look-up per distinct area and household size) gives, household by household, what
``PriceTable.lookup`` gives for that household's suitable dwelling — also where there is no price."""

from __future__ import annotations

import numpy as np

from loan_engine.screening.engine import price_arrays, split_unpriced
from loan_engine.screening.prices import prices_from_records, suitable_dwelling
from loan_engine.screening.run import read_register
from loan_engine.screening.validation import ValidationReport
from tests.screening.conftest import register_text

MEMBERS = ["F34", "F34 M36", "F34 M36 F8", "F34 M36 F8 M3", "F34 M36 F8 M3 F1", "F34 M36 F8 M3 F1 M2", "M40 " * 8]
AREAS = ["Nordby", " nordby ", "Rud", "RUD", "Sentrum", "Ukjent"]  # Sentrum: size rows only; Ukjent: no price


def _register() -> str:
    rows = []
    for i in range(84):
        members = MEMBERS[i % len(MEMBERS)].strip()
        area = AREAS[(i // len(MEMBERS)) % len(AREAS)]
        rows.append(f"H{i};{members};30000;0;0;0;0;9000;0;0;;{area};KB-{i};nei")
    return register_text(rows)


PRICES = prices_from_records(
    [
        {"area": "Nordby", "price_per_m2": 41_000, "monthly_costs_per_m2": 35},
        {"area": "Rud", "price_per_m2": 38_500},
        {"area": "Sentrum", "rooms": 2, "price": 3_100_000, "monthly_costs": 3_900},
        {"area": "Sentrum", "rooms": 4, "price": 5_200_000},
    ]
)


def test_price_arrays_equal_the_lookup_per_household() -> None:
    reg, _report, _ = read_register(_register().encode("utf-8"))
    assert len(reg) == 84
    rooms, m2, price, running, basis, found = price_arrays(reg, PRICES)
    assert len(basis) == len(reg) and price.dtype == np.float64 and found.dtype == np.bool_
    for i in range(len(reg)):
        r, a = suitable_dwelling(int(reg.size[i]))
        assert (int(rooms[i]), float(m2[i])) == (r, a)
        hit = PRICES.lookup(reg.area_key[i], r, a)
        if hit is None:
            assert (bool(found[i]), float(price[i]), float(running[i]), basis[i]) == (False, 0.0, 0.0, "")
        else:
            assert bool(found[i])
            assert (float(price[i]), float(running[i]), basis[i]) == hit
    assert found.sum() not in (0, len(reg))  # both kinds are really there
    assert {b for b in basis if b} >= {"2-roms", "4-roms", "40 m²"}


def test_unpriced_households_are_dropped_with_their_errors() -> None:
    reg, _report, _ = read_register(_register().encode("utf-8"))
    report = ValidationReport(rows_read=len(reg), rows_valid=len(reg))
    kept = split_unpriced(reg, PRICES, report)
    *_, found = price_arrays(reg, PRICES)
    assert len(kept) == int(found.sum()) == len(reg) - report.rows_rejected
    unknown = [e for e in report.errors if "is not in the price table" in e.message]
    no_size = [e for e in report.errors if "has no price for a 5-room" in e.message]
    assert len(unknown) == 14 and len(no_size) == 4  # Ukjent: all 14; Sentrum: the 2 × 2 households of 6+ persons
    assert all(e.rule == "area-in-price-table" for e in report.errors)
