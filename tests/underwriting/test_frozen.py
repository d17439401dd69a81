"""loan_engine.frozen.evolve: the same record as dataclasses.replace."""

from __future__ import annotations

import dataclasses

import pytest

from loan_engine.frozen import evolve
from loan_engine.underwriting.affordability import AffordabilityRequest, Income
from loan_engine.underwriting.living_costs import Household, Member, Sex


@dataclasses.dataclass(frozen=True)
class _Checked:
    a: int
    b: int = 0

    def __post_init__(self) -> None:
        if self.b < 0:
            raise ValueError("b < 0")


def test_evolve_equals_replace() -> None:
    base = AffordabilityRequest(Household((Member(30, Sex.FEMALE),)), Income(net_monthly=30_000.0))
    new = evolve(base, other_fixed_costs_monthly=1_500.0, income=Income(net_monthly=31_000.0))
    assert new == dataclasses.replace(base, other_fixed_costs_monthly=1_500.0, income=Income(net_monthly=31_000.0))
    assert type(new) is AffordabilityRequest
    assert base.other_fixed_costs_monthly == 0.0  # the original is unchanged
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.other_fixed_costs_monthly = 0.0  # type: ignore[misc]


def test_evolve_checks_like_replace() -> None:
    base = AffordabilityRequest(Household((Member(30, Sex.FEMALE),)), Income(net_monthly=30_000.0))
    with pytest.raises(TypeError):
        evolve(base, no_such_field=1)
    with pytest.raises(ValueError, match="b < 0"):  # a class with __post_init__ goes through replace
        evolve(_Checked(1), b=-1)
    assert evolve(_Checked(1), b=2) == _Checked(1, 2)
