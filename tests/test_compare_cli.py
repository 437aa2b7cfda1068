"""`boostrank compare` on the command line: a full run on small files, bad input, MQ2008."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from boostrank.cli import main
from boostrank.data import load_libsvm, make_ranking, save_libsvm
from boostrank.metrics import evaluate

FAST_LGB = '{"n_estimators": 20, "num_leaves": 7, "min_child_samples": 5, "n_jobs": 1}'
FAST_XGB = '{"n_estimators": 20, "max_depth": 3, "n_jobs": 1}'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("split")
    for name, n_queries, seed in (("train", 50, 1), ("vali", 15, 2), ("test", 30, 3)):
        save_libsvm(make_ranking(n_queries, (3, 15), 7, random_state=seed), folder / f"{name}.txt")
    return folder


def _error_line(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert err.startswith("boostrank compare: error:")
    return err


def test_cli_run_writes_a_report_matching_the_evaluator(files, tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["compare", "--train", str(files / "train.txt"),
                 "--valid", str(files / "vali.txt"), "--test", str(files / "test.txt"),
                 "--models", "lightgbm,xgboost", "--params", f"lightgbm={FAST_LGB}",
                 "--params", f"xgboost={FAST_XGB}", "--metrics", "ndcg@10,3,map",
                 "--convention", "letor", "--baseline", "xgboost", "--seed", "7",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # progress display: which model is running, on stderr; the table on stdout
    assert "[1/2] lightgbm" in captured.err and "[2/2] xgboost" in captured.err
    assert "| xgboost (baseline) |" in captured.out
    assert "report folder:" in captured.out
    doc = json.loads((out / "results.json").read_text())
    assert doc["baseline"] == "xgboost" and doc["seed"] == 7
    assert doc["convention"]["name"] == "letor"
    assert doc["metrics"] == ["ndcg@10", "ndcg@3", "map"]
    assert "--convention letor" in doc["config"]["full_command"]
    test = load_libsvm(files / "test.txt")
    for model in ("lightgbm", "xgboost"):
        scores = np.loadtxt(out / "predictions" / f"{model}.txt")
        means = evaluate(test.y, scores, test.qid, doc["metrics"], convention="letor")
        for metric, value in means.items():
            assert doc["summary"][model][metric]["mean"] == value
        assert doc["folds"][0]["runs"][model]["params"]["random_state"] == 7
    assert (out / "report.html").is_file() and (out / "report.md").is_file()


def test_cli_format_and_quiet(files, tmp_path, capsys):
    out = tmp_path / "rep"
    params_file = tmp_path / "best_params.json"
    params_file.write_text(FAST_LGB)
    code = main(["compare", "--train", str(files / "train.txt"), "--test",
                 str(files / "test.txt"), "--models", "lightgbm", "--params",
                 f"lightgbm=@{params_file}", "--format", "json", "--quiet", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == "" and captured.err == ""
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["params"]["lightgbm"] == json.loads(FAST_LGB)
    assert (out / "results.json").is_file() and (out / "per_query.csv").is_file()
    assert not (out / "report.html").exists() and not (out / "report.md").exists()


@pytest.mark.parametrize("option", ["--seed", "--random-state"])
def test_cli_seed_option_sets_random_state_without_deprecation(files, tmp_path, capsys, option):
    out = tmp_path / "rep"
    argv = ["compare", "--train", str(files / "train.txt"), "--test", str(files / "test.txt"),
            "--models", "lightgbm", "--params",
            'lightgbm={"n_estimators": 5, "subsample": 0.5, "subsample_freq": 1, "n_jobs": 1}',
            option, "9", "--format", "json", "--quiet", "--out", str(out)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert main(argv) == 0, capsys.readouterr().err
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["random_state"] == doc["seed"] == 9
    assert doc["folds"][0]["runs"]["lightgbm"]["params"]["random_state"] == 9
    assert "--seed 9" in doc["config"]["full_command"]


def test_cli_format_tex_and_input_checksums(files, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "among md, html, json, tex" in help_text and "default: md,html,json" in help_text
    out = tmp_path / "rep"
    code = main(["compare", "--train", str(files / "train.txt"), "--test",
                 str(files / "test.txt"), "--models", "lightgbm", "--params",
                 f"lightgbm={FAST_LGB}", "--format", "tex,json", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "\\toprule" in (out / "tables.tex").read_text()
    assert not (out / "report.md").exists()
    doc = json.loads((out / "results.json").read_text())
    datasets = doc["folds"][0]["datasets"]
    for split in ("train", "test"):
        digest = hashlib.sha256((files / f"{split}.txt").read_bytes()).hexdigest()
        assert datasets[split]["sha256"] == digest
    run = doc["folds"][0]["runs"]["lightgbm"]
    assert run["importance_type"] == "gain" and len(run["importances"]) == 7


def test_cli_without_data_options_uses_the_bundled_sample(repo_root, sample_dir, tmp_path,
                                                         capsys, monkeypatch):
    if not (sample_dir / "train.txt").is_file():
        pytest.skip(f"bundled sample not found at {sample_dir}")
    monkeypatch.chdir(tmp_path)  # the sample is also found next to the package
    code = main(["compare", "--models", "lightgbm", "--params",
                 'lightgbm={"n_estimators": 5, "n_jobs": 1}', "--quiet", "--format", "json"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((tmp_path / "boostrank-report" / "results.json").read_text())
    assert doc["folds"][0]["datasets"]["test"]["source"].endswith(
        os.path.join("data", "sample", "test.txt"))
    assert doc["metrics"][0] == "ndcg@10"


def test_missing_file(files, capsys, tmp_path):
    err = _error_line(capsys, ["compare", "--train", str(tmp_path / "nope.txt"),
                               "--test", str(files / "test.txt")])
    assert "nope.txt does not exist" in err


def test_fold_folder_without_vali(files, tmp_path, capsys):
    fold = tmp_path / "letor" / "Fold1"
    fold.mkdir(parents=True)
    shutil.copy(files / "train.txt", fold / "train.txt")
    shutil.copy(files / "test.txt", fold / "test.txt")
    err = _error_line(capsys, ["compare", "--letor", str(tmp_path / "letor"), "--folds", "1"])
    assert "no vali split found" in err
    shutil.copy(files / "vali.txt", fold / "vali.txt")
    err = _error_line(capsys, ["compare", "--letor", str(tmp_path / "letor"), "--folds", "1-2"])
    assert "Fold2" in err


def test_unknown_model(files, capsys):
    err = _error_line(capsys, ["compare", "--train", str(files / "train.txt"), "--test",
                               str(files / "test.txt"), "--models", "lightgbm,bogusnet"])
    assert "unknown model 'bogusnet'" in err


def test_unknown_metric(files, capsys):
    err = _error_line(capsys, ["compare", "--train", str(files / "train.txt"), "--test",
                               str(files / "test.txt"), "--metrics", "ndcg@10,bogus"])
    assert "bogus" in err


def test_feature_count_differs(files, tmp_path, capsys):
    wide = tmp_path / "wide.txt"
    save_libsvm(make_ranking(5, 4, 9, random_state=4), wide)
    err = _error_line(capsys, ["compare", "--train", str(files / "train.txt"), "--test",
                               str(wide), "--models", "lightgbm"])
    assert "has 9 features but train" in err and "has 7" in err


@pytest.mark.parametrize("argv, needle", [
    (["--params", "lightgbm={bad json"], "invalid JSON"),
    (["--params", 'xgboost={"n_estimators": 3}', "--models", "lightgbm"], "params given for"),
    (["--params", 'lightgbm={"no_such_param": 3}', "--models", "lightgbm"], "no parameter"),
    (["--baseline", "xgboost", "--models", "lightgbm"], "baseline 'xgboost' is not among"),
    (["--convention", "nosuch"], "nosuch"),
    (["--format", "pdf"], "unknown report format"),
    (["--tune", "2"], "tuning needs a validation split"),
    (["--tune", "-1"], "tune must be a number of trials >= 0"),
    (["--folds", "1-2"], "--folds selects folds of --letor"),
])
def test_other_bad_options(files, capsys, argv, needle):
    err = _error_line(capsys, ["compare", "--train", str(files / "train.txt"), "--test",
                               str(files / "test.txt"), *argv])
    assert needle in err


def test_console_script_exit_code(tmp_path):
    """The installed entry point ends bad input with a non-zero exit status."""
    proc = subprocess.run([sys.executable, "-m", "boostrank", "compare", "--train",
                           str(tmp_path / "missing.txt"), "--test", str(tmp_path / "x.txt")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"boostrank compare: error: train: {tmp_path / 'missing.txt'} does not exist"]


@pytest.mark.slow
def test_mq2008_five_folds_letor_convention(mq2008_root, tmp_path, capsys):
    out = tmp_path / "mq2008"
    code = main(["compare", "--letor", str(mq2008_root), "--folds", "1-5", "--models",
                 "lightgbm", "--convention", "letor", "--metrics", "ndcg@10,1,3,5",
                 "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((out / "results.json").read_text())
    ndcg10 = doc["summary"]["lightgbm"]["ndcg@10"]
    assert len(ndcg10["per_fold"]) == 5
    assert 0.20 <= ndcg10["mean"] <= 0.26, ndcg10
    assert sum(len(f["query_ids"]) for f in doc["folds"]) == 784
    # the report's fold values are the evaluator's on the saved predictions
    from boostrank.data import load_letor_fold

    _, _, test = load_letor_fold(mq2008_root, fold=3)
    scores = np.loadtxt(out / "predictions" / "Fold3" / "lightgbm.txt")
    assert evaluate(test.y, scores, test.qid, "ndcg@10", convention="letor")["ndcg@10"] == \
        ndcg10["per_fold"][2]


def test_predictions_follow_the_test_file_line_order(files, tmp_path, capsys):
    """A test file whose queries are interleaved is regrouped for training and scoring, yet
    the saved predictions line up with the file's lines."""
    lines = (files / "test.txt").read_text().splitlines()
    order = np.random.default_rng(0).permutation(len(lines))  # interleave the queries
    shuffled = tmp_path / "shuffled.txt"
    shuffled.write_text("\n".join(lines[i] for i in order) + "\n")
    out = tmp_path / "rep"
    with pytest.warns(UserWarning, match="regrouped"):
        code = main(["compare", "--train", str(files / "train.txt"), "--test", str(shuffled),
                     "--models", "lightgbm", "--params", f"lightgbm={FAST_LGB}", "--metrics",
                     "ndcg@10,map", "--format", "json", "--quiet", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    labels = np.array([float(line.split()[0]) for line in lines])[order]
    qids = np.array([int(line.split()[1].split(":")[1]) for line in lines])[order]
    scores = np.loadtxt(out / "predictions" / "lightgbm.txt")
    doc = json.loads((out / "results.json").read_text())
    means = evaluate(labels, scores, qids, ["ndcg@10", "map"])
    for metric, value in means.items():
        assert doc["summary"]["lightgbm"][metric]["mean"] == pytest.approx(value, abs=1e-12)
