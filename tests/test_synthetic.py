"""The synthetic generator: determinism, shapes, labels, and that it rewards non-linear models."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from boostrank.data import RankingData
from boostrank.data.synthetic import make_ranking


def ndcg_at_10(y: np.ndarray, score: np.ndarray, offsets: np.ndarray) -> float:
    """Brute-force reference NDCG@10 (exp gain, log2 discount, stable ties, empty ideal = 1)."""
    values = []
    for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
        labels, s = y[start:stop], score[start:stop]
        order = sorted(range(len(s)), key=lambda i: -s[i])[:10]
        dcg = sum((2 ** labels[i] - 1) / np.log2(r + 2) for r, i in enumerate(order))
        ideal = sorted(labels, reverse=True)[:10]
        idcg = sum((2 ** g - 1) / np.log2(r + 2) for r, g in enumerate(ideal))
        values.append(1.0 if idcg == 0 else dcg / idcg)
    return float(np.mean(values))


def test_shapes_and_groups():
    data = make_ranking(50, (3, 12), 7, random_state=1)
    assert isinstance(data, RankingData)
    assert data.n_queries == 50 and data.n_features == 7
    assert data.group_sizes.min() >= 3 and data.group_sizes.max() <= 12
    assert len(np.unique(data.group_sizes)) > 3  # sizes really vary
    assert data.n_rows == data.group_sizes.sum() == data.y.size == data.qid.size
    np.testing.assert_array_equal(data.query_ids, np.arange(1, 51))
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert np.all((data.X >= 0) & (data.X <= 1))
    assert data.docid[0] == "D1-0" and data.docid[data.group_offsets[1]] == "D2-0"
    fixed = make_ranking(4, 9, 3, random_state=0)
    assert fixed.group_sizes.tolist() == [9, 9, 9, 9]
    assert make_ranking(3, (5, 5), 2, random_state=0).group_sizes.tolist() == [5, 5, 5]


def test_deterministic_for_a_seed():
    a = make_ranking(40, (5, 20), 10, random_state=123, sparsity=0.2)
    b = make_ranking(40, (5, 20), 10, random_state=123, sparsity=0.2)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.qid, b.qid)
    np.testing.assert_array_equal(a.docid, b.docid)
    c = make_ranking(40, (5, 20), 10, random_state=124, sparsity=0.2)
    assert a.X.shape != c.X.shape or not np.array_equal(a.X, c.X)
    # SeedSequence accepted and equivalent to the int
    d = make_ranking(40, (5, 20), 10, random_state=np.random.SeedSequence(123), sparsity=0.2)
    np.testing.assert_array_equal(a.X, d.X)


@pytest.mark.parametrize("levels", [2, 3, 5, 7])
def test_label_range_and_skew(levels):
    data = make_ranking(400, 20, 12, relevance_levels=levels, random_state=3)
    counts = np.bincount(data.y.astype(int), minlength=levels)
    assert data.y.min() == 0 and data.y.max() == levels - 1
    assert np.array_equal(data.y, np.round(data.y))
    assert counts.size == levels and np.all(counts > 0)
    # each grade rarer than the one below (about half as frequent)
    assert np.all(np.diff(counts) < 0)
    # per-query effects: some queries have no relevant document, others many
    relevant = np.add.reduceat((data.y > 0).astype(int), data.group_offsets[:-1])
    assert relevant.min() == 0 and relevant.max() >= 15


def test_sparsity_decimals_and_sparse_output():
    dense = make_ranking(100, 10, 20, sparsity=0.4, decimals=3, random_state=5)
    zero_fraction = np.mean(dense.X == 0)
    assert 0.33 < zero_fraction < 0.45  # 19 of 20 columns at 40%, the context column never
    np.testing.assert_array_equal(dense.X, np.round(dense.X, 3))
    csr = make_ranking(100, 10, 20, sparsity=0.4, decimals=3, random_state=5, sparse=True)
    assert sp.issparse(csr.X)
    np.testing.assert_array_equal(csr.X.toarray(), dense.X)
    np.testing.assert_array_equal(csr.y, dense.y)


def test_teacher_does_not_depend_on_query_count():
    """Same seed, more queries: the label distribution stays the same (fixed cut-offs)."""
    small = make_ranking(300, 20, 10, random_state=9)
    large = make_ranking(1200, 20, 10, random_state=9)
    p_small = np.bincount(small.y.astype(int), minlength=5) / small.n_rows
    p_large = np.bincount(large.y.astype(int), minlength=5) / large.n_rows
    assert np.abs(p_small - p_large).max() < 0.05


def test_tiny_feature_counts_work():
    for n_features in (1, 2, 3):
        data = make_ranking(30, (2, 6), n_features, random_state=0)
        assert data.n_features == n_features
        assert set(np.unique(data.y)) <= set(range(5))


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_queries=0, docs_per_query=5, n_features=3), "n_queries"),
    (dict(n_queries=5, docs_per_query=0, n_features=3), "docs_per_query"),
    (dict(n_queries=5, docs_per_query=(6, 3), n_features=3), "docs_per_query"),
    (dict(n_queries=5, docs_per_query="many", n_features=3), "docs_per_query"),
    (dict(n_queries=5, docs_per_query=5, n_features=0), "n_features"),
    (dict(n_queries=5, docs_per_query=5, n_features=3, relevance_levels=1), "relevance_levels"),
    (dict(n_queries=5, docs_per_query=5, n_features=3, noise=-1.0), "noise"),
    (dict(n_queries=5, docs_per_query=5, n_features=3, sparsity=1.0), "sparsity"),
    (dict(n_queries=5, docs_per_query=5, n_features=3, noise="loud"), "noise"),
    (dict(n_queries=5, docs_per_query=(1, 2, 3), n_features=3), "docs_per_query"),
    (dict(n_queries=5, docs_per_query=5, n_features=3, decimals=0), "decimals"),
])
def test_bad_arguments_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ranking(**kwargs)


def test_trees_beat_linear_and_random_by_far():
    lightgbm = pytest.importorskip("lightgbm")
    from sklearn.linear_model import Ridge

    data = make_ranking(400, (5, 40), 20, random_state=0)
    train, test = data.queries(slice(0, 300)), data.queries(slice(300, 400))
    trees = lightgbm.LGBMRanker(n_estimators=80, num_leaves=15, learning_rate=0.1,
                                min_child_samples=10, random_state=0, verbose=-1, n_jobs=1)
    trees.fit(train.X, train.y, group=train.group_sizes)
    linear = Ridge(alpha=1.0).fit(train.X, train.y)
    rng = np.random.default_rng(0)
    ndcg_trees = ndcg_at_10(test.y, trees.predict(test.X), test.group_offsets)
    ndcg_linear = ndcg_at_10(test.y, linear.predict(test.X), test.group_offsets)
    ndcg_random = np.mean([ndcg_at_10(test.y, rng.normal(size=test.n_rows), test.group_offsets)
                           for _ in range(5)])
    assert ndcg_trees > ndcg_linear + 0.08, (ndcg_trees, ndcg_linear)
    assert ndcg_trees > ndcg_random + 0.3, (ndcg_trees, ndcg_random)
    assert ndcg_linear > ndcg_random + 0.1  # a linear model is not useless either


def test_noise_controls_difficulty():
    lightgbm = pytest.importorskip("lightgbm")

    def score(noise: float) -> float:
        data = make_ranking(300, 20, 10, noise=noise, random_state=4)
        train, test = data.queries(slice(0, 200)), data.queries(slice(200, 300))
        model = lightgbm.LGBMRanker(n_estimators=60, num_leaves=15, random_state=0,
                                    verbose=-1, n_jobs=1)
        model.fit(train.X, train.y, group=train.group_sizes)
        return ndcg_at_10(test.y, model.predict(test.X), test.group_offsets)

    assert score(0.0) > score(1.5) + 0.1


# ---------------------------------------------------------------------------- bundled sample
def _make_sample_module(repo_root):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", repo_root / "data" /
                                                  "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_sample_is_reproducible_and_small(repo_root, sample_dir, tmp_path):
    pytest.importorskip("boostrank.data.libsvm")
    from boostrank.data import load_libsvm

    make_sample = _make_sample_module(repo_root)
    fresh = make_sample.write(tmp_path)
    total = 0
    for name, path in fresh.items():
        committed = sample_dir / f"{name}.txt"
        assert committed.is_file(), f"{committed} is missing: run python data/make_sample.py"
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} differs from a fresh generation: run python data/make_sample.py")
        total += committed.stat().st_size
    assert total <= make_sample.MAX_TOTAL_BYTES
    for name, n_queries in make_sample.SPLIT_QUERIES.items():
        data = load_libsvm(sample_dir / f"{name}.txt")
        assert data.n_queries == n_queries and data.n_features == 30
        assert data.group_sizes.min() >= 5 and data.group_sizes.max() <= 30
        assert set(np.unique(data.y)) == {0.0, 1.0, 2.0, 3.0, 4.0}
        assert data.docid is not None and data.docid[0].startswith("D")


def test_seed_is_a_deprecated_alias_of_random_state():
    with pytest.warns(DeprecationWarning, match="random_state"):
        old = make_ranking(20, (3, 9), 5, seed=7)
    new = make_ranking(20, (3, 9), 5, random_state=7)
    np.testing.assert_array_equal(old.X, new.X)
    np.testing.assert_array_equal(old.y, new.y)
    assert not np.array_equal(make_ranking(20, (3, 9), 5, random_state=8).X.shape, new.X.shape) \
        or not np.array_equal(make_ranking(20, (3, 9), 5, random_state=8).X, new.X)
    with pytest.raises(ValueError, match="random_state only"):
        make_ranking(20, 5, 5, seed=1, random_state=1)
