"""The same job on a Dask LocalCluster gives bit-identical results to the local run."""

from dataclasses import fields

import numpy as np
import pytest

from loan_engine.portfolio.engine import run_stress_test
from loan_engine.portfolio.scenarios import scenario_from_dict

distributed = pytest.importorskip("distributed")


@pytest.mark.parametrize("processes", [False, True])
def test_dask_local_cluster_matches_local_run(small_portfolio, processes):
    from distributed import Client, LocalCluster

    from loan_engine.portfolio.distributed import run_stress_test_dask, warm_up

    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    local = run_stress_test(small_portfolio, spec, 60, 8, seed=21)
    seen = []
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        assert all(client.run(warm_up).values())
        remote = run_stress_test_dask(
            client, small_portfolio, spec, 60, 8, seed=21, chunk_size=7, progress=lambda d, t: seen.append(d)
        )
    assert seen[-1] == 60
    for f in fields(local.outputs):
        assert np.array_equal(getattr(local.outputs, f.name), getattr(remote.outputs, f.name)), f.name


def test_dask_risk_contributions_match_local_run(small_portfolio):
    """Chunks finish in any order; the contributions (EL and ES 99 % by loan and segment) are the local run's."""
    from distributed import Client, LocalCluster

    from loan_engine.portfolio.distributed import run_stress_test_dask

    spec = scenario_from_dict({"preset": "hikes-2022-2023"})
    local = run_stress_test(small_portfolio, spec, 120, 6, seed=5, contributions=True)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        remote = run_stress_test_dask(client, small_portfolio, spec, 120, 6, seed=5, chunk_size=11, contributions=True)
    assert local.contributions is not None
    assert remote.contributions == local.contributions
    for f in fields(local.outputs):
        assert np.array_equal(getattr(local.outputs, f.name), getattr(remote.outputs, f.name)), f.name
