"""Request and response documents for cases, their calculations and decisions (vedtak).

Amounts are NOK (whole kroner in answers), dates are ISO dates, rates are percent per year.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.cases.kinds import CalculationKind as CalculationKind  # re-exported (defined without pydantic, for the CLI)
from api.strict import StrictNumbers
from api.underwriting.schemas import MAX_TERM_YEARS, AffordabilityRequestIn, FinancingPlanRequestIn
from loan_engine.cases.status import CaseStatus

MAX_NOK = 1_000_000_000
TEXT_MAX = 10_000


def has_nul(value: Any) -> bool:
    """True if any string in ``value`` (nested) holds a NUL character, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class InputDocument(StrictNumbers):
    """Request documents: unknown fields are refused, and so are NUL characters in any text."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class Purpose(StrEnum):
    purchase = "purchase"
    refinance = "refinance"
    financing_certificate = "financing_certificate"


class Outcome(StrEnum):
    granted = "granted"
    refused = "refused"


class Application(StrictNumbers):
    """What the household applies for. ``affordability`` is an ``/v1/affordability`` request (household, income,
    costs, debts, loan wish, bank loan, dwelling); ``financing_plan`` a ``/v1/financing-plans`` request for a
    concrete purchase. A financing certificate (finansieringsbevis) has no dwelling yet: the assessment gives
    its frame."""

    model_config = ConfigDict(extra="forbid")  # NUL characters are refused by the enclosing CaseCreate

    purpose: Purpose = Field(description="purchase | refinance | financing_certificate")
    requested_loan: float | None = Field(
        default=None, ge=0, le=MAX_NOK, description="The startlån applied for, NOK (if the household named one)."
    )
    affordability: AffordabilityRequestIn = Field(description="The household's figures, as for POST /v1/affordability.")
    financing_plan: FinancingPlanRequestIn | None = Field(
        default=None, description="A concrete purchase, as for POST /v1/financing-plans (optional)."
    )
    notes: str = Field(default="", max_length=TEXT_MAX)


class CaseCreate(InputDocument):
    model_config = ConfigDict(extra="forbid")

    reference: str | None = Field(default=None, max_length=64, description="The kommune's own case number.")
    national_id: str | None = Field(
        default=None,
        max_length=32,
        repr=False,
        description="Fødselsnummer or D-nummer (11 digits, mod-11 checked). Optional; never logged.",
    )
    application: Application


class ParameterSetVersionRef(StrictNumbers):
    """A parameter set at an exact version (as a stored calculation names it)."""

    id: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1, le=2**31 - 1)


class AssessmentRequest(InputDocument):
    model_config = ConfigDict(extra="forbid")

    kind: CalculationKind = Field(
        default=CalculationKind.affordability,
        description="affordability (betjeningsevne, max loan) or financing-plan (needs application.financing_plan)",
    )
    parameter_set: ParameterSetVersionRef | None = Field(
        default=None, description="Use this stored set instead of the one in force on `on`."
    )
    on: date | None = Field(default=None, description="Use the parameter set in force on this date (default today).")


class CalculationOut(BaseModel):
    id: str
    kind: CalculationKind
    parameter_set: ParameterSetVersionRef
    serviceable: bool | None = Field(description="The calculation's advice: can the household carry the loan?")
    max_loan: float | None = Field(default=None, description="The largest startlån the calculation allows, NOK.")
    request: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime
    created_by: str | None


class RecomputeOut(BaseModel):
    calculation_id: str
    parameter_set: ParameterSetVersionRef
    matches: bool = Field(description="True when recomputing with the stored set gives the stored result exactly.")
    differences: list[str] = Field(description="Dotted paths whose values differ (empty when matches).")
    result: dict[str, Any]


class DecisionTerms(StrictNumbers):
    model_config = ConfigDict(extra="forbid")  # inside DecisionIn, which refuses NUL characters

    term_years: int = Field(ge=1, le=MAX_TERM_YEARS)
    rate_type: Literal["floating", "fixed"] = "floating"
    fixation_years: int | None = Field(default=None, ge=1, le=20)
    repayment: Literal["annuity", "serial"] = "annuity"
    interest_only_years: int = Field(default=0, ge=0, le=50)


class VersionedBody(InputDocument):
    version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The case version this change is based on (or If-Match)."
    )


class DecisionIn(VersionedBody):
    """A decision (vedtak). ``fraradning`` — the written advice against (finansavtaleloven) — is required when a
    loan is granted against the calculation's advice (not serviceable, or more than its maximum loan)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    loan_amount: float = Field(default=0, ge=0, le=MAX_NOK, description="Startlån granted, NOK.")
    grant_amount: float = Field(default=0, ge=0, le=MAX_NOK, description="Tilskudd granted, NOK.")
    terms: DecisionTerms | None = None
    conditions: list[str] = Field(default_factory=list, max_length=50)
    reason: str = Field(min_length=1, max_length=TEXT_MAX, description="The grounds (begrunnelse).")
    fraradning: str | None = Field(default=None, max_length=TEXT_MAX)
    valid_until: date | None = Field(default=None, description="Promise (tilsagn) holds until; default +3 months.")
    calculation_id: str | None = Field(default=None, max_length=32, description="Default: the latest assessment.")

    @model_validator(mode="after")
    def _bounded_conditions(self) -> DecisionIn:
        for k, c in enumerate(self.conditions):
            if not c.strip() or len(c) > 2000:
                raise ValueError(f"conditions.{k} must be 1-2000 characters")
        return self


class AppealIn(VersionedBody):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=TEXT_MAX, description="What the applicant appeals against.")
    received_on: date | None = Field(default=None, description="When the appeal was received (default today).")


class PayoutIn(VersionedBody):
    model_config = ConfigDict(extra="forbid")

    amount: float | None = Field(default=None, gt=0, le=MAX_NOK, description="Default: the granted loan.")
    paid_out_on: date | None = Field(default=None, description="Default today.")


class DecisionOut(BaseModel):
    id: str
    sequence: int
    outcome: Outcome
    loan_amount: float
    grant_amount: float
    terms: dict[str, Any]
    conditions: list[str]
    reason: str
    against_advice: bool
    fraradning: str | None
    calculation_id: str | None
    valid_until: date | None
    appeal_deadline: date
    decided_at: datetime
    decided_by: str | None


class AppealOut(BaseModel):
    received_at: datetime
    reason: str


class PayoutOut(BaseModel):
    paid_out_at: datetime
    amount: float


class CaseOut(BaseModel):
    id: str
    kommune_number: str
    status: CaseStatus
    version: int
    reference: str | None
    national_id: str | None = Field(default=None, description="Only shown to caseworkers of the kommune.")
    application: dict[str, Any]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    calculations: list[CalculationOut] = Field(default_factory=list)
    decisions: list[DecisionOut] = Field(default_factory=list)
    appeal: AppealOut | None = None
    payout: PayoutOut | None = None
    expired_at: datetime | None = None


class CaseSummary(BaseModel):
    id: str
    kommune_number: str
    status: CaseStatus
    version: int
    reference: str | None
    purpose: str | None
    created_at: datetime
    updated_at: datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    limit: int


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_key_id: str | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ExpiryReport(BaseModel):
    expired: list[str]
    skipped_changed: list[str] = Field(default_factory=list)
