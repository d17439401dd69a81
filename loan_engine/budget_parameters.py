"""Typed view of the parameter-set values the whole-budget rules need (issue 13): income tax, benefit rules,
bostøtte, stressed debts, the bank's utlånsforskriften limits, termingebyr and default housing running costs.

These values are optional in a parameter set: a set without them (e.g. ``no-2026-1``) computes exactly as before,
and a request that needs one of them (gross income, a benefit rule, a bostøtte estimate) is answered with an
:class:`~loan_engine.errors.InvalidInput` naming the missing value. Rates are fractions here (percent / 100).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from loan_engine.errors import InvalidInput

#: Keys of the optional whole-budget values.
BUDGET_KEYS: tuple[str, ...] = (
    "income_tax",
    "benefits",
    "bostotte",
    "bank_limits",
    "debt_rules",
    "fee_termingebyr",
    "housing_cost_defaults",
    "interest_only_rule",
)


@dataclass(frozen=True)
class TaxKind:
    trygdeavgift: str  # "wage" | "pension" | "self_employment" | "none"
    minstefradrag: str  # "wage" | "pension" | "none"
    pensioner_deduction: bool = False


@dataclass(frozen=True)
class MinstefradragRule:
    rate: float
    maximum: float
    minimum: float


@dataclass(frozen=True)
class IncomeTaxRules:
    year: int
    alminnelig_rate: float
    personfradrag: float
    minstefradrag_wage: MinstefradragRule
    minstefradrag_pension: MinstefradragRule
    trygdeavgift_rates: dict[str, float]
    trygdeavgift_lower_limit: float
    trygdeavgift_phase_in: float
    trinnskatt: tuple[tuple[float, float], ...]  # (threshold NOK/yr, rate fraction), increasing
    pensioner_max: float
    pensioner_step1_from: float
    pensioner_step1_rate: float
    pensioner_step2_from: float
    pensioner_step2_rate: float
    kinds: dict[str, TaxKind]


@dataclass(frozen=True)
class BenefitRules:
    grunnbelop: float
    barnetrygd_per_child: float
    barnetrygd_max_age: int
    utvidet_barnetrygd: float
    kontantstotte: float
    kontantstotte_age: int
    overgangsstonad_g: float
    overgangsstonad_reduction: float
    overgangsstonad_free_g: float
    overgangsstonad_max_years: int
    overgangsstonad_youngest_max_age: int
    child_support_max_age: int
    income_end_horizon_years: int


@dataclass(frozen=True)
class BostotteRules:
    coverage: float
    boutgiftstak_by_persons: tuple[float, ...]
    city_addition: dict[str, float]
    egenandel_minimum: float
    egenandel_rate: float
    egenandel_threshold: float
    weight_first: float
    weight_additional: float
    driftsutgift_enebolig_annual: float


@dataclass(frozen=True)
class BankLimits:
    max_debt_to_income: float
    max_ltv: float


@dataclass(frozen=True)
class DebtRules:
    floating_add_on: str  # "same_as_startlan"
    credit_card_monthly_share_of_limit: float
    default_remaining_years: dict[str, int]


@dataclass(frozen=True)
class HousingDefaults:
    electricity_per_m2: float
    insurance: float
    municipal_fees: float
    maintenance_per_m2: float


@dataclass(frozen=True)
class BudgetParameters:
    """What the whole-budget rules read; every part is ``None`` when the set does not define it."""

    tax: IncomeTaxRules | None = None
    benefits: BenefitRules | None = None
    bostotte: BostotteRules | None = None
    bank_limits: BankLimits | None = None
    debts: DebtRules | None = None
    termingebyr_monthly: float = 0.0
    housing_defaults: dict[str, HousingDefaults] | None = None
    interest_only_max_years: int | None = None

    def require_tax(self, field: str) -> IncomeTaxRules:
        if self.tax is None:
            raise InvalidInput(
                "The parameter set has no income_tax rules, so gross income cannot be converted to net; "
                "give net_monthly or use a parameter set with income_tax (e.g. no-2026-2).",
                field=field,
                rule="parameter-income-tax-required",
            )
        return self.tax

    def require_benefits(self, field: str) -> BenefitRules:
        if self.benefits is None:
            raise InvalidInput(
                "The parameter set has no benefit rules; use a parameter set with benefits (e.g. no-2026-2).",
                field=field,
                rule="parameter-benefits-required",
            )
        return self.benefits


def _pct(x: Any) -> float:
    return float(x) / 100


def _tax(raw: dict[str, Any]) -> IncomeTaxRules:
    md = raw["minstefradrag"]
    ta = raw["trygdeavgift"]
    pd = raw["pensioner_deduction"]
    brackets = tuple((float(t), _pct(r)) for t, r in raw["trinnskatt"])
    if any(b[0] <= a[0] for a, b in itertools.pairwise(brackets)):
        raise ValueError("income_tax.trinnskatt thresholds must increase")
    return IncomeTaxRules(
        year=int(raw["year"]),
        alminnelig_rate=_pct(raw["alminnelig_inntekt_percent"]),
        personfradrag=float(raw["personfradrag"]),
        minstefradrag_wage=MinstefradragRule(
            _pct(md["wage"]["percent"]), float(md["wage"]["maximum"]), float(md["wage"].get("minimum", 0))
        ),
        minstefradrag_pension=MinstefradragRule(
            _pct(md["pension"]["percent"]), float(md["pension"]["maximum"]), float(md["pension"].get("minimum", 0))
        ),
        trygdeavgift_rates={k: _pct(v) for k, v in ta["percent"].items()},
        trygdeavgift_lower_limit=float(ta["lower_limit"]),
        trygdeavgift_phase_in=_pct(ta["phase_in_percent"]),
        trinnskatt=brackets,
        pensioner_max=float(pd["maximum"]),
        pensioner_step1_from=float(pd["step1_from"]),
        pensioner_step1_rate=_pct(pd["step1_percent"]),
        pensioner_step2_from=float(pd["step2_from"]),
        pensioner_step2_rate=_pct(pd["step2_percent"]),
        kinds={
            k: TaxKind(str(v["trygdeavgift"]), str(v["minstefradrag"]), bool(v.get("pensioner_deduction", False)))
            for k, v in raw["kinds"].items()
        },
    )


def _benefits(raw: dict[str, Any]) -> BenefitRules:
    return BenefitRules(
        grunnbelop=float(raw["grunnbelop"]),
        barnetrygd_per_child=float(raw["barnetrygd_per_child_monthly"]),
        barnetrygd_max_age=int(raw["barnetrygd_max_age"]),
        utvidet_barnetrygd=float(raw["utvidet_barnetrygd_monthly"]),
        kontantstotte=float(raw["kontantstotte_monthly"]),
        kontantstotte_age=int(raw["kontantstotte_age_years"]),
        overgangsstonad_g=float(raw["overgangsstonad_g_per_year"]),
        overgangsstonad_reduction=_pct(raw["overgangsstonad_reduction_percent"]),
        overgangsstonad_free_g=float(raw["overgangsstonad_free_g"]),
        overgangsstonad_max_years=int(raw["overgangsstonad_max_years"]),
        overgangsstonad_youngest_max_age=int(raw["overgangsstonad_youngest_child_max_age"]),
        child_support_max_age=int(raw["child_support_max_age"]),
        income_end_horizon_years=int(raw["income_end_horizon_years"]),
    )


def _bostotte(raw: dict[str, Any]) -> BostotteRules:
    return BostotteRules(
        coverage=_pct(raw["coverage_percent"]),
        boutgiftstak_by_persons=tuple(float(x) for x in raw["boutgiftstak_by_persons"]),
        city_addition={str(k): float(v) for k, v in raw.get("boutgiftstak_city_addition", {}).items()},
        egenandel_minimum=float(raw["egenandel_minimum"]),
        egenandel_rate=_pct(raw["egenandel_percent"]),
        egenandel_threshold=float(raw["egenandel_income_threshold"]),
        weight_first=float(raw["weight_first_person"]),
        weight_additional=float(raw["weight_additional_person"]),
        driftsutgift_enebolig_annual=float(raw["driftsutgift_enebolig_annual"]),
    )


def build_budget_parameters(values: dict[str, Any]) -> BudgetParameters:
    """``values`` maps key -> the raw ``value`` of each parameter present. Raises KeyError/TypeError/ValueError on a
    malformed value (the caller turns it into an InvalidInput naming the set)."""
    bl = values.get("bank_limits")
    dr = values.get("debt_rules")
    hd = values.get("housing_cost_defaults")
    io = values.get("interest_only_rule")
    return BudgetParameters(
        tax=_tax(values["income_tax"]) if "income_tax" in values else None,
        benefits=_benefits(values["benefits"]) if "benefits" in values else None,
        bostotte=_bostotte(values["bostotte"]) if "bostotte" in values else None,
        bank_limits=None if bl is None else BankLimits(float(bl["max_debt_to_income"]), _pct(bl["max_ltv_percent"])),
        debts=None
        if dr is None
        else DebtRules(
            str(dr["floating_add_on"]),
            _pct(dr["credit_card_monthly_percent_of_limit"]),
            {str(k): int(v) for k, v in dr.get("default_remaining_years", {}).items()},
        ),
        termingebyr_monthly=float(values["fee_termingebyr"]["monthly"]) if "fee_termingebyr" in values else 0.0,
        housing_defaults=None
        if hd is None
        else {
            str(k): HousingDefaults(
                float(v["electricity_per_m2"]),
                float(v["insurance"]),
                float(v["municipal_fees"]),
                float(v["maintenance_per_m2"]),
            )
            for k, v in hd.items()
        },
        interest_only_max_years=None if io is None else int(io["max_years"]),
    )
