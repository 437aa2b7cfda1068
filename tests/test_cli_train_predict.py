"""`boostrank train`, `boostrank predict` and `boostrank tune` end to end (in process)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("boostrank.boosters.lightgbm_ranker")
pytest.importorskip("boostrank.data.libsvm")

from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART  # noqa: E402
from boostrank.cli import main  # noqa: E402
from boostrank.data import load_libsvm, make_ranking  # noqa: E402
from boostrank.estimator import BaseRanker  # noqa: E402

FAST = ["--param", "n_estimators=20", "--param", "n_jobs=1", "--param", "random_state=0"]


@pytest.fixture(scope="module")
def files(libsvm_splits):
    return libsvm_splits("cli", {"train": (60, 1), "vali": (30, 2), "test": (30, 3)})


def test_train_then_predict_matches_the_library(files, tmp_path, capsys):
    model_path = tmp_path / "m.brm"
    code = main(["train", "--model", "lightgbm", "--train", str(files["train"]),
                 "--valid", str(files["vali"]), *FAST, "--out", str(model_path)])
    assert code == 0
    assert "rounds kept" in capsys.readouterr().out
    scores_path = tmp_path / "scores.txt"
    assert main(["predict", "--model", str(model_path), "--data", str(files["test"]),
                 "--out", str(scores_path)]) == 0
    scores = np.loadtxt(scores_path)
    # the same fit done with the library gives the same scores
    train, vali, test = (load_libsvm(files[k]) for k in ("train", "vali", "test"))
    reference = LightGBMLambdaMART(n_estimators=20, n_jobs=1, random_state=0)
    reference.fit(train, eval_set=vali)
    assert scores.shape == (test.n_rows,)
    np.testing.assert_array_equal(scores, reference.predict(test.X))
    loaded = BaseRanker.load(model_path)
    np.testing.assert_array_equal(scores, loaded.predict(test.X))


def test_predict_writes_scores_in_file_line_order(tmp_path):
    # queries interleaved in the file: the loader regroups rows, the scores must not move
    rng = np.random.default_rng(0)
    lines = []
    for i in range(24):
        features = " ".join(f"{j + 1}:{v:.4f}" for j, v in enumerate(rng.random(4)))
        lines.append(f"{i % 3} qid:{[7, 3, 9][i % 3]} {features}")
    data_path = tmp_path / "mixed.txt"
    data_path.write_text("\n".join(lines) + "\n")
    model = LightGBMLambdaMART(n_estimators=5, n_jobs=1, min_child_samples=1,
                               early_stopping_rounds=None)
    model.fit(make_ranking(20, 6, 4, random_state=4))
    model_path = model.save(tmp_path / "m.brm")
    out = tmp_path / "s.txt"
    assert main(["predict", "--model", str(model_path), "--data", str(data_path),
                 "--out", str(out)]) == 0
    X = np.array([[float(tok.split(":")[1]) for tok in line.split()[2:]] for line in lines])
    np.testing.assert_array_equal(np.loadtxt(out), model.predict(X))


def test_predict_with_metrics(files, tmp_path, capsys):
    model_path = tmp_path / "m.brm"
    main(["train", "--model", "lightgbm", "--train", str(files["train"]), *FAST,
          "--param", "early_stopping_rounds=null", "--out", str(model_path), "--quiet"])
    assert capsys.readouterr().out == ""
    assert main(["predict", "--model", str(model_path), "--data", str(files["test"]),
                 "--out", str(tmp_path / "s.txt"), "--metrics", "ndcg@10,map"]) == 0
    out = capsys.readouterr().out
    assert "ndcg@10" in out and "map" in out


def test_train_params_file_and_overrides(files, tmp_path):
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"num_leaves": 7, "learning_rate": 0.2, "n_estimators": 50}))
    model_path = tmp_path / "m.brm"
    assert main(["train", "--model", "lightgbm", "--train", str(files["train"]),
                 "--params", str(params), "--param", "n_estimators=8", "--param", "n_jobs=1",
                 "--param", "early_stopping_rounds=null", "--out", str(model_path),
                 "--quiet"]) == 0
    model = BaseRanker.load(model_path)
    assert (model.num_leaves, model.learning_rate, model.n_estimators) == (7, 0.2, 8)
    assert model.best_iteration_ == 8


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model", "nope", "--train", "{train}", "--out", "{tmp}/m.brm"],
         "unknown model"),
        (["train", "--model", "lightgbm", "--train", "{train}", "--param", "leaves=3",
          "--out", "{tmp}/m.brm"], "no parameter(s) leaves"),
        (["train", "--model", "lightgbm", "--train", "{train}", "--param", "oops",
          "--out", "{tmp}/m.brm"], "NAME=VALUE"),
        (["train", "--model", "lightgbm", "--train", "{tmp}/missing.txt", "--out",
          "{tmp}/m.brm"], "does not exist"),
        (["train", "--model", "lightgbm", "--train", "{train}", "--params", "{tmp}/bad.json",
          "--out", "{tmp}/m.brm"], "not valid JSON"),
        (["predict", "--model", "{tmp}/missing.brm", "--data", "{train}", "--out",
          "{tmp}/s.txt"], "does not exist"),
        (["predict", "--model", "{train}", "--data", "{train}", "--out", "{tmp}/s.txt"],
         "not a boostrank model"),
        (["tune", "--model", "lightgbm", "--train", "{train}", "--out", "{tmp}/o"],
         "or cross-validation (cv=k)"),
        (["tune", "--model", "lightgbm", "--train", "{train}", "--valid", "{train}",
          "--metric", "ndcg@10,map", "--out", "{tmp}/o"], "exactly one"),
        (["tune", "--model", "lightgbm", "--train", "{train}", "--valid", "{train}",
          "--pruner", "often", "--out", "{tmp}/o"], "unknown pruner"),
    ],
)
def test_user_errors_are_one_line_exit_2(files, tmp_path, capsys, argv, message):
    (tmp_path / "bad.json").write_text("{oops")
    argv = [a.format(train=files["train"], tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_tune_writes_outputs_and_train_reuses_best_params(files, tmp_path, capsys):
    out = tmp_path / "tuned"
    code = main(["tune", "--model", "lightgbm", "--train", str(files["train"]),
                 "--valid", str(files["vali"]), "--trials", "4", "--seed", "1",
                 "--param", "n_estimators=20", "--param", "n_jobs=1", "--no-progress",
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "best ndcg@10" in printed
    for name in ("best_params.json", "model.brm", "trials.csv", "summary.json",
                 "optimization_history.png", "param_importances.png",
                 "intermediate_values.png"):
        assert (out / name).is_file(), name
    assert (out / "optimization_history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_trials"] == 4 and summary["best_value"] >= summary["default_value"]
    best = json.loads((out / "best_params.json").read_text())
    assert best["n_estimators"] == 20  # the starting --param values are part of it
    # boostrank train --params best_params.json rebuilds the tuned model exactly
    retrained = tmp_path / "again.brm"
    assert main(["train", "--model", "lightgbm", "--train", str(files["train"]),
                 "--valid", str(files["vali"]), "--params", str(out / "best_params.json"),
                 "--out", str(retrained), "--quiet"]) == 0
    test = load_libsvm(files["test"])
    np.testing.assert_array_equal(BaseRanker.load(retrained).predict(test.X),
                                  BaseRanker.load(out / "model.brm").predict(test.X))


def test_tune_resumes_from_a_storage(files, tmp_path, capsys):
    storage = str(tmp_path / "study.log")
    argv = ["tune", "--model", "lightgbm", "--train", str(files["train"]), "--valid",
            str(files["vali"]), "--trials", "2", "--param", "n_estimators=10", "--param",
            "n_jobs=1", "--storage", storage, "--study", "cli", "--no-progress", "--no-plots"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["n_trials"] == 4 and summary["study_name"] == "cli"
    assert not (tmp_path / "b" / "optimization_history.png").exists()


def test_tune_with_a_held_out_test_says_whether_the_gain_is_significant(files, tmp_path,
                                                                         capsys):
    out = tmp_path / "honest"
    code = main(["tune", "--model", "lightgbm", "--train", str(files["train"]),
                 "--valid", str(files["vali"]), "--test", str(files["test"]), "--trials", "3",
                 "--param", "n_estimators=15", "--param", "n_jobs=1", "--no-progress",
                 "--no-plots", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    held_out = summary["held_out"]
    assert held_out is not None
    assert held_out["verdict"] in printed
    if not held_out["significant"] and held_out["best"] > held_out["default"]:
        assert "NOT significant" in printed


def test_tune_select_significant_prints_and_saves_the_choice(files, tmp_path, capsys):
    out = tmp_path / "select"
    code = main(["tune", "--model", "lightgbm", "--train", str(files["train"]),
                 "--valid", str(files["vali"]), "--trials", "3", "--select", "significant",
                 "--param", "n_estimators=15", "--param", "n_jobs=1", "--no-progress",
                 "--no-plots", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    selection = json.loads((out / "summary.json").read_text())["selection"]
    assert selection["rule"] == "significant"
    assert selection["verdict"] in printed
    assert json.loads((out / "summary.json").read_text())["best_trial"] == \
        selection["chosen_trial"]
