"""Booleans are not numbers in request documents (api.strict), at the top level, in nested models, lists and dicts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from api.portfolio.stress_tests_schemas import ScenarioIn
from api.underwriting.schemas import AffordabilityRequestIn


def household() -> dict[str, Any]:
    return {
        "household": {"members": [{"age": 34, "sex": "female"}, {"age": 7, "sex": "male"}]},
        "income": {"net_monthly": 54_000},
        "other_fixed_costs_monthly": 100,
        "existing_debts": [{"balance": 120_000, "monthly_payment": 1_900}],
        "dwelling": {"price": 2_900_000, "fellesgjeld": 400_000, "costs": 30_000, "equity": 50_000},
    }


def _errors(model: Any, doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(doc)
    return [(e["loc"], e["type"]) for e in info.value.errors()]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("household", "members", 1, "age"), "int_type"),
        (("income", "net_monthly"), "float_type"),
        (("other_fixed_costs_monthly",), "float_type"),
        (("existing_debts", 0, "balance"), "float_type"),
        (("dwelling", "price"), "float_type"),
    ],
)
def test_a_boolean_for_a_number_is_refused_where_it_stands(path: tuple[Any, ...], kind: str) -> None:
    for value in (True, False):
        doc = copy.deepcopy(household())
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert _errors(AffordabilityRequestIn, doc) == [(path, kind)]


def test_booleans_inside_a_dict_of_numbers_are_refused_and_numbers_pass() -> None:
    assert _errors(ScenarioIn, {"assumptions": {"a": 1.0, "b": True}}) == [(("assumptions",), "float_type")]
    assert ScenarioIn.model_validate({"assumptions": {"a": 1, "b": 2.5}}).assumptions == {"a": 1.0, "b": 2.5}


def test_fields_that_hold_no_number_keep_their_own_errors() -> None:
    doc = household()
    doc["household"]["members"][0]["sex"] = True  # text: pydantic's own string error, not the number rule
    assert _errors(AffordabilityRequestIn, doc) == [(("household", "members", 0, "sex"), "enum")]
    doc = household()
    doc["household"]["members"] = [True]  # a list of models: the model's own error
    assert _errors(AffordabilityRequestIn, doc) == [(("household", "members", 0), "model_type")]
