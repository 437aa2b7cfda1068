"""preprocessing="thermometer": the quantile-indicator encoding against a brute-force
reference, its state, its size bound, and a NeuralRanker that trains, saves and loads with it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from neural import RankNet  # noqa: E402
from neural.preprocessing import (  # noqa: E402
    MAX_EXPANDED_ELEMENTS,
    FeaturePreprocessor,
    thermometer_edges,
)


def _features(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * np.array([1.0, 50.0, 0.1])
    X[rng.random(n) < 0.4, 0] = 0.0          # a feature absent for 40 % of the rows
    X[:, 2] = np.round(X[:, 2], 1)            # few distinct values: merged edges
    X[5, 1] = np.nan
    return X


def _reference(X_train, X):
    """Brute force: sort each feature's non-zero training values, take the quantiles one by
    one, then compare every value with every edge in plain Python."""
    edges = []
    for j in range(X_train.shape[1]):
        values = sorted(v for v in X_train[:, j] if np.isfinite(v) and v != 0)
        found = set()
        for k in range(1, 16):
            found.add(float(np.quantile(values, k / 16)))
        edges.append(sorted(found))
    rows = []
    for x in X:
        row = list(x)
        for j, feature_edges in enumerate(edges):
            row += [1.0 if (np.isfinite(x[j]) and x[j] > e) else 0.0 for e in feature_edges]
        row += [1.0 if x[j] == 0 else 0.0 for j in range(len(x))]
        rows.append(row)
    E = np.array(rows, dtype=np.float64)
    return edges, E


def test_thermometer_matches_a_brute_force_reference():
    X_train, X_new = _features(0), _features(1, n=40)
    edges, E_train = _reference(X_train, X_train)
    found, counts = thermometer_edges(X_train)
    assert counts.tolist() == [len(e) for e in edges]
    np.testing.assert_allclose(found, np.concatenate(edges))
    assert counts[2] < 15  # the rounded feature's repeated quantiles were merged
    pre = FeaturePreprocessor("thermometer").fit(X_train)
    assert pre.n_outputs_ == E_train.shape[1] == 6 + counts.sum()
    mean = np.nanmean(E_train, axis=0)
    std = np.nanstd(E_train, axis=0)
    scale = np.where(std > 1e-12, std, 1.0)
    _, E_new = _reference(X_train, X_new)
    expected = np.nan_to_num((E_new - mean) / scale, nan=0.0)
    np.testing.assert_allclose(pre.transform(X_new), expected, rtol=1e-5, atol=1e-5)
    assert np.isfinite(pre.transform(X_train)).all()


def test_thermometer_state_round_trip():
    X = _features()
    pre = FeaturePreprocessor("thermometer").fit(X)
    meta, arrays = pre.state()
    again = FeaturePreprocessor.from_state(meta, arrays)
    np.testing.assert_array_equal(again.transform(X), pre.transform(X))


def test_thermometer_refuses_an_output_beyond_the_bound():
    pre = FeaturePreprocessor("thermometer").fit(_features())
    too_many = MAX_EXPANDED_ELEMENTS // pre.n_outputs_ + 1
    with pytest.raises(ValueError, match="thermometer.*columns.*preprocessing='standard'"):
        pre._check_expanded_size(too_many)


def test_ranknet_with_thermometer_trains_saves_and_loads(ranking_splits, tmp_path):
    train, valid, test = ranking_splits((40, 10, 10), (4, 9), 5, random_state=2)
    model = RankNet(preprocessing="thermometer", hidden_sizes=(16,), n_epochs=3,
                    random_state=0).fit(train, eval_set=valid)
    first = next(m for m in model.model_.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == model.preprocessor_.n_outputs_ > 2 * train.n_features
    scores = model.predict(test.X)
    path = model.save(tmp_path / "therm.brm")
    loaded = type(model).load(path)
    np.testing.assert_array_equal(loaded.predict(test.X), scores)
    again = RankNet(preprocessing="thermometer", hidden_sizes=(16,), n_epochs=3,
                    random_state=0).fit(train, eval_set=valid)
    np.testing.assert_array_equal(again.predict(test.X), scores)


def _edge_rows(model, X_like):
    """Rows whose values sit on every thermometer edge, one float32 step either side, at 0 and
    NaN: where an indicator can flip."""
    pre = model.preprocessor_
    n_features = X_like.shape[1]
    feature_of_edge = np.repeat(np.arange(n_features), pre.edge_counts_)
    rows = []
    for index, (edge, feature) in enumerate(zip(pre.edges_, feature_of_edge, strict=True)):
        for value in (np.float32(edge), np.nextafter(np.float32(edge), np.float32(np.inf)),
                      np.nextafter(np.float32(edge), np.float32(-np.inf))):
            row = np.asarray(X_like[index % len(X_like)], dtype=np.float32).copy()
            row[feature] = value
            rows.append(row)
    special = np.asarray(X_like[:2], dtype=np.float32).copy()
    special[0, :] = 0.0
    special[1, ::2] = np.nan
    return np.vstack([np.asarray(rows, dtype=np.float32), special])


@pytest.mark.parametrize("ensemble_size", [1, 2])
def test_thermometer_models_export_to_onnx_and_torch_equal_to_predict(ranking_splits, tmp_path,
                                                                       ensemble_size):
    ort = pytest.importorskip("onnxruntime")
    import torch

    from boostrank.export import export_model, load_torch_scorer

    train, _, test = ranking_splits((20, 5, 5), (4, 8), 4, random_state=3)
    model = RankNet(preprocessing="thermometer", hidden_sizes=(8,), n_epochs=2,
                    ensemble_size=ensemble_size, random_state=0).fit(train)
    dense = np.asarray(test.X.toarray() if hasattr(test.X, "toarray") else test.X)
    X = np.vstack([dense.astype(np.float32), _edge_rows(model, dense)])
    expected = model.predict(X.astype(np.float64))
    session = ort.InferenceSession(str(export_model(model, tmp_path / "m.onnx", "onnx").path),
                                   providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["score"], {"input": X})[0], expected,
                               rtol=1e-5, atol=1e-5)
    module = load_torch_scorer(export_model(model, tmp_path / "m.pt", "torch").path)
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(X)).numpy(), expected, rtol=1e-5,
                                   atol=1e-5)


def test_float32_edges_never_flip_an_indicator():
    from boostrank.export.onnx_neural import float32_edges

    rng = np.random.default_rng(0)
    edges = np.concatenate([rng.uniform(-3, 3, 500),
                            rng.uniform(0, 1, 50).astype(np.float32).astype(np.float64)])
    rounded = float32_edges(edges)
    assert rounded.dtype == np.float32 and (rounded.astype(np.float64) <= edges).all()
    for x in np.concatenate([rounded, np.nextafter(rounded, np.float32(np.inf)),
                             edges.astype(np.float32)]):
        np.testing.assert_array_equal(np.float64(x) > edges, x > rounded)
