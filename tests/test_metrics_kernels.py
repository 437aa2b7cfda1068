"""The packed-key ranking and the sort-free ideal DCG against straightforward references."""

from __future__ import annotations

import numpy as np
import pytest

from boostrank.metrics import Convention, Evaluator, evaluate
from boostrank.metrics import kernels as K


def _layout(sizes):
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    qidx, pos = K.positions(offsets)
    return offsets, qidx, pos


@pytest.mark.parametrize("mode", ["stable", "reverse", "custom"])
def test_rank_order_equals_lexsort(mode):
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 3000, size=300)  # many rows per query: fewer score bits in the key
    offsets, qidx, pos = _layout(sizes)
    n = pos.size
    base = rng.choice([1.0, -1.0, 0.0, -0.0, 1e300, -1e-300, 3.5], size=n)
    # distinct values that agree on their leading bits, plus exact ties
    scores = base * (1.0 + rng.integers(0, 4, size=n) * 2.0 ** -50)
    tiebreak = rng.permutation(n).astype(np.int64) if mode == "custom" else None
    order = K.rank_order(offsets, qidx, pos, scores, tiebreak=tiebreak,
                         tiebreak_max=n - 1, reverse=mode == "reverse")
    second = {"stable": pos, "reverse": -pos, "custom": tiebreak}[mode]
    expected = np.lexsort((second, -scores, qidx))
    np.testing.assert_array_equal(order, expected)


def test_zero_signs_tie():
    offsets, qidx, pos = _layout([3])
    order = K.rank_order(offsets, qidx, pos, np.array([0.0, -0.0, 0.0]))
    np.testing.assert_array_equal(order, [0, 1, 2])


def test_ideal_dcg_without_sorting_equals_sorting():
    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 40, size=50)
    qid = np.repeat(np.arange(50), sizes)
    y = rng.integers(0, 5, size=qid.size).astype(float)
    metrics = "ndcg@1,ndcg@3,ndcg@10,ndcg@100,ndcg"
    ev = Evaluator(y, qid, metrics)
    by_sort = ev._ideal_by_sort([1, 3, 10, 100, None])
    for k, values in by_sort.items():
        np.testing.assert_allclose(ev._ideal[k], values, rtol=1e-13, atol=0)


def test_real_valued_labels_use_the_sorting_path():
    conv = Convention(name="graded", gain="linear", empty="zero")
    y = np.array([0.25, 1.5, 0.75, 0.0, 2.5])
    s = np.array([0.9, 0.1, 0.5, 0.3, 0.2])
    # ranked labels 0.25, 0.75, 0.0, 2.5, 1.5 ; ideal 2.5, 1.5, 0.75, 0.25, 0.0
    disc = 1 / np.log2(np.arange(2, 7))
    dcg = np.dot([0.25, 0.75, 0.0, 2.5, 1.5], disc)
    idcg = np.dot([2.5, 1.5, 0.75, 0.25, 0.0], disc)
    got = evaluate(y, s, metrics="ndcg,ndcg@2", convention=conv)
    assert got["ndcg"] == pytest.approx(dcg / idcg, rel=1e-14)
    assert got["ndcg@2"] == pytest.approx(np.dot([0.25, 0.75], disc[:2])
                                          / np.dot([2.5, 1.5], disc[:2]), rel=1e-14)
