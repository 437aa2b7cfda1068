"""Neural rankers to ONNX (preprocessing inside the graph) and torch: onnxruntime and the
reloaded module equal `predict` within 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from boostrank.export import ExportError, export_model, load_torch_scorer  # noqa: E402


def _data(seed=0, n_queries=30, size=10, n_features=5):
    rng = np.random.default_rng(seed)
    n = n_queries * size
    X = (rng.lognormal(size=(n, n_features)) * [1, 10, 100, 1000, 1e4]).astype(np.float32)
    X[:, 0] -= 1.5  # negative values for the signed log1p
    y = rng.integers(0, 3, n)
    return X, y, np.repeat(np.arange(n_queries), size)


def _fit(cls_name, preprocessing, **extra):
    import neural

    X, y, qid = _data()
    model = getattr(neural, cls_name)(hidden_sizes=(16,), n_epochs=3, batch_size=8,
                                      preprocessing=preprocessing, device="cpu",
                                      random_state=0, **extra)
    return model.fit(X, y, qid=qid)


def _onnx_scores(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(["score"], {"input": X.astype(np.float32)})
    return scores


@pytest.mark.parametrize("cls_name,preprocessing", [
    ("RankNet", "standard"), ("ListNet", "standard"), ("RankNet", "log1p"),
    ("ListNet", "none"),
])
def test_onnx_equals_predict(cls_name, preprocessing, tmp_path):
    model = _fit(cls_name, preprocessing)
    X, _, _ = _data(seed=1)
    X[0, 2] = np.nan  # NaN maps to 0 after preprocessing, inside the graph too
    result = export_model(model, tmp_path / "m.onnx", "onnx")
    scores = _onnx_scores(result.path, X)
    predicted = model.predict(X.astype(np.float64))
    assert scores.shape == (X.shape[0],)
    np.testing.assert_allclose(scores, predicted, rtol=1e-5, atol=1e-5)


def test_batch_norm_and_dropout_export_in_eval_mode(tmp_path):
    model = _fit("RankNet", "standard", norm="batch", dropout=0.3)
    X, _, _ = _data(seed=2)
    scores = _onnx_scores(export_model(model, tmp_path / "m.onnx", "onnx").path, X)
    np.testing.assert_allclose(scores, model.predict(X.astype(np.float64)), rtol=1e-5,
                               atol=1e-5)


def test_torch_round_trip(tmp_path):
    import torch

    model = _fit("ListNet", "log1p")
    X, _, _ = _data(seed=3)
    export_model(model, tmp_path / "m.pt", "torch")
    module = load_torch_scorer(tmp_path / "m.pt")
    with torch.no_grad():
        scores = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(scores, model.predict(X.astype(np.float64)), rtol=1e-5,
                               atol=1e-5)


def test_query_level_preprocessing_is_refused(tmp_path):
    model = _fit("RankNet", "query_minmax")
    for fmt in ("onnx", "torch"):
        with pytest.raises(ExportError, match="query_minmax.*within its query"):
            export_model(model, tmp_path / "m.onnx", fmt)
    assert not any(tmp_path.iterdir())


def test_ranknet_to_a_tree_format_names_the_formats_it_has(tmp_path):
    model = _fit("RankNet", "standard")
    with pytest.raises(ExportError, match="cannot be exported to 'xgboost-json'.*onnx, torch"):
        export_model(model, tmp_path / "m.json", "xgboost-json")


@pytest.mark.parametrize("fmt", ["onnx", "torch"])
def test_attention_models_are_refused_with_the_reason(fmt, tmp_path):
    import neural

    X, y, qid = _data()
    model = neural.AttentionListNet(n_epochs=1, d_model=8, n_heads=2, d_ff=8, device="cpu",
                                    random_state=0).fit(X, y, qid=qid)
    with pytest.raises(ExportError, match="scorer='attention'.*only MLP rankers"):
        export_model(model, tmp_path / f"m.{fmt}", fmt)
