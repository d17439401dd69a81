"""Hot-path throughput over a real uvicorn: ``python -m benchmarks.service [--seconds 8] [--clients 16]``.

Measures ``POST /v1/affordability`` (API key, parameter set in force, the calculation, the answer) beside its
ceiling, a trivial FastAPI POST endpoint with the same body (``benchmarks.trivial_app``) on the same uvicorn,
both in this run, on 127.0.0.1:

1. trivial endpoint, 1 worker;            2. affordability, 1 worker;
3. trivial endpoint, 2 workers;           4. affordability, 2 workers.

The load comes from ``--client-processes`` processes (default 2), each with an asyncio event loop holding its
share of ``--clients`` keep-alive connections, each connection sending one request after another (closed loop).
The default client is a minimal HTTP/1.1 client on asyncio streams over uvloop (≈ 10x less CPU per request than
httpx), so
that on a small machine the client takes as little as possible of the cores the server needs; ``--client httpx``
uses ``httpx.AsyncClient`` instead. The client and the server share the machine's cores: the report prints the
CPU seconds each used during each measurement, so the split is visible (and other load on the machine shows as
wall time that neither used).

Reported, never asserted: requests/s, p50/p95/p99 latency, the ratio to the trivial endpoint (target ≥ 0.35 on one
worker, with p99 < 25 ms at 16 clients) and two workers over one (target ≥ 1.7). Exit code 1 only if requests
failed. SQLite file by default; ``--database-url`` makes a fresh PostgreSQL database next to the given one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.load_test import CASEWORKER_KEY, free_port, household, percentile, prepare_database, stop, wait_ready

REPO_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------------------------


def start_uvicorn(app: str, port: int, workers: int, env_extra: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **env_extra}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its children (uvicorn's workers)."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


# ---------------------------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Target:
    port: int
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    cpu_seconds: float = 0.0


async def _raw_connection(target: Target, deadline: float, out: ClientResult) -> None:
    """One keep-alive HTTP/1.1 connection sending requests back to back (answers read by Content-Length)."""
    head = [f"POST {target.path} HTTP/1.1", f"Host: 127.0.0.1:{target.port}", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in target.headers.items()]
    head.append(f"Content-Length: {len(target.body)}")
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + target.body
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    try:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            writer.write(request)
            answer = await reader.readuntil(b"\r\n\r\n")  # status line and headers in one read
            status = int(answer[9:12])
            lowered = answer.lower()
            at = lowered.find(b"\r\ncontent-length:")
            if at >= 0:
                end = lowered.index(b"\r\n", at + 2)
                await reader.readexactly(int(lowered[at + 17 : end]))
            elif b"\r\ntransfer-encoding: chunked" in lowered:
                while True:
                    size = int((await reader.readline()).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            out.latencies.append(time.perf_counter() - start)
            out.statuses[status] += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        out.errors += 1
    finally:
        writer.close()


async def _httpx_connections(target: Target, connections: int, deadline: float, out: ClientResult) -> None:
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Content-Type": "application/json", **target.headers}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{target.port}", limits=limits, timeout=30) as client:

        async def one() -> None:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    r = await client.post(target.path, content=target.body, headers=headers)
                except httpx.HTTPError:
                    out.errors += 1
                    continue
                out.latencies.append(time.perf_counter() - start)
                out.statuses[r.status_code] += 1

        await asyncio.gather(*(one() for _ in range(connections)))


def _client_process(target: Target, connections: int, start_at: float, seconds: float, kind: str) -> ClientResult:
    out = ClientResult()
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    deadline = time.monotonic() + seconds
    cpu0 = time.process_time()

    async def run() -> None:
        if kind == "httpx":
            await _httpx_connections(target, connections, deadline, out)
        else:
            await asyncio.gather(*(_raw_connection(target, deadline, out) for _ in range(connections)))

    try:  # uvloop (installed with uvicorn[standard], as the server uses it): less client CPU per request
        import uvloop
    except ImportError:
        asyncio.run(run())
    else:
        uvloop.run(run())
    out.cpu_seconds = time.process_time() - cpu0
    return out


@dataclass
class Measurement:
    name: str
    workers: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    errors: int
    server_cpu: float
    client_cpu: float

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return self.errors + sum(c for s, c in self.statuses.items() if s != 200)


def drive(
    target: Target, server_pid: int, clients: int, processes: int, seconds: float, kind: str
) -> tuple[list[float], Counter[int], int, float, float, float]:
    processes = max(1, min(processes, clients))
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    ctx = multiprocessing.get_context("fork")
    start_at = time.time() + 0.5
    with ctx.Pool(processes) as pool:
        pending = [pool.apply_async(_client_process, (target, n, start_at, seconds, kind)) for n in shares]
        time.sleep(max(0.0, start_at - time.time()))
        cpu0 = tree_cpu_seconds(server_pid)
        wall0 = time.perf_counter()
        results = [p.get(timeout=seconds + 120) for p in pending]
        wall = time.perf_counter() - wall0
        cpu1 = tree_cpu_seconds(server_pid)
    latencies = [v for r in results for v in r.latencies]
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r.statuses)
    errors = sum(r.errors for r in results)
    return latencies, statuses, errors, cpu1 - cpu0, sum(r.cpu_seconds for r in results), wall


def measure(name: str, workers: int, target: Target, pid: int, args: argparse.Namespace, seconds: float) -> Measurement:
    drive(target, pid, args.clients, args.client_processes, min(2.0, seconds), args.client)  # warm-up
    latencies, statuses, errors, server_cpu, client_cpu, wall = drive(
        target, pid, args.clients, args.client_processes, seconds, args.client
    )
    return Measurement(name, workers, min(wall, seconds + 1.0), latencies, statuses, errors, server_cpu, client_cpu)


# ---------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------


def report(results: list[Measurement], args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\n{args.clients} clients in {args.client_processes} client process(es) ({args.client} client), "
        f"{cores} cores shared by client and server (and whatever else runs on the machine)"
    )
    print(
        f"  {'scenario':<30}{'req/s':>9}{'vs ceiling':>11}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'failed':>7}"
        f"{'srv CPU s':>10}{'cli CPU s':>10}{'srv ms/req':>11}{'cli ms/req':>11}"
    )
    ceilings = {m.workers: m.rps for m in results if m.name.startswith("trivial")}
    for m in results:
        ceiling = ceilings.get(m.workers)
        ratio = f"{m.rps / ceiling:.2f}" if ceiling and not m.name.startswith("trivial") else "1.00"
        n = max(1, len(m.latencies))
        print(
            f"  {m.name:<30}{m.rps:>9.0f}{ratio:>11}{percentile(m.latencies, 50) * 1e3:>8.1f}"
            f"{percentile(m.latencies, 95) * 1e3:>8.1f}{percentile(m.latencies, 99) * 1e3:>8.1f}{m.failed:>7}"
            f"{m.server_cpu:>10.1f}{m.client_cpu:>10.1f}{m.server_cpu / n * 1e3:>11.2f}{m.client_cpu / n * 1e3:>11.2f}"
        )
        odd = {s: c for s, c in m.statuses.items() if s != 200}
        if odd:
            print(f"    unexpected statuses: {odd}")
    by = {(m.name.split(",")[0], m.workers): m for m in results}
    one, two = by.get(("affordability", 1)), by.get(("affordability", 2))
    if one and ceilings.get(1):
        print(
            f"\n  affordability / trivial, 1 worker: {one.rps / ceilings[1]:.2f}   (target ≥ 0.35)"
            f"\n  affordability p99, 1 worker:      {percentile(one.latencies, 99) * 1e3:.1f} ms   (target < 25 ms at 16 clients)"
        )
        cpu_one = one.server_cpu / max(1, len(one.latencies))
        trivial = by[("trivial", 1)]
        cpu_trivial = trivial.server_cpu / max(1, len(trivial.latencies))
        print(
            f"  server CPU per request, 1 worker: affordability {cpu_one * 1e3:.2f} ms, trivial {cpu_trivial * 1e3:.2f} ms"
            f" -> ratio by CPU {cpu_trivial / cpu_one if cpu_one else float('nan'):.2f} (what the throughput ratio is"
            " when neither the client nor other load takes the server's core)"
        )
    if one and two:
        print(f"  affordability 2 workers / 1 worker: {two.rps / one.rps:.2f}   (target ≥ 1.7)")
    if one:
        busy = (one.server_cpu + one.client_cpu) / one.seconds
        print(
            f"  during affordability (1 worker): server {one.server_cpu / one.seconds:.2f} cores, "
            f"client {one.client_cpu / one.seconds:.2f} cores, of {cores}; total {busy:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=8.0, help="Measurement per scenario (default 8).")
    parser.add_argument("--clients", type=int, default=16, help="Concurrent connections (default 16).")
    parser.add_argument("--client-processes", type=int, default=2, help="Load-generating processes (default 2).")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw", help="HTTP client (default raw).")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a fresh SQLite file).")
    parser.add_argument("--quick", action="store_true", help="3 seconds per scenario.")
    args = parser.parse_args(argv)
    seconds = min(3.0 if args.quick else args.seconds, 120.0)
    args.clients = max(1, min(args.clients, 256))

    body = json.dumps(household()).encode()
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="loan_engine_service_bench_") as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.database_url, workdir)
        service_env = {
            "DATABASE_URL": url,
            "LOAN_ENGINE_ENVIRONMENT": "test",
            "LOAN_ENGINE_DEMO_DATA": "true",
            "LOAN_ENGINE_AUTO_MIGRATE": "true",
            "PROMETHEUS_MULTIPROC_DIR": "",  # set per run below when there are several workers
        }
        try:
            for workers in (1, 2):
                for name, app, path, headers in (
                    ("trivial", "benchmarks.trivial_app:app", "/echo", {}),
                    ("affordability", "api.main:app", "/v1/affordability", {"X-API-Key": CASEWORKER_KEY}),
                ):
                    env = dict(service_env)
                    if workers > 1 and name == "affordability":
                        metrics_dir = workdir / "prometheus"
                        metrics_dir.mkdir(exist_ok=True)
                        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
                    else:
                        env.pop("PROMETHEUS_MULTIPROC_DIR")
                    port = free_port()
                    proc = start_uvicorn(app, port, workers, env, workdir / f"{name}-{workers}.log")
                    try:
                        wait_ready(port, proc)
                        target = Target(port, path, body, headers)
                        m = measure(f"{name}, {workers} worker(s)", workers, target, proc.pid, args, seconds)
                        results.append(m)
                        print(f"  {m.name}: {m.rps:.0f} req/s", flush=True)
                    finally:
                        stop(proc)
        finally:
            drop()
    report(results, args)
    return 0 if all(m.failed == 0 for m in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
