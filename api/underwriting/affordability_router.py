"""``POST /v1/affordability``: how large a startlån a household can carry, with its reasoning."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import AnyRoleDep, parameter_set_catalogue
from api.lean_route import LeanJSONRoute
from api.problems import problem_responses
from api.underwriting import service
from api.underwriting.schemas import AffordabilityOut, AffordabilityRequestIn

# async: the calculation is pure CPU work of well under a millisecond, run on the event loop; the parameter set
# comes from memory (api.caching), so the warm path has no thread-pool hop and no database work.
# LeanJSONRoute: the happy path (JSON body, a key that may) answered without FastAPI's general handler; every
# refusal still comes from FastAPI's (api.lean_route).
router = APIRouter(prefix="/v1/affordability", tags=["underwriting"], route_class=LeanJSONRoute)


@router.post(
    "",
    response_model=AffordabilityOut,
    summary="Debt-service capacity (betjeningsevne) and the maximum startlån",
    responses=problem_responses(400, 401, 403, 404, 413, 415, 422),
)
async def post_affordability(request: AffordabilityRequestIn, http: Request, principal: AnyRoleDep) -> AffordabilityOut:
    """Disposable income after living costs (SIFO, the caseworker's actual consumption, never below the
    social-assistance floor), other fixed costs, existing debts and housing costs; the largest startlån it can carry
    at the stress rate; fees deducted at payout; every step explained in bokmål and English."""
    # the engine and the catalogue from the app state (what EngineDep/CatalogueDep give): fewer dependencies to solve
    app = http.app
    params = await service.cached_parameters_for(
        app.state.engine, parameter_set_catalogue(app), principal, request.parameter_set
    )
    return service.affordability(request, params, principal.kommune_number)
