"""boostrank.metrics.stats against scipy and brute-force references written here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as st

from boostrank.metrics import stats


def _pair(seed, n=40, effect=0.03):
    rng = np.random.default_rng(seed)
    a = rng.random(n)
    return a, np.clip(a - effect + rng.normal(0, 0.08, n), 0, 1)


def test_paired_ttest_equals_scipy():
    a, b = _pair(0)
    t, p = stats.paired_ttest(a, b)
    ref = st.ttest_rel(a, b)
    assert t == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-12)
    assert stats.paired_ttest(a, a) == (0.0, 1.0)
    assert stats.paired_ttest(a + 0.1, a) == (np.inf, 0.0)


def test_nan_pairs_are_dropped_and_bad_input_rejected():
    a, b = _pair(1)
    a_nan = a.copy()
    a_nan[3] = np.nan
    keep = np.arange(a.size) != 3
    assert stats.paired_ttest(a_nan, b) == stats.paired_ttest(a[keep], b[keep])
    with pytest.raises(ValueError, match="length mismatch"):
        stats.paired_ttest(a, b[:-1])
    with pytest.raises(ValueError, match="at least 2"):
        stats.randomization_test([0.1], [0.2])
    with pytest.raises(ValueError, match="confidence"):
        stats.bootstrap_ci(a, b, confidence=1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        stats.randomization_test(a, b, n_resamples=0)


def brute_force_randomization(a, b):
    d = np.asarray(a) - np.asarray(b)
    observed = abs(d.sum())
    count = total = 0
    for signs in itertools.product((1, -1), repeat=d.size):
        total += 1
        count += abs(np.dot(signs, d)) >= observed - 1e-12
    return count / total


def test_randomization_test_exact_and_sampled():
    a, b = _pair(2, n=10, effect=0.05)
    exact = brute_force_randomization(a, b)
    assert stats.randomization_test(a, b, n_resamples=2 ** 10) == pytest.approx(exact, abs=1e-15)
    sampled = stats.randomization_test(a, b, n_resamples=20000, random_state=3)
    assert sampled == pytest.approx(exact, abs=0.015)
    assert stats.randomization_test(a, b, n_resamples=500, random_state=3) == \
        stats.randomization_test(a, b, n_resamples=500, random_state=3)
    # large samples agree with the t-test
    a, b = _pair(4, n=300)
    assert stats.randomization_test(a, b, n_resamples=20000) == pytest.approx(
        stats.paired_ttest(a, b)[1], abs=0.01)
    assert stats.randomization_test(a, a) == 1.0


def test_bootstrap_ci_matches_brute_force_and_scipy():
    a, b = _pair(5, n=60)
    low, high = stats.bootstrap_ci(a, b, n_resamples=20000, random_state=1)
    rng = np.random.default_rng(11)
    d = a - b
    means = [d[rng.integers(0, d.size, d.size)].mean() for _ in range(20000)]
    ref_low, ref_high = np.quantile(means, [0.025, 0.975])
    assert low == pytest.approx(ref_low, abs=3e-3)
    assert high == pytest.approx(ref_high, abs=3e-3)
    sci = st.bootstrap((d,), np.mean, n_resamples=20000, method="percentile", rng=2)
    assert low == pytest.approx(sci.confidence_interval.low, abs=3e-3)
    assert low < d.mean() < high
    assert stats.bootstrap_ci(a, b, random_state=7) == stats.bootstrap_ci(a, b, random_state=7)
    narrow = stats.bootstrap_ci(a, b, confidence=0.5, random_state=7)
    assert low < narrow[0] < narrow[1] < high


def test_mean_ci_equals_t_interval():
    a, _ = _pair(6)
    low, high = stats.mean_ci(a, 0.9)
    ref = st.t.interval(0.9, a.size - 1, loc=a.mean(), scale=st.sem(a))
    assert (low, high) == pytest.approx(ref, rel=1e-12)
    assert stats.mean_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)


def brute_force_holm(p):
    p = np.asarray(p, float)
    m = p.size
    adjusted = np.empty(m)
    for i in range(m):
        # adjusted p_i = max over j ranked at or before i of (m - rank_j) * p_j, capped at 1
        order = sorted(range(m), key=lambda j: (p[j], j))
        rank_i = order.index(i)
        adjusted[i] = min(1.0, max((m - r) * p[order[r]] for r in range(rank_i + 1)))
    return adjusted


def test_holm_bonferroni():
    rng = np.random.default_rng(8)
    for _ in range(20):
        p = rng.random(int(rng.integers(1, 9))) ** 3
        np.testing.assert_allclose(stats.holm_bonferroni(p), brute_force_holm(p), rtol=1e-15)
    np.testing.assert_allclose(stats.holm_bonferroni([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    assert stats.holm_bonferroni([]).size == 0
    with pytest.raises(ValueError, match="p-values"):
        stats.holm_bonferroni([0.5, 1.2])


def test_win_tie_loss():
    a = np.array([0.5, 0.2, 0.3, 0.9, 0.4])
    b = np.array([0.4, 0.2, 0.5, 0.9 + 1e-15, 0.1])
    assert stats.win_tie_loss(a, b) == (2, 2, 1)
    assert stats.win_tie_loss(a, b, tol=0.15) == (1, 3, 1)


def test_seed_is_a_deprecated_name_of_random_state():
    a, b = _pair(0)
    with pytest.warns(DeprecationWarning, match="seed= is deprecated; use random_state="):
        old = stats.randomization_test(a, b, n_resamples=300, seed=4)
    assert old == stats.randomization_test(a, b, n_resamples=300, random_state=4)
    with pytest.warns(DeprecationWarning):
        old_ci = stats.bootstrap_ci(a, b, n_resamples=300, seed=4)
    assert old_ci == stats.bootstrap_ci(a, b, n_resamples=300, random_state=4)
    with pytest.raises(ValueError, match="give random_state only"):
        stats.bootstrap_ci(a, b, random_state=1, seed=2)
