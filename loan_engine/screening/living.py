"""Living costs for a whole register at once: :func:`loan_engine.underwriting.rules.living_costs` (no caseworker
figure: SIFO, never below the social-assistance floor) applied to the register's member and household columns.

The rule itself lives in :mod:`loan_engine.underwriting.rules`; the single affordability answer calls the same
function with its household as an array of one.
"""

from __future__ import annotations

import numpy as np

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.register import Register
from loan_engine.underwriting.rules import LivingCostArrays, living_costs

__all__ = ["LivingCostArrays", "living_costs_vectorised"]


def living_costs_vectorised(reg: Register, params: UnderwritingParameters) -> LivingCostArrays:
    n = len(reg)
    return living_costs(
        params,
        household_of_member=np.repeat(np.arange(n), reg.size),
        age=reg.member_age,
        female=reg.member_female,
        car=np.asarray(reg.car, dtype=object),
        children_in_barnehage=reg.children_in_barnehage,
        children_in_sfo=reg.children_in_sfo,
        n=n,
    )
