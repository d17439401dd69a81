"""Bostøtte estimate after the purchase (Husbanken's formula, values in the parameter set's ``bostotte``), written
once over NumPy arrays (one household = an array of one)::

    weight       = 1 + 0.13 × (persons − 1)
    egenandel    = minimum + 16.44 % × (income / weight − threshold)⁺
    boutgifter   = min(housing costs incl. the loans' interest and instalments, boutgiftstak(persons) + city addition)
    bostøtte     = 73.7 % × (boutgifter − egenandel)⁺                       (NOK per year)

An estimate, never a vedtak; the progressive egenandel term above 195 220 kr is not modelled (see the set's note).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from loan_engine.budget_parameters import BostotteRules
from loan_engine.explain import ExplanationStep, kr_en, kr_nb

F = npt.NDArray[np.float64]


def bostotte_annual(
    income_annual: npt.ArrayLike,
    housing_costs_annual: npt.ArrayLike,
    persons: npt.ArrayLike,
    rules: BostotteRules,
    city_addition: npt.ArrayLike = 0.0,
) -> tuple[F, F, F]:
    """(bostøtte, egenandel, counted boutgifter) per household, NOK per year."""
    inc = np.asarray(income_annual, dtype=np.float64)
    cost = np.asarray(housing_costs_annual, dtype=np.float64)
    n = np.maximum(np.asarray(persons, dtype=np.int64), 1)
    weight = rules.weight_first + rules.weight_additional * (n - 1)
    egenandel = rules.egenandel_minimum + rules.egenandel_rate * np.maximum(
        inc / weight - rules.egenandel_threshold, 0.0
    )
    caps = np.asarray(rules.boutgiftstak_by_persons, dtype=np.float64)
    cap = caps[np.minimum(n, len(caps)) - 1] + np.asarray(city_addition, dtype=np.float64)
    counted = np.minimum(cost, cap)
    return rules.coverage * np.maximum(counted - egenandel, 0.0), egenandel, counted


def explain_bostotte(
    amount: float, egenandel: float, counted: float, income: float, counted_in_budget: bool
) -> ExplanationStep:
    nb = (
        f"Anslått bostøtte etter kjøpet (Husbankens formel): godkjente boutgifter {kr_nb(counted)} per år, egenandel "
        f"{kr_nb(egenandel)} ved inntekt {kr_nb(income)}: 73,7 % av differansen = {kr_nb(amount)} per år "
        f"({kr_nb(amount / 12)} per måned). Et anslag, ikke et vedtak; "
        + (
            "regnet med som inntekt etter saksbehandlers valg."
            if counted_in_budget
            else "ikke regnet med i budsjettet."
        )
    )
    en = (
        f"Estimated bostøtte after the purchase (Husbanken's formula): approved housing costs {kr_en(counted)} a year, "
        f"egenandel {kr_en(egenandel)} at income {kr_en(income)}: 73.7 % of the difference = {kr_en(amount)} a year "
        f"({kr_en(amount / 12)} a month). An estimate, not a decision; "
        + ("counted as income at the caseworker's choice." if counted_in_budget else "not counted in the budget.")
    )
    return ExplanationStep("bostotte_estimate", nb, en, amount / 12)
