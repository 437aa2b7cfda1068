"""Bad input on the command line: one ``boostrank CMD: error: ...`` line, exit code 2, no
traceback, in every command; and the explicit opt-in of ``predict --pad-features``."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

pytest.importorskip("lightgbm")

from boostrank.cli import main  # noqa: E402
from boostrank.data import load_libsvm, make_ranking, save_libsvm  # noqa: E402

FAST = ["--param", "n_estimators=10", "--param", "n_jobs=1", "--param", "random_state=0"]


@pytest.fixture(scope="module")
def files(libsvm_splits):
    paths = libsvm_splits("errors", {"train": (40, 1), "vali": (15, 2), "test": (15, 3)},
                          docs_per_query=(4, 10))
    folder = paths["train"].parent
    # a truncated gzip file: the first half of a valid one
    whole = gzip.compress(paths["test"].read_bytes())
    paths["truncated"] = folder / "truncated.txt.gz"
    paths["truncated"].write_bytes(whole[: len(whole) // 2])
    paths["model"] = folder / "model.brm"
    assert main(["train", "--model", "lightgbm", "--train", str(paths["train"]), *FAST,
                 "--out", str(paths["model"]), "--quiet"]) == 0
    return paths


def _one_error_line(capsys, argv, needle):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"boostrank {argv[0]}: error: "), err
    assert needle in err, err
    return err


def test_truncated_gzip_is_one_line_naming_the_file_in_every_command(files, tmp_path, capsys):
    bad = files["truncated"]
    commands = [
        ["data", "info", bad],
        ["train", "--model", "lightgbm", "--train", bad, "--out", tmp_path / "m.brm"],
        ["train", "--model", "lightgbm", "--train", files["train"], "--valid", bad,
         "--out", tmp_path / "m.brm"],
        ["predict", "--model", files["model"], "--data", bad, "--out", tmp_path / "s.txt"],
        ["evaluate", "--data", bad, "--scores", files["test"]],
        ["tune", "--model", "lightgbm", "--train", bad, "--valid", files["vali"],
         "--trials", "1", "--out", tmp_path / "tune"],
        ["compare", "--train", files["train"], "--test", bad, "--models", "lightgbm",
         "--quiet", "--out", tmp_path / "rep"],
    ]
    for argv in commands:
        _one_error_line(capsys, argv, "truncated.txt.gz")
    assert not (tmp_path / "m.brm").exists() and not (tmp_path / "rep").exists()


def test_predict_refuses_a_narrower_file_unless_asked(files, tmp_path, capsys):
    """Bad input 8: a model trained on more features than the file has."""
    wide = tmp_path / "wide.txt"
    save_libsvm(make_ranking(30, (4, 10), 9, random_state=5), wide)
    model = tmp_path / "wide.brm"
    assert main(["train", "--model", "lightgbm", "--train", str(wide), *FAST, "--out",
                 str(model), "--quiet"]) == 0
    narrow = files["test"]  # 6 features
    out = tmp_path / "scores.txt"
    _one_error_line(capsys, ["predict", "--model", model, "--data", narrow, "--out", out],
                    "has 6 features but the model")
    assert not out.exists()
    assert main(["predict", "--model", str(model), "--data", str(narrow), "--out", str(out),
                 "--pad-features"]) == 0
    from boostrank.estimator import BaseRanker

    data = load_libsvm(narrow, n_features=9)
    expected = BaseRanker.load(model).predict(data.X)
    np.testing.assert_allclose(np.loadtxt(out), expected[np.argsort(data.source_row)])
    # a wider file than the model is an error even with --pad-features
    _one_error_line(capsys, ["predict", "--model", files["model"], "--data", wide, "--out", out,
                             "--pad-features"], "has 9 features; the model")


def test_model_file_errors_are_one_line(files, tmp_path, capsys):
    crafted = tmp_path / "crafted.brm"
    with zipfile.ZipFile(files["model"]) as archive:
        meta = json.loads(archive.read("meta.json"))
    meta["class"] = "this:Foo"
    with zipfile.ZipFile(crafted, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
    argv = ["predict", "--model", crafted, "--data", files["test"], "--out", tmp_path / "s.txt"]
    _one_error_line(capsys, argv, "crafted.brm")
    assert "this" not in sys.modules  # the named module was never imported
    not_a_model = tmp_path / "plain.brm"
    not_a_model.write_text("hello")
    _one_error_line(capsys, ["predict", "--model", not_a_model, "--data", files["test"],
                             "--out", tmp_path / "s.txt"], "not a boostrank model file")


def test_metric_out_of_range_and_zero_trials(files, tmp_path, capsys):
    scores = tmp_path / "scores.txt"
    scores.write_text("".join("0.5\n" for _ in range(load_libsvm(files["test"]).n_rows)))
    _one_error_line(capsys, ["evaluate", "--data", files["test"], "--scores", scores,
                             "--metrics", "ndcg@99999999999999999999"], "ndcg@99999999999999999999")
    storage = tmp_path / "study.db"
    _one_error_line(capsys, ["tune", "--model", "lightgbm", "--train", files["train"],
                             "--valid", files["vali"], "--trials", "0", "--storage",
                             f"sqlite:///{storage}", "--study", "s", "--out", tmp_path / "t"],
                    "n_trials")
    assert not (tmp_path / "t").exists()


def test_console_script_prints_no_traceback(files, tmp_path):
    """The same through ``python -m boostrank`` (what a user runs)."""
    proc = subprocess.run(
        [sys.executable, "-m", "boostrank", "evaluate", "--data", str(files["truncated"]),
         "--scores", str(files["test"])], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("boostrank evaluate: error: "), proc.stderr
    assert "truncated.txt.gz" in lines[0]


def test_help_texts_show_no_rst_markup(capsys):
    for command in ("train", "predict", "tune"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "``" not in text and "`" not in text, text
        assert "--out" in text


def test_compare_letor_flat_root(files, tmp_path, capsys):
    """A flat LETOR root (train/vali/test files directly, as Istella-S ships) is comparable."""
    import shutil

    root = tmp_path / "flat"
    root.mkdir()
    for name in ("train", "vali", "test"):
        shutil.copy(files[name], root / f"{name}.txt")
    out = tmp_path / "rep"
    assert main(["compare", "--letor", str(root), "--models", "lightgbm", "--params",
                 'lightgbm={"n_estimators": 5, "n_jobs": 1}', "--format", "json", "--quiet",
                 "--out", str(out)]) == 0
    report = json.loads((out / "results.json").read_text())
    assert [fold["name"] for fold in report["folds"]] == ["Fold1"]
    _one_error_line(capsys, ["compare", "--letor", root, "--folds", "2", "--quiet"],
                    "only fold 1 exists")
