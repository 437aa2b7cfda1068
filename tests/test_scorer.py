"""`boostrank.metrics.make_scorer` in scikit-learn's model selection, with metadata routing:
fold scores equal a hand-written GroupKFold loop over a real LightGBMLambdaMART."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from boostrank import LightGBMLambdaMART
from boostrank.metrics import RankingScorer, evaluate, make_scorer


@pytest.fixture(scope="module")
def shuffled():
    """60 queries of 4..13 documents, graded labels 0..2 (LETOR's range) that follow the features, rows
    shuffled so that the rows of a query are not contiguous."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(4, 14, size=60)
    qid = np.repeat(np.arange(60), sizes)
    X = rng.normal(size=(qid.size, 6))
    y = np.clip(np.round(X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.6, qid.size) + 1), 0, 2)
    order = rng.permutation(qid.size)
    return X[order], y[order], qid[order]


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _model(**params):
    settings = {"n_estimators": 6, "num_leaves": 5, "min_child_samples": 3, "n_jobs": 1,
                "random_state": 0}
    return LightGBMLambdaMART(**{**settings, **params})


def _hand_loop(model, X, y, qid, metric, convention, n_splits=3):
    """Fit on each GroupKFold training part, evaluate the held-out queries by hand."""
    values = []
    for train, test in GroupKFold(n_splits).split(X, y, groups=qid):
        fitted = clone(model).fit(X[train], y[train], qid=qid[train])
        scores = fitted.predict(X[test])
        values.append(evaluate(y[test], scores, qid[test], [metric],
                               convention=convention)[metric])
    return np.array(values)


@pytest.mark.parametrize("metric, convention", [("ndcg@5", "default"), ("map", "letor")])
def test_cross_val_score_equals_a_hand_written_group_kfold_loop(routing, shuffled, metric,
                                                                convention):
    X, y, qid = shuffled
    model = _model().set_fit_request(qid=True)
    got = cross_val_score(model, X, y, cv=GroupKFold(3),
                          scoring=make_scorer(metric, convention=convention),
                          params={"qid": qid, "groups": qid})
    expected = _hand_loop(_model(), X, y, qid, metric, convention)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.all(np.isfinite(got)) and np.ptp(got) > 0


def test_grid_search_scores_and_best_params_follow_the_scorer(routing, shuffled):
    X, y, qid = shuffled
    grid = {"learning_rate": [0.02, 0.5], "num_leaves": [3, 7]}
    search = GridSearchCV(_model().set_fit_request(qid=True), grid, cv=GroupKFold(3),
                          scoring=make_scorer("ndcg@3", convention="letor"), refit=True)
    search.fit(X, y, qid=qid, groups=qid)
    means = search.cv_results_["mean_test_score"]
    for i, params in enumerate(search.cv_results_["params"]):
        expected = _hand_loop(_model(**params), X, y, qid, "ndcg@3", "letor")
        splits = [search.cv_results_[f"split{j}_test_score"][i] for j in range(3)]
        np.testing.assert_allclose(splits, expected, rtol=0, atol=1e-12)
    assert search.best_params_ == search.cv_results_["params"][int(np.argmax(means))]
    assert len(set(np.round(means, 12))) > 1  # the grid is not flat: the choice is real
    assert search.score(X, y, qid=qid) == pytest.approx(
        evaluate(y, search.predict(X), qid, ["ndcg@3"], convention="letor")["ndcg@3"])


def test_pipeline_in_grid_search(routing, shuffled):
    X, y, qid = shuffled
    pipe = Pipeline([("scale", StandardScaler()),
                     ("rank", _model().set_fit_request(qid=True))])
    search = GridSearchCV(pipe, {"rank__learning_rate": [0.05, 0.3]}, cv=GroupKFold(3),
                          scoring=make_scorer("ndcg@5"))
    search.fit(X, y, qid=qid, groups=qid)
    scores = search.cv_results_["split1_test_score"]
    assert np.all((scores > 0) & (scores <= 1))
    train, test = list(GroupKFold(3).split(X, y, groups=qid))[1]
    scaler = StandardScaler().fit(X[train])
    ranker = _model(learning_rate=0.05).fit(scaler.transform(X[train]), y[train],
                                            qid=qid[train])
    expected = evaluate(y[test], ranker.predict(scaler.transform(X[test])), qid[test],
                        ["ndcg@5"])["ndcg@5"]
    assert scores[0] == pytest.approx(expected, abs=1e-12)


def test_without_routing_the_error_says_how_to_enable_it():
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(RuntimeError, match=r"sklearn\.set_config\(enable_metadata_routing="
                                               r"True\).*set_score_request\(qid=True\)"):
            make_scorer("ndcg@5")


def test_missing_qid_names_routing_and_set_score_request(routing, shuffled):
    X, y, qid = shuffled
    model = _model().fit(X, y, qid=qid)
    scorer = make_scorer("ndcg@5")
    with pytest.raises(ValueError, match=r"enable_metadata_routing=True.*"
                                         r"set_score_request\(qid=True\)"):
        scorer(model, X, y)
    assert scorer(model, X, y, qid=qid) == pytest.approx(
        evaluate(y, model.predict(X), qid, ["ndcg@5"])["ndcg@5"])
    with pytest.raises(ValueError, match="takes only qid as metadata, got sample_weight"):
        scorer(model, X, y, qid=qid, sample_weight=np.ones(len(y)))


def test_scorer_arguments_and_routing_request(routing):
    scorer = make_scorer("NDCG@5", convention="xgboost")
    assert isinstance(scorer, RankingScorer) and scorer.metric == "ndcg@5"
    assert repr(scorer) == "make_scorer('ndcg@5', convention='xgboost')"
    assert scorer.get_metadata_routing().score.requests == {"qid": True}
    assert scorer.set_score_request(qid=False).get_metadata_routing().score.requests == {
        "qid": False}
    with pytest.raises(ValueError, match="give one metric, not 'ndcg@5, map'"):
        make_scorer("ndcg@5,map")
    with pytest.raises(ValueError, match="unknown convention 'nope'"):
        make_scorer("ndcg@5", convention="nope")
    with pytest.raises(ValueError, match="unknown metric"):
        make_scorer("ndgc@5")


def test_several_scorers_in_cross_validate(routing, shuffled):
    from sklearn.model_selection import cross_validate

    X, y, qid = shuffled
    scoring = {"ndcg5": make_scorer("ndcg@5"), "map": make_scorer("map", convention="trec")}
    got = cross_validate(_model().set_fit_request(qid=True), X, y, cv=GroupKFold(3),
                         scoring=scoring, params={"qid": qid, "groups": qid})
    np.testing.assert_allclose(got["test_ndcg5"], _hand_loop(_model(), X, y, qid, "ndcg@5",
                                                             "default"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["test_map"], _hand_loop(_model(), X, y, qid, "map", "trec"),
                               rtol=0, atol=1e-12)
