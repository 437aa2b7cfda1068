"""`boostrank.compare`: the runner, the result object and the report folder it writes.

Small generated data and small models; the numbers of the report are checked against
`boostrank.metrics.evaluate` on the saved predictions and against `boostrank.metrics.stats`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from boostrank.comparison import (
    ComparisonResult,
    Progress,
    compare,
    compare_folds,
    compare_letor,
    parse_folds,
    resolve_models,
)
from boostrank.data import RankingData, make_ranking
from boostrank.metrics import evaluate, stats
from boostrank.report import input_files

# n_jobs=1: OpenMP threads only slow tiny fits down on a shared machine
FAST = {
    "lightgbm": {"n_estimators": 25, "num_leaves": 7, "min_child_samples": 5, "n_jobs": 1},
    "xgboost": {"n_estimators": 25, "max_depth": 3, "n_jobs": 1},
}
METRICS = ["ndcg@10", "ndcg@1", "ndcg@5", "map", "mrr"]


@pytest.fixture(scope="module")
def splits():
    train = make_ranking(60, (4, 18), 8, random_state=11)
    valid = make_ranking(20, (4, 18), 8, random_state=12)
    test = make_ranking(40, (3, 18), 8, random_state=13)
    return train, valid, test


@pytest.fixture(scope="module")
def result(splits):
    train, valid, test = splits
    return compare(["lightgbm", "xgboost"], train, valid, test, metrics=METRICS,
                   params=FAST, random_state=3, progress=False, n_resamples=2000)


@pytest.fixture(scope="module")
def report_dir(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result.save(out)
    return out


def test_report_numbers_equal_evaluate_on_saved_predictions(result, report_dir, splits):
    _, _, test = splits
    doc = json.loads((report_dir / "results.json").read_text())
    per_query = pd.read_csv(report_dir / "per_query.csv")
    md = (report_dir / "report.md").read_text()
    for model in ("lightgbm", "xgboost"):
        scores = np.loadtxt(report_dir / "predictions" / f"{model}.txt")
        assert scores.shape == (test.n_rows,)
        means, values = evaluate(test.y, scores, test.qid, METRICS, convention="default",
                                 per_query=True)
        rows = per_query[per_query["model"] == model]
        assert list(rows["qid"]) == list(test.query_ids)
        for metric in METRICS:
            assert doc["summary"][model][metric]["mean"] == means[metric]
            assert result.mean(model, metric) == means[metric]
            np.testing.assert_array_equal(rows[metric].to_numpy(), values[metric])
            assert f"{means[metric]:.4f}" in md
            low, high = stats.mean_ci(values[metric])
            assert doc["summary"][model][metric]["ci_low"] == pytest.approx(low, abs=1e-15)
            assert doc["summary"][model][metric]["ci_high"] == pytest.approx(high, abs=1e-15)


class RandomScores(BaseEstimator):
    """A deliberately useless ranker: uniform random scores (seeded)."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, eval_set=None):
        self.fitted_ = True
        return self

    def predict(self, X):  # no qid: a user estimator without the keyword still works
        return np.random.default_rng(self.random_state).random(X.shape[0])


def test_significance_matches_stats_module(splits):
    train, valid, test = splits
    res = compare({"a": "lightgbm", "b": "xgboost", "c": RandomScores()}, train, valid, test,
                  metrics=["ndcg@10", "map"], baseline="a", random_state=1, progress=False,
                  params={"a": FAST["lightgbm"], "b": FAST["xgboost"]}, n_resamples=1000)
    assert res.run("c").params == {"random_state": 1}
    sig = res.significance()
    assert set(sig["model"]) == {"b", "c"} and (sig["baseline"] == "a").all()
    for metric in ("ndcg@10", "map"):
        base = res.pooled("a", metric)
        block = sig[sig["metric"] == metric].set_index("model")
        p_t, p_r = [], []
        for model in ("b", "c"):
            other = res.pooled(model, metric)
            t, p = stats.paired_ttest(other, base)
            p_t.append(p)
            p_r.append(stats.randomization_test(other, base, n_resamples=1000,
                                                  random_state=1))
            assert block.loc[model, "t"] == pytest.approx(t)
            assert block.loc[model, "mean_diff"] == pytest.approx(np.mean(other - base))
            assert tuple(block.loc[model, ["wins", "ties", "losses"]]) == \
                stats.win_tie_loss(other, base)
            low, high = stats.bootstrap_ci(other, base, n_resamples=1000, random_state=1)
            assert block.loc[model, "diff_ci_low"] == pytest.approx(low)
            assert block.loc[model, "diff_ci_high"] == pytest.approx(high)
        np.testing.assert_allclose(block.loc[["b", "c"], "p_ttest_holm"],
                                   stats.holm_bonferroni(p_t))
        np.testing.assert_allclose(block.loc[["b", "c"], "p_randomization_holm"],
                                   stats.holm_bonferroni(p_r))
        for model in ("b", "c"):
            row = block.loc[model]
            expected = row["p_ttest_holm"] <= 0.05 and row["p_randomization_holm"] <= 0.05
            assert row["significant"] == expected
            assert res.mark(model, metric) == (row["direction"] if expected else "")
    # random scores are far worse than a trained LambdaMART: the report must say so
    assert res.mark("c", "ndcg@10") == "worse"
    assert "▼" in res.to_markdown()


def test_default_baseline_is_best_on_first_metric(result):
    first = result.metrics[0]
    best = max(result.models, key=lambda m: result.mean(m, first))
    assert result.baseline == best
    assert result.baseline_rule == f"best mean {first}"


def test_tables_have_the_documented_shape(result):
    summary = result.summary()
    assert list(summary.index) == ["lightgbm", "xgboost"]
    for metric in METRICS:
        assert {metric, f"{metric} ci_low", f"{metric} ci_high"} <= set(summary.columns)
        assert (summary[f"{metric} ci_low"] <= summary[metric]).all()
        assert (summary[metric] <= summary[f"{metric} ci_high"]).all()
    assert (summary["fit_time_s"] > 0).all() and (summary["predict_time_s"] > 0).all()
    curve = result.ndcg_at_k()
    assert list(curve.columns) == list(range(1, 11))
    n_test_rows = result.folds[0].stats["test"]["documents"]
    for model in result.models:
        assert curve.loc[model, 10] == result.mean(model, "ndcg@10")
        assert result.run(model).scores.shape == (n_test_rows,)


def test_same_seed_gives_identical_results(splits):
    train, valid, test = splits
    kwargs = dict(metrics="ndcg@10", params={"lightgbm": {**FAST["lightgbm"], "subsample": 0.7,
                                                          "subsample_freq": 1}},
                  random_state=5, progress=False, n_resamples=500)
    first = compare(["lightgbm"], train, valid, test, **kwargs)
    second = compare(["lightgbm"], train, valid, test, **kwargs)
    np.testing.assert_array_equal(first.run("lightgbm").scores, second.run("lightgbm").scores)
    assert first.run("lightgbm").params["random_state"] == 5


def test_report_folder_contents(report_dir, result):
    names = {p.relative_to(report_dir).as_posix() for p in report_dir.rglob("*") if p.is_file()}
    assert {"report.md", "report.html", "results.json", "per_query.csv",
            "predictions/lightgbm.txt", "predictions/xgboost.txt",
            "plots/ndcg_at_k.png", "plots/differences.png",
            "plots/learning_curves.png"} <= names
    doc = json.loads((report_dir / "results.json").read_text(),
                     parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert doc["format"] == "boostrank-compare"
    assert doc["baseline"] == result.baseline
    assert doc["convention"]["description"] == result.convention.describe()
    assert doc["environment"]["packages"]["numpy"] == np.__version__
    assert doc["folds"][0]["datasets"]["test"]["queries"] == 40
    assert doc["seed"] == doc["random_state"] == 3 and doc["config"]["random_state"] == doc["config"]["seed"] == 3
    assert doc["config"]["params"]["lightgbm"]["n_estimators"] == 25
    run = doc["folds"][0]["runs"]["lightgbm"]
    assert run["evals_result"]["valid_0"]["ndcg@10"]
    assert 1 <= run["best_iteration"] <= 25
    md = (report_dir / "report.md").read_text()
    for needle in ("## Significance against the baseline", "## Evaluation convention",
                   result.convention.describe(), "## Data", "## Reproducibility",
                   "plots/ndcg_at_k.png", "lightgbm (baseline)" if result.baseline ==
                   "lightgbm" else "xgboost (baseline)"):
        assert needle in md


def test_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html)
    assert "<script" not in html.lower()
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 3
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"


def test_letor_folds_mean_over_folds(tmp_path):
    from boostrank.data import save_libsvm

    for fold, seed in ((1, 20), (2, 30)):
        folder = tmp_path / f"Fold{fold}"
        folder.mkdir()
        for name, n_queries, offset in (("train", 40, 0), ("vali", 12, 1), ("test", 15, 2)):
            save_libsvm(make_ranking(n_queries, (3, 12), 6, random_state=seed + offset),
                        folder / f"{name}.txt")
    res = compare_letor(["lightgbm"], tmp_path, folds="1-2", metrics="ndcg@10,map",
                        params={"lightgbm": FAST["lightgbm"]}, progress=False,
                        n_resamples=200)
    assert res.fold_names == ["Fold1", "Fold2"]
    per_fold = res.fold_means("lightgbm", "ndcg@10")
    assert res.mean("lightgbm", "ndcg@10") == pytest.approx(per_fold.mean())
    assert res.pooled("lightgbm", "ndcg@10").shape == (30,)
    table = res.per_fold("ndcg@10")
    assert list(table.columns) == ["Fold1", "Fold2", "mean"]
    out = res.save(tmp_path / "report", formats="json")
    assert (tmp_path / "report" / "predictions" / "Fold2" / "lightgbm.txt").is_file()
    assert not (tmp_path / "report" / "report.html").exists()
    assert "json" in out
    from boostrank.data import load_libsvm

    test2 = load_libsvm(tmp_path / "Fold2" / "test.txt")
    scores = np.loadtxt(tmp_path / "report" / "predictions" / "Fold2" / "lightgbm.txt")
    assert evaluate(test2.y, scores, test2.qid, "ndcg@10")["ndcg@10"] == per_fold[1]
    # every input file's SHA-256, taken when the fold was loaded
    doc = json.loads((tmp_path / "report" / "results.json").read_text())
    for fold, fold_doc in zip(res.folds, doc["folds"], strict=True):
        for split, stem in (("train", "train"), ("valid", "vali"), ("test", "test")):
            digest = hashlib.sha256((tmp_path / fold.name / f"{stem}.txt").read_bytes())
            assert fold.stats[split]["sha256"] == digest.hexdigest()
            assert fold_doc["datasets"][split]["sha256"] == digest.hexdigest()
    # the report names the bytes that were used, even when a file changes afterwards
    used = res.folds[1].stats["test"]["sha256"]
    with open(tmp_path / "Fold2" / "test.txt", "a") as handle:
        handle.write("0 qid:999 1:0.5\n")
    entries = [e for e in input_files(res) if e["fold"] == "Fold2" and e["split"] == "test"]
    assert [e["sha256"] for e in entries] == [used]
    assert used in res.to_markdown() and used in res.to_html()


def test_model_spec_errors():
    with pytest.raises(ValueError, match="unknown model 'nosuch'"):
        resolve_models("lightgbm,nosuch")
    with pytest.raises(ValueError, match="has no parameter 'bogus'"):
        resolve_models(["lightgbm"], {"lightgbm": {"bogus": 1}})
    with pytest.raises(ValueError, match="params given for xgboost"):
        resolve_models(["lightgbm"], {"xgboost": {"n_estimators": 3}})
    with pytest.raises(ValueError, match="unique"):
        resolve_models(["lightgbm", "LightGBM"])


def test_bad_arguments_fail_before_training(splits):
    train, valid, test = splits
    with pytest.raises(ValueError, match="unknown metric"):
        compare(["lightgbm"], train, valid, test, metrics="ndcg@10,nosuch", progress=False)
    with pytest.raises(ValueError, match="baseline 'xgboost' is not among"):
        compare(["lightgbm"], train, valid, test, baseline="xgboost", progress=False)
    with pytest.raises(ValueError, match="unknown convention"):
        compare(["lightgbm"], train, valid, test, convention="nosuch", progress=False)
    narrow = make_ranking(10, 5, 5, random_state=1)
    with pytest.raises(ValueError, match="test has 5 features but train has 8"):
        compare(["lightgbm"], train, valid, narrow, progress=False)


def test_estimator_instances_and_the_package_facade(splits):
    import boostrank
    import boostrank.comparison
    from boostrank import LightGBMLambdaMART

    train, valid, test = splits
    res = boostrank.compare({"small": LightGBMLambdaMART(n_estimators=5, n_jobs=1)}, train, valid, test,
                            metrics="ndcg@10", progress=False, n_resamples=100)
    assert res.models == ["small"] and res.run("small").params["n_estimators"] == 5
    assert res.significance().empty
    # importing the package does not shadow the function: boostrank.compare stays callable
    assert boostrank.compare is boostrank.comparison.compare
    assert callable(boostrank.compare) and not isinstance(boostrank.compare, type(boostrank))


def test_query_level_preprocessing_gets_the_test_queries(splits):
    """compare passes qid to predict: RankNet with per-query min-max scaling runs end to end
    and its scores are those of predict(X, qid=...) called directly."""
    pytest.importorskip("torch")
    from neural import RankNet

    train, valid, test = splits
    params = {"ranknet": {"preprocessing": "query_minmax", "n_epochs": 3, "random_state": 0}}
    res = compare(["ranknet"], train, valid, test, metrics="ndcg@10", progress=False,
                  params=params, n_resamples=100)
    direct = RankNet(**params["ranknet"]).fit(train, eval_set=valid)
    np.testing.assert_allclose(res.run("ranknet").scores, direct.predict(test.X, qid=test.qid),
                               rtol=1e-6)
    assert 0.0 < res.mean("ranknet", "ndcg@10") <= 1.0


def test_letor_flat_root_and_compressed_folds(tmp_path):
    """compare_letor reads what load_letor_fold reads: a flat root, and .txt.gz fold files."""
    import gzip

    from boostrank.data import load_letor_fold, save_libsvm

    flat = tmp_path / "flat"
    flat.mkdir()
    for name, seed in (("train", 1), ("vali", 2), ("test", 3)):
        save_libsvm(make_ranking(20, (3, 10), 5, random_state=seed), flat / f"{name}.txt")
    res = compare_letor(["lightgbm"], flat, folds=None, metrics="ndcg@10", progress=False,
                        params={"lightgbm": FAST["lightgbm"]}, n_resamples=100)
    assert res.fold_names == ["Fold1"]
    _, _, test = load_letor_fold(flat)
    scores = res.run("lightgbm", "Fold1").scores
    assert res.mean("lightgbm", "ndcg@10") == pytest.approx(
        evaluate(test.y, scores, test.qid, "ndcg@10")["ndcg@10"])

    fold = tmp_path / "gz" / "Fold1"
    fold.mkdir(parents=True)
    for name in ("train", "vali", "test"):
        (fold / f"{name}.txt.gz").write_bytes(gzip.compress((flat / f"{name}.txt").read_bytes()))
    again = compare_letor(["lightgbm"], tmp_path / "gz", folds="1", metrics="ndcg@10",
                          progress=False, params={"lightgbm": FAST["lightgbm"]},
                          n_resamples=100)
    np.testing.assert_array_equal(again.run("lightgbm", "Fold1").scores, scores)
    with pytest.raises(FileNotFoundError, match="fold 2 not found"):
        compare_letor(["lightgbm"], tmp_path / "gz", folds="1-2", progress=False)


def test_parse_folds():
    assert parse_folds("1-5") == [1, 2, 3, 4, 5]
    assert parse_folds("1,3, 5") == [1, 3, 5]
    assert parse_folds("2") == [2]
    assert parse_folds("1-2,4") == [1, 2, 4]
    for bad in ("", "a", "3-1", "1,1"):
        with pytest.raises(ValueError):
            parse_folds(bad)


def test_tuning_and_a_neural_model(splits, tmp_path):
    """--tune N goes through tuning.tune; neural runs report epochs; the report shows both."""
    train, valid, test = splits
    res = compare(["lightgbm", "ranknet"], train, valid, test, metrics="ndcg@10,map", tune=2,
                  params={"lightgbm": {"n_estimators": 15, "n_jobs": 1},
                          "ranknet": {"n_epochs": 3}},
                  random_state=2, progress=False, n_resamples=200)
    for model in res.models:
        run = res.run(model)
        assert run.tuning["n_trials"] == 2 and run.tuning["metric"] == "ndcg@10"
        assert isinstance(run.tuning["best_params"], dict) and run.tuning["best_params"]
        assert run.tuning["best_value"] is not None
    neural = res.run("ranknet")
    assert neural.importances is None and neural.importance_type is None  # no importances
    tuned = res.run("lightgbm")  # the refitted best model of the tuning still reports them
    assert tuned.importance_type == "gain" and sum(tuned.importances.values()) == \
        pytest.approx(1.0)
    assert neural.iteration_kind == "epoch" and 1 <= neural.best_iteration <= 3
    assert len(neural.evals_result["valid_0"]["ndcg@10"]) <= 3
    res.save(tmp_path, formats="md,json")
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["config"]["tune"] == 2
    assert doc["folds"][0]["runs"]["ranknet"]["tuning"]["best_params"]
    md = (tmp_path / "report.md").read_text()
    assert "fit includes tuning" in md and "epoch " in md


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_display_names_model_fold_step_and_trial(splits):
    train, valid, test = splits
    stream = _Terminal()
    compare(["lightgbm"], train, valid, test, metrics="ndcg@10", tune=2,
            params={"lightgbm": {"n_estimators": 10, "n_jobs": 1}}, progress=Progress(stream=stream),
            n_resamples=100)
    text = stream.getvalue()
    assert text.startswith("boostrank compare: 1 model (lightgbm), 2 tuning trials each\n")
    assert "\r[1/1] lightgbm: trial 1/2 complete value=" in text
    assert "[1/1] lightgbm: trial 2/2" in text
    assert re.search(r"\[1/1\] lightgbm: fit [0-9.]+ s, predict [0-9.]+ s, test ndcg@10 = "
                     r"0\.\d{4}\n$", text)

    stream = _Terminal()
    compare(["lightgbm"], train, valid, test, metrics="ndcg@10", progress=Progress(stream=stream),
            params={"lightgbm": {"n_estimators": 10, "n_jobs": 1}}, n_resamples=100)
    assert "\r[1/1] lightgbm: step 1 valid_0 ndcg@10=" in stream.getvalue()


def test_importances_of_the_boosters_in_every_report(result, report_dir, splits):
    """ModelRun.importances is the fitted booster's feature_importances_ (LightGBM's own total
    split gain, normalised), keyed f0..f7; the Markdown, HTML and JSON reports show them."""
    train, valid, _ = splits
    spec = resolve_models(["lightgbm"], {"lightgbm": FAST["lightgbm"]})[0]
    again = spec.build(3).fit(train, eval_set=valid)
    native = again.booster_.feature_importance(importance_type="gain",
                                               iteration=again.best_iteration_)
    run = result.run("lightgbm")
    assert list(run.importances) == [f"f{j}" for j in range(train.n_features)]
    np.testing.assert_allclose(list(run.importances.values()), native / native.sum())
    doc = json.loads((report_dir / "results.json").read_text())
    for model in ("lightgbm", "xgboost"):
        run = result.run(model)
        assert run.importance_type == "gain"
        assert sum(run.importances.values()) == pytest.approx(1.0)
        assert doc["folds"][0]["runs"][model]["importances"] == run.importances
        assert doc["folds"][0]["runs"][model]["importance_type"] == "gain"
    md = (report_dir / "report.md").read_text()
    section = md.split("## Feature importances", 1)[1]
    top = max(run.importances, key=run.importances.get)  # xgboost's most important feature
    assert "importance type: gain" in section and f"| {top} " in section
    html = (report_dir / "report.html").read_text()
    assert "<h2>Feature importances</h2>" in html and "importance type: gain" in html


class ImportanceRanker(BaseEstimator):
    """Scores one feature; its importances are a one-hot of that feature (or a bad shape)."""

    def __init__(self, feature=0, importance_type="split", bad_shape=False, random_state=None):
        self.feature = feature
        self.importance_type = importance_type
        self.bad_shape = bad_shape
        self.random_state = random_state

    def fit(self, data, eval_set=None):
        self.n_features_in_ = data.n_features
        return self

    def predict(self, X):
        return np.asarray(X[:, self.feature], dtype=np.float64).ravel()

    @property
    def feature_importances_(self):
        values = np.eye(self.n_features_in_)[self.feature]
        return np.stack([values, values]) if self.bad_shape else values


def test_importances_use_feature_names_and_the_model_importance_type(splits):
    train, valid, test = splits
    names = [f"bm25_{j}" for j in range(train.n_features)]
    named = RankingData(train.X, train.y, train.qid, feature_names=names)
    res = compare({"one": ImportanceRanker(feature=2), "neural": "ranknet"}, named, valid,
                  test, metrics="ndcg@10", params={"neural": {"n_epochs": 1}},
                  progress=False, n_resamples=100)
    run = res.run("one")
    assert run.importances == {n: float(j == 2) for j, n in enumerate(names)}
    assert run.importance_type == "split"
    assert res.run("neural").importances is None and res.run("neural").importance_type is None
    md = res.to_markdown()
    assert "importance type: split" in md and "| bm25\\_2 | 1.0000 |" in md  # _ escaped
    # in-memory splits come from no file: no checksum
    assert all(s["sha256"] is None for s in res.folds[0].stats.values())


def test_importances_of_a_wrong_shape_are_left_out_with_a_warning(splits):
    train, valid, test = splits
    with pytest.warns(UserWarning, match=r"bad: feature_importances_ has shape \(2, 8\)"):
        compare({"bad": ImportanceRanker(bad_shape=True)}, train, valid, test,
                metrics="ndcg@10", progress=False, n_resamples=100)


def test_significance_tests_use_random_state_without_deprecation(splits):
    train, valid, test = splits
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        res = compare({"a": ImportanceRanker(feature=0), "b": ImportanceRanker(feature=1)},
                      train, valid, test, metrics="ndcg@10", progress=False, n_resamples=200,
                      random_state=4)
        row = res.significance().iloc[0]
    a, b = res.pooled(row["model"], "ndcg@10"), res.pooled(res.baseline, "ndcg@10")
    assert row["p_randomization"] == stats.randomization_test(a, b, n_resamples=200,
                                                              random_state=4)


# ------------------------------------------------------------------ random_state / seed
def _seeded_compare(splits, **seed_kwargs):
    train, valid, test = splits
    params = {"lightgbm": {**FAST["lightgbm"], "subsample": 0.6, "subsample_freq": 1}}
    return compare({"lightgbm": "lightgbm", "noise": RandomScores()}, train, valid, test,
                   metrics="ndcg@10", params=params, progress=False, n_resamples=300,
                   **seed_kwargs)


def test_seed_is_a_deprecated_alias_of_random_state(splits):
    with pytest.warns(DeprecationWarning, match=r"compare\(seed=\.\.\.\) is deprecated; use "
                                                r"random_state") as caught:
        old = _seeded_compare(splits, seed=1)
    assert [w.filename for w in caught if w.category is DeprecationWarning] == [__file__]
    new = _seeded_compare(splits, random_state=1)
    other = _seeded_compare(splits, random_state=2)
    for model in ("lightgbm", "noise"):
        np.testing.assert_array_equal(old.run(model).scores, new.run(model).scores)
        assert old.run(model).params["random_state"] == new.run(model).params["random_state"] == 1
    # the seed matters, so the equality above is not trivially true
    assert not np.array_equal(other.run("noise").scores, new.run("noise").scores)
    pd.testing.assert_frame_equal(old.significance(), new.significance())
    assert old.random_state == new.random_state == old.seed == 1
    assert old.config["random_state"] == old.config["seed"] == 1


def test_seed_alias_of_compare_folds_and_comparison_result(splits):
    train, valid, test = splits
    with pytest.warns(DeprecationWarning, match=r"compare_folds\(seed=\.\.\.\)"):
        res = compare_folds({"noise": RandomScores()}, [("test", (train, valid, test))],
                            metrics="ndcg@10", progress=False, n_resamples=100, seed=6)
    assert res.random_state == 6 and res.run("noise").params == {"random_state": 6}
    with pytest.warns(DeprecationWarning, match=r"ComparisonResult\(seed=\.\.\.\)"):
        again = ComparisonResult(res.models, res.metrics, res.convention, res.folds, seed=6,
                                 environment=res.environment)
    assert again.random_state == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"random_state": 1, "seed": 2}, r"compare: give random_state only \(seed=2 is its "
                                     r"deprecated alias\), not both"),
    ({"random_state": None}, r"random_state must be an integer"),
    ({"random_state": -1}, r"random_state must be None, an integer in \[0, 2147483647\]"),
    ({"random_state": 1.5}, r"random_state must be None, an integer"),
])
def test_bad_random_state_is_refused_before_training(splits, kwargs, message):
    train, valid, test = splits
    with pytest.raises(ValueError, match=message):
        compare({"x": NeverFitted()}, train, valid, test, metrics="ndcg@10", progress=False,
                **kwargs)


class NeverFitted(ImportanceRanker):
    def fit(self, data, eval_set=None):
        pytest.fail("trained despite a bad random_state")
