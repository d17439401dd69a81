"""Debt-service capacity (betjeningsevne) and the maximum startlån.

The rule (Husbanken veileder, domain_rules §1.5)::

    disposable = counted net income − living costs − other fixed costs − existing debt payments − housing costs
    available  = disposable − the co-financing bank loan's payment at the bank's stressed rate (if any)
    max loan   = the largest principal whose highest monthly payment at the stress rate ≤ available

* Stress rate: the parameter set's rule (default styringsrente + 2,5 pp, kommune margin included), or the
  request's override. With a fixed rate, the fixed rate applies during the fixation period and the stress rate
  to the balance left afterwards.
* Bank co-financing (utlånsforskriften § 5): the bank's loan is tested at max(bank rate + 3 pp, 7 %); the
  household's surplus must carry both loans.
* Terms over the ordinary 30 years (up to 50) need the § 8-5 conditions, see :func:`check_long_term`.
* Borettslag: price + share of fellesgjeld count; fellesgjeld + bank loan + startlån may not exceed price +
  fellesgjeld + costs (kommune fees deducted at payout count as costs).
* Fees from the parameter set are deducted at payout and shown.

Money in NOK floats; the maximum loan is rounded **down** to whole kroner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_both, kr_en, kr_nb, pct_en, pct_nb
from loan_engine.parameters import FeeRule, UnderwritingParameters
from loan_engine.underwriting import rules
from loan_engine.underwriting.amortization import Repayment
from loan_engine.underwriting.living_costs import Household, LivingCosts, choose_living_costs, validate_household

MAX_MONTHLY = 10_000_000.0  # NOK per month: anything above is absurd input
MAX_AMOUNT = 1_000_000_000.0  # NOK: balances, prices


class RateType(StrEnum):
    FLOATING = "floating"
    FIXED = "fixed"


class IncomeKind(StrEnum):
    SALARY = "salary"
    SELF_EMPLOYMENT = "self_employment"
    PENSION = "pension"
    BENEFITS = "benefits"
    CHILD_BENEFIT = "child_benefit"
    HOUSING_ALLOWANCE = "housing_allowance"
    RENTAL = "rental"
    OTHER = "other"


class Section85Reason(StrEnum):
    """Forskrift om lån fra Husbanken § 8-5: conditions (a–d) for a term over 30 years, and the facts that allow
    waiving some of them."""

    PERMANENTLY_LOW_INCOME = "permanently_low_income"  # a
    DWELLING_MEETS_LONG_TERM_NEEDS = "dwelling_meets_long_term_needs"  # b
    RENTAL_MARKET_UNSUITABLE = "rental_market_unsuitable"  # c
    SHORTER_TERM_NOT_RESPONSIBLE = "shorter_term_not_responsible"  # d
    AT_RISK_OF_LOSING_HOME = "at_risk_of_losing_home"  # waives b and c; with low predictable income waives a
    LOW_PREDICTABLE_INCOME = "low_predictable_income"  # with children or risk of losing the home waives a


SECTION_85_TEXT: dict[Section85Reason, tuple[str, str]] = {
    Section85Reason.PERMANENTLY_LOW_INCOME: (
        "a) dokumentert varig lav inntekt",
        "a) documented permanently low income",
    ),
    Section85Reason.DWELLING_MEETS_LONG_TERM_NEEDS: (
        "b) boligen vil trolig dekke behovet i lang tid",
        "b) the dwelling is likely to meet the needs for a long time",
    ),
    Section85Reason.RENTAL_MARKET_UNSUITABLE: (
        "c) tilgjengelige leieboliger er uegnet eller vesentlig dyrere over tid",
        "c) available rentals are unsuitable or substantially more expensive over time",
    ),
    Section85Reason.SHORTER_TERM_NOT_RESPONSIBLE: (
        "d) kommunen dokumenterer at kortere løpetid ikke er økonomisk forsvarlig",
        "d) the kommune documents that a shorter term is not economically responsible",
    ),
}


@dataclass(frozen=True)
class IncomeSource:
    kind: IncomeKind
    net_monthly: float


@dataclass(frozen=True)
class Income:
    """Net (after-tax) monthly income: a total, a breakdown by source, or both (they must agree)."""

    net_monthly: float | None = None
    sources: tuple[IncomeSource, ...] = ()


@dataclass(frozen=True)
class HousingCosts:
    felleskostnader: float = 0.0
    electricity: float = 0.0
    insurance: float = 0.0
    municipal_fees: float = 0.0
    maintenance: float = 0.0
    other: float = 0.0

    @property
    def total(self) -> float:
        return (
            self.felleskostnader
            + self.electricity
            + self.insurance
            + self.municipal_fees
            + self.maintenance
            + self.other
        )


@dataclass(frozen=True)
class ExistingDebt:
    balance: float
    monthly_payment: float
    description: str = ""


@dataclass(frozen=True)
class BankLoan:
    """The co-financing bank loan (grunnfinansiering), tested at the bank's own stress rule."""

    amount: float
    annual_rate: float  # fraction per year
    term_years: int = 30
    repayment: Repayment = Repayment.ANNUITY


@dataclass(frozen=True)
class Dwelling:
    """A concrete dwelling. ``price`` is the purchase price excluding the share of fellesgjeld."""

    price: float
    fellesgjeld: float = 0.0
    costs: float = 0.0
    equity: float = 0.0


@dataclass(frozen=True)
class LoanWish:
    rate_type: RateType = RateType.FLOATING
    term_years: int = 30
    repayment: Repayment = Repayment.ANNUITY
    interest_only_years: int = 0
    stress_rate: float | None = None  # fraction per year; overrides the parameter set's rule
    fixation_years: int | None = None  # fixed rate: 3, 5, 10 or 20
    fixed_rate: float | None = None  # fraction per year; default Husbanken's fixed rate + kommune margin
    term_over_30_reasons: tuple[Section85Reason, ...] = ()


@dataclass(frozen=True)
class AffordabilityRequest:
    household: Household
    income: Income
    housing_costs: HousingCosts = HousingCosts()
    other_fixed_costs_monthly: float = 0.0
    existing_debts: tuple[ExistingDebt, ...] = ()
    loan: LoanWish = LoanWish()
    living_costs_monthly: float | None = None  # the caseworker's actual-consumption figure
    bank_loan: BankLoan | None = None
    dwelling: Dwelling | None = None


@dataclass(frozen=True)
class Fee:
    name: str
    amount: float


@dataclass(frozen=True)
class BankLoanTest:
    amount: float
    annual_rate: float
    stress_rate: float
    monthly_payment_at_stress: float


@dataclass(frozen=True)
class LongTermCheck:
    allowed: bool
    missing: tuple[Section85Reason, ...]
    nb: str
    en: str


@dataclass(frozen=True)
class AffordabilityResult:
    max_loan: int
    disposable_monthly: float
    available_for_startlan_monthly: float
    counted_income_monthly: float
    living_costs: LivingCosts
    housing_costs_monthly: float
    other_fixed_costs_monthly: float
    existing_debt_payments_monthly: float
    stress_rate: float
    stress_rate_source: str
    floating_rate: float  # the startlån's floating rate: Husbanken's floating rate plus the kommune's margin
    rate_type: RateType
    fixed_rate: float | None
    fixation_years: int | None
    term_years: int
    repayment: Repayment
    interest_only_years: int
    payment_capacity_limit: int  # max loan from the budget alone, before any dwelling cap
    dwelling_cap: int | None
    peak_monthly_payment_at_stress: float
    first_monthly_payment: float  # at the rate the loan would actually carry (startlån floating or fixed)
    fees: tuple[Fee, ...]
    payout: float
    bank_loan: BankLoanTest | None
    long_term: LongTermCheck | None
    explanation: tuple[ExplanationStep, ...]
    parameter_set_id: str
    parameter_set_version: int


# --------------------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------------------


def _money(value: float, field: str, *, limit: float = MAX_MONTHLY) -> None:
    if not math.isfinite(value) or value < 0 or value > limit:
        raise InvalidInput(
            f"{field} must be between 0 and {limit:,.0f} NOK; got {value}.".replace(",", " "),
            field=field,
            rule="amount-non-negative-bounded",
        )


def counted_income(income: Income, params: UnderwritingParameters) -> tuple[float, list[ExplanationStep]]:
    """Net monthly income counted for betjeningsevne (rental income counts ``rental_income_months`` of 12)."""
    steps: list[ExplanationStep] = []
    if income.net_monthly is None and not income.sources:
        raise InvalidInput(
            "Give income.net_monthly or income.sources.", field="income.net_monthly", rule="income-required"
        )
    if income.net_monthly is not None:
        _money(income.net_monthly, "income.net_monthly")
    for k, s in enumerate(income.sources):
        _money(s.net_monthly, f"income.sources.{k}.net_monthly")
    if not income.sources:
        assert income.net_monthly is not None
        total = income.net_monthly
        t_nb, t_en = kr_both(total)
        steps.append(
            ExplanationStep("income", f"Netto inntekt per måned: {t_nb}.", f"Net income per month: {t_en}.", total)
        )
        return total, steps
    gross = sum(s.net_monthly for s in income.sources)
    if income.net_monthly is not None and abs(gross - income.net_monthly) > 1.0:
        raise InvalidInput(
            f"income.net_monthly ({income.net_monthly:.0f}) must equal the sum of income.sources ({gross:.0f}).",
            field="income.net_monthly",
            rule="income-sources-sum",
        )
    months = params.rental_income_months
    rental = sum(s.net_monthly for s in income.sources if s.kind is IncomeKind.RENTAL)
    total = float(rules.counted_income([s.net_monthly for s in income.sources], rental, params))
    parts_nb = ", ".join(f"{s.kind.value} {kr_nb(s.net_monthly)}" for s in income.sources)
    parts_en = ", ".join(f"{s.kind.value} {kr_en(s.net_monthly)}" for s in income.sources)
    nb = f"Netto inntekt per måned etter kilde: {parts_nb}."
    en = f"Net income per month by source: {parts_en}."
    if rental:
        nb += f" Leieinntekt regnes for {months} av 12 måneder ({kr_nb(rental * months / 12)})."
        en += f" Rental income counts {months} of 12 months ({kr_en(rental * months / 12)})."
    nb += f" Regnet inntekt: {kr_nb(total)}."
    en += f" Counted income: {kr_en(total)}."
    steps.append(ExplanationStep("income", nb, en, total))
    return total, steps


def startlan_stress_rate(params: UnderwritingParameters, override: float | None) -> tuple[float, str, str, str]:
    """(rate, source slug, nb, en) for the startlån stress test."""
    if override is not None:
        if not math.isfinite(override) or override < 0 or override > 0.3:
            raise InvalidInput(
                "loan.stress_rate must be between 0 and 30 percent per year.",
                field="loan.stress_rate",
                rule="stress-rate-0-30-percent",
            )
        return (
            override,
            "request",
            f"Rentestresstest: {pct_nb(override)} som oppgitt i forespørselen.",
            f"Stress rate: {pct_en(override)} as given in the request.",
        )
    hit = _STRESS_TEXT.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    out = _stress_rate_from_set(params)
    if len(_STRESS_TEXT) > 64:
        _STRESS_TEXT.clear()
    _STRESS_TEXT[id(params)] = (params, out)
    return out


# parameter-set object -> its stress rate and the sentences (the same for every request on that set; parameter
# sets are immutable, and the one in force is the same object from request to request: api.caching)
_STRESS_TEXT: dict[int, tuple[UnderwritingParameters, tuple[float, str, str, str]]] = {}


def _stress_rate_from_set(params: UnderwritingParameters) -> tuple[float, str, str, str]:
    rule = params.stress_rule
    base = rules.stress_base(params)
    if rule.base == "policy_rate":
        base_nb, base_en = "styringsrenten", "the policy rate"
    else:
        base_nb, base_en = "startlånets flytende rente", "the startlån floating rate"
    rate = float(rules.startlan_stress_rate(params))
    added = base + rule.add
    nb = f"Rentestresstest: {base_nb} {pct_nb(base)} + {rule.add * 100:.2f} prosentpoeng = {pct_nb(added)}".replace(
        ".", ","
    )
    en = f"Stress rate: {base_en} {pct_en(base)} + {rule.add * 100:.2f} percentage points = {pct_en(added)}"
    if rate != added:
        nb += f", hevet til minstesatsen {pct_nb(rate)}"
        en += f", raised to the minimum {pct_en(rate)}"
    nb += " (kommunens påslag er inkludert; Husbankens veileder)." if rule.base == "policy_rate" else "."
    en += " (the kommune's margin included; Husbanken guidance)." if rule.base == "policy_rate" else "."
    return rate, "parameter_set", nb, en


def bank_stress_rate(bank_rate: float, params: UnderwritingParameters) -> float:
    """Utlånsforskriften § 5: the bank's rate + ``bank_stress_add``, at least ``bank_stress_minimum``
    (:func:`loan_engine.underwriting.rules.bank_stress_rate`)."""
    return float(rules.bank_stress_rate(bank_rate, params))


def test_bank_loan(bank: BankLoan, params: UnderwritingParameters) -> BankLoanTest:
    _money(bank.amount, "bank_loan.amount", limit=MAX_AMOUNT)
    if not math.isfinite(bank.annual_rate) or bank.annual_rate < 0 or bank.annual_rate > 0.3:
        raise InvalidInput(
            "bank_loan.annual_rate must be between 0 and 30 percent per year.",
            field="bank_loan.annual_rate",
            rule="rate-0-30-percent",
        )
    limit = params.special_max_term_years
    if bank.term_years < 1 or bank.term_years > limit:
        raise InvalidInput(
            f"bank_loan.term_years must be 1–{limit}.", field="bank_loan.term_years", rule="max-term-50-years"
        )
    stress = bank_stress_rate(bank.annual_rate, params)
    per_krone = rules.peak_payment_per_krone(stress, bank.term_years * 12, bank.repayment is Repayment.SERIAL)
    payment = bank.amount * float(per_krone)
    return BankLoanTest(bank.amount, bank.annual_rate, stress, payment)


def check_long_term(
    term_years: int, reasons: tuple[Section85Reason, ...], household: Household, params: UnderwritingParameters
) -> LongTermCheck | None:
    """§ 8-5: a term over the ordinary maximum needs all of a)–d); a) may be waived for a household with children
    or at risk of losing the home that has a low, predictable income; b) and c) may be waived if the household is
    at risk of losing the home. ``None`` when the term is within the ordinary maximum."""
    ordinary = params.ordinary_max_term_years
    if term_years <= ordinary:
        return None
    given = set(reasons)
    at_risk = Section85Reason.AT_RISK_OF_LOSING_HOME in given
    miss, _allowed, any_waived = rules.section_8_5_missing({r.value: True for r in given}, household.children > 0)
    waived = bool(any_waived)
    missing = tuple(c for c in SECTION_85_TEXT if bool(miss[c.value]))
    if not missing:
        nb = (
            f"Løpetid {term_years} år er over {ordinary} år og tillatt etter § 8-5: vilkårene er dokumentert"
            + (
                " (noen er fraveket fordi husstanden "
                + ("står i fare for å miste boligen" if at_risk else "har barn og lav, forutsigbar inntekt")
                + ")"
                if waived
                else ""
            )
            + "."
        )
        en = (
            f"A {term_years}-year term is over {ordinary} years and allowed under § 8-5: the conditions are "
            "documented"
            + (
                " (some waived because the household "
                + ("is at risk of losing its home" if at_risk else "has children and a low, predictable income")
                + ")"
                if waived
                else ""
            )
            + "."
        )
        return LongTermCheck(True, (), nb, en)
    nb = (
        f"Løpetid over {ordinary} år (inntil {params.special_max_term_years}) er bare tillatt når vilkårene i "
        f"forskrift om lån fra Husbanken § 8-5 er oppfylt. Mangler: "
        + "; ".join(SECTION_85_TEXT[c][0] for c in missing)
        + ". Vilkår a kan fravikes for barnefamilier eller husstander i fare for å miste boligen med lav, "
        "forutsigbar inntekt; b og c kan fravikes ved fare for å miste boligen."
    )
    en = (
        f"A term over {ordinary} years (up to {params.special_max_term_years}) is allowed only when the "
        f"conditions of § 8-5 (forskrift om lån fra Husbanken) are met. Missing: "
        + "; ".join(SECTION_85_TEXT[c][1] for c in missing)
        + ". Condition a may be waived for households with children or at risk of losing their home that have "
        "a low, predictable income; b and c may be waived if at risk of losing the home."
    )
    return LongTermCheck(False, missing, nb, en)


def fee_ore(loan_kr: int, fees: tuple[FeeRule, ...]) -> list[tuple[str, int]]:
    """Fees (name, øre) on a loan of ``loan_kr`` whole kroner; no fees on a zero loan
    (:func:`loan_engine.underwriting.rules.fees_ore`)."""
    if loan_kr <= 0:
        return []
    amounts = rules.fees_ore(loan_kr, fees)
    return [(f.name, int(a)) for f, a in zip(fees, amounts, strict=True)]


def payout_ore(loan_kr: int, fees: tuple[FeeRule, ...]) -> int:
    """What the household receives at payout, in øre: the loan less the fees deducted."""
    return int(rules.payout_ore(loan_kr, fees))


def loan_for_payout(need_ore: int, fees: tuple[FeeRule, ...]) -> int:
    """The smallest whole-krone loan whose payout covers ``need_ore`` (0 if nothing is needed)
    (:func:`loan_engine.underwriting.rules.loan_for_payout`)."""
    return int(rules.loan_for_payout(need_ore, fees))


def validate_loan(loan: LoanWish, household: Household, params: UnderwritingParameters) -> LongTermCheck | None:
    if loan.term_years < 1 or loan.term_years > params.special_max_term_years:
        raise InvalidInput(
            f"loan.term_years must be 1–{params.special_max_term_years}; got {loan.term_years}.",
            field="loan.term_years",
            rule="max-term-50-years",
        )
    if loan.interest_only_years < 0 or loan.interest_only_years > params.max_interest_only_years:
        raise InvalidInput(
            f"loan.interest_only_years must be 0–{params.max_interest_only_years} (§ 8-5); "
            f"got {loan.interest_only_years}.",
            field="loan.interest_only_years",
            rule="max-interest-only-8-years",
        )
    if loan.interest_only_years >= loan.term_years:
        raise InvalidInput(
            "The interest-only period must be shorter than the term.",
            field="loan.interest_only_years",
            rule="interest-only-shorter-than-term",
        )
    if loan.rate_type is RateType.FIXED:
        if loan.fixation_years is None:
            raise InvalidInput(
                "A fixed rate needs loan.fixation_years (3, 5, 10 or 20).",
                field="loan.fixation_years",
                rule="fixation-required",
            )
        if loan.fixation_years not in params.fixation_periods_years:
            raise InvalidInput(
                f"loan.fixation_years must be one of {', '.join(map(str, params.fixation_periods_years))}.",
                field="loan.fixation_years",
                rule="fixation-period-3-5-10-20",
            )
        if loan.fixation_years > loan.term_years:
            raise InvalidInput(
                "The fixation period may not be longer than the term.",
                field="loan.fixation_years",
                rule="fixation-within-term",
            )
        if loan.fixed_rate is not None and (not math.isfinite(loan.fixed_rate) or not 0 <= loan.fixed_rate <= 0.3):
            raise InvalidInput(
                "loan.fixed_rate must be between 0 and 30 percent per year.",
                field="loan.fixed_rate",
                rule="rate-0-30-percent",
            )
    check = check_long_term(loan.term_years, loan.term_over_30_reasons, household, params)
    if check is not None and not check.allowed:
        raise InvalidInput(check.en + " / " + check.nb, field="loan.term_years", rule="term-over-30-needs-section-8-5")
    return check


def _dwelling_cap(dwelling: Dwelling, bank_amount: float, fees: tuple[FeeRule, ...]) -> tuple[int, ExplanationStep]:
    """The largest startlån the dwelling allows: fellesgjeld + bank + startlån ≤ price + fellesgjeld + costs, with
    the fees deducted at payout counted as costs (i.e. the payout may not exceed price + costs − bank loan)."""
    limit_ore = int(rules.dwelling_limit_ore(dwelling.price, dwelling.costs, bank_amount))
    if limit_ore < 0:
        raise InvalidInput(
            "The bank loan is larger than price + costs; fellesgjeld and loans may not exceed price + costs.",
            field="bank_loan.amount",
            rule="loans-within-price-and-costs",
        )
    cap = int(rules.dwelling_cap(limit_ore, fees))
    price, share, total, costs, most = (
        kr_both(x)
        for x in (dwelling.price, dwelling.fellesgjeld, dwelling.price + dwelling.fellesgjeld, dwelling.costs, cap)
    )
    nb = (
        f"Boligen: kjøpesum {price[0]} + andel fellesgjeld {share[0]} = "
        f"totalpris {total[0]}; omkostninger {costs[0]}. Fellesgjeld, banklån og startlån kan "
        f"til sammen ikke overstige totalpris med omkostninger, så startlånet kan være høyst {most[0]} "
        f"(gebyr som trekkes ved utbetaling regnes som omkostning)."
    )
    en = (
        f"The dwelling: price {price[1]} + share of fellesgjeld {share[1]} = "
        f"total price {total[1]}; costs {costs[1]}. Fellesgjeld, bank loan and startlån together "
        f"may not exceed the total price with costs, so the startlån can be at most {most[1]} "
        f"(fees deducted at payout count as costs)."
    )
    return cap, ExplanationStep("dwelling_cap", nb, en, float(cap))


def validate_request(request: AffordabilityRequest) -> None:
    validate_household(request.household)
    if not _amounts_in_range(request):
        _check_amounts(request)


def _amounts_in_range(request: AffordabilityRequest) -> bool:
    """Whether every amount :func:`_check_amounts` checks is within its bounds (``0 <= x <= limit`` is false for
    NaN and infinities, as :func:`_money`'s test): the usual case, without building a field name per amount."""
    hc = request.housing_costs
    if not (
        0 <= request.other_fixed_costs_monthly <= MAX_MONTHLY
        and 0 <= hc.felleskostnader <= MAX_MONTHLY
        and 0 <= hc.electricity <= MAX_MONTHLY
        and 0 <= hc.insurance <= MAX_MONTHLY
        and 0 <= hc.municipal_fees <= MAX_MONTHLY
        and 0 <= hc.maintenance <= MAX_MONTHLY
        and 0 <= hc.other <= MAX_MONTHLY
        and len(request.existing_debts) <= 100
    ):
        return False
    for d in request.existing_debts:
        if not (0 <= d.balance <= MAX_AMOUNT and 0 <= d.monthly_payment <= MAX_MONTHLY):
            return False
    w = request.dwelling
    return w is None or (
        0 <= w.price <= MAX_AMOUNT
        and 0 <= w.fellesgjeld <= MAX_AMOUNT
        and 0 <= w.costs <= MAX_AMOUNT
        and 0 <= w.equity <= MAX_AMOUNT
    )


def _check_amounts(request: AffordabilityRequest) -> None:
    """Raise :class:`InvalidInput` for the first amount out of bounds, naming its field."""
    _money(request.other_fixed_costs_monthly, "other_fixed_costs_monthly")
    hc = request.housing_costs
    for name in ("felleskostnader", "electricity", "insurance", "municipal_fees", "maintenance", "other"):
        _money(getattr(hc, name), f"housing_costs_monthly.{name}")
    if len(request.existing_debts) > 100:
        raise InvalidInput("At most 100 existing debts.", field="existing_debts", rule="max-items-100")
    for k, d in enumerate(request.existing_debts):
        _money(d.balance, f"existing_debts.{k}.balance", limit=MAX_AMOUNT)
        _money(d.monthly_payment, f"existing_debts.{k}.monthly_payment")
    if request.dwelling is not None:
        for name in ("price", "fellesgjeld", "costs", "equity"):
            _money(getattr(request.dwelling, name), f"dwelling.{name}", limit=MAX_AMOUNT)


# --------------------------------------------------------------------------------------------------------------
# The assessment
# --------------------------------------------------------------------------------------------------------------


def assess_affordability(
    request: AffordabilityRequest,
    params: UnderwritingParameters,
    *,
    living_costs: LivingCosts | None = None,
) -> AffordabilityResult:
    """Betjeningsevne and the largest startlån the household can carry, with its reasoning.

    The figures come from :mod:`loan_engine.underwriting.rules` (the household as an array of one); the
    explanation is built afterwards from those figures (:func:`explain_affordability`). ``living_costs`` may be
    passed in (already chosen) to avoid recomputing them.
    """
    validate_request(request)
    loan = request.loan
    long_term = validate_loan(loan, request.household, params)

    income, income_steps = counted_income(request.income, params)
    lc = living_costs or choose_living_costs(
        request.household, params, request.living_costs_monthly, validated=True
    )  # validate_request checked the household
    other = request.other_fixed_costs_monthly
    debt = sum(d.monthly_payment for d in request.existing_debts)
    housing = request.housing_costs.total
    disposable = float(rules.disposable(income, lc.amount, other, debt, housing))
    available = disposable
    bank_test = None
    if request.bank_loan is not None:
        bank_test = test_bank_loan(request.bank_loan, params)
        available = disposable - bank_test.monthly_payment_at_stress

    stress, stress_source, stress_nb, stress_en = startlan_stress_rate(params, loan.stress_rate)
    term_months = loan.term_years * 12
    io_months = loan.interest_only_years * 12
    serial = loan.repayment is Repayment.SERIAL
    fixed_rate: float | None = None
    first_rate = stress
    actual_rate = params.startlan_floating_rate
    fix_months = term_months
    if loan.rate_type is RateType.FIXED:
        assert loan.fixation_years is not None
        fixed_rate = loan.fixed_rate if loan.fixed_rate is not None else params.startlan_fixed_rate(loan.fixation_years)
        first_rate = actual_rate = fixed_rate
        fix_months = loan.fixation_years * 12

    peak = float(rules.peak_payment_per_krone(first_rate, term_months, serial, io_months, fix_months, stress))
    capacity = rules.max_principal(available, first_rate, term_months, serial, io_months, fix_months, stress)
    capacity_kr = int(rules.max_loan(capacity))

    max_loan = capacity_kr
    cap: int | None = None
    cap_step: ExplanationStep | None = None
    if request.dwelling is not None:
        bank_amount = request.bank_loan.amount if request.bank_loan else 0.0
        cap, cap_step = _dwelling_cap(request.dwelling, bank_amount, params.fees)
        max_loan = min(max_loan, cap)

    fees = tuple(Fee(name, a / 100) for name, a in fee_ore(max_loan, params.fees))
    payout = max_loan - sum(f.amount for f in fees)
    first_payment = (
        max_loan * float(rules.peak_payment_per_krone(actual_rate, term_months, serial)) if max_loan else 0.0
    )
    if io_months and max_loan:
        first_payment = max_loan * actual_rate / 12

    result = AffordabilityResult(
        max_loan=max_loan,
        disposable_monthly=disposable,
        available_for_startlan_monthly=available,
        counted_income_monthly=income,
        living_costs=lc,
        housing_costs_monthly=housing,
        other_fixed_costs_monthly=other,
        existing_debt_payments_monthly=debt,
        stress_rate=stress,
        stress_rate_source=stress_source,
        floating_rate=params.startlan_floating_rate,
        rate_type=loan.rate_type,
        fixed_rate=fixed_rate,
        fixation_years=loan.fixation_years if loan.rate_type is RateType.FIXED else None,
        term_years=loan.term_years,
        repayment=loan.repayment,
        interest_only_years=loan.interest_only_years,
        payment_capacity_limit=capacity_kr,
        dwelling_cap=cap,
        peak_monthly_payment_at_stress=max_loan * peak,
        first_monthly_payment=first_payment,
        fees=fees,
        payout=payout,
        bank_loan=bank_test,
        long_term=long_term,
        explanation=(),
        parameter_set_id=params.set_id,
        parameter_set_version=params.version,
    )
    steps = explain_affordability(request, result, params, income_steps, (stress_nb, stress_en), cap_step)
    object.__setattr__(result, "explanation", steps)  # the result is new and not yet shared
    return result


def explain_affordability(
    request: AffordabilityRequest,
    r: AffordabilityResult,
    params: UnderwritingParameters,
    income_steps: list[ExplanationStep],
    stress_text: tuple[str, str],
    cap_step: ExplanationStep | None,
) -> tuple[ExplanationStep, ...]:
    """The ordered explanation (bokmål and English) of the figures in ``r`` (each amount formatted once for both
    languages: :func:`~loan_engine.explain.kr_both`)."""
    loan = request.loan
    steps: list[ExplanationStep] = list(income_steps)
    lc = r.living_costs
    steps.append(ExplanationStep(f"living_costs_{lc.source.value}", lc.reason_nb, lc.reason_en, lc.amount))
    other = r.other_fixed_costs_monthly
    other_nb, other_en = kr_both(other)
    steps.append(
        ExplanationStep(
            "other_fixed_costs",
            f"Andre faste utgifter (f.eks. barnebidrag, studielån): {other_nb}.",
            f"Other fixed costs (e.g. child support, student loan): {other_en}.",
            other,
        )
    )
    debt = r.existing_debt_payments_monthly
    debt_nb, debt_en = kr_both(debt)
    if request.existing_debts:
        balance_nb, balance_en = kr_both(sum(d.balance for d in request.existing_debts))
        steps.append(
            ExplanationStep(
                "existing_debts",
                f"Eksisterende gjeld: {len(request.existing_debts)} lån, saldo {balance_nb}, "
                f"betaling {debt_nb} per måned (med faktiske vilkår; vurder forventet renteøkning).",
                f"Existing debts: {len(request.existing_debts)} loans, balance "
                f"{balance_en}, payments {debt_en} per month (actual terms; "
                f"consider expected rate rises).",
                debt,
            )
        )
    housing = r.housing_costs_monthly
    hc = request.housing_costs
    fk, el, ins, mun, mnt, oth, hsum = (
        kr_both(x)
        for x in (
            hc.felleskostnader,
            hc.electricity,
            hc.insurance,
            hc.municipal_fees,
            hc.maintenance,
            hc.other,
            housing,
        )
    )
    steps.append(
        ExplanationStep(
            "housing_costs",
            f"Boutgifter: felleskostnader {fk[0]}, strøm {el[0]}, forsikring "
            f"{ins[0]}, kommunale avgifter {mun[0]}, vedlikehold {mnt[0]}, "
            f"annet {oth[0]}; sum {hsum[0]}.",
            f"Housing costs: felleskostnader {fk[1]}, electricity {el[1]}, insurance "
            f"{ins[1]}, municipal fees {mun[1]}, maintenance {mnt[1]}, "
            f"other {oth[1]}; total {hsum[1]}.",
            housing,
        )
    )
    disposable, available = r.disposable_monthly, r.available_for_startlan_monthly
    inc, lca, disp = (kr_both(x) for x in (r.counted_income_monthly, lc.amount, disposable))
    steps.append(
        ExplanationStep(
            "disposable",
            f"Disponibelt til lånebetjening: {inc[0]} − {lca[0]} − {other_nb} − {debt_nb} − "
            f"{hsum[0]} = {disp[0]} per måned.",
            f"Available for debt service: {inc[1]} − {lca[1]} − {other_en} − {debt_en} − "
            f"{hsum[1]} = {disp[1]} per month.",
            disposable,
        )
    )
    avail_nb, avail_en = kr_both(available)
    bank_test = r.bank_loan
    if bank_test is not None:
        add_nb = f"{params.bank_stress_add * 100:g}".replace(".", ",")
        add_en = f"{params.bank_stress_add * 100:g}"
        minimum_nb, minimum_en = pct_nb(params.bank_stress_minimum), pct_en(params.bank_stress_minimum)
        amount_nb, amount_en = kr_both(bank_test.amount)
        pay_nb, pay_en = kr_both(bank_test.monthly_payment_at_stress)
        steps.append(
            ExplanationStep(
                "bank_loan",
                f"Samfinansiering: banklån {amount_nb} testes etter utlånsforskriften med bankens rente "
                f"{pct_nb(bank_test.annual_rate)} + {add_nb} prosentpoeng, minst {minimum_nb}: "
                f"{pct_nb(bank_test.stress_rate)}, "
                f"betaling {pay_nb}. Igjen til startlånet: {avail_nb}.",
                f"Co-financing: the bank loan {amount_en} is tested under utlånsforskriften at the bank's "
                f"rate {pct_en(bank_test.annual_rate)} + {add_en} percentage points, at least {minimum_en}: "
                f"{pct_en(bank_test.stress_rate)}, payment {pay_en}. Left for the "
                f"startlån: {avail_en}.",
                available,
            )
        )
    steps.append(ExplanationStep("stress_rate", *stress_text))
    if r.long_term is not None:
        steps.append(ExplanationStep("term_over_30", r.long_term.nb, r.long_term.en))
    if r.fixed_rate is not None:
        steps.append(
            ExplanationStep(
                "fixed_rate",
                f"Fastrente {pct_nb(r.fixed_rate)} i {r.fixation_years} år brukes i bindingstiden i stedet for "
                f"stressrenten; restgjelden etter bindingstiden testes med {pct_nb(r.stress_rate)}.",
                f"The fixed rate {pct_en(r.fixed_rate)} for {r.fixation_years} years is used during the fixation period "
                f"instead of the stress rate; the balance left afterwards is tested at {pct_en(r.stress_rate)}.",
            )
        )
    capacity_kr = r.payment_capacity_limit
    if available <= 0:
        steps.append(
            ExplanationStep(
                "max_loan",
                f"Det er ikke noe til overs til å betjene et startlån ({avail_nb} per måned); største lån er 0.",
                f"Nothing is left to service a startlån ({avail_en} per month); the maximum loan is 0.",
                0.0,
            )
        )
    else:
        serial = loan.repayment is Repayment.SERIAL
        form_nb = "serielån" if serial else "annuitetslån"
        form_en = "serial" if serial else "annuity"
        io_nb = f", {loan.interest_only_years} år avdragsfritt først" if loan.interest_only_years else ""
        io_en = f", {loan.interest_only_years} years interest-only first" if loan.interest_only_years else ""
        binding_nb = " (første betaling med avdrag er den høyeste og bindende)" if serial else ""
        binding_en = " (the first payment with repayment is the highest and binding)" if serial else ""
        cap_nb, cap_en = kr_both(capacity_kr)
        steps.append(
            ExplanationStep(
                "max_loan",
                f"Største lån som {avail_nb} per måned kan betjene som {form_nb} over {loan.term_years} år"
                f"{io_nb}: {cap_nb} (rundet ned){binding_nb}.",
                f"The largest loan {avail_en} per month can carry as {form_en} over {loan.term_years} years"
                f"{io_en}: {cap_en} (rounded down){binding_en}.",
                float(capacity_kr),
            )
        )
    if cap_step is not None:
        steps.append(cap_step)
    fees, payout = r.fees, r.payout
    if fees:
        fee_texts = [(f.name, kr_both(f.amount)) for f in fees]
        payout_nb, payout_en = kr_both(payout)
        steps.append(
            ExplanationStep(
                "fees",
                "Gebyr trekkes fra lånet ved utbetaling: "
                + ", ".join(f"{name} {text[0]}" for name, text in fee_texts)
                + f"; utbetalt {payout_nb}.",
                "Fees are deducted at payout: "
                + ", ".join(f"{name} {text[1]}" for name, text in fee_texts)
                + f"; paid out {payout_en}.",
                payout,
            )
        )
    actual_rate = r.fixed_rate if r.fixed_rate is not None else r.floating_rate
    most_nb, most_en = kr_both(r.max_loan)
    first_nb, first_en = kr_both(r.first_monthly_payment)
    steps.append(
        ExplanationStep(
            "result",
            f"Resultat: største startlån {most_nb}; første betaling med lånets rente {pct_nb(actual_rate)} er "
            f"{first_nb} per måned.",
            f"Result: maximum startlån {most_en}; the first payment at the loan's rate {pct_en(actual_rate)} is "
            f"{first_en} per month.",
            float(r.max_loan),
        )
    )
    return tuple(steps)


def with_loan(request: AffordabilityRequest, **changes: object) -> AffordabilityRequest:
    """A copy of ``request`` with some loan terms changed (used by the financing ladder)."""
    return replace(request, loan=replace(request.loan, **changes))  # type: ignore[arg-type]
