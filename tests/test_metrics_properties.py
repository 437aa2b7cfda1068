"""Property tests (hypothesis) of the evaluator under every preset."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from boostrank.metrics import PRESETS, evaluate

METRICS = ["ndcg@1", "ndcg@5", "ndcg", "map", "mrr", "precision@3", "recall@3", "err@5"]
LINEAR = ["ndcg@1", "ndcg@5", "ndcg", "map", "mrr", "precision@3", "recall@3", "dcg@3"]
NAMES = sorted(PRESETS)


def metrics_for(convention):
    return LINEAR if PRESETS[convention].ties == "average" else METRICS


def labels_for(y, convention):
    """Labels a preset accepts without warning: a gain table (letor) covers 0..2 only."""
    table = PRESETS[convention].gain_table()
    return y if table is None else np.minimum(y, table.size - 1)


@st.composite
def ranking(draw, distinct=False):
    n_queries = draw(st.integers(1, 6))
    sizes = draw(st.lists(st.integers(1, 12), min_size=n_queries, max_size=n_queries))
    n = sum(sizes)
    labels = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    if distinct:
        scores = draw(st.permutations(list(range(n))))
        scores = [v / 8.0 for v in scores]  # distinct, even in float32
    else:
        scores = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    qid = np.repeat(np.arange(n_queries), sizes)
    return np.array(labels, float), np.array(scores, float), qid


@settings(max_examples=60, deadline=None)
@given(ranking(), st.sampled_from(NAMES))
def test_values_lie_in_unit_interval(data, convention):
    y, s, qid = data
    y = labels_for(y, convention)
    _, per_query = evaluate(y, s, qid, metrics_for(convention), convention=convention,
                            per_query=True)
    for name, values in per_query.items():
        if name.startswith("dcg"):
            continue  # not normalised
        kept = values[~np.isnan(values)]
        assert np.all((kept >= -1e-12) & (kept <= 1 + 1e-12)), name


@settings(max_examples=60, deadline=None)
@given(ranking(), st.sampled_from(NAMES))
def test_perfect_ranking_scores_one(data, convention):
    y, _, qid = data
    y = labels_for(y, convention)
    perfect = y + 0.0  # scores = labels; ties only among equal labels
    metrics = [m for m in metrics_for(convention) if m.startswith(("ndcg", "map", "mrr"))]
    _, per_query = evaluate(y, perfect, qid, metrics, convention=convention, per_query=True)
    sizes = np.bincount(qid)
    has_rel = np.bincount(qid, weights=y > 0.5) > 0
    for name, values in per_query.items():
        defined = has_rel.copy()
        if name == "ndcg@5" and PRESETS[convention].short_list == "zero":
            defined &= sizes >= 5
        np.testing.assert_allclose(values[defined], 1.0, atol=1e-12, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(ranking(distinct=True), st.sampled_from(NAMES), st.randoms(use_true_random=False))
def test_permuting_rows_inside_queries_changes_nothing(data, convention, rnd):
    y, s, qid = data
    y = labels_for(y, convention)
    metrics = metrics_for(convention)
    base = evaluate(y, s, qid, metrics, convention=convention)
    perm = np.arange(y.size)
    for q in np.unique(qid):
        rows = list(np.flatnonzero(qid == q))
        shuffled = rows[:]
        rnd.shuffle(shuffled)
        perm[rows] = shuffled
    moved = evaluate(y[perm], s[perm], qid[perm], metrics, convention=convention)
    for name in metrics:
        assert abs(moved[name] - base[name]) < 1e-12, name


@settings(max_examples=60, deadline=None)
@given(ranking(), st.sampled_from(NAMES), st.integers(-5, 5))
def test_shifting_a_query_scores_changes_nothing(data, convention, shift):
    y, s, qid = data
    y = labels_for(y, convention)
    metrics = metrics_for(convention)
    _, base = evaluate(y, s, qid, metrics, convention=convention, per_query=True)
    shifted = s + shift * (qid == qid[0])  # integer scores: exact in float32 too
    _, moved = evaluate(y, shifted, qid, metrics, convention=convention, per_query=True)
    for name in metrics:
        np.testing.assert_array_equal(moved[name], base[name], err_msg=name)
