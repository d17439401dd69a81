import numpy as np
import pytest

from loan_engine.portfolio.contributions import SEGMENT_TYPES, segments_csv
from loan_engine.portfolio.engine import prepare, run_stress_test, simulate_range_loans
from loan_engine.portfolio.numpy_reference import simulate_range_numpy
from loan_engine.portfolio.results import summarise, to_public, var_es
from loan_engine.portfolio.scenarios import scenario_from_dict


@pytest.fixture(scope="module")
def crisis_run(small_portfolio):
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    return run_stress_test(small_portfolio, spec, 300, 6, seed=4, contributions=True, block_size=37)


def test_contributions_add_up_to_expected_loss_and_es(crisis_run, small_portfolio):
    c = crisis_run.contributions
    o = crisis_run.outputs
    assert c["expected_loss_sum"] == pytest.approx(o.loss_total.mean(), rel=1e-9)
    es = var_es(o.loss_total, 0.99)["es"]
    assert c["tail_scenarios"] == 3 and c["es_sum"] == pytest.approx(es, rel=1e-9)
    for typ in SEGMENT_TYPES:
        rows = c["segments"][typ]
        assert sum(r["loans"] for r in rows) == small_portfolio.n_loans
        assert sum(r["expected_loss"] for r in rows) == pytest.approx(c["expected_loss_sum"], rel=1e-9)
        assert sum(r["es_contribution"] for r in rows) == pytest.approx(c["es_sum"], rel=1e-9)
        assert sum(r["es_share"] for r in rows) == pytest.approx(1.0)
    assert {r["segment"] for r in c["segments"]["rate_type"]} == {"fixed", "floating"}
    top = c["top_loans"]
    assert 0 < len(top) <= 20
    assert [t["es_contribution"] for t in top] == sorted((t["es_contribution"] for t in top), reverse=True)


def test_contributions_do_not_depend_on_blocks_and_do_not_change_outputs(crisis_run, small_portfolio):
    spec = crisis_run.spec
    other = run_stress_test(small_portfolio, spec, 300, 6, seed=4, contributions=True, block_size=300)
    assert other.contributions == crisis_run.contributions
    plain = run_stress_test(small_portfolio, spec, 300, 6, seed=4)
    assert np.array_equal(plain.outputs.loss_total, crisis_run.outputs.loss_total)
    assert plain.contributions is None


def test_per_loan_losses_equal_the_reference(small_portfolio):
    spec = scenario_from_dict({"preset": "crisis-1988-1993"})
    inputs = prepare(small_portfolio, spec.assumptions)
    out, ll = simulate_range_loans(inputs, spec, 4, 10, 8, 72)
    assert ll is not None
    np.testing.assert_allclose(ll.sum(axis=1), out.loss_total, rtol=1e-9)
    ref = np.zeros_like(ll)
    simulate_range_numpy(inputs, spec, 4, 10, 8, 72, loan_loss=ref)
    np.testing.assert_allclose(ll, ref, rtol=1e-9, atol=1e-6)


def test_results_and_csv(crisis_run):
    pub = to_public(summarise(crisis_run))
    rc = pub["risk_contributions"]
    assert rc["level_pct"] == 99.0 and "ltv_band" in rc["segments"]
    assert isinstance(rc["segments"]["priority"][0]["expected_loss"], int)
    text = segments_csv(crisis_run.contributions).decode()
    lines = text.splitlines()
    assert lines[0].startswith("segment_type,segment,loans,balance_nok,expected_loss_nok")
    assert len(lines) - 1 == sum(len(v) for v in crisis_run.contributions["segments"].values())
