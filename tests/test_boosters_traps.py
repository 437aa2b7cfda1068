"""Every trap of LightGBM / XGBoost ranking that the boosters handle, one test each."""

from __future__ import annotations

import warnings

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.boosters.lightgbm_ranker import LAMBDARANK_MAX_QUERY
from boostrank.data import make_ranking
from boostrank.metrics import evaluate

BOOSTERS = [LightGBMLambdaMART, XGBoostLambdaMART]


def small(cls, **kw):
    base = dict(n_estimators=15, learning_rate=0.2, n_jobs=1, random_state=0)
    if cls is LightGBMLambdaMART:
        base["min_child_samples"] = 3
    base.update(kw)
    return cls(**base)


@pytest.fixture(scope="module")
def data():
    return make_ranking(60, (3, 15), 5, seed=31), make_ranking(25, (2, 15), 5, seed=32)


# ---------------------------------------------------------------- query order
@pytest.mark.parametrize("cls", BOOSTERS)
def test_unsorted_noncontiguous_qids(cls, data):
    train, valid = data
    rng = np.random.default_rng(1)
    order = rng.permutation(train.n_rows)
    qid = train.qid * 7919 % 1000 - 500  # unsorted, negative, large gaps
    shuffled = small(cls).fit(train.X[order], train.y[order], qid=qid[order])
    grouped = small(cls).fit(train.X, train.y, qid=qid)
    pred = shuffled.predict(train.X[order])
    # predictions come back in the caller's row order, and the model is the one trained on
    # the regrouped (stably ordered) rows
    assert pred.shape == (train.n_rows,)
    ndcg_shuffled = evaluate(train.y, shuffled.predict(train.X), train.qid)["ndcg@10"]
    ndcg_grouped = evaluate(train.y, grouped.predict(train.X), train.qid)["ndcg@10"]
    assert ndcg_shuffled > 0.5 and ndcg_grouped > 0.5
    np.testing.assert_array_equal(pred, shuffled.predict(train.X)[order])


def test_xgboost_gets_sequential_query_indices(data):
    from boostrank.boosters.xgboost_ranker import _sequential_qid

    train, _ = data
    seq = _sequential_qid(train)
    assert np.array_equal(seq, np.repeat(np.arange(train.n_queries), train.group_sizes))
    # raw XGBoost would reject these qids when rows are not sorted by qid
    order = np.random.default_rng(2).permutation(train.n_rows)
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({"objective": "rank:ndcg"},
                  xgb.DMatrix(train.X[order], train.y[order], qid=train.qid[order]), 1)


# ---------------------------------------------------------------- labels
def _big_labels(data):
    train, _ = data
    y = train.y * 12.0  # labels up to 48
    return train.X, y, train.qid


def test_lightgbm_labels_above_30_get_linear_label_gain(data):
    X, y, qid = _big_labels(data)
    with pytest.warns(UserWarning, match="linear"):
        model = small(LightGBMLambdaMART).fit(X, y, qid=qid)
    assert model.best_iteration_ == 15
    with pytest.warns(UserWarning, match="linear"):
        gain = model._label_gain(y)
    assert gain[:5] == [0.0, 1.0, 2.0, 3.0, 4.0] and len(gain) == int(y.max()) + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small(LightGBMLambdaMART, gain="linear").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="gain='linear'"):
        small(LightGBMLambdaMART, gain="exponential").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="label_gain"):
        small(LightGBMLambdaMART, params={"label_gain": [0, 1, 3]}).fit(X, y, qid=qid)
    explicit = small(LightGBMLambdaMART, params={"label_gain": list(range(60))})
    explicit.fit(X, y, qid=qid)


def test_xgboost_labels_above_31_get_linear_gain(data):
    X, y, qid = _big_labels(data)
    with pytest.warns(UserWarning, match="linear"):
        model = small(XGBoostLambdaMART).fit(X, y, qid=qid)
    import json

    config = json.loads(model.booster_.save_config())
    assert config["learner"]["objective"]["lambdarank_param"]["ndcg_exp_gain"] in ("0", "false")
    with pytest.raises(ValueError, match="gain='linear'"):
        small(XGBoostLambdaMART, gain="exponential").fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="labels up to 31"):
        small(XGBoostLambdaMART, params={"ndcg_exp_gain": True}).fit(X, y, qid=qid)
    # label 31 is still fine with exponential gain in XGBoost
    y31 = np.minimum(y, 31)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small(XGBoostLambdaMART, gain="exponential").fit(X, y31, qid=qid)


@pytest.mark.parametrize("cls,objective", [(LightGBMLambdaMART, "lambdarank"),
                                           (LightGBMLambdaMART, "rank_xendcg"),
                                           (XGBoostLambdaMART, "rank:ndcg")])
def test_non_integer_labels_are_a_clear_error(cls, objective, data):
    train, _ = data
    y = train.y + 0.5
    with pytest.raises(ValueError, match=r"integer relevance labels.*y\[0\] = "):
        small(cls, objective=objective).fit(train.X, y, qid=train.qid)
    with pytest.raises(ValueError, match=r"labels >= 0"):
        small(cls, objective=objective).fit(train.X, train.y - 1, qid=train.qid)


def test_xgboost_real_labels_where_the_objective_allows_them(data):
    train, _ = data
    y = train.y + 0.5
    small(XGBoostLambdaMART, objective="rank:pairwise").fit(train.X, y - 2, qid=train.qid)
    small(XGBoostLambdaMART, gain="linear").fit(train.X, y, qid=train.qid)
    with pytest.raises(ValueError, match="binary relevance labels"):
        small(XGBoostLambdaMART, objective="rank:map").fit(train.X, train.y, qid=train.qid)
    small(XGBoostLambdaMART, objective="rank:map").fit(train.X, train.y > 1, qid=train.qid)


# ---------------------------------------------------------------- query size
def test_lightgbm_query_over_10000_rows_is_a_clear_error():
    rng = np.random.default_rng(0)
    n = LAMBDARANK_MAX_QUERY + 1
    X = rng.normal(size=(n + 20, 3))
    y = rng.integers(0, 3, n + 20).astype(float)
    qid = np.r_[np.full(10, 4), np.full(n, 77), np.full(10, 5)]
    with pytest.raises(ValueError, match=r"qid=77 has 10001 rows.*rank_xendcg"):
        LightGBMLambdaMART(n_estimators=2, n_jobs=1).fit(X, y, qid=qid)
    model = LightGBMLambdaMART(objective="rank_xendcg", n_estimators=2, n_jobs=1)
    model.fit(X, y, qid=qid)
    assert model.predict(X).shape == (n + 20,)
    # the raw library fails with a less helpful message
    with pytest.raises(lgb.basic.LightGBMError):
        lgb.train({"objective": "lambdarank", "verbosity": -1},
                  lgb.Dataset(X, y, group=[10, n, 10]), 1)


# ---------------------------------------------------------------- degenerate data
@pytest.mark.parametrize("cls", BOOSTERS)
def test_single_doc_and_all_zero_queries(cls, data):
    train, valid = data
    rng = np.random.default_rng(3)
    extra_X = rng.normal(size=(8, 5))
    X = np.vstack([train.X, extra_X])
    y = np.r_[train.y, [2.0], [0.0] * 4, [3.0], [1.0, 1.0]]
    qid = np.r_[train.qid, [1001], [1002] * 4, [1003], [1004, 1004]]
    model = small(cls).fit(X, y, qid=qid, eval_set=valid)
    assert np.isfinite(model.predict(X)).all()
    only_degenerate = small(cls).fit(extra_X, y[-8:], qid=qid[-8:])
    pred = only_degenerate.predict(extra_X)
    assert np.isfinite(pred).all()
    assert np.ptp(pred) == 0  # no gradient anywhere: nothing learned


@pytest.mark.parametrize("cls", BOOSTERS)
def test_constant_and_nan_features(cls, data):
    train, valid = data
    X = train.X.copy()
    X[:, 0] = 3.0  # constant
    X[::3, 1] = np.nan  # missing values
    Xv = valid.X.copy()
    Xv[::2, 1] = np.nan
    model = small(cls).fit(X, train.y, qid=train.qid, eval_set=(Xv, valid.y, valid.qid))
    assert np.isfinite(model.predict(Xv)).all()
    assert model.feature_importances_[0] == 0.0
    assert model.feature_importances_[1] > 0.0
    all_constant = small(cls).fit(np.ones_like(X), train.y, qid=train.qid)
    assert np.array_equal(all_constant.feature_importances_, np.zeros(5))
    assert np.ptp(all_constant.predict(valid.X)) == 0


@pytest.mark.parametrize("cls", BOOSTERS)
def test_eval_set_without_relevant_documents(cls, data):
    train, valid = data
    model = small(cls, early_stopping_rounds=3).fit(
        train, eval_set=(valid.X, np.zeros(valid.n_rows), valid.qid))
    history = model.evals_result_["valid_0"]["ndcg@10"]
    assert history == [1.0] * len(history)  # empty ideal DCG scores 1 (default convention)
    assert model.best_iteration_ == 1 and len(history) == 4


# ---------------------------------------------------------------- sample weights
def test_lightgbm_sample_weight_per_row_matches_lightgbm(data):
    train, _ = data
    w = np.random.default_rng(4).uniform(0.1, 2.0, train.n_rows)
    model = small(LightGBMLambdaMART, n_estimators=5).fit(train, sample_weight=w)
    model.fit(train.X, train.y, qid=train.qid, sample_weight=w)
    params = dict(model._lgb_params(None))
    raw = lgb.train(params, lgb.Dataset(train.X, train.y, group=train.group_sizes, weight=w), 5)
    np.testing.assert_array_equal(model.predict(train.X), raw.predict(train.X))
    unweighted = small(LightGBMLambdaMART, n_estimators=5).fit(train)
    assert not np.array_equal(unweighted.predict(train.X), model.predict(train.X))


def test_sample_weight_follows_regrouped_rows(data):
    from boostrank.data.ranking_data import RankingData

    train, _ = data
    w = np.repeat(np.arange(1, train.n_queries + 1, dtype=float), train.group_sizes)
    order = np.random.default_rng(5).permutation(train.n_rows)
    X, y, qid, w = train.X[order], train.y[order], train.qid[order], w[order]
    regrouped, regroup = RankingData.from_arrays_with_order(X, y, qid, warn=False)
    for cls in BOOSTERS:
        a = small(cls, n_estimators=5).fit(X, y, qid=qid, sample_weight=w)
        b = small(cls, n_estimators=5).fit(regrouped, sample_weight=w[regroup])
        np.testing.assert_array_equal(a.predict(train.X), b.predict(train.X))
        if cls is LightGBMLambdaMART:  # weights not aligned with the regrouped rows
            c = small(cls, n_estimators=5).fit(regrouped, sample_weight=w)
            assert not np.array_equal(a.predict(train.X), c.predict(train.X))


def test_xgboost_sample_weight_is_per_query(data):
    train, _ = data
    group_w = np.random.default_rng(6).uniform(0.5, 2.0, train.n_queries)
    w = np.repeat(group_w, train.group_sizes)
    model = small(XGBoostLambdaMART, n_estimators=5).fit(train, sample_weight=w)
    params = model._xgb_params("exponential")
    dtrain = xgb.DMatrix(train.X, train.y, qid=train.qid, weight=group_w)
    raw = xgb.train(params, dtrain, 5)
    np.testing.assert_array_equal(model.predict(train.X), raw.predict(xgb.DMatrix(train.X)))
    w_bad = w.copy()
    w_bad[train.group_offsets[3]] += 1.0
    with pytest.raises(ValueError, match=rf"qid={train.query_ids[3]} .*same weight"):
        small(XGBoostLambdaMART).fit(train, sample_weight=w_bad)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_bad_sample_weight(cls, data):
    train, _ = data
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        small(cls).fit(train, sample_weight=-np.ones(train.n_rows))
    with pytest.raises(ValueError, match="sample_weight has"):
        small(cls).fit(train, sample_weight=np.ones(3))


# ---------------------------------------------------------------- parameters
BAD = [
    ("objective", "lambdamart", "objective must be one of"),
    ("n_estimators", 0, "n_estimators must be an integer >= 1; got 0"),
    ("n_estimators", 2.5, "n_estimators must be an integer"),
    ("learning_rate", 0.0, r"learning_rate must be a number > 0; got 0.0"),
    ("subsample", 1.5, r"subsample must be a number in \(0, 1\]; got 1.5"),
    ("colsample_bytree", 0, "colsample_bytree"),
    ("reg_alpha", -1, "reg_alpha must be a number >= 0"),
    ("eval_at", [], "eval_at must be .* at least one cutoff"),
    ("eval_at", [0, 5], r"eval_at must be an integer >= 1 .*cutoff 0 is not"),
    ("eval_at", "ten", r"eval_at must be an integer >= 1"),
    ("early_stopping_rounds", 0, "early_stopping_rounds must be an integer >= 1 or None"),
    ("eval_metric", "ndcg@x", "eval_metric must be one metric name"),
    ("eval_metric", "ndcg@1,3", r"eval_metric must be one metric name.*names 2 metrics"),
    ("eval_metric", ["ndcg@1"], "eval_metric must be one metric name"),
    ("eval_convention", "nope", "eval_convention must be a known convention"),
    ("gain", "exponentiel", "gain must be one of 'auto', 'exponential', 'linear'"),
    ("random_state", -3, "random_state must be an integer in"),
    ("n_jobs", 0, "n_jobs must be an integer >= 1 or an integer <= -1 or None; got 0"),
    ("device", "tpu", "device must be one of 'cpu', 'cuda'"),
    ("verbose", "loud", "verbose must be a bool or an integer"),
    ("params", [("a", 1)], "params must be None or a dict"),
    ("params", {"learning_rate": 0.1}, "use the constructor parameter learning_rate"),
    ("params", {"eval_metric": "ndcg"}, "eval_metric"),
]


@pytest.mark.parametrize("cls", BOOSTERS)
@pytest.mark.parametrize("name,value,message", BAD)
def test_bad_parameters_fail_before_training(cls, name, value, message, data):
    model = cls(**{name: value})
    with pytest.raises(ValueError, match=message):
        model.fit(data[0])
    assert not hasattr(model, "booster_")


@pytest.mark.parametrize("name,value,message", [
    ("num_leaves", 1, r"num_leaves must be an integer in \[2, 131072\]"),
    ("max_depth", 0, "max_depth must be an integer >= 1 or -1"),
    ("min_child_samples", -1, "min_child_samples"),
    ("subsample_freq", -1, "subsample_freq"),
    ("params", {"eta": 0.1}, "learning_rate"),
    ("params", {"num_boost_round": 3}, "n_estimators"),
    ("params", {"metric": "ndcg"}, "eval_metric"),
    ("params", {"label_gain": "x"}, "label_gain"),
])
def test_lightgbm_bad_parameters(name, value, message, data):
    with pytest.raises(ValueError, match=message):
        LightGBMLambdaMART(**{name: value}).fit(data[0])


@pytest.mark.parametrize("name,value,message", [
    ("max_depth", -1, "max_depth must be an integer >= 0"),
    ("max_leaves", -2, "max_leaves"),
    ("min_child_weight", -1.0, "min_child_weight"),
    ("params", {"eta": 0.1}, "learning_rate"),
    ("params", {"ndcg_exp_gain": "yes"}, "ndcg_exp_gain"),
])
def test_xgboost_bad_parameters(name, value, message, data):
    with pytest.raises(ValueError, match=message):
        XGBoostLambdaMART(**{name: value}).fit(data[0])


def test_lightgbm_cuda_is_a_clear_error_on_a_wheel_without_it(data):
    from boostrank.boosters.lightgbm_ranker import _device_support

    if _device_support("cuda") is None:
        pytest.skip("this LightGBM build supports CUDA")
    with pytest.raises(ValueError, match="device='cuda' is not available with the installed "
                                         "LightGBM.*CUDA"):
        LightGBMLambdaMART(device="cuda").fit(data[0])


def test_xgboost_cuda_parameters(data):
    model = XGBoostLambdaMART(device="cuda")
    model.check_params()
    assert model._xgb_params("exponential")["device"] == "cuda"


@pytest.fixture
def local_client(dask_client):
    return dask_client


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_dask_booster_warns_once_about_large_labels(backend, local_client):
    from boostrank.distributed.dask_boosters import (
        DaskLightGBMLambdaMART,
        DaskXGBoostLambdaMART,
    )

    cls = {"lightgbm": DaskLightGBMLambdaMART, "xgboost": DaskXGBoostLambdaMART}[backend]
    train = make_ranking(20, (4, 10), 4, random_state=9)
    labels = train.y * 20  # up to 80: above both backends' exponential-gain limit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = cls(client=local_client, n_estimators=3, random_state=0).fit(
            train.X, labels, qid=train.qid)
    large = [w for w in caught if "training with linear gain" in str(w.message)]
    assert len(large) == 1, [str(w.message) for w in caught]
    assert model.score_convention_.gain == "linear"


def test_dask_booster_refuses_what_the_cluster_cannot_do(local_client):
    from boostrank.distributed.dask_boosters import DaskLightGBMLambdaMART

    train = make_ranking(10, (4, 8), 3, random_state=9)
    with pytest.raises(ValueError, match="does not take backend callbacks"):
        DaskLightGBMLambdaMART(client=local_client, n_estimators=2).fit(
            train, callbacks=[lgb.log_evaluation(1)])
    with pytest.raises(ValueError, match="does not support categorical_features"):
        X = train.X.copy()
        X[:, 0] = np.arange(train.n_rows) % 3  # valid category codes
        DaskLightGBMLambdaMART(client=local_client, n_estimators=2,
                               categorical_features=[0]).fit(X, train.y, qid=train.qid)
    positioned = make_ranking(10, (4, 8), 3, random_state=9)
    positioned.position = np.concatenate([np.arange(1, n + 1) for n in positioned.group_sizes])
    with pytest.raises(ValueError, match="does not support position_bias=True"):
        DaskLightGBMLambdaMART(client=local_client, n_estimators=2,
                               position_bias=True).fit(positioned)
