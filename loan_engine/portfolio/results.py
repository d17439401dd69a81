# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
"""Summary figures of a stress test, each with its Monte Carlo standard error.

Estimators (over S scenarios, in global scenario order — deterministic):

* means (expected loss and its kommune / state parts, over-capacity counts, NOK per year): sample mean,
  SE = s/√S;
* ratios (kommune share of the loss, default / arrears rates per year = events / loans outstanding at the start
  of the year, net interest margin = net interest income / average balance): ratio of means, SE by the delta
  method ``√(Var(y − R·x)/S)/x̄``;
* VaR_α = the ⌈S·α⌉-th smallest loss; SE from the distribution-free order-statistic confidence interval
  (order statistics at S·α ± 1.96·√(S·α(1−α))), half-width / 1.96;
* ES_α = mean of the ⌊S(1−α)⌋ largest losses; SE ``√((Var(tail) + α·(ES − VaR)²) / (S(1−α)))`` (the asymptotic
  variance of the sample expected shortfall, e.g. Manistre & Hancock 2005; Yamai & Yoshiba 2002).

With too few scenarios for a level (S·(1−α) < 1) VaR/ES at that level are reported as ``None``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from loan_engine.portfolio.assumptions import ASSUMPTIONS_ID, ASSUMPTIONS_VERSION, public_scale, public_unit
from loan_engine.portfolio.calibration import public_targets
from loan_engine.portfolio.contributions import to_public as contributions_public
from loan_engine.portfolio.engine import StressTestRun

LEVELS: tuple[float, ...] = (0.95, 0.99, 0.999)
Z = 1.959963984540054


def mean_se(x: np.ndarray) -> dict[str, float]:
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return {"value": float(x.mean()), "se": se}


def ratio_se(num: np.ndarray, den: np.ndarray) -> dict[str, float | None]:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    n = num.shape[0]
    dbar = den.mean()
    if dbar <= 0:
        return {"value": None, "se": None}
    r = num.mean() / dbar
    se = float(np.sqrt(np.var(num - r * den, ddof=1) / n) / dbar) if n > 1 else float("nan")
    return {"value": float(r), "se": se}


def var_es(losses: np.ndarray, alpha: float) -> dict[str, Any]:
    x = np.sort(np.asarray(losses, dtype=np.float64))
    n = x.shape[0]
    k = math.floor(n * (1.0 - alpha) + 1e-9)
    if k < 1:
        return {"level": alpha, "var": None, "var_se": None, "es": None, "es_se": None}
    iv = min(n - 1, max(0, math.ceil(n * alpha - 1e-9) - 1))
    var = float(x[iv])
    half = Z * math.sqrt(n * alpha * (1.0 - alpha))
    lo = min(n - 1, max(0, math.floor(n * alpha - half) - 1))
    hi = min(n - 1, max(0, math.ceil(n * alpha + half) - 1))
    var_se = float((x[hi] - x[lo]) / (2.0 * Z))
    tail = x[n - k :]
    es = float(tail.mean())
    tail_var = float(tail.var(ddof=1)) if k > 1 else 0.0
    es_se = math.sqrt((tail_var + alpha * (es - var) ** 2) / (n * (1.0 - alpha)))
    return {"level": alpha, "var": var, "var_se": var_se, "es": es, "es_se": float(es_se)}


EXPLANATION: list[dict[str, str]] = [
    {
        "nb": "Renter, boligpriser og ledighet simuleres per scenario og måned (Vasicek/OU-styringsrente, "
        "Husbankens flytende rente med to måneders etterslep og spread, korrelert boligprisindeks).",
        "en": "Rates, house prices and unemployment are simulated per scenario and month (Vasicek/OU policy rate, "
        "Husbanken floating rate with its two-month lag and spread, correlated house-price index).",
    },
    {
        "nb": "Hvert lån framskrives måned for måned: terminbeløp mot husholdningens betjeningsevne etter "
        "levekostnader og eventuelt banklån med pant foran.",
        "en": "Every loan is projected month by month: the payment against the household's capacity after living "
        "costs and any prior bank loan.",
    },
    {
        "nb": "Ved betalingsproblemer brukes kommunens tiltak først (betalingsutsettelse, avdragsfrihet, "
        "omgjøring av renter til lån i inntil 2,5 år); først deretter tvangssalg.",
        "en": "Payment problems get the kommune's measures first (deferral, interest-only, up to 2.5 years of "
        "interest converted into loan); only then a forced sale.",
    },
    {
        "nb": "Lån som fortsatt er i mislighold eller har betalingslettelser ved horisonten, verdsettes som om "
        "boligen ble solgt da (scenarioets boligpris, samme salgsregler); tapet vises på egen linje og inngår i "
        "forventet tap og kvantilene.",
        "en": "Loans still in arrears or in relief at the horizon are valued as if the dwelling were sold then "
        "(the scenario's house price, the same sale rules); the loss is shown on its own line and included in "
        "expected loss and the quantiles.",
    },
    {
        "nb": "Tapet deles etter § 7-5: kommunen bærer de første 25 % av restgjelden samt forfalte renter og "
        "omkostninger, staten resten.",
        "en": "The loss is split by § 7-5: the kommune bears the first 25 % of the principal plus overdue interest "
        "and costs, the state the rest.",
    },
    {
        "nb": "Tall er gjennomsnitt over scenarioene med Monte Carlo-standardfeil; samme portefølje, "
        "scenariosett og frø gir identiske tall.",
        "en": "Figures are averages over the scenarios with Monte Carlo standard errors; the same portfolio, "
        "scenario set and seed give identical numbers.",
    },
]


def summarise(run: StressTestRun) -> dict[str, Any]:
    o = run.outputs
    S = o.n_scenarios
    n_years = o.defaults.shape[1]
    n_loans = int(run.portfolio_summary["loan_count"])
    years = []
    for y in range(n_years):
        nii = o.interest_income[:, y] - o.funding_cost[:, y]
        years.append(
            {
                "year": y + 1,
                "loans_outstanding": mean_se(o.active[:, y]),
                "default_rate": ratio_se(o.defaults[:, y], o.active[:, y]),
                "arrears_rate": ratio_se(o.arrears[:, y], o.active[:, y]),
                "measures_rate": ratio_se(o.relief[:, y], o.active[:, y]),
                "settlement_rate": ratio_se(o.settlements[:, y], o.active[:, y]),
                "prepayment_rate": ratio_se(o.prepaid[:, y], o.active[:, y]),
                "interest_income": mean_se(o.interest_income[:, y]),
                "funding_cost": mean_se(o.funding_cost[:, y]),
                "net_interest_income": mean_se(nii),
                "net_interest_margin": ratio_se(nii, o.avg_balance[:, y]),
            }
        )
    return {
        "scenarios": S,
        "horizon_years": n_years,
        "seed": run.seed,
        "portfolio": run.portfolio_summary,
        "scenario": run.spec.to_dict(),
        "expected_loss": {
            "total": mean_se(o.loss_total),
            "kommune": mean_se(o.loss_kommune),
            "state": mean_se(o.loss_state),
        },
        # Part of the loss above from loans still in arrears or in a measure at the horizon, valued as realised
        # then (scenario house price, same sale rules); included in the expected loss and the quantiles.
        "unresolved_at_horizon": {
            "loss": mean_se(o.loss_unresolved),
            "realised_loss": mean_se(o.loss_total - o.loss_unresolved),
            "loans": mean_se(o.unresolved),
            "share": ratio_se(o.unresolved, np.full(S, float(n_loans))),
        },
        "loss_share": {
            "kommune": ratio_se(o.loss_kommune, o.loss_total),
            "state": ratio_se(o.loss_state, o.loss_total),
        },
        "loss_quantiles": {
            "total": [var_es(o.loss_total, a) for a in LEVELS],
            "kommune": [var_es(o.loss_kommune, a) for a in LEVELS],
            "state": [var_es(o.loss_state, a) for a in LEVELS],
        },
        "over_capacity": {
            "households": mean_se(o.over_capacity),
            "share": ratio_se(o.over_capacity, np.full(S, float(n_loans))),
        },
        "defaults_total": mean_se(o.defaults.sum(axis=1)),
        # The margin above is computed on the kommune's own funding mix (a kommune input).
        "funding": {
            "fixed_share_pct": run.spec.assumptions.funding_fixed_share * 100.0,
            "fixed_rate_pct": run.spec.assumptions.funding_fixed_rate * 100.0,
            "fixed_months": int(run.spec.assumptions.funding_fixed_months),
        },
        "years": years,
        "assumptions": run.spec.assumptions.describe(),
        "parameter_set": {"id": ASSUMPTIONS_ID, "version": ASSUMPTIONS_VERSION},
        "calibration_targets": public_targets(),
        "risk_contributions": run.contributions,
        "explanation": EXPLANATION,
    }


# --- presentation at the edge (API / CLI): money in whole kroner, ratios in percent ----------------------------
_RATIO_KEYS = {
    "default_rate",
    "arrears_rate",
    "measures_rate",
    "settlement_rate",
    "prepayment_rate",
    "net_interest_margin",
    "share",
    "kommune_share",
}
_MONEY_KEYS = {
    "total",
    "kommune",
    "state",
    "interest_income",
    "funding_cost",
    "net_interest_income",
    "var",
    "var_se",
    "es",
    "es_se",
    "total_balance",
}


def _round_money(x: Any) -> Any:
    if isinstance(x, dict):
        return {
            k: (round(v) if isinstance(v, float) and math.isfinite(v) and k in ("value", "se") else v)
            for k, v in x.items()
        }
    if isinstance(x, float) and math.isfinite(x):
        return round(x)
    return x


def _pct(x: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v * 100.0, 6) if isinstance(v, float) and math.isfinite(v) else v) for k, v in x.items()}


def to_public(summary: dict[str, Any]) -> dict[str, Any]:
    """Round money to whole NOK and express ratios in percent (keys get a ``_pct`` suffix)."""
    out = dict(summary)
    out["expected_loss"] = {k: _round_money(v) for k, v in summary["expected_loss"].items()}
    out["loss_share_pct"] = {k: _pct(v) for k, v in summary["loss_share"].items()}
    del out["loss_share"]
    out["loss_quantiles"] = {
        part: [
            {k: (_round_money(v) if k in _MONEY_KEYS else (v * 100 if k == "level" else v)) for k, v in q.items()}
            for q in qs
        ]
        for part, qs in summary["loss_quantiles"].items()
    }
    if summary.get("risk_contributions") is not None:
        out["risk_contributions"] = contributions_public(summary["risk_contributions"])
    u = summary["unresolved_at_horizon"]
    out["unresolved_at_horizon"] = {
        "loss": _round_money(u["loss"]),
        "realised_loss": _round_money(u["realised_loss"]),
        "loans": u["loans"],
        "share_pct": _pct(u["share"]),
    }
    oc = summary["over_capacity"]
    out["over_capacity"] = {"households": oc["households"], "share_pct": _pct(oc["share"])}
    years = []
    for y in summary["years"]:
        row: dict[str, Any] = {}
        for k, v in y.items():
            if k in _RATIO_KEYS:
                row[k + "_pct"] = _pct(v)
            elif k in _MONEY_KEYS:
                row[k] = _round_money(v)
            else:
                row[k] = v
        years.append(row)
    out["years"] = years
    out["assumptions"] = [_public_assumption(a) for a in summary["assumptions"]]
    p = dict(summary["portfolio"])
    p["total_balance"] = round(p["total_balance"])
    for k in ("fixed_share", "second_priority_share"):
        p[k + "_pct"] = round(p.pop(k) * 100.0, 4)
    out["portfolio"] = p
    return _finite(out)


def _public_assumption(a: dict[str, Any]) -> dict[str, Any]:
    k = public_scale(a["unit"])
    return {
        **a,
        "unit": public_unit(a["unit"]),
        **{f: round(a[f] * k, 10) for f in ("value", "min", "max") if isinstance(a.get(f), float | int)},
    }


def _finite(x: Any) -> Any:
    """JSON has no NaN: replace non-finite numbers by None."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
