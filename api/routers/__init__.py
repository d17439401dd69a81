"""All routers of the service, in the order they appear in the OpenAPI document.

Each resource module appends its router here.
"""

from fastapi import APIRouter

from api.routers import health, web

ALL_ROUTERS: list[APIRouter] = [
    health.router,
    web.router,
]
