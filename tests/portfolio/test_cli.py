import json

from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def test_generate_and_stress_test_json_and_table(tmp_path):
    path = tmp_path / "book.csv"
    r = runner.invoke(app, ["portfolio", "generate", "--loans", "150", "--out", str(path), "--seed", "3"])
    assert r.exit_code == 0, r.output
    args = ["stress-test", str(path), "--scenarios", "64", "--seed", "5", "--horizon-years", "4"]
    r1 = runner.invoke(app, [*args, "--json"])
    r2 = runner.invoke(app, [*args, "--json"])
    assert r1.exit_code == 0, r1.output
    doc = json.loads(r1.stdout)
    assert doc["scenarios"] == 64 and len(doc["years"]) == 4
    assert r1.stdout == r2.stdout  # reproducible
    r = runner.invoke(app, [*args, "--preset", "hikes-2022-2023"])
    assert r.exit_code == 0, r.output
    assert "Expected loss" in r.stdout and "VaR 99\u00a0%" in r.stdout and "NIM %" in r.stdout


def test_bad_input_is_a_red_line_not_a_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "balance;remaining_term_months;net_income_monthly;living_costs_monthly;dwelling_value;x\n1;2;3;4;5;6\n"
    )
    r = runner.invoke(app, ["stress-test", str(path)])
    assert r.exit_code == 2 and "unknown-column" in r.output and "Traceback" not in r.output
    good = tmp_path / "good.csv"
    runner.invoke(app, ["portfolio", "generate", "--loans", "10", "--out", str(good)])
    r = runner.invoke(app, ["stress-test", str(good), "--scenarios", "100001"])
    assert r.exit_code == 2 and "max-scenarios" in r.output


def test_validate_prints_simulated_against_closed_form():
    r = runner.invoke(app, ["stress-test", "validate", "--loans", "5000", "--scenarios", "4000", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["ok"] is True
    q99 = next(q for q in doc["quantiles"] if q["level"] == 0.99)
    assert q99["closed_form"] > doc["mean"]["closed_form"] and q99["simulated"] > 0
    assert abs(q99["simulated"] - q99["closed_form"]) < 0.3 * q99["closed_form"]
    r = runner.invoke(app, ["stress-test", "validate", "--loans", "5000", "--scenarios", "4000"])
    assert r.exit_code == 0 and "Closed form" in r.stdout and "99 %" in r.stdout
    # A wrong closed form would be caught: a pool simulated at PD 2 % is far from the 4 % closed form.
    from loan_engine.portfolio.vasicek import simulate_one_factor, vasicek_quantile

    sim = simulate_one_factor(0.02, 0.12, 5000, 4000, seed=1)
    assert abs(float(np_quantile(sim, 0.99)) - vasicek_quantile(0.99, 0.04, 0.12)) > 0.01


def np_quantile(x, q):
    import numpy as np

    return np.quantile(x, q)


def test_stress_test_group_help_and_explicit_run(tmp_path):
    r = runner.invoke(app, ["stress-test", "--help"])
    assert r.exit_code == 0 and "validate" in r.stdout and "run" in r.stdout
    path = tmp_path / "b.csv"
    runner.invoke(app, ["portfolio", "generate", "--loans", "20", "--out", str(path)])
    r = runner.invoke(app, ["stress-test", "run", str(path), "--scenarios", "8", "--horizon-years", "2", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["scenarios"] == 8


def test_benchmark_help_prints_help_without_running():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.stress_test", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "--quick" in out.stdout and "loan-months" not in out.stdout


def test_stress_test_contributions_table_and_csv(tmp_path):
    path = tmp_path / "b.csv"
    runner.invoke(app, ["portfolio", "generate", "--loans", "120", "--out", str(path)])
    seg = tmp_path / "seg.csv"
    args = ["stress-test", str(path), "-n", "200", "--horizon-years", "5", "--preset", "crisis-1988-1993"]
    r = runner.invoke(app, [*args, "--contributions", "--segments-csv", str(seg)])
    assert r.exit_code == 0, r.output
    assert "Where the risk sits" in r.stdout and "ltv_band" in r.stdout
    assert seg.read_text().splitlines()[0].startswith("segment_type,segment")
