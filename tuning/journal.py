"""`HeartbeatJournalStorage`: Optuna's journal storage with the heartbeat protocol of its RDB
storage (see `tuning.storage`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalStorage
from optuna.trial import TrialState

from .heartbeat import write_first_heartbeat

__all__ = ["HeartbeatJournalStorage"]

_HEARTBEAT_KEY = "boostrank:heartbeat"


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """`JournalStorage` with Optuna's heartbeat protocol (see the module docstring).

    ``log_storage``: a journal backend (`JournalFileBackend`, `JournalRedisBackend`);
    ``heartbeat_interval`` / ``grace_period``: seconds (None interval disables the heartbeat);
    ``failed_trial_callback(study, frozen_trial)`` runs for each trial failed as stale.
    """

    def __init__(self, log_storage: Any, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None,
                 failed_trial_callback: Callable | None = None) -> None:
        super().__init__(log_storage)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.failed_trial_callback = failed_trial_callback

    def create_new_trial(self, study_id: int, template_trial: Any = None) -> int:
        trial_id = super().create_new_trial(study_id, template_trial)
        if template_trial is None or template_trial.state == TrialState.RUNNING:
            write_first_heartbeat(self, trial_id)
        return trial_id

    def set_trial_state_values(self, trial_id: int, state: TrialState,
                               values: Any = None) -> bool:
        changed = super().set_trial_state_values(trial_id, state, values)
        if changed and state == TrialState.RUNNING:  # a waiting trial this process took
            write_first_heartbeat(self, trial_id)
        return changed

    def record_heartbeat(self, trial_id: int) -> None:
        try:
            self.set_trial_system_attr(trial_id, _HEARTBEAT_KEY, time.time())
        except (UpdateFinishedTrialError, KeyError):
            pass  # the trial finished (or another process failed it) meanwhile

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        if self.heartbeat_interval is None:
            return []
        grace = self.grace_period or 2 * self.heartbeat_interval
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(_HEARTBEAT_KEY)
            if beat is not None and now - float(beat) > grace:
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> Callable | None:
        return self.failed_trial_callback

    def get_failed_trial_callback(self) -> Callable | None:  # Optuna < 4.9 name
        return self.failed_trial_callback
