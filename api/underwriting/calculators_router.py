"""``POST /v1/debt-service`` and ``POST /v1/repayment-period``: Husbanken's betjeningsevne and nedbetalingstid
calculators, one to one (terminbeløp is ``/v1/schedules``; lånebeløp og tilskuddsbehov are ``/v1/affordability``
and ``/v1/financing-plans``)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyRoleDep, CatalogueDep, EngineDep
from api.problems import problem_responses
from api.underwriting import service
from api.underwriting.calculators_schemas import (
    DebtServiceOut,
    DebtServiceRequestIn,
    RepaymentPeriodOut,
    RepaymentPeriodRequestIn,
)

router = APIRouter(tags=["underwriting"])


@router.post(
    "/v1/debt-service",
    response_model=DebtServiceOut,
    summary="Betjeningsevne: surplus or deficit in kroner per month for a given loan",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def post_debt_service(
    request: DebtServiceRequestIn, engine: EngineDep, catalogue: CatalogueDep, principal: AnyRoleDep
) -> DebtServiceOut:
    """The household's whole budget (as for ``POST /v1/affordability``: gross or net incomes, benefits, debts with
    their terms, housing costs) and a loan amount: what is left, or missing, each month when the household carries
    the loan at the stress test. Every step explained in bokmål and English."""
    params = await service.cached_parameters_for(engine, catalogue, principal, request.parameter_set)
    return service.debt_service(request, params, principal.kommune_number)


@router.post(
    "/v1/repayment-period",
    response_model=RepaymentPeriodOut,
    summary="Nedbetalingstid: the term a monthly instalment pays off a principal at a rate",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
async def post_repayment_period(request: RepaymentPeriodRequestIn, principal: AnyRoleDep) -> RepaymentPeriodOut:
    """Months (and the smaller last payment) until an annuity instalment pays off the principal; a problem naming
    ``instalment`` when it does not cover the first month's interest."""
    return service.repayment_period(request)
