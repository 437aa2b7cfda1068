"""export_model's contract: bad input gets one clear error and writes nothing; native
exports round-trip through the backend with identical predictions and only the kept trees."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.export import EXPORT_FORMATS, ExportError, export_model
from boostrank.export.files import write_files

NAMES = ["bm25[title]", "pagerank", "len"]


def _data(seed=0, n_queries=30, size=10):
    rng = np.random.default_rng(seed)
    n = n_queries * size
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=NAMES)
    X["len"] = rng.integers(0, 4, n).astype(float)  # small integers: usable as a category
    y = rng.integers(0, 3, n)
    return X, y, np.repeat(np.arange(n_queries), size)


@pytest.fixture(scope="module")
def lgbm():
    X, y, qid = _data()
    Xv, yv, qv = _data(1, n_queries=10)
    return LightGBMLambdaMART(n_estimators=40, num_leaves=4, min_child_samples=5,
                              early_stopping_rounds=3, random_state=0, n_jobs=1).fit(
        X, y, qid=qid, eval_set=(Xv, yv, qv))


@pytest.fixture(scope="module")
def xgbm():
    X, y, qid = _data()
    return XGBoostLambdaMART(n_estimators=15, max_depth=3, random_state=0, n_jobs=1).fit(
        X, y, qid=qid)


def test_unfitted_model(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        export_model(LightGBMLambdaMART(), tmp_path / "m.onnx", "onnx")
    assert not any(tmp_path.iterdir())


def test_unknown_format_and_option(lgbm, tmp_path):
    with pytest.raises(ExportError, match="format must be one of onnx, xgboost-json"):
        export_model(lgbm, tmp_path / "m", "pmml")
    with pytest.raises(ExportError, match="no option 'store'.*model_name"):
        export_model(lgbm, tmp_path / "m.json", "xgboost-json", store="x")
    assert not any(tmp_path.iterdir())


def test_every_family_lists_its_formats():
    assert {f for f, fams in EXPORT_FORMATS.items() if "neural" in fams} == {"onnx", "torch"}
    assert "xgboost" not in EXPORT_FORMATS["lightgbm"]


def test_refused_feature_names_name_the_feature_and_the_mapping(xgbm, tmp_path):
    with pytest.raises(ExportError, match=r"XGBoost refuses the feature name\(s\) "
                                          r"'bm25\[title\]'.*feature_names="):
        export_model(xgbm, tmp_path / "m.json", "xgboost")
    assert not any(tmp_path.iterdir())
    result = export_model(xgbm, tmp_path / "m.json", "xgboost",
                          feature_names={"bm25[title]": "bm25_title"})
    assert result.feature_names == ["bm25_title", "pagerank", "len"]


@pytest.mark.parametrize("mapping,message", [
    (["a", "b"], "has 2 names; the model has 3"),
    ({"nope": "x"}, "'nope' is not a feature"),
    (["a", "a", "b"], "'a' names features 0 and 1"),
])
def test_bad_feature_name_mappings(lgbm, tmp_path, mapping, message):
    with pytest.raises(ExportError, match=message):
        export_model(lgbm, tmp_path / "m.json", "xgboost-json", feature_names=mapping)


def test_lightgbm_native_round_trip_keeps_only_the_best_iteration(lgbm, tmp_path):
    import lightgbm as lgb

    assert lgbm.booster_.num_trees() > lgbm.best_iteration_
    names = ["bm25_title", "pagerank", "len"]
    path = export_model(lgbm, tmp_path / "m.txt", "lightgbm", feature_names=names).path
    booster = lgb.Booster(model_file=str(path))
    assert booster.num_trees() == lgbm.best_iteration_
    assert booster.feature_name() == names
    X, _, _ = _data(5)
    np.testing.assert_array_equal(booster.predict(X.to_numpy()), lgbm.predict(X))


@pytest.mark.parametrize("suffix", ["json", "ubj"])
def test_xgboost_native_round_trip(xgbm, tmp_path, suffix):
    import xgboost as xgb

    names = ["bm25_title", "pagerank", "len"]
    path = export_model(xgbm, tmp_path / f"m.{suffix}", "xgboost", feature_names=names).path
    booster = xgb.Booster(model_file=str(path))
    assert booster.feature_names == names
    X, _, _ = _data(6)
    dmat = xgb.DMatrix(X.to_numpy(), feature_names=names, missing=np.nan)
    np.testing.assert_array_equal(booster.predict(dmat), xgbm.predict(X))


@pytest.mark.parametrize("fmt", ["xgboost-json", "ranklib", "solr", "vespa", "onnx"])
def test_categorical_splits_are_refused_by_tree_targets(tmp_path, fmt):
    """A booster with categorical splits (trained natively, as a loaded model may be)."""
    import lightgbm as lgb

    X, _, qid = _data()
    y = np.where(X["len"].to_numpy() == 1, 2, 0)  # category 1 is relevant: a split on it
    dataset = lgb.Dataset(X.to_numpy(), label=y, group=np.bincount(qid),
                          categorical_feature=[2], params={"verbosity": -1})
    booster = lgb.train({"objective": "lambdarank", "num_leaves": 4, "min_data_in_leaf": 5,
                         "min_data_per_group": 5, "cat_smooth": 1.0, "verbosity": -1},
                        dataset, num_boost_round=10)
    assert '"decision_type": "=="' in json.dumps(booster.dump_model())
    model = LightGBMLambdaMART()
    model.booster_, model.best_iteration_, model.n_features_in_ = booster, 10, 3
    with pytest.raises(ExportError, match="categorical splits") as refused:
        export_model(model, tmp_path / "m.out", fmt,
                     feature_names=["bm25(title)", "attribute(pr)", "attribute(len)"])
    assert "export the native format (format='lightgbm')" in str(refused.value)
    assert not any(tmp_path.iterdir())


def test_linear_trees_are_refused(tmp_path):
    X, y, qid = _data()
    model = LightGBMLambdaMART(n_estimators=5, num_leaves=4, min_child_samples=5,
                               random_state=0, n_jobs=1,
                               params={"linear_tree": True}).fit(X, y, qid=qid)
    with pytest.raises(ExportError, match="linear trees.*format='lightgbm'"):
        export_model(model, tmp_path / "m.json", "solr")
    assert not any(tmp_path.iterdir())


def test_failed_write_leaves_nothing(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    first = tmp_path / "first.json"
    with pytest.raises(OSError):
        write_files({first: b"1", blocker / "second.json": b"2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_ltr_bodies_are_ready_to_post(lgbm, tmp_path):
    result = export_model(lgbm, tmp_path / "m.json", "xgboost-json", model_name="my_model",
                          featureset="my_set",
                          feature_templates={"pagerank": {"match_all": {}}})
    fs = json.loads(result.paths["featureset"].read_text())["featureset"]
    assert fs["name"] == "my_set"
    assert [f["name"] for f in fs["features"]] == NAMES
    assert fs["features"][1]["template"] == {"match_all": {}}
    body = json.loads(result.paths["createmodel"].read_text())["model"]
    assert body["name"] == "my_model"
    assert json.loads(body["model"]["definition"]) == json.loads(result.path.read_text())


@pytest.mark.parametrize("fmt", ["xgboost-json", "ranklib", "solr"])
def test_template_for_an_unknown_feature_is_refused(lgbm, tmp_path, fmt):
    with pytest.raises(ExportError, match="feature_templates: 'bm25' is not an exported"):
        export_model(lgbm, tmp_path / "m.json", fmt, feature_templates={"bm25": {}})
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("fmt", ["xgboost-json", "solr", "onnx"])
def test_exports_are_deterministic(lgbm, tmp_path, fmt):
    options = {} if fmt == "onnx" else {"model_name": "m"}
    first = export_model(lgbm, tmp_path / "a" / "m.out", fmt, **options)
    second = export_model(lgbm, tmp_path / "b" / "m.out", fmt, **options)
    for role, path in first.paths.items():
        assert path.read_bytes() == second.paths[role].read_bytes()
