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


def test_thermometer_models_are_refused_by_onnx_export_with_the_reason(ranking_splits,
                                                                        tmp_path):
    pytest.importorskip("onnx")
    from boostrank.export import ExportError, export_model

    train, _, _ = ranking_splits((20, 5, 5), (4, 8), 4, random_state=3)
    model = RankNet(preprocessing="thermometer", hidden_sizes=(8,), n_epochs=1,
                    random_state=0).fit(train)
    with pytest.raises(ExportError, match="thermometer.*exportable preprocessing"):
        export_model(model, tmp_path / "m.onnx", format="onnx")
