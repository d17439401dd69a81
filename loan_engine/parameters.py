"""Versioned parameter sets: SIFO tables, social-assistance floors, rates and kommune rules.

A parameter set is a JSON document (built-in ones live in ``loan_engine/parameter_sets/*.json``; the API may store
more in the database). Every value carries its ``unit``, ``source`` and ``status`` (``confirmed``, ``secondary``,
``derived``, ``not-confirmed``) so that an answer can say where each number came from.

Two layers:

* :class:`ParameterSet` – the document, validated with pydantic (shape and provenance of every value).
* :class:`UnderwritingParameters` – a typed, frozen view the domain calculates with (rates as fractions).
  :func:`underwriting_parameters` builds it and raises :class:`~loan_engine.errors.InvalidInput` naming the value
  when a document lacks something the underwriting rules need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loan_engine.budget_parameters import BUDGET_KEYS, BudgetParameters, build_budget_parameters
from loan_engine.errors import InvalidInput, NotFound

Status = Literal["confirmed", "secondary", "derived", "not-confirmed"]

#: Keys an underwriting parameter set must define.
REQUIRED_KEYS: tuple[str, ...] = (
    "policy_rate",
    "stress_rule",
    "bank_stress_rule",
    "husbanken_rates",
    "kommune_margin_pp",
    "fee_etableringsgebyr",
    "term_rules",
    "rental_income_months",
    "grant",
    "ladder_order",
    "sosialhjelp_floor",
    "sifo_individual",
    "sifo_household",
)


class ParameterValue(BaseModel):
    """One value with its provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Any = Field(description="The value: a number, or a table (object/list) for structured values")
    unit: str = Field(min_length=1, description="Unit, e.g. 'NOK per month', 'percent per year'")
    source: str = Field(min_length=1, description="Where the value comes from (URL or document and line)")
    status: Status = Field(description="confirmed | secondary | derived | not-confirmed")
    note: str | None = Field(default=None, description="Caveats, what to verify")


class ParameterSet(BaseModel):
    """A versioned parameter-set document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: int = Field(ge=1)
    valid_from: date
    kommune_number: str | None = Field(default=None, pattern=r"^\d{4}$")
    description: str = ""
    values: dict[str, ParameterValue]

    def value(self, key: str) -> Any:
        try:
            return self.values[key].value
        except KeyError:
            raise InvalidInput(
                f"Parameter set {self.id} v{self.version} has no value '{key}'.",
                field=f"parameter_set.values.{key}",
                rule="parameter-required",
            ) from None


# --------------------------------------------------------------------------------------------------------------
# Typed view
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    from_age: int
    to_age: int
    sex: str  # "any" | "female" | "male"
    amount: float


@dataclass(frozen=True)
class SifoItem:
    key: str
    label_nb: str
    label_en: str
    bands: tuple[AgeBand, ...] = ()
    amounts_by_size: tuple[float, ...] = ()


@dataclass(frozen=True)
class SifoTables:
    year: int
    individual: tuple[SifoItem, ...]
    pregnant_food: float
    pregnancy_baby_equipment: float
    infant_supplement_under_1: float
    large_family_min_children: int  # couples with at least this many children get less food
    large_family_food_reduction: float  # fraction, e.g. 0.12
    household: tuple[SifoItem, ...]
    car: dict[str, tuple[float, float]]  # kind -> (up to 4 persons, from 5 persons)
    barnehage_per_child: tuple[float, ...]
    barnehage_months_per_year: int
    sfo_per_child: float
    sfo_months_per_year: int


@dataclass(frozen=True)
class SocialAssistanceFloor:
    valid_from: str
    single_adult: float
    couple: float
    person_in_shared_housing: float
    child_0_5: float
    child_6_10: float
    child_11_17: float


@dataclass(frozen=True)
class StressRule:
    base: str  # "policy_rate" | "startlan_floating_rate"
    add: float  # fraction per year
    minimum: float | None  # fraction per year


@dataclass(frozen=True)
class FeeRule:
    name: str
    percent_of_loan: float = 0.0  # percent, e.g. 1.0
    minimum: float = 0.0
    maximum: float | None = None
    amount: float = 0.0  # fixed NOK


@dataclass(frozen=True)
class UnderwritingParameters:
    """What the underwriting rules read from a parameter set. Rates are fractions per year."""

    set_id: str
    version: int
    policy_rate: float
    stress_rule: StressRule
    bank_stress_add: float
    bank_stress_minimum: float
    husbanken_floating: float
    husbanken_fixed: dict[int, float]
    kommune_margin: float
    fees: tuple[FeeRule, ...]
    ordinary_max_term_years: int
    special_max_term_years: int
    max_interest_only_years: int
    fixation_periods_years: tuple[int, ...]
    reference_term_years: int
    rental_income_months: int
    grant_form: str  # "write_down" | "interest_free_loan"
    grant_write_down_years: int
    ladder_order: tuple[str, ...]
    floor: SocialAssistanceFloor
    sifo: SifoTables
    budget: BudgetParameters = field(default_factory=BudgetParameters)  # whole-budget rules (issue 13)

    @property
    def startlan_floating_rate(self) -> float:
        """Husbanken's floating rate plus the kommune's margin."""
        return self.husbanken_floating + self.kommune_margin

    def startlan_fixed_rate(self, fixation_years: int) -> float:
        """Husbanken's fixed rate for the fixation period plus the kommune's margin."""
        return self.husbanken_fixed[fixation_years] + self.kommune_margin


LADDER_STEPS = ("fixed_rate", "longer_term", "adjusted_consumption")
OPTIONAL_LADDER_STEPS = ("interest_only",)  # newer sets may place it anywhere before the grant


def _bands(raw: list[dict[str, Any]]) -> tuple[AgeBand, ...]:
    return tuple(
        AgeBand(int(b["from_age"]), int(b["to_age"]), str(b.get("sex", "any")), float(b["amount"])) for b in raw
    )


def _build(ps: ParameterSet) -> UnderwritingParameters:
    stress = ps.value("stress_rule")
    bank = ps.value("bank_stress_rule")
    hb = ps.value("husbanken_rates")
    terms = ps.value("term_rules")
    grant = ps.value("grant")
    floor = ps.value("sosialhjelp_floor")
    ind = ps.value("sifo_individual")
    hh = ps.value("sifo_household")
    fees = [FeeRule(name="etableringsgebyr", **ps.value("fee_etableringsgebyr"))]
    if "fee_tinglysingsgebyr" in ps.values:
        fees.append(FeeRule(name="tinglysingsgebyr", **ps.value("fee_tinglysingsgebyr")))
    order = tuple(str(s) for s in ps.value("ladder_order"))
    if sorted(s for s in order if s not in OPTIONAL_LADDER_STEPS) != sorted(LADDER_STEPS) or len(set(order)) != len(
        order
    ):
        raise InvalidInput(
            f"ladder_order must name each of {', '.join(LADDER_STEPS)} once, optionally "
            f"{', '.join(OPTIONAL_LADDER_STEPS)} (the grant is always last).",
            field="parameter_set.values.ladder_order",
            rule="ladder-order-steps",
        )
    if stress["base"] not in ("policy_rate", "startlan_floating_rate"):
        raise InvalidInput(
            "stress_rule.base must be policy_rate or startlan_floating_rate.",
            field="parameter_set.values.stress_rule",
            rule="stress-rule-base",
        )
    if grant["form"] not in ("write_down", "interest_free_loan"):
        raise InvalidInput(
            "grant.form must be write_down or interest_free_loan.",
            field="parameter_set.values.grant",
            rule="grant-form",
        )
    minimum = stress.get("minimum_percent")
    individual = tuple(
        SifoItem(key=k, label_nb=v["label_nb"], label_en=v["label_en"], bands=_bands(v["bands"]))
        for k, v in ind["items"].items()
    )
    household = tuple(
        SifoItem(
            key=k,
            label_nb=v["label_nb"],
            label_en=v["label_en"],
            amounts_by_size=tuple(float(a) for a in v["amounts"]),
        )
        for k, v in hh["by_household_size"].items()
    )
    return UnderwritingParameters(
        set_id=ps.id,
        version=ps.version,
        policy_rate=float(ps.value("policy_rate")) / 100,
        stress_rule=StressRule(
            base=str(stress["base"]),
            add=float(stress["add_pp"]) / 100,
            minimum=None if minimum is None else float(minimum) / 100,
        ),
        bank_stress_add=float(bank["add_pp"]) / 100,
        bank_stress_minimum=float(bank["minimum_percent"]) / 100,
        husbanken_floating=float(hb["floating"]) / 100,
        husbanken_fixed={int(k): float(v) / 100 for k, v in hb["fixed"].items()},
        kommune_margin=float(ps.value("kommune_margin_pp")) / 100,
        fees=tuple(fees),
        ordinary_max_term_years=int(terms["ordinary_max_years"]),
        special_max_term_years=int(terms["special_max_years"]),
        max_interest_only_years=int(terms["max_interest_only_years"]),
        fixation_periods_years=tuple(int(x) for x in terms["fixation_periods_years"]),
        reference_term_years=int(terms["reference_term_years"]),
        rental_income_months=int(ps.value("rental_income_months")),
        grant_form=str(grant["form"]),
        grant_write_down_years=int(grant.get("write_down_years", 0)),
        ladder_order=order,
        floor=SocialAssistanceFloor(
            valid_from=str(floor.get("valid_from", "")),
            single_adult=float(floor["single_adult"]),
            couple=float(floor["couple"]),
            person_in_shared_housing=float(floor["person_in_shared_housing"]),
            child_0_5=float(floor["child_0_5"]),
            child_6_10=float(floor["child_6_10"]),
            child_11_17=float(floor["child_11_17"]),
        ),
        sifo=SifoTables(
            year=int(ind["year"]),
            individual=individual,
            pregnant_food=float(ind["pregnant_food"]),
            pregnancy_baby_equipment=float(ind["pregnancy_baby_equipment"]),
            infant_supplement_under_1=float(ind["infant_supplement_under_1"]),
            large_family_min_children=int(ind.get("large_family_food_reduction", {}).get("min_children", 10**6)),
            large_family_food_reduction=float(ind.get("large_family_food_reduction", {}).get("percent", 0)) / 100,
            household=household,
            car={kind: (float(v["up_to_4_persons"]), float(v["from_5_persons"])) for kind, v in hh["car"].items()},
            barnehage_per_child=tuple(float(x) for x in hh["barnehage"]["per_child"]),
            barnehage_months_per_year=int(hh["barnehage"]["months_per_year"]),
            sfo_per_child=float(hh["sfo"]["per_child"]),
            sfo_months_per_year=int(hh["sfo"]["months_per_year"]),
        ),
        budget=build_budget_parameters({k: ps.values[k].value for k in BUDGET_KEYS if k in ps.values}),
    )


def underwriting_parameters(ps: ParameterSet) -> UnderwritingParameters:
    """The typed view of ``ps``; :class:`InvalidInput` naming the value if something is missing or malformed."""
    missing = [k for k in REQUIRED_KEYS if k not in ps.values]
    if missing:
        raise InvalidInput(
            f"Parameter set {ps.id} v{ps.version} lacks: {', '.join(missing)}.",
            field=f"parameter_set.values.{missing[0]}",
            rule="parameter-required",
        )
    try:
        return _build(ps)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            f"Parameter set {ps.id} v{ps.version} has a malformed value: {exc!r}.",
            field="parameter_set.values",
            rule="parameter-shape",
        ) from exc


def parse_parameter_set(document: dict[str, Any]) -> ParameterSet:
    """Validate a parameter-set document (shape, provenance, and the values underwriting needs)."""
    try:
        ps = ParameterSet.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(
            f"Invalid parameter set: {loc}: {first.get('msg')}",
            field=f"parameter_set.{loc}" if loc else "parameter_set",
            rule="parameter-set-schema",
        ) from exc
    underwriting_parameters(ps)
    return ps


@lru_cache(maxsize=1)
def builtin_parameter_sets() -> tuple[ParameterSet, ...]:
    """The parameter sets shipped in ``loan_engine/parameter_sets``, newest ``valid_from`` first."""
    sets = []
    for entry in resources.files("loan_engine.parameter_sets").iterdir():
        if entry.name.endswith(".json"):
            sets.append(parse_parameter_set(json.loads(entry.read_text(encoding="utf-8"))))
    sets.sort(key=lambda s: (s.valid_from, s.version), reverse=True)
    return tuple(sets)


def builtin_parameter_set(set_id: str, version: int | None = None) -> ParameterSet:
    for ps in builtin_parameter_sets():
        if ps.id == set_id and (version is None or ps.version == version):
            return ps
    raise NotFound(f"No built-in parameter set {set_id!r}.", field="parameter_set.id", rule="parameter-set-exists")


def default_parameter_set() -> ParameterSet:
    """The newest built-in national parameter set."""
    national = [s for s in builtin_parameter_sets() if s.kommune_number is None]
    return national[0]


@lru_cache(maxsize=32)
def _cached_view(set_id: str, version: int) -> UnderwritingParameters:
    return underwriting_parameters(builtin_parameter_set(set_id, version))


def default_underwriting_parameters() -> UnderwritingParameters:
    ps = default_parameter_set()
    return _cached_view(ps.id, ps.version)
