"""Request and response documents for stress tests (stored background jobs).

Scenario shocks: basis points for rates, percent for prices/incomes, percentage points for unemployment. Model
assumption overrides use the unit listed for each by ``GET /v1/stress-tests/assumptions`` (percent for rates and
shares: ``"policy_rate_0": 4.0`` is 4 %).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.jobs.schemas import JobOut
from api.strict import StrictNumbers


class ScenarioIn(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    preset: (
        Literal[
            "baseline",
            "rate-up-200bp",
            "rate-up-400bp-ramped",
            "rate-down-100bp",
            "hikes-2022-2023",
            "crisis-1988-1993",
            "unemployment-shock",
        ]
        | None
    ) = Field(None, description="A named scenario; the other fields override it.")
    rate_model: Literal["vasicek", "deterministic"] | None = None
    rate_shock_bp: float | None = Field(None, description="Parallel policy-rate shift, basis points (−1000…2000).")
    rate_shock_ramp_months: int | None = Field(None, description="0 = immediate; else linear over N months.")
    rate_path: Literal["none", "hikes-2022-2023"] | None = None
    house_prices: Literal["correlated", "crisis-1988-1993"] | None = None
    house_price_shock_pct: float | None = None
    unemployment_shock_pp: float | None = None
    income_shock_pct: float | None = None
    start_month: int | None = Field(None, description="Calendar month (1–12) of the analysis date.")
    cost_shock_pct: float | None = Field(None, description="One-off level shift of living costs, percent.")
    paths: list[dict[str, Any]] | None = Field(
        None,
        description="Your own scenario(s): rows with scenario (optional), month, policy_rate (%/yr), "
        "cpi_inflation (%/yr), wage_growth (%/yr), house_price_index, unemployment (%). Replaces the model's "
        "macro paths; errors name the row and column.",
    )
    paths_csv: str | None = Field(None, description="The same rows as CSV text (header line first).")
    assumptions: dict[str, float] | None = Field(
        None,
        description="Model assumption overrides by name, in the units of GET /v1/stress-tests/assumptions "
        "(percent for rates and shares).",
    )

    def to_domain(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class StressTestCreate(StrictNumbers):
    model_config = ConfigDict(extra="forbid")
    portfolio_id: str = Field(min_length=1, max_length=32)
    scenario: ScenarioIn = Field(default_factory=ScenarioIn)
    scenarios: int = Field(1000, description="Number of Monte Carlo scenarios (limit 100 000).")
    horizon_years: int = Field(30, description="Projection horizon in years (limit 50).")
    seed: int = Field(0, description="Random seed; the same inputs and seed give identical numbers.")
    contributions: bool = Field(
        True,
        description="Also where the risk sits: expected loss and contribution to ES 99 % by segment (rate type, "
        "LTV band, income band, origination year, priority) and the loans with the largest contributions "
        "(result.risk_contributions; CSV at /segments.csv).",
    )


class Progress(BaseModel):
    scenarios_done: int
    scenarios_total: int


class StressTestOut(JobOut):
    progress: Progress
    result: dict[str, Any] | None = Field(
        None,
        description="When succeeded: expected loss, VaR/ES, shares, yearly rates and margins, each with "
        "its Monte Carlo standard error (money in whole NOK, rates in percent).",
    )


class AssumptionOut(BaseModel):
    name: str
    value: float = Field(description="In ``unit`` (percent for rates and shares).")
    unit: str = Field(description="e.g. '%/yr', '%', 'months', 'NOK'.")
    description: str
    source: str
    status: str
    min: float
    max: float
