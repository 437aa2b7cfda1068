"""The boosters against the raw libraries: same parameters -> same model, same metric values."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.data import RankingData, make_ranking
from boostrank.metrics import evaluate, get_convention

K = (1, 3, 5, 10)


@pytest.fixture(scope="module")
def data():
    train = make_ranking(120, (3, 25), 8, seed=11)
    valid = make_ranking(50, (1, 25), 8, seed=12)
    test = make_ranking(50, (1, 25), 8, seed=13)
    return train, valid, test


def _lgb_raw(train, valid, params, rounds, stopping=None):
    dtrain = lgb.Dataset(train.X, train.y, group=train.group_sizes)
    dvalid = lgb.Dataset(valid.X, valid.y, group=valid.group_sizes, reference=dtrain)
    record: dict = {}
    callbacks = [lgb.record_evaluation(record)]
    if stopping:
        callbacks.append(lgb.early_stopping(stopping, first_metric_only=True, verbose=False))
    # LightGBM sorts eval_at, so early stopping (first metric) gets ndcg@10 alone
    raw = dict(params, metric="ndcg", eval_at=[10] if stopping else list(K))
    booster = lgb.train(raw, dtrain, num_boost_round=rounds, valid_sets=[dvalid],
                        valid_names=["valid_0"], callbacks=callbacks)
    return booster, record


LGB_PARAMS = dict(objective="lambdarank", learning_rate=0.1, num_leaves=15, max_depth=-1,
                  min_data_in_leaf=5, min_sum_hessian_in_leaf=1e-3, bagging_fraction=0.8,
                  bagging_freq=1, feature_fraction=0.9, lambda_l1=0.0, lambda_l2=0.5,
                  num_threads=1, seed=3, deterministic=True, verbosity=-1)


def _lgb_ours(**kw):
    return LightGBMLambdaMART(learning_rate=0.1, num_leaves=15, min_child_samples=5,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.9,
                              reg_lambda=0.5, n_jobs=1, random_state=3, eval_at=K, **kw)


def test_lightgbm_evals_result_equals_lightgbm_ndcg(data):
    train, valid, test = data
    ours = _lgb_ours(n_estimators=30, early_stopping_rounds=None).fit(train, eval_set=valid)
    booster, record = _lgb_raw(train, valid, LGB_PARAMS, 30)
    for k in K:
        np.testing.assert_allclose(ours.evals_result_["valid_0"][f"ndcg@{k}"],
                                   record["valid_0"][f"ndcg@{k}"], rtol=0, atol=1e-12)
    assert ours.best_iteration_ == 30
    np.testing.assert_array_equal(ours.predict(test.X), booster.predict(test.X))


def test_lightgbm_early_stopping_matches_lightgbm(data):
    train, valid, test = data
    ours = _lgb_ours(n_estimators=300, early_stopping_rounds=10).fit(train, eval_set=valid)
    booster, record = _lgb_raw(train, valid, LGB_PARAMS, 300, stopping=10)
    assert ours.best_iteration_ == booster.best_iteration
    assert ours.best_iteration_ < 300
    assert len(ours.evals_result_["valid_0"]["ndcg@10"]) == len(record["valid_0"]["ndcg@10"])
    np.testing.assert_allclose(ours.evals_result_["valid_0"]["ndcg@10"],
                               record["valid_0"]["ndcg@10"], rtol=0, atol=1e-12)
    assert ours.best_score_["valid_0"]["ndcg@10"] == pytest.approx(
        booster.best_score["valid_0"]["ndcg@10"], abs=1e-12)
    np.testing.assert_array_equal(ours.predict(test.X),
                                  booster.predict(test.X, num_iteration=booster.best_iteration))
    ours_ndcg = evaluate(test.y, ours.predict(test.X), test.qid, metrics=["ndcg@10"])
    raw_ndcg = evaluate(test.y, booster.predict(test.X, num_iteration=booster.best_iteration),
                        test.qid, metrics=["ndcg@10"])
    assert ours_ndcg == raw_ndcg


def test_lightgbm_params_reach_the_backend(data):
    model = _lgb_ours(objective="rank_xendcg", params={"max_bin": 63})
    model.check_params()
    params = model._lgb_params(None)
    assert params["objective"] == "rank_xendcg"
    assert params["max_bin"] == 63
    assert params["metric"] == "None"
    expected = {k: v for k, v in LGB_PARAMS.items() if k != "objective"}
    assert {k: params[k] for k in expected} == expected


XGB_PARAMS = dict(objective="rank:ndcg", eta=0.1, max_depth=4, max_leaves=0,
                  min_child_weight=1.0, subsample=0.8, colsample_bytree=0.9, alpha=0.0,
                  reg_lambda=1.0, nthread=1, seed=3, device="cpu", ndcg_exp_gain=True)


def _xgb_ours(**kw):
    return XGBoostLambdaMART(learning_rate=0.1, max_depth=4, subsample=0.8,
                             colsample_bytree=0.9, n_jobs=1, random_state=3, eval_at=K, **kw)


def _xgb_raw(train, valid, rounds, stopping=None):
    dtrain = xgb.DMatrix(train.X, train.y, qid=train.qid)
    dvalid = xgb.DMatrix(valid.X, valid.y, qid=valid.qid)
    record: dict = {}
    params = dict(XGB_PARAMS, eval_metric=["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"])  # last one stops
    booster = xgb.train(params, dtrain, rounds, evals=[(dvalid, "valid_0")],
                        evals_result=record, early_stopping_rounds=stopping, verbose_eval=False)
    return booster, record


def test_xgboost_evals_result_equals_xgboost_ndcg(data):
    train, valid, test = data
    ours = _xgb_ours(n_estimators=30, early_stopping_rounds=None).fit(train, eval_set=valid)
    booster, record = _xgb_raw(train, valid, 30)
    for k in K:
        # XGBoost reports its metric as float32-precision text
        np.testing.assert_allclose(ours.evals_result_["valid_0"][f"ndcg@{k}"],
                                   record["valid_0"][f"ndcg@{k}"], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(test.X), booster.predict(xgb.DMatrix(test.X)))


def test_xgboost_early_stopping_matches_xgboost(data):
    train, valid, test = data
    ours = _xgb_ours(n_estimators=300, early_stopping_rounds=10).fit(train, eval_set=valid)
    booster, record = _xgb_raw(train, valid, 300, stopping=10)
    assert ours.best_iteration_ == booster.best_iteration + 1
    assert ours.best_iteration_ < 300
    assert len(ours.evals_result_["valid_0"]["ndcg@10"]) == len(record["valid_0"]["ndcg@10"])
    raw_pred = booster.predict(xgb.DMatrix(test.X),
                               iteration_range=(0, booster.best_iteration + 1))
    np.testing.assert_array_equal(ours.predict(test.X), raw_pred)
    assert ours.booster_.num_boosted_rounds() == ours.best_iteration_


def test_xgboost_never_uses_plain_ndcg(data):
    train, valid, _ = data
    ours = _xgb_ours(n_estimators=3).fit(train, eval_set=valid)
    import json

    config = json.loads(ours.booster_.save_config())
    metrics = config["learner"]["metrics"]
    assert all(m.get("name") != "ndcg" for m in metrics)
    assert json.loads(ours.booster_.save_config())["learner"]["learner_train_param"][
        "disable_default_eval_metric"] in ("1", "true", "True")


# ---------------------------------------------------------------- labels above 30
def _large_label_data(data):
    train, valid, _ = data
    rng = np.random.default_rng(5)
    # labels up to 40: beyond both backends' exponential gain, so training uses linear gain
    big = {name: RankingData(d.X, np.minimum(d.y * 10 + rng.integers(0, 4, d.n_rows), 40),
                             d.qid) for name, d in (("train", train), ("valid", valid))}
    assert big["train"].y.max() > 31
    return big["train"], big["valid"]


def test_lightgbm_large_labels_are_evaluated_with_the_training_gain(data, tmp_path):
    train, valid = _large_label_data(data)
    with pytest.warns(UserWarning, match="linear"):
        ours = _lgb_ours(n_estimators=20, early_stopping_rounds=None).fit(train, eval_set=valid)
    assert ours.score_convention_.gain == "linear"
    linear = [float(i) for i in range(41)]
    params = dict(LGB_PARAMS, label_gain=linear)
    booster, record = _lgb_raw(train, valid, params, 20)
    for k in K:  # LightGBM's own NDCG uses the same label_gain
        np.testing.assert_allclose(ours.evals_result_["valid_0"][f"ndcg@{k}"],
                                   record["valid_0"][f"ndcg@{k}"], rtol=0, atol=1e-12)
    expected = evaluate(valid.y, ours.predict(valid.X), valid.qid, ["ndcg@10"],
                        convention=get_convention("default").replace(gain="linear",
                                                                     max_label=None))
    assert ours.score(valid.X, valid.y, qid=valid.qid) == pytest.approx(expected["ndcg@10"],
                                                                        abs=1e-12)
    loaded = LightGBMLambdaMART.load(ours.save(tmp_path / "m.brm"))
    assert loaded.score_convention_ == ours.score_convention_
    assert loaded.score(valid.X, valid.y, qid=valid.qid) == ours.score(valid.X, valid.y,
                                                                       qid=valid.qid)


def test_xgboost_large_labels_are_evaluated_with_the_training_gain(data):
    train, valid = _large_label_data(data)
    with pytest.warns(UserWarning, match="linear"):
        ours = _xgb_ours(n_estimators=20, early_stopping_rounds=None).fit(train, eval_set=valid)
    assert ours.score_convention_.gain == "linear"
    dtrain = xgb.DMatrix(train.X, train.y, qid=train.qid)
    dvalid = xgb.DMatrix(valid.X, valid.y, qid=valid.qid)
    record: dict = {}
    params = dict(XGB_PARAMS, ndcg_exp_gain=False,
                  eval_metric=[f"ndcg@{k}" for k in K])
    xgb.train(params, dtrain, 20, evals=[(dvalid, "valid_0")], evals_result=record,
              verbose_eval=False)
    for k in K:  # XGBoost's own NDCG with ndcg_exp_gain=False is linear too
        np.testing.assert_allclose(ours.evals_result_["valid_0"][f"ndcg@{k}"],
                                   record["valid_0"][f"ndcg@{k}"], rtol=0, atol=1e-6)
