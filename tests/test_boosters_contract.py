"""The estimator contract for both boosters: sklearn habits, persistence, callbacks, stopping."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, GroupKFold

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.data import make_ranking
from boostrank.estimator import BaseRanker, EvalStep
from boostrank.metrics import evaluate
from boostrank.registry import get_model_class

BOOSTERS = [LightGBMLambdaMART, XGBoostLambdaMART]


def small(cls, **kw):
    base = dict(n_estimators=20, learning_rate=0.2, n_jobs=1, random_state=0)
    if cls is LightGBMLambdaMART:
        base["min_child_samples"] = 5
    base.update(kw)
    return cls(**base)


@pytest.fixture(scope="module")
def data():
    return (make_ranking(80, (3, 20), 6, seed=21), make_ranking(30, (2, 20), 6, seed=22),
            make_ranking(30, (2, 20), 6, seed=23))


@pytest.fixture(scope="module", params=BOOSTERS, ids=["lightgbm", "xgboost"])
def fitted(request, data):
    train, valid, _ = data
    return small(request.param).fit(train, eval_set=valid)


def test_registry_names():
    assert get_model_class("lightgbm") is LightGBMLambdaMART
    assert get_model_class("xgboost") is XGBoostLambdaMART


def test_importing_boosters_does_not_import_the_backends():
    code = ("import sys, boostrank, boostrank.boosters; "
            "assert 'lightgbm' not in sys.modules and 'xgboost' not in sys.modules; "
            "boostrank.LightGBMLambdaMART; assert 'xgboost' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_get_set_params_and_clone(cls):
    model = cls(n_estimators=7, learning_rate=0.3, params={"max_bin": 31}, eval_at=[5, 1])
    params = model.get_params()
    assert params["n_estimators"] == 7 and params["params"] == {"max_bin": 31}
    copy = clone(model)
    assert copy.get_params() == params
    copy.set_params(n_estimators=9)
    assert copy.n_estimators == 9 and model.n_estimators == 7
    assert isinstance(model, BaseRanker)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_not_fitted(cls, data):
    with pytest.raises(NotFittedError):
        cls().predict(data[0].X)
    with pytest.raises(NotFittedError):
        cls().feature_importances_  # noqa: B018


def test_fitted_attributes(fitted, data):
    _, valid, test = data
    assert fitted.n_features_in_ == 6
    assert set(fitted.evals_result_) == {"valid_0"}
    history = fitted.evals_result_["valid_0"]
    assert set(history) == {"ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"}
    assert all(len(v) == len(history["ndcg@10"]) for v in history.values())
    best = fitted.best_iteration_
    assert 1 <= best <= len(history["ndcg@10"])
    assert fitted.best_score_["valid_0"]["ndcg@10"] == history["ndcg@10"][best - 1]
    assert history["ndcg@10"][best - 1] == max(history["ndcg@10"])
    # the kept model scores the validation set exactly as recorded at the best round
    assert evaluate(valid.y, fitted.predict(valid.X), valid.qid)["ndcg@10"] == pytest.approx(
        fitted.best_score_["valid_0"]["ndcg@10"], abs=1e-12)
    importances = fitted.feature_importances_
    assert importances.shape == (6,) and importances.sum() == pytest.approx(1.0)
    assert (importances >= 0).all()
    assert fitted.score(test.X, test.y, qid=test.qid) == pytest.approx(
        evaluate(test.y, fitted.predict(test.X), test.qid)["ndcg@10"])


def test_pickle_and_save_load_give_identical_predictions(fitted, data, tmp_path):
    test = data[2]
    expected = fitted.predict(test.X)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(test.X), expected)
    path = fitted.save(tmp_path / "model.zip")
    loaded = BaseRanker.load(path)
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.predict(test.X), expected)
    assert loaded.best_iteration_ == fitted.best_iteration_
    assert loaded.best_score_ == fitted.best_score_
    assert loaded.evals_result_ == fitted.evals_result_
    # LightGBM model text keeps split gains with 6-7 significant digits
    np.testing.assert_allclose(loaded.feature_importances_, fitted.feature_importances_,
                               rtol=1e-5)
    assert loaded.get_params() == fitted.get_params()
    import zipfile

    names = zipfile.ZipFile(path).namelist()
    native = "model.txt" if isinstance(fitted, LightGBMLambdaMART) else "model.json"
    assert native in names


@pytest.mark.parametrize("cls", BOOSTERS)
def test_fixed_random_state_is_deterministic(cls, data):
    train, valid, test = data
    kw = dict(subsample=0.7, colsample_bytree=0.7, random_state=5)
    if cls is LightGBMLambdaMART:
        kw["subsample_freq"] = 1
    a = small(cls, **kw).fit(train, eval_set=valid).predict(test.X)
    b = small(cls, **kw).fit(train, eval_set=valid).predict(test.X)
    np.testing.assert_array_equal(a, b)
    c = small(cls, **dict(kw, random_state=6)).fit(train, eval_set=valid).predict(test.X)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_pandas_input_keeps_feature_names(cls, data):
    train, _, test = data
    columns = [f"feat {i}:[x]" for i in range(6)]  # characters both backends refuse
    frame = pd.DataFrame(train.X, columns=columns)
    model = small(cls).fit(frame, train.y, qid=train.qid)
    assert list(model.feature_names_in_) == columns
    pred = model.predict(pd.DataFrame(test.X, columns=columns))
    np.testing.assert_array_equal(pred, model.predict(test.X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(pd.DataFrame(test.X, columns=[f"other{i}" for i in range(6)]))
    plain = [f"f_{i}" for i in range(6)]
    model = small(cls).fit(pd.DataFrame(train.X, columns=plain), train.y, qid=train.qid)
    native = (model.booster_.feature_name() if cls is LightGBMLambdaMART
              else model.booster_.feature_names)
    assert list(native) == plain


@pytest.mark.parametrize("cls", BOOSTERS)
def test_arrays_group_and_sparse_input(cls, data):
    train, valid, test = data
    a = small(cls).fit(train.X, train.y, qid=train.qid, eval_set=(valid.X, valid.y, valid.qid))
    b = small(cls).fit(train.X, train.y, group=train.group_sizes, eval_set=valid)
    np.testing.assert_array_equal(a.predict(test.X), b.predict(test.X))
    import scipy.sparse as sp

    c = small(cls).fit(sp.csr_matrix(train.X), train.y, qid=train.qid)
    assert c.predict(sp.csr_matrix(test.X)).shape == (test.n_rows,)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_callbacks_every_round_and_stop(cls, data):
    train, valid, _ = data
    steps: list[EvalStep] = []
    model = small(cls, early_stopping_rounds=None)
    model.fit(train, eval_set={"vali": valid}, callbacks=[steps.append])
    assert [s.step for s in steps] == list(range(20))
    assert steps[3].estimator is model
    assert steps[3].evals["vali"]["ndcg@10"] == model.evals_result_["vali"]["ndcg@10"][3]

    def stop_at_5(step):
        return step.step == 4

    model = small(cls, early_stopping_rounds=None).fit(train, eval_set=valid,
                                                       callbacks=[stop_at_5])
    assert len(model.evals_result_["valid_0"]["ndcg@10"]) == 5
    assert model.best_iteration_ == 5


@pytest.mark.parametrize("cls", BOOSTERS)
def test_callback_exception_propagates(cls, data):
    train, valid, _ = data

    class Pruned(Exception):
        pass

    def prune(step):
        if step.step == 2:
            raise Pruned()

    with pytest.raises(Pruned):
        small(cls).fit(train, eval_set=valid, callbacks=[prune])


@pytest.mark.parametrize("cls", BOOSTERS)
def test_two_eval_sets_stop_on_the_first(cls, data):
    train, valid, test = data
    model = small(cls, n_estimators=200, early_stopping_rounds=5, eval_metric="map")
    model.fit(train, eval_set=[valid, test])
    assert set(model.evals_result_) == {"valid_0", "valid_1"}
    assert "map" in model.evals_result_["valid_1"]
    history = model.evals_result_["valid_0"]["map"]
    best = int(np.argmax(history))  # first maximum
    assert model.best_iteration_ == best + 1
    assert len(history) == best + 1 + 5 or len(history) == 200


@pytest.mark.parametrize("cls", BOOSTERS)
def test_no_eval_set_keeps_all_rounds(cls, data):
    model = small(cls, n_estimators=12).fit(data[0])
    assert model.best_iteration_ == 12
    assert model.evals_result_ == {} and model.best_score_ == {}


@pytest.mark.parametrize("cls", BOOSTERS)
def test_grid_search_with_group_kfold_and_metadata_routing(cls, data):
    train = data[0]
    rng = np.random.default_rng(0)
    order = rng.permutation(train.n_rows)  # shuffled rows: qids no longer contiguous
    X, y, qid = train.X[order], train.y[order], train.qid[order]
    with sklearn.config_context(enable_metadata_routing=True):
        model = small(cls, n_estimators=5).set_fit_request(qid=True).set_score_request(qid=True)
        search = GridSearchCV(model, {"learning_rate": [0.05, 0.3]}, cv=GroupKFold(3))
        search.fit(X, y, qid=qid, groups=qid)
    assert search.best_params_["learning_rate"] in (0.05, 0.3)
    scores = search.cv_results_["split0_test_score"]
    assert np.all((scores > 0) & (scores <= 1))
    # the score reached `score` with its qid: recompute fold 0 by hand
    train_idx, test_idx = next(GroupKFold(3).split(X, y, groups=qid))
    params = search.cv_results_["params"][0]
    ref = clone(model).set_params(**params).fit(X[train_idx], y[train_idx], qid=qid[train_idx])
    expected = evaluate(y[test_idx], ref.predict(X[test_idx]), qid[test_idx])["ndcg@10"]
    assert scores[0] == pytest.approx(expected)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_eval_convention_and_verbose(cls, data, capsys):
    train, valid, _ = data
    model = small(cls, eval_convention="letor", verbose=5, early_stopping_rounds=None)
    model.fit(train, eval_set=valid)
    history = model.evals_result_["valid_0"]["ndcg@10"]
    assert history[-1] == pytest.approx(
        evaluate(valid.y, model.predict(valid.X), valid.qid, convention="letor")["ndcg@10"],
        abs=1e-12)
    err = capsys.readouterr().err
    assert "[5]  valid_0's ndcg@1:" in err and "[20]" in err and "[3]" not in err


@pytest.mark.parametrize("cls", BOOSTERS)
def test_callbacks_without_eval_set_warn(cls, data):
    with pytest.warns(UserWarning, match="only called when an eval_set is given"):
        small(cls, n_estimators=2).fit(data[0], callbacks=[print])


@pytest.mark.parametrize("cls", BOOSTERS)
def test_every_parameter_is_stored_under_its_own_name(cls):
    import inspect

    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    values = {name: f"value-{i}" for i, name in enumerate(names)}  # all distinct
    assert cls(**values).get_params() == values
