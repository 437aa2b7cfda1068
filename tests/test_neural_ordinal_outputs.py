"""allRank's multi-output ordinal loss: the loss against a brute-force reference (values,
gradcheck, padding), its agreement with the one-score form, the threshold scorer's training
and prediction outputs, and the estimator end to end (save / load, ONNX and torch exports,
ensembles, the errors)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, _lists  # noqa: E402

import neural  # noqa: E402
from neural.losses import ordinal_loss  # noqa: E402
from neural.scorer import ThresholdScorer, build_scorer  # noqa: E402


def _threshold_batch(seed, n_thresholds=3):
    scores, labels, mask = _batch(seed, levels=n_thresholds + 1)
    gen = torch.Generator().manual_seed(seed + 100)
    logits = torch.randn(*scores.shape, n_thresholds, generator=gen, dtype=scores.dtype)
    return logits, labels, mask


def ref_multi_ordinal(logits, labels, mask):
    """Sum over thresholds of the binary cross entropy of 1[y >= t], mean over documents."""
    total, docs = 0.0, 0
    for row_logits, y_row, m_row in zip(logits.tolist(), labels.tolist(), mask.tolist(),
                                        strict=True):
        for doc_logits, label, real in zip(row_logits, y_row, m_row, strict=True):
            if not real:
                continue
            for t, z in enumerate(doc_logits, start=1):
                p = 1 / (1 + math.exp(-z))
                total += -math.log(p) if label >= t else -math.log(1 - p)
            docs += 1
    return total / docs


def test_multi_output_ordinal_equals_brute_force_and_gradchecks():
    logits, labels, mask = _threshold_batch(31)  # ties, padding, a list of length 1
    got = ordinal_loss(logits, labels, mask, multi_output=True)
    assert got.item() == pytest.approx(ref_multi_ordinal(logits, labels, mask), rel=1e-12)
    logits.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda z: ordinal_loss(z, labels, mask, multi_output=True, n_thresholds=3), (logits,))


def test_multi_output_ordinal_ignores_padding_and_matches_the_one_score_form():
    logits, labels, mask = _threshold_batch(32)
    padded = logits.masked_fill(~mask.unsqueeze(2), float("nan")).requires_grad_(True)
    value = ordinal_loss(padded, labels, mask, multi_output=True)
    assert value.item() == pytest.approx(
        ordinal_loss(logits, labels, mask, multi_output=True).item(), rel=1e-12)
    value.backward()
    assert torch.isfinite(padded.grad).all() and (padded.grad[~mask] == 0).all()
    # logits s - (t - 1/2) are exactly the one-score form's fixed cuts
    scores = logits[..., 0]
    cuts = torch.arange(1, 4, dtype=scores.dtype) - 0.5
    assert ordinal_loss(scores.unsqueeze(2) - cuts, labels, mask, multi_output=True).item() \
        == pytest.approx(ordinal_loss(scores, labels, mask, n_thresholds=3).item(), rel=1e-12)
    assert len(_lists(scores, labels, mask)) == 4


@pytest.mark.parametrize(("scores", "params", "match"), [
    (torch.zeros(2, 3), {"multi_output": True}, r"scores must have shape \[batch, list, "
                                                r"n_thresholds\], got \(2, 3\)"),
    (torch.zeros(2, 3, 4), {"multi_output": True, "n_thresholds": 2},
     "scores hold 4 threshold logits per document, n_thresholds=2"),
])
def test_multi_output_ordinal_shape_errors(scores, params, match):
    with pytest.raises(ValueError, match=match):
        ordinal_loss(scores, torch.zeros(2, 3), None, **params)


@pytest.mark.parametrize("scorer", ["mlp", "attention"])
def test_threshold_scorer_trains_on_logits_and_predicts_their_expected_label(scorer):
    params = {"d_model": 8, "n_heads": 2} if scorer == "attention" else None
    model = build_scorer(scorer, 5, scorer_params=params, n_outputs=3)
    assert isinstance(model, ThresholdScorer)
    x = torch.randn(2, 4, 5)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    inputs = (x, mask) if scorer == "attention" else (x.reshape(8, 5),)
    logits = model(*inputs)
    assert logits.shape == ((2, 4, 3) if scorer == "attention" else (8, 3))
    model.eval()
    scores = model(*inputs)
    expected = torch.sigmoid(model.scorer(*inputs)).sum(dim=-1)
    if scorer == "attention":
        expected = expected.masked_fill(~mask, 0.0)
    torch.testing.assert_close(scores, expected)
    assert model.n_outputs == 3
    with pytest.raises(ValueError, match="n_outputs must be an integer >= 1, got 0"):
        build_scorer(scorer, 5, scorer_params=params, n_outputs=0)


def _data(seed=0, n_queries=30, size=10, n_features=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * size, n_features)).astype(np.float32)
    y = np.clip(np.round(X[:, 0] + rng.normal(scale=0.5, size=len(X))), 0, 2).astype(int)
    return X, y, np.repeat(np.arange(n_queries), size)


def _fit(**extra):
    X, y, qid = _data()
    return neural.NeuralRanker(loss="ordinal", loss_params={"n_thresholds": 2,
                                                            "multi_output": True},
                               hidden_sizes=(16,), n_epochs=20, batch_size=8, device="cpu",
                               random_state=0, **extra).fit(X, y, qid=qid)


def test_multi_output_ordinal_ranker_round_trips_and_exports(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from boostrank.estimator import BaseRanker
    from boostrank.export import export_model, load_torch_scorer
    from neural.scorer import scorer_outputs

    model = _fit()
    assert scorer_outputs(model.model_) == 2 and scorer_outputs(_fit(ensemble_size=2).model_) == 2
    X, y, _ = _data(seed=1)
    scores = model.predict(X.astype(np.float64))
    assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 2)).all()
    assert np.corrcoef(scores, y)[0, 1] > 0.5  # it learned the grades
    np.testing.assert_array_equal(BaseRanker.load(model.save(tmp_path / "m.zip")).predict(
        X.astype(np.float64)), scores)
    session = ort.InferenceSession(str(export_model(model, tmp_path / "m.onnx", "onnx").path),
                                   providers=["CPUExecutionProvider"])
    (onnx_scores,) = session.run(["score"], {"input": X})
    np.testing.assert_allclose(onnx_scores, scores, rtol=1e-5, atol=1e-5)
    export_model(model, tmp_path / "m.pt", "torch")
    with torch.no_grad():
        torch_scores = load_torch_scorer(tmp_path / "m.pt")(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(torch_scores, scores, rtol=1e-5, atol=1e-5)


def test_multi_output_ordinal_ensembles_and_attention():
    X, y, qid = _data(seed=2)
    ensemble = _fit(ensemble_size=2)
    assert np.isfinite(ensemble.predict(X.astype(np.float64))).all()
    attention = neural.NeuralRanker(
        loss="ordinal", loss_params={"n_thresholds": 2, "multi_output": True},
        scorer="attention", scorer_params={"d_model": 8, "n_heads": 2}, n_epochs=2,
        batch_size=8, device="cpu", random_state=0).fit(X, y, qid=qid)
    assert np.isfinite(attention.predict(X.astype(np.float64), qid=qid)).all()


@pytest.mark.parametrize(("params", "extra", "match"), [
    ({"multi_output": True}, {}, "multi_output=True needs n_thresholds"),
    ({"multi_output": True, "n_thresholds": 2}, {"position_bias": "learned"},
     "position_bias='learned' is not supported with the multi-output ordinal loss"),
    ({"multi_output": "yes", "n_thresholds": 2}, {}, "multi_output must be True or False"),
])
def test_multi_output_ordinal_errors_before_training(params, extra, match):
    X, y, qid = _data()
    model = neural.NeuralRanker(loss="ordinal", loss_params=params, n_epochs=1, **extra)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, qid=qid)
    assert not hasattr(model, "history_")


def test_ordinal_warns_when_its_thresholds_merge_the_top_grades():
    X, y, qid = _data()
    y = y.copy()
    y[:5] = 4  # labels 0-2 and a few 4s, two thresholds
    model = neural.NeuralRanker(loss="ordinal", loss_params={"n_thresholds": 2,
                                                             "multi_output": True},
                                n_epochs=1, device="cpu", random_state=0)
    with pytest.warns(UserWarning, match=r"treats every label above 2 as 2, and .* goes up to "
                                         r"4; set n_thresholds=4"):
        model.fit(X, y, qid=qid)
