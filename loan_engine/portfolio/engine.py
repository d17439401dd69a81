# ruff: noqa: N806  (S, L, T, A: scenarios, loans, months, assumptions — the model's notation)
"""Running a stress test: limits, preparation of the kernel inputs, scenario blocks, progress and cancellation.

``run_stress_test`` simulates scenarios in blocks (for progress reporting and cancellation); every block is
independent and writes its own rows, so the per-scenario outputs — and hence every reported figure — depend
only on (portfolio, scenario specification, seed, horizon), never on the block size, the thread count or
(``distributed.py``) the Dask worker that ran a block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from loan_engine.errors import InvalidInput, LimitExceeded
from loan_engine.portfolio.assumptions import ModelAssumptions
from loan_engine.portfolio.kernel import default_chunks, simulate_block
from loan_engine.portfolio.loans import STATUS, Portfolio
from loan_engine.portfolio.scenarios import ScenarioPaths, ScenarioSpec, generate_paths, regional_factors

# Documented limits (refused with LimitExceeded naming the limit).
MAX_SCENARIOS = 100_000
MAX_HORIZON_YEARS = 50
MAX_LOAN_MONTHS = 400_000_000_000  # loans × scenarios × months ≈ 45 min at 150 M loan-months/s
MAX_SEED = 2**63 - 1


# The kernel releases the GIL (the API keeps answering while a job runs) and uses every Numba thread; kernel
# launches within one process are serialised so that concurrent jobs do not oversubscribe the cores.
_KERNEL_LOCK = threading.Lock()


class Cancelled(Exception):
    """Raised by ``run_stress_test`` when the ``cancelled`` callback answers True between blocks."""


def check_limits(n_loans: int, n_scenarios: int, horizon_years: int, seed: int) -> None:
    if isinstance(n_scenarios, bool) or not isinstance(n_scenarios, int) or n_scenarios < 1:
        raise InvalidInput("scenarios must be a whole number ≥ 1.", field="scenarios", rule="min-1-scenario")
    if n_scenarios > MAX_SCENARIOS:
        raise LimitExceeded(
            f"{n_scenarios} scenarios asked; the limit is max-scenarios = {MAX_SCENARIOS}.",
            field="scenarios",
            rule="max-scenarios",
        )
    if isinstance(horizon_years, bool) or not isinstance(horizon_years, int) or horizon_years < 1:
        raise InvalidInput("horizon_years must be a whole number ≥ 1.", field="horizon_years", rule="min-1-year")
    if horizon_years > MAX_HORIZON_YEARS:
        raise LimitExceeded(
            f"horizon {horizon_years} years; the limit is max-horizon-years = {MAX_HORIZON_YEARS}.",
            field="horizon_years",
            rule="max-horizon-years",
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput("seed must be a whole number between 0 and 2^63−1.", field="seed", rule="seed-range")
    work = n_loans * n_scenarios * horizon_years * 12
    if work > MAX_LOAN_MONTHS:
        raise LimitExceeded(
            f"loans × scenarios × months = {work:.3g} exceeds max-loan-months = {MAX_LOAN_MONTHS:.3g}; "
            "use fewer scenarios or a shorter horizon.",
            field="scenarios",
            rule="max-loan-months",
        )


@dataclass(frozen=True)
class KernelInputs:
    bal0: np.ndarray
    n0: np.ndarray
    serial: np.ndarray
    fixed: np.ndarray
    fixed_rm: np.ndarray
    fix_end: np.ndarray
    io0: np.ndarray
    income: np.ndarray
    living: np.ndarray
    value0: np.ndarray
    prior0: np.ndarray
    arr0: np.ndarray
    overdue0: np.ndarray
    fparams: np.ndarray
    iparams: np.ndarray
    region: np.ndarray  # int32: 0 = national index only, k = the book's k-th region
    n_regions: int = 0

    def loan_arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self.bal0,
            self.n0,
            self.serial,
            self.fixed,
            self.fixed_rm,
            self.fix_end,
            self.io0,
            self.income,
            self.living,
            self.value0,
            self.prior0,
            self.arr0,
            self.overdue0,
            self.region,
        )


def prepare(portfolio: Portfolio, assumptions: ModelAssumptions) -> KernelInputs:
    A = assumptions
    st = portfolio.status
    io0 = portfolio.io_months.astype(np.int64).copy()
    deferred = st == STATUS["deferred"]
    io0[deferred] = np.maximum(io0[deferred], int(A.initial_deferral_months))
    io0 = np.minimum(io0, portfolio.remaining_months)
    arr0 = np.where(st == STATUS["arrears"], int(A.initial_arrears_months), 0).astype(np.int32)
    float_rate = max(0.0, A.policy_rate_0 + A.husbanken_spread) + A.kommune_margin
    cur_rate = np.where(portfolio.fixed == 1, portfolio.fixed_rate, float_rate)
    overdue0 = arr0 * portfolio.balance * cur_rate / 12.0
    value0 = portfolio.dwelling_value * (1.0 + A.hpi_growth_since_valuation) ** (portfolio.value_age_months / 12.0)
    fparams = np.array(
        [
            A.kommune_margin,
            A.income_replacement,
            A.job_finding_rate,
            A.capitalisation_max_ltv,
            A.forced_sale_discount,
            A.sale_cost_rate,
            A.realisation_costs,
            A.kommune_loss_share,
            A.dwelling_value_sd,
            A.life_event_rate,
            A.life_event_income_factor,
            A.prepayment_rate,
            A.refinancing_rate_max,
            A.refinancing_ltv,
            A.refinancing_ltv_band,
            A.refinancing_income_growth,
            A.gjeldsordning_share,
        ]
    )
    iparams = np.array(
        [
            A.relief_max_months,
            A.capitalisation_max_months,
            A.arrears_months_to_sale,
            A.overdue_interest_window_months,
            0,  # 1 = record each loan's loss per scenario (contributions)
            0,  # horizon in months (the path arrays run `runoff_months` beyond it); set per run
        ],
        dtype=np.int64,
    )
    c = np.ascontiguousarray
    return KernelInputs(
        bal0=c(portfolio.balance, dtype=np.float64),
        n0=c(portfolio.remaining_months, dtype=np.int32),
        serial=c(portfolio.serial, dtype=np.int8),
        fixed=c(portfolio.fixed, dtype=np.int8),
        fixed_rm=c(portfolio.fixed_rate / 12.0),
        fix_end=c(portfolio.fixation_months, dtype=np.int32),
        io0=c(io0, dtype=np.int32),
        income=c(portfolio.income, dtype=np.float64),
        living=c(portfolio.living_costs, dtype=np.float64),
        value0=c(value0),
        prior0=c(portfolio.prior_balance, dtype=np.float64),
        arr0=c(arr0),
        overdue0=c(overdue0),
        fparams=fparams,
        iparams=iparams,
        region=c(portfolio.region_codes(), dtype=np.int32),
        n_regions=len(portfolio.region_names),
    )


@dataclass
class ScenarioOutputs:
    """Per-scenario results (O(scenarios × years) memory): rows are global scenarios ``s0 …``."""

    loss_total: np.ndarray  # realised + unresolved at horizon
    loss_kommune: np.ndarray
    loss_state: np.ndarray
    loss_unresolved: np.ndarray  # (S,) part of loss_total from loans unresolved at the horizon
    unresolved: np.ndarray  # (S,) loans unresolved (in arrears or in a measure) at the horizon
    over_capacity: np.ndarray
    defaults: np.ndarray  # (S, Y) forced sales in year y
    arrears: np.ndarray  # (S, Y) loans with unpaid amounts during year y
    active: np.ndarray  # (S, Y) loans outstanding at the start of year y
    relief: np.ndarray  # (S, Y) loans receiving a measure during year y
    interest_income: np.ndarray  # (S, Y) NOK received
    funding_cost: np.ndarray  # (S, Y) NOK paid to Husbanken
    avg_balance: np.ndarray  # (S, Y) NOK average outstanding
    settlements: np.ndarray  # (S, Y) debt settlements (gjeldsordning) instead of a sale in year y
    prepaid: np.ndarray  # (S, Y) loans prepaid or refinanced to a bank in year y

    @classmethod
    def zeros(cls, n_scen: int, n_years: int) -> ScenarioOutputs:
        return cls(
            loss_total=np.zeros(n_scen),
            loss_kommune=np.zeros(n_scen),
            loss_state=np.zeros(n_scen),
            loss_unresolved=np.zeros(n_scen),
            unresolved=np.zeros(n_scen, np.int64),
            over_capacity=np.zeros(n_scen, np.int64),
            defaults=np.zeros((n_scen, n_years), np.int64),
            arrears=np.zeros((n_scen, n_years), np.int64),
            active=np.zeros((n_scen, n_years), np.int64),
            relief=np.zeros((n_scen, n_years), np.int64),
            interest_income=np.zeros((n_scen, n_years)),
            funding_cost=np.zeros((n_scen, n_years)),
            avg_balance=np.zeros((n_scen, n_years)),
            settlements=np.zeros((n_scen, n_years), np.int64),
            prepaid=np.zeros((n_scen, n_years), np.int64),
        )

    def put(self, start: int, other: ScenarioOutputs) -> None:
        stop = start + other.loss_total.shape[0]
        for f in fields(self):
            getattr(self, f.name)[start:stop] = getattr(other, f.name)

    @property
    def n_scenarios(self) -> int:
        return int(self.loss_total.shape[0])

    def as_tuple(self) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


_ONES: dict[tuple[int, int], np.ndarray] = {}


def _regional_or_ones(spec: ScenarioSpec, seed: int, s0: int, n_scen: int, n_months: int, n_regions: int) -> np.ndarray:
    """Regional price factors; a book without regions reuses one read-only array of ones per shape."""
    if n_regions > 0:
        return regional_factors(spec, seed, s0, n_scen, n_months, n_regions)
    key = (n_scen, n_months)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 4:
            _ONES.clear()
        ones = np.ones((n_scen, 1, n_months))
        _ONES[key] = ones
    return ones


def runoff_months(assumptions: ModelAssumptions) -> int:
    """Months past the horizon in which loans unresolved at the horizon are followed until cured or realised:
    the remaining relief plus the months of arrears before a sale (at most 10 years)."""
    A = assumptions
    return int(min(120, A.relief_max_months + A.arrears_months_to_sale + 1))


def path_months(horizon_months: int, assumptions: ModelAssumptions) -> int:
    return horizon_months + runoff_months(assumptions)


def funding_rate(hb: np.ndarray, assumptions: ModelAssumptions) -> np.ndarray:
    """The kommune's funding rate per scenario and month: its fixed-rate share of Husbanken borrowing at the fixed
    rate until it reprices, the rest (and everything after) at Husbanken's floating rate."""
    A = assumptions
    T = hb.shape[1]
    w = np.where(np.arange(T) < int(A.funding_fixed_months), A.funding_fixed_share, 0.0)
    return np.ascontiguousarray(hb * (1.0 - w)[None, :] + (w * A.funding_fixed_rate)[None, :])


def simulate_range(
    inputs: KernelInputs,
    spec: ScenarioSpec,
    seed: int,
    s0: int,
    n_scen: int,
    horizon_months: int,
    n_chunks: int | None = None,
) -> ScenarioOutputs:
    """Simulate global scenarios ``s0 … s0+n_scen−1`` with the Numba kernel."""
    return simulate_range_loans(inputs, spec, seed, s0, n_scen, horizon_months, n_chunks, record_loans=False)[0]


def simulate_range_loans(
    inputs: KernelInputs,
    spec: ScenarioSpec,
    seed: int,
    s0: int,
    n_scen: int,
    horizon_months: int,
    n_chunks: int | None = None,
    *,
    record_loans: bool = True,
    paths: ScenarioPaths | None = None,
    fund_rate: np.ndarray | None = None,
) -> tuple[ScenarioOutputs, np.ndarray | None]:
    """:func:`simulate_range`, and with ``record_loans`` each loan's loss per scenario, (n_scen, loans) — the
    scenario outputs are the same either way. ``paths``: prebuilt paths for exactly these scenarios;
    ``fund_rate``: :func:`funding_rate` of those paths, if already computed (the household path caches it)."""
    if paths is None:
        paths = generate_paths(spec, seed, s0, n_scen, path_months(horizon_months, spec.assumptions))
    out = ScenarioOutputs.zeros(n_scen, (horizon_months + 11) // 12)
    n_loans = inputs.bal0.shape[0]
    loan_loss = np.zeros((n_scen, n_loans)) if record_loans else np.zeros((1, 1))
    iparams = inputs.iparams.copy()
    iparams[4] = 1 if record_loans else 0
    iparams[5] = horizon_months
    args: tuple[Any, ...] = (
        *inputs.loan_arrays(),
        paths.hb_rate,
        paths.bank_rate,
        paths.hpi,
        paths.cum_hazard,
        paths.income_index,
        paths.cost_index,
        funding_rate(paths.hb_rate, spec.assumptions) if fund_rate is None else fund_rate,
        _regional_or_ones(spec, seed, s0, n_scen, paths.hb_rate.shape[1], inputs.n_regions),
        inputs.fparams,
        iparams,
        int(seed),
        int(s0),
        int(n_chunks if n_chunks is not None else default_chunks(n_scen)),
        *out.as_tuple(),
        loan_loss,
    )
    with _KERNEL_LOCK:
        simulate_block(*args)
    return out, (loan_loss if record_loans else None)


def block_size_for(n_loans: int, horizon_months: int, n_scenarios: int) -> int:
    """Scenarios per block: about 1.5·10⁸ loan-months (≈ 1 s), at least a few per thread."""
    per = max(8, int(1.5e8 // max(1, n_loans * horizon_months)))
    return max(1, min(n_scenarios, per))


@dataclass
class StressTestRun:
    outputs: ScenarioOutputs
    horizon_months: int
    seed: int
    spec: ScenarioSpec
    portfolio_summary: dict[str, Any]
    contributions: dict[str, Any] | None = None  # contributions.Contributions.to_dict() when asked for


def run_stress_test(
    portfolio: Portfolio,
    spec: ScenarioSpec,
    n_scenarios: int,
    horizon_years: int,
    seed: int,
    *,
    block_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    contributions: bool = False,
    es_level: float = 0.99,
) -> StressTestRun:
    """Run the stress test in scenario blocks. ``contributions``: also each loan's contribution to expected loss
    and to ES at ``es_level``, by segment (``contributions.py``); the scenario outputs are the same either way."""
    from loan_engine.portfolio import contributions as contrib

    check_limits(portfolio.n_loans, n_scenarios, horizon_years, seed)
    T = horizon_years * 12
    inputs = prepare(portfolio, spec.assumptions)
    bs = block_size or block_size_for(portfolio.n_loans, T, n_scenarios)
    out = ScenarioOutputs.zeros(n_scenarios, horizon_years)
    acc = contrib.ContributionAccumulator(portfolio.n_loans, n_scenarios, es_level) if contributions else None
    done = 0
    if progress:
        progress(0, n_scenarios)
    while done < n_scenarios:
        if cancelled is not None and cancelled():
            raise Cancelled(f"cancelled after {done} of {n_scenarios} scenarios")
        k = min(bs, n_scenarios - done)
        part, loan_loss = simulate_range_loans(inputs, spec, seed, done, k, T, record_loans=acc is not None)
        out.put(done, part)
        if acc is not None and loan_loss is not None:
            acc.add(done, part.loss_total, loan_loss)
        done += k
        if progress:
            progress(done, n_scenarios)
    return StressTestRun(
        outputs=out,
        horizon_months=T,
        seed=seed,
        spec=spec,
        portfolio_summary=portfolio.summary(),
        contributions=contrib.build(portfolio, acc).to_dict() if acc is not None else None,
    )
