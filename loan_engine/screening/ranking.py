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

import io
import json
import math
from datetime import date
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from loan_engine.exports import Column, Kind, Lang, Table, key_value_table, to_csv, to_xlsx, write_csv
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
    n = len(potential)
    row, ends, margin = np.asarray(reg.row), np.asarray(reg.contract_end), np.asarray(result.margin)
    if n > 1 and bool((np.diff(row) > 0).all()):
        # Rows ascending (as read): one stable sort on (no potential, contract end, −margin) packed into one
        # integer is the same order as the four-key sort below, and a few times faster.
        dated = ends != NO_END
        first_end = int(ends[dated].min()) if dated.any() else 0
        end_rank = np.where(dated, ends - first_end, int(ends[dated].max()) - first_end + 1 if dated.any() else 0)
        neg = -margin
        low = int(neg.min())
        m_bits = max(1, (int(neg.max()) - low).bit_length())
        e_bits = max(1, int(end_rank.max()).bit_length())
        if 1 + e_bits + m_bits <= 62:
            key = (
                ((~potential).astype(np.int64) << (e_bits + m_bits))
                | (end_rank.astype(np.int64) << m_bits)
                | (neg - low).astype(np.int64)
            )
            i_bits = max(1, (n - 1).bit_length())
            if 1 + e_bits + m_bits + i_bits <= 63:  # the index in the low bits: distinct keys, a plain sort
                ordered = np.sort((key << i_bits) | np.arange(n, dtype=np.int64))
                out: npt.NDArray[np.int64] = ordered & ((1 << i_bits) - 1)
                return out
            return np.argsort(key, kind="stable").astype(np.int64)
    # np.lexsort sorts by the last key first.
    order = np.lexsort((row, -margin, ends, ~potential))
    return order.astype(np.int64)


def _whole(x: float) -> int | None:
    if not math.isfinite(x):
        return None
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


SOLUTION_LABELS: dict[str, tuple[str, str]] = {
    "none": ("ingen", "none"),
    "reference": ("referansevilkår", "reference terms"),
    "fixed_rate": ("fastrente", "fixed rate"),
    "longer_term": ("lengre løpetid", "longer term"),
    "adjusted_consumption": ("tilpasset forbruk", "adjusted consumption"),
    "interest_only": ("avdragsfrihet", "interest-only years"),
    "grant": ("tilskudd", "grant"),
}

#: The ranked list's columns: key (the machine name in results.csv/json), bokmål and English header, kind.
RESULT_TABLE_COLUMNS: tuple[Column, ...] = (
    Column("rank", "rangering", "rank", "int"),
    Column("row", "rad i registeret", "register row", "int"),
    Column("household_id", "husstand", "household", "text"),
    Column("area", "område", "area", "text"),
    Column("dwelling", "bolig i dag", "dwelling today", "text"),
    Column("contract_end", "kontraktslutt", "contract end", "date"),
    Column("household_size", "personer i husstanden", "household size", "int"),
    Column("suitable_rooms", "egnede rom", "suitable rooms", "int"),
    Column("suitable_m2", "egnet areal (m²)", "suitable floor area (m²)", "float"),
    Column("price", "pris (kr)", "price (NOK)", "int"),
    Column("required_loan", "nødvendig lån (kr)", "loan needed (NOK)", "int"),
    Column("max_loan_reference", "største lån, referansevilkår (kr)", "largest loan, reference terms (NOK)", "int"),
    Column("max_loan_best", "største lån, beste vilkår (kr)", "largest loan, best terms (NOK)", "int"),
    Column("best_terms", "beste vilkår", "best terms", "text"),
    Column("margin", "margin (kr)", "margin (NOK)", "int"),
    Column("within_reach_without_grant", "innen rekkevidde uten tilskudd", "within reach without a grant", "bool"),
    Column("within_reach_with_grant", "innen rekkevidde med tilskudd", "within reach with a grant", "bool"),
    Column("solution", "løsning", "solution", "text", labels=SOLUTION_LABELS),
    Column("term_years", "løpetid (år)", "term (years)", "int"),
    Column("fixation_years", "bindingstid (år)", "fixed-rate period (years)", "int"),
    Column("grant_needed", "tilskudd som trengs (kr)", "grant needed (NOK)", "int"),
    Column("startlan", "startlån (kr)", "startlån (NOK)", "int"),
    Column("monthly_cost_owning", "månedskostnad som eier (kr)", "monthly cost owning (NOK)", "int"),
    Column("rent_today", "husleie i dag (kr)", "rent today (NOK)", "int"),
    Column("bostotte_today", "bostøtte i dag (kr)", "bostøtte today (NOK)", "int"),
    Column("owning_minus_rent", "eie minus leie (kr)", "owning minus rent (NOK)", "int"),
    Column("available_monthly", "til rådighet per måned (kr)", "available per month (NOK)", "int"),
    Column("living_costs_monthly", "levekostnader per måned (kr)", "living costs per month (NOK)", "int"),
)
assert tuple(c.key for c in RESULT_TABLE_COLUMNS) == RESULT_COLUMNS
_INT_KEYS = frozenset(c.key for c in RESULT_TABLE_COLUMNS if c.kind == "int")
_BOOL_KEYS = frozenset(c.key for c in RESULT_TABLE_COLUMNS if c.kind == "bool")

#: Rows per piece when a large list is turned into JSON or records (bounded memory for a 1 M-row register).
PIECE_ROWS = 50_000


def _whole_array(x: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Half away from zero, as :func:`_whole`; NaN where not finite (an empty cell)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.where(x >= 0, np.floor(x + 0.5), -np.floor(-x + 0.5))
    out[~np.isfinite(x)] = np.nan
    return out


def result_columns(result: ScreeningResult) -> dict[str, Any]:
    """The ranked list as whole columns (ranked order; arrays, NaN/None for empty cells), keyed by RESULT_COLUMNS."""
    reg = result.register
    order = ranking_order(result)
    potential = result.within_reach_with_grant[order]
    sol = result.solution[order]
    none_code, grant_code = int(Solution.NONE), int(Solution.GRANT)
    solved = sol != none_code
    rank = np.cumsum(potential).astype(np.float64)
    rank[~potential] = np.nan
    slugs = pa.array([Solution(k).slug for k in range(max(Solution) + 1)], pa.string())  # the codes are 0, 1, 2, …
    # Few distinct dates and (fixation, term) pairs: coded columns, each distinct value written once.
    ends = pc.dictionary_encode(pa.array(reg.contract_end[order], pa.int64()))
    iso = pa.array(
        [
            None if d == NO_END else date.fromordinal(int(d) + EPOCH_ORDINAL).isoformat()
            for d in ends.dictionary.to_pylist()
        ],
        pa.string(),
    )
    contract_end = pa.DictionaryArray.from_arrays(ends.indices, iso)
    fix_best, term_best = result.best_fixation_years[order], result.best_term_years[order]
    pairs = pc.dictionary_encode(pa.array(fix_best.astype(np.int64) * 1000 + term_best.astype(np.int64)))
    words = pa.array([f"fixed {p // 1000} y, {p % 1000} y" for p in pairs.dictionary.to_pylist()], pa.string())
    best_terms = pa.DictionaryArray.from_arrays(pairs.indices, words)

    def nullable(values: npt.NDArray[Any], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        out = np.asarray(values, dtype=np.float64).copy()
        out[~mask] = np.nan
        return out

    owning = result.monthly_owning[order]
    rent = reg.rent[order]
    fixation = result.solution_fixation_years[order]
    grant = result.grant[order]
    take = pa.array(order)
    dwelling_today = reg.strings("dwelling")
    dwelling = pc.if_else(pc.equal(dwelling_today, ""), None, dwelling_today)
    return {
        "rank": rank,
        "row": reg.row[order],
        "household_id": reg.strings("household_id").take(take),  # Arrow strings: no list per column
        "area": reg.strings("area").take(take),
        "dwelling": dwelling.take(take),
        "contract_end": contract_end,
        "household_size": reg.size[order],
        "suitable_rooms": np.asarray(result.rooms)[order],
        "suitable_m2": np.asarray(result.m2, dtype=np.float64)[order],
        "price": _whole_array(result.price[order]),
        "required_loan": result.required_loan[order],
        "max_loan_reference": result.max_loan_reference[order],
        "max_loan_best": result.max_loan_best[order],
        "best_terms": best_terms,
        "margin": result.margin[order],
        "within_reach_without_grant": result.within_reach_without_grant[order],
        "within_reach_with_grant": potential,
        "solution": pa.DictionaryArray.from_arrays(pa.array(sol.astype(np.int32)), slugs),
        "term_years": nullable(result.solution_term_years[order], solved),
        "fixation_years": nullable(fixation, solved & (fixation != 0)),
        "grant_needed": np.where(solved, np.where(sol == grant_code, grant, 0), np.nan),
        "startlan": nullable(result.startlan[order], solved),
        "monthly_cost_owning": _whole_array(owning),
        "rent_today": _whole_array(rent),
        "bostotte_today": _whole_array(reg.bostotte[order]),
        "owning_minus_rent": _whole_array(owning - rent),
        "available_monthly": _whole_array(result.available[order]),
        "living_costs_monthly": _whole_array(result.living_costs[order]),
    }


def _py_column(key: str, values: Any, a: int, b: int) -> list[Any]:
    part = values[a:b]
    if isinstance(part, np.ndarray):
        if key in _BOOL_KEYS:
            return [bool(v) for v in part.tolist()]
        if key in _INT_KEYS:
            if part.dtype.kind == "f":
                return [None if v != v else int(v) for v in part.tolist()]
            return [int(v) for v in part.tolist()]
        return list(part.tolist())
    if isinstance(part, pa.Array):
        return list(part.to_pylist())
    return list(part)


def records_from_columns(columns: dict[str, Any], start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
    """Rows ``start:stop`` of :func:`result_columns` as records (values in JSON types)."""
    n = len(columns["row"])
    stop = n if stop is None else min(stop, n)
    if start >= stop:
        return []
    lists = [_py_column(k, columns[k], start, stop) for k in RESULT_COLUMNS]
    return [dict(zip(RESULT_COLUMNS, vals, strict=True)) for vals in zip(*lists, strict=True)]


def result_records(result: ScreeningResult) -> list[dict[str, Any]]:
    """One record per household in ranked order (values in JSON types)."""
    return records_from_columns(result_columns(result))


def results_table(columns: dict[str, Any] | list[dict[str, Any]]) -> Table:
    """The ranked list as an export table (from :func:`result_columns`, or from records as stored in JSON)."""
    if isinstance(columns, list):
        return Table(RESULT_TABLE_COLUMNS, rows=columns, name_nb="Resultater", name_en="Results")
    return Table(RESULT_TABLE_COLUMNS, data=columns, name_nb="Resultater", name_en="Results")


def results_csv(columns: dict[str, Any] | list[dict[str, Any]], *, lang: Lang = "en", excel: bool = False) -> bytes:
    """The ranked list as CSV through the shared writer.

    Default (``lang="en"``, ``excel=False``): today's machine-readable file — machine keys as headers, ``;``,
    UTF-8 with BOM, decimal point, ``yes``/``no`` and solution codes. ``excel=True`` or ``lang="nb"``: headers and
    values in that language, bokmål with decimal comma and dates DD.MM.YYYY.
    """
    out = io.BytesIO()
    write_results_csv(columns, out, lang=lang, excel=excel)
    return out.getvalue()


def write_results_csv(
    columns: dict[str, Any] | list[dict[str, Any]], out: BinaryIO, *, lang: Lang = "en", excel: bool = False
) -> int:
    """:func:`results_csv` written to ``out`` piece by piece; bytes written."""
    table = results_table(columns)
    if lang == "en" and not excel:
        return write_csv(table, out, lang="en", excel=True, header="key")
    return write_csv(table, out, lang=lang, excel=True)


def records_csv(records: list[dict[str, Any]]) -> bytes:
    """``;``-separated UTF-8 with BOM (opens correctly in a Norwegian Excel); whole numbers; yes/no."""
    return results_csv(records)


def results_json(columns: dict[str, Any], summary: dict[str, Any], extra: dict[str, Any] | None = None) -> bytes:
    """``{"summary": …, [extra keys …,] "households": […]}`` built piece by piece (no list of every record)."""
    n = len(columns["row"])
    parts = ['{"summary": ', json.dumps(summary, ensure_ascii=False)]
    for key, value in (extra or {}).items():
        parts.append(f", {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    parts.append(', "households": [')
    for a in range(0, n, PIECE_ROWS):
        text = json.dumps(records_from_columns(columns, a, a + PIECE_ROWS), ensure_ascii=False)
        parts.append(("" if a == 0 else ", ") + text[1:-1])
    parts.append("]}")
    return "".join(parts).encode("utf-8")


def records_json(records: list[dict[str, Any]], summary: dict[str, Any]) -> bytes:
    return json.dumps({"summary": summary, "households": records}, ensure_ascii=False).encode("utf-8")


SUMMARY_ITEMS: tuple[tuple[str, str, str, Kind], ...] = (
    ("screening_date", "screeningdato", "screening date", "date"),
    ("households_screened", "husstander screenet", "households screened", "int"),
    ("could_own", "kan eie", "could own", "int"),
    ("could_own_without_grant", "kan eie uten tilskudd", "could own without a grant", "int"),
    ("could_own_only_with_grant", "kan eie bare med tilskudd", "could own only with a grant", "int"),
    ("not_within_reach", "ikke innen rekkevidde", "not within reach", "int"),
    ("dwellings_freed", "kommunale boliger frigjort", "municipal dwellings freed", "int"),
    ("total_startlan", "startlån i alt (kr)", "total startlån (NOK)", "int"),
    ("total_grant", "tilskudd i alt (kr)", "total grant (NOK)", "int"),
    ("median_startlan", "median startlån (kr)", "median startlån (NOK)", "int"),
    (
        "could_own_contract_already_ended",
        "kan eie, kontrakten er allerede utløpt",
        "could own, contract already ended",
        "int",
    ),
    (
        "could_own_contract_ending_within_4_months",
        "kan eie, kontrakten utløper innen 4 måneder",
        "could own, contract ending within 4 months",
        "int",
    ),
    (
        "could_own_contract_ending_within_12_months",
        "kan eie, kontrakten utløper innen 12 måneder",
        "could own, contract ending within 12 months",
        "int",
    ),
    ("could_own_open_ended_contract", "kan eie, tidsubestemt kontrakt", "could own, open-ended contract", "int"),
    ("rows_read", "rader lest", "rows read", "int"),
    ("rows_rejected", "rader avvist", "rows rejected", "int"),
    ("row_errors", "feil i rader", "row errors", "int"),
)

AREA_COLUMNS: tuple[Column, ...] = (
    Column("area", "område", "area", "text"),
    Column("households", "husstander", "households", "int"),
    Column("could_own", "kan eie", "could own", "int"),
    Column("could_own_without_grant", "kan eie uten tilskudd", "could own without a grant", "int"),
    Column("startlan", "startlån (kr)", "startlån (NOK)", "int"),
    Column("grant", "tilskudd (kr)", "grant (NOK)", "int"),
)


def summary_tables(summary: dict[str, Any], lang: Lang) -> list[Table]:
    """The kommune summary (no personal details) as export tables: the figures, and the figures by area."""
    items = [(k, nb, en, summary.get(k), kind) for k, nb, en, kind in SUMMARY_ITEMS if k in summary]
    ps = summary.get("parameter_set") or {}
    if ps:
        items.append(
            ("parameter_set", "parametersett", "parameter set", f"{ps.get('id')} v{ps.get('version')}", "text")
        )
    by_area = [
        {**a, "area": ("andre områder" if lang == "nb" else "other areas") if a["area"] == "other areas" else a["area"]}
        for a in summary.get("by_area", [])
    ]
    return [
        key_value_table(items, name_nb="Sammendrag", name_en="Summary", lang=lang),
        Table(AREA_COLUMNS, rows=by_area, name_nb="Områder", name_en="Areas"),
    ]


def summary_csv(summary: dict[str, Any], *, lang: Lang = "nb", excel: bool = True) -> bytes:
    return to_csv(summary_tables(summary, lang)[0], lang=lang, excel=excel)


def results_xlsx(
    columns: dict[str, Any] | list[dict[str, Any]], summary: dict[str, Any], *, lang: Lang = "nb"
) -> bytes:
    """The ranked list and the kommune summary as one workbook (sheets: results, summary, areas)."""
    return to_xlsx([results_table(columns), *summary_tables(summary, lang)], lang=lang)


def summary_xlsx(summary: dict[str, Any], *, lang: Lang = "nb") -> bytes:
    return to_xlsx(summary_tables(summary, lang), lang=lang)


def _dwellings_freed(dwelling: Any, rows: npt.NDArray[np.int64], could: npt.NDArray[np.bool_]) -> int:
    """How many dwellings the households that ``could`` own would free: households sharing a dwelling value
    share one dwelling, a household without one frees its own (counted as ``#row<row>``)."""
    chosen = dwelling.filter(pa.array(could))
    empty = np.asarray(pc.equal(chosen, ""), dtype=bool)
    named = chosen.filter(pa.array(~empty))
    if not pc.any(pc.starts_with(named, "#row")).as_py():  # no name can meet a '#row<row>' stand-in
        return int(pc.count_distinct(named).as_py()) + int(empty.sum())
    own = [f"#row{r}" for r in rows[could][empty].tolist()]
    return len(set(named.to_pylist()) | set(own))


def kommune_summary(result: ScreeningResult, report: ValidationReport | None = None) -> dict[str, Any]:
    """Counts and sums without personal details (see the module docstring)."""
    reg = result.register
    n = len(reg)
    without = result.within_reach_without_grant
    with_grant = result.within_reach_with_grant
    grant_only = with_grant & ~without
    could = with_grant
    dwellings_freed = _dwellings_freed(reg.strings("dwelling"), reg.row, could)
    today = days(result.options.screening_date)
    ends = reg.contract_end

    def within(months: int) -> int:
        """Contracts still running on the screening date that end within ``months`` (ended ones apart)."""
        limit = today + round(months * 30.4375)
        return int(np.count_nonzero(could & (ends != NO_END) & (ends >= today) & (ends <= limit)))

    by_solution = {s.slug: int(np.count_nonzero(result.solution == int(s))) for s in Solution}
    encoded = reg.strings("area_key").dictionary_encode()  # codes in order of first appearance
    code = np.asarray(encoded.indices, dtype=np.int64)
    first_row = np.full(len(encoded.dictionary), n, dtype=np.int64)
    np.minimum.at(first_row, code, np.arange(n, dtype=np.int64))
    codes: dict[str, int] = {k: c for c, k in enumerate(encoded.dictionary.to_pylist())}
    names: list[str] = reg.strings("area").take(pa.array(first_row)).to_pylist()  # the first spelling seen for the key
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
        "dwellings_freed": dwellings_freed,
        "total_startlan": int(startlan.sum()),
        "total_grant": int(result.grant[grant_only].sum()),
        "median_startlan": int(np.median(startlan)) if startlan.size else None,
        "could_own_contract_already_ended": int(np.count_nonzero(could & (ends != NO_END) & (ends < today))),
        "could_own_contract_ending_within_4_months": within(4),
        "could_own_contract_ending_within_12_months": within(12),
        "could_own_open_ended_contract": int(np.count_nonzero(could & (ends == NO_END))),
        "by_solution": by_solution,
        "by_area": by_area,
        "small_areas_merged_below": MIN_CELL,
        "parameter_set": result.parameter_set,
        "options": result.options.as_dict(),
        "assumptions": list(result.assumptions),
        "assumptions_nb": list(result.assumptions_nb),
    }
    if report is not None:
        summary["rows_read"] = report.rows_read
        summary["rows_rejected"] = report.rows_rejected
        summary["row_errors"] = report.error_count
        summary["row_errors_by_rule"] = dict(sorted(report.errors_by_rule.items()))
    return summary
