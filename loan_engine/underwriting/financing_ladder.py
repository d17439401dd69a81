"""The financing ladder for a concrete purchase, and the smallest grant (etableringstilskudd) that closes the gap.

Steps (Rælingen practice, NIBR 2016:23 L1257–L1261; Husbanken: use fixed rate and long terms before a grant so
that the grant budget reaches more households):

1. **reference** – floating rate, the reference term (30 years), full living costs (SIFO, never below the floor);
2. the parameter set's ``ladder_order`` of **fixed_rate** (the best offered fixation period),
   **longer_term** (the shortest term up to 50 years that works, only where § 8-5 allows it) and
   **adjusted_consumption** (the caseworker's figure for actual consumption, never below the floor);
3. **grant** – last: the smallest whole-krone grant with which the purchase is serviceable under the most
   favourable configuration reached.

Steps are cumulative: each step keeps the improvements of the earlier ones. The ladder stops at the first step
that works and returns every step tried. A step "works" when the largest startlån the household can carry (and
the dwelling allows) pays out at least what the purchase needs: price + costs − equity − bank loan, with the
kommune's fees deducted at payout.

The ladder itself is :func:`loan_engine.underwriting.rules.ladder` (the same function the register screening
runs over all households); this module explains its figures. The grant is exact, in integer øre
(:func:`loan_engine.underwriting.rules.smallest_grant`); it does not change the monthly budget (a written-down grant
or an interest- and instalment-free loan repaid on sale has no monthly payment). No step re-runs the assessment
or its prose; the configuration reached is assessed once, with its explanation, as ``final``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb, pct_en, pct_nb
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting import interest_only, rules
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    AffordabilityResult,
    Dwelling,
    RateType,
    assess_affordability,
    check_long_term,
    counted_income,
    test_bank_loan,
    validate_loan,
    validate_request,
)
from loan_engine.underwriting.amortization import Repayment
from loan_engine.underwriting.interest_only import IncomeRise
from loan_engine.underwriting.living_costs import LivingCosts, choose_living_costs
from loan_engine.underwriting.rules import FloatArray

# Words for the explanation text (bokmål, English): ladder steps and living-cost sources.
STEP_WORDS: dict[str, tuple[str, str]] = {
    "reference": ("referanseløsningen", "the reference solution"),
    "fixed_rate": ("fast rente", "fixed rate"),
    "longer_term": ("lengre løpetid", "longer term"),
    "adjusted_consumption": ("tilpasset forbruk", "adjusted consumption"),
    "grant": ("tilskudd", "grant"),
}
SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "sifo": ("SIFO", "SIFO"),
    "caseworker": ("saksbehandlers tall", "caseworker's figure"),
    "floor": ("sosialhjelpssatsen", "social-assistance floor"),
}


@dataclass(frozen=True)
class FinancingPlanRequest:
    """``base.dwelling`` is the purchase; ``base.loan`` gives repayment form, interest-only years, stress-rate
    override, fixation preference and § 8-5 reasons (its rate type and term are set by the ladder);
    ``base.living_costs_monthly`` is ignored (full living costs first) – the caseworker's figure goes in
    ``adjusted_living_costs_monthly``."""

    base: AffordabilityRequest
    adjusted_living_costs_monthly: float | None = None
    income_rise: IncomeRise | None = None  # an income expected to start later (the interest-only step)


@dataclass(frozen=True)
class LadderStep:
    name: str
    tried: bool
    works: bool
    rate_type: RateType
    fixation_years: int | None
    term_years: int
    living_costs_monthly: float
    living_costs_source: str
    max_loan: int
    required_loan: int
    available_monthly: float
    nb: str
    en: str


@dataclass(frozen=True)
class GrantResult:
    amount: int
    form: str
    write_down_years: int | None
    annual_write_down: float | None
    loan_with_grant: int
    serviceable: bool
    nb: str
    en: str


@dataclass(frozen=True)
class FinancingPlan:
    need: float  # what the loan must pay out: price + costs − equity − bank loan
    required_loan: int  # the startlån needed without a grant (fees included)
    steps: tuple[LadderStep, ...]
    solution: str | None  # name of the first step that works, or "grant", or None
    grant: GrantResult | None
    final: AffordabilityResult | None  # the assessment of the configuration reached
    startlan: int  # the startlån the plan ends in: the required loan, the loan with the grant, or 0 if none works
    serviceable: bool  # a step or the grant makes the purchase serviceable
    max_loan: int  # the largest startlån the plan allows: the maximum loan where a step works, else ``startlan``
    explanation: tuple[ExplanationStep, ...]
    parameter_set_id: str
    parameter_set_version: int


def smallest_grant(need_ore: int, max_loan: int, params: UnderwritingParameters) -> int:
    """The smallest whole-krone grant G such that the loan needed to pay out ``need − G`` is within ``max_loan``
    (:func:`loan_engine.underwriting.rules.smallest_grant`)."""
    return int(rules.smallest_grant(need_ore, max_loan, params.fees))


def _rate(kind: int, fixations: tuple[int, ...]) -> tuple[RateType, int | None]:
    return (RateType.FLOATING, None) if kind == 0 else (RateType.FIXED, fixations[kind - 1])


def financing_plan(plan: FinancingPlanRequest, params: UnderwritingParameters) -> FinancingPlan:
    """The ladder (:func:`loan_engine.underwriting.rules.ladder`, the household as an array of one), then the
    explanation of every step from its figures, and the full affordability answer for the configuration reached
    (the only assessment with prose)."""
    base = plan.base
    dwelling: Dwelling | None = base.dwelling
    if dwelling is None:
        raise InvalidInput(
            "A financing plan needs the purchase (price, fellesgjeld, costs).",
            field="purchase",
            rule="purchase-required",
        )
    ref_term = params.reference_term_years
    limit = params.special_max_term_years
    # Validate the request as the reference step would assess it (floating rate, reference term, full living costs).
    reference_request = replace(
        base,
        loan=replace(base.loan, rate_type=RateType.FLOATING, fixation_years=None, term_years=ref_term, fixed_rate=None),
        living_costs_monthly=None,
    )
    validate_request(reference_request)
    validate_loan(reference_request.loan, base.household, params)
    if base.loan.fixed_rate is not None and (
        not math.isfinite(base.loan.fixed_rate) or not 0 <= base.loan.fixed_rate <= 0.3
    ):
        raise InvalidInput(
            "loan.fixed_rate must be between 0 and 30 percent per year.",
            field="loan.fixed_rate",
            rule="rate-0-30-percent",
        )
    bank = base.bank_loan.amount if base.bank_loan else 0.0
    need = dwelling.price + dwelling.costs - dwelling.equity - bank
    need_ore = rules.need_ore(dwelling.price, dwelling.costs, dwelling.equity, bank).reshape(1)
    required = int(rules.loan_for_payout(need_ore, params.fees)[0])
    full = choose_living_costs(base.household, params, None)
    adjusted: LivingCosts | None = None
    if plan.adjusted_living_costs_monthly is not None:
        adjusted = choose_living_costs(base.household, params, plan.adjusted_living_costs_monthly)

    # Figures (no prose): income, costs, the bank loan, the dwelling cap
    income, _ = counted_income(base.income, params)
    other = base.other_fixed_costs_monthly
    debt = sum(d.monthly_payment for d in base.existing_debts)
    housing = base.housing_costs.total
    bank_payment = test_bank_loan(base.bank_loan, params).monthly_payment_at_stress if base.bank_loan else 0.0

    def available(lc: LivingCosts) -> FloatArray:
        disposable = rules.disposable(income, lc.amount, other, debt, housing)
        out: FloatArray = np.array([disposable - bank_payment if base.bank_loan else disposable], dtype=np.float64)
        return out

    limit_ore = int(rules.dwelling_limit_ore(dwelling.price, dwelling.costs, bank))
    if limit_ore < 0:
        raise InvalidInput(
            "The bank loan is larger than price + costs; fellesgjeld and loans may not exceed price + costs.",
            field="bank_loan.amount",
            rule="loans-within-price-and-costs",
        )
    cap = rules.dwelling_cap(limit_ore, params.fees).reshape(1)
    check = check_long_term(limit, base.loan.term_over_30_reasons, base.household, params)
    allowed = check is None or check.allowed
    config = rules.loan_config(
        params,
        1,
        stress_override=np.nan if base.loan.stress_rate is None else base.loan.stress_rate,
        fixed_rate_override=np.nan if base.loan.fixed_rate is None else base.loan.fixed_rate,
        serial=base.loan.repayment is Repayment.SERIAL,
        interest_only_months=base.loan.interest_only_years * 12,
    )
    lad = rules.ladder(
        params,
        config,
        available=available(full),
        required=np.array([required], dtype=np.int64),
        need_ore=need_ore,
        cap=cap,
        long_term_allowed=np.array([allowed]),
        available_adjusted=available(adjusted) if adjusted is not None else None,
        fixation_preference=np.array([base.loan.fixation_years or 0], dtype=np.int64),
        income_rise=None if plan.income_rise is None else np.array([plan.income_rise.monthly]),
        income_rise_years=None if plan.income_rise is None else np.array([plan.income_rise.years_from_now]),
    )
    stress = float(config.stress[0])
    fixations = config.fixations

    # The explanation of each step, from its figures
    steps: list[LadderStep] = []
    for sa in lad.steps:
        if not bool(sa.listed[0]):
            continue
        name = sa.name
        rate_type, fixation = _rate(int(sa.kind[0]), fixations)
        term = int(sa.term_years[0])
        lc = adjusted if bool(sa.adjusted[0]) and adjusted is not None else full
        if not bool(sa.tried[0]):
            if name == "fixed_rate":
                nb, en = "Ingen bindingstid passer løpetiden.", "No fixation period fits the term."
            elif name == "longer_term":
                assert check is not None
                nb, en = "Lengre løpetid prøves ikke. " + check.nb, "A longer term is not tried. " + check.en
            elif name == "interest_only":
                nb, en = interest_only.not_helping(plan.income_rise, params)
            else:
                nb = "Nedjustert forbruk prøves ikke: saksbehandler har ikke oppgitt faktisk forbruk."
                en = "Adjusted consumption is not tried: the caseworker gave no actual-consumption figure."
            steps.append(
                LadderStep(name, False, False, rate_type, fixation, term, lc.amount, lc.source.value, 0, 0, 0.0, nb, en)
            )
            continue
        got = int(sa.max_loan[0])
        if name == "reference":
            nb = (
                f"Referanseløsning: flytende rente, {ref_term} år, fullt livsopphold ({kr_nb(full.amount)}, "
                f"{SOURCE_WORDS[full.source.value][0]}), stressrente {pct_nb(stress)}: største lån {kr_nb(got)}."
            )
            en = (
                f"Reference solution: floating rate, {ref_term} years, full living costs ({kr_en(full.amount)}, "
                f"{SOURCE_WORDS[full.source.value][1]}), stress rate {pct_en(stress)}: maximum loan {kr_en(got)}."
            )
        elif name == "fixed_rate":
            assert sa.fixed_candidates is not None and fixation is not None
            tried = [(y, int(c)) for y, c in zip(fixations, sa.fixed_candidates[:, 0], strict=True) if c >= 0]
            tried_nb = ", ".join(f"{y} år: {kr_nb(c)}" for y, c in tried)
            tried_en = ", ".join(f"{y} years: {kr_en(c)}" for y, c in tried)
            fixed_rate = float(config.fixed_rates[fixations.index(fixation), 0])
            nb = (
                f"Fastrente (bindingstid {tried_nb}); best er {fixation} år med {pct_nb(fixed_rate)}: "
                f"største lån {kr_nb(got)}."
            )
            en = (
                f"Fixed rate (fixation {tried_en}); best is {fixation} years at {pct_en(fixed_rate)}: "
                f"maximum loan {kr_en(got)}."
            )
        elif name == "longer_term":
            nb = (
                f"Lengre løpetid (§ 8-5 er oppfylt; korteste løpetid som holder, høyst {limit} år): "
                f"{term} år gir største lån {kr_nb(got)}."
            )
            en = (
                f"Longer term (§ 8-5 is met; the shortest term that works, at most {limit} years): "
                f"{term} years gives a maximum loan of {kr_en(got)}."
            )
        elif name == "interest_only":
            assert plan.income_rise is not None and sa.interest_only_years is not None
            nb, en = interest_only.explain(
                int(sa.interest_only_years[0]), plan.income_rise, stress, float(sa.available[0]), term, got, params
            )
        else:
            assert adjusted is not None
            nb = f"Nedjustert forbruk: {adjusted.reason_nb} Største lån {kr_nb(got)}."
            en = f"Adjusted consumption: {adjusted.reason_en} Maximum loan {kr_en(got)}."
        works = bool(sa.works[0])
        short = max(required - got, 0)
        steps.append(
            LadderStep(
                name=name,
                tried=True,
                works=works,
                rate_type=rate_type,
                fixation_years=fixation,
                term_years=term,
                living_costs_monthly=lc.amount,
                living_costs_source=lc.source.value,
                max_loan=got,
                required_loan=required,
                available_monthly=float(sa.available[0]),
                nb=nb + (" Dette holder." if works else f" Det mangler {kr_nb(short)} i lån."),
                en=en + (" This works." if works else f" The loan falls short by {kr_en(short)}."),
            )
        )

    # The configuration reached: the one full assessment (with its explanation)
    rate_type, fixation = _rate(int(lad.kind[0]), fixations)
    final_lc = adjusted if bool(lad.adjusted[0]) and adjusted is not None else full
    final_loan = replace(
        base.loan,
        rate_type=rate_type,
        fixation_years=fixation,
        term_years=int(lad.term_years[0]),
        fixed_rate=base.loan.fixed_rate if rate_type is RateType.FIXED else None,
    )
    final = assess_affordability(
        replace(base, loan=final_loan, living_costs_monthly=None), params, living_costs=final_lc
    )
    io_reached = 0 if lad.interest_only_years is None else int(lad.interest_only_years[0])
    if io_reached:  # the interest-only step's loan rests on the expected income rise
        final = interest_only.with_interest_only(final, int(lad.max_loan[0]), io_reached, params)

    code = int(lad.solution[0])
    solution = next((name for name, c in rules.STEP_SOLUTIONS.items() if c == code), None)
    grant: GrantResult | None = None
    if code == rules.SOLUTION_GRANT:
        amount = int(lad.grant[0])
        loan_with = int(lad.loan_with_grant[0])
        write_years = params.grant_write_down_years if params.grant_form == "write_down" else None
        annual = amount / write_years if write_years else None
        if params.grant_form == "write_down":
            form_nb = f"nedskrives over {write_years} år ({kr_nb(annual or 0)} per år)"
            form_en = f"written down over {write_years} years ({kr_en(annual or 0)} a year)"
        else:
            form_nb = "gis som rente- og avdragsfritt lån som tilbakebetales ved salg"
            form_en = "given as an interest- and instalment-free loan repaid on sale"
        paid_out = int(rules.payout_ore(loan_with, params.fees)) / 100
        nb = (
            f"Tilskudd (sist): minste tilskudd som gjør kjøpet betjenbart er {kr_nb(amount)}; startlånet blir "
            f"{kr_nb(loan_with)} (utbetalt {kr_nb(paid_out)}). Tilskuddet {form_nb}."
        )
        en = (
            f"Grant (last): the smallest grant that makes the purchase serviceable is {kr_en(amount)}; the "
            f"startlån becomes {kr_en(loan_with)} (paid out {kr_en(paid_out)}). The grant is {form_en}."
        )
        grant = GrantResult(amount, params.grant_form, write_years, annual, loan_with, True, nb, en)
    elif code == rules.SOLUTION_NONE:
        deficit = -float(lad.available[0])
        nb = (
            f"Tilskudd: heller ikke et tilskudd kan gjøre kjøpet betjenbart, fordi husstanden mangler "
            f"{kr_nb(deficit)} per måned før noe startlån."
        )
        en = (
            f"Grant: not even a grant can make the purchase serviceable, because the household is short by "
            f"{kr_en(deficit)} per month before any startlån."
        )
        grant = GrantResult(0, params.grant_form, None, None, 0, False, nb, en)

    explanation: list[ExplanationStep] = [
        ExplanationStep(
            "need",
            f"Kjøpet: kjøpesum {kr_nb(dwelling.price)} + omkostninger {kr_nb(dwelling.costs)} − egenkapital "
            f"{kr_nb(dwelling.equity)} − banklån {kr_nb(bank)} = {kr_nb(need)} må dekkes av startlån (og eventuelt "
            f"tilskudd). Med gebyr trukket ved utbetaling trengs et startlån på {kr_nb(required)}.",
            f"The purchase: price {kr_en(dwelling.price)} + costs {kr_en(dwelling.costs)} − equity "
            f"{kr_en(dwelling.equity)} − bank loan {kr_en(bank)} = {kr_en(need)} to be covered by startlån (and possibly "
            f"a grant). With fees deducted at payout the startlån must be {kr_en(required)}.",
            float(required),
        )
    ]
    for st in steps:
        explanation.append(ExplanationStep(f"step_{st.name}", st.nb, st.en, float(st.max_loan) if st.tried else None))
    if grant is not None:
        explanation.append(ExplanationStep("step_grant", grant.nb, grant.en, float(grant.amount)))
    if solution is None:
        explanation.append(
            ExplanationStep(
                "conclusion",
                "Ingen løsning: kjøpet kan ikke finansieres forsvarlig.",
                "No solution: the purchase cannot be financed responsibly.",
            )
        )
    else:
        explanation.append(
            ExplanationStep(
                "conclusion",
                f"Første løsning som holder: {STEP_WORDS[solution][0]}.",
                f"First solution that works: {STEP_WORDS[solution][1]}.",
            )
        )
    return FinancingPlan(
        need=need,
        required_loan=required,
        steps=tuple(steps),
        solution=solution,
        grant=grant,
        final=final,
        startlan=int(lad.startlan[0]),
        serviceable=bool(lad.serviceable[0]),
        max_loan=final.max_loan if code not in (rules.SOLUTION_GRANT, rules.SOLUTION_NONE) else int(lad.startlan[0]),
        explanation=tuple(explanation),
        parameter_set_id=params.set_id,
        parameter_set_version=params.version,
    )
