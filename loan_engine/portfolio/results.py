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

from loan_engine.portfolio.assumptions import ASSUMPTIONS_ID, ASSUMPTIONS_VERSION
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
    tail = x[n - k:]
    es = float(tail.mean())
    tail_var = float(tail.var(ddof=1)) if k > 1 else 0.0
    es_se = math.sqrt((tail_var + alpha * (es - var) ** 2) / (n * (1.0 - alpha)))
    return {"level": alpha, "var": var, "var_se": var_se, "es": es, "es_se": float(es_se)}


EXPLANATION: list[dict[str, str]] = [
    {"nb": "Renter, boligpriser og ledighet simuleres per scenario og måned (Vasicek/OU-styringsrente, "
           "Husbankens flytende rente med to måneders etterslep og spread, korrelert boligprisindeks).",
     "en": "Rates, house prices and unemployment are simulated per scenario and month (Vasicek/OU policy rate, "
           "Husbanken floating rate with its two-month lag and spread, correlated house-price index)."},
    {"nb": "Hvert lån framskrives måned for måned: terminbeløp mot husholdningens betjeningsevne etter "
           "levekostnader og eventuelt banklån med pant foran.",
     "en": "Every loan is projected month by month: the payment against the household's capacity after living "
           "costs and any prior bank loan."},
    {"nb": "Ved betalingsproblemer brukes kommunens tiltak først (betalingsutsettelse, avdragsfrihet, "
           "omgjøring av renter til lån i inntil 2,5 år); først deretter tvangssalg.",
     "en": "Payment problems get the kommune's measures first (deferral, interest-only, up to 2.5 years of "
           "interest converted into loan); only then a forced sale."},
    {"nb": "Tapet deles etter § 7-5: kommunen bærer de første 25 % av restgjelden samt forfalte renter og "
           "omkostninger, staten resten.",
     "en": "The loss is split by § 7-5: the kommune bears the first 25 % of the principal plus overdue interest "
           "and costs, the state the rest."},
    {"nb": "Tall er gjennomsnitt over scenarioene med Monte Carlo-standardfeil; samme portefølje, "
           "scenariosett og frø gir identiske tall.",
     "en": "Figures are averages over the scenarios with Monte Carlo standard errors; the same portfolio, "
           "scenario set and seed give identical numbers."},
]


def summarise(run: StressTestRun) -> dict[str, Any]:
    o = run.outputs
    S = o.n_scenarios
    n_years = o.defaults.shape[1]
    n_loans = int(run.portfolio_summary["loan_count"])
    years = []
    for y in range(n_years):
        nii = o.interest_income[:, y] - o.funding_cost[:, y]
        years.append({
            "year": y + 1,
            "loans_outstanding": mean_se(o.active[:, y]),
            "default_rate": ratio_se(o.defaults[:, y], o.active[:, y]),
            "arrears_rate": ratio_se(o.arrears[:, y], o.active[:, y]),
            "measures_rate": ratio_se(o.relief[:, y], o.active[:, y]),
            "interest_income": mean_se(o.interest_income[:, y]),
            "funding_cost": mean_se(o.funding_cost[:, y]),
            "net_interest_income": mean_se(nii),
            "net_interest_margin": ratio_se(nii, o.avg_balance[:, y]),
        })
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
        "years": years,
        "assumptions": run.spec.assumptions.describe(),
        "parameter_set": {"id": ASSUMPTIONS_ID, "version": ASSUMPTIONS_VERSION},
        "explanation": EXPLANATION,
    }
