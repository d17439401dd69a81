"""``POST /v1/schedules``: a full repayment schedule and its totals."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AnyRoleDep
from api.problems import problem_responses
from api.underwriting import service
from api.underwriting.schemas import ScheduleOut, ScheduleRequestIn

router = APIRouter(prefix="/v1/schedules", tags=["underwriting"])


@router.post(
    "",
    response_model=ScheduleOut,
    summary="Repayment schedule (annuity or serial, interest-only, fixed then floating, rate changes)",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
)
def post_schedule(request: ScheduleRequestIn, principal: AnyRoleDep) -> ScheduleOut:
    """Monthly schedule: period, payment, interest, principal, balance (øre precision), and totals. The last payment
    absorbs the rounding so that the principal sums to the loan exactly."""
    return service.schedule(request)
