"""Load test with the database in the loop: ``python -m benchmarks.load_test [--seconds 10] [--database-url URL]``.

Starts a real uvicorn (one worker) on 127.0.0.1 on a free port against a fresh SQLite file (or a fresh database
created next to the given PostgreSQL URL, dropped afterwards), then drives it for a bounded time with a bounded
number of concurrent clients:

* ``POST /v1/cases`` (each with its own ``Idempotency-Key``; a request that fails at the transport level is
  retried once with the same key, as a real client would);
* ``POST /v1/affordability``.

Afterwards every acknowledged case is read back (``GET /v1/cases/{id}``) and the whole list is paged through.
Reported: requests per second and p50/p95/p99 latency per endpoint, beside a baseline (``GET /healthz``, no
database) measured in the same run; failed requests; **lost writes** (acknowledged cases that cannot be read
back, or differ from what was sent) and **duplicate writes** (more cases stored than acknowledged). Both must be
zero; the exit code is 1 otherwise. Loopback only; nothing is asserted about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
CASEWORKER_KEY = "le_demo-caseworker-0301-secret"  # demo key, seeded in test/development mode only
HEADERS = {"X-API-Key": CASEWORKER_KEY}


def household() -> dict[str, Any]:
    """A typical applicant household: two adults and two children buying a borettslag flat."""
    return {
        "household": {
            "members": [
                {"age": 34, "sex": "female"},
                {"age": 36, "sex": "male"},
                {"age": 7, "sex": "female"},
                {"age": 3, "sex": "male"},
            ],
            "children_in_barnehage": 1,
            "children_in_sfo": 1,
        },
        "income": {"net_monthly": 54_000},
        "housing_costs_monthly": {"felleskostnader": 4_200, "electricity": 1_200, "insurance": 300},
        "existing_debts": [{"balance": 120_000, "monthly_payment": 1_900, "description": "car loan"}],
        "dwelling": {"price": 2_900_000, "fellesgjeld": 400_000, "costs": 30_000, "equity": 50_000},
    }


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> the 201 answer
    retries: int = 0

    def add(self, name: str, seconds: float, status: int | None) -> None:
        self.latencies[name].append(seconds)
        self.statuses[name][status or 0] += 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


# ---------------------------------------------------------------------------------------------------------------
# Database and server
# ---------------------------------------------------------------------------------------------------------------


def prepare_database(url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    if not url:
        return f"sqlite:///{workdir / 'load_test.db'}", lambda: None
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from api.settings import normalise_database_url

    base = make_url(normalise_database_url(url))
    name = f"loan_engine_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOAN_ENGINE_ENVIRONMENT": "test",
        "LOAN_ENGINE_DEMO_DATA": "true",
        "LOAN_ENGINE_AUTO_MIGRATE": "true",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until the uvicorn on ``port`` answers /readyz with 200 (its schema at head), or fail if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with code {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server (and its workers), killing it if it does not stop within 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ---------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------


async def create_case(client: httpx.AsyncClient, stats: Stats, n: int) -> None:
    body = {"reference": f"load/{n}", "application": {"purpose": "purchase", "affordability": household()}}
    key = uuid.uuid4().hex
    for attempt in range(2):
        start = time.perf_counter()
        try:
            r = await client.post("/v1/cases", json=body, headers={**HEADERS, "Idempotency-Key": key})
        except httpx.HTTPError:
            stats.add("POST /v1/cases", time.perf_counter() - start, None)
            if attempt == 0:
                stats.retries += 1
                continue
            stats.failures["POST /v1/cases"] += 1
            return
        stats.add("POST /v1/cases", time.perf_counter() - start, r.status_code)
        if r.status_code == 201:
            answer = r.json()
            if answer["reference"] == body["reference"]:
                stats.acknowledged[answer["id"]] = answer
            else:
                stats.failures["POST /v1/cases"] += 1  # an answer for another request: never acceptable
        else:
            stats.failures["POST /v1/cases"] += 1
        return


async def affordability(client: httpx.AsyncClient, stats: Stats) -> None:
    start = time.perf_counter()
    try:
        r = await client.post("/v1/affordability", json=household(), headers=HEADERS)
    except httpx.HTTPError:
        stats.add("POST /v1/affordability", time.perf_counter() - start, None)
        stats.failures["POST /v1/affordability"] += 1
        return
    stats.add("POST /v1/affordability", time.perf_counter() - start, r.status_code)
    if r.status_code != 200:
        stats.failures["POST /v1/affordability"] += 1


async def healthz(client: httpx.AsyncClient, stats: Stats) -> None:
    start = time.perf_counter()
    try:
        r = await client.get("/healthz")
        stats.add("GET /healthz (baseline)", time.perf_counter() - start, r.status_code)
    except httpx.HTTPError:
        stats.failures["GET /healthz (baseline)"] += 1


async def drive(base: str, seconds: float, concurrency: int, mix: str, stats: Stats) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counter = iter(range(10**9))
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        deadline = time.monotonic() + seconds

        async def worker(w: int) -> None:
            k = w
            while time.monotonic() < deadline:
                if mix == "baseline":
                    await healthz(client, stats)
                elif k % 2 == 0:
                    await create_case(client, stats, next(counter))
                else:
                    await affordability(client, stats)
                k += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return time.perf_counter() - start


async def stored_case_ids(client: httpx.AsyncClient) -> set[str]:
    """Every case id the service lists (paging through the whole list)."""
    stored: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/v1/cases", params=params, headers=HEADERS)
        r.raise_for_status()
        page = r.json()
        stored.update(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return stored


async def existing_cases(base: str) -> set[str]:
    """The cases stored before the load (the demo data's), which the duplicate count must not include."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await stored_case_ids(client)


async def verify(base: str, acknowledged: dict[str, dict[str, Any]], before: set[str]) -> tuple[int, int, int]:
    """(lost, duplicates, stored by the load): read every acknowledged case back, then page through the whole
    list; a stored case that was neither acknowledged nor there before the load is a duplicate write."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        sem = asyncio.Semaphore(8)

        async def check(case_id: str, acked: dict[str, Any]) -> bool:
            async with sem:
                r = await client.get(f"/v1/cases/{case_id}", headers=HEADERS)
            if r.status_code != 200:
                return False
            got = r.json()
            return bool(got["reference"] == acked["reference"] and got["application"] == acked["application"])

        results = await asyncio.gather(*(check(i, b) for i, b in acknowledged.items()))
        lost = sum(1 for ok in results if not ok)
        stored = await stored_case_ids(client) - before
    duplicates = len(stored - set(acknowledged))
    return lost, duplicates, len(stored)


def report(title: str, stats: Stats, elapsed: float, baseline_rps: float | None) -> None:
    print(f"\n{title}  ({elapsed:.1f} s)")
    print(
        f"  {'endpoint':<26}{'requests':>9}{'req/s':>9}{'vs base':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'failed':>8}"
    )
    for name, values in sorted(stats.latencies.items()):
        rps = len(values) / elapsed if elapsed else 0.0
        ratio = f"{rps / baseline_rps:.2f}" if baseline_rps else "1.00"
        print(
            f"  {name:<26}{len(values):>9}{rps:>9.1f}{ratio:>9}{percentile(values, 50) * 1e3:>9.1f}"
            f"{percentile(values, 95) * 1e3:>9.1f}{percentile(values, 99) * 1e3:>9.1f}{stats.failures[name]:>8}"
        )
        odd = {s: c for s, c in stats.statuses[name].items() if s not in (200, 201)}
        if odd:
            print(f"    unexpected statuses: {dict(odd)}")
    if stats.latencies:
        everything = [v for vs in stats.latencies.values() for v in vs]
        print(
            f"  {'all':<26}{len(everything):>9}{len(everything) / elapsed:>9.1f}"
            f"{'':>9}{statistics.median(everything) * 1e3:>9.1f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of the mixed load (default 10).")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients (default 8, max 64).")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL (a fresh database is created next "
        "to it and dropped afterwards). Default: a fresh SQLite file.",
    )
    parser.add_argument("--quick", action="store_true", help="3 seconds of load.")
    args = parser.parse_args(argv)
    seconds = min(3.0 if args.quick else args.seconds, 300.0)
    concurrency = max(1, min(args.concurrency, 64))

    with tempfile.TemporaryDirectory(prefix="loan_engine_load_") as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.database_url, workdir)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(url, port, workdir / "uvicorn.log")
        backend = "postgresql" if url.startswith("postgres") else "sqlite"
        try:
            wait_ready(port, proc, timeout=90.0)
            print(f"load test: uvicorn (1 worker) on {base}, {backend}, {concurrency} clients, {seconds:.0f} s")
            before = asyncio.run(existing_cases(base))
            # warm up (parameter-set caches, connection pool, numba) and measure the no-database baseline
            warm = Stats()
            asyncio.run(drive(base, min(2.0, seconds), concurrency, "mixed", warm))
            baseline = Stats()
            base_elapsed = asyncio.run(drive(base, min(3.0, seconds), concurrency, "baseline", baseline))
            baseline_rps = len(baseline.latencies["GET /healthz (baseline)"]) / base_elapsed
            report("baseline: GET /healthz (no database)", baseline, base_elapsed, None)

            stats = Stats()
            elapsed = asyncio.run(drive(base, seconds, concurrency, "mixed", stats))
            report("mixed load: case creation + affordability", stats, elapsed, baseline_rps)
            lost, duplicates, stored = asyncio.run(verify(base, {**warm.acknowledged, **stats.acknowledged}, before))
        finally:
            stop(proc)
            drop()
        failed = sum(stats.failures.values()) + sum(warm.failures.values())
        print(
            f"\n  acknowledged cases: {len(stats.acknowledged)} (+{len(warm.acknowledged)} in warm-up); "
            f"stored: {stored}; "
            f"transport retries: {stats.retries}"
        )
        print(f"  failed requests: {failed}   lost writes: {lost}   duplicate writes: {duplicates}")
        return 0 if failed == 0 and lost == 0 and duplicates == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
