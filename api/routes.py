"""All routers of the service, in the order they appear in the OpenAPI document.

The order is also the order a request's path is matched in (FastAPI walks the included routers one after another,
twice per request): the hot underwriting route comes first, ahead of the probes, the pages and the rest."""

from fastapi import APIRouter

from api.cases import router as cases
from api.health import router as health
from api.keys import me_router as me
from api.keys import router as admin_keys
from api.parameter_sets import admin_router as parameter_set_admin
from api.parameter_sets import router as parameter_sets
from api.portfolio import household_router as household_risk
from api.portfolio import portfolios_router as portfolios
from api.portfolio import stress_tests_router as stress_tests
from api.screening import router as screenings
from api.underwriting import affordability_router as affordability
from api.underwriting import calculators_router as calculators
from api.underwriting import financing_plans_router as financing_plans
from api.underwriting import schedules_router as schedules
from api.web import router as web

ALL_ROUTERS: list[APIRouter] = [
    affordability.router,
    health.router,
    me.router,
    web.router,
    schedules.router,
    financing_plans.router,
    calculators.router,
    parameter_sets.router,
    cases.router,
    parameter_set_admin.router,
    admin_keys.router,
    portfolios.router,
    stress_tests.router,
    household_risk.router,
    screenings.router,
]
