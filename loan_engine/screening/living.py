"""Living costs for a whole register at once: :func:`loan_engine.underwriting.living_costs.choose_living_costs` (no
caseworker
figure: SIFO, never below the social-assistance floor) vectorised over households.

The numbers come from the parameter set (``params.sifo``, ``params.floor``) through the **same band look-up**
the single-household rules use (:func:`loan_engine.underwriting.living_costs._band_amount`); only the arithmetic is
arranged
over arrays. The additions are made in the same order as the single-household budget (members' items, the
large-family food reduction, household items, car, barnehage, SFO), so the totals are bit-for-bit the same —
``tests/screening/test_batch_equals_single.py`` checks every row of a sample register.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from loan_engine.parameters import UnderwritingParameters
from loan_engine.screening.register import Register
from loan_engine.underwriting.living_costs import MAX_AGE, Car, Sex, _band_amount

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LivingCostArrays:
    sifo: FloatArray
    floor: FloatArray
    amount: FloatArray  # the one used: SIFO where it is not below the floor, else the floor
    from_floor: npt.NDArray[np.bool_]


def _member_tables(params: UnderwritingParameters) -> tuple[FloatArray, FloatArray]:
    """Per (female, age): the sum of a member's individual SIFO items (incl. the infant supplement), and food."""
    sifo = params.sifo
    total = np.zeros((2, MAX_AGE + 1), dtype=np.float64)
    food = np.zeros((2, MAX_AGE + 1), dtype=np.float64)
    for female, sex in ((0, Sex.MALE), (1, Sex.FEMALE)):
        for age in range(MAX_AGE + 1):
            s = 0.0
            for item in sifo.individual:
                amount = _band_amount(item.bands, age, sex)
                s += amount
                if item.key == "food":
                    food[female, age] = amount
            if age == 0:
                s += sifo.infant_supplement_under_1
            total[female, age] = s
    return total, food


def living_costs_vectorised(reg: Register, params: UnderwritingParameters) -> LivingCostArrays:
    n = len(reg)
    sizes = reg.size
    hh_of_member = np.repeat(np.arange(n), sizes)
    total_t, food_t = _member_tables(params)
    fem = reg.member_female.astype(np.int64)
    ages = reg.member_age
    member_total = total_t[fem, ages]
    member_food = food_t[fem, ages]
    individual = np.bincount(hh_of_member, weights=member_total, minlength=n)
    food = np.bincount(hh_of_member, weights=member_food, minlength=n)
    adults = np.bincount(hh_of_member, weights=(ages >= 18).astype(np.float64), minlength=n).astype(np.int64)
    children = sizes - adults

    sifo = params.sifo
    total = individual.copy()
    large = (adults == 2) & (children >= sifo.large_family_min_children)
    total = np.where(large, total + (-food * sifo.large_family_food_reduction), total)
    for item in sifo.household:
        amounts = np.asarray(item.amounts_by_size, dtype=np.float64)
        total = total + amounts[np.minimum(sizes, len(amounts)) - 1]
    cars = np.asarray(reg.car, dtype=object)
    for kind, (small, big) in sifo.car.items():
        if kind == Car.NONE.value:
            continue
        has = cars == kind
        total = np.where(has, total + np.where(sizes <= 4, small, big), total)
    per = sifo.barnehage_per_child
    for k in range(int(reg.children_in_barnehage.max()) if n else 0):
        monthly = per[min(k, len(per) - 1)] * sifo.barnehage_months_per_year / 12
        total = np.where(reg.children_in_barnehage > k, total + monthly, total)
    sfo_monthly = sifo.sfo_per_child * sifo.sfo_months_per_year / 12
    for k in range(int(reg.children_in_sfo.max()) if n else 0):
        total = np.where(reg.children_in_sfo > k, total + sfo_monthly, total)

    fl = params.floor
    floor = np.where(adults == 1, fl.single_adult, 0.0)
    floor = np.where(adults >= 2, fl.couple + (adults - 2) * fl.person_in_shared_housing, floor)
    child_amount = np.where(ages <= 5, fl.child_0_5, np.where(ages <= 10, fl.child_6_10, fl.child_11_17))
    child_amount = np.where(ages < 18, child_amount, 0.0)
    floor = floor + np.bincount(hh_of_member, weights=child_amount, minlength=n)

    use_sifo = total >= floor
    return LivingCostArrays(
        sifo=np.asarray(total, dtype=np.float64),
        floor=np.asarray(floor, dtype=np.float64),
        amount=np.asarray(np.where(use_sifo, total, floor), dtype=np.float64),
        from_floor=~use_sifo,
    )
