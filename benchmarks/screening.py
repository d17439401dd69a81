"""Tenant screening throughput: file to results file beside a pyarrow floor, and the vectorised screening vs a
row-by-row loop over the same rules, in one run.

``python -m benchmarks.screening [--quick] [--households N] [--million]`` builds an invented register of 100 000
households (``loan_engine.screening.synthetic``), writes it to a temporary CSV file, then reports

0. **end to end, file to results file** (read, validate, screen, rank, summarise, write ``results.csv``) beside
   the **pyarrow floor** measured on the same file in the same run: pyarrow reading the CSV and writing it out
   again as CSV (best of 3 each). Goal: end to end at most 2× the floor. The row-by-row reader and validator
   (what every screening used before the columnar one) are timed on the same file for comparison;
5. with ``--million``: the **peak memory** (RSS) of a child process screening a 1 000 000-row register file end to
   end, beside a child process that only reads the same file with pyarrow (goal: under 1.5 GB);

and households per second for

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

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from loan_engine.parameters import default_underwriting_parameters
from loan_engine.screening import synthetic
from loan_engine.screening.engine import ScreeningOptions, Solution, screen, single_request, split_unpriced
from loan_engine.screening.io import open_table
from loan_engine.screening.prices import prices_from_records, suitable_dwelling
from loan_engine.screening.ranking import kommune_summary, result_columns, results_csv, write_results_csv
from loan_engine.screening.register import concat
from loan_engine.screening.run import read_register, run_screening
from loan_engine.screening.validation import RegisterValidator
from loan_engine.underwriting.financing_ladder import FinancingPlanRequest, financing_plan

N_DEFAULT = 100_000
GOAL_SECONDS = 1.0
GOAL_FLOOR_RATIO = 2.0
GOAL_PEAK_GB = 1.5
MILLION = 1_000_000


def _best(f: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def _floor(path: Path, out: Path) -> None:
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"))
    pacsv.write_csv(table, out, pacsv.WriteOptions(delimiter=";"))


def _end_to_end(path: Path, out: Path, prices: object, params: object, options: ScreeningOptions) -> None:
    run = run_screening(path, prices, params, options)  # type: ignore[arg-type]
    with out.open("wb") as f:
        write_results_csv(run.columns, f)


def _row_by_row_read(path: Path) -> None:
    reader = open_table(path)
    validator = RegisterValidator(reader.header)
    concat([validator.validate(c) for c in reader.chunks])


def _million_file(data: bytes, path: Path) -> None:
    """A 1 000 000-row register from a smaller one: its rows repeated with new household ids and dwellings."""
    text = data.decode("utf-8")
    header, _, body = text.partition("\n")
    lines = [ln for ln in body.split("\n") if ln.strip()]
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header + "\n")
        for k in range(MILLION):
            line = lines[k % len(lines)]
            _, _, rest = line.partition(";")
            f.write(f"M{k:07d};{rest.replace('KB-', f'KB{k // len(lines)}-')}\n")


def _child_peak(mode: str, path: Path) -> tuple[float, float]:
    """(peak RSS MiB, seconds) of a child process running ``mode`` on ``path``."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.screening", "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    return float(done.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def _child(mode: str, path: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        if mode == "floor":
            _floor(path, out)
        else:
            _end_to_end(
                path,
                out,
                prices_from_records(synthetic.sample_prices()),
                default_underwriting_parameters(),
                ScreeningOptions(screening_date=date(2026, 1, 1)),
            )
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux
    return 0


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} households/s".replace(",", " ")


def main(argv: list[str]) -> int:
    if "--child" in argv:
        k = argv.index("--child")
        return _child(argv[k + 1], Path(argv[k + 2]))
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

    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "tenants.csv", Path(tmp) / "results.csv"
        path.write_bytes(data)
        t_floor = _best(lambda: _floor(path, out))
        t_e2e = _best(lambda: _end_to_end(path, out, prices, params, options))
        t_rows = _best(lambda: _row_by_row_read(path), repeat=1)
        ratio_floor = t_e2e / t_floor
        print(
            f"0. file to results file:   {t_e2e:6.3f} s  {_rate(n, t_e2e)}  (best of 3)\n"
            f"   pyarrow floor (read CSV + write CSV, same file): {t_floor:6.3f} s  → end to end = "
            f"{ratio_floor:.1f}× the floor (goal ≤ {GOAL_FLOOR_RATIO:g}×: "
            f"{'met' if ratio_floor <= GOAL_FLOOR_RATIO else 'NOT met'})\n"
            f"   for comparison, the row-by-row reader + validator alone: {t_rows:6.3f} s "
            f"({t_rows / t_floor:.1f}× the floor)"
        )
        if "--million" in argv:
            big = Path(tmp) / "million.csv"
            _million_file(data, big)
            size = big.stat().st_size
            floor_mb, floor_s = _child_peak("floor", big)
            peak_mb, peak_s = _child_peak("screen", big)
            print(
                f"5. 1 000 000-row register ({size / 1_048_576:.0f} MiB): peak RSS end to end {peak_mb:,.0f} MiB "
                f"in {peak_s:.1f} s (goal < {GOAL_PEAK_GB:g} GB: "
                f"{'met' if peak_mb * 1_048_576 < GOAL_PEAK_GB * 1e9 else 'NOT met'}); pyarrow reading and "
                f"writing the same file: {floor_mb:,.0f} MiB in {floor_s:.1f} s (child processes, imports included)"
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
    columns = result_columns(result)
    kommune_summary(result, report)
    results_csv(columns)
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
