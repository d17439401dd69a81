"""Underwriting throughput, each figure beside a baseline measured in the same run.

``python -m benchmarks.underwriting [--quick]`` prints

1. ``POST /v1/affordability`` requests per second through the ASGI app (FastAPI TestClient, in-process, with
   authentication, parameter-set lookup, validation and serialisation) beside the same calculation called on the
   domain directly in plain Python (``assess_affordability``), and the ratio;
2. maximum-loan computations per second with ``loan_engine.underwriting.rules.max_principal`` (NumPy) over one
   million households beside a plain-Python loop calling the same rule one household at a time (through
   ``loan_engine.underwriting.amortization.max_principal``), and the ratio.

Timings are reported, never asserted. Bounded runtime (well under 60 s; ``--quick`` shortens every phase).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from api.underwriting.schemas import AffordabilityRequestIn
from loan_engine.parameters import default_underwriting_parameters
from loan_engine.underwriting.affordability import assess_affordability
from loan_engine.underwriting.amortization import max_principal
from loan_engine.underwriting.rules import max_loan
from loan_engine.underwriting.rules import max_principal as max_principal_array

REQUEST: dict[str, Any] = {
    "household": {
        "members": [
            {"age": 40, "sex": "male"},
            {"age": 38, "sex": "female"},
            {"age": 5, "sex": "male"},
            {"age": 11, "sex": "female"},
        ],
        "car": "petrol",
        "children_in_barnehage": 1,
    },
    "income": {"net_monthly": 75_000},
    "housing_costs_monthly": {
        "felleskostnader": 3_000,
        "electricity": 1_500,
        "insurance": 300,
        "municipal_fees": 800,
        "maintenance": 500,
    },
    "existing_debts": [{"balance": 100_000, "monthly_payment": 2_000}],
    "loan": {"rate_type": "floating", "term_years": 30, "repayment": "annuity"},
}


def rate(fn: Callable[[], object], seconds: float, batch: int = 1) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after one warm-up call)."""
    fn()
    n = 0
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def bench_http(seconds: float) -> tuple[float, float]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.seed import DEMO_KEYS
    from api.settings import Settings
    from models.api_keys import Role

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            environment="test", database_url=f"sqlite:///{Path(tmp) / 'bench.db'}", demo_data=True, auto_migrate=True
        )
        with TestClient(create_app(settings)) as client:
            headers = {"X-API-Key": DEMO_KEYS[Role.caseworker]}

            def call() -> object:
                response = client.post("/v1/affordability", json=REQUEST, headers=headers)
                assert response.status_code == 200, response.text
                return response

            http_rate = rate(call, seconds)
    params = default_underwriting_parameters()

    def direct() -> object:
        return assess_affordability(AffordabilityRequestIn.model_validate(REQUEST).to_domain(), params)

    domain_rate = rate(direct, seconds, batch=20)
    return http_rate, domain_rate


def max_loan_vectorised(
    amount: np.ndarray, stress: np.ndarray, term: np.ndarray, io: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    return max_loan(max_principal_array(amount, stress, term, serial, io))


def bench_vectorised(n: int, loop_seconds: float) -> tuple[float, float, float]:
    rng = np.random.default_rng(1)
    amount = rng.uniform(-5_000, 40_000, n)
    stress = rng.uniform(0.03, 0.09, n)
    term = rng.choice([240, 300, 360, 600], n)
    io = rng.choice([0, 0, 0, 12, 60], n)
    serial = rng.random(n) < 0.2
    max_loan_vectorised(amount[:1000], stress[:1000], term[:1000], io[:1000], serial[:1000])  # warm-up
    reps = 0
    start = time.perf_counter()
    while True:
        out = max_loan_vectorised(amount, stress, term, io, serial)
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= loop_seconds:
            break
    vector_rate = reps * n / elapsed

    a_list, r_list = amount.tolist(), stress.tolist()
    t_list, io_list, s_list = term.tolist(), io.tolist(), serial.tolist()
    count = 0
    start = time.perf_counter()
    checked = 0
    while True:
        k = count % n
        p = max_principal(a_list[k], r_list[k], t_list[k], "serial" if s_list[k] else "annuity", io_list[k])
        value = max(0, math.floor(p + 1e-7))
        if count < 1000:  # the two paths agree (first pass only)
            checked += value == out[k]
        count += 1
        if count % 2000 == 0 and time.perf_counter() - start >= loop_seconds:
            break
    loop_rate = count / (time.perf_counter() - start)
    return vector_rate, loop_rate, checked / min(count, 1000)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    seconds = 1.0 if quick else 4.0
    n = 200_000 if quick else 1_000_000
    print("underwriting benchmark" + (" (quick)" if quick else ""), flush=True)

    http_rate, domain_rate = bench_http(seconds)
    print(f"  POST /v1/affordability via ASGI app : {http_rate:10,.0f} requests/s")
    print(f"  domain directly (plain Python)      : {domain_rate:10,.0f} calculations/s")
    print(
        f"  ratio domain / HTTP                 : {domain_rate / http_rate:10.1f} x  "
        f"(HTTP overhead per request ≈ {1e3 / http_rate - 1e3 / domain_rate:.2f} ms)"
    )

    vector_rate, loop_rate, agree = bench_vectorised(n, seconds)
    print(f"  vectorised max loan (NumPy, n={n:,}) : {vector_rate:13,.0f} households/s")
    print(f"  plain-Python loop (max_principal)   : {loop_rate:13,.0f} households/s")
    print(
        f"  ratio vectorised / loop             : {vector_rate / loop_rate:13.1f} x  "
        f"(paths agree on {agree:.0%} of the first 1 000)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
