"""Downloads of a finished stress test, written by the shared export writer (``loan_engine.exports``):

* the per-scenario losses as Excel-ready CSV (``;``, UTF-8 with BOM, bokmål or English headers) or as the machine
  CSV the job stored (``,``, keys);
* an XLSX workbook: summary, quantiles, per year, scenario losses, and segments when the result has them.

Money is whole NOK; rates in the result are percent and become percent cells (fractions) in the workbook.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from loan_engine.exports import Column, Lang, Table, key_value_table, to_csv, to_xlsx

SCENARIO_COLUMNS = (
    Column("scenario", "scenario", "scenario", "int"),
    Column("loss_total", "tap totalt (kr)", "total loss (NOK)", "int"),
    Column("loss_kommune", "kommunens tap (kr)", "kommune's loss (NOK)", "int"),
    Column("loss_state", "statens tap (kr)", "state's loss (NOK)", "int"),
    Column("forced_sales", "mislighold (lån)", "defaults (loans)", "int"),
    Column("over_capacity", "husstander over betjeningsevne", "households over capacity", "int"),
)

# (key in a year of the result, bokmål, English, kind): percent values are divided by 100 for percent cells.
YEAR_FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("loans_outstanding", "lån igjen", "loans outstanding", "float"),
    ("default_rate_pct", "mislighold", "default rate", "percent"),
    ("arrears_rate_pct", "restanser", "arrears rate", "percent"),
    ("measures_rate_pct", "tiltak (avdragsfrihet o.l.)", "measures (deferral etc.)", "percent"),
    ("interest_income", "renteinntekter (kr)", "interest income (NOK)", "int"),
    ("funding_cost", "innlånskostnad (kr)", "funding cost (NOK)", "int"),
    ("net_interest_income", "netto renteinntekt (kr)", "net interest income (NOK)", "int"),
    ("net_interest_margin_pct", "netto rentemargin", "net interest margin", "percent"),
)


def scenario_table(machine_csv: bytes) -> Table:
    """The stored per-scenario CSV (``scenario,loss_total,…``) as a described table."""
    reader = csv.DictReader(io.StringIO(machine_csv.decode("utf-8-sig")))
    data: dict[str, list[int]] = {c.key: [] for c in SCENARIO_COLUMNS}
    for row in reader:
        for c in SCENARIO_COLUMNS:
            data[c.key].append(int(float(row[c.key])) if row.get(c.key) not in (None, "") else 0)
    return Table(SCENARIO_COLUMNS, data=data, name_nb="Tap per scenario", name_en="Scenario losses")


def scenario_losses_csv(machine_csv: bytes, lang: Lang) -> bytes:
    """Excel-ready: ``;``-separated, BOM, decimal comma in bokmål, headers in the language."""
    return to_csv(scenario_table(machine_csv), lang=lang, excel=True)


def _value(d: Any) -> Any:
    return d.get("value") if isinstance(d, dict) else d


def _se(d: Any) -> Any:
    return d.get("se") if isinstance(d, dict) else None


def _pct(v: Any) -> Any:
    return None if v is None else v / 100


def years_table(result: dict[str, Any]) -> Table:
    columns = [Column("year", "år", "year", "int")]
    for key, nb, en, kind in YEAR_FIGURES:
        columns.append(Column(key, nb, en, kind, decimals=2 if kind == "float" else None))  # type: ignore[arg-type]
        columns.append(
            Column(f"{key}_se", f"{nb} ± s.f.", f"{en} ± s.e.", kind, decimals=2 if kind == "float" else None)  # type: ignore[arg-type]
        )
    rows = []
    for y in result.get("years", []):
        row: dict[str, Any] = {"year": y["year"]}
        for key, _, _, kind in YEAR_FIGURES:
            value, se = _value(y.get(key)), _se(y.get(key))
            row[key] = _pct(value) if kind == "percent" else value
            row[f"{key}_se"] = _pct(se) if kind == "percent" else se
        rows.append(row)
    return Table(columns, rows=rows, name_nb="Per år", name_en="Per year")


def quantiles_table(result: dict[str, Any]) -> Table:
    columns = [Column("level", "nivå", "level", "percent", decimals=1)]
    for part, nb, en in (
        ("total", "totalt", "total"),
        ("kommune", "kommunen", "kommune"),
        ("state", "staten", "state"),
    ):
        for key, nb_k, en_k in (("var", "VaR", "VaR"), ("es", "ES", "ES")):
            columns.append(Column(f"{part}_{key}", f"{nb_k} {nb} (kr)", f"{en_k} {en} (NOK)", "int"))
            columns.append(Column(f"{part}_{key}_se", f"{nb_k} {nb} ± s.f.", f"{en_k} {en} ± s.e.", "int"))
    q = result.get("loss_quantiles", {})
    rows = []
    for i, level in enumerate(q.get("total", [])):
        row: dict[str, Any] = {"level": level["level"] / 100}
        for part in ("total", "kommune", "state"):
            entry = q.get(part, [])[i] if i < len(q.get(part, [])) else {}
            for key in ("var", "es"):
                row[f"{part}_{key}"] = entry.get(key)
                row[f"{part}_{key}_se"] = entry.get(f"{key}_se")
        rows.append(row)
    return Table(columns, rows=rows, name_nb="Kvantiler", name_en="Quantiles")


def summary_table(job: dict[str, Any], result: dict[str, Any], lang: Lang) -> Table:
    el = result.get("expected_loss", {})
    share = result.get("loss_share_pct", {})
    portfolio = result.get("portfolio", {})
    ps = result.get("parameter_set", {})
    scenario = result.get("scenario", {})
    items: list[tuple[str, str, str, Any, Any]] = [
        ("job_id", "stresstest", "stress test", job.get("id"), "text"),
        ("portfolio", "portefølje", "portfolio", portfolio.get("name") or job.get("portfolio_id"), "text"),
        ("loan_count", "antall lån", "loans", portfolio.get("loan_count"), "int"),
        ("total_balance", "samlet saldo (kr)", "total balance (NOK)", portfolio.get("total_balance"), "int"),
        ("scenario", "scenario", "scenario", scenario.get("preset") or "egendefinert", "text"),
        ("scenarios", "antall scenarioer", "scenarios", result.get("scenarios"), "int"),
        ("horizon_years", "horisont (år)", "horizon (years)", result.get("horizon_years"), "int"),
        ("seed", "frø (seed)", "seed", result.get("seed"), "int"),
        ("el_total", "forventet tap totalt (kr)", "expected loss, total (NOK)", _value(el.get("total")), "int"),
        ("el_total_se", "± standardfeil (kr)", "± standard error (NOK)", _se(el.get("total")), "int"),
        (
            "el_kommune",
            "forventet tap, kommunen (kr)",
            "expected loss, kommune (NOK)",
            _value(el.get("kommune")),
            "int",
        ),
        ("el_state", "forventet tap, staten (kr)", "expected loss, state (NOK)", _value(el.get("state")), "int"),
        (
            "share_kommune_pct",
            "kommunens andel av tapet (%)",
            "kommune's share of the loss (%)",
            _value(share.get("kommune")),
            "float",
        ),
        (
            "defaults_total",
            "mislighold i alt (lån)",
            "defaults in total (loans)",
            _value(result.get("defaults_total")),
            "float",
        ),
        ("parameter_set", "forutsetninger", "assumptions", f"{ps.get('id')} {ps.get('version')}", "text"),
        ("finished_at", "ferdig", "finished", job.get("finished_at"), "date"),
    ]
    return key_value_table(items, name_nb="Sammendrag", name_en="Summary", lang=lang)


def segments_table(result: dict[str, Any]) -> Table | None:
    """Per-segment figures when the result carries them (a list of flat objects); None otherwise."""
    segments = result.get("segments")
    if not isinstance(segments, list) or not segments or not isinstance(segments[0], dict):
        return None
    keys = list(segments[0].keys())
    columns = []
    for k in keys:
        sample = next((s.get(k) for s in segments if s.get(k) is not None), None)
        kind = "float" if isinstance(sample, float) else "int" if isinstance(sample, int) else "text"
        columns.append(Column(k, k.replace("_", " "), k.replace("_", " "), kind))  # type: ignore[arg-type]
    rows = [{k: (_value(s.get(k)) if isinstance(s.get(k), dict) else s.get(k)) for k in keys} for s in segments]
    return Table(columns, rows=rows, name_nb="Segmenter", name_en="Segments")


def results_xlsx(job: dict[str, Any], result: dict[str, Any], machine_csv: bytes | None, lang: Lang) -> bytes:
    tables = [summary_table(job, result, lang), quantiles_table(result), years_table(result)]
    if machine_csv is not None:
        tables.append(scenario_table(machine_csv))
    segments = segments_table(result)
    if segments is not None:
        tables.append(segments)
    return to_xlsx(tables, lang=lang)
