"""Where a study lives: memory, an RDB URL, or a journal file shared by local processes.

`make_storage` accepts:

- ``None``: in memory (lost when the process ends);
- an RDB URL (``sqlite:///study.db``, ``postgresql://user@host/db``, ``mysql://...``):
  an `optuna.storages.RDBStorage` that writes the params, reports and user attributes of the
  trials this process runs in one transaction per trial (`tuning.buffered_storage`); several
  machines can share a PostgreSQL/MySQL study;
- a journal file: ``journal:PATH`` or a path ending in ``.log``, ``.journal`` or ``.jsonl``:
  `optuna.storages.JournalStorage` over a `JournalFileBackend` (append-only, file-locked, safe
  for several processes on one machine or on a shared file system); ``redis://`` URLs use the
  journal Redis backend (needs the ``redis`` package);
- an ``optuna.storages.BaseStorage`` object, returned as is.

Heartbeat: with ``heartbeat_interval`` (seconds) every running trial records a heartbeat; a
trial whose heartbeat is older than ``grace_period`` (default twice the interval) belongs to a
dead process and is marked FAIL by the next process that uses the study (never COMPLETE), then
``failed_trial_callback(study, frozen_trial)`` runs (e.g.
``optuna.storages.RetryFailedTrialCallback()`` to re-run it). Optuna implements this for RDB
storages; `HeartbeatJournalStorage` adds the same to journal files (heartbeats are written as
trial system attributes with the wall-clock time, so processes sharing a file across machines
need synchronised clocks). Both write a trial's first heartbeat the moment it starts running
in a process, not when Optuna's heartbeat thread starts (after the sampler has run): Optuna
never fails a running trial that has no heartbeat, so a process killed while its sampler ran
would otherwise leave the trial RUNNING for good (`tuning.heartbeat`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_HEARTBEAT_INTERVAL",
    "fail_stale_trials",
    "make_storage",
    "storage_kind",
]

#: seconds between heartbeats of a running trial (persistent storages)
DEFAULT_HEARTBEAT_INTERVAL = 30

_JOURNAL_SUFFIXES = (".log", ".journal", ".jsonl")


def storage_kind(storage: Any) -> str:
    """``"memory"``, ``"rdb"``, ``"journal"`` or ``"object"`` for a storage argument."""
    if storage is None:
        return "memory"
    if isinstance(storage, (str, os.PathLike)):
        text = os.fspath(storage)
        if text.startswith("journal:") or text.endswith(_JOURNAL_SUFFIXES):
            return "journal"
        if text.startswith("redis://") or text.startswith("rediss://"):
            return "journal"
        if "://" in text:
            return "rdb"
        raise ValueError(
            f"storage {text!r} is neither a database URL nor a journal file: use "
            f"'sqlite:///{text}' for an SQLite file, 'journal:{text}' (or a name ending in .log) "
            "for a journal file, or a URL such as postgresql://user@host/db"
        )
    return "object"


def make_storage(
    storage: Any,
    *,
    heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = None,
    failed_trial_callback: Callable[[Any, Any], None] | None = None,
) -> Any:
    """Build the Optuna storage for ``storage`` (see the module docstring); None = memory.

    Checks before anything runs: a journal file's folder or an SQLite database's folder must
    exist. ``heartbeat_interval`` None disables the heartbeat.
    """
    import optuna

    kind = storage_kind(storage)
    if kind == "memory":
        return None
    if kind == "object":
        if not isinstance(storage, optuna.storages.BaseStorage):
            raise TypeError(
                "storage must be None, a URL string, a journal file path or an optuna storage, "
                f"got {type(storage).__name__}"
            )
        return storage
    if heartbeat_interval is not None and (
        not isinstance(heartbeat_interval, int) or heartbeat_interval <= 0
    ):
        raise ValueError(f"heartbeat_interval must be a positive int or None, got "
                         f"{heartbeat_interval!r}")
    if grace_period is not None and (not isinstance(grace_period, int) or grace_period <= 0):
        raise ValueError(f"grace_period must be a positive int or None, got {grace_period!r}")
    text = os.fspath(storage)
    if kind == "journal":
        return _journal_storage(text, heartbeat_interval, grace_period, failed_trial_callback)
    return _rdb_storage(text, heartbeat_interval, grace_period, failed_trial_callback)


def use_write_ahead_log(engine: Any) -> None:
    """Put an SQLite study file in write-ahead-log mode with ``synchronous=NORMAL``.

    Every report to the pruner is a committed transaction; in SQLite's default rollback-journal
    mode each commit syncs the file several times, which made a stored study several times
    slower than one in memory. In WAL mode a commit appends to the log (readers never block
    the writer, several local worker processes share the file as before) and NORMAL syncs at
    checkpoints: a committed trial survives a crash of the process; only a power loss may
    lose the last transactions. The journal mode is stored in the file itself.
    """
    from sqlalchemy import event

    def on_connect(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened before the listener reconnect with the pragmas


def _rdb_storage(url: str, heartbeat_interval: int | None, grace_period: int | None,
                 failed_trial_callback: Callable | None) -> Any:
    import warnings

    import optuna

    from .buffered_storage import rdb_storage

    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path and path != ":memory:":
            folder = Path(path).expanduser().resolve().parent
            if not folder.is_dir():
                raise FileNotFoundError(f"storage {url}: folder {folder} does not exist")
        # several local processes write to one SQLite file: wait for the lock, do not fail
        engine_kwargs["connect_args"] = {"timeout": 60}
    for attempt in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                storage = rdb_storage(
                    url,
                    engine_kwargs=engine_kwargs or None,
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                    heartbeat_stale_trial_callback=failed_trial_callback,
                )
                if url.startswith("sqlite:///"):
                    use_write_ahead_log(storage.engine)
                return storage
            except ImportError as exc:
                raise ValueError(f"storage {url}: missing database driver ({exc})") from None
            except Exception as exc:  # sqlalchemy errors: bad URL, unreachable server, race
                name = type(exc).__name__
                lost_race = name in ("IntegrityError", "ProgrammingError") or (
                    name == "OperationalError" and "already exists" in str(exc))
                if lost_race and attempt < 4:
                    # several processes creating the schema of a new database at once: the
                    # loser of the race finds the tables made (SQLite says "table ... already
                    # exists", PostgreSQL raises IntegrityError / ProgrammingError); try again
                    time.sleep(0.2 * (attempt + 1))
                    continue
                if name in ("ArgumentError", "OperationalError", "NoSuchModuleError"):
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else name
                    raise ValueError(f"storage {url}: {first}") from None
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _journal_storage(text: str, heartbeat_interval: int | None, grace_period: int | None,
                     failed_trial_callback: Callable | None) -> Any:
    from optuna.storages.journal import JournalFileBackend

    if text.startswith(("redis://", "rediss://")):
        from optuna.storages.journal import JournalRedisBackend

        try:
            backend = JournalRedisBackend(text)
        except ImportError:
            raise ValueError(f"storage {text}: the 'redis' package is needed") from None
    else:
        path = Path(text[len("journal:"):] if text.startswith("journal:") else text).expanduser()
        if not path.parent.resolve().is_dir():
            raise FileNotFoundError(f"journal storage {path}: folder {path.parent} does not exist")
        backend = JournalFileBackend(str(path))
    from .journal import HeartbeatJournalStorage

    return HeartbeatJournalStorage(backend, heartbeat_interval=heartbeat_interval,
                                   grace_period=grace_period,
                                   failed_trial_callback=failed_trial_callback)


def fail_stale_trials(study: Any) -> None:
    """Mark the running trials of dead processes (stale heartbeat) FAIL, now."""
    import warnings

    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)

