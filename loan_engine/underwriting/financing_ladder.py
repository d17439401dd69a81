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

The grant is found by bisection over whole kroner in exact integer øre arithmetic; it does not change the monthly
budget (a written-down grant or an interest- and instalment-free loan repaid on sale has no monthly payment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from loan_engine.errors import InvalidInput
from loan_engine.explain import ExplanationStep, kr_en, kr_nb, pct_en, pct_nb
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting.affordability import (
    AffordabilityRequest,
    AffordabilityResult,
    Dwelling,
    RateType,
    assess_affordability,
    check_long_term,
    loan_for_payout,
    payout_ore,
)
from loan_engine.underwriting.interest_only import IncomeRise, interest_only_not_helping, interest_only_trial
from loan_engine.underwriting.living_costs import LivingCosts, choose_living_costs


@dataclass(frozen=True)
class FinancingPlanRequest:
    """``base.dwelling`` is the purchase; ``base.loan`` gives repayment form, interest-only years, stress-rate
    override, fixation preference and § 8-5 reasons (its rate type and term are set by the ladder);
    ``base.living_costs_monthly`` is ignored (full living costs first) – the caseworker's figure goes in
    ``adjusted_living_costs_monthly``."""

    base: AffordabilityRequest
    adjusted_living_costs_monthly: float | None = None
    income_rise: IncomeRise | None = None  # an income expected to start later (for the interest-only step)


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
    final: AffordabilityResult | None
    explanation: tuple[ExplanationStep, ...]
    parameter_set_id: str
    parameter_set_version: int


@dataclass
class _State:
    rate_type: RateType
    fixation_years: int | None
    term_years: int
    living: LivingCosts
    interest_only_years: int | None = None  # set by the interest-only step


def _assess(plan: FinancingPlanRequest, st: _State, params: UnderwritingParameters) -> AffordabilityResult:
    loan = replace(
        plan.base.loan,
        rate_type=st.rate_type,
        fixation_years=st.fixation_years,
        term_years=st.term_years,
        fixed_rate=plan.base.loan.fixed_rate if st.rate_type is RateType.FIXED else None,
    )
    if st.interest_only_years is not None:
        loan = replace(loan, interest_only_years=st.interest_only_years)
    return assess_affordability(
        replace(plan.base, loan=loan, living_costs_monthly=None), params, living_costs=st.living
    )


def _step(name: str, st: _State, res: AffordabilityResult, required: int, nb: str, en: str) -> LadderStep:
    works = res.available_for_startlan_monthly >= 0 and res.max_loan >= required
    return LadderStep(
        name=name,
        tried=True,
        works=works,
        rate_type=st.rate_type,
        fixation_years=st.fixation_years,
        term_years=st.term_years,
        living_costs_monthly=st.living.amount,
        living_costs_source=st.living.source.value,
        max_loan=res.max_loan,
        required_loan=required,
        available_monthly=res.available_for_startlan_monthly,
        nb=nb + (" Dette holder." if works else f" Det mangler {kr_nb(max(required - res.max_loan, 0))} i lån."),
        en=en + (" This works." if works else f" The loan falls short by {kr_en(max(required - res.max_loan, 0))}."),
    )


def _skipped(name: str, st: _State, nb: str, en: str) -> LadderStep:
    return LadderStep(
        name,
        False,
        False,
        st.rate_type,
        st.fixation_years,
        st.term_years,
        st.living.amount,
        st.living.source.value,
        0,
        0,
        0.0,
        nb,
        en,
    )


def smallest_grant(need_ore: int, max_loan: int, params: UnderwritingParameters) -> int:
    """The smallest whole-krone grant G such that the loan needed to pay out ``need − G`` is within
    ``max_loan``. Bisection over G in [0, ceil(need)] on an exact integer predicate."""

    def serviceable(grant_kr: int) -> bool:
        return loan_for_payout(need_ore - grant_kr * 100, params.fees) <= max_loan

    lo, hi = 0, max(0, -(-need_ore // 100))
    while lo < hi:
        mid = (lo + hi) // 2
        if serviceable(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def financing_plan(plan: FinancingPlanRequest, params: UnderwritingParameters) -> FinancingPlan:
    base = plan.base
    dwelling: Dwelling | None = base.dwelling
    if dwelling is None:
        raise InvalidInput(
            "A financing plan needs the purchase (price, fellesgjeld, costs).",
            field="purchase",
            rule="purchase-required",
        )
    bank = base.bank_loan.amount if base.bank_loan else 0.0
    need = dwelling.price + dwelling.costs - dwelling.equity - bank
    need_ore = math.ceil(need * 100 - 1e-6)
    required = loan_for_payout(need_ore, params.fees)
    full = choose_living_costs(base.household, params, None)
    ref_term = params.reference_term_years
    st = _State(RateType.FLOATING, None, ref_term, full)
    steps: list[LadderStep] = []
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

    res = _assess(plan, st, params)
    step = _step(
        "reference",
        st,
        res,
        required,
        f"Referanseløsning: flytende rente, {ref_term} år, fullt livsopphold ({kr_nb(full.amount)}, "
        f"{full.source.value}), stressrente {pct_nb(res.stress_rate)}: største lån {kr_nb(res.max_loan)}.",
        f"Reference solution: floating rate, {ref_term} years, full living costs ({kr_en(full.amount)}, "
        f"{full.source.value}), stress rate {pct_en(res.stress_rate)}: maximum loan {kr_en(res.max_loan)}.",
    )
    steps.append(step)
    best = res
    if not step.works:
        for name in params.ladder_order:
            if name == "fixed_rate":
                offered = [y for y in params.fixation_periods_years if y <= st.term_years]
                if base.loan.fixation_years is not None:
                    offered = [y for y in offered if y == base.loan.fixation_years]
                if not offered:
                    steps.append(
                        _skipped(name, st, "Ingen bindingstid passer løpetiden.", "No fixation period fits the term.")
                    )
                    continue
                trials = [
                    (_assess(plan, replace(st, rate_type=RateType.FIXED, fixation_years=y), params), y) for y in offered
                ]
                cand, years = max(trials, key=lambda t: t[0].max_loan)
                trial_st = replace(st, rate_type=RateType.FIXED, fixation_years=years)
                tried_nb = ", ".join(f"{y} år: {kr_nb(r.max_loan)}" for r, y in trials)
                tried_en = ", ".join(f"{y} years: {kr_en(r.max_loan)}" for r, y in trials)
                assert cand.fixed_rate is not None
                step = _step(
                    name,
                    trial_st,
                    cand,
                    required,
                    f"Fastrente (bindingstid {tried_nb}); best er {years} år med {pct_nb(cand.fixed_rate)}: "
                    f"største lån {kr_nb(cand.max_loan)}.",
                    f"Fixed rate (fixation {tried_en}); best is {years} years at {pct_en(cand.fixed_rate)}: "
                    f"maximum loan {kr_en(cand.max_loan)}.",
                )
            elif name == "longer_term":
                limit = params.special_max_term_years
                check = check_long_term(limit, base.loan.term_over_30_reasons, base.household, params)
                if check is not None and not check.allowed:
                    steps.append(
                        _skipped(
                            name,
                            st,
                            "Lengre løpetid prøves ikke. " + check.nb,
                            "A longer term is not tried. " + check.en,
                        )
                    )
                    continue
                trial_st, cand = st, best
                for term in range(st.term_years + 1, limit + 1):
                    trial_st = replace(st, term_years=term)
                    cand = _assess(plan, trial_st, params)
                    if cand.max_loan >= required and cand.available_for_startlan_monthly >= 0:
                        break
                step = _step(
                    name,
                    trial_st,
                    cand,
                    required,
                    f"Lengre løpetid (§ 8-5 er oppfylt; korteste løpetid som holder, høyst {limit} år): "
                    f"{trial_st.term_years} år gir største lån {kr_nb(cand.max_loan)}.",
                    f"Longer term (§ 8-5 is met; the shortest term that works, at most {limit} years): "
                    f"{trial_st.term_years} years gives a maximum loan of {kr_en(cand.max_loan)}.",
                )
            elif name == "interest_only":
                io = interest_only_trial(plan, st, best, required, params)
                if io is None:
                    steps.append(_skipped(name, st, *interest_only_not_helping(plan, params)))
                    continue
                trial_st, cand, io_nb, io_en = io
                step = _step(name, trial_st, cand, required, io_nb, io_en)
            else:  # adjusted_consumption
                if plan.adjusted_living_costs_monthly is None:
                    steps.append(
                        _skipped(
                            name,
                            st,
                            "Nedjustert forbruk prøves ikke: saksbehandler har ikke oppgitt faktisk forbruk.",
                            "Adjusted consumption is not tried: the caseworker gave no actual-consumption figure.",
                        )
                    )
                    continue
                lc = choose_living_costs(base.household, params, plan.adjusted_living_costs_monthly)
                trial_st = replace(st, living=lc)
                cand = _assess(plan, trial_st, params)
                step = _step(
                    name,
                    trial_st,
                    cand,
                    required,
                    f"Nedjustert forbruk: {lc.reason_nb} Største lån {kr_nb(cand.max_loan)}.",
                    f"Adjusted consumption: {lc.reason_en} Maximum loan {kr_en(cand.max_loan)}.",
                )
            steps.append(step)
            if cand.max_loan > best.max_loan or step.works:
                st, best = trial_st, cand
            if step.works:
                break

    solution = next((s.name for s in steps if s.works), None)
    grant: GrantResult | None = None
    final = best
    if solution is None:
        if best.available_for_startlan_monthly < 0:
            nb = (
                f"Tilskudd: heller ikke et tilskudd kan gjøre kjøpet betjenbart, fordi husstanden mangler "
                f"{kr_nb(-best.available_for_startlan_monthly)} per måned før noe startlån."
            )
            en = (
                f"Grant: not even a grant can make the purchase serviceable, because the household is short by "
                f"{kr_en(-best.available_for_startlan_monthly)} per month before any startlån."
            )
            grant = GrantResult(0, params.grant_form, None, None, 0, False, nb, en)
        else:
            amount = smallest_grant(need_ore, best.max_loan, params)
            loan_with = loan_for_payout(need_ore - amount * 100, params.fees)
            write_years = params.grant_write_down_years if params.grant_form == "write_down" else None
            annual = amount / write_years if write_years else None
            if params.grant_form == "write_down":
                form_nb = f"nedskrives over {write_years} år ({kr_nb(annual or 0)} per år)"
                form_en = f"written down over {write_years} years ({kr_en(annual or 0)} a year)"
            else:
                form_nb = "gis som rente- og avdragsfritt lån som tilbakebetales ved salg"
                form_en = "given as an interest- and instalment-free loan repaid on sale"
            nb = (
                f"Tilskudd (sist): minste tilskudd som gjør kjøpet betjenbart er {kr_nb(amount)}; startlånet blir "
                f"{kr_nb(loan_with)} (utbetalt {kr_nb(payout_ore(loan_with, params.fees) / 100)}). Tilskuddet "
                f"{form_nb}."
            )
            en = (
                f"Grant (last): the smallest grant that makes the purchase serviceable is {kr_en(amount)}; the "
                f"startlån becomes {kr_en(loan_with)} (paid out {kr_en(payout_ore(loan_with, params.fees) / 100)}). "
                f"The grant is {form_en}."
            )
            grant = GrantResult(amount, params.grant_form, write_years, annual, loan_with, True, nb, en)
            solution = "grant"
    for s in steps:
        explanation.append(ExplanationStep(f"step_{s.name}", s.nb, s.en, float(s.max_loan) if s.tried else None))
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
                "conclusion", f"Første løsning som holder: {solution}.", f"First solution that works: {solution}."
            )
        )
    return FinancingPlan(
        need=need,
        required_loan=required,
        steps=tuple(steps),
        solution=solution,
        grant=grant,
        final=final,
        explanation=tuple(explanation),
        parameter_set_id=params.set_id,
        parameter_set_version=params.version,
    )
