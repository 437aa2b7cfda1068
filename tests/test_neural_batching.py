"""neural.batching (length-bucketed list batches) and neural.preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neural.batching import ListBatcher  # noqa: E402
from neural.preprocessing import FeaturePreprocessor, query_minmax  # noqa: E402


def _data(sizes, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(offsets[-1])
    X = torch.from_numpy(rng.normal(size=(n, n_features)).astype(np.float32))
    y = torch.arange(n, dtype=torch.float32)  # label = row id, to check placement
    return X, y, offsets


def _collect(batcher, seed=0):
    return list(batcher.epoch(np.random.default_rng(seed)))


def test_every_row_once_placed_in_its_own_list():
    sizes = [3, 1, 50, 2, 0, 7, 4, 400, 9, 9]
    X, y, offsets = _data(sizes)
    batcher = ListBatcher(X, y, offsets, batch_size=3)
    batches = _collect(batcher)
    rows = torch.cat([b.rows for b in batches]).numpy()
    assert sorted(rows.tolist()) == list(range(int(offsets[-1])))
    query_of_row = np.repeat(np.arange(len(sizes)), sizes)
    for b in batches:
        assert b.n_lists <= 3
        assert b.labels.shape == b.mask.shape == (b.n_lists, b.list_len)
        assert int(b.mask.sum()) == len(b.rows)
        # each padded list holds exactly one whole query, in its original row order
        for row_labels, row_mask in zip(b.labels, b.mask, strict=True):
            real = row_labels[row_mask].numpy().astype(int)
            assert row_mask[: len(real)].all()  # real documents first, then padding
            q = query_of_row[real[0]]
            assert real.tolist() == list(range(offsets[q], offsets[q + 1]))
        # the padded labels are exactly the labels of the packed rows
        assert torch.equal(b.pad(y[b.rows]), b.labels)
        # similar lengths: padding of a batch is bounded
        lengths = b.mask.sum(1)
        assert b.list_len == int(lengths.max())


def test_bucketing_limits_padding():
    rng = np.random.default_rng(1)
    sizes = rng.integers(1, 1000, size=400)
    X, y, offsets = _data(sizes)
    batches = _collect(ListBatcher(X, y, offsets, batch_size=16))
    padded = sum(b.n_lists * b.list_len for b in batches)
    assert padded <= 1.3 * sizes.sum()


def test_epochs_shuffle_and_seed_reproducible():
    sizes = [5] * 40
    X, y, offsets = _data(sizes)
    batcher = ListBatcher(X, y, offsets, batch_size=4)
    first = [b.rows.tolist() for b in _collect(batcher, 0)]
    again = [b.rows.tolist() for b in _collect(batcher, 0)]
    other = [b.rows.tolist() for b in _collect(batcher, 1)]
    assert first == again
    assert first != other


def test_max_list_length_samples_within_queries():
    sizes = [3, 30, 12, 1]
    X, y, offsets = _data(sizes)
    batcher = ListBatcher(X, y, offsets, batch_size=2, max_list_length=5)
    seen = []
    for seed in range(3):
        batches = _collect(batcher, seed)
        rows = torch.cat([b.rows for b in batches]).numpy()
        assert len(rows) == len(set(rows.tolist())) == 3 + 5 + 5 + 1
        for b in batches:
            assert b.list_len <= 5
        seen.append(sorted(rows.tolist()))
    assert seen[0] != seen[1] or seen[1] != seen[2]  # fresh samples each epoch


def test_max_elements_caps_pair_tensors():
    sizes = [100] * 10 + [5] * 10
    X, y, offsets = _data(sizes)
    batcher = ListBatcher(X, y, offsets, batch_size=8, max_elements=30_000, element_power=2)
    for b in _collect(batcher):
        assert b.n_lists * b.list_len ** 2 <= 30_000 or b.n_lists == 1


def test_query_weights_follow_their_lists():
    sizes = [2, 3, 4, 5]
    X, y, offsets = _data(sizes)
    batcher = ListBatcher(X, y, offsets, batch_size=3,
                          query_weights=np.array([10.0, 20.0, 30.0, 40.0]))
    query_of_row = np.repeat(np.arange(4), sizes)
    for b in _collect(batcher):
        first = b.labels[:, 0].numpy().astype(int)
        assert b.weights.tolist() == [10.0 * (query_of_row[r] + 1) for r in first]


# ----------------------------------------------------------------------------- preprocessing


def test_standardisation_matches_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(200, 4))
    pre = FeaturePreprocessor("standard").fit(X)
    expected = (X - X.mean(0)) / X.std(0)
    np.testing.assert_allclose(pre.transform(X), expected, rtol=1e-5, atol=1e-5)
    assert pre.transform(X).dtype == np.float32


def test_log1p_signed():
    X = np.array([[-3.0, 0.0], [0.0, 10.0], [5.0, 100.0]])
    pre = FeaturePreprocessor("log1p").fit(X)
    Z = np.sign(X) * np.log1p(np.abs(X))
    np.testing.assert_allclose(pre.transform(X), (Z - Z.mean(0)) / Z.std(0), rtol=1e-5)


def test_query_minmax_against_loop():
    rng = np.random.default_rng(2)
    sizes = [4, 1, 6]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    X = rng.normal(size=(11, 3))
    X[0:4, 1] = 7.0  # constant inside a query
    out = query_minmax(X, offsets)
    for q in range(3):
        block = X[offsets[q]:offsets[q + 1]]
        span = block.max(0) - block.min(0)
        expected = np.where(span > 0, (block - block.min(0)) / np.where(span > 0, span, 1), 0)
        np.testing.assert_allclose(out[offsets[q]:offsets[q + 1]], expected, atol=1e-12)
    with pytest.raises(ValueError, match="qid= or group="):
        FeaturePreprocessor("query_minmax").fit(X).transform(X)


@pytest.mark.parametrize("method", ["standard", "log1p", "query_minmax", "none"])
def test_constant_extreme_and_nan_features_stay_finite(method):
    X = np.array([[1.0, 5.0, 1e300, -1e300, np.nan],
                  [2.0, 5.0, -1e300, 1e-300, 1.0],
                  [3.0, 5.0, 0.0, 3.0, 2.0],
                  [4.0, 5.0, 1e308, -1e308, np.nan]])
    offsets = np.array([0, 2, 4])
    pre = FeaturePreprocessor(method).fit(X, offsets)
    Z = pre.transform(X, offsets)
    assert np.isfinite(Z).all()
    if method != "none":
        assert (Z[:, 1] == 0).all()  # constant feature maps to 0
        assert np.abs(Z).max() <= 10  # huge values are standardised, not clipped to 1e4
    meta, arrays = pre.state()
    again = FeaturePreprocessor.from_state(meta, arrays).transform(X, offsets)
    np.testing.assert_array_equal(Z, again)


def test_bad_method():
    with pytest.raises(ValueError, match="preprocessing must be one of"):
        FeaturePreprocessor("zscore")
