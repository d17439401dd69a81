"""All routers of the service, in the order they appear in the OpenAPI document.

Each resource module appends its router here.
"""

from fastapi import APIRouter

from api.routers import (
    admin_keys,
    affordability,
    cases,
    financing_plans,
    health,
    parameter_set_admin,
    parameter_sets,
    schedules,
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
]

from api.routers import portfolios, stress_tests  # noqa: E402  (stress tests, issue 4)

ALL_ROUTERS += [portfolios.router, stress_tests.router]

from api.routers import screenings  # noqa: E402  (tenant screening, issue 5)

ALL_ROUTERS += [screenings.router]
