"""Living costs for a whole register at once: :func:`loan_engine.underwriting.rules.living_costs` (no caseworker
figure: SIFO, never below the social-assistance floor) applied to the register's member and household columns.

The rule itself lives in :mod:`loan_engine.underwriting.rules`; the single affordability answer calls the same
function with its household as an array of one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.register import Register
from loan_engine.underwriting.rules import LivingCostArrays, living_costs

__all__ = ["LivingCostArrays", "living_costs_vectorised"]


def _cars(reg: Register) -> npt.NDArray[np.object_]:
    """The car kinds as an object array, from the few distinct values (each string object once)."""
    coded = reg.strings("car").dictionary_encode()
    kinds = np.empty(len(coded.dictionary), dtype=object)
    kinds[:] = coded.dictionary.to_pylist()
    out: npt.NDArray[np.object_] = kinds[np.asarray(coded.indices, dtype=np.int64)]
    return out


def living_costs_vectorised(reg: Register, params: UnderwritingParameters) -> LivingCostArrays:
    n = len(reg)
    return living_costs(
        params,
        household_of_member=np.repeat(np.arange(n), reg.size),
        age=reg.member_age,
        female=reg.member_female,
        car=_cars(reg),
        children_in_barnehage=reg.children_in_barnehage,
        children_in_sfo=reg.children_in_sfo,
        n=n,
    )
