"""`SnapshotMedianPruner`: Optuna's median pruner reading the finished trials once per trial.

Optuna's `MedianPruner` asks the storage for every completed trial at each check point of each
trial. In memory that is a list lookup; with an RDB storage it is a round of queries
(`_CachedStorage` still reads the unfinished trials back every time), and on a 30-trial
LightGBM study it was the largest single cost of a stored study over an in-memory one.

The completed trials cannot change while a trial runs unless another worker finishes one, so
this pruner reads them once when a trial first asks, keeps them for that trial, and reads them
again after ``refresh_seconds`` (10 s by default). With one worker the decisions are exactly
those of `MedianPruner`; with several workers a trial may judge itself against the trials
finished up to ``refresh_seconds`` earlier (Optuna's distributed pruning already compares
against whatever has finished at that moment).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Container
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = ["SnapshotMedianPruner"]

#: seconds a trial keeps its snapshot of the completed trials before reading them again
DEFAULT_REFRESH_SECONDS = 10.0
_ONLY_COMPLETE = (TrialState.COMPLETE,)


class _CompletedTrialsView:
    """A study whose ``get_trials`` answers from a snapshot of its completed trials; every
    other attribute is the study's own."""

    def __init__(self, study: Any, completed: list[FrozenTrial]) -> None:
        self._study = study
        self._completed = completed

    def get_trials(self, deepcopy: bool = True,
                   states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        if states is None or tuple(states) != _ONLY_COMPLETE:
            # anything but "the completed trials" goes to the storage as before
            return self._study.get_trials(deepcopy=deepcopy, states=states)
        if deepcopy:
            return copy.deepcopy(self._completed)
        return self._completed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)


class SnapshotMedianPruner(optuna.pruners.MedianPruner):
    """`optuna.pruners.MedianPruner` that reads the study's completed trials at most once per
    trial and ``refresh_seconds`` (module docstring); same parameters otherwise.

    Parameters
    ----------
    n_startup_trials, n_warmup_steps, interval_steps, n_min_trials
        As `optuna.pruners.MedianPruner`.
    refresh_seconds : float
        Seconds a trial keeps its snapshot of the completed trials (> 0).
    """

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1,
                 refresh_seconds: float = DEFAULT_REFRESH_SECONDS) -> None:
        super().__init__(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps,
                         interval_steps=interval_steps, n_min_trials=n_min_trials)
        if not refresh_seconds > 0:
            raise ValueError(f"refresh_seconds must be > 0, got {refresh_seconds!r}")
        self.refresh_seconds = float(refresh_seconds)
        self._lock = threading.Lock()
        #: trial number -> (monotonic time read, completed trials)
        self._snapshots: dict[int, tuple[float, list[FrozenTrial]]] = {}

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        return super().prune(_CompletedTrialsView(study, self._completed(study, trial)), trial)

    def _completed(self, study: Any, trial: FrozenTrial) -> list[FrozenTrial]:
        now = time.monotonic()
        with self._lock:
            held = self._snapshots.get(trial.number)
        if held is not None and now - held[0] < self.refresh_seconds:
            return held[1]
        completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        with self._lock:
            # trials that have finished no longer ask: keep only the recent snapshots
            for number in [n for n, (read, _) in self._snapshots.items()
                           if now - read >= self.refresh_seconds]:
                del self._snapshots[number]
            self._snapshots[trial.number] = (now, completed)
        return completed

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_lock"] = None
        state["_snapshots"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
