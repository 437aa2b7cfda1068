"""Backend features reachable through the boosters, checked against the raw libraries.

Native callbacks (LightGBM ``reset_parameter``, XGBoost ``LearningRateScheduler``), categorical
features, per-feature contributions, importance types and ``export``.
"""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import xgboost as xgb

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART, lightgbm_callback
from boostrank.data import make_ranking
from boostrank.estimator import BaseRanker

ROUNDS = 25


@pytest.fixture(scope="module")
def data():
    return make_ranking(60, (3, 20), 6, random_state=21), make_ranking(30, (3, 20), 6,
                                                              random_state=22)


@pytest.fixture(scope="module")
def categorical_data():
    """Column 0 holds category codes 0..7 whose effect on relevance is not monotone."""
    rng = np.random.default_rng(5)
    n_queries, size = 60, 12
    n = n_queries * size
    codes = rng.integers(0, 8, n).astype(np.float64)
    numeric = rng.normal(size=(n, 3))
    effect = np.array([0.0, 2.0, 0.0, 2.0, 1.0, 0.0, 2.0, 1.0])[codes.astype(int)]
    y = np.clip(np.round(effect + 0.5 * numeric[:, 0] + rng.normal(0, 0.3, n)), 0, 3)
    qid = np.repeat(np.arange(n_queries), size)
    X = np.column_stack([codes, numeric])
    return X, y.astype(int), qid


# ---------------------------------------------------------------------- callbacks
def _lgb_schedule(i):  # LightGBM's own test_lambdarank schedule
    return max(0.01, 0.1 - 0.01 * i)


def test_lightgbm_reset_parameter_reaches_lightgbm(data):
    train, _ = data
    model = LightGBMLambdaMART(n_estimators=ROUNDS, num_leaves=7, random_state=1, n_jobs=1)
    model.fit(train, callbacks=[lgb.reset_parameter(learning_rate=_lgb_schedule)])
    params = model._lgb_params(None)
    dtrain = lgb.Dataset(train.X, train.y, group=train.group_sizes, params=params)
    raw = lgb.train(params, dtrain, num_boost_round=ROUNDS,
                    callbacks=[lgb.reset_parameter(learning_rate=_lgb_schedule)])
    np.testing.assert_array_equal(model.predict(train.X), raw.predict(train.X))
    constant = LightGBMLambdaMART(n_estimators=ROUNDS, num_leaves=7, random_state=1,
                                  n_jobs=1).fit(train)
    assert not np.allclose(constant.predict(train.X), model.predict(train.X))


def test_lightgbm_callbacks_run_next_to_boostrank_tracking(data):
    train, valid = data
    seen_envs, steps = [], []
    marked = lightgbm_callback(lambda env: seen_envs.append(env.iteration), order=40)
    model = LightGBMLambdaMART(n_estimators=8, num_leaves=7, random_state=1,
                               early_stopping_rounds=None)
    model.fit(train, eval_set=valid, callbacks=[marked, steps.append])
    assert seen_envs == list(range(8))
    assert [s.step for s in steps] == list(range(8))
    assert len(model.evals_result_["valid_0"]["ndcg@10"]) == 8


def test_xgboost_learning_rate_scheduler_reaches_xgboost(data):
    train, _ = data

    def schedule(i):
        return 0.3 * 0.9 ** i

    model = XGBoostLambdaMART(n_estimators=ROUNDS, random_state=1, n_jobs=1)
    model.fit(train, callbacks=[xgb.callback.LearningRateScheduler(schedule)])
    params = model._xgb_params(model._gain_spec)
    dtrain = xgb.DMatrix(train.X, train.y, qid=train.qid)
    raw = xgb.train(params, dtrain, ROUNDS,
                    callbacks=[xgb.callback.LearningRateScheduler(schedule)])
    np.testing.assert_array_equal(model.predict(train.X), raw.predict(xgb.DMatrix(train.X)))
    constant = XGBoostLambdaMART(n_estimators=ROUNDS, random_state=1, n_jobs=1).fit(train)
    assert not np.allclose(constant.predict(train.X), model.predict(train.X))


def test_callbacks_of_the_other_backend_are_refused(data):
    train, _ = data
    with pytest.raises(TypeError, match="is an XGBoost callback; a LightGBM booster"):
        LightGBMLambdaMART(n_estimators=2).fit(
            train, callbacks=[xgb.callback.LearningRateScheduler(lambda i: 0.1)])
    with pytest.raises(TypeError, match="is a LightGBM callback; an XGBoost booster"):
        XGBoostLambdaMART(n_estimators=2).fit(train, callbacks=[lgb.log_evaluation(1)])
    with pytest.raises(TypeError, match=r"callbacks\[0\] \(int\) is not callable"):
        LightGBMLambdaMART(n_estimators=2).fit(train, callbacks=[3])


# ---------------------------------------------------------------------- categorical features
def test_lightgbm_categorical_features_match_lightgbm(categorical_data, tmp_path):
    X, y, qid = categorical_data
    model = LightGBMLambdaMART(n_estimators=ROUNDS, random_state=2, n_jobs=1,
                               categorical_features=[0]).fit(X, y, qid=qid)
    params = model._lgb_params(None)
    sizes = np.bincount(qid)
    dtrain = lgb.Dataset(X, y, group=sizes, categorical_feature=[0], params=params)
    raw = lgb.train(params, dtrain, num_boost_round=ROUNDS)
    assert '"decision_type": "=="' in json.dumps(model.booster_.dump_model())  # category splits
    np.testing.assert_array_equal(model.predict(X), raw.predict(X))
    numeric = LightGBMLambdaMART(n_estimators=ROUNDS, random_state=2, n_jobs=1).fit(
        X, y, qid=qid)
    assert not np.allclose(numeric.predict(X), model.predict(X))
    loaded = BaseRanker.load(model.save(tmp_path / "cat.zip"))
    assert loaded.categorical_features == [0]
    np.testing.assert_array_equal(loaded.categorical_features_, [0])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_xgboost_categorical_features_by_name_match_xgboost(categorical_data, tmp_path):
    X, y, qid = categorical_data
    frame = pd.DataFrame(X, columns=["colour", "a", "b", "c"])
    model = XGBoostLambdaMART(n_estimators=ROUNDS, random_state=2, n_jobs=1,
                              categorical_features=["colour"]).fit(frame, y, qid=qid)
    np.testing.assert_array_equal(model.categorical_features_, [0])
    params = model._xgb_params(model._gain_spec)
    types = ["c", "q", "q", "q"]
    dtrain = xgb.DMatrix(X, y, qid=qid, feature_types=types, enable_categorical=True,
                         feature_names=list(frame.columns))
    raw = xgb.train(params, dtrain, ROUNDS)
    assert "categories" in raw.save_raw("json").decode()
    dtest = xgb.DMatrix(X, feature_types=types, enable_categorical=True,
                        feature_names=list(frame.columns))
    np.testing.assert_array_equal(model.predict(frame), raw.predict(dtest))
    numeric = XGBoostLambdaMART(n_estimators=ROUNDS, random_state=2, n_jobs=1).fit(
        X, y, qid=qid)
    assert not np.allclose(numeric.predict(X), model.predict(frame))
    loaded = BaseRanker.load(model.save(tmp_path / "cat.zip"))
    np.testing.assert_array_equal(loaded.predict(frame), model.predict(frame))
    np.testing.assert_array_equal(loaded.categorical_features_, [0])


@pytest.mark.parametrize("cls", [LightGBMLambdaMART, XGBoostLambdaMART])
@pytest.mark.parametrize("spec, frame, match", [
    ([7], False, r"index 7 is out of range: the training data has 4 columns \(0..3\)"),
    (["colour"], False, "names column 'colour', but the training data has no column names"),
    (["size"], True, "names column 'size', which the training data does not have; its "
                     "columns: 'colour', 'a'"),
    ([0, "a"], True, "mixes column names and indices"),
    ([-1], False, "column index -1 is negative"),
    ("colour", True, "not a list of column names or indices"),
])
def test_bad_categorical_features_are_clear_errors(cls, spec, frame, match, categorical_data):
    X, y, qid = categorical_data
    data = pd.DataFrame(X, columns=["colour", "a", "b", "c"]) if frame else X
    with pytest.raises(ValueError, match=match):
        cls(n_estimators=2, categorical_features=spec).fit(data, y, qid=qid)


@pytest.mark.parametrize("cls", [LightGBMLambdaMART, XGBoostLambdaMART])
@pytest.mark.parametrize("bad", [-1.0, 2.5])
def test_bad_category_codes_are_clear_errors(cls, bad, categorical_data):
    X, y, qid = categorical_data
    broken = X.copy()
    broken[13, 0] = bad
    with pytest.raises(ValueError, match=rf"X: categorical column 0 holds {bad!r} in query "
                                         r"qid=1 \(1 such values\).*integer category codes"):
        cls(n_estimators=2, categorical_features=[0]).fit(broken, y, qid=qid)
    model = cls(n_estimators=2, categorical_features=[0]).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match=rf"X: categorical column 0 holds {bad!r}"):
        model.predict(broken)
    with pytest.raises(ValueError, match="eval_set valid_0: categorical column 0 holds"):
        cls(n_estimators=2, categorical_features=[0]).fit(
            X, y, qid=qid, eval_set=(broken, y, qid))


def test_lightgbm_params_cannot_set_categorical_feature():
    with pytest.raises(ValueError, match="use the constructor parameter categorical_features"):
        LightGBMLambdaMART(params={"categorical_feature": [0]}).check_params()


# ---------------------------------------------------------------------- contributions
@pytest.mark.parametrize("cls", [LightGBMLambdaMART, XGBoostLambdaMART])
def test_contributions_sum_to_predict_at_the_best_iteration(cls, data):
    train, valid = data
    model = cls(n_estimators=60, learning_rate=0.3, early_stopping_rounds=3, random_state=0)
    model.fit(train, eval_set=valid)
    assert model.best_iteration_ < 60  # early stopping kept fewer rounds
    contributions = model.predict_contributions(valid.X, qid=valid.qid)
    assert contributions.shape == (valid.n_rows, valid.n_features + 1)
    assert contributions.dtype == np.float64
    np.testing.assert_allclose(contributions.sum(axis=1), model.predict(valid.X),
                               rtol=1e-5, atol=1e-5)
    sparse = model.predict_contributions(sp.csr_matrix(valid.X))
    np.testing.assert_allclose(sparse, contributions, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="qid"):
        model.predict_contributions(valid.X, qid=valid.qid[:-1])


def test_contributions_of_categorical_xgboost_sum_to_predict(categorical_data):
    X, y, qid = categorical_data
    model = XGBoostLambdaMART(n_estimators=10, categorical_features=[0]).fit(X, y, qid=qid)
    np.testing.assert_allclose(model.predict_contributions(X).sum(axis=1), model.predict(X),
                               rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- importances
def _normalised(values):
    values = np.asarray(values, dtype=np.float64)
    return values / values.sum()


@pytest.mark.parametrize("kind", ["gain", "split"])
def test_lightgbm_importance_types_match_lightgbm(kind, data):
    train, valid = data
    model = LightGBMLambdaMART(n_estimators=60, learning_rate=0.3, early_stopping_rounds=3,
                               importance_type=kind, random_state=0).fit(train, eval_set=valid)
    assert model.best_iteration_ < model.booster_.current_iteration()
    expected = model.booster_.feature_importance(kind, iteration=model.best_iteration_)
    np.testing.assert_allclose(model.feature_importances_, _normalised(expected))
    everything = model.booster_.feature_importance(
        kind, iteration=model.booster_.current_iteration())  # every round trained
    assert not np.allclose(_normalised(everything), model.feature_importances_)


@pytest.mark.parametrize("kind, native", [("gain", "total_gain"), ("split", "weight")])
def test_xgboost_importance_types_match_xgboost(kind, native, data):
    train, _ = data
    model = XGBoostLambdaMART(n_estimators=15, importance_type=kind, random_state=0).fit(train)
    scores = model.booster_.get_score(importance_type=native)
    expected = [scores.get(f"f{j}", 0.0) for j in range(train.n_features)]
    np.testing.assert_allclose(model.feature_importances_, _normalised(expected), rtol=1e-6)
    if kind == "split":  # weight = number of splits, counted from the tree dump
        trees = model.booster_.trees_to_dataframe()
        counts = trees[trees.Feature != "Leaf"].Feature.value_counts()
        by_hand = [counts.get(f"f{j}", 0) for j in range(train.n_features)]
        np.testing.assert_allclose(model.feature_importances_, _normalised(by_hand))


def test_importance_type_is_checked():
    with pytest.raises(ValueError, match="importance_type"):
        LightGBMLambdaMART(importance_type="cover").check_params()


# ---------------------------------------------------------------------- export
def test_export_method_writes_the_model(data, tmp_path):
    train, _ = data
    model = LightGBMLambdaMART(n_estimators=5).fit(train)
    result = model.export(tmp_path / "model.txt", "lightgbm")
    assert result.path.exists()
    reloaded = lgb.Booster(model_file=str(result.path))
    np.testing.assert_allclose(reloaded.predict(train.X), model.predict(train.X))


def test_lightgbm_test_lambdarank_settings_match_lightgbm(data):
    # LightGBM's own test_lambdarank: eval_at [1, 3], early stopping after 10 rounds, and
    # a reset_parameter learning-rate schedule
    train, valid = data
    model = LightGBMLambdaMART(n_estimators=50, eval_at=(1, 3), eval_metric="ndcg@1",
                               early_stopping_rounds=10, random_state=1, n_jobs=1)
    model.fit(train, eval_set=valid,
              callbacks=[lgb.reset_parameter(learning_rate=_lgb_schedule)])
    params = dict(model._lgb_params(None), metric="ndcg", eval_at=[1])
    dtrain = lgb.Dataset(train.X, train.y, group=train.group_sizes, params=params)
    dvalid = lgb.Dataset(valid.X, valid.y, group=valid.group_sizes, reference=dtrain)
    record: dict = {}
    raw = lgb.train(params, dtrain, num_boost_round=50, valid_sets=[dvalid],
                    valid_names=["valid_0"],
                    callbacks=[lgb.early_stopping(10, first_metric_only=True, verbose=False),
                               lgb.reset_parameter(learning_rate=_lgb_schedule),
                               lgb.record_evaluation(record)])
    assert model.best_iteration_ == raw.best_iteration < 50  # stopped early, at one round
    np.testing.assert_allclose(model.evals_result_["valid_0"]["ndcg@1"],
                               record["valid_0"]["ndcg@1"], rtol=1e-12)
    np.testing.assert_array_equal(model.predict(valid.X),
                                  raw.predict(valid.X, num_iteration=raw.best_iteration))
