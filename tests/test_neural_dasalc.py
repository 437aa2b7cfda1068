"""DASALC's scorer and `DASALCRanker`: the network against a per-list reference written here,
batch normalisation over real documents only, padding and order invariance, errors, and the
estimator's fit / predict / save / load / tuning paths."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import neural  # noqa: E402
from boostrank.data import make_ranking  # noqa: E402
from boostrank.estimator import BaseRanker  # noqa: E402
from neural.dasalc import DASALCScorer  # noqa: E402

SMALL = dict(hidden_size=12, tower_layers=2, n_layers=2, n_heads=2, head_size=6)
FAST = dict(hidden_size=16, n_layers=1, head_size=8, n_epochs=3, batch_size=8, device="cpu",
            random_state=0)


def _inputs(batch=3, length=6, n_features=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, length, n_features, generator=gen, dtype=torch.float64)
    mask = torch.arange(length).unsqueeze(0) < torch.tensor([[length], [4], [1]])[:batch]
    return x, mask


def _scorer(seed=0, dropout=0.0, **kw):
    torch.manual_seed(seed)
    model = DASALCScorer(5, dropout=dropout, **{**SMALL, **kw}).double()
    for module in model.modules():  # non-trivial running statistics for the eval-mode checks
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model


def _linear(layer, v):
    return [sum(w * a for w, a in zip(row, v, strict=True)) + b
            for row, b in zip(layer.weight.tolist(), layer.bias.tolist(), strict=True)]


def _batch_norm(bn, v, stats=None):
    mean, var = stats if stats else (bn.running_mean.tolist(), bn.running_var.tolist())
    return [(a - m) / math.sqrt(s + bn.eps) * g + b for a, m, s, g, b in
            zip(v, mean, var, bn.weight.tolist(), bn.bias.tolist(), strict=True)]


def _layer_norm(norm, v):
    mean = sum(v) / len(v)
    var = sum((a - mean) ** 2 for a in v) / len(v)
    return [(a - mean) / math.sqrt(var + norm.eps) * g + b
            for a, g, b in zip(v, norm.weight.tolist(), norm.bias.tolist(), strict=True)]


def _relu(v):
    return [max(a, 0.0) for a in v]


def _attention_layer(layer, docs):
    """One document-interaction layer over the real documents ``docs`` (lists of floats)."""
    heads, size = layer.n_heads, layer.head_size
    q, k, v = ([_linear(p, d) for d in docs] for p in (layer.query, layer.key, layer.value))
    out = []
    for i in range(len(docs)):
        joined = []
        for h in range(heads):
            part = slice(h * size, (h + 1) * size)
            logits = [sum(a * b for a, b in zip(q[i][part], k[j][part], strict=True))
                      / math.sqrt(size) for j in range(len(docs))]
            top = max(logits)
            weights = [math.exp(a - top) for a in logits]
            weights = [w / sum(weights) for w in weights]
            joined += [sum(w * v[j][part][c] for j, w in enumerate(weights))
                       for c in range(size)]
        projected = _linear(layer.output, joined)
        out.append(_layer_norm(layer.norm, [a + b for a, b in zip(docs[i], projected,
                                                                   strict=True)]))
    return out


def _reference_scores(model, docs):
    """DASALC's eval-mode scores of one list, document by document, in plain Python."""
    context = [_relu(_linear(model.interaction_input, d)) for d in docs]
    for layer in model.interaction:
        context = _attention_layer(layer, context)
    scores = []
    for d, c in zip(docs, context, strict=True):
        h = _batch_norm(model.input_norm.norm, d)
        for block in model.tower:
            h = _batch_norm(block["norm"].norm, _relu(_linear(block["linear"], h)))
        h = _linear(model.tower_output, h)
        a = _linear(model.context, _batch_norm(model.context_norm.norm, c))
        crossed = _relu([t * (1.0 + s) for t, s in zip(h, a, strict=True)])
        scores.append(_linear(model.output, crossed)[0])
    return scores


def test_eval_scores_equal_a_per_list_reference_written_by_hand():
    model = _scorer().eval()
    x, mask = _inputs()
    out = model(x, mask)
    for row in range(x.shape[0]):
        docs = x[row][mask[row]].tolist()
        expected = _reference_scores(model, docs)
        assert out[row][mask[row]].tolist() == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert (out[~mask] == 0).all()


def test_training_batch_norm_uses_the_real_documents_only():
    model = _scorer().train()
    x, mask = _inputs()
    real = x[mask]
    expected = torch.nn.functional.batch_norm(
        real, None, None, model.input_norm.norm.weight, model.input_norm.norm.bias,
        training=True, eps=model.input_norm.norm.eps)
    got = model.input_norm(x, mask)
    assert torch.allclose(got[mask], expected, atol=1e-12)
    assert (got[~mask] == 0).all()
    unbiased = real.var(dim=0, unbiased=True)  # PyTorch keeps the unbiased variance running
    momentum = model.input_norm.norm.momentum
    fresh = _scorer().train()
    before = fresh.input_norm.norm.running_var.clone()
    fresh.input_norm(x, mask)
    running = (1 - momentum) * before + momentum * unbiased
    assert torch.allclose(fresh.input_norm.norm.running_var, running, atol=1e-12)


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_scores_do_not_depend_on_padding_even_nan(training):
    model = _scorer().train(training)
    x, mask = _inputs()
    base = model(x, mask)
    wider = torch.cat([mask, torch.zeros(3, 4, dtype=torch.bool)], 1)
    garbage = torch.cat([x, torch.full((3, 4, 5), 1e3, dtype=torch.float64)], dim=1)
    garbage[~wider] = float("nan")
    out = model(garbage, wider)
    assert torch.allclose(out[:, :6][mask], base[mask], atol=1e-10)
    assert (out[~wider] == 0).all() and torch.isfinite(out).all()


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_permutation_equivariance(training):
    model = _scorer().train(training)
    x, mask = _inputs(batch=1)
    perm = torch.randperm(6, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(model(x[:, perm], mask[:, perm]), model(x, mask)[:, perm], atol=1e-10)


def test_a_document_is_scored_in_the_context_of_its_list():
    model = _scorer().eval()
    x, mask = _inputs(batch=1)
    changed = x.clone()
    changed[0, 5] += 3.0
    before, after = model(x, mask)[0, :5], model(changed, mask)[0, :5]
    assert not torch.allclose(before, after)  # the other documents' scores moved
    model.context.weight.data.zero_()
    model.context.bias.data.zero_()  # no context: a per-document network again
    assert torch.allclose(model(x, mask)[0, :5], model(changed, mask)[0, :5])


def test_one_real_document_and_empty_lists_train_and_score_finitely():
    model = _scorer(dropout=0.3).train()
    x, mask = _inputs()
    only_one = torch.zeros_like(mask)
    only_one[0, 0] = True
    scores = model(x, only_one)  # batch norm falls back to the running statistics
    scores.sum().backward()
    assert torch.isfinite(scores).all() and scores[0, 0] != 0
    empty = torch.zeros_like(mask)
    assert (model.eval()(x, empty) == 0).all()


def test_gradients_reach_every_parameter():
    model = _scorer().train()
    x, mask = _inputs()
    model(x, mask).sum().backward()
    missing = [name for name, p in model.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.any()]
    assert not missing


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hidden_size": 0}, "hidden_size must be an integer >= 1"),
    ({"n_heads": 1.5}, "n_heads must be an integer >= 1"),
    ({"head_size": True}, "head_size must be an integer >= 1"),
    ({"n_layers": 0}, "n_layers must be an integer >= 1"),
    ({"tower_layers": -1}, "tower_layers must be an integer >= 0"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=f"DASALCScorer: {match}"):
        DASALCScorer(5, **{**SMALL, **kwargs})


def test_bad_inputs_and_batches_too_large(monkeypatch):
    from neural import attention

    model = _scorer().eval()
    x, mask = _inputs()
    with pytest.raises(ValueError, match=r"x must have shape \[batch, list, 5\]"):
        model(x[..., :4], mask)
    with pytest.raises(ValueError, match="mask shape"):
        model(x, mask[:, :3])
    monkeypatch.setattr(attention, "MAX_ATTENTION_ELEMENTS", 10)
    with pytest.raises(ValueError, match="DASALCScorer: a batch of 3 list.*of 6 documents"):
        model(x, mask)


def test_no_tower_layers_is_a_linear_tower():
    model = _scorer(tower_layers=0).eval()
    assert len(model.tower) == 0
    x, mask = _inputs()
    row = x[0][mask[0]].tolist()
    assert model(x, mask)[0].tolist() == pytest.approx(_reference_scores(model, row), abs=1e-9)


# --------------------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def data():
    return make_ranking(60, (2, 20), 6, random_state=3), make_ranking(20, (2, 20), 6,
                                                                       random_state=4)


def test_estimator_trains_deterministically_and_reloads(data, tmp_path):
    train, valid = data
    model = neural.DASALCRanker(**FAST).fit(train, eval_set=valid)
    twin = neural.DASALCRanker(**FAST).fit(train, eval_set=valid)
    scores = model.predict(valid.X, qid=valid.qid)
    np.testing.assert_array_equal(scores, twin.predict(valid.X, qid=valid.qid))
    assert model.model_.__class__.__name__ == "DASALCScorer"
    loaded = BaseRanker.load(model.save(tmp_path / "dasalc.zip"))
    assert type(loaded) is neural.DASALCRanker and loaded.hidden_size == 16
    np.testing.assert_allclose(loaded.predict(valid.X, qid=valid.qid), scores, rtol=1e-6)


def test_estimator_defaults_are_dasalcs(data):
    model = neural.DASALCRanker()
    assert (model.preprocessing, model.input_noise, model.dropout, model.batch_size) == (
        "log1p", 1.5, 0.4, 128)
    assert model._loss_spec() == ("softmax", {"temperature": 1.0})
    assert model._scorer_spec() == ("dasalc", {"hidden_size": 512, "tower_layers": 2,
                                               "n_layers": 4, "n_heads": 2, "head_size": 100})


def test_predict_needs_the_queries_and_export_is_refused(data, tmp_path):
    from boostrank.export import ExportError, export_model

    train, valid = data
    model = neural.DASALCRanker(**FAST).fit(train)
    with pytest.raises(ValueError, match="needs qid=.*scorer='dasalc' scores whole queries"):
        model.predict(valid.X)
    with pytest.raises(ExportError, match="scorer='dasalc'.*only MLP rankers"):
        export_model(model, tmp_path / "m.onnx", "onnx")


def test_neural_ranker_takes_the_dasalc_scorer_with_any_loss(data):
    train, valid = data
    model = neural.NeuralRanker(loss="lambdaloss", scorer="dasalc",
                                scorer_params={"hidden_size": 8, "n_layers": 1, "head_size": 4},
                                n_epochs=2, random_state=0, device="cpu").fit(train)
    assert np.isfinite(model.predict(valid.X, qid=valid.qid)).all()
    ordinal = neural.NeuralRanker(loss="ordinal", scorer="dasalc",
                                  loss_params={"multi_output": True, "n_thresholds": 4},
                                  scorer_params={"hidden_size": 8, "n_layers": 1,
                                                 "head_size": 4},
                                  n_epochs=2, random_state=0, device="cpu").fit(train)
    assert ordinal.model_.__class__.__name__ == "ThresholdScorer"
    assert np.isfinite(ordinal.predict(valid.X, qid=valid.qid)).all()


@pytest.mark.parametrize(("params", "match"), [
    ({"scorer_params": {"d_model": 8}},
     r"unknown parameter\(s\) \['d_model'\] for scorer='dasalc'; allowed: \['hidden_size'"),
    ({"scorer_params": {"dropout": 0.1}}, "dropout is the estimator's dropout="),
    ({"scorer_params": {"head_size": 0}}, "head_size must be an integer >= 1, got 0"),
    ({"scorer": "dasalcs"}, "scorer must be one of"),
])
def test_bad_scorer_settings_fail_before_training(data, params, match):
    train, _ = data
    with pytest.raises(ValueError, match=match):
        neural.NeuralRanker(**{"scorer": "dasalc", **params}, device="cpu").fit(train)


def test_the_dasalc_search_space_tunes_the_registered_model(data):
    pytest.importorskip("optuna")
    from boostrank.registry import get_model_class
    from tuning import tune
    from tuning.spaces import default_space

    cls = get_model_class("attention_dasalc")
    assert cls is neural.DASALCRanker
    space = default_space(cls())
    assert space.name == "dasalc"
    assert {"hidden_size", "n_layers", "head_size", "input_noise"} <= set(space.distributions)
    train, valid = data
    result = tune(cls(n_epochs=2, device="cpu", hidden_size=16, head_size=8), train, valid,
                  n_trials=2, random_state=0)
    assert len(result.study.trials) == 2
    assert set(result.best_params) <= set(cls().get_params())
