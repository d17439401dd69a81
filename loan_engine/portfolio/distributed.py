"""The same stress test on a Dask distributed cluster: scenario chunks as tasks.

Each task simulates a block of *global* scenario indices with the Numba kernel (the kernel module is imported on
the worker — functions are pickled by reference, so the Numba on-disk cache is used — and the portfolio arrays are
scattered once to every worker). Because every per-scenario result depends only on (seed, global scenario index),
the assembled outputs are bit-identical to a local run, whatever the number of workers, their threads or the
chunk size. Use chunks of ≥ 10⁷ loan-months so that the scheduler's ~1 ms per task is negligible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from loan_engine.portfolio.engine import (
    Cancelled,
    KernelInputs,
    ScenarioOutputs,
    StressTestRun,
    block_size_for,
    check_limits,
    prepare,
    simulate_range,
    simulate_range_loans,
)
from loan_engine.portfolio.loans import Portfolio
from loan_engine.portfolio.scenarios import ScenarioSpec


def simulate_chunk(
    inputs: KernelInputs, spec: ScenarioSpec, seed: int, s0: int, n_scen: int, horizon_months: int
) -> tuple[int, ScenarioOutputs]:
    """Task body (runs on a worker)."""
    return s0, simulate_range(inputs, spec, seed, s0, n_scen, horizon_months)


def simulate_chunk_loans(
    inputs: KernelInputs, spec: ScenarioSpec, seed: int, s0: int, n_scen: int, horizon_months: int
) -> tuple[int, ScenarioOutputs, Any]:
    """Task body with each loan's loss per scenario (for the risk contributions)."""
    part, loan_loss = simulate_range_loans(inputs, spec, seed, s0, n_scen, horizon_months, record_loans=True)
    return s0, part, loan_loss


def warm_up() -> bool:
    """Load the compiled kernel on a worker (``client.run(warm_up)``) before the first real task."""
    from loan_engine.portfolio.synthetic import generate_portfolio

    p = generate_portfolio(4, seed=0)
    spec = ScenarioSpec()
    simulate_range(prepare(p, spec.assumptions), spec, 0, 0, 2, 12)
    return True


def run_stress_test_dask(
    client: Any,
    portfolio: Portfolio,
    spec: ScenarioSpec,
    n_scenarios: int,
    horizon_years: int,
    seed: int,
    *,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    poll_seconds: float = 0.05,
    contributions: bool = False,
    es_level: float = 0.99,
) -> StressTestRun:
    """Run on ``client`` (a ``distributed.Client``); results identical to ``engine.run_stress_test``.

    ``cancelled`` is asked every ``poll_seconds`` while chunks run: when it answers True the chunks still queued
    or running are cancelled on the cluster and :class:`Cancelled` is raised. ``contributions`` as in
    ``engine.run_stress_test``: chunks also return each loan's losses, fed to the accumulator in scenario order.
    """
    from loan_engine.portfolio import contributions as contrib

    check_limits(portfolio.n_loans, n_scenarios, horizon_years, seed)
    months = horizon_years * 12
    inputs = prepare(portfolio, spec.assumptions)
    size = chunk_size or block_size_for(portfolio.n_loans, months, n_scenarios)
    [inputs_f] = client.scatter([inputs], broadcast=True)
    [spec_f] = client.scatter([spec], broadcast=True)
    starts = list(range(0, n_scenarios, size))
    futures = [
        client.submit(
            simulate_chunk_loans if contributions else simulate_chunk,
            inputs_f,
            spec_f,
            seed,
            s0,
            min(size, n_scenarios - s0),
            months,
            key=f"stress-chunk-{int(contributions)}-{seed}-{s0}-{min(size, n_scenarios - s0)}-{id(inputs)}",
            pure=False,
        )
        for s0 in starts
    ]
    out = ScenarioOutputs.zeros(n_scenarios, horizon_years)
    acc = contrib.ContributionAccumulator(portfolio.n_loans, n_scenarios, es_level) if contributions else None
    waiting: dict[int, tuple[Any, Any]] = {}  # finished chunks not yet fed to the accumulator (it wants order)
    done = 0
    if progress:
        progress(0, n_scenarios)
    pending = set(futures)
    try:
        while pending:
            if cancelled is not None and cancelled():
                raise Cancelled(f"cancelled after {done} of {n_scenarios} scenarios")
            finished = {fut for fut in pending if fut.done()}
            if not finished:
                time.sleep(poll_seconds)
                continue
            pending -= finished
            for fut in finished:
                s0, part, *rest = fut.result()
                out.put(s0, part)
                done += part.n_scenarios
                if acc is not None:
                    waiting[s0] = (part.loss_total, rest[0])
                    while acc.next_s in waiting:
                        loss_total, loan_loss = waiting.pop(acc.next_s)
                        acc.add(acc.next_s, loss_total, loan_loss)
            if progress:
                progress(done, n_scenarios)
    except BaseException:
        client.cancel(list(pending), force=True)
        raise
    return StressTestRun(
        outputs=out,
        horizon_months=months,
        seed=seed,
        spec=spec,
        portfolio_summary=portfolio.summary(),
        contributions=contrib.build(portfolio, acc).to_dict() if acc is not None else None,
    )
