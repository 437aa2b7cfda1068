"""Bad inputs every estimator family refuses with one clear error, before any backend runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
from boostrank.data import make_ranking
from boostrank.estimator import BaseRanker
from boostrank.params import InvalidParameterError

BOOSTERS = [LightGBMLambdaMART, XGBoostLambdaMART]


def families():
    models = [LightGBMLambdaMART(n_estimators=3), XGBoostLambdaMART(n_estimators=3)]
    try:
        from neural.estimators import RankNet
    except ImportError:  # torch missing: the boosters are still checked
        return models
    return models + [RankNet(n_epochs=1, device="cpu")]


MODELS = families()
IDS = [type(m).__name__ for m in MODELS]


@pytest.fixture(scope="module")
def data():
    return make_ranking(30, (3, 12), 5, random_state=4), make_ranking(10, (3, 12), 5,
                                                                      random_state=5)


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_empty_training_set_is_one_clear_error(model, monkeypatch):
    monkeypatch.setattr(type(model), "_fit", lambda *a: pytest.fail("reached the backend"))
    with pytest.raises(ValueError, match=r"the training set is empty \(0 rows\)"):
        model.fit(np.zeros((0, 4)), np.zeros(0), qid=np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="the training set is empty"):
        model.fit(np.zeros((0, 4)), np.zeros(0), group=[])


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_zero_features_is_one_clear_error(model, monkeypatch):
    monkeypatch.setattr(type(model), "_fit", lambda *a: pytest.fail("reached the backend"))
    with pytest.raises(ValueError, match=r"the training set has 0 features"):
        model.fit(np.zeros((6, 0)), np.arange(6) % 2, qid=[1, 1, 1, 2, 2, 2])


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_string_qid_error_names_qid(model):
    with pytest.raises(ValueError, match="qid must hold integer query ids"):
        model.fit(np.zeros((2, 2)), [0, 1], qid=["a", "b"])


@pytest.mark.parametrize("cls", BOOSTERS)
def test_every_constructor_parameter_has_a_constraint(cls):
    assert set(cls().get_params()) == set(cls.parameter_constraints)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_constraint_error_names_owner_parameter_value_and_allowed(cls, data):
    with pytest.raises(InvalidParameterError,
                       match=rf"{cls.__name__}: n_estimators must be an integer >= 1; got -4"):
        cls(n_estimators=-4).fit(data[0])


def test_lightgbm_verbose_minus_one_is_silent(data, capsys):
    train, valid = data
    model = LightGBMLambdaMART(n_estimators=3, verbose=-1, min_child_samples=2).fit(
        train, eval_set=valid)
    assert model._lgb_params(None)["verbosity"] == -1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize("cls,limit", [(LightGBMLambdaMART, 30), (XGBoostLambdaMART, 31)])
def test_exponential_gain_with_large_labels_and_eval_set_names_the_gain(cls, limit, data):
    train, valid = data
    y_train = train.y * 10  # labels up to 40
    y_valid = valid.y * 10
    with pytest.raises(ValueError, match=rf"exponential gain .* up to {limit}.*gain='linear'"):
        cls(gain="exponential", n_estimators=2).fit(
            train.X, y_train, qid=train.qid, eval_set=(valid.X, y_valid, valid.qid))


@pytest.mark.parametrize("cls", BOOSTERS)
def test_old_gain_spellings_warn_and_work(cls, data):
    train, _ = data
    with pytest.warns(DeprecationWarning, match="gain='exp' is deprecated"):
        old = cls(gain="exp", n_estimators=3, random_state=0).fit(train)
    new = cls(gain="exponential", n_estimators=3, random_state=0).fit(train)
    np.testing.assert_array_equal(old.predict(train.X), new.predict(train.X))


@pytest.mark.parametrize("cls", BOOSTERS)
def test_predict_takes_qid_and_ignores_it(cls, data):
    train, valid = data
    model = cls(n_estimators=3, random_state=0).fit(train)
    np.testing.assert_array_equal(model.predict(valid.X, qid=valid.qid), model.predict(valid.X))
    with pytest.raises(ValueError, match="qid has 2 entries"):
        model.predict(valid.X, qid=[1, 2])
    # score passes the queries on; the booster gives the same value either way
    assert model.score(valid) == model.score(valid.X, valid.y, qid=valid.qid)


def test_score_passes_qid_to_query_level_preprocessing(data):
    pytest.importorskip("torch")
    from neural.estimators import RankNet

    train, valid = data
    model = RankNet(n_epochs=1, hidden_sizes=(4,), preprocessing="query_minmax", device="cpu",
                    random_state=0).fit(train)
    value = model.score(valid.X, valid.y, qid=valid.qid)
    assert 0.0 <= value <= 1.0


def test_base_ranker_checks_constraints_once_per_fit(data, monkeypatch):
    import boostrank.estimator as estimator

    calls = []
    original = estimator.validate_params
    monkeypatch.setattr(estimator, "validate_params",
                        lambda *a, **k: (calls.append(1), original(*a, **k))[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LightGBMLambdaMART(n_estimators=2).fit(data[0], eval_set=data[1])
    assert calls == [1]
    assert issubclass(LightGBMLambdaMART, BaseRanker)


@pytest.mark.parametrize("cls", BOOSTERS)
def test_model_file_with_an_old_gain_spelling_loads_silently(cls, data, tmp_path):
    import json
    import zipfile

    train, _ = data
    with pytest.warns(DeprecationWarning):
        old = cls(gain="exp", n_estimators=3, random_state=0).fit(train)
    path = old.save(tmp_path / "old.zip")
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("meta.json"))["params"]["gain"] == "exp"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = BaseRanker.load(path)
        assert loaded.gain == "exponential"
        np.testing.assert_array_equal(loaded.predict(train.X), old.predict(train.X))


def test_refused_weights_message_has_no_ansi_codes(monkeypatch):
    torch = pytest.importorskip("torch")
    from boostrank.model_io import ModelFileError
    from neural import persistence

    def colourful_load(*args, **kwargs):
        raise torch.serialization.pickle.UnpicklingError(
            "\x1b[1mWeights only load failed.\x1b[0m Re-running \x1b[31;1mtorch.load\x1b[0m")

    monkeypatch.setattr(persistence.torch, "load", colourful_load)
    with pytest.raises(ModelFileError) as info:
        persistence.weights_from_bytes(b"anything")
    assert str(info.value) == ("model.pt is not a plain tensor state dict: Weights only load "
                               "failed. Re-running torch.load")
