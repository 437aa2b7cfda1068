"""Click models against their definitions, by simulation with a fixed seed."""

from __future__ import annotations

import numpy as np
import pytest

from boostrank.clicks import (
    CLICK_MODELS,
    DependentClickModel,
    ThresholdCascadeModel,
    get_click_model,
    logged_ranking,
    relevance_probability,
    simulate_clicks,
)
from boostrank.data.ranking_data import RankingData

N_SESSIONS = 40_000


def one_query(labels, n_features=3, seed=0):
    labels = np.asarray(labels, dtype=np.float64)
    X = np.random.default_rng(seed).normal(size=(labels.size, n_features)).astype(np.float32)
    return RankingData(X, labels, np.zeros(labels.size, dtype=np.int64),
                       docid=np.array([f"d{i}" for i in range(labels.size)]))


def shown_in_row_order(data):
    """Scores that show the rows in their order (rank 1 = row 0)."""
    return -np.arange(data.n_rows, dtype=np.float64)


def empirical_rates(log, width):
    counts = np.zeros(width)
    np.add.at(counts, log.position - 1, log.y)
    return counts / N_SESSIONS


def tolerance(p):
    return 4.5 * np.sqrt(np.maximum(p * (1 - p), 1e-4) / N_SESSIONS)


def test_relevance_probability_formula():
    r = relevance_probability(np.array([0.0, 1.0, 2.0]), 2.0, 0.1)
    np.testing.assert_allclose(r, [0.1, 0.1 + 0.9 / 3, 1.0])


@pytest.mark.parametrize("eta, noise", [(0.5, 0.1), (1.0, 0.0), (2.0, 0.2)])
def test_pbm_click_rate_per_rank_and_grade(eta, noise):
    labels = [2, 0, 1, 2, 0, 1, 2, 1]
    data = one_query(labels)
    log = simulate_clicks(data, shown_in_row_order(data), "pbm", random_state=1,
                          n_sessions=N_SESSIONS, eta=eta, noise=noise)
    ranks = np.arange(1, len(labels) + 1)
    expected = (1 / ranks) ** eta * relevance_probability(np.array(labels, float), 2.0, noise)
    observed = empirical_rates(log, len(labels))
    assert np.all(np.abs(observed - expected) <= tolerance(expected))


def test_cascade_first_click_probabilities():
    labels = np.array([1, 0, 2, 1, 2], dtype=float)
    data = one_query(labels)
    log = simulate_clicks(data, shown_in_row_order(data), "cascade", random_state=2,
                          n_sessions=N_SESSIONS, noise=0.1)
    r = relevance_probability(labels, 2.0, 0.1)
    expected = r * np.concatenate([[1.0], np.cumprod(1 - r)[:-1]])
    observed = empirical_rates(log, labels.size)
    assert np.all(np.abs(observed - expected) <= tolerance(expected))


def test_dcm_click_probabilities():
    labels = np.array([2, 1, 0, 2, 1, 2], dtype=float)
    continuation = [0.8, 0.6, 0.4]
    data = one_query(labels)
    log = simulate_clicks(data, shown_in_row_order(data), "dcm", random_state=3,
                          n_sessions=N_SESSIONS, noise=0.05, continuation=continuation)
    r = relevance_probability(labels, 2.0, 0.05)
    lam = DependentClickModel(continuation=continuation).continuation_after_click(labels.size)
    examined, expected = 1.0, []
    for k in range(labels.size):      # brute force: E[k+1] = E[k] (1 - r_k + r_k lambda_k)
        expected.append(examined * r[k])
        examined *= 1 - r[k] + r[k] * lam[k]
    observed = empirical_rates(log, labels.size)
    expected = np.array(expected)
    assert np.all(np.abs(observed - expected) <= tolerance(expected))


def test_threshold_cascade_is_allranks_rule():
    labels = np.array([1, 2, 0, 4, 3], dtype=float)
    data = one_query(labels)
    log = simulate_clicks(data, shown_in_row_order(data), "threshold", random_state=0,
                          eta=0.0, threshold=2)
    np.testing.assert_array_equal(log.y, [0, 1, 0, 1, 1])
    log = simulate_clicks(data, shown_in_row_order(data), "threshold", random_state=4,
                          n_sessions=N_SESSIONS, eta=1.0, threshold=1)
    expected = (1 / np.arange(1, 6)) * (labels >= 1)
    assert np.all(np.abs(empirical_rates(log, 5) - expected) <= tolerance(expected))


def test_random_and_fixed_models():
    data = one_query([0, 1, 2, 0, 1, 2])
    log = simulate_clicks(data, shown_in_row_order(data), "random", random_state=0,
                          n_sessions=50, output="impressions", n_clicks=2)
    per_session = np.bincount(np.unique(log.qid, return_inverse=True)[1], weights=log.y)
    assert np.all(per_session == 2)
    log = simulate_clicks(data, shown_in_row_order(data), "fixed", click_ranks=[1, 3, 9])
    np.testing.assert_array_equal(log.y, [1, 0, 1, 0, 0, 0])


def test_duplicate_aware_drops_clicks_on_duplicates():
    X = np.array([[1, 1], [1, 1], [0, 0], [1, 0.99]], dtype=np.float32)
    data = RankingData(X, np.full(4, 2.0), np.zeros(4, dtype=np.int64))
    everything = ThresholdCascadeModel(eta=0.0, threshold=0.0)
    log = simulate_clicks(data, shown_in_row_order(data), "duplicate_aware",
                          inner=everything, duplicate_margin=0.1)
    np.testing.assert_array_equal(log.y, [1, 0, 1, 0])


def test_diverse_clicks_skip_documents_close_to_a_clicked_one():
    X = np.array([[0, 1], [0, 1], [2, 2], [1, 1]], dtype=np.float32)
    data = RankingData(X, np.ones(4), np.zeros(4, dtype=np.int64))
    log = simulate_clicks(data, shown_in_row_order(data), "diverse")
    np.testing.assert_array_equal(log.y, [1, 0, 1, 0])     # allRank's own test case


def test_logging_ranker_order_top_k_and_positions():
    rng = np.random.default_rng(0)
    qid = np.repeat([5, 7, 9], [4, 12, 1])
    data = RankingData(rng.normal(size=(17, 2)), rng.integers(0, 3, 17), qid,
                       docid=np.array([f"d{i}" for i in range(17)]))
    scores = rng.normal(size=17)
    rows, positions = logged_ranking(data, scores, n_shown=3)
    for q in (5, 7, 9):          # brute force: sort each query's rows by score, keep 3
        members = np.flatnonzero(qid == q)
        best = members[np.argsort(-scores[members], kind="stable")][:3]
        np.testing.assert_array_equal(rows[qid[rows] == q], best)
        np.testing.assert_array_equal(positions[qid[rows] == q], np.arange(1, best.size + 1))
    log = simulate_clicks(data, scores, random_state=0, n_shown=3)
    np.testing.assert_array_equal(log.docid, data.docid[rows])
    np.testing.assert_array_equal(log.position, positions)
    np.testing.assert_array_equal(log.source_row, rows)
    assert set(np.unique(log.y)) <= {0.0, 1.0}


def test_counts_equal_the_sum_of_impressions():
    data = one_query([0, 1, 2, 1, 0, 2, 2])
    scores = shown_in_row_order(data)
    counts = simulate_clicks(data, scores, "dcm", random_state=7, n_sessions=30)
    impressions = simulate_clicks(data, scores, "dcm", random_state=7, n_sessions=30,
                                  output="impressions")
    assert impressions.n_queries == 30 and impressions.n_rows == 30 * 7
    per_position = np.bincount(impressions.position - 1, weights=impressions.y)
    np.testing.assert_array_equal(per_position, counts.y)


@pytest.mark.parametrize("name", sorted(CLICK_MODELS))
def test_same_random_state_same_clicks(name):
    rng = np.random.default_rng(3)
    data = RankingData(rng.normal(size=(60, 3)), rng.integers(0, 3, 60),
                       np.repeat(np.arange(6), 10))
    scores = rng.normal(size=60)
    first = simulate_clicks(data, scores, name, random_state=11, n_sessions=5)
    second = simulate_clicks(data, scores, name, random_state=11, n_sessions=5)
    np.testing.assert_array_equal(first.y, second.y)
    np.testing.assert_array_equal(first.position, second.position)


def test_max_clicks_keeps_the_top_clicks():
    data = one_query([2, 2, 2, 2])
    log = simulate_clicks(data, shown_in_row_order(data), "threshold", eta=0.0, max_clicks=2)
    np.testing.assert_array_equal(log.y, [1, 1, 0, 0])


@pytest.mark.parametrize("kwargs, message", [
    ({"click_model": "nope"}, "click_model must be one of"),
    ({"click_model": "pbm", "eta": -1}, "eta must be"),
    ({"click_model": "pbm", "noise": 2}, "noise must be a probability"),
    ({"click_model": "pbm", "threshold": 1}, "takes"),
    ({"n_shown": 0}, "n_shown must be an integer >= 1"),
    ({"n_sessions": 1.5}, "n_sessions must be an integer >= 1"),
    ({"output": "rows"}, "output must be one of"),
    ({"random_state": -3}, "random_state must be"),
])
def test_bad_arguments_are_one_clear_error(kwargs, message):
    data = one_query([0, 1, 2])
    with pytest.raises(ValueError, match=message):
        simulate_clicks(data, np.zeros(3), **kwargs)


def test_bad_scores_and_labels():
    data = one_query([0, 1, 2])
    with pytest.raises(ValueError, match="scores has 2 entries for 3 rows"):
        simulate_clicks(data, np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        simulate_clicks(data, np.array([0, np.nan, 1]))
    negative = one_query([0, -1, 2])
    with pytest.raises(ValueError, match="labels >= 0"):
        simulate_clicks(negative, np.zeros(3))
    with pytest.raises(ValueError, match="takes"):
        get_click_model("cascade", eta=1.0)
