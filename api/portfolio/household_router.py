"""One household's risk (``POST /v1/household-risk``): probability of arrears and of a forced sale within 5 and 10
years and the expected loss, from the stress-test kernel (one loan × N scenarios of the kommune's cached scenario
set). Caseworkers (for an affordability answer or a case), finance and admin.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnyRoleDep
from api.portfolio.stress_tests_schemas import ScenarioIn
from api.problems import problem_responses
from loan_engine.errors import InvalidInput
from loan_engine.portfolio.household import household_risk, to_public
from loan_engine.portfolio.scenarios import scenario_from_dict

router = APIRouter(prefix="/v1/household-risk", tags=["stress-tests"])


class HouseholdRiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    loan: dict[str, Any] = Field(
        description="The loan as a portfolio loan record: balance (the startlån amount), remaining_term_months, "
        "net_income_monthly, living_costs_monthly, dwelling_value, and optionally rate_type, fixed_rate (%), "
        "fixation_months_left, interest_only_months_left, priority and prior_loan_balance (the bank loan)."
    )
    scenario: ScenarioIn = Field(default_factory=ScenarioIn)
    scenarios: int = Field(
        10_000, description="Scenarios (10–10 000) of the kommune's scenario set (seed 0), generated once and cached."
    )
    years: int = Field(30, description="Horizon, years (1–40).")


class HouseholdRiskOut(BaseModel):
    scenarios: int
    years: int
    seed: int
    arrears_within_5y_pct: dict[str, float] | None = None
    forced_sale_within_5y_pct: dict[str, float] | None = None
    arrears_within_10y_pct: dict[str, float] | None = None
    forced_sale_within_10y_pct: dict[str, float] | None = None
    prepaid_or_refinanced_pct: dict[str, float]
    expected_loss: dict[str, dict[str, int]] = Field(description="total / kommune / state, NOK, with MC s.e.")
    scenario: dict[str, Any]


@router.post("", response_model=HouseholdRiskOut, responses=problem_responses(401, 403, 422))
def post_household_risk(body: HouseholdRiskIn, principal: AnyRoleDep) -> HouseholdRiskOut:
    """Probabilities in percent with their Monte Carlo standard errors; forced sale includes debt settlement."""
    spec = scenario_from_dict(body.scenario.to_domain(), percent_assumptions=True)
    try:
        res = household_risk(body.loan, spec, body.scenarios, body.years, 0)
    except InvalidInput as exc:
        f = exc.field or ""
        if f.startswith("loans[0]"):
            raise InvalidInput(
                str(exc).replace("Row 0: ", ""), field="loan" + f[len("loans[0]") :], rule=exc.rule
            ) from None
        raise
    return HouseholdRiskOut(**to_public(res))
