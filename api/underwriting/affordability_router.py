"""``POST /v1/affordability``: how large a startlån a household can carry, with its reasoning."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyRoleDep, SessionDep
from api.problems import problem_responses
from api.underwriting import service
from api.underwriting.schemas import AffordabilityOut, AffordabilityRequestIn

router = APIRouter(prefix="/v1/affordability", tags=["underwriting"])


@router.post(
    "",
    response_model=AffordabilityOut,
    summary="Debt-service capacity (betjeningsevne) and the maximum startlån",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
def post_affordability(request: AffordabilityRequestIn, session: SessionDep, principal: AnyRoleDep) -> AffordabilityOut:
    """Disposable income after living costs (SIFO, the caseworker's actual consumption, never below the
    social-assistance floor), other fixed costs, existing debts and housing costs; the largest startlån it can carry
    at the stress rate; fees deducted at payout; every step explained in bokmål and English."""
    params = service.parameters_for(session, principal, request.parameter_set)
    return service.affordability(request, params, principal.kommune_number)
