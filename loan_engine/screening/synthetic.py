"""Synthetic tenant registers and price tables for demos, tests and the benchmark (seeded, reproducible).

The households are invented: a mix of single adults, single parents, couples with and without children and older
tenants, with net incomes from wages, uføretrygd/pension, NAV benefits and barnetrygd in plausible ranges for
municipal tenants; rents, bostøtte, small debts and savings; contract ends spread over the next three years
(a fifth open-ended). No real person is described.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import numpy as np

from loan_engine.screening.register import ALL_COLUMNS

SAMPLE_AREAS: tuple[tuple[str, float, float], ...] = (
    # area, price per m² (NOK), monthly running costs per m² (NOK) — invented levels
    ("Fjerdingby", 42_000.0, 45.0),
    ("Løvenstad", 46_000.0, 50.0),
    ("Nordby", 39_000.0, 40.0),
    ("Rud", 44_000.0, 48.0),
    ("Blystadlia", 36_000.0, 42.0),
)
#: One area priced by dwelling size instead of per m²: rooms -> (price, monthly running costs).
SIZE_PRICED_AREA = (
    "Sentrum",
    {2: (2_150_000.0, 2_900.0), 3: (2_950_000.0, 3_600.0), 4: (3_700_000.0, 4_300.0), 5: (4_400_000.0, 5_000.0)},
)


def sample_households(n: int, *, seed: int = 2026, screening_date: date | None = None) -> list[dict[str, Any]]:
    """``n`` invented households as register records (column names of :mod:`.register`)."""
    rng = np.random.default_rng(seed)
    today = screening_date or date(2026, 1, 1)
    areas = [a for a, _, _ in SAMPLE_AREAS] + [SIZE_PRICED_AREA[0]]
    kinds = rng.choice(5, size=n, p=[0.38, 0.25, 0.17, 0.08, 0.12])
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = int(kinds[i])
        members: list[str] = []
        wages = pension = benefits = 0.0
        low = False
        if kind == 0:  # single adult
            age = int(rng.integers(20, 66))
            members.append(f"{'F' if rng.random() < 0.45 else 'M'}{age}")
        elif kind == 1:  # single parent
            members.append(f"{'F' if rng.random() < 0.8 else 'M'}{int(rng.integers(22, 55))}")
        elif kind == 2:  # couple with children
            a = int(rng.integers(23, 55))
            members += [f"F{a}", f"M{a + int(rng.integers(-3, 6))}"]
        elif kind == 3:  # couple
            a = int(rng.integers(22, 70))
            members += [f"F{a}", f"M{a + int(rng.integers(-3, 6))}"]
        else:  # older single
            members.append(f"{'F' if rng.random() < 0.6 else 'M'}{int(rng.integers(62, 90))}")
        children = 0
        if kind in (1, 2):
            children = int(rng.choice([1, 2, 3, 4], p=[0.4, 0.35, 0.18, 0.07]))
            for _ in range(children):
                members.append(f"{'F' if rng.random() < 0.5 else 'M'}{int(rng.integers(0, 18))}")
        adults = 2 if kind in (2, 3) else 1
        for _ in range(adults):
            r = rng.random()
            if kind == 4 or r < 0.22:
                pension += float(rng.normal(19_500, 2_500))
                low = low or kind != 4 or rng.random() < 0.5
            elif r < 0.45:
                benefits += float(rng.normal(16_000, 3_000))
            else:
                wages += float(rng.normal(29_000, 7_000))
        child_benefit = 1_766.0 * children
        rent = float(rng.normal(9_000 + 1_400 * (len(members) - 1), 1_200))
        bostotte = float(max(0.0, rng.normal(2_200, 1_500))) if rng.random() < 0.55 else 0.0
        debt = float(rng.choice([0.0, rng.uniform(300, 4_000)], p=[0.6, 0.4]))
        equity = float(rng.choice([0.0, rng.uniform(5_000, 150_000)], p=[0.7, 0.3]))
        end = "" if rng.random() < 0.2 else (today + timedelta(days=int(rng.integers(-45, 3 * 365)))).isoformat()
        ages = [int(m[1:]) for m in members]
        young = sum(1 for a in ages if a <= 5 and a >= 1)
        school = sum(1 for a in ages if 6 <= a <= 9)
        car = str(rng.choice(["", "petrol", "electric"], p=[0.8, 0.14, 0.06]))
        out.append(
            {
                "household_id": f"H{i + 1:06d}",
                "members": " ".join(members),
                "income_wages": round(max(wages, 0.0)),
                "income_pension": round(max(pension, 0.0)),
                "income_benefits": round(max(benefits, 0.0)),
                "income_child_benefit": round(child_benefit),
                "income_other": 0,
                "bostotte": round(bostotte),
                "rent": round(max(rent, 4_000.0)),
                "other_debt_payments": round(debt),
                "other_fixed_costs": 0,
                "equity": round(equity, -3),
                "contract_end": end,
                "area": areas[int(rng.integers(0, len(areas)))],
                "dwelling": f"KB-{i + 1:06d}",
                "permanently_low_income": "ja" if low and pension > 0 else "nei",
                "car": car,
                "children_in_barnehage": int(rng.binomial(young, 0.8)) if young else 0,
                "children_in_sfo": int(rng.binomial(school, 0.6)) if school else 0,
            }
        )
    return out


def sample_prices() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"area": a, "price_per_m2": p, "monthly_costs_per_m2": c} for a, p, c in SAMPLE_AREAS]
    name, sizes = SIZE_PRICED_AREA
    rows += [{"area": name, "rooms": r, "price": p, "monthly_costs": c} for r, (p, c) in sizes.items()]
    return rows


def to_csv(
    records: list[dict[str, Any]],
    *,
    delimiter: str = ";",
    decimal_comma: bool = True,
    columns: tuple[str, ...] | list[str] | None = None,
) -> str:
    """CSV text as a Norwegian Excel would write it (``;`` and decimal comma by default)."""
    if columns is not None:
        cols = list(columns)
    else:
        seen: dict[str, None] = {}
        for r in records:
            seen.update(dict.fromkeys(r))
        cols = [c for c in ALL_COLUMNS if c in seen] + [k for k in seen if k not in ALL_COLUMNS]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(cols)
    for r in records:
        row = []
        for c in cols:
            v = r.get(c, "")
            if isinstance(v, float):
                v = f"{v:.2f}".rstrip("0").rstrip(".")
                if decimal_comma:
                    v = v.replace(".", ",")
            row.append(v)
        w.writerow(row)
    return buf.getvalue()
