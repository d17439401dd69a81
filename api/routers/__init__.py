"""All routers of the service, in the order they appear in the OpenAPI document."""

from fastapi import APIRouter

from api.routers import (
    admin_keys,
    affordability,
    cases,
    financing_plans,
    health,
    parameter_set_admin,
    parameter_sets,
    portfolios,
    schedules,
    screenings,
    stress_tests,
    web,
)

ALL_ROUTERS: list[APIRouter] = [
    health.router,
    web.router,
    affordability.router,
    schedules.router,
    financing_plans.router,
    parameter_sets.router,
    cases.router,
    parameter_set_admin.router,
    admin_keys.router,
    portfolios.router,
    stress_tests.router,
    screenings.router,
]
