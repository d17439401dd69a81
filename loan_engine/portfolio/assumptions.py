"""Every assumption of the stress-test model as a documented, replaceable parameter.

Each parameter carries a value, a unit, a description, a source and a status with the same marks as the
parameter sets (``confirmed``, ``secondary``, ``derived``, ``not-confirmed``; see
``shared/reference/domain_rules.md``). A caller replaces any of them with ``ModelAssumptions.with_overrides``;
unknown names and values outside the documented range are refused with ``InvalidInput``.

Conventions: inside the model rates are fractions per year (``0.045`` = 4.5 %), amounts NOK, durations months.
At the edge (API, result documents) fractions are shown and taken in percent (``describe_public``,
``with_overrides(..., percent=True)``), with the unit stated (``%/yr``, ``%``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput

ASSUMPTIONS_ID = "stress-test-assumptions"
ASSUMPTIONS_VERSION = "2026.1"


def _p(
    value: float,
    unit: str,
    description: str,
    source: str,
    status: str,
    lo: float,
    hi: float,
) -> Any:
    return field(
        default=value,
        metadata={
            "unit": unit,
            "description": description,
            "source": source,
            "status": status,
            "min": lo,
            "max": hi,
        },
    )


DR = "shared/reference/domain_rules.md"


@dataclass(frozen=True)
class ModelAssumptions:
    # --- rates -------------------------------------------------------------------------------------------------
    policy_rate_0: float = _p(
        0.04,
        "fraction/yr",
        "Norges Bank policy rate at the analysis date (start of every path).",
        "Set to the current styringsrente; 4.00 % is a placeholder.",
        "not-confirmed",
        -0.05,
        0.30,
    )
    vasicek_kappa: float = _p(
        0.25,
        "1/yr",
        "Mean-reversion speed of the Vasicek (Ornstein–Uhlenbeck) policy-rate model.",
        "Placeholder; calibrate to Norges Bank history.",
        "not-confirmed",
        0.0,
        5.0,
    )
    vasicek_theta: float = _p(
        0.035,
        "fraction/yr",
        "Long-run mean of the policy rate in the Vasicek model.",
        "Placeholder; calibrate.",
        "not-confirmed",
        -0.05,
        0.30,
    )
    vasicek_sigma: float = _p(
        0.01,
        "fraction/sqrt(yr)",
        "Volatility of the Vasicek policy rate.",
        "Placeholder; calibrate.",
        "not-confirmed",
        0.0,
        0.2,
    )
    policy_rate_floor: float = _p(
        0.0,
        "fraction/yr",
        "Lower bound applied to simulated policy rates.",
        "Modelling choice (Norges Bank has not gone below 0).",
        "not-confirmed",
        -0.05,
        0.1,
    )
    husbanken_spread: float = _p(
        0.0014,
        "fraction/yr",
        "Husbanken floating nominal rate minus the policy rate averaged over its 2-month observation window.",
        f"{DR} §2.3: 4.640 % from 1 Jul 2024 (observation Mar–Apr 2024, policy rate 4.50 %).",
        "derived",
        -0.05,
        0.1,
    )
    kommune_margin: float = _p(
        0.0025,
        "fraction/yr",
        "Kommune's mark-up on the Husbanken rate for its startlån customers.",
        f"{DR} §2.4 (§ 8-2: at most 0.25 pp).",
        "confirmed",
        0.0,
        0.0025,
    )
    bank_loan_spread: float = _p(
        0.017,
        "fraction/yr",
        "Prior bank loan rate minus the policy rate (co-financed loans).",
        f"{DR} §2.3: average bank mortgage rate 2023 5.18 % vs average policy rate ≈ 3.5 %.",
        "derived",
        0.0,
        0.1,
    )
    # --- house prices ------------------------------------------------------------------------------------------
    hpi_drift: float = _p(
        0.03,
        "fraction/yr",
        "Expected nominal house-price growth (log drift) before shocks.",
        "Placeholder.",
        "not-confirmed",
        -0.2,
        0.2,
    )
    hpi_vol: float = _p(
        0.06,
        "fraction/sqrt(yr)",
        "Volatility of monthly log house-price changes.",
        "Placeholder.",
        "not-confirmed",
        0.0,
        0.5,
    )
    hpi_rate_beta: float = _p(
        3.0,
        "log-HPI per unit rate",
        "House-price response to policy-rate changes: +1 pp ⇒ −3 % prices.",
        "Placeholder, order of magnitude of Norwegian house-price models.",
        "not-confirmed",
        0.0,
        20.0,
    )
    hpi_rate_corr: float = _p(
        -0.3,
        "correlation",
        "Correlation of house-price shocks with policy-rate shocks.",
        "Placeholder.",
        "not-confirmed",
        -1.0,
        1.0,
    )
    hpi_growth_since_valuation: float = _p(
        0.0,
        "fraction/yr",
        "Growth applied to a dwelling value from its valuation date to the analysis date.",
        "Conservative choice: no uplift.",
        "not-confirmed",
        -0.2,
        0.2,
    )
    # --- households --------------------------------------------------------------------------------------------
    unemployment_0: float = _p(
        0.021,
        "fraction",
        "Unemployment rate at the analysis date (NAV registered).",
        "Placeholder near NAV's registered rate 2024–2025.",
        "not-confirmed",
        0.0,
        0.5,
    )
    unemployment_rate_beta: float = _p(
        0.5,
        "pp per pp",
        "Rise in the unemployment rate per percentage point rise of the policy rate.",
        "Placeholder.",
        "not-confirmed",
        0.0,
        5.0,
    )
    job_finding_rate: float = _p(
        0.15,
        "1/month",
        "Monthly probability that an unemployed household member finds work again.",
        "Placeholder (mean spell ≈ 6–7 months).",
        "not-confirmed",
        0.001,
        1.0,
    )
    income_replacement: float = _p(
        0.65,
        "fraction",
        "Net household income while unemployed, as a share of normal net income.",
        "Dagpenger are 62.4 % of the basis (gross); net share assumed.",
        "not-confirmed",
        0.0,
        1.0,
    )
    # --- prices and wages (CPI and wage paths, correlated with rates) ------------------------------------------
    cpi_inflation_0: float = _p(
        0.03,
        "fraction/yr",
        "CPI inflation (twelve-month rate) at the analysis date; start of every inflation path.",
        "Placeholder near SSB's KPI twelve-month rate in 2024–2025; set to the latest SSB figure.",
        "not-confirmed",
        -0.1,
        0.3,
    )
    cpi_target: float = _p(
        0.02,
        "fraction/yr",
        "Long-run mean of CPI inflation (Norges Bank's inflation target).",
        "Forskrift om pengepolitikken (2018): inflation target 2 %.",
        "secondary",
        -0.05,
        0.2,
    )
    cpi_kappa: float = _p(
        0.7,
        "1/yr",
        "Mean-reversion speed of CPI inflation towards the target (after a historical path ends, too).",
        "Placeholder (half-life ≈ 1 year).",
        "not-confirmed",
        0.0,
        10.0,
    )
    cpi_sigma: float = _p(
        0.012,
        "fraction/sqrt(yr)",
        "Volatility of CPI inflation.",
        "Placeholder.",
        "not-confirmed",
        0.0,
        0.2,
    )
    cpi_rate_corr: float = _p(
        0.4,
        "correlation",
        "Correlation of inflation shocks with policy-rate shocks (the central bank reacts to inflation).",
        "Placeholder.",
        "not-confirmed",
        -1.0,
        1.0,
    )
    real_wage_growth: float = _p(
        0.01,
        "fraction/yr",
        "Wage growth in excess of the inflation target in normal times.",
        "Placeholder (Norwegian real wage growth ≈ 1 %/yr over 2010–2019, order of magnitude).",
        "not-confirmed",
        -0.2,
        0.2,
    )
    wage_cpi_passthrough: float = _p(
        0.5,
        "fraction",
        "Share of inflation above/below target passed into wage growth the same year (the rest is a real-wage "
        "squeeze).",
        "Placeholder; 2022: wages +4.6 % against CPI +5.8 % (SSB).",
        "not-confirmed",
        0.0,
        1.5,
    )
    # --- systematic income / unemployment factor ----------------------------------------------------------------
    factor_kappa: float = _p(
        0.5,
        "1/yr",
        "Mean-reversion speed of the systematic labour-market factor (its own random shocks).",
        "Placeholder.",
        "not-confirmed",
        0.0,
        10.0,
    )
    factor_sigma: float = _p(
        0.006,
        "fraction/sqrt(yr)",
        "Volatility of the labour-market factor, in unemployment-rate units.",
        "Placeholder (NAV registered unemployment moved ±1–2 pp over business cycles).",
        "not-confirmed",
        0.0,
        0.2,
    )
    income_factor_loading: float = _p(
        1.0,
        "income fraction per unit",
        "Fall in household income (all households, log) per unit rise of the labour-market factor "
        "(hours, overtime, self-employment).",
        "Placeholder.",
        "not-confirmed",
        0.0,
        10.0,
    )
    # --- household events ---------------------------------------------------------------------------------------
    life_event_rate: float = _p(
        0.0174,
        "1/yr",
        "Yearly probability that a household suffers a permanent income loss (illness, disability, divorce).",
        "Calibrated: `loan-engine stress-test calibrate` fits it so the baseline's annual state loss rate on the "
        "synthetic book matches Husbanken's net startlån losses 2010–2012 (calibration.CALIBRATION_TARGETS; "
        "fitted 0.0174 on 2 000 synthetic loans × 200 scenarios × 10 years, seed 1).",
        "derived",
        0.0,
        0.5,
    )
    life_event_income_factor: float = _p(
        0.6,
        "fraction",
        "Household income after a permanent income loss, as a share of income before it.",
        "Placeholder (one of two incomes lost, or uføretrygd ≈ 66 % of the basis).",
        "not-confirmed",
        0.0,
        1.0,
    )
    dwelling_value_sd: float = _p(
        0.10,
        "log sd",
        "Spread of a dwelling's value around the house-price index (idiosyncratic, log-normal, mean 1).",
        "Placeholder (repeat-sales dispersion of individual dwellings ≈ 10 %).",
        "not-confirmed",
        0.0,
        1.0,
    )
    prepayment_rate: float = _p(
        0.03,
        "1/yr",
        "Base yearly rate of full prepayment (sale and move, inheritance) of a loan that is being paid.",
        "Placeholder.",
        "not-confirmed",
        0.0,
        1.0,
    )
    refinancing_rate_max: float = _p(
        0.15,
        "1/yr",
        "Extra yearly rate of refinancing to a bank when the loan is well secured and real incomes have grown.",
        "Placeholder (startlån is meant as a stepping stone to a bank loan).",
        "not-confirmed",
        0.0,
        2.0,
    )
    refinancing_ltv: float = _p(
        0.85,
        "fraction",
        "Total loan-to-value at and below which a bank may refinance (full effect refinancing_ltv_band below).",
        "Utlånsforskriften's LTV cap for repayment mortgages (85 %; 90 % from 2025) — secondary.",
        "secondary",
        0.0,
        2.0,
    )
    refinancing_ltv_band: float = _p(
        0.2,
        "fraction",
        "LTV distance below refinancing_ltv over which the refinancing rate rises linearly to its maximum.",
        "Modelling choice.",
        "not-confirmed",
        0.01,
        2.0,
    )
    refinancing_income_growth: float = _p(
        0.2,
        "fraction",
        "Real income growth since the analysis date at which the refinancing rate reaches its maximum.",
        "Modelling choice.",
        "not-confirmed",
        0.01,
        5.0,
    )
    gjeldsordning_share: float = _p(
        0.2,
        "fraction",
        "Share of loans reaching realisation that go through a debt settlement (gjeldsordning) instead: the "
        "claim beyond the dwelling's market value is written off, no sale.",
        f"{DR} §5.1 (a completed gjeldsordning is a loss event); share is a placeholder.",
        "not-confirmed",
        0.0,
        1.0,
    )
    # --- the kommune's measures (§ 8-8) -------------------------------------------------------------------------
    relief_max_months: float = _p(
        36,
        "months",
        "Months of payment relief (deferred instalments / interest-only) a loan may receive.",
        f"{DR} §5.4 (deferral, interest-only possible even beyond 8 years); length is a kommune choice.",
        "not-confirmed",
        0,
        600,
    )
    capitalisation_max_months: float = _p(
        30,
        "months",
        "Months of unpaid interest that may be converted into an additional loan.",
        f"{DR} §5.4: interest for up to 2.5 years may be converted to an additional loan.",
        "confirmed",
        0,
        30,
    )
    capitalisation_max_ltv: float = _p(
        1.0,
        "fraction",
        "Capitalisation only while (startlån + prior loan) / current dwelling value ≤ this.",
        f"{DR} §5.4: the loan must remain adequately secured (exceptions possible).",
        "not-confirmed",
        0,
        3,
    )
    arrears_months_to_sale: float = _p(
        12,
        "months",
        "Months with unpaid amounts, after measures, before the dwelling is realised.",
        f"{DR} §5.4 (notification ≤ 14 days; realisation path); duration is a placeholder.",
        "not-confirmed",
        1,
        120,
    )
    initial_arrears_months: float = _p(
        2,
        "months",
        "Months already in arrears for a loan whose status is 'arrears' at the analysis date.",
        "Placeholder when the ledger does not say.",
        "not-confirmed",
        1,
        120,
    )
    initial_deferral_months: float = _p(
        6,
        "months",
        "Remaining interest-only months of a loan whose status is 'deferred'.",
        "Placeholder when the ledger does not say.",
        "not-confirmed",
        0,
        120,
    )
    # --- the kommune's funding (its Husbanken borrowing) ---------------------------------------------------------
    funding_fixed_share: float = _p(
        0.0,
        "fraction",
        "Share of the kommune's Husbanken borrowing at a fixed rate (the rest floating). A kommune input.",
        "Kommune input; 0 = all floating (the conservative default for margin risk).",
        "not-confirmed",
        0.0,
        1.0,
    )
    funding_fixed_rate: float = _p(
        0.04,
        "fraction/yr",
        "Average fixed rate on the kommune's fixed-rate Husbanken borrowing. A kommune input.",
        "Kommune input (from its Husbanken loan statements).",
        "not-confirmed",
        0.0,
        0.3,
    )
    funding_fixed_months: float = _p(
        60,
        "months",
        "Months until the fixed-rate borrowing reprices (then it is floating). A kommune input.",
        "Kommune input.",
        "not-confirmed",
        0,
        600,
    )
    # --- realisation and loss ----------------------------------------------------------------------------------
    forced_sale_discount: float = _p(
        0.10,
        "fraction",
        "Discount of a forced sale price to the market value (house-price index).",
        "Placeholder.",
        "not-confirmed",
        0.0,
        0.9,
    )
    sale_cost_rate: float = _p(
        0.03,
        "fraction",
        "Sale costs (broker, fees) as a share of the sale price.",
        "Placeholder.",
        "not-confirmed",
        0.0,
        0.5,
    )
    realisation_costs: float = _p(
        5108.0,
        "NOK",
        "Fixed costs of a forced sale added to the claim (2 × rettsgebyr).",
        f"{DR} §2.4: Husbanken adds 2 × R at tvangssalg (R = 2 554).",
        "secondary",
        0.0,
        1e6,
    )
    overdue_interest_window_months: float = _p(
        6,
        "months",
        "Overdue interest accrued within this many months before realisation enters tapsdeling.",
        f"{DR} §5.1 (6 months; up to 12 if the kommune is not to blame).",
        "confirmed",
        0,
        12,
    )
    kommune_loss_share: float = _p(
        0.25,
        "fraction",
        "Kommune bears losses up to this share of the remaining principal (+ eligible interest).",
        f"{DR} §5.1, § 7-5.",
        "confirmed",
        0.0,
        1.0,
    )

    # ------------------------------------------------------------------------------------------------------------
    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def with_overrides(
        self, overrides: dict[str, Any] | None, *, path: str = "assumptions", percent: bool = False
    ) -> ModelAssumptions:
        """Replace values by name. ``percent=True``: values (and the ranges in error messages) are in the public
        units of :meth:`describe_public` (percent instead of fractions), as the API takes them."""
        if not overrides:
            return self
        fields = {f.name: f for f in dataclasses.fields(self)}
        values: dict[str, float] = {}
        for name, raw in overrides.items():
            if name not in fields:
                raise InvalidInput(
                    f"Unknown model assumption '{name}'. Known: {', '.join(sorted(fields))}.",
                    field=f"{path}.{name}",
                    rule="unknown-assumption",
                )
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise InvalidInput(
                    f"Assumption '{name}' must be a number.", field=f"{path}.{name}", rule="not-a-number"
                )
            v = float(raw)
            md = fields[name].metadata
            scale = public_scale(md["unit"]) if percent else 1.0
            unit = public_unit(md["unit"]) if percent else md["unit"]
            if not math.isfinite(v) or v < md["min"] * scale or v > md["max"] * scale:
                raise InvalidInput(
                    f"Assumption '{name}' = {raw} is outside [{_num(md['min'] * scale)}, {_num(md['max'] * scale)}]"
                    f" ({unit}).",
                    field=f"{path}.{name}",
                    rule="assumption-out-of-range",
                )
            values[name] = v / scale
        return dataclasses.replace(self, **values)

    def describe(self) -> list[dict[str, Any]]:
        """The documented parameter list (for API responses and reports)."""
        out = []
        for f in dataclasses.fields(self):
            md = dict(f.metadata)
            out.append({"name": f.name, "value": getattr(self, f.name), **md})
        return out

    def describe_public(self) -> list[dict[str, Any]]:
        """:meth:`describe` in the API's units: fractions become percent (``0.04`` → ``4.0``, unit ``%/yr``)."""
        out = []
        for d in self.describe():
            k = public_scale(d["unit"])
            out.append(
                {
                    **d,
                    "value": _num(d["value"] * k),
                    "min": _num(d["min"] * k),
                    "max": _num(d["max"] * k),
                    "unit": public_unit(d["unit"]),
                }
            )
        return out

    def as_array(self) -> np.ndarray:
        """Packed float64 vector in ``ModelAssumptions.names()`` order, for the kernels (see ``IDX``)."""
        return np.array([float(getattr(self, n)) for n in self.names()], dtype=np.float64)


def public_scale(unit: str) -> float:
    """Factor from the model unit to the API unit: 100 for fractions (shown in percent), else 1."""
    return 100.0 if unit.startswith("fraction") else 1.0


def public_unit(unit: str) -> str:
    return "%" + unit[len("fraction") :] if unit.startswith("fraction") else unit


def _num(x: float) -> float:
    """Round away binary noise from the ×100 (0.035·100 = 3.5000000000000004)."""
    return float(round(x, 10))


IDX: dict[str, int] = {n: i for i, n in enumerate(ModelAssumptions.names())}
DEFAULT_ASSUMPTIONS = ModelAssumptions()
