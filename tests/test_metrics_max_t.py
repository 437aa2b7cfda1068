"""boostrank.metrics.max_t: the max-t sign-flip test against a brute-force enumeration written
here, and its point: the best of many null candidates passes a plain paired t-test far more
often than alpha, the max-t test about alpha of the time."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from boostrank.metrics.max_t import max_t_test


def _t(d: np.ndarray) -> float:
    """Paired t-statistic of one row of differences, written out."""
    n = d.size
    sd = np.sqrt(np.sum((d - d.mean()) ** 2) / (n - 1))
    return 0.0 if sd == 0 else d.mean() / (sd / np.sqrt(n))


def _brute_force(candidates: np.ndarray, baseline: np.ndarray, index: int) -> float:
    diffs = candidates - baseline
    observed = _t(diffs[index])
    hits = 0
    patterns = list(itertools.product((1.0, -1.0), repeat=baseline.size))
    for signs in patterns:
        flipped = diffs * np.asarray(signs)
        if max(_t(row) for row in flipped) >= observed - 1e-9:
            hits += 1
    return hits / len(patterns)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_p_value_equals_brute_force_enumeration(seed):
    rng = np.random.default_rng(seed)
    baseline = rng.uniform(0, 1, 10)
    candidates = np.clip(baseline + rng.normal(0.05, 0.1, (4, 10)), 0, 1)
    for index in range(4):
        t, p = max_t_test(candidates, baseline, index=index, n_resamples=2 ** 10)
        assert t == pytest.approx(_t(candidates[index] - baseline))
        assert t == pytest.approx(stats.ttest_rel(candidates[index], baseline).statistic)
        assert p == pytest.approx(_brute_force(candidates, baseline, index))


def test_monte_carlo_p_value_is_close_to_the_exact_one_and_seeded():
    rng = np.random.default_rng(5)
    baseline = rng.uniform(0, 1, 14)
    candidates = baseline + rng.normal(0.03, 0.1, (3, 14))
    exact = max_t_test(candidates, baseline, n_resamples=2 ** 14)[1]
    drawn = max_t_test(candidates, baseline, n_resamples=4000, random_state=3)[1]
    assert abs(drawn - exact) < 0.03
    assert drawn == max_t_test(candidates, baseline, n_resamples=4000, random_state=3)[1]


def test_index_defaults_to_the_largest_t_and_a_single_candidate_is_a_sign_flip_t_test():
    rng = np.random.default_rng(2)
    baseline = rng.uniform(0, 1, 12)
    candidates = baseline + rng.normal(0.0, 0.1, (5, 12))
    ts = [_t(row - baseline) for row in candidates]
    t, p = max_t_test(candidates, baseline, n_resamples=2 ** 12)
    assert t == pytest.approx(max(ts))
    single = max_t_test(candidates[[2]], baseline, n_resamples=2 ** 12)[1]
    assert single == pytest.approx(_brute_force(candidates[[2]], baseline, 0))
    # the family can only make the bar higher
    assert max_t_test(candidates, baseline, index=2, n_resamples=2 ** 12)[1] >= single


def test_best_of_many_null_candidates_is_rejected_about_alpha_of_the_time():
    """30 candidates no better than the baseline (correlated, as trials of one study are):
    the plain paired t-test of the best one rejects far more often than 5 %, the max-t test
    about 5 %."""
    rng = np.random.default_rng(11)
    naive = corrected = 0
    studies = 200
    for _ in range(studies):
        baseline = rng.uniform(0, 1, 120)
        shared = rng.normal(0, 0.05, 120)
        candidates = baseline + 0.7 * shared + rng.normal(0, 0.05, (30, 120))
        t, p = max_t_test(candidates, baseline, n_resamples=400, random_state=0)
        best = int(np.argmax(candidates.mean(axis=1)))
        naive += stats.ttest_rel(candidates[best], baseline, alternative="greater").pvalue < 0.05
        corrected += p < 0.05
    assert naive / studies > 0.25
    assert corrected / studies <= 0.09


def test_a_real_gain_among_null_candidates_is_found():
    rng = np.random.default_rng(4)
    baseline = rng.uniform(0, 1, 300)
    candidates = baseline + rng.normal(0, 0.05, (30, 300))
    candidates[7] += 0.02
    t, p = max_t_test(candidates, baseline, index=7, random_state=0)
    assert p < 0.01 and t > 4


def test_nan_queries_identical_and_constant_differences():
    baseline = np.array([0.5, np.nan, 0.2, 0.4, 0.9])
    same = baseline.copy()
    same[3] = np.nan
    assert max_t_test([same], baseline) == (0.0, 1.0)  # three queries left, all equal
    shifted = baseline + 0.1
    t, p = max_t_test([shifted], baseline)
    assert t == np.inf and p == pytest.approx(1 / 16)  # only the identity pattern reaches it
    assert max_t_test([[0.1, np.nan]], [0.2, 0.3]) == (0.0, 1.0)


@pytest.mark.parametrize("kwargs,match", [
    ({"index": 3}, "index must be a row"),
    ({"index": True}, "index must be a row"),
    ({"n_resamples": 0}, "n_resamples"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        max_t_test([[0.1, 0.2, 0.3]], [0.0, 0.1, 0.2], **kwargs)


def test_bad_shapes_and_values():
    with pytest.raises(ValueError, match="length mismatch"):
        max_t_test([[0.1, 0.2]], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="finite"):
        max_t_test([[0.1, np.inf]], [0.1, 0.2])
    with pytest.raises(ValueError, match="shape"):
        max_t_test(np.zeros((0, 3)), [0.1, 0.2, 0.3])
