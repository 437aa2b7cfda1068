"""The neural estimators' contract: scikit-learn parameters, labels, qid at predict, attention."""

from __future__ import annotations

import io
import pickle
import warnings
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402

import neural  # noqa: E402
from boostrank.data import make_ranking  # noqa: E402
from boostrank.estimator import BaseRanker  # noqa: E402
from neural import estimators  # noqa: E402

FAST = dict(n_epochs=3, batch_size=16, random_state=0, device="cpu")
NAMED = [getattr(estimators, name) for name in estimators.REGISTRY_NAMES.values()]
ATTENTION_FAST = dict(d_model=16, n_heads=2, n_layers=1, d_ff=32, **FAST)


@pytest.fixture(scope="module")
def data():
    return make_ranking(40, (2, 20), 6, random_state=3), make_ranking(15, (2, 20), 6, random_state=4)


def _signature_params(cls) -> set[str]:
    return set(cls.parameter_defaults())


@pytest.mark.parametrize("cls", NAMED + [neural.NeuralRanker], ids=lambda c: c.__name__)
def test_get_params_clone_and_set_params_round_trip(cls):
    params = cls().get_params()
    # every shared NeuralRanker parameter, less what the class fixes, plus its own
    shared = set(neural.NeuralRanker.parameter_defaults()) - set(cls.fixed_params)
    assert shared <= set(params)
    assert set(params) == _signature_params(cls)
    assert not set(cls.fixed_params) & set(params)
    model = cls(random_state=7, batch_size=8)
    twin = clone(model)
    assert type(twin) is cls and twin.get_params() == model.get_params()
    assert twin.get_params()["random_state"] == 7
    twin.set_params(batch_size=4)
    assert twin.batch_size == 4 and model.batch_size == 8
    with pytest.raises(ValueError, match="Invalid parameter"):
        twin.set_params(no_such_parameter=1)
    assert "batch_size=8" in repr(model) and "random_state=7" in repr(model)
    assert "n_epochs" not in repr(model)  # defaults are not shown


@pytest.mark.parametrize("cls", NAMED + [neural.NeuralRanker], ids=lambda c: c.__name__)
@pytest.mark.parametrize("check", ["check_no_attributes_set_in_init",
                                   "check_parameters_default_constructible",
                                   "check_get_params_invariance", "check_set_params"])
def test_scikit_learn_parameter_checks(cls, check):
    from sklearn.utils import estimator_checks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator_checks, check)(cls.__name__, cls())


def test_named_parameters_reach_the_loss_and_fixed_ones_are_refused():
    model = neural.LambdaRankNet(sigma=2.0, ndcg_at=5)
    assert model._loss_spec() == ("lambdarank", {"sigma": 2.0, "k": 5})
    assert neural.RankNet().loss == "ranknet"
    with pytest.raises(TypeError, match="loss"):
        neural.RankNet(loss="listnet")
    with pytest.raises(ValueError, match="LambdaRankNet: ndcg_at must be"):
        neural.LambdaRankNet(ndcg_at=0).fit(np.zeros((2, 1)), [0, 1], qid=[1, 1])
    with pytest.raises(ValueError, match="sigma must be"):
        neural.RankNet(sigma=-1.0).fit(np.zeros((2, 1)), [0, 1], qid=[1, 1])
    assert "sigma" in neural.RankNet().get_params()
    assert "label_transform" in neural.ListNet().get_params()


def test_listnet_gain_names_and_deprecated_aliases():
    assert neural.ListNet()._loss_spec()[1]["temperature"] == 1.0
    linear = neural.ListNet(label_transform="linear")._loss_spec()
    with pytest.warns(DeprecationWarning, match="label_transform='identity' is deprecated"):
        old = neural.ListNet(label_transform="identity")._loss_spec()
    assert old == linear
    with pytest.raises(ValueError, match="label_transform must be one of"):
        neural.ListNet(label_transform="cubic")._loss_spec()


@pytest.mark.parametrize(("labels", "match"), [
    ([0, 1, -1], r"labels >= 0; y\[\d+\] = -1"),
    ([0, 1, 0.5], r"integer relevance labels .*y\[\d+\] = 0.5"),
])
def test_negative_and_fractional_labels_are_refused_naming_y(labels, match):
    X = np.random.default_rng(0).normal(size=(6, 3))
    y = np.resize(np.asarray(labels, dtype=float), 6)
    qid = np.array([1, 1, 1, 2, 2, 2])
    with pytest.raises(ValueError, match=match):
        neural.RankNet(**FAST).fit(X, y, qid=qid)
    if min(labels) >= 0:  # a loss defined on real labels trains on them
        neural.ListNet(**FAST).fit(X, y, qid=qid)
    else:
        with pytest.raises(ValueError, match="labels >= 0"):
            neural.ListNet(**FAST).fit(X, y, qid=qid)


def test_eval_set_labels_are_checked_too(data):
    train, valid = data
    bad = (valid.X, np.where(np.arange(valid.n_rows) == 2, 0.5, valid.y), valid.qid)
    with pytest.raises(ValueError, match=r"eval_set valid_0 y\[2\] = 0.5"):
        neural.RankNet(**FAST).fit(train, eval_set=bad)


def test_empty_training_set_is_one_clear_error():
    X = np.zeros((0, 3))
    with pytest.raises(ValueError, match="empty"):
        neural.RankNet(**FAST).fit(X, np.zeros(0), qid=np.zeros(0, dtype=int))


def test_predict_takes_qid_in_any_row_order(data):
    train, valid = data
    model = neural.NeuralRanker(loss="listnet", preprocessing="query_minmax",
                                hidden_sizes=(8,), **FAST).fit(train)
    with pytest.raises(ValueError, match=r"predict needs qid="):
        model.predict(valid.X)
    expected = model.predict(valid.X, qid=valid.qid)
    order = np.random.default_rng(1).permutation(valid.n_rows)
    shuffled = model.predict(valid.X[order], qid=valid.qid[order])
    # (rows regrouped in another order: float32 matmuls may differ in the last bit)
    np.testing.assert_allclose(shuffled, expected[order], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="qid must hold integer query ids"):
        model.predict(valid.X, qid=np.array(["a"] * valid.n_rows))
    plain = neural.RankNet(hidden_sizes=(8,), **FAST).fit(train)
    np.testing.assert_array_equal(plain.predict(valid.X, qid=valid.qid), plain.predict(valid.X))


def test_input_noise_is_seeded_and_changes_training(data):
    train, valid = data
    base = neural.RankNet(hidden_sizes=(8,), **FAST).fit(train).predict(valid.X)
    noisy = [neural.RankNet(hidden_sizes=(8,), input_noise=0.5, **FAST).fit(train)
             .predict(valid.X) for _ in range(2)]
    np.testing.assert_array_equal(noisy[0], noisy[1])
    assert not np.array_equal(noisy[0], base)


def _record_batcher_argument(monkeypatch, keyword):
    """The values of ``keyword`` passed to each ListBatcher the ranker builds, as they come."""
    from neural import ranker

    seen = []
    original = ranker.ListBatcher

    def spy(*args, **kwargs):
        seen.append(kwargs[keyword])
        return original(*args, **kwargs)

    monkeypatch.setattr(ranker, "ListBatcher", spy)
    return seen


def test_long_lists_are_sampled_for_whole_matrix_losses(monkeypatch, data):
    from neural import ranker

    train, _ = data
    monkeypatch.setattr(ranker, "MAX_QUADRATIC_LIST_LENGTH", 8)
    seen = _record_batcher_argument(monkeypatch, "max_list_length")
    longest = int(train.group_sizes.max())
    with pytest.warns(UserWarning, match=f"longest training query has {longest} documents"):
        neural.ApproxNDCGNet(hidden_sizes=(8,), **FAST).fit(train)
    assert seen == [8]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        neural.ApproxNDCGNet(hidden_sizes=(8,), max_list_length=5, **FAST).fit(train)
    assert seen[-1] == 5


@pytest.mark.parametrize("loss", ["neuralndcg", "approxndcg"])
def test_stochastic_losses_are_seeded_and_bound_their_batches(monkeypatch, data, loss):
    from neural import ranker

    train, valid = data
    params = dict(loss=loss, hidden_sizes=(8,), **FAST)
    first = neural.NeuralRanker(loss_params={"stochastic": True, "n_samples": 4}, **params)
    again = neural.NeuralRanker(loss_params={"stochastic": True, "n_samples": 4}, **params)
    plain = neural.NeuralRanker(**params)
    scores = first.fit(train).predict(valid)
    np.testing.assert_array_equal(again.fit(train).predict(valid), scores)
    assert not np.allclose(plain.fit(train).predict(valid), scores)
    # each list forms n_samples matrices: the batcher's element budget shrinks as many times
    budgets = _record_batcher_argument(monkeypatch, "max_elements")
    plain.fit(train)
    first.fit(train)
    assert budgets == [ranker.MAX_PAIRS_PER_BATCH, ranker.MAX_PAIRS_PER_BATCH // 4]


def test_approxndcg_net_takes_the_stochastic_keywords(data):
    train, valid = data
    model = neural.ApproxNDCGNet(stochastic=True, n_samples=2, gumbel_temperature=0.5,
                                 hidden_sizes=(8,), **FAST)
    assert {"stochastic", "n_samples", "gumbel_temperature"} <= set(model.get_params())
    scores = model.fit(train).predict(valid)
    deterministic = neural.ApproxNDCGNet(hidden_sizes=(8,), **FAST).fit(train).predict(valid)
    assert np.isfinite(scores).all() and not np.allclose(scores, deterministic)


def test_wassrank_net_takes_its_keywords(data):
    train, valid = data
    model = neural.WassRankNet(regularization=0.5, n_iter=5, hidden_sizes=(8,), **FAST)
    assert {"regularization", "n_iter", "gain_base", "relevance_gap", "tie_cost"} <= set(
        model.get_params())
    scores = model.fit(train).predict(valid)
    default = neural.WassRankNet(hidden_sizes=(8,), **FAST).fit(train).predict(valid)
    assert np.isfinite(scores).all() and not np.allclose(scores, default)
    with pytest.raises(ValueError, match="gain_base must be a finite number > 1, got 0.5"):
        neural.WassRankNet(gain_base=0.5, **FAST).fit(train)


@pytest.mark.parametrize("name", ["ListNet", "AttentionListNet"])
def test_listnet_estimators_take_the_stochastic_keywords(data, name):
    train, valid = data
    if name.startswith("Attention"):
        _attention()
    fast = ATTENTION_FAST if name.startswith("Attention") else dict(hidden_sizes=(8,), **FAST)
    cls = getattr(neural, name)
    model = cls(stochastic=True, n_samples=2, gumbel_temperature=0.5, **fast)
    assert {"stochastic", "n_samples", "gumbel_temperature"} <= set(model.get_params())
    scores = model.fit(train).predict(valid)
    again = cls(stochastic=True, n_samples=2, gumbel_temperature=0.5, **fast).fit(train)
    np.testing.assert_array_equal(again.predict(valid), scores)  # seeded by random_state
    deterministic = cls(**fast).fit(train).predict(valid)
    assert np.isfinite(scores).all() and not np.allclose(scores, deterministic)
    with pytest.raises(ValueError, match="gumbel_temperature must be a finite number > 0"):
        cls(stochastic=True, gumbel_temperature=0.0, **fast).fit(train)


def test_attention_neuralndcg_takes_the_stochastic_keywords(data):
    _attention()
    train, valid = data
    model = neural.AttentionNeuralNDCG(stochastic=True, n_samples=3, beta=0.2,
                                       **ATTENTION_FAST)
    assert {"stochastic", "n_samples", "beta"} <= set(model.get_params())
    scores = model.fit(train).predict(valid)
    deterministic = neural.AttentionNeuralNDCG(**ATTENTION_FAST).fit(train).predict(valid)
    assert np.isfinite(scores).all() and not np.allclose(scores, deterministic)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        neural.AttentionNeuralNDCG(stochastic=True, n_samples=0, **ATTENTION_FAST).fit(train)


@pytest.mark.parametrize(("params", "match"), [
    ({"scorer": "attention", "scorer_params": {"d_model": 30, "n_heads": 4}}, "divide"),
    ({"scorer": "attention", "scorer_params": {"width": 3}}, "unknown parameter"),
    ({"scorer": "attention", "scorer_params": {"dropout": 0.3}}, "dropout="),
    ({"scorer": "attention", "scorer_params": {"positional": "rotary"}}, "positional"),
    ({"scorer": "attention", "scorer_params": {"input_layers": [8, 0]}}, "input_layers must be"),
    ({"scorer": "attention", "scorer_params": {"input_layers": "256"}}, "input_layers must be"),
    ({"loss": "lambdarank", "loss_params": {"k": 0}}, "k must be"),
    ({"loss": "listnet", "loss_params": {"temperature": 0.0}}, "temperature must be"),
])
def test_bad_scorer_and_loss_parameters_fail_before_training(params, match, data):
    train, _ = data
    model = neural.NeuralRanker(**params, **FAST)
    with pytest.raises(ValueError, match=match):
        model.fit(train)
    assert not hasattr(model, "history_")


# --------------------------------------------------------------------------- attention
def _attention():
    return pytest.importorskip("neural.attention")


def test_attention_ranker_is_deterministic_and_needs_qid(data, tmp_path):
    _attention()
    train, valid = data
    a = neural.AttentionListNet(**ATTENTION_FAST).fit(train, eval_set=valid)
    b = neural.AttentionListNet(**ATTENTION_FAST).fit(train, eval_set=valid)
    scores = a.predict(valid.X, qid=valid.qid)
    np.testing.assert_array_equal(scores, b.predict(valid.X, qid=valid.qid))
    assert a.history_["train_loss"] == b.history_["train_loss"]
    with pytest.raises(ValueError, match=r"predict needs qid=.*attention"):
        a.predict(valid.X)
    # the kept epoch's recorded validation score is what predict gives
    from boostrank.metrics import evaluate

    again = evaluate(valid.y, scores, valid.qid)["ndcg@10"]
    assert again == pytest.approx(a.best_score_["valid_0"]["ndcg@10"], abs=1e-9)
    loaded = BaseRanker.load(a.save(tmp_path / "attention.zip"))
    assert type(loaded) is neural.AttentionListNet
    assert loaded.get_params() == a.get_params()
    np.testing.assert_array_equal(loaded.predict(valid), scores)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).predict(valid), scores)
    twin = clone(a)
    assert twin.get_params() == a.get_params() and not hasattr(twin, "model_")


def test_attention_scores_do_not_depend_on_row_order(data):
    _attention()
    train, valid = data
    model = neural.NeuralRanker(loss="listnet", scorer="attention",
                                scorer_params={"d_model": 16, "n_heads": 2, "n_layers": 1},
                                **FAST).fit(train)
    expected = model.predict(valid.X, qid=valid.qid)
    order = np.random.default_rng(5).permutation(valid.n_rows)
    np.testing.assert_allclose(model.predict(valid.X[order], qid=valid.qid[order]),
                               expected[order], rtol=1e-5, atol=1e-6)
    # a document's score depends on the other documents of its list (listwise)
    one = valid.queries(slice(0, 1))
    alone = model.predict(one.X[:1], qid=one.qid[:1])
    assert not np.allclose(alone, expected[:1])


def test_attention_input_layers_are_kept_through_save_and_pickle(data, tmp_path):
    _attention()
    train, valid = data
    model = neural.AttentionListNet(input_layers=(12, 8), **ATTENTION_FAST).fit(train)
    stack = model.model_.input_layers
    assert [layer.out_features for layer in stack if hasattr(layer, "out_features")] == [12, 8]
    assert model.model_.input_projection.in_features == 8
    scores = model.predict(valid)
    loaded = BaseRanker.load(model.save(tmp_path / "stack.zip"))
    np.testing.assert_array_equal(loaded.predict(valid), scores)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(valid), scores)
    # a list given in JSON style (the CLI's --param) builds the same network
    as_list = neural.AttentionListNet(input_layers=[12, 8], **ATTENTION_FAST).fit(train)
    np.testing.assert_array_equal(as_list.predict(valid), scores)


@pytest.mark.parametrize("cls", [neural.AttentionNeuralNDCG, neural.AttentionLambdaLoss,
                                 neural.AttentionRankNet],
                         ids=lambda c: c.__name__)
def test_named_attention_models_fit(cls, data):
    _attention()
    train, valid = data
    model = cls(**ATTENTION_FAST).fit(train, eval_set=valid)
    assert np.isfinite(model.predict(valid)).all()
    assert 1 <= model.best_epoch_ == model.best_iteration_ <= model.n_epochs_run_


def test_attention_list_length_limits_are_clear_errors(monkeypatch, data):
    attention = _attention()
    train, valid = data
    longest = int(train.group_sizes.max())
    positional = neural.AttentionListNet(positional="learned", **ATTENTION_FAST)
    positional.set_params(n_epochs=1)
    with pytest.raises(ValueError, match=f"up to {longest} documents, more than max_len=4"):
        neural.NeuralRanker(loss="listnet", scorer="attention", **FAST,
                            scorer_params={"d_model": 16, "n_heads": 2, "positional": "fixed",
                                           "max_len": 4}).fit(train)
    model = positional.fit(train)
    monkeypatch.setattr(attention, "MAX_ATTENTION_ELEMENTS", 2 * 5 * 5)
    with pytest.raises(ValueError, match=r"list\(s\) of \d+ documents needs attention"):
        model.predict(valid)


@pytest.mark.parametrize("loss", ["lambdaloss", "neuralndcg", "rankcosine", "hinge", "rmse",
                                  "ordinal", "softmax", "wassrank"])
def test_every_loss_trains_through_neural_ranker(loss, data):
    train, valid = data
    model = neural.NeuralRanker(loss=loss, hidden_sizes=(8,), **FAST).fit(train, eval_set=valid)
    assert np.isfinite(model.history_["train_loss"]).all()
    assert np.isfinite(model.predict(valid)).all()


def test_a_pickled_object_in_the_weights_file_is_refused(tmp_path, data):
    train, _ = data
    path = neural.RankNet(hidden_sizes=(4,), **FAST).fit(train).save(tmp_path / "m.zip")
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO()
    torch.save({"weight": warnings.WarningMessage}, buffer)  # a class: needs real unpickling
    files["model.pt"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    with pytest.raises(ValueError, match="model.pt is not a plain tensor state dict"):
        BaseRanker.load(path)


def test_attention_training_memory_follows_the_attention_cap(monkeypatch, data):
    attention = _attention()
    train, valid = data
    monkeypatch.setattr(attention, "MAX_ATTENTION_ELEMENTS", 2 * 8 * 8)  # 2 heads, 8 docs
    with pytest.warns(UserWarning, match="samples 8 documents of every longer query"):
        model = neural.AttentionListNet(**ATTENTION_FAST).fit(train)
    assert model.n_epochs_run_ == FAST["n_epochs"]


def test_registry_neural_entries_match_the_estimators_table():
    from boostrank.registry import MODELS, get_model_class

    neural_entries = {name: path for name, path in MODELS.items() if path.startswith("neural.")}
    assert {"ranknet", "listnet", "lambdarank_nn", "listmle", "approxndcg"} <= set(neural_entries)
    for name in neural_entries:
        assert get_model_class(name) is getattr(estimators, estimators.REGISTRY_NAMES[name])
    assert all("attention" in name for name, cls in estimators.REGISTRY_NAMES.items()
               if cls.startswith("Attention"))


def test_backend_callbacks_are_refused_by_neural_rankers():
    import lightgbm as lgb

    from boostrank.data import make_ranking
    from neural import RankNet

    data = make_ranking(12, (3, 6), 4, random_state=0)
    with pytest.raises(TypeError, match=r"callbacks\[0\] .* is a LightGBM callback; neural"):
        RankNet(n_epochs=1, random_state=0).fit(data, eval_set=data,
                                                 callbacks=[lgb.log_evaluation(1)])
    with pytest.raises(TypeError, match="is not callable"):
        RankNet(n_epochs=1, random_state=0).fit(data, eval_set=data, callbacks=[3])
