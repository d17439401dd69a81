"""Run every benchmark in turn: ``python -m benchmarks [--quick]``.

Each benchmark prints its figures beside a baseline measured in the same run (ratios, not absolute targets),
because the machines are shared and noisy. Targets are reported, never asserted.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time

BENCHMARKS = ["underwriting", "stress_test", "screening", "load_test", "service", "job_queue"]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    failures = 0
    for name in BENCHMARKS:
        try:
            importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError:
            print(f"== {name}: not present, skipped")
            continue
        cmd = [sys.executable, "-m", f"benchmarks.{name}"] + (["--quick"] if quick else [])
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"== {name}: exit {rc} after {time.perf_counter() - start:.1f} s\n", flush=True)
        failures += rc != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
