"""``POST /v1/financing-plans``: the financing ladder for a concrete purchase and the smallest grant."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyRoleDep, CatalogueDep, EngineDep
from api.problems import problem_responses
from api.underwriting import service
from api.underwriting.schemas import FinancingPlanOut, FinancingPlanRequestIn

# async: the calculation is pure CPU work of well under a millisecond, run on the event loop; the parameter set
# comes from memory (api.caching), so the warm path has no thread-pool hop and no database work.
router = APIRouter(prefix="/v1/financing-plans", tags=["underwriting"])


@router.post(
    "",
    response_model=FinancingPlanOut,
    summary="Financing ladder (reference, fixed rate, longer term, interest-only, adjusted consumption, grant)",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def post_financing_plan(
    request: FinancingPlanRequestIn, engine: EngineDep, catalogue: CatalogueDep, principal: AnyRoleDep
) -> FinancingPlanOut:
    """Tries the reference solution (floating rate, 30 years, full living costs), then fixed rate, a longer term
    (only where § 8-5 allows it), interest-only years (where an income rise is expected: an income with
    ``starts_on``; in the parameter set's order) and the caseworker's adjusted consumption, and only then a grant:
    returns every
    step tried, the first that works, and the smallest whole-krone grant that makes the purchase serviceable."""
    params = await service.cached_parameters_for(engine, catalogue, principal, request.parameter_set)
    return service.plan(request, params, principal.kommune_number)
