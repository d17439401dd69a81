"""Tenant screening throughput: the vectorised screening vs a row-by-row loop over the same rules, in one run.

``python -m benchmarks.screening [--quick] [--households N]`` builds an invented register of 100 000 households
(``loan_engine.screening.synthetic``), then reports households per second for

1. reading + validating the CSV (``;``, as a Norwegian Excel writes it);
2. the vectorised screening (``engine.screen``: living costs, the financing ladder, grant, owning cost) — best of 3;
3. ranking + the kommune summary + writing the CSV (the output edge);
4. the row-by-row loop: the single-household financing plan (``financing_plan`` for ``engine.single_request``)
   on a subset (``--quick``: 200 rows, else 1 000), extrapolated per household.

It prints the ratio vectorised : row-by-row and whether 100 000 households are screened in under a second (the
goal). The loop's answers are checked against the vectorised ones for the subset. Timings are reported, never
asserted.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from loan_engine.parameters import default_underwriting_parameters
from loan_engine.screening import synthetic
from loan_engine.screening.engine import ScreeningOptions, Solution, screen, single_request, split_unpriced
from loan_engine.screening.prices import prices_from_records, suitable_dwelling
from loan_engine.screening.ranking import kommune_summary, records_csv, result_records
from loan_engine.screening.run import read_register
from loan_engine.underwriting.financing_ladder import FinancingPlanRequest, financing_plan

N_DEFAULT = 100_000
GOAL_SECONDS = 1.0


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} households/s".replace(",", " ")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = int(argv[argv.index("--households") + 1]) if "--households" in argv else N_DEFAULT
    loop_n = 200 if quick else 1_000
    params = default_underwriting_parameters()
    options = ScreeningOptions(screening_date=date(2026, 1, 1))
    prices = prices_from_records(synthetic.sample_prices())

    t0 = time.perf_counter()
    data = synthetic.to_csv(synthetic.sample_households(n, seed=1, screening_date=options.screening_date)).encode()
    print(
        f"register: {n} invented households, {len(data) / 1_048_576:.1f} MiB CSV "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )

    t0 = time.perf_counter()
    reg, report, _ = read_register(data)
    reg = split_unpriced(reg, prices, report)
    t_read = time.perf_counter() - t0
    print(f"1. read + validate:        {t_read:6.3f} s  {_rate(n, t_read)}  ({report.error_count} row errors)")

    screen(reg, prices, params, options)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = screen(reg, prices, params, options)
        times.append(time.perf_counter() - t0)
    t_vec = min(times)
    print(f"2. vectorised screening:   {t_vec:6.3f} s  {_rate(len(reg), t_vec)}  (best of 3)")

    t0 = time.perf_counter()
    records = result_records(result)
    kommune_summary(result, report)
    records_csv(records)
    t_out = time.perf_counter() - t0
    print(f"3. rank + summary + CSV:   {t_out:6.3f} s  {_rate(len(reg), t_out)}")

    t0 = time.perf_counter()
    mismatches = 0
    for i in range(min(loop_n, len(reg))):
        hit = prices.lookup(reg.area_key[i], *suitable_dwelling(int(reg.size[i])))
        assert hit is not None
        price, running, _ = hit
        costs = price * options.purchase_costs_percent / 100
        plan = financing_plan(FinancingPlanRequest(single_request(reg, i, price, running, costs, options)), params)
        grant = plan.grant.amount if plan.grant is not None and plan.grant.serviceable else 0
        if (
            plan.startlan != int(result.startlan[i])
            or grant != int(result.grant[i])
            or (plan.solution or "none") != Solution(int(result.solution[i])).slug
        ):
            mismatches += 1
    t_loop = time.perf_counter() - t0
    per = t_loop / min(loop_n, len(reg))
    print(
        f"4. row-by-row loop:        {per * len(reg):6.1f} s  {_rate(1, per)}  (measured on {loop_n} rows, "
        f"extrapolated to {len(reg)}; {mismatches} mismatches)"
    )

    ratio = per * len(reg) / t_vec
    print(f"\nvectorised : row-by-row = {ratio:,.0f} : 1".replace(",", " "))
    scaled = t_vec * N_DEFAULT / max(len(reg), 1)
    verdict = "met" if scaled < GOAL_SECONDS else "NOT met"
    print(
        f"goal 100 000 households screened in < {GOAL_SECONDS:g} s: {scaled:.3f} s for 100 000 "
        f"(vectorised screening) — {verdict}; end to end incl. reading and output: "
        f"{(t_read + t_vec + t_out) * N_DEFAULT / max(len(reg), 1):.2f} s"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
