"""Persistent studies: resume across processes, heartbeat after SIGKILL, shared PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("boostrank.boosters.lightgbm_ranker")

from tuning.journal import HeartbeatJournalStorage  # noqa: E402
from tuning.storage import make_storage, storage_kind  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# a small tuning study; run in a subprocess (as a script) and in the test process (exec)
STUDY = textwrap.dedent(
    """
    import time
    from pathlib import Path
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART
    from boostrank.data import make_ranking
    from tuning import tune

    def run_study(storage, n_trials, hang_at=-1, marker=None):
        def space(trial):
            if trial.number == hang_at:
                Path(marker).write_text(str(trial.number))
                time.sleep(600)  # killed here, in the middle of the trial
            return {"num_leaves": trial.suggest_int("num_leaves", 3, 31),
                    "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True)}

        train = make_ranking(60, (5, 12), 6, random_state=1)
        valid = make_ranking(30, (5, 12), 6, random_state=2)
        model = LightGBMLambdaMART(n_estimators=15, early_stopping_rounds=None, n_jobs=1)
        result = tune(model, train, valid, n_trials=n_trials, storage=storage,
                      study_name="s", space=space, random_state=0, heartbeat_interval=1,
                      grace_period=2, refit=False)
        return len(result.trials)
    """
)
# argv: storage, n_trials, [hang_at_trial, marker_file]
SCRIPT = STUDY + textwrap.dedent(
    """
    import sys
    args = sys.argv[1:]
    n = run_study(args[0], int(args[1]), *(int(args[2]), args[3]) if len(args) > 2 else ())
    print("DONE", n)
    """
)


def run_here(storage: str, n_trials: int) -> int:
    """The same study, run in this process (the 'second process' of a resume)."""
    namespace: dict = {}
    exec(compile(STUDY, "<study>", "exec"), namespace)
    return namespace["run_study"](storage, n_trials)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _run(args: list[str], timeout: float = 120) -> str:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _load(storage: str):
    return optuna.load_study(study_name="s", storage=make_storage(storage))


def _storages(tmp_path: Path) -> dict[str, str]:
    return {"journal": str(tmp_path / "study.log"),
            "sqlite": f"sqlite:///{tmp_path / 'study.db'}"}


@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_study_resumes_across_processes(tmp_path, kind):
    storage = _storages(tmp_path)[kind]
    assert "DONE 3" in _run([storage, "3"])
    assert run_here(storage, 2) == 5  # a second process resumes: 3 + 2 trials
    trials = _load(storage).trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 5
    assert [t.number for t in trials] == list(range(5))
    # the default configuration is evaluated once, by the process that created the study
    assert [bool(t.user_attrs.get("boostrank:default")) for t in trials] == \
        [True, False, False, False, False]


@pytest.mark.parametrize("kind", ["journal", pytest.param("sqlite", marks=pytest.mark.slow)])
def test_sigkill_mid_trial_marks_it_failed_and_keeps_completed(tmp_path, kind):
    storage = _storages(tmp_path)[kind]
    marker = tmp_path / "hanging"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, storage, "5", "2", str(marker)],
                            cwd=REPO, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the worker never reached trial 2"
            time.sleep(0.1)
        time.sleep(1.5)  # at least one heartbeat recorded during the hanging trial
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    before = _load(storage).trials
    assert [t.state.name for t in before] == ["COMPLETE", "COMPLETE", "RUNNING"]
    time.sleep(3)  # the grace period (2 s) passes: the killed trial's heartbeat is stale
    assert run_here(storage, 2) == 5
    after = _load(storage).trials
    assert [t.state.name for t in after] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE",
                                             "COMPLETE"]
    for old, new in zip(before[:2], after[:2], strict=True):
        assert old.value == new.value and old.params == new.params
    assert sum(bool(t.user_attrs.get("boostrank:default")) for t in after) == 1


def test_resume_with_other_metric_or_data_is_refused(tmp_path):
    from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART
    from boostrank.data import make_ranking
    from tuning import tune

    storage = str(tmp_path / "study.log")
    train = make_ranking(40, (4, 8), 5, random_state=1)
    valid = make_ranking(20, (4, 8), 5, random_state=2)
    model = LightGBMLambdaMART(n_estimators=5, n_jobs=1)
    tune(model, train, valid, n_trials=1, storage=storage, refit=False)
    with pytest.raises(ValueError, match="metric"):
        tune(model, train, valid, n_trials=1, storage=storage, metric="map",
             study_name="boostrank-LightGBMLambdaMART-ndcg@10")
    with pytest.raises(ValueError, match="valid"):
        tune(model, train, make_ranking(20, (4, 8), 5, random_state=3), n_trials=1, storage=storage)
    resumed = tune(model, train, valid, n_trials=1, storage=storage, refit=False)
    assert len(resumed.trials) == 2 and resumed.extra["resumed"]


def test_workers_joining_a_study_do_not_repeat_each_others_samples(tmp_path):
    """Same arguments, same seed: a joining worker must not replay the creator's random
    stream (it would re-evaluate the same parameters)."""
    from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART
    from boostrank.data import make_ranking
    from tuning import tune

    storage = str(tmp_path / "study.log")
    train = make_ranking(40, (4, 8), 5, random_state=1)
    valid = make_ranking(20, (4, 8), 5, random_state=2)
    model = LightGBMLambdaMART(n_estimators=5, n_jobs=1)
    for _ in range(2):
        result = tune(model, train, valid, n_trials=4, storage=storage, sampler="random",
                      random_state=0, refit=False, pruner="none")
    trials = result.study.trials
    assert len(trials) == 8
    assert sum(bool(t.user_attrs.get("boostrank:default")) for t in trials) == 1
    sampled = [tuple(sorted(t.params.items())) for t in trials
               if not t.user_attrs.get("boostrank:default")]
    assert len(set(sampled)) == len(sampled)


def test_storage_arguments(tmp_path):
    assert storage_kind(None) == "memory"
    assert storage_kind("x.log") == "journal"
    assert storage_kind("journal:/tmp/x") == "journal"
    assert storage_kind("sqlite:///x.db") == "rdb"
    with pytest.raises(ValueError, match="sqlite:///x.db"):
        storage_kind("x.db")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_storage(str(tmp_path / "missing" / "x.log"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_storage(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    journal = make_storage(str(tmp_path / "x.log"), heartbeat_interval=5)
    assert isinstance(journal, HeartbeatJournalStorage)
    assert journal.get_heartbeat_interval() == 5
    rdb = make_storage(f"sqlite:///{tmp_path / 'x.db'}", heartbeat_interval=7)
    assert rdb.get_heartbeat_interval() == 7
    with pytest.raises(ValueError, match="heartbeat_interval"):
        make_storage(str(tmp_path / "y.log"), heartbeat_interval=0)


@pytest.mark.slow
def test_postgresql_study_shared_by_concurrent_processes(tmp_path):
    pytest.importorskip("psycopg2")
    from postgres_server import postgres_or_skip

    server = postgres_or_skip()
    try:
        url = server.create_database("tuning_shared")
        procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, url, "3"], cwd=REPO,
                                  env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            assert proc.returncode == 0, err[-3000:]
        trials = _load(url).trials
        assert len(trials) == 6
        states = [t.state.name for t in trials]
        assert set(states) <= {"COMPLETE", "PRUNED"} and states[0] == "COMPLETE", states
        assert sum(bool(t.user_attrs.get("boostrank:default")) for t in trials) == 1
        sampled = [tuple(sorted(t.params.items())) for t in trials
                   if not t.user_attrs.get("boostrank:default")]
        assert len(set(sampled)) == len(sampled), "two workers sampled the same parameters"
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
def test_journal_heartbeat_fails_only_stale_trials(tmp_path):
    from tuning.storage import fail_stale_trials

    failed = []
    storage = make_storage(str(tmp_path / "hb.log"), heartbeat_interval=1, grace_period=5,
                           failed_trial_callback=lambda study, trial: failed.append(trial.number))
    study = optuna.create_study(storage=storage, study_name="hb", direction="maximize")
    alive, dead, done = study.ask(), study.ask(), study.ask()
    study.tell(done, 1.0)
    storage.record_heartbeat(alive._trial_id)
    storage.set_trial_system_attr(dead._trial_id, "boostrank:heartbeat", time.time() - 60)
    assert storage._get_stale_trial_ids(study._study_id) == [dead._trial_id]
    fail_stale_trials(study)
    states = [t.state.name for t in study.trials]
    assert states == ["RUNNING", "FAIL", "COMPLETE"]
    assert failed == [dead.number]
    # a heartbeat arriving after the trial was failed is ignored, not an error
    storage.record_heartbeat(dead._trial_id)
    assert study.trials[1].state.name == "FAIL"


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used")
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_trial_killed_before_optunas_heartbeat_thread_starts_is_still_failed(tmp_path, kind):
    """`study.ask()` creates the trial and runs the sampler; Optuna starts the heartbeat
    thread only after it, and never fails a RUNNING trial that has no heartbeat at all. A
    worker killed inside `ask` (a slow sampler, a busy machine) left its trial RUNNING for
    good: the storages now write the first heartbeat as the trial starts, for new trials and
    for enqueued ones a worker takes."""
    from tuning.storage import fail_stale_trials

    target = f"sqlite:///{tmp_path / 'hb.db'}" if kind == "sqlite" else str(tmp_path / "hb.log")
    storage = make_storage(target, heartbeat_interval=1, grace_period=1)
    study = optuna.create_study(storage=storage, study_name="hb", direction="maximize")
    study.enqueue_trial({"x": 0.5})
    taken, created = study.ask(), study.ask()  # the enqueued trial, then a new one
    assert study.trials[taken.number].params == {}  # nothing sampled: no heartbeat thread ran
    time.sleep(2.2)  # longer than the grace period since those first heartbeats
    fail_stale_trials(study)
    assert [t.state.name for t in study.trials] == ["FAIL", "FAIL"]
    assert [taken.number, created.number] == [0, 1]
    # a trial asked now has a fresh heartbeat and is not stale
    fresh = study.ask()
    fail_stale_trials(study)
    assert study.trials[fresh.number].state.name == "RUNNING"


def test_losing_a_schema_race_on_a_new_sqlite_file_is_retried(tmp_path, monkeypatch):
    """Workers started together on a new SQLite file race to create its tables; the loser
    gets SQLite's "table ... already exists" and must try again, not fail."""
    import tuning.buffered_storage as buffered

    class OperationalError(Exception):  # what SQLAlchemy raises, by name
        pass

    real = buffered.rdb_storage
    calls = []

    def racing(url, **kwargs):
        calls.append(url)
        if len(calls) == 1:
            raise OperationalError("(sqlite3.OperationalError) table trial_heartbeats "
                                   "already exists")
        return real(url, **kwargs)

    monkeypatch.setattr(buffered, "rdb_storage", racing)
    storage = make_storage(f"sqlite:///{tmp_path / 'new.db'}")
    assert len(calls) == 2 and isinstance(storage, optuna.storages.RDBStorage)


def test_workers_started_together_on_a_new_sqlite_file_all_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'together.db'}"
    code = textwrap.dedent("""
        import sys
        import optuna
        from tuning.storage import make_storage
        storage = make_storage(sys.argv[1])
        study = optuna.create_study(storage=storage, study_name="s", load_if_exists=True)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    """)
    workers = [subprocess.Popen([sys.executable, "-c", code, url], cwd=REPO, env=_env(),
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0] * 4, "\n".join(errors)[-3000:]
    assert len(_load(url).trials) == 12
