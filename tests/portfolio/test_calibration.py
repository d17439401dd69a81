import json

import pytest
from typer.testing import CliRunner

from api.cli import app
from loan_engine.portfolio.assumptions import DEFAULT_ASSUMPTIONS
from loan_engine.portfolio.calibration import (
    CALIBRATION_TARGETS,
    HUSBANKEN_NET_LOSSES_MNOK,
    baseline_rates,
    calibrate,
    real_price_fall_1988_1993,
    target,
)


def test_targets_carry_sources_and_the_published_figures():
    assert HUSBANKEN_NET_LOSSES_MNOK == {2010: 4.1, 2011: 6.7, 2012: 5.9}
    for t in CALIBRATION_TARGETS:
        assert t["source"] and t["status"] in {"confirmed", "secondary", "derived", "not-confirmed"}
    st = target("state_annual_loss_rate")
    assert st["low"] < st["value"] < st["high"]
    # ≈ 10× the uncalibrated model's 0.002 %: the published level is about 0.02 % a year.
    assert 0.00015 < st["value"] < 0.0003


def test_calibrated_baseline_is_within_the_published_band_on_another_synthetic_book():
    st = target("state_annual_loss_rate")
    b = baseline_rates(DEFAULT_ASSUMPTIONS, n_loans=1000, n_scenarios=100, years=10, seed=7)
    assert st["low"] <= b.state_loss_rate <= st["high"], b
    # Uncalibrated (no permanent income losses) it is far below the band, as the issue reports.
    low = baseline_rates(DEFAULT_ASSUMPTIONS.with_overrides({"life_event_rate": 0.0}), 1000, 100, 10, seed=7)
    assert low.state_loss_rate < st["low"]


def test_crisis_preset_reaches_the_historical_real_price_fall():
    t = target("real_house_price_fall_1988_1993")
    assert t["low"] <= real_price_fall_1988_1993(DEFAULT_ASSUMPTIONS) <= t["high"]


def test_calibrate_fits_the_target():
    rep = calibrate(n_loans=300, n_scenarios=30, years=5, seed=3)
    row = next(r for r in rep["targets"] if r["name"] == "state_annual_loss_rate")
    assert row["model"] == pytest.approx(row["value"], rel=0.1)
    assert rep["life_event_rate"] > 0 and rep["ok"]


def test_cli_calibrate_prints_fit_against_target(tmp_path):
    out = tmp_path / "fit.json"
    r = CliRunner().invoke(
        app, ["stress-test", "calibrate", "--loans", "200", "--scenarios", "20", "--years", "4", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "state_annual_loss_rate" in r.stdout and "Published" in r.stdout and "fitted life_event_rate" in r.stdout
    assert json.loads(out.read_text())["life_event_rate"] > 0
