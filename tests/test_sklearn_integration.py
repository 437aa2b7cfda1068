"""The boosters inside scikit-learn's model selection: ``score``, tags, metadata routing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.model_selection import GridSearchCV, GroupKFold

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.data import make_ranking
from boostrank.metrics import evaluate

GRID = {"learning_rate": [0.05, 0.3]}
BOOSTERS = [LightGBMLambdaMART, XGBoostLambdaMART]


@pytest.fixture(scope="module")
def data():
    ranking = make_ranking(40, (4, 15), 5, random_state=3)
    return ranking.X, ranking.y, ranking.qid


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _model(cls, **kw):
    return cls(n_estimators=10, random_state=0, n_jobs=1, **kw)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_score_uses_eval_metric_and_eval_convention(cls, data):
    X, y, qid = data
    model = _model(cls, eval_metric="map@5", eval_convention="trec").fit(X, y, qid=qid)
    expected = evaluate(y, model.predict(X), qid, metrics=("map@5",), convention="trec")
    assert model.score(X, y, qid=qid) == pytest.approx(expected["map@5"], abs=0)
    default = _model(cls).fit(X, y, qid=qid)
    ndcg = evaluate(y, default.predict(X), qid, metrics=("ndcg@10",))["ndcg@10"]
    assert default.score(X, y, qid=qid) == pytest.approx(ndcg, abs=0)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_tags_say_sparse_and_nan_are_accepted(cls, data):
    X, y, qid = data
    tags = cls().__sklearn_tags__()
    assert tags.input_tags.sparse and tags.input_tags.allow_nan
    holes = X.copy()
    holes[::7, 1] = np.nan
    dense = _model(cls).fit(holes, y, qid=qid)
    assert np.isfinite(dense.predict(holes)).all()
    sparse = _model(cls).fit(sp.csr_matrix(X), y, qid=qid)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), sparse.predict(X), rtol=1e-6)


def test_score_without_qid_names_metadata_routing(data):
    X, y, qid = data
    model = _model(LightGBMLambdaMART).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match=r"sklearn.set_config\(enable_metadata_routing=True\)"
                                         r".*set_fit_request\(qid=True\)"
                                         r".set_score_request\(qid=True\)"):
        model.score(X, y)


def test_grid_search_without_routing_raises_the_hint(data):
    X, y, qid = data
    search = GridSearchCV(_model(LightGBMLambdaMART), GRID, cv=GroupKFold(3),
                          error_score="raise")
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        search.fit(X, y, qid=qid, groups=qid)


def test_grid_search_without_routing_warns_with_the_hint(data):
    # scikit-learn's default error_score=np.nan turns the error into warnings: they carry it
    X, y, qid = data
    search = GridSearchCV(_model(LightGBMLambdaMART), GRID, cv=GroupKFold(3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y, qid=qid, groups=qid)
    assert any("set_score_request(qid=True)" in str(w.message) for w in caught)
    assert np.isnan(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("cls", BOOSTERS)
def test_grid_search_with_routing_equals_a_group_kfold_loop(cls, data, routing):
    X, y, qid = data
    model = _model(cls).set_fit_request(qid=True).set_score_request(qid=True)
    search = GridSearchCV(model, GRID, cv=GroupKFold(3), refit=False)
    search.fit(X, y, qid=qid, groups=qid)
    for i, params in enumerate(search.cv_results_["params"]):
        by_hand = []
        for train, test in GroupKFold(3).split(X, y, groups=qid):
            fitted = _model(cls, **params).fit(X[train], y[train], qid=qid[train])
            scores = fitted.predict(X[test])
            by_hand.append(evaluate(y[test], scores, qid[test], metrics=("ndcg@10",))["ndcg@10"])
        for fold, value in enumerate(by_hand):
            assert search.cv_results_[f"split{fold}_test_score"][i] == pytest.approx(value,
                                                                                     abs=1e-12)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == search.cv_results_["params"][best]
