import numpy as np

from loan_engine.portfolio.rng import (
    STREAM_LOANS,
    loan_keys_np,
    loan_uniform,
    mix64_np,
    month_tweak,
    scenario_key,
    to_unit_np,
)


def _draws(seed, s, n_loans, n_months):
    keys = loan_keys_np(np.array([scenario_key(seed, s, STREAM_LOANS)], dtype=np.uint64), n_loans)[0]
    return np.stack([to_unit_np(mix64_np(keys ^ np.uint64(month_tweak(t)))) for t in range(n_months)])


def test_numpy_and_numba_generators_agree_bit_for_bit():
    u = _draws(7, 3, 5, 4)
    for t in range(4):
        for i in range(5):
            assert u[t, i] == loan_uniform(7, 3, i, t)


def test_uniformity_and_no_serial_correlation():
    u = _draws(1, 0, 2000, 100).ravel()
    n = u.size
    counts, _ = np.histogram(u, bins=50, range=(0, 1))
    chi2 = ((counts - n / 50) ** 2 / (n / 50)).sum()
    assert chi2 < 100  # 49 d.o.f.; p ≈ 1e-5
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)
    m = _draws(1, 0, 2000, 100)
    lag = np.corrcoef(m[:-1].ravel(), m[1:].ravel())[0, 1]
    across = np.corrcoef(_draws(1, 0, 2000, 1).ravel(), _draws(1, 1, 2000, 1).ravel())[0, 1]
    assert abs(lag) < 0.01 and abs(across) < 0.1
