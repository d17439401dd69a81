"""Request and response documents for Husbanken's two remaining calculators: betjeningsevne in kroner
(``POST /v1/debt-service``) and nedbetalingstid (``POST /v1/repayment-period``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.underwriting.schemas import (
    MAX_NOK,
    AffordabilityRequestIn,
    BudgetOut,
    ExplanationStepOut,
    ParameterSetUsed,
    PercentPerYear,
    _In,
)


class DebtServiceRequestIn(AffordabilityRequestIn):
    """The household's whole budget (as for ``POST /v1/affordability``) and a given loan amount."""

    loan_amount: float = Field(ge=0, le=MAX_NOK, description="The startlån to test, NOK")


class DebtServiceOut(BaseModel):
    loan_amount: float = Field(description="NOK")
    stress_rate: float = Field(description="percent per year")
    monthly_payment_at_stress: float = Field(description="Highest payment at the stress test, NOK per month")
    available_monthly: float = Field(description="Available for the startlån in the budget, NOK per month")
    surplus_monthly: float = Field(description="Surplus (positive) or deficit (negative), NOK per month")
    serviceable: bool
    max_loan: int = Field(description="The largest startlån the same budget carries, whole NOK")
    explanation: list[ExplanationStepOut]
    budget: BudgetOut
    parameter_set: ParameterSetUsed


class RepaymentPeriodRequestIn(_In):
    principal: float = Field(gt=0, le=MAX_NOK, description="Loan amount, NOK")
    annual_rate: PercentPerYear = Field(description="Nominal rate, percent per year (monthly terms)")
    instalment: float = Field(gt=0, le=100_000_000, description="Fixed monthly payment (annuity), NOK per month")


class RepaymentPeriodOut(BaseModel):
    principal: float
    annual_rate: float = Field(description="percent per year")
    instalment: float = Field(description="NOK per month")
    months: int = Field(description="Months until paid off (the last payment is smaller)")
    years: float
    last_payment: float = Field(description="NOK")
    total_paid: float = Field(description="NOK")
    total_interest: float = Field(description="NOK")
    explanation: list[ExplanationStepOut]
