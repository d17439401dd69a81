"""Where the risk sits: each loan's contribution to expected loss and to expected shortfall, by segment.

* Expected loss of loan ``i``: ``EL_i = (1/S) Σ_s loss_{s,i}``; ``Σ_i EL_i = EL`` (the portfolio's expected loss).
* Contribution to ES at level α (Euler allocation of the sample ES, e.g. Tasche 2000): with ``K = ⌊S(1−α)⌋`` the
  tail scenarios — the K largest portfolio losses, ties broken by the lower scenario index —
  ``ES_i = (1/K) Σ_{s ∈ tail} loss_{s,i}``; ``Σ_i ES_i = ES_α`` (the figure in ``loss_quantiles``).

The kernel records each loan's loss per scenario block (``engine.simulate_range_loans``); the accumulator adds
the blocks' rows in global scenario order (so the sums do not depend on the block size) and keeps only the K
tail candidates, as sparse rows (memory O(loans + K·losing loans), flat in the number of scenarios).
Losses include forced sales, debt settlements and loans unresolved at the horizon.
"""

from __future__ import annotations

import csv
import heapq
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from loan_engine.portfolio.loans import Portfolio

LTV_BANDS: tuple[tuple[float, str], ...] = (
    (0.8, "< 80 %"),
    (0.9, "80–90 %"),
    (1.0, "90–100 %"),
    (1.1, "100–110 %"),
    (math.inf, "≥ 110 %"),
)
INCOME_BANDS: tuple[tuple[float, str], ...] = (
    (30_000, "< 30 000"),
    (45_000, "30 000–45 000"),
    (60_000, "45 000–60 000"),
    (80_000, "60 000–80 000"),
    (math.inf, "≥ 80 000"),
)
SEGMENT_TYPES = ("rate_type", "ltv_band", "income_band", "origination_year", "priority")
TOP_LOANS = 20


class ContributionAccumulator:
    def __init__(self, n_loans: int, n_scenarios: int, level: float = 0.99) -> None:
        self.n_loans = n_loans
        self.n_scenarios = n_scenarios
        self.level = level
        self.k = math.floor(n_scenarios * (1.0 - level) + 1e-9)
        self.el_sum = np.zeros(n_loans)
        self._heap: list[tuple[float, int, int, np.ndarray, np.ndarray]] = []
        self.next_s = 0

    def add(self, s0: int, loss_total: np.ndarray, loan_loss: np.ndarray) -> None:
        """Rows of global scenarios ``s0 …``; blocks must come in scenario order."""
        if s0 != self.next_s:
            raise ValueError(f"blocks out of order: expected scenario {self.next_s}, got {s0}")
        for r in range(loan_loss.shape[0]):
            row = loan_loss[r]
            self.el_sum += row
            if self.k < 1:
                continue
            s = s0 + r
            key = (float(loss_total[r]), -s)
            if len(self._heap) < self.k or key > self._heap[0][:2]:
                idx = np.flatnonzero(row)
                item = (key[0], key[1], s, idx, row[idx].copy())
                if len(self._heap) < self.k:
                    heapq.heappush(self._heap, item)
                else:
                    heapq.heapreplace(self._heap, item)
        self.next_s = s0 + loan_loss.shape[0]

    def result(self) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
        el = self.el_sum / self.n_scenarios
        if self.k < 1:
            return el, None, []
        es = np.zeros(self.n_loans)
        for _, _, _, idx, vals in sorted(self._heap, key=lambda x: x[2]):
            es[idx] += vals
        return el, es / self.k, sorted(x[2] for x in self._heap)


def _band(x: np.ndarray, bands: tuple[tuple[float, str], ...]) -> list[str]:
    edges = np.array([b for b, _ in bands])
    return [bands[i][1] for i in np.searchsorted(edges, x, side="right")]


def segment_labels(p: Portfolio) -> dict[str, list[str]]:
    ltv = (p.balance + p.prior_balance) / p.dwelling_value
    oy = p.origination_years()
    return {
        "rate_type": ["fixed" if f else "floating" for f in p.fixed],
        "ltv_band": _band(ltv, LTV_BANDS),
        "income_band": _band(p.income, INCOME_BANDS),
        "origination_year": [str(int(y)) if y >= 0 else "unknown" for y in oy],
        "priority": ["second" if b > 0 else "first" for b in p.prior_balance],
    }


@dataclass
class Contributions:
    level: float
    tail_scenarios: int
    expected_loss: np.ndarray  # (L,) NOK
    es: np.ndarray | None  # (L,) NOK, None when too few scenarios for the level
    segments: dict[str, list[dict[str, Any]]]
    top_loans: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "tail_scenarios": self.tail_scenarios,
            "expected_loss_sum": float(self.expected_loss.sum()),
            "es_sum": None if self.es is None else float(self.es.sum()),
            "segments": self.segments,
            "top_loans": self.top_loans,
        }


def build(p: Portfolio, acc: ContributionAccumulator) -> Contributions:
    el, es, tail = acc.result()
    labels = segment_labels(p)
    el_tot = float(el.sum())
    es_tot = None if es is None else float(es.sum())
    segments: dict[str, list[dict[str, Any]]] = {}
    for typ in SEGMENT_TYPES:
        lab = np.array(labels[typ])
        rows = []
        order = sorted(set(lab.tolist()))
        for name in order:
            m = lab == name
            e = float(el[m].sum())
            c = None if es is None else float(es[m].sum())
            rows.append(
                {
                    "segment": name,
                    "loans": int(m.sum()),
                    "balance": float(p.balance[m].sum()),
                    "expected_loss": e,
                    "expected_loss_share": e / el_tot if el_tot > 0 else None,
                    "es_contribution": c,
                    "es_share": (c / es_tot) if (c is not None and es_tot) else None,
                }
            )
        segments[typ] = rows
    key = es if es is not None else el
    top = [int(i) for i in np.lexsort((np.arange(p.n_loans), -el, -key))[:TOP_LOANS] if key[i] > 0 or el[i] > 0]
    top_loans = [
        {
            "loan_id": p.loan_id[i],
            "balance": float(p.balance[i]),
            "expected_loss": float(el[i]),
            "es_contribution": None if es is None else float(es[i]),
            **{typ: labels[typ][i] for typ in SEGMENT_TYPES},
        }
        for i in top
    ]
    return Contributions(
        level=acc.level,
        tail_scenarios=len(tail),
        expected_loss=el,
        es=es,
        segments=segments,
        top_loans=top_loans,
    )


def to_public(d: dict[str, Any]) -> dict[str, Any]:
    """Money in whole NOK, shares in percent."""

    def money(x: Any) -> Any:
        return None if x is None else round(x)

    def pct(x: Any) -> Any:
        return None if x is None else round(x * 100.0, 6)

    segs = {
        typ: [
            {
                "segment": r["segment"],
                "loans": r["loans"],
                "balance": money(r["balance"]),
                "expected_loss": money(r["expected_loss"]),
                "expected_loss_share_pct": pct(r["expected_loss_share"]),
                "es_contribution": money(r["es_contribution"]),
                "es_share_pct": pct(r["es_share"]),
            }
            for r in rows
        ]
        for typ, rows in d["segments"].items()
    }
    top = [
        {
            **r,
            "balance": money(r["balance"]),
            "expected_loss": money(r["expected_loss"]),
            "es_contribution": money(r["es_contribution"]),
        }
        for r in d["top_loans"]
    ]
    return {
        "level_pct": d["level"] * 100.0,
        "tail_scenarios": d["tail_scenarios"],
        "expected_loss_sum": money(d["expected_loss_sum"]),
        "es_sum": money(d["es_sum"]),
        "segments": segs,
        "top_loans": top,
    }


def segments_csv(d: dict[str, Any]) -> bytes:
    """One row per segment (plain CSV, comma-separated, NOK and shares as fractions of 1 in percent)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "segment_type",
            "segment",
            "loans",
            "balance_nok",
            "expected_loss_nok",
            "expected_loss_share_pct",
            f"es{round(d['level'] * 100):d}_contribution_nok",
            "es_share_pct",
        ]
    )
    for typ, rows in d["segments"].items():
        for r in rows:
            w.writerow(
                [
                    typ,
                    r["segment"],
                    r["loans"],
                    f"{r['balance']:.0f}",
                    f"{r['expected_loss']:.0f}",
                    "" if r["expected_loss_share"] is None else f"{r['expected_loss_share'] * 100:.4f}",
                    "" if r["es_contribution"] is None else f"{r['es_contribution']:.0f}",
                    "" if r["es_share"] is None else f"{r['es_share'] * 100:.4f}",
                ]
            )
    return buf.getvalue().encode()
