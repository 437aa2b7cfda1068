"""`tuning.snapshot_pruner.SnapshotMedianPruner`: the decisions of Optuna's MedianPruner with
far fewer reads of the completed trials."""

import math

import optuna
import pytest

from tuning.pruners import make_pruner
from tuning.snapshot_pruner import SnapshotMedianPruner

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _curve_objective(trial):
    """A trial reports 30 steps of a curve whose level is its sampled parameter."""
    level = trial.suggest_float("level", 0.0, 1.0)
    for step in range(30):
        trial.report(level * (1 - math.exp(-(step + 1) / 5)), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return level


class _CountingStorage(optuna.storages.InMemoryStorage):
    """Counts the reads of the completed trials."""

    def __init__(self):
        super().__init__()
        self.completed_reads = 0

    def get_all_trials(self, study_id, deepcopy=True, states=None):
        if states is not None and tuple(states) == (optuna.trial.TrialState.COMPLETE,):
            self.completed_reads += 1
        return super().get_all_trials(study_id, deepcopy=deepcopy, states=states)


def _run(pruner, storage=None):
    study = optuna.create_study(direction="maximize", storage=storage, pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(_curve_objective, n_trials=25)
    return study


def test_same_decisions_as_median_pruner_with_one_worker():
    plain = _run(optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2,
                                             interval_steps=4))
    snap = _run(SnapshotMedianPruner(n_startup_trials=3, n_warmup_steps=2, interval_steps=4))
    assert [t.state for t in snap.trials] == [t.state for t in plain.trials]
    assert [t.intermediate_values for t in snap.trials] == \
        [t.intermediate_values for t in plain.trials]
    assert any(t.state == optuna.trial.TrialState.PRUNED for t in snap.trials)


def test_completed_trials_read_once_per_trial():
    plain_storage, snap_storage = _CountingStorage(), _CountingStorage()
    _run(optuna.pruners.MedianPruner(n_startup_trials=3), plain_storage)
    snap = _run(SnapshotMedianPruner(n_startup_trials=3, refresh_seconds=3600), snap_storage)
    assert snap_storage.completed_reads <= len(snap.trials)
    assert plain_storage.completed_reads > 5 * snap_storage.completed_reads


def test_snapshot_refreshes_when_another_worker_finishes():
    """A trial's snapshot is read again after refresh_seconds (0 here: every check)."""
    storage = _CountingStorage()
    pruner = SnapshotMedianPruner(n_startup_trials=1, refresh_seconds=1e-9)
    study = _run(pruner, storage)
    reports = sum(len(t.intermediate_values) for t in study.trials)
    assert storage.completed_reads >= reports - len(study.trials)


def test_named_median_is_the_snapshot_pruner_and_still_a_median_pruner():
    made = make_pruner("median")
    assert isinstance(made, SnapshotMedianPruner)
    assert isinstance(made, optuna.pruners.MedianPruner)


def test_refresh_seconds_must_be_positive():
    with pytest.raises(ValueError, match="refresh_seconds"):
        SnapshotMedianPruner(refresh_seconds=0)
