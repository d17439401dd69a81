"""Builders shared by the underwriting tests."""

from __future__ import annotations

from loan_engine.parameters import UnderwritingParameters, builtin_parameter_set, underwriting_parameters
from loan_engine.underwriting.affordability import AffordabilityRequest, Dwelling, HousingCosts, Income, LoanWish
from loan_engine.underwriting.living_costs import Car, Household, Member, Sex


def params() -> UnderwritingParameters:
    """The first 2026 set: the hand-worked figures in these tests are pinned to it (stored cases recompute with it)."""
    return underwriting_parameters(builtin_parameter_set("no-2026-1", 1))


def params_v2() -> UnderwritingParameters:
    """The set with the whole-budget rules (issue 13), in force from 2026-11-01."""
    return underwriting_parameters(builtin_parameter_set("no-2026-2", 1))


def family() -> Household:
    """SIFO's example family: couple 25–50, boy 5, girl 11, petrol car."""
    return Household(
        (Member(40, Sex.MALE), Member(38, Sex.FEMALE), Member(5, Sex.MALE), Member(11, Sex.FEMALE)), Car.PETROL
    )


def single_parent() -> Household:
    return Household((Member(35, Sex.FEMALE), Member(6, Sex.MALE)), Car.NONE, 0, 1)


def request(
    income: float = 60_000,
    *,
    household: Household | None = None,
    loan: LoanWish | None = None,
    living: float | None = None,
    housing: float = 5_000,
    dwelling: Dwelling | None = None,
) -> AffordabilityRequest:
    return AffordabilityRequest(
        household=household or single_parent(),
        income=Income(income),
        housing_costs=HousingCosts(other=housing),
        loan=loan or LoanWish(),
        living_costs_monthly=living,
        dwelling=dwelling,
    )
