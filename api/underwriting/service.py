"""Underwriting calculations for the API: pick the parameter set, call the domain, shape the answer."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.caching import ParameterSetCatalogue
from api.deps import Principal
from api.parameter_sets import service as parameter_set_service
from api.underwriting import schemas as uw
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting.affordability import assess_affordability
from loan_engine.underwriting.amortization import build_schedule
from loan_engine.underwriting.financing_ladder import financing_plan


def parameters_for(session: Session, principal: Principal, ref: uw.ParameterSetRef | None) -> UnderwritingParameters:
    """The set named in the request, else the one in force today for the caller's kommune."""
    row = parameter_set_service.resolve(
        session,
        set_id=ref.id if ref else None,
        version=ref.version if ref else None,
        kommune_number=principal.kommune_number,
    )
    return parameter_set_service.underwriting_view(row)


async def cached_parameters_for(
    engine: Engine, catalogue: ParameterSetCatalogue, principal: Principal, ref: uw.ParameterSetRef | None
) -> UnderwritingParameters:
    """As :func:`parameters_for`, from the in-process parameter-set cache (no database work while it is fresh;
    when it is not, the database is asked in the thread pool)."""
    return await parameter_set_service.cached_underwriting_view_async(
        engine,
        catalogue,
        set_id=ref.id if ref else None,
        version=ref.version if ref else None,
        kommune_number=principal.kommune_number,
    )


def affordability(request: uw.AffordabilityRequestIn, params: UnderwritingParameters) -> uw.AffordabilityOut:
    return uw.AffordabilityOut.from_domain(assess_affordability(request.to_domain(), params))


def plan(request: uw.FinancingPlanRequestIn, params: UnderwritingParameters) -> uw.FinancingPlanOut:
    return uw.FinancingPlanOut.from_domain(financing_plan(request.to_domain(), params))


def schedule(request: uw.ScheduleRequestIn) -> uw.ScheduleOut:
    return uw.ScheduleOut.from_domain(build_schedule(request.to_domain()), include_rows=request.include_rows)
