# ruff: noqa: N806  (A: assumptions — the model's notation)
import numpy as np
import pytest

from loan_engine.errors import InvalidInput
from loan_engine.portfolio.engine import prepare, run_stress_test, simulate_range
from loan_engine.portfolio.scenario_files import load_scenario_file
from loan_engine.portfolio.scenarios import generate_paths, husbanken_floating, scenario_from_dict

HEADER = "scenario,month,policy_rate,cpi_inflation,wage_growth,house_price_index,unemployment\n"


def _csv(n_scen=2, months=24, rate=lambda s, t: 4.0 + s * (t >= 3) * 2.0):
    lines = [HEADER]
    for s in range(n_scen):
        for t in range(months):
            lines.append(f"{s},{t},{rate(s, t)},3.0,3.5,{100 - 10 * s * t / months},{2.0 + s}\n")
    return "".join(lines)


def test_a_set_of_paths_from_csv_drives_the_macro_paths():
    spec = scenario_from_dict({"paths_csv": _csv()})
    p = generate_paths(spec, seed=0, s0=0, n_scen=4, n_months=36)
    assert np.allclose(p.policy[0], 0.04) and p.policy[1, 3] == pytest.approx(0.06)
    np.testing.assert_array_equal(p.policy[2], p.policy[0])  # scenario s uses file scenario s mod K
    assert p.policy[1, 35] == pytest.approx(0.06)  # beyond the file: last value held
    A = spec.assumptions
    np.testing.assert_array_equal(
        p.hb_rate, husbanken_floating(p.policy, p.policy[:, 0], A.husbanken_spread, spec.start_month)
    )
    assert p.hpi[0, 0] == 1.0 and p.hpi[1, 12] == pytest.approx(0.95)
    assert p.cost_index[0, 12] == pytest.approx(1.03, rel=1e-12)  # 12 months of 3 %/yr CPI
    assert p.unemployment[1, 0] == pytest.approx(0.03)
    assert spec.to_dict()["custom_paths"] == {"scenarios": 2, "months": 24}


def test_json_rows_and_a_stress_test_on_them(small_portfolio):
    rows = [
        {
            "month": t,
            "policy_rate": 8.0,
            "cpi_inflation": 6,
            "wage_growth": 2,
            "house_price_index": 1.0 - t / 100,
            "unemployment": 5,
        }
        for t in range(36)
    ]
    hard = scenario_from_dict({"paths": rows})
    soft = scenario_from_dict({"paths": [{**r, "policy_rate": 2.0, "house_price_index": 1.0} for r in rows]})
    a = run_stress_test(small_portfolio, hard, 4, 3, seed=1).outputs
    b = run_stress_test(small_portfolio, soft, 4, 3, seed=1).outputs
    assert a.loss_total.mean() > b.loss_total.mean() and a.arrears.sum() > b.arrears.sum()
    c = load_scenario_file(b"[" + b",".join(str(r).replace("'", '"').encode() for r in rows) + b"]", "x.json")
    assert c.n_scenarios == 1 and c.n_months == 36
    # Kernel and reference agree on user paths too.
    from loan_engine.portfolio.numpy_reference import simulate_range_numpy

    inputs = prepare(small_portfolio, hard.assumptions)
    np.testing.assert_allclose(
        simulate_range(inputs, hard, 1, 0, 3, 36).loss_total,
        simulate_range_numpy(inputs, hard, 1, 0, 3, 36).loss_total,
        rtol=1e-9,
    )


@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        (HEADER + "0,0,4,3,3,100,2\n0,1,abc,3,3,100,2\n", "paths[1].policy_rate", "not-a-number"),
        (HEADER + "0,0,4,3,3,100,2\n0,1,4,3,3,-5,2\n", "paths[1].house_price_index", "positive"),
        (HEADER + "0,0,4,3,3,100,2\n0,2,4,3,3,100,2\n", "paths[1].month", "consecutive-months"),
        (HEADER + "0,0,4,3,3,100,2\n0,0,4,3,3,100,2\n", "paths[1].month", "duplicate-month"),
        (HEADER + "0,0,4,3,3,100,80\n", "paths[0].unemployment", "out-of-range"),
        (HEADER + "0,0,4,3,3,100,2\n1,0,4,3,3,100,2\n1,1,4,3,3,100,2\n", "paths[2].month", "equal-lengths"),
        (HEADER + "0,0,4,3,3,100,2\n2,0,4,3,3,100,2\n", "paths.scenario", "scenario-numbering"),
        ("month,policy_rate,colour\n0,4,red\n", "paths.colour", "unknown-column"),
        ("month,policy_rate\n0,4\n", "paths.cpi_inflation", "missing-column"),
        (HEADER + "0,0,4,,3,100,2\n", "paths[0].cpi_inflation", "required"),
        (HEADER + "0,0.5,4,3,3,100,2\n", "paths[0].month", "whole-number"),
        (HEADER + "0,0,4,3\r3,100,2\n", "paths", "csv-format"),  # a bare CR in a field the csv module cannot read
    ],
)
def test_bad_files_name_row_and_column(text, field, rule):
    with pytest.raises(InvalidInput) as e:
        scenario_from_dict({"paths_csv": text})
    assert e.value.field == f"scenario.{field}" or e.value.field == field
    assert e.value.rule == rule


def test_semicolon_and_decimal_comma():
    text = HEADER.replace(",", ";") + "0;0;4,5;3;3;100;2\n0;1;4,75;3;3;101;2\n"
    p = generate_paths(scenario_from_dict({"paths_csv": text}), 0, 0, 1, 2)
    assert p.policy[0, 1] == pytest.approx(0.0475)
