"""Stress tests on a real Dask cluster (a ``dask scheduler`` and ``dask worker`` processes on loopback), from the
library, the service (``LOAN_ENGINE_DASK_SCHEDULER``) and the CLI (``--scheduler``): results bit-identical to the
local run, also when a worker is killed mid-run; progress; cancellation while a worker holds a chunk."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.main import create_app
from api.portfolio import stress_tests_service
from api.seed import DEMO_KEYS
from api.settings import Settings
from loan_engine.portfolio.engine import run_stress_test
from loan_engine.portfolio.io import to_csv
from loan_engine.portfolio.scenarios import scenario_from_dict
from loan_engine.portfolio.synthetic import generate_portfolio
from models.api_keys import Role
from tests.jobs.procs import DaskCluster

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

FINANCE = {"X-API-Key": DEMO_KEYS[Role.finance]}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    c = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        with distributed.Client(c.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            from loan_engine.portfolio.distributed import warm_up

            assert all(client.run(warm_up).values())
        yield c
    finally:
        c.stop()


def _same_outputs(a: Any, b: Any) -> None:
    for f in fields(a):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name)), f.name


def test_real_cluster_is_bit_identical_and_survives_a_killed_worker(cluster: DaskCluster) -> None:
    from loan_engine.portfolio.distributed import run_stress_test_dask, warm_up

    portfolio = generate_portfolio(1500, seed=4)
    spec = scenario_from_dict({"preset": "hikes-2022-2023"})
    local = run_stress_test(portfolio, spec, 240, 20, seed=5)
    extra = cluster.add_worker()  # a third worker, killed while the run is under way
    with distributed.Client(cluster.address, timeout=60) as client:
        client.wait_for_workers(3, timeout=120)
        client.run(warm_up)
        seen: list[int] = []

        def progress(done: int, total: int) -> None:
            seen.append(done)
            if 0 < done < total and extra.alive():
                extra.kill9()

        remote = run_stress_test_dask(client, portfolio, spec, 240, 20, seed=5, chunk_size=6, progress=progress)
    # The kill happened mid-run (the callback kills only while 0 < done < total); the result is still exact.
    assert not extra.alive() and seen[0] == 0 and seen[-1] == 240 and seen == sorted(seen)
    _same_outputs(local.outputs, remote.outputs)


@pytest.fixture(scope="module")
def dask_client(cluster: DaskCluster, fresh_database_url: Callable[[str], str]) -> Iterator[TestClient]:
    """The service with LOAN_ENGINE_DASK_SCHEDULER pointing at the cluster (jobs run in this process)."""
    settings = Settings(
        environment="test",
        database_url=fresh_database_url("sqlite"),
        demo_data=True,
        dask_scheduler=cluster.address,
        job_poll_seconds=0.1,
        job_lease_seconds=5,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _wait(client: TestClient, url: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc: dict[str, Any] = client.get(url, headers=FINANCE).json()
        if doc["status"] in ("succeeded", "failed", "cancelled"):
            return doc
        time.sleep(0.1)
    raise AssertionError(f"not finished: {doc}")


class _LocalContext:
    """Enough of a JobContext to run the stress-test handler here, without Dask."""

    dask_scheduler = None

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.artifacts: dict[str, bytes] = {}

    def progress(self, done: int, total: int) -> None:
        pass

    def cancelled(self) -> bool:
        return False

    def save_artifact(self, name: str, media_type: str, data: bytes) -> None:
        self.artifacts[name] = data


def test_service_runs_stress_tests_on_the_cluster(dask_client: TestClient) -> None:
    r = dask_client.post(
        "/v1/portfolios/synthetic", json={"name": "dask-book", "loans": 300, "seed": 3}, headers=FINANCE
    )
    pid = r.json()["id"]
    body = {"portfolio_id": pid, "scenario": {"preset": "crisis-1988-1993"}, "scenarios": 96, "horizon_years": 6}
    r = dask_client.post("/v1/stress-tests", json={**body, "seed": 9}, headers=FINANCE)
    assert r.status_code == 202
    doc = _wait(dask_client, r.headers["location"])
    assert doc["status"] == "succeeded", doc
    assert doc["progress"] == {"scenarios_done": 96, "scenarios_total": 96}
    # The same job run locally (the handler without a scheduler): the same document and the same CSV bytes.
    ctx = _LocalContext(dask_client.app.state.engine)  # type: ignore[attr-defined]
    expected = stress_tests_service.handle(doc["params"], ctx)  # type: ignore[arg-type]
    assert json.loads(json.dumps(expected)) == doc["result"]
    csv = dask_client.get(r.headers["location"] + "/scenario-losses.csv", headers=FINANCE)
    assert csv.content == ctx.artifacts[stress_tests_service.ARTIFACT]


def test_cancel_while_a_dask_worker_holds_a_chunk(dask_client: TestClient, cluster: DaskCluster) -> None:
    r = dask_client.post(
        "/v1/portfolios/synthetic", json={"name": "dask-big", "loans": 3000, "seed": 5}, headers=FINANCE
    )
    pid = r.json()["id"]
    r = dask_client.post(
        "/v1/stress-tests", json={"portfolio_id": pid, "scenarios": 20_000, "horizon_years": 30}, headers=FINANCE
    )
    url = r.headers["location"]
    with distributed.Client(cluster.address, timeout=60) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(client.processing().values()):
            time.sleep(0.1)
        assert any(client.processing().values()), "no chunk reached a worker"
        assert dask_client.delete(url, headers=FINANCE).status_code == 202
        doc = _wait(dask_client, url, timeout=60)
        assert doc["status"] == "cancelled" and doc["progress"]["scenarios_done"] < 20_000
        # The cluster lets go of the job's chunks (queued ones are cancelled; the running one is abandoned).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and client.run_on_scheduler(_queued_chunks):
            time.sleep(0.2)
        assert client.run_on_scheduler(_queued_chunks) == 0


def _queued_chunks(dask_scheduler: Any) -> int:
    return sum(
        1 for ts in dask_scheduler.tasks.values() if str(ts.key).startswith("stress-chunk") and ts.state != "memory"
    )


def test_cli_scheduler_option_gives_the_local_numbers(cluster: DaskCluster, tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text(to_csv(generate_portfolio(200, seed=8)))
    args = ["stress-test", str(path), "--scenarios", "64", "--seed", "3", "--horizon-years", "5", "--json"]
    runner = CliRunner()
    local = runner.invoke(cli_app, args)
    remote = runner.invoke(cli_app, [*args, "--scheduler", cluster.address])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    bad = runner.invoke(cli_app, [*args[:-1], "--scheduler", "tcp://127.0.0.1:1"])
    assert bad.exit_code == 2 and "cannot reach the Dask scheduler" in bad.output
