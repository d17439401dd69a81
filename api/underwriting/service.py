"""Underwriting calculations for the API: pick the parameter set, call the domain, shape the answer."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.caching import ParameterSetCatalogue
from api.deps import Principal
from api.parameter_sets import service as parameter_set_service
from api.underwriting import calculators_schemas as calc
from api.underwriting import schemas as uw
from loan_engine.explain import ExplanationStep
from loan_engine.parameters import UnderwritingParameters
from loan_engine.underwriting.affordability import RateType
from loan_engine.underwriting.amortization import RateChange, build_schedule, peak_payment_per_krone
from loan_engine.underwriting.budget import BudgetResult, assess_budget
from loan_engine.underwriting.calculators import debt_service as debt_service_rule
from loan_engine.underwriting.calculators import repayment_period as repayment_period_rule
from loan_engine.underwriting.financing_ladder import FinancingPlan, FinancingPlanRequest, financing_plan


def parameters_for(session: Session, principal: Principal, ref: uw.ParameterSetRef | None) -> UnderwritingParameters:
    """The set named in the request, else the one in force today for the caller's kommune."""
    row = parameter_set_service.resolve(
        session,
        set_id=ref.id if ref else None,
        version=ref.version if ref else None,
        kommune_number=principal.kommune_number,
    )
    return parameter_set_service.underwriting_view(row)


async def cached_parameters_for(
    engine: Engine, catalogue: ParameterSetCatalogue, principal: Principal, ref: uw.ParameterSetRef | None
) -> UnderwritingParameters:
    """As :func:`parameters_for`, from the in-process parameter-set cache (no database work while it is fresh;
    when it is not, the database is asked in the thread pool)."""
    return await parameter_set_service.cached_underwriting_view_async(
        engine,
        catalogue,
        set_id=ref.id if ref else None,
        version=ref.version if ref else None,
        kommune_number=principal.kommune_number,
    )


def budget_result(
    request: uw.AffordabilityRequestIn, params: UnderwritingParameters, kommune_number: str | None = None
) -> BudgetResult:
    """The whole budget (gross incomes, benefits, debts with terms, ...) answered by the affordability rule."""
    return assess_budget(request.to_budget(request.to_domain(), kommune_number), params)


def affordability(
    request: uw.AffordabilityRequestIn, params: UnderwritingParameters, kommune_number: str | None = None
) -> uw.AffordabilityOut:
    return uw.AffordabilityOut.from_budget(budget_result(request, params, kommune_number))


def plan_result(
    request: uw.FinancingPlanRequestIn, params: UnderwritingParameters, kommune_number: str | None = None
) -> FinancingPlan:
    """The financing ladder on the whole budget: incomes after tax, stressed debts, defaults, and the income
    expected later for the interest-only step."""
    domain = request.to_domain()
    budget = assess_budget(request.to_budget(domain.base, kommune_number), params)
    plan = financing_plan(
        FinancingPlanRequest(budget.resolved, domain.adjusted_living_costs_monthly, budget.income_rise), params
    )
    own = {s.code for s in plan.explanation}
    prefix = tuple(
        s for s in budget.affordability.explanation if s.code not in own and s.code not in _AFFORDABILITY_CODES
    )
    return replace(plan, explanation=prefix + plan.explanation) if prefix else plan


_AFFORDABILITY_CODES = {
    "income",
    "other_fixed_costs",
    "existing_debts",
    "housing_costs",
    "disposable",
    "bank_loan",
    "stress_rate",
    "term_over_30",
    "fixed_rate",
    "max_loan",
    "dwelling_cap",
    "fees",
    "result",
    "living_costs_sifo",
    "living_costs_caseworker",
    "living_costs_floor",
}


def plan(
    request: uw.FinancingPlanRequestIn, params: UnderwritingParameters, kommune_number: str | None = None
) -> uw.FinancingPlanOut:
    return uw.FinancingPlanOut.from_domain(plan_result(request, params, kommune_number))


def schedule(request: uw.ScheduleRequestIn) -> uw.ScheduleOut:
    return uw.ScheduleOut.from_domain(build_schedule(request.to_domain()), include_rows=request.include_rows)


def debt_service(
    request: calc.DebtServiceRequestIn, params: UnderwritingParameters, kommune_number: str | None = None
) -> calc.DebtServiceOut:
    """Betjeningsevne in kroner for ``request.loan_amount``: the budget's available amount less the loan's highest
    payment at the stress test (a fixed rate during its fixation, the stress rate after). Termingebyr is already
    among the budget's fixed costs."""
    b = budget_result(request, params, kommune_number)
    res = b.affordability
    months = res.term_years * 12
    changes: tuple[RateChange, ...] = ()
    first = res.stress_rate
    if res.rate_type is RateType.FIXED and res.fixed_rate is not None and res.fixation_years is not None:
        first = res.fixed_rate
        if res.fixation_years * 12 < months:
            changes = (RateChange(res.fixation_years * 12 + 1, res.stress_rate),)
    peak = peak_payment_per_krone(first, months, res.repayment, res.interest_only_years * 12, changes)
    ds = debt_service_rule(
        res.available_for_startlan_monthly,
        request.loan_amount,
        res.stress_rate,
        res.term_years,
        res.repayment,
        res.interest_only_years,
        0.0,
        peak_per_krone=peak,
    )
    steps: tuple[ExplanationStep, ...] = res.explanation + ds.explanation
    return calc.DebtServiceOut(
        loan_amount=ds.loan_amount,
        stress_rate=round(res.stress_rate * 100, 6),
        monthly_payment_at_stress=round(ds.monthly_payment_at_stress, 2),
        available_monthly=round(ds.available_monthly, 2),
        surplus_monthly=round(ds.surplus_monthly, 2),
        serviceable=ds.serviceable,
        max_loan=res.max_loan,
        explanation=uw.ExplanationStepOut.many(steps),
        budget=uw.BudgetOut.from_domain(b),
        parameter_set=uw.ParameterSetUsed(id=res.parameter_set_id, version=res.parameter_set_version),
    )


def repayment_period(request: calc.RepaymentPeriodRequestIn) -> calc.RepaymentPeriodOut:
    r = repayment_period_rule(request.principal, request.annual_rate / 100, request.instalment)
    return calc.RepaymentPeriodOut(
        principal=r.principal,
        annual_rate=request.annual_rate,
        instalment=r.instalment,
        months=r.months,
        years=round(r.years, 4),
        last_payment=round(r.last_payment, 2),
        total_paid=round(r.total_paid, 2),
        total_interest=round(r.total_interest, 2),
        explanation=uw.ExplanationStepOut.many(r.explanation),
    )
