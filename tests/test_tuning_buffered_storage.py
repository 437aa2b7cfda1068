"""tuning.buffered_storage: the params, reports and user attributes of a trial run here reach
the database in one transaction when it finishes; the study is the same as in memory and as
with Optuna's own RDBStorage, this process reads what it buffered, other processes see a
trial whole or not at all."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
lightgbm_ranker = pytest.importorskip("boostrank.boosters.lightgbm_ranker")

from optuna.distributions import FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from tuning import tune  # noqa: E402
from tuning.buffered_storage import BufferedRDBStorage, buffered_storage_available  # noqa: E402
from tuning.objective import FIT_SECONDS_ATTR  # noqa: E402
from tuning.storage import make_storage  # noqa: E402

LGBM = lightgbm_ranker.LightGBMLambdaMART

pytestmark = pytest.mark.skipif(not buffered_storage_available(),
                                reason="this Optuna lacks the RDB models the buffer writes")


def _url(tmp_path, name="study.db"):
    return f"sqlite:///{tmp_path / name}"


def _plain(url):
    """A second reader: Optuna's own storage, as another process would have it."""
    return optuna.storages.RDBStorage(url)


def _record(trial):
    attrs = {k: v for k, v in trial.user_attrs.items() if k != FIT_SECONDS_ATTR}
    return (trial.number, trial.state, trial.values, trial.params, trial.distributions,
            trial.intermediate_values, attrs)


@pytest.fixture(scope="module")
def data(ranking_splits):
    return ranking_splits((60, 30, 30), (5, 12), 6, random_state=2)


def test_urls_get_the_buffered_storage_and_optunas_own_without_what_it_needs(tmp_path,
                                                                           monkeypatch):
    import tuning.buffered_storage as buffered

    assert isinstance(make_storage(_url(tmp_path)), BufferedRDBStorage)
    monkeypatch.setattr(buffered, "buffered_storage_available", lambda: False)
    storage = make_storage(_url(tmp_path, "other.db"))
    assert type(storage) is optuna.storages.RDBStorage


def test_tuned_study_is_the_same_in_memory_plain_rdb_and_buffered(data, tmp_path):
    train, valid, _ = data
    model = LGBM(n_estimators=40, n_jobs=1, random_state=0)
    runs = {}
    plain = optuna.storages.RDBStorage(_url(tmp_path, "plain.db"))
    for label, storage in (("memory", None), ("plain", plain),
                           ("buffered", _url(tmp_path, "buffered.db"))):
        result = tune(model, train, valid, n_trials=8, random_state=0, storage=storage,
                      study_name="s" if storage else None, refit=False, report_every=2)
        runs[label] = [_record(t) for t in result.study.trials]
    assert runs["buffered"] == runs["memory"] == runs["plain"]
    assert any(t[1] == TrialState.PRUNED for t in runs["memory"]) or len(runs["memory"]) == 8
    # what the database holds, read back by Optuna's own storage
    stored = optuna.load_study(study_name="s", storage=_plain(_url(tmp_path, "buffered.db")))
    assert [_record(t) for t in stored.trials] == runs["memory"]


def test_running_trial_is_read_here_and_seen_whole_elsewhere_when_it_ends(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url, flush_interval=3600),
                                study_name="s", direction="maximize")
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(0.25, step=0)
    trial.report(0.5, step=3)
    trial.set_user_attr("note", {"a": [1, 2]})
    # this process sees what it wrote
    here = study._storage.get_trial(trial._trial_id)
    assert here.params == {"x": x} and here.intermediate_values == {0: 0.25, 3: 0.5}
    assert here.user_attrs == {"note": {"a": [1, 2]}} and trial.user_attrs["note"] == {"a": [1, 2]}
    assert study.trials[0].params == {"x": x}
    # another process sees the running trial without any of it
    other = _plain(url)
    running = other.get_all_trials(other.get_study_id_from_name("s"))[0]
    assert running.state == TrialState.RUNNING
    assert running.params == {} and running.intermediate_values == {} and running.user_attrs == {}
    study.tell(trial, 0.75)
    done = other.get_all_trials(other.get_study_id_from_name("s"))[0]
    assert done.state == TrialState.COMPLETE and done.value == 0.75
    assert done.params == {"x": x} and done.intermediate_values == {0: 0.25, 3: 0.5}
    assert done.user_attrs == {"note": {"a": [1, 2]}}
    assert done.distributions == {"x": FloatDistribution(0.0, 1.0)}


def test_flush_interval_zero_writes_at_once_and_rewrites_update_rows(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url, flush_interval=0),
                                study_name="s")
    trial = study.ask()
    trial.set_user_attr("k", 1)
    trial.report(0.1, step=1)
    other = _plain(url)
    seen = other.get_all_trials(other.get_study_id_from_name("s"))[0]
    assert seen.user_attrs == {"k": 1} and seen.intermediate_values == {1: 0.1}
    trial.set_user_attr("k", 2)  # a row already written: updated, not duplicated
    study._storage.set_trial_intermediate_value(trial._trial_id, 1, 0.3)
    study.tell(trial, 1.0)
    done = other.get_all_trials(other.get_study_id_from_name("s"))[0]
    assert done.user_attrs == {"k": 2} and done.intermediate_values == {1: 0.3}


def test_failed_and_pruned_trials_keep_what_they_wrote(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url), study_name="s")

    def objective(trial):
        trial.suggest_int("n", 1, 9)
        trial.report(2.0, step=0)
        if trial.number == 0:
            raise optuna.TrialPruned()
        raise ValueError("boom")

    study.optimize(objective, n_trials=2, catch=(ValueError,))
    trials = optuna.load_study(study_name="s", storage=_plain(url)).trials
    assert [t.state for t in trials] == [TrialState.PRUNED, TrialState.FAIL]
    assert all(t.intermediate_values == {0: 2.0} and "n" in t.params for t in trials)


def test_enqueued_trial_taken_here_is_buffered_with_its_fixed_params(tmp_path):
    url = _url(tmp_path)
    storage = BufferedRDBStorage(url, flush_interval=3600)
    study = optuna.create_study(storage=storage, study_name="s")
    study.enqueue_trial({"x": 0.125}, user_attrs={"why": "default"})
    trial = study.ask()
    assert trial.suggest_float("x", 0.0, 1.0) == 0.125
    trial.report(0.5, step=0)
    other = _plain(url)
    assert other.get_all_trials(other.get_study_id_from_name("s"))[0].intermediate_values == {}
    study.tell(trial, 0.5)
    done = other.get_all_trials(other.get_study_id_from_name("s"))[0]
    assert done.params == {"x": 0.125} and done.user_attrs == {"why": "default"}
    assert done.intermediate_values == {0: 0.5}


def test_param_rules_of_optuna_hold_at_the_call(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url), study_name="s")
    first = study.ask()
    first.suggest_int("n", 1, 9)
    study.tell(first, 1.0)
    trial = study.ask()
    storage = study._storage
    with pytest.raises(ValueError, match="compatib|Cannot set different distribution"):
        storage.set_trial_param(trial._trial_id, "n", 0.5, FloatDistribution(0.0, 1.0))
    storage.set_trial_param(trial._trial_id, "n", 3, IntDistribution(1, 9))
    with pytest.raises(RuntimeError, match="already has a value"):
        storage.set_trial_param(trial._trial_id, "n", 4, IntDistribution(1, 9))
    with pytest.raises(TypeError):
        trial.set_user_attr("bad", object())
    study.tell(trial, 2.0)
    assert optuna.load_study(study_name="s", storage=_plain(url)).trials[1].params == {"n": 3}


def test_reads_are_reused_only_until_this_process_writes_or_read_interval(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url, read_interval=3600),
                                study_name="s")
    study.tell(study.ask(), 1.0)
    assert len(study.trials) == len(study.trials) == 1
    elsewhere = optuna.load_study(study_name="s", storage=_plain(url))
    elsewhere.tell(elsewhere.ask(), 2.0)
    assert len(study.trials) == 1  # reused: this process wrote nothing since
    study.tell(study.ask(), 3.0)  # a write here: the next read asks the database
    assert [t.value for t in study.trials] == [1.0, 2.0, 3.0]
    fresh = optuna.create_study(storage=BufferedRDBStorage(url, read_interval=0),
                                study_name="s", load_if_exists=True)
    elsewhere.tell(elsewhere.ask(), 4.0)
    assert [t.value for t in fresh.trials] == [1.0, 2.0, 3.0, 4.0]


def test_two_threads_share_one_buffered_storage(tmp_path):
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url), study_name="s",
                                sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        value = trial.suggest_float("x", 0, 1)
        for step in range(3):
            trial.report(value * step, step)
        trial.set_user_attr("x2", value * 2)
        return value

    study.optimize(objective, n_trials=12, n_jobs=2)
    stored = optuna.load_study(study_name="s", storage=_plain(url)).trials
    assert len(stored) == 12 and all(t.state == TrialState.COMPLETE for t in stored)
    for t in stored:
        assert t.user_attrs["x2"] == pytest.approx(2 * t.params["x"])
        assert np.allclose([t.intermediate_values[s] for s in range(3)],
                           [t.params["x"] * s for s in range(3)])


@pytest.mark.slow
def test_postgresql_buffered_study_equals_memory(data):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from postgres_server import postgres_or_skip

    server = postgres_or_skip()
    try:
        train, valid, _ = data
        model = LGBM(n_estimators=30, n_jobs=1, random_state=0)
        url = server.create_database("buffered")
        stored = tune(model, train, valid, n_trials=6, random_state=0, storage=url,
                      study_name="s", refit=False)
        memory = tune(model, train, valid, n_trials=6, random_state=0, refit=False)
        assert isinstance(make_storage(url), BufferedRDBStorage)
        assert ([_record(t) for t in stored.study.trials]
                == [_record(t) for t in memory.study.trials])
        reread = optuna.load_study(study_name="s", storage=_plain(url)).trials
        assert [_record(t) for t in reread] == [_record(t) for t in memory.study.trials]
    finally:
        server.stop()


def test_rewriting_an_enqueued_trials_user_attribute_updates_its_row(tmp_path):
    """The database holds an enqueued trial's user attributes before this process takes it:
    a new value for one of them updates that row (inserting a second one broke the unique
    key)."""
    url = _url(tmp_path)
    study = optuna.create_study(storage=BufferedRDBStorage(url), study_name="s")
    study.enqueue_trial({"x": 0.5}, user_attrs={"why": "default"})
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("why", "again")
    study.tell(trial, 1.0)
    assert optuna.load_study(study_name="s", storage=_plain(url)).trials[0].user_attrs == {
        "why": "again"}
