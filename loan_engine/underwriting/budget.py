"""The caseworker's whole budget (issue 13): from what a caseworker has — gross incomes, benefits by their rules,
debts with their terms, the dwelling's type and size — to the affordability answer, with every figure explained.

:func:`assess_budget` resolves the whole budget into an :class:`AffordabilityRequest` and calls the one
affordability rule (:func:`~loan_engine.underwriting.affordability.assess_affordability`); each part is its own
rule module over NumPy arrays (``tax``, ``benefits``, ``debts``, ``bostotte``, ``calculators``):

1. income: gross → net per person for the set's tax year (optionally with rentefradrag), benefits by their rules,
   incomes that start later left out today (they feed the ladder's interest-only step), incomes that end within
   the set's horizon also taken out in a second answer "after it ends";
2. debts: counted at their stressed payment (floating + the startlån's add-on, fixed until fixation ends, cards
   by their limit); the share of fellesgjeld with its rate and terms likewise (the stress increment is added);
3. housing running costs: defaults by dwelling type and size where the caseworker left zeros, each shown;
   termingebyr added to the monthly costs;
4. loan purpose: purchase, refinancing (existing mortgage and chosen debts consolidated, the dwelling's value as
   security) or improvement/adaptation (the value after the works as security);
5. co-financing: the bank's part checked against utlånsforskriften (debt ≤ 5 × gross income, LTV ≤ 90 %);
6. bostøtte estimate after the purchase, as a labelled option.

A request that uses none of these computes exactly as :func:`assess_affordability` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

import numpy as np

from loan_engine.budget_parameters import BudgetParameters
from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb, pct_en, pct_nb
from loan_engine.frozen import evolve
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    AffordabilityResult,
    Dwelling,
    ExistingDebt,
    HousingCosts,
    Income,
    IncomeKind,
    IncomeSource,
    assess_affordability,
    startlan_stress_rate,
)
from loan_engine.underwriting.benefits import BenefitClaims, BenefitIncome, benefit_incomes, explain_benefits
from loan_engine.underwriting.bostotte import bostotte_annual, explain_bostotte
from loan_engine.underwriting.debts import (
    DebtKind,
    DebtLine,
    DebtRateType,
    DebtTerms,
    annuity_payment_vec,
    counted_payments,
    explain_debts,
    validate_debt,
)
from loan_engine.underwriting.interest_only import IncomeRise
from loan_engine.underwriting.tax import TaxResult, explain_tax, income_tax, tax_base

MAX_AMOUNT = 1_000_000_000.0


class BudgetIncomeKind(StrEnum):
    SALARY = "salary"
    SELF_EMPLOYMENT = "self_employment"
    PENSION = "pension"
    DISABILITY = "disability"  # uføretrygd
    AAP = "aap"  # arbeidsavklaringspenger
    OVERGANGSSTONAD = "overgangsstonad"
    BENEFITS = "benefits"
    CHILD_BENEFIT = "child_benefit"
    CHILD_SUPPORT = "child_support"
    HOUSING_ALLOWANCE = "housing_allowance"
    RENTAL = "rental"
    OTHER = "other"


#: the affordability rule's income kinds (rental counts 10 of 12 months; the rest are labels)
_AFFORDABILITY_KIND = {
    BudgetIncomeKind.SALARY: IncomeKind.SALARY,
    BudgetIncomeKind.SELF_EMPLOYMENT: IncomeKind.SELF_EMPLOYMENT,
    BudgetIncomeKind.PENSION: IncomeKind.PENSION,
    BudgetIncomeKind.DISABILITY: IncomeKind.BENEFITS,
    BudgetIncomeKind.AAP: IncomeKind.BENEFITS,
    BudgetIncomeKind.OVERGANGSSTONAD: IncomeKind.BENEFITS,
    BudgetIncomeKind.BENEFITS: IncomeKind.BENEFITS,
    BudgetIncomeKind.CHILD_BENEFIT: IncomeKind.CHILD_BENEFIT,
    BudgetIncomeKind.CHILD_SUPPORT: IncomeKind.OTHER,
    BudgetIncomeKind.HOUSING_ALLOWANCE: IncomeKind.HOUSING_ALLOWANCE,
    BudgetIncomeKind.RENTAL: IncomeKind.RENTAL,
    BudgetIncomeKind.OTHER: IncomeKind.OTHER,
}


class LoanPurpose(StrEnum):
    PURCHASE = "purchase"
    REFINANCING = "refinancing"
    IMPROVEMENT = "improvement"


class DwellingType(StrEnum):
    APARTMENT = "apartment"
    TERRACED = "terraced"
    DETACHED = "detached"


@dataclass(frozen=True)
class BudgetIncome:
    kind: BudgetIncomeKind
    net_monthly: float | None = None
    gross_annual: float | None = None
    person: int = 0  # index into household.members (whose tax this is)
    starts_on: date | None = None
    ends_on: date | None = None
    description: str = ""


@dataclass(frozen=True)
class BudgetDebt:
    balance: float
    monthly_payment: float | None = None
    annual_rate: float | None = None  # fraction per year
    remaining_years: float | None = None
    rate_type: DebtRateType = DebtRateType.FLOATING
    fixed_years_left: float = 0.0
    kind: DebtKind = DebtKind.OTHER
    credit_limit: float | None = None
    description: str = ""
    consolidate: bool = False  # refinancing: pay this debt off with the startlån


@dataclass(frozen=True)
class FellesgjeldTerms:
    annual_rate: float  # fraction per year
    remaining_years: float
    interest_only_years_left: float = 0.0


@dataclass(frozen=True)
class DwellingFacts:
    type: DwellingType | None = None
    area_m2: float | None = None


@dataclass(frozen=True)
class Refinancing:
    dwelling_value: float
    costs: float = 0.0


@dataclass(frozen=True)
class Improvement:
    cost_of_works: float
    value_after_works: float


@dataclass(frozen=True)
class BudgetRequest:
    """``base`` carries household, housing costs, other fixed costs, loan wish, bank loan and dwelling; its
    ``income`` and ``existing_debts`` are used as given when ``incomes`` / ``debts`` are empty."""

    base: AffordabilityRequest
    incomes: tuple[BudgetIncome, ...] = ()
    benefits: BenefitClaims | None = None
    debts: tuple[BudgetDebt, ...] = ()
    fellesgjeld_terms: FellesgjeldTerms | None = None
    dwelling_facts: DwellingFacts | None = None
    housing_itemised: bool = True  # False when the caseworker gave housing costs as one total
    purpose: LoanPurpose = LoanPurpose.PURCHASE
    refinancing: Refinancing | None = None
    improvement: Improvement | None = None
    deduct_interest: bool = False
    bostotte: bool = False  # estimate bostøtte after the purchase
    count_bostotte: bool = False  # ... and count the estimate as income
    kommune_number: str | None = None
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class IncomeLine:
    kind: str
    description: str
    person: int
    gross_annual: float | None
    net_monthly: float
    counted_today: bool
    starts_on: date | None
    ends_on: date | None
    years_left: float | None


@dataclass(frozen=True)
class PersonTax:
    person: int
    gross_annual: float
    trygdeavgift: float
    trinnskatt: float
    tax_alminnelig: float
    minstefradrag: float
    pensioner_deduction: float
    interest_deducted: float
    tax: float
    net_annual: float


@dataclass(frozen=True)
class HousingDefaultUsed:
    item: str
    amount: float


@dataclass(frozen=True)
class AfterIncomeEnds:
    ends: tuple[str, ...]
    years: float  # the earliest end, years from today
    max_loan: int
    available_monthly: float
    nb: str
    en: str


@dataclass(frozen=True)
class BankLimitCheck:
    checked: bool
    gross_income_annual: float | None
    total_debt: float
    debt_to_income: float | None
    max_debt_to_income: float
    debt_ok: bool | None
    ltv: float | None
    max_ltv: float
    ltv_ok: bool | None
    max_bank_loan: float | None
    possible: bool | None
    nb: str
    en: str


@dataclass(frozen=True)
class BostotteEstimate:
    monthly: float
    annual: float
    egenandel: float
    counted_costs: float
    counted_in_budget: bool


@dataclass(frozen=True)
class PurposeResult:
    purpose: LoanPurpose
    need: float
    security_limit: float | None
    covered: bool | None
    nb: str
    en: str


@dataclass(frozen=True)
class BudgetResult:
    affordability: AffordabilityResult
    incomes: tuple[IncomeLine, ...]
    taxes: tuple[PersonTax, ...]
    debts: tuple[DebtLine, ...]
    housing_defaults: tuple[HousingDefaultUsed, ...]
    termingebyr_monthly: float
    fellesgjeld_stress_monthly: float
    after_income_ends: AfterIncomeEnds | None
    bank_limits: BankLimitCheck | None
    bostotte: BostotteEstimate | None
    purpose: PurposeResult
    income_rise: IncomeRise | None
    gross_income_annual: float | None
    resolved: AffordabilityRequest  # what the affordability rule was asked (for the calculators and the ladder)


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


def _amount(value: float, name: str, limit: float = MAX_AMOUNT) -> None:
    if not math.isfinite(value) or value < 0 or value > limit:
        raise InvalidInput(
            f"{name} must be between 0 and {limit:,.0f}.".replace(",", " "),
            field=name,
            rule="amount-non-negative-bounded",
        )


def validate_budget(req: BudgetRequest) -> None:
    members = len(req.base.household.members)
    for k, s in enumerate(req.incomes):
        f = f"income.sources.{k}"
        if s.net_monthly is not None and s.gross_annual is not None:
            raise InvalidInput(
                "Give either gross_annual or net_monthly for an income source, not both.",
                field=f"{f}.gross_annual",
                rule="gross-or-net-not-both",
            )
        if s.net_monthly is None and s.gross_annual is None:
            raise InvalidInput(
                "Give gross_annual or net_monthly.", field=f"{f}.net_monthly", rule="gross-or-net-required"
            )
        if s.net_monthly is not None:
            _amount(s.net_monthly, f"{f}.net_monthly", 10_000_000)
        if s.gross_annual is not None:
            _amount(s.gross_annual, f"{f}.gross_annual", 100_000_000)
        if not 0 <= s.person < members:
            raise InvalidInput(
                f"person must be the index of a household member (0–{members - 1}).",
                field=f"{f}.person",
                rule="person-in-household",
            )
        if s.ends_on is not None and s.ends_on < req.today:
            raise InvalidInput(
                f"ends_on {s.ends_on.isoformat()} is before today ({req.today.isoformat()}); leave out an income that has ended.",
                field=f"{f}.ends_on",
                rule="end-date-not-past",
            )
        if s.starts_on is not None and s.ends_on is not None and s.ends_on <= s.starts_on:
            raise InvalidInput("ends_on must be after starts_on.", field=f"{f}.ends_on", rule="end-after-start")
    for k, d in enumerate(req.debts):
        f = f"existing_debts.{k}"
        _amount(d.balance, f"{f}.balance")
        if d.monthly_payment is not None:
            _amount(d.monthly_payment, f"{f}.monthly_payment", 10_000_000)
        if d.credit_limit is not None:
            _amount(d.credit_limit, f"{f}.credit_limit")
        if d.remaining_years is not None and not 0 < d.remaining_years <= 50:
            raise InvalidInput(
                "remaining_years must be above 0 and at most 50.",
                field=f"{f}.remaining_years",
                rule="remaining-years-0-50",
            )
        if d.rate_type is DebtRateType.FIXED and d.fixed_years_left <= 0:
            raise InvalidInput(
                "A fixed-rate debt needs fixed_years_left (the years until the fixation ends).",
                field=f"{f}.fixed_years_left",
                rule="fixation-required",
            )
        if d.kind is DebtKind.CREDIT_CARD:
            continue
        validate_debt(
            k,
            d.balance,
            d.monthly_payment,
            d.annual_rate,
            None if d.remaining_years is None else d.remaining_years * 12,
        )
    fg = req.fellesgjeld_terms
    if fg is not None:
        if not math.isfinite(fg.annual_rate) or not 0 <= fg.annual_rate <= 0.5:
            raise InvalidInput(
                "fellesgjeld_terms.annual_rate must be between 0 and 50 percent per year.",
                field="fellesgjeld_terms.annual_rate",
                rule="rate-non-negative-bounded",
            )
        if not 0 < fg.remaining_years <= 100:
            raise InvalidInput(
                "fellesgjeld_terms.remaining_years must be above 0.",
                field="fellesgjeld_terms.remaining_years",
                rule="remaining-years-positive",
            )
        if req.base.dwelling is None or req.base.dwelling.fellesgjeld <= 0:
            raise InvalidInput(
                "fellesgjeld_terms needs the dwelling's share of fellesgjeld (dwelling.fellesgjeld).",
                field="fellesgjeld_terms",
                rule="fellesgjeld-required",
            )
    if req.purpose is LoanPurpose.REFINANCING:
        if req.refinancing is None:
            raise InvalidInput(
                "A refinancing needs refinancing.dwelling_value.",
                field="refinancing",
                rule="refinancing-details-required",
            )
        _amount(req.refinancing.dwelling_value, "refinancing.dwelling_value")
        _amount(req.refinancing.costs, "refinancing.costs")
        if not any(d.kind is DebtKind.MORTGAGE for d in req.debts):
            raise InvalidInput(
                "A refinancing to keep the home needs the existing mortgage among existing_debts (kind mortgage).",
                field="existing_debts",
                rule="refinancing-needs-existing-loan",
            )
    if req.purpose is LoanPurpose.IMPROVEMENT:
        if req.improvement is None:
            raise InvalidInput(
                "An improvement loan needs improvement.cost_of_works and value_after_works.",
                field="improvement",
                rule="improvement-details-required",
            )
        _amount(req.improvement.cost_of_works, "improvement.cost_of_works")
        _amount(req.improvement.value_after_works, "improvement.value_after_works")
    if (
        req.dwelling_facts is not None
        and req.dwelling_facts.area_m2 is not None
        and not 5 <= req.dwelling_facts.area_m2 <= 2000
    ):
        raise InvalidInput("dwelling area must be 5–2000 m².", field="dwelling.area_m2", rule="area-5-2000")


# --------------------------------------------------------------------------------------------------------------
# Income
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Income:
    kind: BudgetIncomeKind
    description: str
    person: int
    net_monthly: float | None
    gross_annual: float | None
    starts_on: date | None
    ends_on: date | None
    years_left: float | None


@dataclass
class _Info:
    lines: list[IncomeLine] = field(default_factory=list)
    taxes: list[PersonTax] = field(default_factory=list)
    debts: list[DebtLine] = field(default_factory=list)
    housing_defaults: list[HousingDefaultUsed] = field(default_factory=list)
    fellesgjeld_extra: float = 0.0
    gross_income: float | None = None
    income_rise: IncomeRise | None = None
    purpose_need: float = 0.0
    security: float | None = None
    consolidated: list[BudgetDebt] = field(default_factory=list)


def _years(a: date, b: date) -> float:
    return (b - a).days / 365.25


def _all_incomes(req: BudgetRequest, params: UnderwritingParameters) -> tuple[list[_Income], list[BenefitIncome]]:
    items = [
        _Income(
            s.kind,
            s.description,
            s.person,
            s.net_monthly,
            s.gross_annual,
            s.starts_on,
            s.ends_on,
            None if s.ends_on is None else _years(req.today, s.ends_on),
        )
        for s in req.incomes
    ]
    benefits: list[BenefitIncome] = []
    if req.benefits is not None:
        rules = params.budget.require_benefits("income.benefits")
        ages = np.array([m.age for m in req.base.household.members if m.age < 18], dtype=np.int64)
        provider_gross = sum(s.gross_annual or 0.0 for s in req.incomes if s.person == 0)
        benefits = benefit_incomes(req.benefits, ages, provider_gross, rules)
        kinds = {
            "barnetrygd": BudgetIncomeKind.CHILD_BENEFIT,
            "utvidet_barnetrygd": BudgetIncomeKind.CHILD_BENEFIT,
            "kontantstotte": BudgetIncomeKind.CHILD_BENEFIT,  # tax-free, like barnetrygd
            "overgangsstonad": BudgetIncomeKind.OVERGANGSSTONAD,
            "child_support": BudgetIncomeKind.CHILD_SUPPORT,
        }
        items += [
            _Income(kinds[b.kind], b.label_nb, 0, b.net_monthly, b.gross_annual, None, None, b.years_left)
            for b in benefits
        ]
    return items, benefits


def _net_incomes(
    items: list[_Income], params: UnderwritingParameters, persons: int, interest_by_person: np.ndarray | None
) -> tuple[list[float], TaxResult | None, list[int]]:
    """Net monthly income per item (the tax of a person's gross items is shared in proportion to gross)."""
    gross_items = [k for k, it in enumerate(items) if it.gross_annual is not None]
    net = [it.net_monthly or 0.0 for it in items]
    if not gross_items:
        return net, None, []
    rules = params.budget.require_tax(f"income.sources.{gross_items[0]}.gross_annual")
    base = tax_base(persons)
    for k in gross_items:
        it = items[k]
        g = float(it.gross_annual or 0.0)
        kind = rules.kinds.get(it.kind.value) or rules.kinds["other"]
        p = it.person
        target = {"wage": base.wage, "pension": base.pension, "self_employment": base.self_employment}.get(
            kind.trygdeavgift, base.other
        )
        target[p] += g
        if kind.minstefradrag == "wage":
            base.minstefradrag_wage[p] += g
        elif kind.minstefradrag == "pension":
            base.minstefradrag_pension[p] += g
        if kind.pensioner_deduction:
            base.pensioner_deduction_base[p] += g
    if interest_by_person is not None:
        base.interest_paid[:] = interest_by_person
    res = income_tax(base, rules)
    for k in gross_items:
        it = items[k]
        p = it.person
        share = (it.gross_annual or 0.0) / res.gross[p] if res.gross[p] > 0 else 0.0
        net[k] = ((it.gross_annual or 0.0) - share * res.tax[p]) / 12
    people = sorted({items[k].person for k in gross_items})
    return net, res, people


# --------------------------------------------------------------------------------------------------------------
# The assessment
# --------------------------------------------------------------------------------------------------------------


def _debt_add_on(params: UnderwritingParameters, override: float | None) -> float:
    stress, _, _, _ = startlan_stress_rate(params, override)
    return max(stress - params.startlan_floating_rate, 0.0)


def _counted_debts(req: BudgetRequest, params: UnderwritingParameters, add_on: float) -> list[DebtLine]:
    if not req.debts:
        return []
    rules = params.budget.debts
    card_share = rules.credit_card_monthly_share_of_limit if rules else 0.03
    ds = req.debts
    nan = float("nan")
    terms = DebtTerms(
        balance=np.array([d.balance for d in ds], dtype=np.float64),
        stated_payment=np.array([nan if d.monthly_payment is None else d.monthly_payment for d in ds]),
        annual_rate=np.array([nan if d.annual_rate is None else d.annual_rate for d in ds]),
        remaining_months=np.array([nan if d.remaining_years is None else d.remaining_years * 12 for d in ds]),
        fixed=np.array([d.rate_type is DebtRateType.FIXED for d in ds]),
        fixed_months_left=np.array([d.fixed_years_left * 12 for d in ds], dtype=np.float64),
        credit_card=np.array([d.kind is DebtKind.CREDIT_CARD for d in ds]),
        credit_limit=np.array([nan if d.credit_limit is None else d.credit_limit for d in ds]),
    )
    default = None
    if rules is not None:
        default = np.array([rules.default_remaining_years.get(d.kind.value, 5) * 12.0 for d in ds])
    c = counted_payments(terms, add_on, card_share, default)
    return [
        DebtLine(
            kind=d.kind,
            description=d.description,
            balance=d.balance,
            stated_payment=d.monthly_payment,
            counted_payment=float(c.counted_payment[k]),
            test_rate=None if not bool(c.stressed[k]) else float(c.test_rate[k]),
            remaining_months=None if not math.isfinite(c.remaining_months[k]) else round(float(c.remaining_months[k])),
            fixed=d.rate_type is DebtRateType.FIXED,
            credit_card=d.kind is DebtKind.CREDIT_CARD,
        )
        for k, d in enumerate(ds)
    ]


_ITEM_NB = {
    "electricity": "strøm",
    "insurance": "forsikring",
    "municipal_fees": "kommunale avgifter",
    "maintenance": "vedlikehold",
}
_ITEM_EN = {
    "electricity": "electricity",
    "insurance": "insurance",
    "municipal_fees": "municipal fees",
    "maintenance": "maintenance",
}
_TYPE_NB = {DwellingType.APARTMENT: "leilighet", DwellingType.TERRACED: "rekkehus", DwellingType.DETACHED: "enebolig"}
_TYPE_EN = {
    DwellingType.APARTMENT: "an apartment",
    DwellingType.TERRACED: "a terraced house",
    DwellingType.DETACHED: "a detached house",
}


def _housing_defaults(
    req: BudgetRequest, budget: BudgetParameters
) -> tuple[HousingCosts, list[HousingDefaultUsed], ExplanationStep | None]:
    hc = req.base.housing_costs
    items = ("electricity", "insurance", "municipal_fees", "maintenance")
    zeros = [name for name in items if getattr(hc, name) == 0]
    if budget.housing_defaults is None or not req.housing_itemised or not zeros:
        return hc, [], None
    facts = req.dwelling_facts
    if facts is None or facts.type is None or facts.area_m2 is None:
        nb = (
            "Merk: "
            + ", ".join(_ITEM_NB[z] for z in zeros)
            + " er 0. Oppgi boligtype og areal for standardverdier, eller de faktiske beløpene."
        )
        en = (
            "Note: "
            + ", ".join(_ITEM_EN[z] for z in zeros)
            + " are 0. Give the dwelling's type and area for default values, or the actual amounts."
        )
        return hc, [], ExplanationStep("housing_costs_zero", nb, en)
    d = budget.housing_defaults[facts.type.value]
    values = {
        "electricity": d.electricity_per_m2 * facts.area_m2,
        "insurance": d.insurance,
        "municipal_fees": d.municipal_fees,
        "maintenance": d.maintenance_per_m2 * facts.area_m2,
    }
    used = [HousingDefaultUsed(name, values[name]) for name in zeros if values[name] > 0]
    new = replace(hc, **{u.item: u.amount for u in used})
    nb = (
        f"Standardverdier for {_TYPE_NB[facts.type]} på {facts.area_m2:g} m² der saksbehandler har oppgitt 0 "
        "(parametersettets housing_cost_defaults, ikke bekreftet): "
        + ", ".join(f"{_ITEM_NB[u.item]} {kr_nb(u.amount)}" for u in used)
        + "."
    ).replace(f"{facts.area_m2:g}", f"{facts.area_m2:g}".replace(".", ","))
    en = (
        f"Default values for {_TYPE_EN[facts.type]} of {facts.area_m2:g} m² where the caseworker gave 0 (the parameter "
        "set's housing_cost_defaults, not confirmed): "
        + ", ".join(f"{_ITEM_EN[u.item]} {kr_en(u.amount)}" for u in used)
        + "."
    )
    return new, used, ExplanationStep("housing_cost_defaults", nb, en, sum(u.amount for u in used))


def _resolve(
    req: BudgetRequest,
    params: UnderwritingParameters,
    *,
    exclude_ending_within: float | None = None,
    interest_by_person: np.ndarray | None = None,
) -> tuple[AffordabilityRequest, list[ExplanationStep], _Info]:
    base = req.base
    steps: list[ExplanationStep] = []
    info = _Info()
    persons = len(base.household.members)

    # 1. income
    items, benefits = _all_incomes(req, params)
    if items:
        today = [
            it
            for it in items
            if (it.starts_on is None or it.starts_on <= req.today)
            and (exclude_ending_within is None or it.years_left is None or it.years_left > exclude_ending_within)
        ]
        net_today, tax_res, people = _net_incomes(today, params, persons, interest_by_person)
        lines = [
            IncomeLine(
                it.kind.value,
                it.description,
                it.person,
                it.gross_annual,
                n,
                True,
                it.starts_on,
                it.ends_on,
                it.years_left,
            )
            for it, n in zip(today, net_today, strict=True)
        ]
        later = [it for it in items if it.starts_on is not None and it.starts_on > req.today]
        if later:
            net_all, _, _ = _net_incomes(today + later, params, persons, interest_by_person)
            rise = sum(net_all) - sum(net_today)
            first = min(it.starts_on for it in later if it.starts_on is not None)
            info.income_rise = IncomeRise(
                rise, _years(req.today, first), ", ".join(it.description or it.kind.value for it in later)
            )
            lines += [
                IncomeLine(
                    it.kind.value,
                    it.description,
                    it.person,
                    it.gross_annual,
                    n,
                    False,
                    it.starts_on,
                    it.ends_on,
                    it.years_left,
                )
                for it, n in zip(later, net_all[len(today) :], strict=True)
            ]
            steps.append(
                ExplanationStep(
                    "income_later",
                    f"Inntekt som starter senere regnes ikke med i dag: {info.income_rise.description} fra "
                    f"{first.isoformat()}, {kr_nb(rise)} netto per måned (brukes for avdragsfrihet i finansieringsstigen).",
                    f"Income that starts later is not counted today: {info.income_rise.description} from "
                    f"{first.isoformat()}, {kr_en(rise)} net a month (used for interest-only years in the financing ladder).",
                    rise,
                )
            )
        info.lines = lines
        if tax_res is not None and params.budget.tax is not None:
            labels = [f"person {p + 1}" for p in people]
            sub = TaxResult(*(getattr(tax_res, f)[people] for f in TaxResult.__dataclass_fields__))
            steps += explain_tax(sub, params.budget.tax, labels)
            info.taxes = [
                PersonTax(
                    p,
                    float(tax_res.gross[p]),
                    float(tax_res.trygdeavgift[p]),
                    float(tax_res.trinnskatt[p]),
                    float(tax_res.tax_alminnelig[p]),
                    float(tax_res.minstefradrag[p]),
                    float(tax_res.pensioner_deduction[p]),
                    0.0 if interest_by_person is None else float(interest_by_person[p]),
                    float(tax_res.tax[p]),
                    float(tax_res.net[p]),
                )
                for p in people
            ]
        if benefits:
            steps.append(explain_benefits(benefits, req.benefits.child_support_paid_monthly if req.benefits else 0.0))
        income = Income(
            sources=tuple(IncomeSource(_AFFORDABILITY_KIND[it.kind], n) for it, n in zip(today, net_today, strict=True))
        )
        if not income.sources:
            income = Income(net_monthly=0.0)
        gross_known = all(it.gross_annual is not None or it.kind in _TAX_FREE for it in today)
        info.gross_income = sum(it.gross_annual or 0.0 for it in today) if gross_known else None
    else:
        income = base.income

    # 2. debts
    add_on = _debt_add_on(params, base.loan.stress_rate)
    debts = base.existing_debts
    consolidated: list[BudgetDebt] = []
    if req.debts:
        lines_d = _counted_debts(req, params, add_on)
        info.debts = lines_d
        keep = []
        for d, line in zip(req.debts, lines_d, strict=True):
            if req.purpose is LoanPurpose.REFINANCING and (d.kind is DebtKind.MORTGAGE or d.consolidate):
                consolidated.append(d)
                continue
            keep.append(ExistingDebt(d.balance, line.counted_payment, d.description or d.kind.value))
        debts = tuple(keep)
        steps.append(explain_debts(lines_d, add_on))
    other = base.other_fixed_costs_monthly
    if req.benefits is not None and req.benefits.child_support_paid_monthly > 0:
        other += req.benefits.child_support_paid_monthly

    # 3. housing
    housing, used, hstep = _housing_defaults(req, params.budget)
    info.housing_defaults = used
    if hstep is not None:
        steps.append(hstep)
    fg_extra = 0.0
    if req.fellesgjeld_terms is not None and base.dwelling is not None:
        fg = req.fellesgjeld_terms
        share = base.dwelling.fellesgjeld
        months = np.array([max(fg.remaining_years - fg.interest_only_years_left, 1 / 12) * 12])
        actual = float(annuity_payment_vec(np.array([share]), np.array([fg.annual_rate / 12]), months)[0])
        stressed = float(annuity_payment_vec(np.array([share]), np.array([(fg.annual_rate + add_on) / 12]), months)[0])
        fg_extra = max(stressed - actual, 0.0)
        housing = replace(housing, other=housing.other + fg_extra)
        steps.append(
            ExplanationStep(
                "fellesgjeld_stressed",
                f"Andel fellesgjeld {kr_nb(share)} med {pct_nb(fg.annual_rate)} og {fg.remaining_years:g} år igjen: betjeningen "
                f"i felleskostnadene ({kr_nb(actual)}) stresstestes med {pct_nb(fg.annual_rate + add_on)} ({kr_nb(stressed)}); "
                f"tillegget {kr_nb(fg_extra)} per måned regnes som boutgift.",
                f"Share of fellesgjeld {kr_en(share)} at {pct_en(fg.annual_rate)} with {fg.remaining_years:g} years left: its "
                f"service in the felleskostnader ({kr_en(actual)}) is stress-tested at {pct_en(fg.annual_rate + add_on)} "
                f"({kr_en(stressed)}); the extra {kr_en(fg_extra)} a month counts as a housing cost.",
                fg_extra,
            )
        )
    info.fellesgjeld_extra = fg_extra
    fee = params.budget.termingebyr_monthly
    if fee > 0:
        other += fee
        steps.append(
            ExplanationStep(
                "termingebyr",
                f"Termingebyr på startlånet: {kr_nb(fee)} per måned regnes med i de faste utgiftene.",
                f"Termingebyr on the startlån: {kr_en(fee)} a month counts among the fixed costs.",
                fee,
            )
        )

    # 4. purpose
    dwelling = base.dwelling
    purpose_need: float | None = None
    security: float | None = None
    if req.purpose is LoanPurpose.REFINANCING and req.refinancing is not None:
        ref = req.refinancing
        purpose_need = (
            sum((d.credit_limit or d.balance) if d.kind is DebtKind.CREDIT_CARD else d.balance for d in consolidated)
            + ref.costs
        )
        security = ref.dwelling_value
        dwelling = Dwelling(price=ref.dwelling_value, costs=ref.costs)
    elif req.purpose is LoanPurpose.IMPROVEMENT and req.improvement is not None:
        imp = req.improvement
        prior = sum(d.balance for d in req.debts if d.kind is DebtKind.MORTGAGE)
        purpose_need = imp.cost_of_works
        security = max(imp.value_after_works - prior, 0.0)
        dwelling = Dwelling(price=security)
    info.purpose_need, info.security, info.consolidated = purpose_need or 0.0, security, consolidated

    resolved = evolve(
        base,
        income=income,
        existing_debts=debts,
        housing_costs=housing,
        other_fixed_costs_monthly=other,
        dwelling=dwelling,
    )
    return resolved, steps, info


_TAX_FREE = {BudgetIncomeKind.CHILD_BENEFIT, BudgetIncomeKind.CHILD_SUPPORT, BudgetIncomeKind.HOUSING_ALLOWANCE}


def _merge(res: AffordabilityResult, steps: list[ExplanationStep], extra: list[ExplanationStep]) -> AffordabilityResult:
    if not steps and not extra:
        return res
    # budget steps go before the affordability rule's disposable-income line, extra steps after the result
    stressed = any(s.code == "existing_debts_stressed" for s in steps)
    first = [s for s in res.explanation if s.code in ("income",)]
    rest = [s for s in res.explanation if s.code != "income" and not (stressed and s.code == "existing_debts")]
    return evolve(res, explanation=tuple(steps + first + rest + extra))


def _purpose_result(req: BudgetRequest, res: AffordabilityResult, info: _Info) -> PurposeResult:
    need, security, consolidated = info.purpose_need, info.security or 0.0, info.consolidated
    if req.purpose is LoanPurpose.PURCHASE:
        return PurposeResult(req.purpose, 0.0, None, None, "Formål: kjøp av bolig.", "Purpose: purchase of a dwelling.")
    covered = res.payout + 0.5 >= need
    if req.purpose is LoanPurpose.REFINANCING:
        names = ", ".join(d.description or d.kind.value for d in consolidated)
        nb = (
            f"Formål: refinansiering for å beholde boligen. Samles i startlånet: {names}; behov {kr_nb(need)} "
            f"(med omkostninger). Sikkerhet: boligens verdi {kr_nb(security)}; lånet kan ikke overstige verdien med "
            f"omkostninger. Disse lånenes betalinger faller bort fra budsjettet. "
            + (
                "Startlånet dekker behovet."
                if covered
                else f"Startlånet dekker ikke behovet: det mangler {kr_nb(need - res.payout)}."
            )
        )
        en = (
            f"Purpose: refinancing to keep the home. Consolidated into the startlån: {names}; need {kr_en(need)} (with "
            f"costs). Security: the dwelling's value {kr_en(security)}; the loan may not exceed the value with costs. "
            "These loans' payments leave the budget. "
            + (
                "The startlån covers the need."
                if covered
                else f"The startlån does not cover the need: {kr_en(need - res.payout)} is missing."
            )
        )
    else:
        nb = (
            f"Formål: utbedring/tilpasning. Kostnad {kr_nb(need)}; sikkerhet innenfor 100 % av verdien etter arbeidene "
            f"fratrukket lån med bedre prioritet: {kr_nb(security)}. "
            + (
                "Startlånet dekker kostnaden."
                if covered
                else f"Startlånet dekker ikke kostnaden: det mangler {kr_nb(need - res.payout)}."
            )
        )
        en = (
            f"Purpose: improvement/adaptation. Cost {kr_en(need)}; security within 100 % of the value after the works less "
            f"loans with better priority: {kr_en(security)}. "
            + (
                "The startlån covers the cost."
                if covered
                else f"The startlån does not cover the cost: {kr_en(need - res.payout)} is missing."
            )
        )
    return PurposeResult(req.purpose, float(need), security, covered, nb, en)


def check_bank_limits(
    req: BudgetRequest, res: AffordabilityResult, gross: float | None, params: UnderwritingParameters
) -> BankLimitCheck | None:
    """Utlånsforskriften §§ 6–7 on the bank's part of a co-financing."""
    bank = req.base.bank_loan
    limits = params.budget.bank_limits
    if bank is None or limits is None:
        return None
    dwelling = req.base.dwelling
    fellesgjeld = dwelling.fellesgjeld if dwelling else 0.0
    other = sum((d.credit_limit or d.balance) if d.kind is DebtKind.CREDIT_CARD else d.balance for d in req.debts)
    if not req.debts:
        other = sum(d.balance for d in req.base.existing_debts)
    total = bank.amount + res.max_loan + other + fellesgjeld
    ltv = None
    ltv_ok = None
    max_by_ltv = None
    if dwelling is not None and dwelling.price + dwelling.fellesgjeld > 0:
        value = dwelling.price + dwelling.fellesgjeld
        ltv = (bank.amount + fellesgjeld) / value
        ltv_ok = ltv <= limits.max_ltv + 1e-12
        max_by_ltv = max(limits.max_ltv * value - fellesgjeld, 0.0)
    dti = None if gross is None or gross <= 0 else total / gross
    debt_ok = None if dti is None else dti <= limits.max_debt_to_income + 1e-12
    max_by_dti = (
        None if gross is None else max(limits.max_debt_to_income * gross - (res.max_loan + other + fellesgjeld), 0.0)
    )
    caps = [c for c in (max_by_ltv, max_by_dti) if c is not None]
    max_bank = min(caps) if caps else None
    oks = [x for x in (debt_ok, ltv_ok) if x is not None]
    possible = None if not oks else all(oks)
    parts_nb, parts_en = [], []
    if dti is None:
        parts_nb.append(
            "gjeldsgraden kan ikke kontrolleres fordi bruttoinntekt mangler for minst én inntekt (oppgi gross_annual)"
        )
        parts_en.append(
            "the debt-to-income limit cannot be checked because gross income is missing for at least one income (give gross_annual)"
        )
    else:
        parts_nb.append(
            f"samlet gjeld {kr_nb(total)} er {dti:.2f} × bruttoinntekten {kr_nb(gross or 0)} (høyst {limits.max_debt_to_income:g} ×)".replace(
                ".", ","
            )
        )
        parts_en.append(
            f"total debt {kr_en(total)} is {dti:.2f} × gross income {kr_en(gross or 0)} (at most {limits.max_debt_to_income:g} ×)"
        )
    if ltv is not None:
        parts_nb.append(
            f"belåningsgrad for bankens lån med fellesgjeld {ltv * 100:.1f} % (høyst {limits.max_ltv * 100:g} %)".replace(
                ".", ","
            )
        )
        parts_en.append(
            f"loan-to-value of the bank's loan with fellesgjeld {ltv * 100:.1f} % (at most {limits.max_ltv * 100:g} %)"
        )
    verdict_nb = (
        "Bankens andel er innenfor utlånsforskriften."
        if possible
        else "Bankens andel er ikke mulig slik den er oppgitt: "
        + ("gjeldsgraden er for høy; " if debt_ok is False else "")
        + ("belåningsgraden er for høy; " if ltv_ok is False else "")
        + (f"høyst {kr_nb(max_bank)} i banklån." if max_bank is not None else "")
        if possible is False
        else "Bankens andel kan ikke vurderes fullt ut."
    )
    verdict_en = (
        "The bank's share is within utlånsforskriften."
        if possible
        else "The bank's share is not possible as given: "
        + ("debt-to-income too high; " if debt_ok is False else "")
        + ("loan-to-value too high; " if ltv_ok is False else "")
        + (f"at most {kr_en(max_bank)} of bank loan." if max_bank is not None else "")
        if possible is False
        else "The bank's share cannot be fully assessed."
    )
    nb = "Samfinansiering, bankens grenser (utlånsforskriften §§ 6–7): " + "; ".join(parts_nb) + ". " + verdict_nb
    en = "Co-financing, the bank's limits (utlånsforskriften §§ 6–7): " + "; ".join(parts_en) + ". " + verdict_en
    return BankLimitCheck(
        dti is not None or ltv is not None,
        gross,
        total,
        dti,
        limits.max_debt_to_income,
        debt_ok,
        ltv,
        limits.max_ltv,
        ltv_ok,
        max_bank,
        possible,
        nb,
        en,
    )


def _bostotte(
    req: BudgetRequest,
    res: AffordabilityResult,
    resolved: AffordabilityRequest,
    gross: float | None,
    params: UnderwritingParameters,
) -> tuple[BostotteEstimate, ExplanationStep] | None:
    rules = params.budget.bostotte
    if rules is None:
        raise InvalidInput(
            "The parameter set has no bostøtte rules.", field="bostotte", rule="parameter-bostotte-required"
        )
    income = gross if gross is not None else res.counted_income_monthly * 12
    loan_payment = res.first_monthly_payment * 12
    bank = req.base.bank_loan
    if bank is not None and bank.amount > 0:  # the co-financing loan's interest and instalments count too
        loan_payment += 12 * float(
            annuity_payment_vec(
                np.array([bank.amount]), np.array([bank.annual_rate / 12]), np.array([bank.term_years * 12.0])
            )[0]
        )
    costs = loan_payment + resolved.housing_costs.felleskostnader * 12 + resolved.housing_costs.municipal_fees * 12
    if req.dwelling_facts is not None and req.dwelling_facts.type is DwellingType.DETACHED:
        costs += rules.driftsutgift_enebolig_annual
    city = rules.city_addition.get(req.kommune_number or "", 0.0)
    amount, egen, counted = bostotte_annual([income], [costs], [len(req.base.household.members)], rules, [city])
    est = BostotteEstimate(
        float(amount[0]) / 12, float(amount[0]), float(egen[0]), float(counted[0]), req.count_bostotte
    )
    return est, explain_bostotte(est.annual, est.egenandel, est.counted_costs, income, req.count_bostotte)


def assess_budget(req: BudgetRequest, params: UnderwritingParameters) -> BudgetResult:
    """The whole budget, answered by the one affordability rule (see the module docstring)."""
    validate_budget(req)
    resolved, steps, info = _resolve(req, params)
    res = assess_affordability(resolved, params)

    interest: np.ndarray | None = None
    if req.deduct_interest and any(s.gross_annual is not None for s in req.incomes):
        # rentefradrag: the first year's interest on the startlån (at its rate) and on the continuing debts (at
        # their own rates), shared between the persons with gross income; recomputed once with the loan found
        persons = len(req.base.household.members)
        payers = sorted({s.person for s in req.incomes if s.gross_annual is not None})
        debt_interest = sum(
            d.balance * (d.annual_rate or 0.0)
            for d in req.debts
            if not (req.purpose is LoanPurpose.REFINANCING and (d.kind is DebtKind.MORTGAGE or d.consolidate))
        )
        for _ in range(2):
            total = debt_interest + res.max_loan * (res.fixed_rate or res.floating_rate)
            interest = np.zeros(persons)
            interest[payers] = total / len(payers)
            resolved, steps, info = _resolve(req, params, interest_by_person=interest)
            res = assess_affordability(resolved, params)
        steps.append(
            ExplanationStep(
                "rentefradrag",
                f"Rentefradrag: første års renter {kr_nb(float(interest.sum()))} (startlånet og fortsatt gjeld) er trukket "  # type: ignore[union-attr]
                "fra alminnelig inntekt, delt likt mellom dem med bruttoinntekt.",
                f"Interest deduction: the first year's interest {kr_en(float(interest.sum()))} (the startlån and continuing "  # type: ignore[union-attr]
                "debts) is deducted from ordinary income, shared equally between those with gross income.",
            )
        )

    gross = info.gross_income
    extra: list[ExplanationStep] = []
    bost = None
    if req.bostotte:
        out = _bostotte(req, res, resolved, gross, params)
        if out is not None:
            bost, bstep = out
            extra.append(bstep)
            if req.count_bostotte and bost.monthly > 0:
                counted = replace(
                    resolved,
                    income=Income(
                        sources=(*resolved.income.sources, IncomeSource(IncomeKind.HOUSING_ALLOWANCE, bost.monthly))
                    )
                    if resolved.income.sources
                    else Income(net_monthly=(resolved.income.net_monthly or 0.0) + bost.monthly),
                )
                resolved = counted
                res = assess_affordability(resolved, params)

    after = None
    horizon = params.budget.benefits.income_end_horizon_years if params.budget.benefits else 5
    lines = info.lines
    ending = [ln for ln in lines if ln.counted_today and ln.years_left is not None and ln.years_left <= horizon]
    if ending:
        resolved2, _, _ = _resolve(req, params, exclude_ending_within=horizon, interest_by_person=interest)
        res2 = assess_affordability(resolved2, params)
        years = min(ln.years_left for ln in ending if ln.years_left is not None)
        names = ", ".join(ln.description or ln.kind for ln in ending)
        nb = (
            f"Inntekt som slutter i lånets første {horizon} år: {names} (første om {years:.1f} år). Når den er borte, er "
            f"det {kr_nb(res2.available_for_startlan_monthly)} per måned til startlånet, og største lån blir "
            f"{kr_nb(res2.max_loan)} (mot {kr_nb(res.max_loan)} nå)."
        ).replace(f"{years:.1f}", f"{years:.1f}".replace(".", ","))
        en = (
            f"Income that ends within the loan's first {horizon} years: {names} (the first in {years:.1f} years). Once it "
            f"is gone, {kr_en(res2.available_for_startlan_monthly)} a month is left for the startlån and the maximum loan "
            f"is {kr_en(res2.max_loan)} (against {kr_en(res.max_loan)} now)."
        )
        after = AfterIncomeEnds(
            tuple(ln.description or ln.kind for ln in ending),
            years,
            res2.max_loan,
            res2.available_for_startlan_monthly,
            nb,
            en,
        )
        extra.append(ExplanationStep("after_income_ends", nb, en, float(res2.max_loan)))

    purpose = _purpose_result(req, res, info)
    if req.purpose is not LoanPurpose.PURCHASE:
        extra.append(ExplanationStep(f"purpose_{req.purpose.value}", purpose.nb, purpose.en, purpose.need))
    bank = check_bank_limits(req, res, gross, params)
    if bank is not None:
        extra.append(ExplanationStep("bank_limits", bank.nb, bank.en, bank.max_bank_loan))

    return BudgetResult(
        affordability=_merge(res, steps, extra),
        incomes=tuple(lines),
        taxes=tuple(info.taxes),
        debts=tuple(info.debts),
        housing_defaults=tuple(info.housing_defaults),
        termingebyr_monthly=params.budget.termingebyr_monthly,
        fellesgjeld_stress_monthly=info.fellesgjeld_extra,
        after_income_ends=after,
        bank_limits=bank,
        bostotte=bost,
        purpose=purpose,
        income_rise=info.income_rise,
        gross_income_annual=gross,
        resolved=resolved,
    )
