"""``boostrank export``: a saved model to ONNX and to the LTR plugin's format from the
command line, with renamed features; errors are the exporters' one-line messages."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from boostrank.boosters import XGBoostLambdaMART
from boostrank.cli import SUBCOMMANDS, export_cmd
from boostrank.export import ExportError


def _cli(argv):
    from boostrank.cli import main

    if "export" in SUBCOMMANDS:
        return main(argv)
    parser = argparse.ArgumentParser(prog="boostrank")
    export_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["bm25[title]", "pr", "len"])
    model = XGBoostLambdaMART(n_estimators=8, max_depth=2, random_state=0, n_jobs=1).fit(
        X, rng.integers(0, 3, 200), qid=np.repeat(np.arange(20), 10))
    path = tmp_path_factory.mktemp("model") / "m.brm"
    model.save(path)
    return path, model, X


def test_export_onnx_and_ltr(saved_model, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    path, model, X = saved_model
    assert _cli(["export", "--model", str(path), "--format", "onnx",
                 "--out", str(tmp_path / "m.onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (scores,) = session.run(["score"], {"input": X.to_numpy(dtype=np.float32)})
    np.testing.assert_allclose(scores, model.predict(X), rtol=1e-5, atol=1e-5)
    names = tmp_path / "names.txt"
    names.write_text("title_bm25\npagerank\ndoc_len\n")
    assert _cli(["export", "--model", str(path), "--format", "xgboost-json", "--out",
                 str(tmp_path / "ltr.json"), "--feature-names", str(names),
                 "--option", "model_name=prod"]) == 0
    out = capsys.readouterr().out
    assert "createmodel" in out and "exactness" in out
    body = json.loads((tmp_path / "ltr.createmodel.json").read_text())
    assert body["model"]["name"] == "prod"
    features = json.loads((tmp_path / "ltr.featureset.json").read_text())
    assert [f["name"] for f in features["featureset"]["features"]] == [
        "title_bm25", "pagerank", "doc_len"]


def test_export_errors_are_one_line(saved_model, tmp_path, capsys):
    path, _, _ = saved_model
    argv = ["export", "--model", str(path), "--format", "xgboost", "--out",
            str(tmp_path / "m.json")]
    if "export" in SUBCOMMANDS:
        assert _cli(argv) == 2
        assert "refuses the feature name(s) 'bm25[title]'" in capsys.readouterr().err
    else:
        with pytest.raises(ExportError, match=r"refuses the feature name\(s\) 'bm25\[title\]'"):
            _cli(argv)
    assert not (tmp_path / "m.json").exists()
    with pytest.raises(FileNotFoundError, match="--model file"):
        export_cmd.run(argparse.Namespace(model=str(tmp_path / "nope.brm"), format="onnx",
                                          out=str(tmp_path / "x"), feature_names=None,
                                          option=[], quiet=True))
