"""The presets reproduce the real tools: LightGBM, XGBoost, pytrec_eval, scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from boostrank.metrics import evaluate, get_convention


def _ranking_problem(seed: int, n_queries: int = 40, max_docs: int = 25, levels: int = 4):
    """Features on a coarse grid (many tied predictions), some all-zero and 1-doc queries."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_docs + 1, size=n_queries)
    sizes[:2] = 1
    n = int(sizes.sum())
    X = rng.integers(0, 3, size=(n, 4)).astype(np.float64)
    y = np.clip(np.round(X[:, 0] + X[:, 1] * 0.5 + rng.normal(0, 0.7, n)), 0, levels - 1)
    qid = np.repeat(np.arange(n_queries), sizes)
    for q in (2, 5, 7):  # queries with no relevant document
        y[qid == q] = 0
    return X, y.astype(np.float64), qid, sizes


def test_lightgbm_ndcg_and_map_equal_evals_result():
    lightgbm = pytest.importorskip("lightgbm")
    X, y, qid, sizes = _ranking_problem(0)
    Xv, yv, qv, sv = _ranking_problem(1)
    ks = [1, 3, 5, 10, 30]
    model = lightgbm.LGBMRanker(n_estimators=4, num_leaves=3, min_child_samples=5,
                                learning_rate=0.3, verbose=-1, random_state=0, n_jobs=1)
    model.fit(X, y, group=sizes, eval_X=(Xv,), eval_y=(yv,), eval_group=[sv], eval_at=ks,
              eval_metric=["map"])
    scores = model.predict(Xv, raw_score=True)
    assert np.unique(scores).size < scores.size / 2  # plenty of ties
    names = [f"ndcg@{k}" for k in ks] + [f"map@{k}" for k in ks]
    ours = evaluate(yv, scores, qv, names, convention="lightgbm")
    theirs = model.evals_result_["valid_0"]
    for name in names:
        assert ours[name] == pytest.approx(theirs[name][-1], abs=1e-9), name
    assert evaluate(yv, scores, qv, names) == ours  # default = lightgbm rules
    # the ties matter: breaking them pessimistically changes the numbers
    worst = evaluate(yv, scores, qv, names, convention=get_convention("lightgbm").replace(
        ties="pessimistic"))
    assert worst["ndcg@3"] < ours["ndcg@3"] - 1e-3


def test_xgboost_ndcg_and_minus_variant():
    xgb = pytest.importorskip("xgboost")
    X, y, qid, _ = _ranking_problem(2)
    Xv, yv, qv, _ = _ranking_problem(3, max_docs=70)  # plain "ndcg" is ndcg@32 in XGBoost
    dtrain = xgb.DMatrix(X, label=y, qid=qid)
    dvalid = xgb.DMatrix(Xv, label=yv, qid=qv)
    metrics = ["ndcg@1", "ndcg@3", "ndcg@5-", "ndcg@10", "ndcg@10-", "ndcg@40", "ndcg", "ndcg-"]
    history: dict = {}
    booster = xgb.train({"objective": "rank:ndcg", "max_depth": 2, "eta": 0.3,
                         "eval_metric": metrics, "seed": 0, "nthread": 1},
                        dtrain, num_boost_round=3, evals=[(dvalid, "valid")],
                        evals_result=history, verbose_eval=False)
    scores = booster.predict(dvalid)
    assert np.unique(scores).size < scores.size / 2
    ours = evaluate(yv, scores, qv, metrics, convention="xgboost")
    for name in metrics:
        assert ours[name] == pytest.approx(history["valid"][name][-1], abs=1e-6), name
    whole = evaluate(yv, scores, qv, ["ndcg"], convention="default")["ndcg"]
    assert abs(whole - ours["ndcg"]) > 1e-4  # the truncation at 32 matters here


def _trec_inputs(y, scores, qid):
    docs = [f"d{i:06d}" for i in range(y.size)]
    qrels: dict = {}
    run: dict = {}
    for i, (q, label, s) in enumerate(zip(qid, y, scores, strict=True)):
        qrels.setdefault(str(q), {})[docs[i]] = int(label)
        run.setdefault(str(q), {})[docs[i]] = float(s)
    return qrels, run


@pytest.mark.parametrize("tied", [False, True])
def test_trec_preset_equals_pytrec_eval(tied):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(4)
    sizes = rng.integers(1, 30, size=60)
    qid = np.repeat(np.arange(100, 160), sizes)
    n = qid.size
    y = rng.integers(-1, 4, size=n).astype(np.float64)
    y[qid == 103] = 0
    if tied:  # ties, and values equal in float32 only: trec breaks them by docno descending
        scores = rng.integers(0, 4, size=n) + np.where(rng.random(n) < 0.3, 1e-10, 0.0)
    else:
        scores = rng.permutation(n).astype(np.float64) / 7.0
    qrels, run = _trec_inputs(y, scores, qid)
    measures = {"ndcg_cut.1,3,5,10,100", "map", "recip_rank", "P.5", "recall.10"}
    trec = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    names = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "ndcg@100", "map", "mrr",
             "precision@5", "recall@10"]
    keys = ["ndcg_cut_1", "ndcg_cut_3", "ndcg_cut_5", "ndcg_cut_10", "ndcg_cut_100", "map",
            "recip_rank", "P_5", "recall_10"]
    docid = np.array([f"d{i:06d}" for i in range(n)])
    _, per_query = evaluate(y, scores, qid, names, convention="trec", per_query=True,
                            docid=docid)
    _, no_docid = evaluate(y, scores, qid, names, convention="trec", per_query=True)
    for name, key in zip(names, keys, strict=True):
        expected = np.array([trec[str(q)][key] for q in np.unique(qid)])
        np.testing.assert_allclose(per_query[name], expected, rtol=0, atol=1e-9, err_msg=name)
        np.testing.assert_array_equal(no_docid[name], per_query[name])
    if tied:  # input-order ties (float64 scores) would not match trec_eval
        stable = evaluate(y, scores, qid, ["ndcg@3"], convention=get_convention("trec").replace(
            ties="stable", score_dtype="float64"))
        assert abs(stable["ndcg@3"] - np.mean(per_query["ndcg@3"])) > 1e-4


def test_sklearn_preset_equals_ndcg_score_with_ties():
    from sklearn.metrics import ndcg_score

    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, size=(30, 12)).astype(np.float64)
    y[3] = 0
    scores = rng.integers(0, 3, size=(30, 12)).astype(np.float64)
    for k in (1, 3, 5, 12, 20, None):
        name = "ndcg" if k is None else f"ndcg@{k}"
        ours = evaluate(y, scores, metrics=[name], convention="sklearn")[name]
        assert ours == pytest.approx(ndcg_score(y, scores, k=k), abs=1e-12), name


def _xgboost_metric_on_scores(xgb, y, scores, qid, metrics):
    """XGBoost's own metric values of injected scores: a booster with no tree predicts its
    base margin, so evaluating it scores exactly ``scores``."""
    data = xgb.DMatrix(np.zeros((y.size, 1)), label=y, qid=qid, base_margin=scores)
    booster = xgb.train({"objective": "rank:ndcg", "eval_metric": metrics, "base_score": 0.0,
                         "nthread": 1}, data, num_boost_round=0)
    assert np.array_equal(booster.predict(data, output_margin=True), scores.astype(np.float32))
    text = booster.eval(data, name="v")
    values = dict(item.split(":") for item in text.split("\t")[1:])
    return {name.removeprefix("v-"): float(v) for name, v in values.items()}


@pytest.mark.parametrize("seed", [0, 1])
def test_xgboost_map_and_precision_equal_xgboost_metrics_on_injected_scores(seed):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 70, size=60)  # lists longer than 32 and shorter than k
    sizes[:3] = (1, 2, 3)
    qid = np.repeat(np.arange(60), sizes)
    y = (rng.random(qid.size) < 0.35).astype(np.float64)  # XGBoost: map / pre need 0/1 labels
    y[qid == 5] = 0  # a query with no relevant document
    scores = rng.integers(0, 6, size=qid.size).astype(np.float64)  # many ties
    theirs = _xgboost_metric_on_scores(
        xgb, y, scores, qid, ["map", "map-", "map@5", "map@40", "pre@1", "pre@5", "pre@10",
                              "pre@50", "ndcg", "ndcg@5"])
    names = {"map": "map", "map-": "map-", "map@5": "map@5", "map@40": "map@40",
             "pre@1": "precision@1", "pre@5": "precision@5", "pre@10": "precision@10",
             "pre@50": "precision@50", "ndcg": "ndcg", "ndcg@5": "ndcg@5"}
    ours = evaluate(y, scores, qid, list(names.values()), convention="xgboost")
    for theirs_name, our_name in names.items():
        assert ours[our_name] == pytest.approx(theirs[theirs_name], abs=1e-6), our_name
    # the two rules that differ from LightGBM's (the default) matter on these lists
    default = evaluate(y, scores, qid, ["map", "precision@50"])
    assert abs(default["map"] - ours["map"]) > 1e-3
    assert abs(default["precision@50"] - ours["precision@50"]) > 1e-2


def _double_trec_reference(y, scores, qid, docid, k):
    """trec_eval 10.0's ndcg_cut.k written out: float64 scores, ties by docno descending,
    linear gain of labels > 0, ideal from the judged documents, empty queries 0."""
    values = []
    for q in dict.fromkeys(qid):
        rows = np.flatnonzero(qid == q)
        ranked = sorted(rows, key=lambda i: (-scores[i], [-ord(c) for c in docid[i]]))
        gains = [max(y[i], 0.0) for i in ranked]
        ideal = sorted(gains, reverse=True)
        dcg = sum(g / np.log2(r + 2) for r, g in enumerate(gains[:k]))
        idcg = sum(g / np.log2(r + 2) for r, g in enumerate(ideal[:k]))
        values.append(dcg / idcg if idcg > 0 else 0.0)
    return np.array(values)


def test_trec_is_float32_like_pytrec_eval_and_trec10_compares_doubles():
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(8)
    sizes = rng.integers(2, 20, size=40)
    qid = np.repeat(np.arange(40), sizes)
    n = qid.size
    y = rng.integers(0, 3, size=n).astype(np.float64)
    base = rng.integers(0, 4, size=n).astype(np.float64)
    scores = base + np.where(rng.random(n) < 0.5, 1e-10, 0.0)  # distinct only in float64
    docid = np.array([f"d{i:06d}" for i in range(n)])
    qrels, run = _trec_inputs(y, scores, qid)
    trec = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.5"}).evaluate(run)
    expected32 = np.array([trec[str(q)]["ndcg_cut_5"] for q in np.unique(qid)])
    _, float32 = evaluate(y, scores, qid, ["ndcg@5"], convention="trec", per_query=True,
                          docid=docid)
    _, double = evaluate(y, scores, qid, ["ndcg@5"], convention="trec10", per_query=True,
                         docid=docid)
    np.testing.assert_allclose(float32["ndcg@5"], expected32, rtol=0, atol=1e-9)
    np.testing.assert_allclose(double["ndcg@5"], _double_trec_reference(y, scores, qid, docid, 5),
                               rtol=0, atol=1e-12)
    assert np.abs(double["ndcg@5"] - float32["ndcg@5"]).max() > 1e-3  # the choice matters
    # the two scores of the trec_eval 10.0 check: a tie in float32, an order in float64
    y2, s2, d2 = np.array([0.0, 1.0]), np.array([1.0000000001, 1.0]), np.array(["a", "b"])
    assert evaluate(y2, s2, metrics="ndcg", convention="trec", docid=d2)["ndcg"] == 1.0
    tied_double = evaluate(y2, s2, metrics="ndcg", convention="trec10", docid=d2)["ndcg"]
    assert tied_double == pytest.approx(1 / np.log2(3), abs=1e-12)


def test_xgboost_preset_equals_xgboost_on_mq2008_scores(mq2008_root):
    """The case the issue measured: map without a cutoff and pre@k on short MQ2008 lists
    (labels made binary, as XGBoost's map and pre@k require)."""
    xgb = pytest.importorskip("xgboost")
    from sklearn.datasets import load_svmlight_file

    X, y, qid = load_svmlight_file(str(mq2008_root / "Fold1" / "test.txt"), query_id=True,
                                   n_features=46)
    X = X.toarray()
    binary = (y > 0).astype(np.float64)
    scores = np.round(X[:, 0] * 3 + X[:, 38] * 2 + X[:, 12], 1)  # a ranker with many ties
    metrics = ["map", "map@10", "pre@5", "pre@10", "pre@20", "ndcg@10"]
    theirs = _xgboost_metric_on_scores(xgb, binary, scores, qid, metrics)
    ours = evaluate(binary, scores, qid, ["map", "map@10", "precision@5", "precision@10",
                                          "precision@20", "ndcg@10"], convention="xgboost")
    for name, value in zip(metrics, ours.values(), strict=True):
        assert value == pytest.approx(theirs[name], abs=1e-6), name
