"""The bridge from a stored application to the underwriting domain: validate the application's request
documents, run the calculation with a stored parameter set, and say what its advice is.

The request and answer documents are the same as those of ``POST /v1/affordability`` and
``POST /v1/financing-plans`` (``api.underwriting.schemas``): a stored calculation can be read, and re-run,
with nothing but its request, its result and the parameter set it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from api.cases.schemas import CalculationKind
from api.parameter_sets import service as parameter_set_service
from api.underwriting import schemas as uw
from api.underwriting import service as underwriting_service
from loan_engine.errors import InvalidInput
from models.parameter_sets import StoredParameterSet


@dataclass(frozen=True)
class Outcome:
    request: dict[str, Any]
    result: dict[str, Any]
    serviceable: bool | None
    max_loan: float | None


def _parse(model: type[BaseModel], document: Any, prefix: str) -> Any:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(
            f"{prefix}: {loc}: {first.get('msg')}",
            field=f"{prefix}.{loc}" if loc else prefix,
            rule=str(first.get("type", "invalid")).replace("_", "-"),
        ) from None


def validate_application(application: dict[str, Any]) -> None:
    """Refuse an application whose request documents the calculations would not accept (for applications that
    did not come through the typed request model, e.g. stored before a schema change)."""
    _parse(uw.AffordabilityRequestIn, application.get("affordability"), "application.affordability")
    if application.get("financing_plan") is not None:
        _parse(uw.FinancingPlanRequestIn, application["financing_plan"], "application.financing_plan")


def _request_document(doc: BaseModel) -> dict[str, Any]:
    """The request as stored with the calculation: every default spelled out (so a later change of a default
    cannot change a recomputation), and without ``parameter_set`` — the calculation row names the set used."""
    out = doc.model_dump(mode="json")
    out.pop("parameter_set", None)
    return out


def calculate(kind: CalculationKind, application: dict[str, Any], row: StoredParameterSet) -> Outcome:
    """Run ``kind`` on the application with the stored parameter set ``row``."""
    if kind is CalculationKind.affordability:
        request = application.get("affordability")
    else:
        request = application.get("financing_plan")
        if request is None:
            raise InvalidInput(
                "A financing plan needs a concrete purchase: add application.financing_plan.",
                field="application.financing_plan",
                rule="financing-plan-required",
            )
    return recalculate(kind, request, row, requested_loan=application.get("requested_loan"))


def recalculate(
    kind: CalculationKind, request: Any, row: StoredParameterSet, *, requested_loan: float | None = None
) -> Outcome:
    params = parameter_set_service.underwriting_view(row)
    if kind is CalculationKind.affordability:
        doc = _parse(uw.AffordabilityRequestIn, request, "application.affordability")
        budget = underwriting_service.budget_result(doc, params)
        result = budget.affordability
        out = uw.AffordabilityOut.from_budget(budget).model_dump(mode="json")
        max_loan = float(result.max_loan)
        serviceable = max_loan > 0 if requested_loan is None else max_loan >= requested_loan
        return Outcome(request=_request_document(doc), result=out, serviceable=serviceable, max_loan=max_loan)
    doc = _parse(uw.FinancingPlanRequestIn, request, "application.financing_plan")
    plan = underwriting_service.plan_result(doc, params)
    out = uw.FinancingPlanOut.from_domain(plan).model_dump(mode="json")
    return Outcome(
        request=_request_document(doc), result=out, serviceable=plan.serviceable, max_loan=float(plan.max_loan)
    )
