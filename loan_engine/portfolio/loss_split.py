"""Tapsdeling: how a realised startlån loss is split between the kommune and the state.

Rule (forskrift om lån fra Husbanken § 7-5; domain_rules §5.1, CONFIRMED): the kommune carries the loss risk for the
first 25 % of the remaining principal *plus* overdue interest and costs before realisation; the state carries the
rest. Default interest is not part of the basis; interest and costs accrued earlier than 6 months before
realisation (12 if the kommune is blameless) are excluded from the basis — the kommune bears those itself.

Engine formula (domain_rules §5.2, DERIVED, with our documented choice for the excluded part)::

    claim_eligible = principal + eligible interest and costs
    proceeds       = net sale proceeds left for the startlån after the senior bank loan
    loss           = max(0, claim_eligible + excluded interest − proceeds)
    loss_eligible  = min(loss, max(0, claim_eligible − proceeds))     # proceeds applied to the eligible claim first
    kommune        = (loss − loss_eligible) + min(loss_eligible, 25 % · principal + eligible interest and costs)
    state          = loss_eligible − min(loss_eligible, 25 % · principal + eligible interest and costs)

Applying the proceeds to the eligible claim first is an assumption (the rule says proceeds cover interest and
costs first, not which); it is the choice that does not shift excluded amounts to the state.

Husbanken's two worked examples (§5.2) are tests: full financing 1 000 000 sold for 800 000 → the kommune bears all
200 000; a 200 000 top loan behind an 800 000 bank loan, same sale → kommune 50 000, state 150 000.
"""

from __future__ import annotations

from dataclasses import dataclass

from numba import njit

from loan_engine.errors import InvalidInput


@njit(cache=True)
def split_loss(
    principal: float,
    eligible_interest_costs: float,
    excluded_interest: float,
    proceeds: float,
    kommune_share: float,
) -> tuple[float, float, float]:
    """Return ``(loss, kommune, state)``. Pure arithmetic; used inside the Numba kernel."""
    p = proceeds if proceeds > 0.0 else 0.0
    claim_eligible = principal + eligible_interest_costs
    loss = claim_eligible + excluded_interest - p
    if loss < 0.0:
        loss = 0.0
    loss_eligible = claim_eligible - p
    if loss_eligible < 0.0:
        loss_eligible = 0.0
    if loss_eligible > loss:
        loss_eligible = loss
    basis = kommune_share * principal + eligible_interest_costs
    k_part = loss_eligible if loss_eligible < basis else basis
    kommune = (loss - loss_eligible) + k_part
    state = loss_eligible - k_part
    return loss, kommune, state


@dataclass(frozen=True)
class LossSplit:
    loss: float
    kommune: float
    state: float


def tapsdeling(
    *,
    principal: float,
    sale_price_net: float,
    prior_bank_claim: float = 0.0,
    eligible_interest_costs: float = 0.0,
    excluded_interest: float = 0.0,
    kommune_share: float = 0.25,
) -> LossSplit:
    """Split a realised loss. ``sale_price_net`` is after sale costs; the senior bank loan is paid first."""
    for name, v in (
        ("principal", principal),
        ("sale_price_net", sale_price_net),
        ("prior_bank_claim", prior_bank_claim),
        ("eligible_interest_costs", eligible_interest_costs),
        ("excluded_interest", excluded_interest),
    ):
        if not v >= 0:  # also catches NaN
            raise InvalidInput(f"{name} must be a non-negative number.", field=name, rule="non-negative")
    if not 0.0 <= kommune_share <= 1.0:
        raise InvalidInput("kommune_share must be between 0 and 1.", field="kommune_share", rule="share-0-to-1")
    proceeds = max(0.0, sale_price_net - prior_bank_claim)
    loss, kommune, state = split_loss(principal, eligible_interest_costs, excluded_interest, proceeds, kommune_share)
    return LossSplit(loss=loss, kommune=kommune, state=state)
