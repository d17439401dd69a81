"""Request and response documents for underwriting: affordability, schedules, financing plans.

Units: amounts are NOK; monthly amounts are NOK per month; rates are **percent per year** (4.5 = 4.5 %), converted
to fractions for the domain. Requests forbid unknown fields and bound every number, so that absurd input is a 422
problem naming the field, never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.strict import StrictNumbers
from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep
from loan_engine.parameters import default_underwriting_parameters
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    AffordabilityResult,
    BankLoan,
    Dwelling,
    ExistingDebt,
    HousingCosts,
    Income,
    IncomeKind,
    IncomeSource,
    LoanWish,
    RateType,
    Section85Reason,
)
from loan_engine.underwriting.amortization import LoanTerms, RateChange, Repayment, Schedule, fixed_then_floating
from loan_engine.underwriting.benefits import BenefitClaims
from loan_engine.underwriting.budget import (
    BudgetDebt,
    BudgetIncome,
    BudgetIncomeKind,
    BudgetRequest,
    BudgetResult,
    DwellingFacts,
    DwellingType,
    FellesgjeldTerms,
    Improvement,
    LoanPurpose,
    Refinancing,
)
from loan_engine.underwriting.debts import DebtKind, DebtRateType
from loan_engine.underwriting.financing_ladder import FinancingPlan, FinancingPlanRequest
from loan_engine.underwriting.living_costs import (
    Budget,
    BudgetLine,
    Car,
    Household,
    LivingCosts,
    LivingCostSource,
    Member,
    Sex,
)

MAX_MONTHLY = 10_000_000
MAX_NOK = 1_000_000_000
MAX_PERCENT = 30
# Statutory limits for request validation come from the built-in default parameter set (the calculation checks
# them again against the parameter set it uses).
_DEFAULT = default_underwriting_parameters()
MAX_TERM_YEARS = _DEFAULT.special_max_term_years
MAX_INTEREST_ONLY_YEARS = _DEFAULT.max_interest_only_years

MonthlyNOK = Annotated[float, Field(ge=0, le=MAX_MONTHLY, description="NOK per month")]
AmountNOK = Annotated[float, Field(ge=0, le=MAX_NOK, description="NOK")]
PercentPerYear = Annotated[float, Field(ge=0, le=MAX_PERCENT, description="percent per year (4.5 = 4.5 %)")]


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else round(fraction * 100, 6)


def _ore(x: float) -> float:
    return round(x, 2)


class _In(StrictNumbers):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------------------


class MemberIn(_In):
    age: int = Field(ge=0, le=120, description="Age in whole years (0 for a child under one)")
    sex: Sex = Field(description="female | male (SIFO's budget differs by sex)")
    pregnant: bool = Field(default=False, description="Pregnant (SIFO adds pregnancy food and baby equipment)")


class HouseholdIn(_In):
    members: list[MemberIn] = Field(min_length=1, max_length=20, description="Everyone in the household")
    car: Car = Field(default=Car.NONE, description="none | petrol | electric (SIFO running costs)")
    children_in_barnehage: int = Field(default=0, ge=0, le=20, description="Number of children in barnehage")
    children_in_sfo: int = Field(default=0, ge=0, le=20, description="Number of children in SFO/AKS")

    def to_domain(self) -> Household:
        return Household(
            members=tuple(Member(m.age, m.sex, m.pregnant) for m in self.members),
            car=self.car,
            children_in_barnehage=self.children_in_barnehage,
            children_in_sfo=self.children_in_sfo,
        )


class IncomeSourceIn(_In):
    kind: BudgetIncomeKind = Field(
        description="Source of the income (salary, self_employment, pension, disability = uføretrygd, aap, "
        "overgangsstonad, benefits, child_benefit, child_support, housing_allowance, rental, other); rental income "
        "counts 10 of 12 months; the kind decides the tax class of a gross income"
    )
    net_monthly: MonthlyNOK | None = Field(
        default=None, description="Net (after-tax) income from this source, NOK per month (or give gross_annual)"
    )
    gross_annual: float | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        description="Gross income from this source, NOK per year; the engine computes the tax for the parameter "
        "set's year (give either this or net_monthly)",
    )
    person: int = Field(default=0, ge=0, le=19, description="Whose income: index into household.members (for tax)")
    starts_on: date | None = Field(
        default=None, description="First day of an income that starts later (not counted today; used by the ladder)"
    )
    ends_on: date | None = Field(default=None, description="Last day of an income that stops (e.g. AAP, a benefit)")
    description: str = Field(default="", max_length=200, description="What the income is")


class BenefitsIn(_In):
    """Benefits computed by their rules from the household's children (amounts in the parameter set)."""

    barnetrygd: bool = Field(default=False, description="Ordinary barnetrygd for each child under 18 (tax-free)")
    utvidet_barnetrygd: bool = Field(default=False, description="Extended barnetrygd for a single provider")
    kontantstotte: bool = Field(default=False, description="Kontantstøtte for children aged 1 (13–19 months)")
    overgangsstonad: bool = Field(
        default=False, description="Overgangsstønad for a single provider (person 0), reduced by other income"
    )
    overgangsstonad_years_received: int = Field(default=0, ge=0, le=3, description="Time already received, years")
    child_support_received_monthly: MonthlyNOK = Field(default=0, description="Barnebidrag received, NOK per month")
    child_support_paid_monthly: MonthlyNOK = Field(default=0, description="Barnebidrag paid, NOK per month (a cost)")

    def to_domain(self) -> BenefitClaims:
        return BenefitClaims(**self.model_dump())


class IncomeIn(_In):
    net_monthly: MonthlyNOK | None = Field(
        default=None, description="Total net (after-tax) income, NOK per month; must equal the sum of sources if both"
    )
    sources: list[IncomeSourceIn] = Field(
        default_factory=list, max_length=20, description="Income by source: net per month or gross per year"
    )
    benefits: BenefitsIn | None = Field(default=None, description="Benefits by their rules (barnetrygd, ...)")
    deduct_interest: bool = Field(
        default=False, description="Rentefradrag: deduct the first year's interest from the gross incomes' tax"
    )

    @model_validator(mode="after")
    def _one_of(self) -> IncomeIn:
        if self.net_monthly is None and not self.sources and self.benefits is None:
            raise ValueError("give net_monthly or sources")
        return self

    def is_plain(self) -> bool:
        """Only net figures: the affordability rule reads them directly."""
        return self.benefits is None and all(
            s.gross_annual is None
            and s.starts_on is None
            and s.ends_on is None
            and s.person == 0
            and s.kind.value in _INCOME_KINDS
            for s in self.sources
        )

    def to_domain(self) -> Income:
        return Income(
            self.net_monthly,
            tuple(
                IncomeSource(
                    IncomeKind(s.kind.value) if s.kind.value in _INCOME_KINDS else IncomeKind.OTHER,
                    s.net_monthly or 0.0,
                )
                for s in self.sources
            ),
        )

    def budget_incomes(self) -> tuple[BudgetIncome, ...]:
        if self.net_monthly is not None and not self.sources:  # a net total beside benefits by their rules
            return (BudgetIncome(BudgetIncomeKind.OTHER, net_monthly=self.net_monthly, description="netto inntekt"),)
        return tuple(
            BudgetIncome(s.kind, s.net_monthly, s.gross_annual, s.person, s.starts_on, s.ends_on, s.description)
            for s in self.sources
        )


_INCOME_KINDS = {k.value for k in IncomeKind}


class HousingCostsIn(_In):
    felleskostnader: MonthlyNOK = Field(
        default=0, description="Felleskostnader (incl. fellesgjeld service), NOK per month"
    )
    electricity: MonthlyNOK = Field(default=0, description="Electricity, NOK per month")
    insurance: MonthlyNOK = Field(default=0, description="Home insurance, NOK per month")
    municipal_fees: MonthlyNOK = Field(default=0, description="Kommunale avgifter and eiendomsskatt, NOK per month")
    maintenance: MonthlyNOK = Field(default=0, description="Expected necessary maintenance, NOK per month")
    other: MonthlyNOK = Field(default=0, description="Other housing costs, NOK per month")

    def to_domain(self) -> HousingCosts:
        return HousingCosts(
            self.felleskostnader, self.electricity, self.insurance, self.municipal_fees, self.maintenance, self.other
        )


class ExistingDebtIn(_In):
    balance: AmountNOK = Field(description="Outstanding balance, NOK (for a credit card: the balance drawn)")
    monthly_payment: MonthlyNOK | None = Field(
        default=None, description="Stated payment (interest + instalment), NOK per month; counted as is without terms"
    )
    description: str = Field(default="", max_length=200, description="What the debt is")
    kind: DebtKind = Field(
        default=DebtKind.OTHER, description="mortgage | studielan | car | consumer | credit_card | other"
    )
    annual_rate: float | None = Field(
        default=None, ge=0, le=50, description="The debt's nominal rate, percent per year (then it is stress-tested)"
    )
    remaining_years: float | None = Field(default=None, gt=0, le=50, description="Remaining term of the debt, years")
    rate_type: DebtRateType = Field(default=DebtRateType.FLOATING, description="floating | fixed")
    fixed_years_left: float = Field(default=0, ge=0, le=30, description="Fixed rate: time until fixation ends, years")
    credit_limit: AmountNOK | None = Field(default=None, description="Credit card: the limit, NOK (counted by it)")
    consolidate: bool = Field(default=False, description="Refinancing: pay this debt off with the startlån")

    def has_terms(self) -> bool:
        return self.annual_rate is not None or self.kind is not DebtKind.OTHER or self.credit_limit is not None

    def to_budget(self) -> BudgetDebt:
        return BudgetDebt(
            balance=self.balance,
            monthly_payment=self.monthly_payment,
            annual_rate=_fraction(self.annual_rate),
            remaining_years=self.remaining_years,
            rate_type=self.rate_type,
            fixed_years_left=self.fixed_years_left,
            kind=self.kind,
            credit_limit=self.credit_limit,
            description=self.description,
            consolidate=self.consolidate,
        )


class FellesgjeldTermsIn(_In):
    annual_rate: PercentPerYear = Field(description="The borettslag's loan rate, percent per year")
    remaining_years: float = Field(gt=0, le=100, description="Remaining term of the fellesgjeld, years")
    interest_only_years_left: float = Field(default=0, ge=0, le=30, description="Interest-only time left, years")


class DwellingFactsIn(_In):
    type: DwellingType | None = Field(default=None, description="apartment | terraced | detached")
    area_m2: float | None = Field(default=None, ge=5, le=2000, description="Usable area (BRA), m²")


class RefinancingIn(_In):
    dwelling_value: AmountNOK = Field(description="The home's value (takst), NOK: the security")
    costs: AmountNOK = Field(default=0, description="Refinancing costs (tinglysing, ...), NOK")


class ImprovementIn(_In):
    cost_of_works: AmountNOK = Field(description="Cost of the improvement or adaptation, NOK")
    value_after_works: AmountNOK = Field(description="The dwelling's value after the works, NOK")


class BostotteIn(_In):
    estimate: bool = Field(default=True, description="Estimate bostøtte after the purchase (Husbanken's formula)")
    count_as_income: bool = Field(default=False, description="Count the estimate as income (where income is stable)")


class LoanPreferencesIn(_In):
    repayment: Repayment = Field(default=Repayment.ANNUITY, description="annuity | serial")
    interest_only_years: int = Field(
        default=0,
        ge=0,
        le=MAX_INTEREST_ONLY_YEARS,
        description=f"Interest-only years first (0–{MAX_INTEREST_ONLY_YEARS}), years",
    )
    stress_rate: PercentPerYear | None = Field(
        default=None, description="Override of the stress rate, percent per year (default: the parameter set's rule)"
    )
    fixation_years: Literal[3, 5, 10, 20] | None = Field(default=None, description="Fixed-rate period, years")
    fixed_rate: PercentPerYear | None = Field(
        default=None, description="Fixed rate, percent per year (default: Husbanken's fixed rate + kommune margin)"
    )
    term_over_30_reasons: list[Section85Reason] = Field(
        default_factory=list,
        max_length=6,
        description="Documented § 8-5 conditions (a–d) and waiver facts that allow a term over 30 years",
    )


class LoanIn(LoanPreferencesIn):
    rate_type: RateType = Field(default=RateType.FLOATING, description="floating | fixed")
    term_years: int = Field(
        default=_DEFAULT.reference_term_years,
        ge=1,
        le=MAX_TERM_YEARS,
        description=f"Term, years (over {_DEFAULT.ordinary_max_term_years} only with § 8-5 reasons)",
    )

    def to_domain(self) -> LoanWish:
        return LoanWish(
            rate_type=self.rate_type,
            term_years=self.term_years,
            repayment=self.repayment,
            interest_only_years=self.interest_only_years,
            stress_rate=_fraction(self.stress_rate),
            fixation_years=self.fixation_years,
            fixed_rate=_fraction(self.fixed_rate),
            term_over_30_reasons=tuple(self.term_over_30_reasons),
        )


class BankLoanIn(_In):
    amount: AmountNOK = Field(description="The bank's co-financing loan, NOK")
    annual_rate: PercentPerYear = Field(description="The bank's nominal rate, percent per year")
    term_years: int = Field(
        default=_DEFAULT.reference_term_years, ge=1, le=MAX_TERM_YEARS, description="The bank loan's term, years"
    )
    repayment: Repayment = Field(default=Repayment.ANNUITY, description="annuity | serial")

    def to_domain(self) -> BankLoan:
        return BankLoan(self.amount, self.annual_rate / 100, self.term_years, self.repayment)


class PurchaseIn(_In):
    price: AmountNOK = Field(description="Purchase price (kjøpesum) excluding the share of fellesgjeld, NOK")
    fellesgjeld: AmountNOK = Field(default=0, description="Share of fellesgjeld (borettslag), NOK")
    costs: AmountNOK = Field(default=0, description="Purchase costs (dokumentavgift, tinglysing), NOK")
    equity: AmountNOK = Field(default=0, description="The household's own equity, NOK")

    def to_domain(self) -> Dwelling:
        return Dwelling(self.price, self.fellesgjeld, self.costs, self.equity)


class ParameterSetRef(_In):
    id: str = Field(min_length=1, max_length=64, description="Parameter-set id")
    version: int | None = Field(default=None, ge=1, description="Version (default: the highest)")


class _BudgetIn(_In):
    household: HouseholdIn
    income: IncomeIn
    other_fixed_costs_monthly: MonthlyNOK = Field(
        default=0, description="Other fixed costs (child support, student loan, ...), NOK per month"
    )
    housing_costs_monthly: HousingCostsIn | MonthlyNOK = Field(
        default=0, description="Housing costs of the dwelling, NOK per month: an itemised object or a total"
    )
    existing_debts: list[ExistingDebtIn] = Field(default_factory=list, max_length=50, description="Existing debts")
    bank_loan: BankLoanIn | None = Field(default=None, description="Co-financing bank loan, if any")
    parameter_set: ParameterSetRef | None = Field(
        default=None, description="Parameter set to use (default: the one in force for the caller's kommune)"
    )
    fellesgjeld_terms: FellesgjeldTermsIn | None = Field(
        default=None, description="The share of fellesgjeld's rate and terms (then its service is stress-tested)"
    )
    dwelling_facts: DwellingFactsIn | None = Field(
        default=None, description="Dwelling type and size, for default running costs where the costs are 0"
    )
    purpose: LoanPurpose = Field(default=LoanPurpose.PURCHASE, description="purchase | refinancing | improvement")
    refinancing: RefinancingIn | None = Field(default=None, description="Refinancing to keep the home")
    improvement: ImprovementIn | None = Field(default=None, description="Improvement or adaptation of the home")
    bostotte: BostotteIn | None = Field(default=None, description="Bostøtte estimate after the purchase")
    as_of: date = Field(
        default_factory=date.today, description="The date the budget is made (end and start dates count from it)"
    )

    def _housing(self) -> HousingCosts:
        h = self.housing_costs_monthly
        return h.to_domain() if isinstance(h, HousingCostsIn) else HousingCosts(other=float(h))

    def _debts(self) -> tuple[ExistingDebt, ...]:
        return tuple(ExistingDebt(d.balance, d.monthly_payment or 0.0, d.description) for d in self.existing_debts)

    def to_budget(self, base: AffordabilityRequest, kommune_number: str | None = None) -> BudgetRequest:
        """The whole budget around ``base`` (the affordability request built from the same document)."""
        plain_debts = all(not d.has_terms() for d in self.existing_debts)
        plain_income = self.income.is_plain()
        if not plain_income and self.income.net_monthly is not None and self.income.sources:
            raise InvalidInput(
                "Give the household's income either as income.net_monthly or by source (with gross_annual or "
                "dates), not both.",
                field="income.net_monthly",
                rule="gross-or-net-not-both",
            )
        df = self.dwelling_facts
        return BudgetRequest(
            base=base,
            incomes=() if plain_income else self.income.budget_incomes(),
            benefits=self.income.benefits.to_domain() if self.income.benefits else None,
            debts=() if plain_debts else tuple(d.to_budget() for d in self.existing_debts),
            fellesgjeld_terms=FellesgjeldTerms(
                self.fellesgjeld_terms.annual_rate / 100,
                self.fellesgjeld_terms.remaining_years,
                self.fellesgjeld_terms.interest_only_years_left,
            )
            if self.fellesgjeld_terms
            else None,
            dwelling_facts=DwellingFacts(df.type, df.area_m2) if df else None,
            housing_itemised=isinstance(self.housing_costs_monthly, HousingCostsIn) or self.housing_costs_monthly == 0,
            purpose=self.purpose,
            refinancing=Refinancing(self.refinancing.dwelling_value, self.refinancing.costs)
            if self.refinancing
            else None,
            improvement=Improvement(self.improvement.cost_of_works, self.improvement.value_after_works)
            if self.improvement
            else None,
            deduct_interest=self.income.deduct_interest,
            bostotte=self.bostotte is not None and self.bostotte.estimate,
            count_bostotte=self.bostotte is not None and self.bostotte.count_as_income,
            kommune_number=kommune_number,
            today=self.as_of,
        )


class AffordabilityRequestIn(_BudgetIn):
    """Debt-service capacity: how large a startlån the household can carry."""

    living_costs_monthly: MonthlyNOK | None = Field(
        default=None, description="Caseworker's figure for actual consumption, NOK per month (never below the floor)"
    )
    loan: LoanIn = Field(default_factory=LoanIn, description="The loan terms wanted")
    dwelling: PurchaseIn | None = Field(default=None, description="A concrete dwelling, if any (borettslag cap)")

    def to_domain(self) -> AffordabilityRequest:
        return AffordabilityRequest(
            household=self.household.to_domain(),
            income=self.income.to_domain(),
            housing_costs=self._housing(),
            other_fixed_costs_monthly=self.other_fixed_costs_monthly,
            existing_debts=self._debts(),
            loan=self.loan.to_domain(),
            living_costs_monthly=self.living_costs_monthly,
            bank_loan=self.bank_loan.to_domain() if self.bank_loan else None,
            dwelling=self.dwelling.to_domain() if self.dwelling else None,
        )


class FinancingPlanRequestIn(_BudgetIn):
    """A concrete purchase: try the financing ladder and find the smallest grant."""

    purchase: PurchaseIn = Field(description="The dwelling to buy")
    loan: LoanPreferencesIn = Field(
        default_factory=LoanPreferencesIn,
        description="Preferences; the ladder sets rate type and term itself (reference: floating, 30 years)",
    )
    adjusted_living_costs_monthly: MonthlyNOK | None = Field(
        default=None, description="Caseworker's adjusted consumption for the ladder's step 4, NOK per month"
    )

    def to_domain(self) -> FinancingPlanRequest:
        loan = LoanWish(
            repayment=self.loan.repayment,
            interest_only_years=self.loan.interest_only_years,
            stress_rate=_fraction(self.loan.stress_rate),
            fixation_years=self.loan.fixation_years,
            fixed_rate=_fraction(self.loan.fixed_rate),
            term_over_30_reasons=tuple(self.loan.term_over_30_reasons),
        )
        base = AffordabilityRequest(
            household=self.household.to_domain(),
            income=self.income.to_domain(),
            housing_costs=self._housing(),
            other_fixed_costs_monthly=self.other_fixed_costs_monthly,
            existing_debts=self._debts(),
            loan=loan,
            bank_loan=self.bank_loan.to_domain() if self.bank_loan else None,
            dwelling=self.purchase.to_domain(),
        )
        return FinancingPlanRequest(base, self.adjusted_living_costs_monthly)


class RateChangeIn(_In):
    from_month: int = Field(ge=2, le=MAX_TERM_YEARS * 12, description="First month (1-based) at the new rate")
    annual_rate: PercentPerYear = Field(description="The new rate, percent per year")


class ScheduleRequestIn(_In):
    principal: float = Field(gt=0, le=MAX_NOK, description="Loan amount, NOK")
    annual_rate: PercentPerYear = Field(description="Nominal rate, percent per year (the fixed rate if fixed)")
    term_years: int = Field(ge=1, le=MAX_TERM_YEARS, description="Term, years")
    repayment: Repayment = Field(default=Repayment.ANNUITY, description="annuity | serial")
    interest_only_years: int = Field(
        default=0, ge=0, le=MAX_INTEREST_ONLY_YEARS, description="Interest-only years first, years"
    )
    fixed_period_years: Literal[3, 5, 10, 20] | None = Field(
        default=None, description="Fixed-rate period, years; annual_rate applies during it"
    )
    rate_after_fixed: PercentPerYear | None = Field(
        default=None, description="Floating rate after the fixed period, percent per year"
    )
    rate_changes: list[RateChangeIn] = Field(
        default_factory=list, max_length=100, description="Floating-rate changes, in increasing month order"
    )
    include_rows: bool = Field(default=True, description="Return every row (false: totals only)")

    @model_validator(mode="after")
    def _fixed(self) -> ScheduleRequestIn:
        if (self.fixed_period_years is None) != (self.rate_after_fixed is None):
            raise ValueError("fixed_period_years and rate_after_fixed go together")
        if self.fixed_period_years is not None and self.rate_changes:
            raise ValueError("give either a fixed period or rate_changes, not both")
        return self

    def to_domain(self) -> LoanTerms:
        changes: tuple[RateChange, ...] = tuple(
            RateChange(c.from_month, c.annual_rate / 100) for c in self.rate_changes
        )
        if self.fixed_period_years is not None and self.rate_after_fixed is not None:
            if self.fixed_period_years >= self.term_years:
                raise InvalidInput(
                    "The fixed period must be shorter than the term to have a rate after it.",
                    field="fixed_period_years",
                    rule="fixation-within-term",
                )
            changes = fixed_then_floating(
                self.annual_rate / 100, self.fixed_period_years * 12, self.rate_after_fixed / 100
            )
        return LoanTerms(
            principal=self.principal,
            annual_rate=self.annual_rate / 100,
            term_months=self.term_years * 12,
            repayment=self.repayment,
            interest_only_months=self.interest_only_years * 12,
            rate_changes=changes,
        )


# --------------------------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------------------------


class ExplanationStepOut(BaseModel):
    code: str = Field(description="Stable step code")
    nb: str = Field(description="The step in Norwegian bokmål")
    en: str = Field(description="The step in English")
    amount: float | None = Field(default=None, description="The step's result, NOK (per month where monthly)")

    @classmethod
    def many(cls, steps: tuple[ExplanationStep, ...]) -> list[ExplanationStepOut]:
        return [cls.model_validate(d) for d in cls.fields_many(steps)]

    @staticmethod
    def fields_many(steps: tuple[ExplanationStep, ...]) -> list[dict[str, Any]]:
        """The steps as field dicts, for a document validated once as a whole (see :meth:`AffordabilityOut.from_budget`)."""
        return [
            {"code": s.code, "nb": s.nb, "en": s.en, "amount": None if s.amount is None else _ore(s.amount)}
            for s in steps
        ]


class ParameterSetUsed(BaseModel):
    id: str = Field(description="Parameter-set id")
    version: int = Field(description="Parameter-set version")


class BudgetLineOut(BaseModel):
    # immutable, so that one instance per distinct domain line is shared between answers (LivingCostsOut._lines)
    model_config = ConfigDict(frozen=True)

    key: str
    label_nb: str
    label_en: str
    amount: float = Field(description="NOK per month")
    member: int | None = Field(default=None, description="Index into household.members for individual items")


# id of a domain line -> (the line, its answer line)
_LINE_OUT: dict[int, tuple[BudgetLine, BudgetLineOut]] = {}


class LivingCostsOut(BaseModel):
    amount: float = Field(description="Living costs used, NOK per month")
    source: LivingCostSource = Field(description="sifo | caseworker | floor")
    reason_nb: str
    reason_en: str
    sifo_total: float = Field(description="SIFO reference budget for the household, NOK per month")
    floor_total: float = Field(description="Social-assistance floor for the household, NOK per month")
    caseworker_amount: float | None = Field(default=None, description="Caseworker's figure, NOK per month")
    breakdown: list[BudgetLineOut] = Field(description="SIFO budget lines, NOK per month")
    floor_breakdown: list[BudgetLineOut] = Field(description="Floor lines, NOK per month")

    @staticmethod
    def _lines(b: Budget) -> list[BudgetLineOut]:
        """The lines as (immutable) answer lines. A household's SIFO and floor lines come from the parameter set's
        tables (each distinct line is one object, built once: living_costs), so the same few lines recur in every
        answer: each is validated once, then shared (looked up by identity, not by value)."""
        out = []
        for x in b.lines:
            hit = _LINE_OUT.get(id(x))
            if hit is not None and hit[0] is x:
                out.append(hit[1])
                continue
            line = BudgetLineOut.model_validate(
                {
                    "key": x.key,
                    "label_nb": x.label_nb,
                    "label_en": x.label_en,
                    "amount": _ore(x.amount),
                    "member": x.member,
                }
            )
            if len(_LINE_OUT) > 8_192:
                _LINE_OUT.clear()
            _LINE_OUT[id(x)] = (x, line)  # the entry keeps x alive, so its id is not reused while it is there
            out.append(line)
        return out

    @classmethod
    def from_domain(cls, lc: LivingCosts) -> LivingCostsOut:
        return cls.model_validate(cls.fields(lc))

    @classmethod
    def fields(cls, lc: LivingCosts) -> dict[str, Any]:
        return {
            "amount": _ore(lc.amount),
            "source": lc.source,
            "reason_nb": lc.reason_nb,
            "reason_en": lc.reason_en,
            "sifo_total": _ore(lc.sifo.total),
            "floor_total": _ore(lc.floor.total),
            "caseworker_amount": lc.caseworker_amount,
            "breakdown": cls._lines(lc.sifo),
            "floor_breakdown": cls._lines(lc.floor),
        }


class FeeOut(BaseModel):
    name: str
    amount: float = Field(description="NOK, deducted at payout")


class BankLoanTestOut(BaseModel):
    amount: float = Field(description="NOK")
    annual_rate: float = Field(description="The bank's rate, percent per year")
    stress_rate: float = Field(
        description=f"max(rate + {_DEFAULT.bank_stress_add * 100:g} pp, {_DEFAULT.bank_stress_minimum * 100:g} %), "
        "percent per year (utlånsforskriften § 5; the parameter set's bank_stress_rule)"
    )
    monthly_payment_at_stress: float = Field(description="NOK per month")


class TermOver30Out(BaseModel):
    allowed: bool
    missing: list[Section85Reason]
    nb: str
    en: str


class IncomeLineOut(BaseModel):
    kind: str
    description: str
    person: int
    gross_annual: float | None = Field(default=None, description="NOK per year")
    net_monthly: float = Field(description="Net after tax, NOK per month")
    counted_today: bool = Field(description="False for an income that starts later")
    starts_on: date | None = None
    ends_on: date | None = None
    years_left: float | None = Field(default=None, description="Years until it ends (dates or benefit rules)")


class PersonTaxOut(BaseModel):
    person: int
    gross_annual: float
    trygdeavgift: float
    trinnskatt: float
    tax_alminnelig: float = Field(description="22 % of alminnelig inntekt above personfradrag, NOK per year")
    minstefradrag: float
    pensioner_deduction: float
    interest_deducted: float
    tax: float = Field(description="NOK per year")
    net_annual: float


class DebtLineOut(BaseModel):
    kind: DebtKind
    description: str
    balance: float
    stated_payment: float | None = None
    counted_payment: float = Field(description="What the budget counts, NOK per month")
    test_rate: float | None = Field(default=None, description="Stressed rate, percent per year (None: not stressed)")
    remaining_months: int | None = None
    fixed: bool
    credit_card: bool


class AfterIncomeEndsOut(BaseModel):
    ends: list[str]
    years: float = Field(description="Years until the first of them ends")
    max_loan: int
    available_monthly: float
    nb: str
    en: str


class BankLimitsOut(BaseModel):
    gross_income_annual: float | None
    total_debt: float
    debt_to_income: float | None
    max_debt_to_income: float
    debt_ok: bool | None
    ltv_percent: float | None
    max_ltv_percent: float
    ltv_ok: bool | None
    max_bank_loan: float | None = Field(description="Largest bank loan both limits allow, NOK")
    possible: bool | None = Field(description="Whether the bank's share is possible (None: cannot be assessed)")
    nb: str
    en: str


class BostotteOut(BaseModel):
    monthly: float
    annual: float
    egenandel: float
    counted_costs: float
    counted_in_budget: bool


class PurposeOut(BaseModel):
    purpose: LoanPurpose
    need: float = Field(description="What the loan must cover, NOK (0 for a purchase: see the financing plan)")
    security_limit: float | None = None
    covered: bool | None = None
    nb: str
    en: str


class BudgetOut(BaseModel):
    """How the whole budget was built: incomes after tax, benefits, debts as counted, defaults used, checks."""

    incomes: list[IncomeLineOut]
    taxes: list[PersonTaxOut]
    debts: list[DebtLineOut]
    housing_defaults: dict[str, float] = Field(description="Default running costs used, NOK per month")
    termingebyr_monthly: float
    fellesgjeld_stress_monthly: float
    after_income_ends: AfterIncomeEndsOut | None = None
    bank_limits: BankLimitsOut | None = None
    bostotte: BostotteOut | None = None
    purpose: PurposeOut
    gross_income_annual: float | None = None

    @classmethod
    def from_domain(cls, b: BudgetResult) -> BudgetOut:
        return cls.model_validate(cls.fields(b))

    @staticmethod
    def fields(b: BudgetResult) -> dict[str, Any]:
        bl = b.bank_limits
        ae = b.after_income_ends
        return dict(
            incomes=[
                dict(
                    kind=x.kind,
                    description=x.description,
                    person=x.person,
                    gross_annual=x.gross_annual,
                    net_monthly=_ore(x.net_monthly),
                    counted_today=x.counted_today,
                    starts_on=x.starts_on,
                    ends_on=x.ends_on,
                    years_left=None if x.years_left is None else round(x.years_left, 2),
                )
                for x in b.incomes
            ],
            taxes=[
                dict(
                    person=t.person,
                    gross_annual=_ore(t.gross_annual),
                    trygdeavgift=_ore(t.trygdeavgift),
                    trinnskatt=_ore(t.trinnskatt),
                    tax_alminnelig=_ore(t.tax_alminnelig),
                    minstefradrag=_ore(t.minstefradrag),
                    pensioner_deduction=_ore(t.pensioner_deduction),
                    interest_deducted=_ore(t.interest_deducted),
                    tax=_ore(t.tax),
                    net_annual=_ore(t.net_annual),
                )
                for t in b.taxes
            ],
            debts=[
                dict(
                    kind=d.kind,
                    description=d.description,
                    balance=d.balance,
                    stated_payment=d.stated_payment,
                    counted_payment=_ore(d.counted_payment),
                    test_rate=_percent(d.test_rate),
                    remaining_months=d.remaining_months,
                    fixed=d.fixed,
                    credit_card=d.credit_card,
                )
                for d in b.debts
            ],
            housing_defaults={u.item: _ore(u.amount) for u in b.housing_defaults},
            termingebyr_monthly=b.termingebyr_monthly,
            fellesgjeld_stress_monthly=_ore(b.fellesgjeld_stress_monthly),
            after_income_ends=None
            if ae is None
            else dict(
                ends=list(ae.ends),
                years=round(ae.years, 2),
                max_loan=ae.max_loan,
                available_monthly=_ore(ae.available_monthly),
                nb=ae.nb,
                en=ae.en,
            ),
            bank_limits=None
            if bl is None
            else dict(
                gross_income_annual=bl.gross_income_annual,
                total_debt=_ore(bl.total_debt),
                debt_to_income=None if bl.debt_to_income is None else round(bl.debt_to_income, 4),
                max_debt_to_income=bl.max_debt_to_income,
                debt_ok=bl.debt_ok,
                ltv_percent=_percent(bl.ltv),
                max_ltv_percent=_percent(bl.max_ltv) or 0.0,
                ltv_ok=bl.ltv_ok,
                max_bank_loan=None if bl.max_bank_loan is None else _ore(bl.max_bank_loan),
                possible=bl.possible,
                nb=bl.nb,
                en=bl.en,
            ),
            bostotte=None
            if b.bostotte is None
            else dict(
                monthly=_ore(b.bostotte.monthly),
                annual=_ore(b.bostotte.annual),
                egenandel=_ore(b.bostotte.egenandel),
                counted_costs=_ore(b.bostotte.counted_costs),
                counted_in_budget=b.bostotte.counted_in_budget,
            ),
            purpose=dict(
                purpose=b.purpose.purpose,
                need=_ore(b.purpose.need),
                security_limit=b.purpose.security_limit,
                covered=b.purpose.covered,
                nb=b.purpose.nb,
                en=b.purpose.en,
            ),
            gross_income_annual=b.gross_income_annual,
        )


class AffordabilityOut(BaseModel):
    max_loan: int = Field(description="Largest startlån, whole NOK, rounded down")
    disposable_monthly: float = Field(description="Disposable for debt service before new loans, NOK per month")
    available_for_startlan_monthly: float = Field(
        description="Disposable after the co-financing bank loan's stressed payment, NOK per month"
    )
    counted_income_monthly: float = Field(description="Counted net income, NOK per month")
    living_costs: LivingCostsOut
    housing_costs_monthly: float = Field(description="NOK per month")
    other_fixed_costs_monthly: float = Field(description="NOK per month")
    existing_debt_payments_monthly: float = Field(description="NOK per month")
    stress_rate: float = Field(description="Stress rate used, percent per year")
    stress_rate_source: str = Field(description="parameter_set | request")
    floating_rate: float = Field(
        description="The startlån's floating rate (Husbanken's floating rate plus the kommune's margin), percent per "
        "year: the rate a floating loan carries, and a fixed loan after its fixation period"
    )
    rate_type: RateType
    fixed_rate: float | None = Field(default=None, description="Fixed rate, percent per year")
    fixation_years: int | None = Field(default=None, description="years")
    term_years: int = Field(description="years")
    repayment: Repayment
    interest_only_years: int = Field(description="years")
    payment_capacity_limit: int = Field(description="Largest loan from the budget alone, whole NOK")
    dwelling_cap: int | None = Field(default=None, description="Largest loan the dwelling allows, whole NOK")
    peak_monthly_payment_at_stress: float = Field(description="Highest payment at the stress test, NOK per month")
    first_monthly_payment: float = Field(description="First payment at the loan's own rate, NOK per month")
    fees: list[FeeOut]
    payout: float = Field(description="Loan less fees deducted at payout, NOK")
    bank_loan: BankLoanTestOut | None = None
    term_over_30: TermOver30Out | None = None
    explanation: list[ExplanationStepOut]
    parameter_set: ParameterSetUsed
    budget: BudgetOut | None = Field(
        default=None, description="How the whole budget was built (incomes after tax, debts as counted, checks)"
    )

    @classmethod
    def from_budget(cls, b: BudgetResult) -> AffordabilityOut:
        """The answer, validated once as one document (nested field dicts rather than a model per line: the same
        values, a fraction of the cost)."""
        out = cls.fields(b.affordability)
        used = (
            b.incomes
            or b.debts
            or b.housing_defaults
            or b.termingebyr_monthly
            or b.fellesgjeld_stress_monthly
            or b.after_income_ends
            or b.bank_limits
            or b.bostotte
            or b.purpose.purpose is not LoanPurpose.PURCHASE
        )
        # a plain request on a set without the whole-budget values answers exactly as before (stored case results
        # recompute without differences)
        out["budget"] = BudgetOut.fields(b) if used else None
        return cls.model_validate(out)

    @classmethod
    def from_domain(cls, r: AffordabilityResult) -> AffordabilityOut:
        return cls.model_validate(cls.fields(r))

    @staticmethod
    def fields(r: AffordabilityResult) -> dict[str, Any]:
        bank = None
        if r.bank_loan is not None:
            b = r.bank_loan
            bank = dict(
                amount=b.amount,
                annual_rate=_percent(b.annual_rate) or 0.0,
                stress_rate=_percent(b.stress_rate) or 0.0,
                monthly_payment_at_stress=_ore(b.monthly_payment_at_stress),
            )
        lt = None
        if r.long_term is not None:
            lt = dict(
                allowed=r.long_term.allowed, missing=list(r.long_term.missing), nb=r.long_term.nb, en=r.long_term.en
            )
        return dict(
            max_loan=r.max_loan,
            disposable_monthly=_ore(r.disposable_monthly),
            available_for_startlan_monthly=_ore(r.available_for_startlan_monthly),
            counted_income_monthly=_ore(r.counted_income_monthly),
            living_costs=LivingCostsOut.fields(r.living_costs),
            housing_costs_monthly=_ore(r.housing_costs_monthly),
            other_fixed_costs_monthly=_ore(r.other_fixed_costs_monthly),
            existing_debt_payments_monthly=_ore(r.existing_debt_payments_monthly),
            stress_rate=_percent(r.stress_rate) or 0.0,
            stress_rate_source=r.stress_rate_source,
            floating_rate=_percent(r.floating_rate) or 0.0,
            rate_type=r.rate_type,
            fixed_rate=_percent(r.fixed_rate),
            fixation_years=r.fixation_years,
            term_years=r.term_years,
            repayment=r.repayment,
            interest_only_years=r.interest_only_years,
            payment_capacity_limit=r.payment_capacity_limit,
            dwelling_cap=r.dwelling_cap,
            peak_monthly_payment_at_stress=_ore(r.peak_monthly_payment_at_stress),
            first_monthly_payment=_ore(r.first_monthly_payment),
            fees=[{"name": f.name, "amount": _ore(f.amount)} for f in r.fees],
            payout=_ore(r.payout),
            bank_loan=bank,
            term_over_30=lt,
            explanation=ExplanationStepOut.fields_many(r.explanation),
            parameter_set={"id": r.parameter_set_id, "version": r.parameter_set_version},
        )


class ScheduleRowOut(BaseModel):
    period: int = Field(description="Month number, 1-based")
    annual_rate: float = Field(description="Rate in force, percent per year")
    payment: float = Field(description="NOK (øre precision)")
    interest: float = Field(description="NOK")
    principal: float = Field(description="NOK")
    balance: float = Field(description="Balance after the payment, NOK")


class ScheduleTotalsOut(BaseModel):
    payment: float = Field(description="Sum of payments, NOK")
    interest: float = Field(description="Sum of interest, NOK")
    principal: float = Field(description="Sum of principal, NOK (equals the loan exactly)")


class ScheduleOut(BaseModel):
    term_months: int = Field(description="months")
    repayment: Repayment
    first_payment: float = Field(description="NOK")
    max_payment: float = Field(description="Highest payment, NOK")
    totals: ScheduleTotalsOut
    rows: list[ScheduleRowOut] = Field(description="One row per month (empty if include_rows is false)")
    explanation: list[ExplanationStepOut]
    parameter_set: ParameterSetUsed | None = Field(
        default=None, description="Schedules are pure loan mathematics and use no parameter set (null)"
    )

    @classmethod
    def from_domain(cls, s: Schedule, include_rows: bool = True) -> ScheduleOut:
        t = s.terms
        steps = [
            ExplanationStep(
                "schedule",
                f"{'Annuitetslån' if t.repayment is Repayment.ANNUITY else 'Serielån'} over {t.term_months} måneder, "
                f"{t.interest_only_months} avdragsfrie måneder først; renter beregnes månedlig etterskuddsvis; siste "
                f"betaling tar opp avrundingen slik at avdragene summerer til lånet.",
                f"{'Annuity' if t.repayment is Repayment.ANNUITY else 'Serial'} loan over {t.term_months} months, "
                f"{t.interest_only_months} interest-only months first; interest monthly in arrears; the last payment "
                f"absorbs the rounding so that the principal sums to the loan.",
                s.total_principal,
            )
        ]
        for c in t.rate_changes:
            steps.append(
                ExplanationStep(
                    "rate_change",
                    f"Fra måned {c.from_month}: rente {c.annual_rate * 100:.3f} %".replace(".", ",") + ".",
                    f"From month {c.from_month}: rate {c.annual_rate * 100:.3f} %.",
                )
            )
        return cls(
            term_months=t.term_months,
            repayment=t.repayment,
            first_payment=s.first_payment,
            max_payment=s.max_payment,
            totals=ScheduleTotalsOut(payment=s.total_payment, interest=s.total_interest, principal=s.total_principal),
            rows=[
                ScheduleRowOut(
                    period=r.period,
                    annual_rate=_percent(r.annual_rate) or 0.0,
                    payment=r.payment,
                    interest=r.interest,
                    principal=r.principal,
                    balance=r.balance,
                )
                for r in s.rows
            ]
            if include_rows
            else [],
            explanation=ExplanationStepOut.many(tuple(steps)),
        )


class LadderStepOut(BaseModel):
    name: str = Field(description="reference | fixed_rate | longer_term | adjusted_consumption")
    tried: bool = Field(description="False when the step was not allowed or had no input")
    works: bool
    rate_type: RateType
    fixation_years: int | None = Field(default=None, description="years")
    term_years: int = Field(description="years")
    living_costs_monthly: float = Field(description="NOK per month")
    living_costs_source: str
    max_loan: int = Field(description="whole NOK")
    required_loan: int = Field(description="Startlån needed (fees included), whole NOK")
    available_monthly: float = Field(description="NOK per month")
    nb: str
    en: str


class GrantOut(BaseModel):
    amount: int = Field(description="Smallest grant, whole NOK")
    form: str = Field(description="write_down | interest_free_loan (kommune parameter)")
    write_down_years: int | None = Field(default=None, description="years")
    annual_write_down: float | None = Field(default=None, description="NOK per year")
    loan_with_grant: int = Field(description="Startlån with the grant, whole NOK")
    serviceable: bool
    nb: str
    en: str


class FinancingPlanOut(BaseModel):
    need: float = Field(description="Price + costs − equity − bank loan, NOK")
    required_loan: int = Field(description="Startlån needed without a grant (fees included), whole NOK")
    steps: list[LadderStepOut] = Field(description="Every step tried, in order")
    solution: str | None = Field(description="The first step that works, 'grant', or null")
    grant: GrantOut | None = None
    startlan: int = Field(
        description="The startlån the plan ends in (after any grant), whole NOK; 0 when nothing works"
    )
    serviceable: bool = Field(description="A ladder step or the grant makes the purchase serviceable")
    max_loan: int = Field(
        description="The largest startlån the plan allows, whole NOK: the maximum loan at the configuration "
        "reached when a step works, else the startlån"
    )
    final: AffordabilityOut | None = Field(default=None, description="Affordability at the last configuration")
    explanation: list[ExplanationStepOut]
    parameter_set: ParameterSetUsed

    @classmethod
    def from_domain(cls, p: FinancingPlan) -> FinancingPlanOut:
        g = p.grant
        return cls(
            need=_ore(p.need),
            required_loan=p.required_loan,
            steps=[
                LadderStepOut(
                    name=s.name,
                    tried=s.tried,
                    works=s.works,
                    rate_type=s.rate_type,
                    fixation_years=s.fixation_years,
                    term_years=s.term_years,
                    living_costs_monthly=_ore(s.living_costs_monthly),
                    living_costs_source=s.living_costs_source,
                    max_loan=s.max_loan,
                    required_loan=s.required_loan,
                    available_monthly=_ore(s.available_monthly),
                    nb=s.nb,
                    en=s.en,
                )
                for s in p.steps
            ],
            solution=p.solution,
            grant=None
            if g is None
            else GrantOut(
                amount=g.amount,
                form=g.form,
                write_down_years=g.write_down_years,
                annual_write_down=None if g.annual_write_down is None else _ore(g.annual_write_down),
                loan_with_grant=g.loan_with_grant,
                serviceable=g.serviceable,
                nb=g.nb,
                en=g.en,
            ),
            startlan=p.startlan,
            serviceable=p.serviceable,
            max_loan=p.max_loan,
            final=AffordabilityOut.from_domain(p.final) if p.final is not None else None,
            explanation=ExplanationStepOut.many(p.explanation),
            parameter_set=ParameterSetUsed(id=p.parameter_set_id, version=p.parameter_set_version),
        )


class ParameterSetSummary(BaseModel):
    id: str
    version: int
    valid_from: str = Field(description="ISO date")
    kommune_number: str | None = None
    description: str
    checksum: str | None = None


class ParameterValueOut(BaseModel):
    value: Any = Field(description="The value: a number or a table")
    unit: str
    source: str
    status: Literal["confirmed", "secondary", "derived", "not-confirmed"] = Field(
        description="confirmed | secondary | derived | not-confirmed (to be verified)"
    )
    note: str | None = None


class ParameterSetOut(ParameterSetSummary):
    values: dict[str, ParameterValueOut]
