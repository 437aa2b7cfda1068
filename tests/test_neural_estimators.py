"""neural estimators: the BaseRanker contract, reproducibility, persistence, callbacks."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

import neural  # noqa: E402
from boostrank.data import RankingData, make_ranking  # noqa: E402
from boostrank.estimator import BaseRanker, EvalStep  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from boostrank.registry import get_model_class  # noqa: E402

FAST = dict(hidden_sizes=(16,), n_epochs=4, batch_size=16, random_state=0)
CLASSES = [neural.RankNet, neural.ListNet, neural.LambdaRankNet, neural.ListMLENet,
           neural.ApproxNDCGNet]


@pytest.fixture(scope="module")
def data():
    train = make_ranking(80, (2, 30), 8, random_state=1)
    valid = make_ranking(30, (2, 30), 8, random_state=2)
    return train, valid


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_fit_predict_contract(cls, data):
    train, valid = data
    model = cls(**FAST).fit(train, eval_set=valid)
    scores = model.predict(valid.X)
    assert scores.shape == (valid.n_rows,) and scores.dtype == np.float64
    assert np.isfinite(scores).all()
    assert model.n_features_in_ == 8
    assert set(model.history_) == {"epoch", "train_loss", "train_time", "eval_time"}
    assert model.history_["epoch"] == list(range(1, model.n_epochs_run_ + 1))
    curve = model.evals_result_["valid_0"]["ndcg@10"]
    assert len(curve) == model.n_epochs_run_
    assert 1 <= model.best_epoch_ <= model.n_epochs_run_
    assert model.best_score_["valid_0"]["ndcg@10"] == max(curve)
    # the kept weights are those of the best epoch: re-evaluating gives the recorded score
    again = evaluate(valid.y, scores, valid.qid, metrics=["ndcg@10"])["ndcg@10"]
    assert again == pytest.approx(model.best_score_["valid_0"]["ndcg@10"], abs=1e-12)
    assert model.score(valid) == pytest.approx(again)


def test_registry_names_resolve():
    assert get_model_class("ranknet") is neural.RankNet
    assert get_model_class("listnet") is neural.ListNet
    assert get_model_class("lambdarank_nn") is neural.LambdaRankNet
    assert get_model_class("listmle") is neural.ListMLENet
    assert get_model_class("approxndcg") is neural.ApproxNDCGNet


def test_arrays_with_shuffled_qid_match_grouped_fit(data):
    train, valid = data
    rng = np.random.default_rng(0)
    order = rng.permutation(train.n_rows)
    inverse = np.argsort(order)
    regrouped = RankingData.from_arrays(train.X[order], train.y[order], train.qid[order],
                                        warn=False)
    grouped = neural.ListNet(**FAST).fit(regrouped)
    shuffled = neural.ListNet(**FAST).fit(train.X[order], train.y[order], qid=train.qid[order])
    np.testing.assert_array_equal(grouped.predict(valid.X), shuffled.predict(valid.X))
    # predictions come back in the caller's row order
    np.testing.assert_array_equal(shuffled.predict(train.X[order])[inverse],
                                  shuffled.predict(train.X))


@pytest.mark.parametrize("cls", [neural.RankNet, neural.ListMLENet], ids=lambda c: c.__name__)
def test_random_state_is_bit_reproducible_on_cpu(cls, data):
    train, valid = data
    before = torch.random.get_rng_state()
    a = cls(**FAST, device="cpu").fit(train, eval_set=valid)
    b = cls(**FAST, device="cpu").fit(train, eval_set=valid)
    assert torch.equal(before, torch.random.get_rng_state())  # global RNG untouched
    np.testing.assert_array_equal(a.predict(valid.X), b.predict(valid.X))
    assert a.history_["train_loss"] == b.history_["train_loss"]
    c = cls(**{**FAST, "random_state": 1}).fit(train, eval_set=valid)
    assert not np.array_equal(a.predict(valid.X), c.predict(valid.X))


def test_save_load_pickle_clone(tmp_path, data):
    train, valid = data
    model = neural.LambdaRankNet(sigma=2.0, ndcg_at=5, norm="layer", **FAST).fit(
        train, eval_set=valid)
    expected = model.predict(valid.X)
    path = model.save(tmp_path / "model.zip")
    loaded = BaseRanker.load(path)
    assert type(loaded) is neural.LambdaRankNet
    np.testing.assert_array_equal(loaded.predict(valid.X), expected)
    assert loaded.get_params() == model.get_params()
    assert loaded.best_epoch_ == model.best_epoch_
    assert loaded.evals_result_ == model.evals_result_
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(valid.X), expected)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "model_")
    with pytest.raises(NotFittedError):
        twin.predict(valid.X)


def test_query_minmax_needs_queries_at_predict(tmp_path, data):
    train, valid = data
    model = neural.NeuralRanker(loss="listnet", preprocessing="query_minmax",
                                batch_size=16, **{k: v for k, v in FAST.items()
                                                  if k != "batch_size"}).fit(train)
    with pytest.raises(ValueError, match=r"predict needs qid= .*query_minmax"):
        model.predict(valid.X)
    by_data = model.predict(valid)
    np.testing.assert_array_equal(model.predict(valid.X, qid=valid.qid), by_data)
    np.testing.assert_array_equal(model.predict(valid.X, group=valid.group_sizes), by_data)
    loaded = BaseRanker.load(model.save(tmp_path / "qm.zip"))
    np.testing.assert_array_equal(loaded.predict(valid), by_data)
    assert 0.0 <= model.score(valid) <= 1.0


def test_callbacks_see_every_epoch_and_can_stop(data):
    train, valid = data
    steps: list[EvalStep] = []
    model = neural.RankNet(**{**FAST, "early_stopping_rounds": None}).fit(
        train, eval_set=valid, callbacks=[steps.append])
    assert [s.step for s in steps] == [0, 1, 2, 3]
    assert all(s.estimator is model for s in steps)
    assert [s.evals["valid_0"]["ndcg@10"] for s in steps] == \
        model.evals_result_["valid_0"]["ndcg@10"]
    stopped = neural.RankNet(**FAST).fit(train, eval_set=valid, callbacks=[lambda s: True])
    assert stopped.n_epochs_run_ == 1 and stopped.best_epoch_ == 1


def test_callback_exception_propagates_and_leaves_model_unfitted(data):
    train, valid = data

    class Pruned(Exception):
        pass

    def prune(step):
        if step.step == 1:
            raise Pruned

    model = neural.ListNet(**FAST)
    with pytest.raises(Pruned):
        model.fit(train, eval_set=valid, callbacks=[prune])
    with pytest.raises(NotFittedError):
        model.predict(valid.X)


def test_early_stopping_stops_and_restores_best(data):
    train, valid = data
    model = neural.ListNet(**{**FAST, "n_epochs": 60, "early_stopping_rounds": 2,
                              "learning_rate": 0.05}).fit(train, eval_set=valid)
    curve = model.evals_result_["valid_0"]["ndcg@10"]
    assert model.n_epochs_run_ < 60
    assert model.n_epochs_run_ == model.best_epoch_ + 2
    assert curve[model.best_epoch_ - 1] == max(curve)


def test_eval_metric_and_convention(data):
    train, valid = data
    model = neural.RankNet(**FAST, eval_metric="map", eval_convention="letor").fit(
        train, eval_set={"vali": valid})
    assert list(model.evals_result_) == ["vali"]
    best = model.best_score_["vali"]["map"]
    assert best == pytest.approx(evaluate(valid.y, model.predict(valid.X), valid.qid,
                                          metrics=["map"], convention="letor")["map"])


def test_without_eval_set_runs_all_epochs(data):
    train, _ = data
    model = neural.ListNet(**FAST).fit(train)
    assert model.n_epochs_run_ == model.best_epoch_ == 4
    assert model.evals_result_ == {} and model.best_score_ == {}


def test_sample_weight_per_query(data):
    train, valid = data
    sizes = train.group_sizes
    weights = np.repeat(np.linspace(0.5, 2.0, len(sizes)), sizes)
    weighted = neural.RankNet(**FAST).fit(train.X, train.y, qid=train.qid,
                                          sample_weight=weights)
    plain = neural.RankNet(**FAST).fit(train.X, train.y, qid=train.qid)
    assert not np.array_equal(weighted.predict(valid.X), plain.predict(valid.X))
    bad = weights.copy()
    bad[1] += 1.0
    with pytest.raises(ValueError, match="varies inside query"):
        neural.RankNet(**FAST).fit(train.X, train.y, qid=train.qid, sample_weight=bad)


def test_extreme_and_constant_features_train_without_nan():
    data = make_ranking(30, (3, 12), 5, random_state=3)
    X = data.X.copy()
    X[:, 0] = 7.0
    X[::3, 1] = 1e300
    X[1::3, 2] = -1e300
    for pre in ("standard", "log1p", "query_minmax"):
        model = neural.ListNet(**FAST, preprocessing=pre).fit(X, data.y, qid=data.qid)
        assert np.isfinite(model.predict(X, qid=data.qid)).all()


def test_sparse_input_and_max_list_length(data):
    scipy_sparse = pytest.importorskip("scipy.sparse")
    train, valid = data
    dense = neural.RankNet(**FAST, max_list_length=10).fit(train)
    sparse = neural.RankNet(**FAST, max_list_length=10).fit(
        scipy_sparse.csr_matrix(train.X), train.y, qid=train.qid)
    np.testing.assert_allclose(sparse.predict(scipy_sparse.csr_matrix(valid.X)),
                               dense.predict(valid.X), rtol=1e-6)


@pytest.mark.parametrize(("params", "match"), [
    ({"hidden_sizes": (0,)}, "hidden_sizes"),
    ({"activation": "swish"}, "activation"),
    ({"dropout": 1.0}, "dropout"),
    ({"norm": "group"}, "norm"),
    ({"preprocessing": "zscore"}, "preprocessing"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"n_epochs": 0}, "n_epochs"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"device": "tpu"}, "device"),
    ({"eval_metric": "ndcg@1,3"}, "eval_metric"),
    ({"eval_metric": "auc"}, "eval_metric"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"loss": "nosuchloss"}, "unknown loss"),
    ({"loss": "listnet", "loss_params": {"sigma": 1}}, "sigma"),
    ({"input_noise": -0.1}, "input_noise"),
    ({"scorer": "cnn"}, "scorer"),
    ({"scorer_params": {"d_model": 64}}, "scorer_params"),
])
def test_bad_parameters_name_themselves(params, match, data):
    train, _ = data
    with pytest.raises(ValueError, match=match):
        neural.NeuralRanker(**params).fit(train)


def test_cuda_request_without_gpu_is_a_clear_error(data):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="CUDA is not available"):
        neural.RankNet(device="cuda").fit(data[0])


def test_fit_from_libsvm_files(sample_dir, tmp_path):
    load_libsvm = pytest.importorskip("boostrank.data").load_libsvm
    if not (sample_dir / "train.txt").is_file():
        pytest.skip("bundled sample not generated yet")
    train = load_libsvm(sample_dir / "train.txt")
    valid = load_libsvm(sample_dir / "vali.txt")
    model = neural.RankNet(hidden_sizes=(32,), n_epochs=2, random_state=0).fit(
        train, eval_set=valid)
    loaded = BaseRanker.load(model.save(tmp_path / "m.zip"))
    np.testing.assert_array_equal(loaded.predict(valid.X), model.predict(valid.X))


def test_verbose_shows_a_progress_bar(data, capsys):
    train, valid = data
    neural.ListNet(**FAST, verbose=True).fit(train, eval_set=valid)
    assert "ListNet" in capsys.readouterr().err
    neural.ListNet(**FAST).fit(train, eval_set=valid)
    assert capsys.readouterr().err == ""


def test_importing_neural_is_light():
    code = ("import sys, neural, boostrank; assert 'torch' not in sys.modules, 'torch'; "
            "neural.RankNet; assert 'torch' in sys.modules; "
            "assert callable(neural.losses.ranknet_loss)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_mq2008_fold1_quality(mq2008_root):
    from boostrank.data import load_letor_fold

    train, valid, test = load_letor_fold(mq2008_root, fold=1)
    for cls in (neural.RankNet, neural.ListNet):
        model = cls(random_state=0).fit(train, eval_set=valid)
        ndcg = evaluate(test.y, model.predict(test.X), test.qid, metrics=["ndcg@10"],
                        convention="letor")["ndcg@10"]
        assert ndcg > 0.2, cls.__name__
