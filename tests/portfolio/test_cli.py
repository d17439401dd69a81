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
