"""The OpenAPI document's stable parts: operationIds, tags and request examples, in one table each.

* ``OPERATION_IDS`` names every operation explicitly (snake_case), keyed by method and path, so that renaming a
  Python function never changes a client's method name. A route missing from the table gets a derived id and fails
  ``tests/api/test_openapi.py``.
* ``TAGS`` declares every tag with a description (and the order in the docs).
* ``EXAMPLES`` attaches the request bodies of ``examples/*.json`` (the README's examples) to their operations.
* ``finish`` moves the Problem schema of error answers under ``application/problem+json`` — the only media type the
  service sends errors in — and removes the ``application/json`` variant FastAPI adds by default.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

OPERATION_IDS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "get_liveness",
    ("GET", "/readyz"): "get_readiness",
    ("GET", "/v1/me"): "get_current_key",
    ("POST", "/v1/affordability"): "calculate_affordability",
    ("POST", "/v1/schedules"): "calculate_schedule",
    ("POST", "/v1/financing-plans"): "calculate_financing_plan",
    ("POST", "/v1/debt-service"): "calculate_debt_service",
    ("POST", "/v1/repayment-period"): "calculate_repayment_period",
    ("GET", "/v1/parameter-sets"): "list_parameter_sets",
    ("POST", "/v1/parameter-sets"): "load_parameter_set",
    ("GET", "/v1/parameter-sets/{set_id}"): "get_parameter_set",
    ("POST", "/v1/cases"): "create_case",
    ("GET", "/v1/cases"): "list_cases",
    ("GET", "/v1/cases/{case_id}"): "get_case",
    ("POST", "/v1/cases/{case_id}/assessments"): "assess_case",
    ("GET", "/v1/cases/{case_id}/calculations/{calculation_id}/recompute"): "recompute_calculation",
    ("POST", "/v1/cases/{case_id}/decision"): "decide_case",
    ("POST", "/v1/cases/{case_id}/appeal"): "appeal_case",
    ("POST", "/v1/cases/{case_id}/payout"): "pay_out_case",
    ("GET", "/v1/cases/{case_id}/audit"): "get_case_audit",
    ("GET", "/v1/admin/keys"): "list_api_keys",
    ("POST", "/v1/admin/keys"): "create_api_key",
    ("POST", "/v1/admin/keys/{key_id}/revoke"): "revoke_api_key",
    ("GET", "/v1/portfolios"): "list_portfolios",
    ("POST", "/v1/portfolios"): "import_portfolio",
    ("POST", "/v1/portfolios/upload"): "upload_portfolio",
    ("POST", "/v1/portfolios/synthetic"): "create_synthetic_portfolio",
    ("GET", "/v1/portfolios/{portfolio_id}"): "get_portfolio",
    ("GET", "/v1/stress-tests/assumptions"): "list_stress_test_assumptions",
    ("POST", "/v1/stress-tests"): "submit_stress_test",
    ("GET", "/v1/stress-tests/{job_id}"): "get_stress_test",
    ("DELETE", "/v1/stress-tests/{job_id}"): "delete_stress_test",
    ("POST", "/v1/stress-tests/{job_id}/cancel"): "cancel_stress_test",
    ("GET", "/v1/stress-tests/{job_id}/scenario-losses.csv"): "get_stress_test_scenario_losses_csv",
    ("GET", "/v1/stress-tests/{job_id}/results.xlsx"): "get_stress_test_results_xlsx",
    ("GET", "/v1/stress-tests/{job_id}/segments.csv"): "get_stress_test_segments_csv",
    ("POST", "/v1/household-risk"): "calculate_household_risk",
    ("POST", "/v1/screenings"): "submit_screening",
    ("GET", "/v1/screenings/{job_id}"): "get_screening",
    ("DELETE", "/v1/screenings/{job_id}"): "delete_screening",
    ("GET", "/v1/screenings/{job_id}/summary"): "get_screening_summary",
    ("GET", "/v1/screenings/{job_id}/summary.csv"): "get_screening_summary_csv",
    ("GET", "/v1/screenings/{job_id}/summary.xlsx"): "get_screening_summary_xlsx",
    ("GET", "/v1/screenings/{job_id}/results.csv"): "get_screening_results_csv",
    ("GET", "/v1/screenings/{job_id}/results.json"): "get_screening_results_json",
    ("GET", "/v1/screenings/{job_id}/results.xlsx"): "get_screening_results_xlsx",
    ("GET", "/metrics"): "get_metrics",
}

TAGS: list[dict[str, str]] = [
    {"name": "health", "description": "Liveness and readiness (database reachable, schema at the expected revision)."},
    {
        "name": "underwriting",
        "description": "Debt-service capacity (betjeningsevne), maximum startlån, payment schedules and the "
        "financing ladder with the smallest grant (etableringstilskudd). Stateless; nothing is stored.",
    },
    {
        "name": "parameter-sets",
        "description": "The versioned policy and statutory values every calculation uses, each with its source "
        "and status. Stored versions are never changed; admins load new ones.",
    },
    {
        "name": "cases",
        "description": "Startlån cases: application, assessments (stored calculations), decision (with advice "
        "against when the calculation says so), appeal or payout, and the audit trail.",
    },
    {"name": "access", "description": "Who the calling API key is (role, kommune, label)."},
    {"name": "admin", "description": "API keys (admin only; a secret is shown once)."},
    {
        "name": "portfolios",
        "description": "The kommune's loan book: JSON import, CSV/JSON upload or synthetic generation. Answers "
        "carry aggregates only.",
    },
    {
        "name": "stress-tests",
        "description": "Monte Carlo stress tests of a stored portfolio under rate, house-price and income shocks, "
        "run as stored background jobs (202 + Location), with the model's assumptions.",
    },
    {
        "name": "screenings",
        "description": "Batch screening of the kommune's tenant register for ownership potential (leie til eie).",
    },
    {"name": "observability", "description": "Metrics for monitoring."},
]

# Operation id -> (file in examples/, summary of the example).
EXAMPLES: dict[str, tuple[str, str]] = {
    "calculate_affordability": ("affordability.json", "A couple with one child buying a flat"),
    "calculate_schedule": ("schedule.json", "An annuity loan over 30 years"),
    "calculate_financing_plan": ("financing-plan.json", "A household that needs a grant"),
    "calculate_debt_service": ("debt-service.json", "A single parent's gross wage, barnetrygd and a car loan"),
    "calculate_repayment_period": ("repayment-period.json", "How long 6 000 kr a month takes to repay 1 million"),
    "create_case": ("case.json", "A purchase application"),
    "decide_case": ("decision.json", "A granted loan"),
    "appeal_case": ("appeal.json", "An appeal against the decision"),
    "pay_out_case": ("payout.json", "Payout of a granted loan"),
    "load_parameter_set": ("my-parameter-set.json", "A new version of the national parameter set"),
    "import_portfolio": ("portfolio.json", "A small loan book as JSON"),
    "create_synthetic_portfolio": ("synthetic-portfolio.json", "Invented loans for trying things out"),
}


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def operation_id(route: APIRoute) -> str:
    """The route's operationId from ``OPERATION_IDS``; an unlisted route gets a derived one (and fails a test)."""
    method = sorted(route.methods)[0] if route.methods else "GET"
    listed = OPERATION_IDS.get((method, route.path_format))
    return listed or _snake(f"{method}_{route.path_format}")


def load_example(name: str) -> Any | None:
    path = EXAMPLES_DIR / name
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """Problem answers under application/problem+json only; examples attached to their operations."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, answer in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5") and answer.get("content"):
                    # Every error answer is a Problem (request validation included: api/problems.py turns it
                    # into one), sent as application/problem+json.
                    answer["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
            example = EXAMPLES.get(operation.get("operationId", ""))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if example and body is not None:
                value = load_example(example[0])
                if value is not None:
                    body["examples"] = {example[0].removesuffix(".json"): {"summary": example[1], "value": value}}
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and f'"#/components/schemas/{unused}"' not in json.dumps(schema["paths"]):
            del components[unused]
    return schema


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` by one that declares the tags and applies ``finish`` (computed once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
            )
            app.openapi_schema = finish(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
