"""Tree exports equal `predict`: every format, checked by the engine scorers of
`test_export_scorers` (written from each engine's rules) on generated data, adversarial rows
(features at every split threshold, one float32 step either side, NaN, 0, -0, the 1e-35 band
LightGBM reads as zero), sparse rows with absent features, and the MQ2008 test folds.

Two checks per format and row:
- paths: the float64 sum of the exported leaves each row reaches equals the float64 sum of
  the float32-rounded leaves the backend itself reaches (LightGBM / XGBoost ``pred_leaf``);
  exact equality, so every row takes the same path as predict in every tree;
- scores: |engine - predict| <= (n_trees + 1) * 2**-24 * sum(|leaf|) (float32 engines: one
  rounding per leaf and per addition; Vespa adds in double), and relative 1e-6 where the
  engine works in double.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_export_scorers import score_es_xgboost, score_ranklib, score_solr, score_vespa

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.export import export_model, tree_ensemble

NAMES = ["bm25[title]", "pagerank", "doc_len", "clicks", "fresh", "bm25_body"]
VESPA_NAMES = ["bm25(title)", "attribute(pagerank)", "attribute(doc_len)",
               "attribute(clicks)", "attribute(fresh)", "bm25(body)"]
U = 2.0 ** -24


def _data(seed: int, n_queries: int = 60, size: int = 20) -> tuple[pd.DataFrame, np.ndarray,
                                                                   np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n_queries * size
    X = rng.normal(size=(n, len(NAMES))).astype(np.float32)
    X[rng.random(X.shape) < 0.25] = 0.0
    X[rng.random(X.shape) < 0.1] = np.nan
    y = np.clip(np.round(X[:, 0] * (X[:, 0] > 0) + rng.normal(0, 0.5, n) + 1), 0, 3)
    y = np.nan_to_num(y)
    qid = np.repeat(np.arange(n_queries), size)
    return pd.DataFrame(X.astype(np.float64), columns=NAMES), y, qid


@pytest.fixture(scope="module")
def models() -> dict[str, object]:
    X, y, qid = _data(0)
    Xv, yv, qv = _data(1, n_queries=20)
    common = dict(n_estimators=60, early_stopping_rounds=5, random_state=0, n_jobs=1)
    fitted = {
        "lightgbm-nan": LightGBMLambdaMART(num_leaves=8, min_child_samples=5, **common),
        "lightgbm-zero": LightGBMLambdaMART(num_leaves=8, min_child_samples=5,
                                            params={"zero_as_missing": True}, **common),
        "xgboost": XGBoostLambdaMART(max_depth=3, **common),
    }
    for model in fitted.values():
        model.fit(X, y, qid=qid, eval_set=(Xv, yv, qv))
    dense = X.fillna(0.0)  # no NaN at training: LightGBM splits with missing type None
    fitted["lightgbm-none"] = LightGBMLambdaMART(num_leaves=8, min_child_samples=5,
                                                 **common).fit(dense, y, qid=qid,
                                                               eval_set=(Xv, yv, qv))
    return fitted


def adversarial_rows(model: object, base: np.ndarray, seed: int = 0) -> np.ndarray:
    """One row per split and probe value: the threshold's float32 neighbours, NaN, 0, -0 and
    a value in LightGBM's zero band, on top of a random base row."""
    rng = np.random.default_rng(seed)
    ensemble = tree_ensemble(model)
    rows = []
    for tree in ensemble.trees:
        for feature, t in zip(tree.feature, tree.threshold, strict=True):
            if feature < 0:
                continue
            t32 = np.float32(t)
            probes = [t32, np.nextafter(t32, np.float32(np.inf)),
                      np.nextafter(t32, np.float32(-np.inf)),
                      np.nextafter(np.nextafter(t32, np.float32(np.inf)), np.float32(np.inf)),
                      np.nan, 0.0, -0.0, 1e-36]
            for value in probes:
                row = base[rng.integers(base.shape[0])].copy()
                row[feature] = np.float32(value)
                rows.append(row)
    return np.asarray(rows, dtype=np.float32)


def backend_leaves(model: object, X: np.ndarray) -> np.ndarray:
    """Leaf outputs (n_rows, n_trees) the backend itself reaches (``pred_leaf``)."""
    if isinstance(model, LightGBMLambdaMART):
        booster, best = model.booster_, model.best_iteration_
        index = booster.predict(X.astype(np.float64), pred_leaf=True, num_iteration=best)
        tables = []
        for entry in booster.dump_model(num_iteration=best)["tree_info"]:
            table: dict[int, float] = {}

            def walk(node, table=table):
                if "leaf_value" in node:
                    table[int(node.get("leaf_index", 0))] = float(node["leaf_value"])
                else:
                    walk(node["left_child"])
                    walk(node["right_child"])

            walk(entry["tree_structure"])
            tables.append(table)
        index = np.asarray(index, dtype=np.int64).reshape(X.shape[0], -1)
        return np.array([[tables[k][i] for k, i in enumerate(row)] for row in index])
    import xgboost as xgb

    raw = json.loads(bytes(model.booster_.save_raw("json")))
    trees = raw["learner"]["gradient_booster"]["model"]["trees"]
    dmat = xgb.DMatrix(X, missing=np.nan, feature_names=model.booster_.feature_names)
    nodes = model.booster_.predict(dmat, pred_leaf=True)
    nodes = np.asarray(nodes, dtype=np.int64).reshape(X.shape[0], -1)
    return np.array([[float(np.float32(trees[k]["split_conditions"][i]))
                      for k, i in enumerate(row)] for row in nodes])


def expected_float32_leaf_sum(model: object, X: np.ndarray) -> np.ndarray:
    """float64 sum of the float32 leaves (base score folded into the first tree)."""
    leaves = backend_leaves(model, X).astype(np.float32)
    base = np.float32(tree_ensemble(model).base_score)
    leaves[:, 0] = base + leaves[:, 0]
    return leaves.astype(np.float64).sum(axis=1)


def float32_bound(model: object, X: np.ndarray) -> np.ndarray:
    leaves = np.abs(backend_leaves(model, X))
    n_trees = leaves.shape[1]
    base = abs(tree_ensemble(model).base_score)
    return (n_trees + 1) * U * (leaves.sum(axis=1) + base) + 1e-30


def outside_solr_gaps(X32, gaps, names):
    """Rows with no value in a documented Solr gap (feature, low, high] (near-zero
    thresholds Solr's +1e-6 slack cannot reach): those may differ, all others may not."""
    keep = np.ones(X32.shape[0], dtype=bool)
    for name, low, high in gaps:
        column = X32[:, names.index(name)]
        keep &= ~((column > low) & (column <= high))
    assert keep.mean() > 0.75  # (the 1e-36 probes sit in the gap (0, 1e-35])
    return X32[keep]


def _check(model, X32, engine32, shadow64):
    predicted = model.predict(X32.astype(np.float64))
    np.testing.assert_array_equal(shadow64, expected_float32_leaf_sum(model, X32))
    assert np.all(np.abs(engine32 - predicted) <= float32_bound(model, X32))


def _rows(model, seed=3):
    X, _, _ = _data(seed, n_queries=10)
    X32 = X.to_numpy(dtype=np.float32)
    return np.vstack([X32, adversarial_rows(model, X32)])


KINDS = ["lightgbm-nan", "lightgbm-zero", "lightgbm-none", "xgboost"]


def test_exports_hold_only_the_best_iteration(models, tmp_path):
    model = models["lightgbm-nan"]
    assert model.booster_.num_trees() > model.best_iteration_  # the booster keeps more
    result = export_model(model, tmp_path / "m.json", "xgboost-json")
    assert result.n_trees == model.best_iteration_
    assert len(json.loads(result.path.read_text())) == model.best_iteration_


@pytest.mark.parametrize("kind", KINDS)
def test_xgboost_json_matches_predict(models, kind, tmp_path):
    model = models[kind]
    result = export_model(model, tmp_path / "ltr.json", "xgboost-json", model_name="m")
    body = json.loads(result.paths["createmodel"].read_text())
    assert body["model"]["model"]["type"] == "model/xgboost+json"
    features = json.loads(result.paths["featureset"].read_text())["featureset"]["features"]
    order = [f["name"] for f in features]
    assert order == NAMES  # the user's own names, bm25[title] included, in model order
    X32 = _rows(model)
    engine32, shadow64 = score_es_xgboost(body["model"]["model"]["definition"], order, X32)
    _check(model, X32, engine32, shadow64)


@pytest.mark.parametrize("kind", KINDS)
def test_ranklib_matches_predict_on_values(models, kind, tmp_path):
    model = models[kind]
    result = export_model(model, tmp_path / "m.txt", "ranklib")
    body = json.loads(result.paths["createmodel"].read_text())
    assert body["model"]["model"]["type"] == "model/ranklib"
    X32 = _rows(model)
    X32 = X32[~np.isnan(X32).any(axis=1)]  # RankLib has no missing value (documented)
    engine32, shadow64 = score_ranklib(body["model"]["model"]["definition"], X32)
    _check(model, X32, engine32, shadow64)


@pytest.mark.parametrize("kind", KINDS)
def test_solr_matches_predict_on_values(models, kind, tmp_path):
    model = models[kind]
    result = export_model(model, tmp_path / "solr.json", "solr")
    solr = json.loads(result.path.read_text())
    store = json.loads(result.paths["features"].read_text())
    assert [f["name"] for f in store] == [f["name"] for f in solr["features"]] == NAMES
    X32 = _rows(model)
    X32 = X32[~np.isnan(X32).any(axis=1)]  # Solr features never are missing (default value)
    X32 = outside_solr_gaps(X32, result.details["gaps"], NAMES)
    engine32, shadow64 = score_solr(solr, X32)
    _check(model, X32, engine32, shadow64)


@pytest.mark.parametrize("kind", KINDS)
def test_vespa_matches_predict(models, kind, tmp_path):
    model = models[kind]
    result = export_model(model, tmp_path / "vespa.json", "vespa", feature_names=VESPA_NAMES)
    assert 'xgboost("vespa.json")' in result.paths["rank_profile"].read_text()
    X32 = _rows(model)
    scores = score_vespa(json.loads(result.path.read_text()), VESPA_NAMES, X32)
    predicted = model.predict(X32.astype(np.float64))
    assert np.all(np.abs(scores - predicted) <= float32_bound(model, X32))
    if kind.startswith("lightgbm"):  # double leaves, double sums: predict to 1e-6 relative
        np.testing.assert_allclose(scores, predicted, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_onnx_matches_predict(models, kind, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = models[kind]
    result = export_model(model, tmp_path / "m.onnx", "onnx")
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    X32 = _rows(model)
    (scores,) = session.run(["score"], {"input": X32})
    assert scores.shape == (X32.shape[0],)
    predicted = model.predict(X32.astype(np.float64))
    assert np.all(np.abs(scores - predicted) <= float32_bound(model, X32) + 1e-7)
    np.testing.assert_allclose(scores, predicted, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", ["lightgbm-nan", "xgboost"])
def test_absent_sparse_features(models, kind, tmp_path):
    """An entry absent from a CSR row is 0 for LightGBM and missing for XGBoost: the engine
    gets 0 or NaN there, and follows predict."""
    ort = pytest.importorskip("onnxruntime")
    model = models[kind]
    rng = np.random.default_rng(7)
    dense = rng.normal(size=(300, len(NAMES))).astype(np.float32)
    dense[rng.random(dense.shape) < 0.5] = 0.0
    csr = sp.csr_matrix(dense)
    engine_X = dense.copy()
    if kind == "xgboost":
        engine_X[dense == 0] = np.nan
    predicted = model.predict(csr)
    result = export_model(model, tmp_path / "m.json", "xgboost-json")
    definition = json.loads(result.paths["createmodel"].read_text())["model"]["model"]
    engine32, _ = score_es_xgboost(definition["definition"], NAMES, engine_X)
    bound = float32_bound(model, engine_X)
    assert np.all(np.abs(engine32 - predicted) <= bound)
    onnx_path = export_model(model, tmp_path / "m.onnx", "onnx").path
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (scores,) = session.run(["score"], {"input": engine_X})
    np.testing.assert_allclose(scores, predicted, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_every_format_on_mq2008_test_folds(mq2008_root, tmp_path):
    from boostrank.data import load_letor_fold

    ort = pytest.importorskip("onnxruntime")
    for fold in (1, 2):
        train, vali, test = load_letor_fold(mq2008_root, fold=fold)
        names = [f"f{i + 1}" for i in range(train.n_features)]
        for model in (LightGBMLambdaMART(n_estimators=80, random_state=0, n_jobs=1),
                      XGBoostLambdaMART(n_estimators=80, random_state=0, n_jobs=1)):
            model.fit(train, eval_set=vali)
            X = test.X.toarray() if sp.issparse(test.X) else np.asarray(test.X)
            X32 = np.vstack([X.astype(np.float32), adversarial_rows(model, X.astype(np.float32))])
            X32 = X32[~np.isnan(X32).any(axis=1)]  # LETOR has no missing values
            es = export_model(model, tmp_path / "m.json", "xgboost-json", feature_names=names)
            definition = json.loads(es.paths["createmodel"].read_text())["model"]["model"]
            _check(model, X32, *score_es_xgboost(definition["definition"], names, X32))
            rl = export_model(model, tmp_path / "m.txt", "ranklib", feature_names=names)
            _check(model, X32, *score_ranklib(rl.path.read_text(), X32))
            solr = export_model(model, tmp_path / "s.json", "solr", feature_names=names)
            rows = outside_solr_gaps(X32, solr.details["gaps"], names)
            _check(model, rows, *score_solr(json.loads(solr.path.read_text()), rows))
            onnx_path = export_model(model, tmp_path / "m.onnx", "onnx").path
            session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
            (scores,) = session.run(["score"], {"input": X32})
            np.testing.assert_allclose(scores, model.predict(X32.astype(np.float64)),
                                       rtol=1e-5, atol=1e-5)
