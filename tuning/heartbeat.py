"""The first heartbeat of a trial, written the moment it starts running in this process.

Optuna's `_run_trial` starts its heartbeat thread only after ``study.ask()`` has created the
trial and run the sampler (``before_trial`` and the relative sampling), and its stale-trial
check skips every RUNNING trial that has no heartbeat at all. A process killed in between (a
slow sampler, a busy machine) would leave its trial RUNNING for good. The storages of
`tuning.storage` (`BufferedRDBStorage`, `HeartbeatJournalStorage`) therefore call
`write_first_heartbeat` when they create a running trial or hand a waiting one to a worker.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_first_heartbeat"]


def write_first_heartbeat(storage: Any, trial_id: int) -> None:
    """Record a heartbeat for ``trial_id`` now when ``storage`` has heartbeats enabled."""
    if storage.get_heartbeat_interval() is not None:
        storage.record_heartbeat(trial_id)
