"""A tuning fleet on a real PostgreSQL server: several `tuning.tune` processes, one study.

The server is a throw-away cluster on 127.0.0.1 (`tests/postgres_server.py`). Outside CI the
tests skip with the reason when no server can be started; under ``BOOSTRANK_CI=1`` they fail.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from postgres_server import PostgresServer, postgres_or_skip, wait_for

optuna = pytest.importorskip("optuna")

HEARTBEAT = 1  # seconds between heartbeats of a running trial
GRACE = 3  # a RUNNING trial without a heartbeat for this long belongs to a dead process

WORKER = textwrap.dedent('''
    """One tuning worker: tuning.tune on a shared study (argv: url study n_trials seed name)."""
    import os
    import sys
    import time

    import optuna

    import tuning
    from boostrank.boosters import LightGBMLambdaMART
    from boostrank.data import make_ranking

    url, study_name, n_trials, seed, name = sys.argv[1:6]
    optuna.logging.set_verbosity(optuna.logging.WARNING)


    class SlowLightGBM(LightGBMLambdaMART):
        """LightGBMLambdaMART whose fit also waits a little, so a trial lasts long enough
        for the test to kill its process in the middle of it."""

        def fit(self, *args, **kwargs):
            time.sleep(0.6)
            return super().fit(*args, **kwargs)


    class TaggingSampler(optuna.samplers.BaseSampler):
        """TPE that records, in each trial it starts, which worker process runs it."""

        def __init__(self, seed):
            self.inner = optuna.samplers.TPESampler(seed=seed)

        def before_trial(self, study, trial):
            study._storage.set_trial_system_attr(trial._trial_id, "worker:" + name, os.getpid())
            self.inner.before_trial(study, trial)

        def infer_relative_search_space(self, study, trial):
            return self.inner.infer_relative_search_space(study, trial)

        def sample_relative(self, study, trial, search_space):
            return self.inner.sample_relative(study, trial, search_space)

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self.inner.sample_independent(study, trial, param_name, param_distribution)

        def after_trial(self, study, trial, state, values):
            self.inner.after_trial(study, trial, state, values)


    data = make_ranking(90, (5, 20), 8, random_state=0)
    train, valid = data.queries(slice(0, 60)), data.queries(slice(60, 90))
    model = SlowLightGBM(n_estimators=20, n_jobs=1)
    result = tuning.tune(
        model, train, valid, n_trials=int(n_trials), storage=url, study_name=study_name,
        sampler=TaggingSampler(int(seed)), pruner="none", random_state=int(seed), refit=False,
        heartbeat_interval=int(sys.argv[6]), grace_period=int(sys.argv[7]),
    )
    print("done", name, result.n_complete, flush=True)
''')


@pytest.fixture(scope="module")
def server():
    instance = postgres_or_skip()
    try:
        yield instance
    finally:
        for storage in _STORAGES.values():
            storage.engine.dispose()
        _STORAGES.clear()
        instance.stop()


def _worker(script: Path, url: str, study: str, n_trials: int, seed: int, name: str,
            log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, str(script), url, study, str(n_trials), str(seed), name,
         str(HEARTBEAT), str(GRACE)],
        stdout=handle, stderr=subprocess.STDOUT, env=env,
    )


_STORAGES: dict[str, object] = {}


def _trials(url: str, study: str) -> list:
    """All trials of ``study``, read through one storage object per URL (polling must not
    open a new connection pool each time)."""
    storage = _STORAGES.get(url)
    if storage is None:
        storage = _STORAGES[url] = optuna.storages.RDBStorage(url)
    study_id = storage.get_study_id_from_name(study)
    return storage.get_all_trials(study_id, deepcopy=False)


def _owner(trial) -> list[str]:
    return sorted(k.split(":", 1)[1] for k in trial.system_attrs if k.startswith("worker:"))


def _finish(proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"worker did not finish:\n{log.read_text()[-3000:]}") from None
    assert code == 0, f"worker exited {code}:\n{log.read_text()[-3000:]}"


def test_server_fixture_is_real_and_throw_away(server):
    """The helper starts a real server on 127.0.0.1 that Optuna can use, then removes it."""
    url = server.create_database("fixture_check")
    assert url.startswith("postgresql") and "@127.0.0.1:" in url
    study = optuna.create_study(storage=url, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 2
    with PostgresServer() as other:
        root = other.root
        assert other.port != server.port and (root / "data" / "PG_VERSION").is_file()
    assert not root.exists()


@pytest.mark.slow
def test_two_tuning_workers_share_one_study_and_survive_a_kill(server, tmp_path):
    url = server.create_database("fleet")
    study = "fleet-lightgbm"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    logs = {name: tmp_path / f"{name}.log" for name in "ABC"}
    n_b, n_c = 6, 1

    # A starts the study (it creates it and enqueues the default configuration); B joins it
    a = _worker(script, url, study, 100, 1, "A", logs["A"])
    try:
        assert wait_for(lambda: _study_has_trials(url, study), timeout=120), \
            logs["A"].read_text()[-3000:]
        b = _worker(script, url, study, n_b, 2, "B", logs["B"])

        # kill A in the middle of a trial (one that started < 0.3 s ago: its fit alone waits
        # 0.6 s, so it cannot finish before the signal lands), once A has completed a few
        victim: list[int] = []

        def a_is_mid_trial() -> bool:
            trials = _trials(url, study)
            done = [t for t in trials if _owner(t) == ["A"]
                    and t.state == optuna.trial.TrialState.COMPLETE]
            now = datetime.datetime.now()
            fresh = [t for t in trials if _owner(t) == ["A"]
                     and t.state == optuna.trial.TrialState.RUNNING
                     and (now - t.datetime_start).total_seconds() < 0.3]
            if len(done) >= 2 and fresh:
                victim.append(fresh[0].number)
                return True
            return False

        assert wait_for(a_is_mid_trial, timeout=120, interval=0.05), logs["A"].read_text()[-3000:]
        os.kill(a.pid, signal.SIGKILL)
        a.wait(timeout=30)
        killed_at = time.monotonic()
    finally:
        if a.poll() is None:
            a.kill()
    before = {t.number: (t.state, t.value) for t in _trials(url, study)
              if t.state == optuna.trial.TrialState.COMPLETE}
    assert victim[0] not in before
    _finish(b, logs["B"])

    # a resumed worker marks the killed trial FAIL (its heartbeat stopped) and carries on
    time.sleep(max(0.0, GRACE + 1 - (time.monotonic() - killed_at)))
    c = _worker(script, url, study, n_c, 3, "C", logs["C"])
    _finish(c, logs["C"])

    trials = _trials(url, study)
    by_worker = {name: [t for t in trials if _owner(t) == [name]] for name in "ABC"}
    # every trial was started by exactly one worker, and numbers are unique
    assert all(len(_owner(t)) == 1 for t in trials), [(t.number, _owner(t)) for t in trials]
    assert len({t.number for t in trials}) == len(trials)
    # trial count: A's trials (completed + the killed one) + B's n_b + C's n_c, none waiting
    assert len(trials) == len(by_worker["A"]) + n_b + n_c
    assert len(by_worker["B"]) == n_b and len(by_worker["C"]) == n_c
    states = [t.state for t in trials]
    assert optuna.trial.TrialState.WAITING not in states
    assert optuna.trial.TrialState.RUNNING not in states
    # the killed trial failed (heartbeat), it is never complete
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert [t.number for t in failed] == [t.number for t in by_worker["A"]
                                          if t.state != optuna.trial.TrialState.COMPLETE]
    assert [t.number for t in failed] == victim and failed[0].value is None
    # nothing completed before the kill was lost or changed; B and C completed everything
    for number, (state, value) in before.items():
        assert trials[number].state == state and trials[number].value == value
    assert all(t.state == optuna.trial.TrialState.COMPLETE
               for t in by_worker["B"] + by_worker["C"])
    # the default configuration ran exactly once, and no parameter set ran twice
    defaults = [t for t in trials if t.user_attrs.get("boostrank:default")]
    assert len(defaults) == 1
    params = [json.dumps(t.params, sort_keys=True) for t in trials]
    assert len(set(params)) == len(params), params


def _study_has_trials(url: str, study: str) -> bool:
    try:
        return len(_trials(url, study)) > 0
    except KeyError:  # not created yet
        return False


def test_postgresql_study_runs_the_trials_of_an_in_memory_one(server):
    """Reporting only at the pruner's check points changes nothing: same trials, values,
    curves and best value in memory and on PostgreSQL for a fixed seed."""
    from boostrank.boosters import LightGBMLambdaMART
    from boostrank.data import make_ranking
    from tuning import tune

    train = make_ranking(60, (5, 12), 6, random_state=1)
    valid = make_ranking(30, (5, 12), 6, random_state=2)
    kwargs = dict(n_trials=6, random_state=7, refit=False)
    model = LightGBMLambdaMART(n_estimators=30, n_jobs=1, random_state=0)
    memory = tune(model, train, valid, **kwargs)
    stored = tune(model, train, valid, storage=server.create_database("same_trials"),
                  study_name="same", heartbeat_interval=None, **kwargs)
    assert [t.state for t in memory.study.trials] == [t.state for t in stored.study.trials]
    assert [t.params for t in memory.study.trials] == [t.params for t in stored.study.trials]
    assert [t.value for t in memory.study.trials] == [t.value for t in stored.study.trials]
    assert [t.intermediate_values for t in memory.study.trials] == \
        [t.intermediate_values for t in stored.study.trials]
    assert [t.user_attrs.get("boostrank:curve") for t in memory.study.trials] == \
        [t.user_attrs.get("boostrank:curve") for t in stored.study.trials]
    assert memory.best_value == stored.best_value
    assert stored.study.metric_names == ["NDCG@10 (validation, default convention)"]
