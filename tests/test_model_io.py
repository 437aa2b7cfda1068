"""Model files: what `BaseRanker.load` accepts, and one clear error for everything else."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.data import make_ranking
from boostrank.estimator import BaseRanker
from boostrank.model_io import (
    ModelFileError,
    jsonable_params,
    params_from_json,
    read_model_file,
)
from boostrank.registry import MODELS, class_path, resolve_class_path


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    data = make_ranking(20, (3, 10), 4, random_state=0)
    model = LightGBMLambdaMART(n_estimators=3, min_child_samples=2, n_jobs=1,
                               random_state=0).fit(data)
    path = model.save(tmp_path_factory.mktemp("m") / "model.brm")
    return model, path, data


def rewrite(src, dst, *, meta=None, drop=(), add=None):
    """A copy of model file ``src`` with meta.json changed / members dropped or added."""
    with zipfile.ZipFile(src) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    current = json.loads(files.pop("meta.json"))
    if meta is not None:
        current = meta(current)
    with zipfile.ZipFile(dst, "w") as archive:
        archive.writestr("meta.json", json.dumps(current))
        for name, content in {**files, **(add or {})}.items():
            if name not in drop:
                archive.writestr(name, content)
    return dst


def test_round_trip_and_registry(saved):
    model, path, data = saved
    loaded = BaseRanker.load(path)
    np.testing.assert_array_equal(loaded.predict(data.X), model.predict(data.X))
    assert LightGBMLambdaMART.load(path).best_iteration_ == model.best_iteration_
    assert class_path(LightGBMLambdaMART) in MODELS.values()
    assert resolve_class_path("xgboost") is XGBoostLambdaMART
    assert resolve_class_path("os:system") is None


def test_crafted_class_is_never_imported(saved, tmp_path):
    _, path, _ = saved
    crafted = rewrite(path, tmp_path / "crafted.brm",
                      meta=lambda m: {**m, "model": None, "class": "this:Foo"})
    # in a fresh interpreter, so that `this` is certainly not imported already
    code = ("import sys\nfrom boostrank.estimator import BaseRanker\n"
            "from boostrank.model_io import ModelFileError\n"
            f"try:\n    BaseRanker.load({str(crafted)!r})\n"
            "except ModelFileError as exc:\n    print('ERROR', exc)\n"
            "print('this' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert "Beautiful is better than ugly" not in result.stdout
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "False"
    assert lines[0].startswith("ERROR ") and "'this:Foo'" in lines[0]
    assert "not a boostrank model class" in lines[0] and str(crafted) in lines[0]


def test_cli_prints_one_line_for_a_crafted_model(saved, tmp_path):
    _, path, data = saved
    crafted = rewrite(path, tmp_path / "crafted.brm",
                      meta=lambda m: {**m, "model": None, "class": "this:Foo"})
    from boostrank.data import save_libsvm

    test_file = save_libsvm(data, tmp_path / "test.txt") or tmp_path / "test.txt"
    result = subprocess.run(
        [sys.executable, "-m", "boostrank", "predict", "--model", str(crafted), "--data",
         str(test_file), "--out", str(tmp_path / "scores.txt")],
        capture_output=True, text=True)
    assert result.returncode != 0
    assert "Beautiful is better" not in result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "this:Foo" in result.stderr


@pytest.mark.parametrize("key", ["class", "params", "n_features_in", "format", "version"])
def test_missing_key_names_file_and_key(saved, tmp_path, key):
    _, path, _ = saved
    broken = rewrite(path, tmp_path / f"no_{key}.brm",
                     meta=lambda m: {k: v for k, v in m.items() if k != key})
    with pytest.raises(ModelFileError, match=rf"{broken}: meta.json has no '{key}' key"):
        BaseRanker.load(broken)


def test_other_damage(saved, tmp_path):
    _, path, _ = saved
    with pytest.raises(FileNotFoundError, match="does not exist"):
        BaseRanker.load(tmp_path / "absent.brm")
    (tmp_path / "text.brm").write_text("hello")
    with pytest.raises(ModelFileError, match="text.brm is not a boostrank model file"):
        BaseRanker.load(tmp_path / "text.brm")
    with zipfile.ZipFile(tmp_path / "nometa.brm", "w") as archive:
        archive.writestr("x", "y")
    with pytest.raises(ModelFileError, match="no meta.json"):
        BaseRanker.load(tmp_path / "nometa.brm")
    with zipfile.ZipFile(tmp_path / "badjson.brm", "w") as archive:
        archive.writestr("meta.json", "{not json")
    with pytest.raises(ModelFileError, match="meta.json is not valid JSON"):
        BaseRanker.load(tmp_path / "badjson.brm")
    newer = rewrite(path, tmp_path / "v9.brm", meta=lambda m: {**m, "version": 9})
    with pytest.raises(ModelFileError, match="version 9 is not supported"):
        BaseRanker.load(newer)
    no_native = rewrite(path, tmp_path / "nonative.brm", drop=("model.txt",))
    with pytest.raises(ModelFileError, match="no model.txt"):
        BaseRanker.load(no_native)
    bad_params = rewrite(path, tmp_path / "params.brm",
                         meta=lambda m: {**m, "params": {**m["params"], "bogus": 1}})
    with pytest.raises(ModelFileError, match="does not describe a LightGBMLambdaMART.*bogus"):
        BaseRanker.load(bad_params)
    garbage = rewrite(path, tmp_path / "garbage.brm", add={"model.txt": b"\xff\x00garbage"})
    with pytest.raises(ModelFileError, match="cannot restore the LightGBMLambdaMART model"):
        BaseRanker.load(garbage)
    with pytest.raises(ModelFileError, match="holds a LightGBMLambdaMART, not a XGBoost"):
        XGBoostLambdaMART.load(path)


def test_pickle_payload_in_model_pt_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("neural")
    from neural.estimators import RankNet

    data = make_ranking(10, (3, 6), 3, random_state=0)
    model = RankNet(hidden_sizes=(4,), n_epochs=1, random_state=0, device="cpu").fit(data)
    path = model.save(tmp_path / "ranknet.brm")

    class Payload:  # anything that is not a plain tensor dict needs the pickle machinery
        def __reduce__(self):
            return (print, ("pickle payload executed",))

    buffer = io.BytesIO()
    torch.save({"weight": Payload()}, buffer)
    crafted = rewrite(path, tmp_path / "pickle.brm", add={"model.pt": buffer.getvalue()})
    with pytest.raises(ModelFileError) as error:
        BaseRanker.load(crafted)
    message = str(error.value)
    assert message.startswith(f"{crafted}: ") and "model.pt" in message
    assert "\n" not in message  # one line for the command line
    np.testing.assert_array_equal(BaseRanker.load(path).predict(data.X), model.predict(data.X))


def test_read_model_file_checks_before_any_class(saved):
    _, path, _ = saved
    meta, files = read_model_file(path)
    assert meta["class"] == class_path(LightGBMLambdaMART) and "model.txt" in files


def test_jsonable_params_round_trip():
    params = {"a": (1, 2), "b": [np.int64(3), (4.5,)], "c": {"d": None}, "e": np.arange(2)}
    back = params_from_json(json.loads(json.dumps(jsonable_params(params))))
    assert back == {"a": (1, 2), "b": [3, (4.5,)], "c": {"d": None}, "e": [0, 1]}
    with pytest.raises(TypeError, match="cannot save parameter value"):
        jsonable_params({"f": object()})
    assert pickle.loads(pickle.dumps(ModelFileError("x"))).args == ("x",)


def test_registry_paths_are_where_the_classes_live():
    import importlib.util

    has_torch = importlib.util.find_spec("torch") is not None
    for name, target in MODELS.items():
        if target.startswith("neural.") and not has_torch:
            continue
        assert class_path(resolve_class_path(name)) == target


def test_the_short_name_survives_a_moved_class(saved, tmp_path):
    _, path, data = saved
    assert read_model_file(path)[0]["model"] == "lightgbm"
    moved = rewrite(path, tmp_path / "moved.brm",
                    meta=lambda m: {**m, "class": "boostrank.old_place:LightGBMLambdaMART"})
    assert type(BaseRanker.load(moved)) is LightGBMLambdaMART
    unknown = rewrite(path, tmp_path / "unknown.brm",
                      meta=lambda m: {**m, "model": "os", "class": "os:system"})
    with pytest.raises(ModelFileError, match="'os:system', which is not a boostrank model"):
        BaseRanker.load(unknown)


class MyRanker(LightGBMLambdaMART):
    """A user's subclass: defined by the program, so its own load may resolve it."""


def test_a_subclass_defined_by_the_program_loads(tmp_path):
    data = make_ranking(10, (3, 8), 3, random_state=1)
    model = MyRanker(n_estimators=2, min_child_samples=2).fit(data)
    path = model.save(tmp_path / "mine.brm")
    assert read_model_file(path)[0]["model"] is None
    again = MyRanker.load(path)
    assert type(again) is MyRanker
    np.testing.assert_array_equal(again.predict(data.X), model.predict(data.X))
