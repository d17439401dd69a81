"""The caseworkers' ranked list and the kommune's summary.

Ranked list (personal data — caseworkers of the kommune only)
    Households with ownership potential (within reach with or without a grant) are ranked: **contracts ending
    soonest first** (contracts that have already ended come first: they are overdue for renewal), open-ended
    contracts after all dated ones, then the **largest margin** (largest startlån under the best terms minus the
    startlån needed), then the register row. Households without potential follow, unranked, in the same order.
    Amounts are whole kroner (loans and grants were already whole; monthly amounts are rounded here, at the edge).

Kommune summary (no personal details)
    Counts and sums only: how many households could own (with and without a grant), how many municipal dwellings
    that would free, the total startlån and grant it would take, by solution and by area. Areas with fewer than
    :data:`MIN_CELL` screened households are merged into "other areas" so that no line describes one household.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from loan_engine.screening.engine import ScreeningResult, Solution
from loan_engine.screening.register import EPOCH_ORDINAL, NO_END, days
from loan_engine.screening.validation import ValidationReport

MIN_CELL = 5

RESULT_COLUMNS: tuple[str, ...] = (
    "rank",
    "row",
    "household_id",
    "area",
    "dwelling",
    "contract_end",
    "household_size",
    "suitable_rooms",
    "suitable_m2",
    "price",
    "required_loan",
    "max_loan_reference",
    "max_loan_best",
    "best_terms",
    "margin",
    "within_reach_without_grant",
    "within_reach_with_grant",
    "solution",
    "term_years",
    "fixation_years",
    "grant_needed",
    "startlan",
    "monthly_cost_owning",
    "rent_today",
    "bostotte_today",
    "owning_minus_rent",
    "available_monthly",
    "living_costs_monthly",
)


def ranking_order(result: ScreeningResult) -> npt.NDArray[np.int64]:
    """Household indices in list order (see the module docstring)."""
    reg = result.register
    potential = result.within_reach_with_grant
    # np.lexsort sorts by the last key first.
    order = np.lexsort((reg.row, -result.margin, reg.contract_end, ~potential))
    return order.astype(np.int64)


def _whole(x: float) -> int | None:
    if not math.isfinite(x):
        return None
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def result_records(result: ScreeningResult) -> list[dict[str, Any]]:
    """One record per household in ranked order (values in JSON types)."""
    reg = result.register
    order = ranking_order(result).tolist()
    # Plain Python lists once, not numpy scalars per element.
    potential_l = result.within_reach_with_grant.tolist()
    without_l = result.within_reach_without_grant.tolist()
    solution_l = result.solution.tolist()
    owning_l = result.monthly_owning.tolist()
    fix_best_l = result.best_fixation_years.tolist()
    term_best_l = result.best_term_years.tolist()
    row_l = reg.row.tolist()
    size_l = reg.size.tolist()
    end_l = reg.contract_end.tolist()
    rooms_l, m2_l, price_l = result.rooms.tolist(), result.m2.tolist(), result.price.tolist()
    required_l, ref_l, best_l = (
        result.required_loan.tolist(),
        result.max_loan_reference.tolist(),
        result.max_loan_best.tolist(),
    )
    margin_l, term_l, fix_l = (
        result.margin.tolist(),
        result.solution_term_years.tolist(),
        result.solution_fixation_years.tolist(),
    )
    grant_l, startlan_l = result.grant.tolist(), result.startlan.tolist()
    rent_l, bostotte_l = reg.rent.tolist(), reg.bostotte.tolist()
    available_l, living_l = result.available.tolist(), result.living_costs.tolist()
    slugs = {int(s): s.slug for s in Solution}
    none = int(Solution.NONE)
    grant_code = int(Solution.GRANT)
    out: list[dict[str, Any]] = []
    rank = 0
    for i in order:
        potential = potential_l[i]
        if potential:
            rank += 1
        sol = solution_l[i]
        solved = sol != none
        end = end_l[i]
        owning = owning_l[i]
        out.append(
            {
                "rank": rank if potential else None,
                "row": row_l[i],
                "household_id": reg.household_id[i],
                "area": reg.area[i],
                "dwelling": reg.dwelling[i] or None,
                "contract_end": None if end == NO_END else date.fromordinal(end + EPOCH_ORDINAL).isoformat(),
                "household_size": size_l[i],
                "suitable_rooms": rooms_l[i],
                "suitable_m2": m2_l[i],
                "price": _whole(price_l[i]),
                "required_loan": required_l[i],
                "max_loan_reference": ref_l[i],
                "max_loan_best": best_l[i],
                "best_terms": f"fixed {fix_best_l[i]} y, {term_best_l[i]} y",
                "margin": margin_l[i],
                "within_reach_without_grant": without_l[i],
                "within_reach_with_grant": potential,
                "solution": slugs[sol],
                "term_years": term_l[i] if solved else None,
                "fixation_years": (fix_l[i] or None) if solved else None,
                "grant_needed": grant_l[i] if sol == grant_code else (0 if solved else None),
                "startlan": startlan_l[i] if solved else None,
                "monthly_cost_owning": _whole(owning),
                "rent_today": _whole(rent_l[i]),
                "bostotte_today": _whole(bostotte_l[i]),
                "owning_minus_rent": _whole(owning - rent_l[i]),
                "available_monthly": _whole(available_l[i]),
                "living_costs_monthly": _whole(living_l[i]),
            }
        )
    return out


def records_csv(records: list[dict[str, Any]]) -> bytes:
    """``;``-separated UTF-8 with BOM (opens correctly in a Norwegian Excel); whole numbers; yes/no."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(RESULT_COLUMNS)
    flags = [k for k, c in enumerate(RESULT_COLUMNS) if c.startswith("within_reach")]
    decimals = [RESULT_COLUMNS.index("suitable_m2")]
    for r in records:
        row: list[Any] = [r.get(c) for c in RESULT_COLUMNS]  # csv writes None as an empty cell
        for k in flags:
            row[k] = "yes" if row[k] else "no"
        for k in decimals:
            row[k] = f"{row[k]:g}".replace(".", ",")
        w.writerow(row)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def records_json(records: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    return json.dumps({"summary": summary, "households": records}, ensure_ascii=False).encode("utf-8")


def kommune_summary(result: ScreeningResult, report: ValidationReport | None = None) -> dict[str, Any]:
    """Counts and sums without personal details (see the module docstring)."""
    reg = result.register
    n = len(reg)
    without = result.within_reach_without_grant
    with_grant = result.within_reach_with_grant
    grant_only = with_grant & ~without
    could = with_grant
    dwellings = {reg.dwelling[i] or f"#row{int(reg.row[i])}" for i in np.flatnonzero(could).tolist()}
    today = days(result.options.screening_date)
    ends = reg.contract_end

    def within(months: int) -> int:
        limit = today + round(months * 30.4375)
        return int(np.count_nonzero(could & (ends != NO_END) & (ends <= limit)))

    by_solution = {s.slug: int(np.count_nonzero(result.solution == int(s))) for s in Solution}
    codes: dict[str, int] = {}
    names: list[str] = []
    code = np.empty(n, dtype=np.int64)
    for i, key in enumerate(reg.area_key):
        c = codes.get(key)
        if c is None:
            c = codes[key] = len(names)
            names.append(reg.area[i])
        code[i] = c
    m = len(names)

    def per_area(mask: npt.NDArray[np.bool_], weights: npt.NDArray[Any] | None = None) -> list[int]:
        w = mask.astype(np.float64) if weights is None else np.where(mask, weights, 0).astype(np.float64)
        return [int(x) for x in np.bincount(code, weights=w, minlength=m)]

    households = per_area(np.ones(n, dtype=bool))
    could_n = per_area(could)
    without_n = per_area(without)
    loans = per_area(could, result.startlan)
    grants = per_area(could, result.grant)
    areas: dict[str, dict[str, Any]] = {
        key: {
            "area": names[c],
            "households": households[c],
            "could_own": could_n[c],
            "could_own_without_grant": without_n[c],
            "startlan": loans[c],
            "grant": grants[c],
        }
        for key, c in codes.items()
    }
    by_area = []
    other: dict[str, Any] = {
        "area": "other areas",
        "households": 0,
        "could_own": 0,
        "could_own_without_grant": 0,
        "startlan": 0,
        "grant": 0,
    }
    for a in sorted(areas.values(), key=lambda x: x["area"]):
        if a["households"] >= MIN_CELL:
            by_area.append(a)
        else:
            for k in ("households", "could_own", "could_own_without_grant", "startlan", "grant"):
                other[k] += a[k]
    if other["households"] >= MIN_CELL:  # smaller remainders stay only in the totals
        by_area.append(other)
    startlan = result.startlan[could]
    summary: dict[str, Any] = {
        "screening_date": result.options.screening_date.isoformat(),
        "households_screened": n,
        "could_own": int(could.sum()),
        "could_own_without_grant": int(without.sum()),
        "could_own_only_with_grant": int(grant_only.sum()),
        "not_within_reach": int(n - could.sum()),
        "dwellings_freed": len(dwellings),
        "total_startlan": int(startlan.sum()),
        "total_grant": int(result.grant[grant_only].sum()),
        "median_startlan": int(np.median(startlan)) if startlan.size else None,
        "could_own_contract_ending_within_4_months": within(4),
        "could_own_contract_ending_within_12_months": within(12),
        "could_own_open_ended_contract": int(np.count_nonzero(could & (ends == NO_END))),
        "by_solution": by_solution,
        "by_area": by_area,
        "small_areas_merged_below": MIN_CELL,
        "parameter_set": result.parameter_set,
        "options": result.options.as_dict(),
        "assumptions": list(result.assumptions),
    }
    if report is not None:
        summary["rows_read"] = report.rows_read
        summary["rows_rejected"] = report.rows_rejected
        summary["row_errors"] = report.error_count
        summary["row_errors_by_rule"] = dict(sorted(report.errors_by_rule.items()))
    return summary
