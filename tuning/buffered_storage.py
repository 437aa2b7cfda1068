"""An RDB storage that writes each trial a worker runs in one transaction.

Optuna's `RDBStorage` commits every ``suggest_*``, every ``trial.report`` and every
``trial.set_user_attr`` as its own transaction (a session, a lookup of the trial, a lookup of
the row, the insert, the commit), and reads the whole running trial back from the database
whenever the trial, a sampler or a pruner asks for it. On PostgreSQL each of these costs
milliseconds: a stored study of short trials ran 1.45x the wall time of the same study in
memory (``benchmarks/bench_tuning.py``, part 1; 30 trials made 3,380 SQL statements and 955
commits).

`BufferedRDBStorage` keeps the params, intermediate values and user attributes of the trials
*this process* runs in memory and writes them in one transaction when the trial finishes
(before its state and value), or once ``flush_interval`` seconds (10) have passed since the
last write, so that a dashboard follows a long trial and a crash loses at most that much.
Reads of those trials through this storage (``trial.should_prune()``, ``trial.user_attrs``,
samplers) see everything at once and need no query. A read of the study's trials is reused
while this process writes nothing to the database, for at most ``read_interval`` seconds (1):
samplers read the study several times while a trial starts. The same 30 trials then make
1,541 statements and 325 commits. Optuna's own code does the rest: trial creation, states and
values, system attributes (successive halving and Hyperband keep their rungs there and compare
running trials), heartbeats (the first of which this storage writes as the trial starts,
see `tuning.heartbeat`).

What other processes see: a running trial's state at once, its params, intermediate values
and user attributes when it finishes (or at the next periodic write), never a finished trial
without them. The pruners Optuna and boostrank ship compare a trial with *finished* trials
only, and TPE without ``constant_liar`` (boostrank's sampler) ignores running trials, so their
decisions are unchanged (the same trials as in memory with one worker: the tests and part 1 of
the benchmark check it). A sampler of another worker that looks at running trials' params
(``constant_liar=True``) sees them only at those writes.

The batched write uses Optuna's SQLAlchemy models (`optuna.storages._rdb.models`) and the two
methods through which Optuna's cache layer creates trials and sets params
(``_create_new_trial``, ``_set_trial_param``); `rdb_storage` falls back to the plain
`RDBStorage` when the models are not there.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import TrialState

from .heartbeat import write_first_heartbeat

__all__ = [
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_READ_INTERVAL",
    "BufferedRDBStorage",
    "buffered_storage_available",
    "rdb_storage",
]

#: seconds after which a running trial's buffered writes go to the database anyway
DEFAULT_FLUSH_INTERVAL = 10.0
#: seconds a read of a study's trials is reused for while this process writes nothing
DEFAULT_READ_INTERVAL = 1.0


def _models() -> Any | None:
    """Optuna's RDB models, when they have what the batched write needs."""
    try:
        from optuna.storages._rdb import models
    except ImportError:  # pragma: no cover - a future Optuna without the module
        return None
    needed = (
        hasattr(models, "TrialIntermediateValueModel")
        and hasattr(models.TrialIntermediateValueModel, "intermediate_value_to_stored_repr")
        and hasattr(models, "TrialUserAttributeModel")
        and hasattr(models, "TrialParamModel")
        and hasattr(models, "TrialModel")
    )
    return models if needed else None


def buffered_storage_available() -> bool:
    """Whether this Optuna offers what `BufferedRDBStorage` needs (its RDB models and the
    methods it overrides, with the arguments it expects)."""
    import inspect

    expected = {
        "_create_new_trial": ["self", "study_id", "template_trial"],
        "_set_trial_param": ["self", "trial_id", "param_name", "param_value_internal",
                             "distribution", "previous_distribution"],
        "_get_trials": ["self", "study_id", "states", "included_trial_ids",
                        "trial_id_greater_than"],
    }
    for name, arguments in expected.items():
        method = getattr(optuna.storages.RDBStorage, name, None)
        if method is None or list(inspect.signature(method).parameters) != arguments:
            return False
    return _models() is not None


@dataclass
class _Pending:
    """A trial run here: ``base``, the trial as the database has it (taken when this process
    started the trial, kept up to date with every write of this process), and what it wrote
    that the database has not got yet (``new_*``). Reads of the trial need no query: they are
    ``base`` with ``new_*`` on top (`_overlay`)."""

    base: Any
    new_params: dict[str, tuple[float, Any]] = field(default_factory=dict)
    new_intermediate: dict[int, float] = field(default_factory=dict)
    new_user_attrs: dict[str, Any] = field(default_factory=dict)
    last_write: float = field(default_factory=time.monotonic)

    def has_new(self) -> bool:
        return bool(self.new_params or self.new_intermediate or self.new_user_attrs)

    def has_param(self, name: str) -> bool:
        return name in self.new_params or name in self.base.params

    def written(self) -> None:
        """The new writes are in the database now: they move into ``base``."""
        self.base = _overlay(self.base, self)
        self.new_params.clear()
        self.new_intermediate.clear()
        self.new_user_attrs.clear()
        self.last_write = time.monotonic()


def _rows(models: Any, session: Any, trial_id: int, pending: _Pending) -> list[Any]:
    """ORM rows of the new writes; rows the database has already are deleted first (updated),
    those of an enqueued trial included."""
    from optuna.distributions import distribution_to_json

    rows = [models.TrialParamModel(trial_id=trial_id, param_name=name, param_value=value,
                                   distribution_json=distribution_to_json(distribution))
            for name, (value, distribution) in pending.new_params.items()]
    value_model, attr_model = models.TrialIntermediateValueModel, models.TrialUserAttributeModel
    for step, value in pending.new_intermediate.items():
        if step in pending.base.intermediate_values:
            session.query(value_model).filter_by(trial_id=trial_id, step=step).delete()
        stored, kind = value_model.intermediate_value_to_stored_repr(value)
        rows.append(value_model(trial_id=trial_id, step=step, intermediate_value=stored,
                                intermediate_value_type=kind))
    for key, value in pending.new_user_attrs.items():
        if key in pending.base.user_attrs:
            session.query(attr_model).filter_by(trial_id=trial_id, key=key).delete()
        rows.append(attr_model(trial_id=trial_id, key=key, value_json=json.dumps(value)))
    return rows


def _overlay(trial: Any, pending: _Pending) -> Any:
    """A copy of ``trial`` with what ``pending`` holds (the dicts replaced are new ones)."""
    merged = copy.copy(trial)
    merged.params = {**trial.params}
    merged.distributions = {**trial.distributions}
    for name, (value, distribution) in pending.new_params.items():
        merged.params[name] = distribution.to_external_repr(value)
        merged.distributions[name] = distribution
    merged.intermediate_values = {**trial.intermediate_values, **pending.new_intermediate}
    merged.user_attrs = {**trial.user_attrs, **copy.deepcopy(pending.new_user_attrs)}
    return merged


class BufferedRDBStorage(optuna.storages.RDBStorage):
    """`optuna.storages.RDBStorage` writing the params, reports and user attributes of the
    trials this process runs in one transaction per trial (module docstring).

    Parameters
    ----------
    url : str
        SQLAlchemy database URL.
    flush_interval : float, default 10.0
        Seconds after which a running trial's buffered writes are written anyway.
    read_interval : float, default 1.0
        Seconds a read of the study's trials is reused for while this process writes
        nothing to the database (the samplers read the study several times per trial).
    **kwargs
        Passed to `optuna.storages.RDBStorage` (``engine_kwargs``, heartbeat settings).
    """

    def __init__(self, url: str, *, flush_interval: float = DEFAULT_FLUSH_INTERVAL,
                 read_interval: float = DEFAULT_READ_INTERVAL, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self.flush_interval = float(flush_interval)
        self.read_interval = float(read_interval)
        self._pending: dict[int, _Pending] = {}
        self._known_distributions: dict[tuple[int, str], Any] = {}
        self._reads: dict[Any, tuple[float, list[Any]]] = {}
        self._pending_lock = threading.RLock()

    # -------------------------------------------------------------- trials run here
    def _create_new_trial(self, study_id: int, template_trial: Any = None) -> Any:
        # the method both RDBStorage.create_new_trial and Optuna's cache layer call
        self._forget_reads()
        frozen = super()._create_new_trial(study_id, template_trial)
        if frozen.state == TrialState.RUNNING:
            write_first_heartbeat(self, frozen._trial_id)
            with self._pending_lock:
                self._pending[frozen._trial_id] = _Pending(base=copy.deepcopy(frozen))
        return frozen

    def set_trial_state_values(self, trial_id: int, state: Any,
                               values: Any = None) -> bool:
        self._forget_reads()
        if state.is_finished():
            try:
                self.flush(trial_id)
            finally:  # also when another process ended the trial (the flush then raises)
                with self._pending_lock:
                    self._pending.pop(trial_id, None)
            return super().set_trial_state_values(trial_id, state, values)
        changed = super().set_trial_state_values(trial_id, state, values)
        if changed and state == TrialState.RUNNING:  # a waiting trial this process took
            write_first_heartbeat(self, trial_id)
            base = super().get_trial(trial_id)
            with self._pending_lock:
                self._pending.setdefault(trial_id, _Pending(base=base))
        return changed

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._forget_reads()
        super().set_trial_system_attr(trial_id, key, value)
        with self._pending_lock:
            pending = self._pending.get(trial_id)
            if pending is not None:
                pending.base.system_attrs = {**pending.base.system_attrs,
                                             key: copy.deepcopy(value)}

    # -------------------------------------------------------------- buffered writes
    def _set_trial_param(self, trial_id: int, param_name: str,
                         param_value_internal: float, distribution: Any,
                         previous_distribution: Any = None) -> None:
        # the method both RDBStorage.set_trial_param and Optuna's cache layer call
        pending = self._pending.get(trial_id)
        if pending is None:
            self._forget_reads()
            super()._set_trial_param(trial_id, param_name, param_value_internal,
                                     distribution, previous_distribution)
            return
        if pending.has_param(param_name):
            raise RuntimeError(f"trial {trial_id} already has a value for parameter "
                               f"{param_name!r}")
        self._check_distribution(trial_id, param_name, distribution, previous_distribution)
        with self._pending_lock:
            entry = (float(param_value_internal), distribution)
            pending.new_params[param_name] = entry
        self._flush_if_due(trial_id, pending)

    def set_trial_intermediate_value(self, trial_id: int, step: int,
                                     intermediate_value: float) -> None:
        pending = self._pending.get(trial_id)
        if pending is None:
            self._forget_reads()
            super().set_trial_intermediate_value(trial_id, step, intermediate_value)
            return
        with self._pending_lock:
            value = float(intermediate_value)
            pending.new_intermediate[int(step)] = value
        self._flush_if_due(trial_id, pending)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        pending = self._pending.get(trial_id)
        if pending is None:
            self._forget_reads()
            super().set_trial_user_attr(trial_id, key, value)
            return
        json.dumps(value)  # the error Optuna would raise, at the call
        with self._pending_lock:
            pending.new_user_attrs[key] = copy.deepcopy(value)
        self._flush_if_due(trial_id, pending)

    def flush(self, trial_id: int | None = None) -> None:
        """Write the buffered values of ``trial_id`` (None: of every running trial)."""
        with self._pending_lock:
            for one in list(self._pending) if trial_id is None else [trial_id]:
                pending = self._pending.get(one)
                if pending is not None and pending.has_new():
                    self._write(one, pending)

    def _flush_if_due(self, trial_id: int, pending: _Pending) -> None:
        if time.monotonic() - pending.last_write >= self.flush_interval:
            self.flush(trial_id)

    def _write(self, trial_id: int, pending: _Pending) -> None:
        """One transaction: the new rows inserted together, rows written before updated."""
        models = _models()
        self._forget_reads()
        session = self.scoped_session()
        try:
            trial = models.TrialModel.find_or_raise_by_id(trial_id, session)
            self.check_trial_is_updatable(trial_id, trial.state)
            session.add_all(_rows(models, session, trial_id, pending))
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
        pending.written()

    def _check_distribution(self, trial_id: int, name: str, distribution: Any,
                            previous: Any) -> None:
        """Optuna's check that a parameter keeps a compatible distribution in a study."""
        from optuna.distributions import check_distribution_compatibility

        if previous is None:
            previous = self._first_distribution(trial_id, name)
        if previous is not None:
            check_distribution_compatibility(previous, distribution)

    def _first_distribution(self, trial_id: int, name: str) -> Any:
        """The distribution the study first stored for parameter ``name`` (or None)."""
        from optuna.distributions import json_to_distribution

        models = _models()
        session = self.scoped_session()
        try:
            study_id = models.TrialModel.find_or_raise_by_id(trial_id, session).study_id
            key = (study_id, name)
            if key not in self._known_distributions:
                record = (session.query(models.TrialParamModel).join(models.TrialModel)
                          .filter(models.TrialModel.study_id == study_id)
                          .filter(models.TrialParamModel.param_name == name).first())
                if record is None:
                    return None
                self._known_distributions[key] = json_to_distribution(
                    record.distribution_json)
            return self._known_distributions[key]
        finally:
            session.close()

    # -------------------------------------------------------------- reads see them
    def get_trial(self, trial_id: int) -> Any:
        with self._pending_lock:
            pending = self._pending.get(trial_id)
            if pending is not None:
                return _overlay(pending.base, pending)
        return super().get_trial(trial_id)

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        pending = self._pending.get(trial_id)
        if pending is not None and param_name in pending.new_params:
            return pending.new_params[param_name][0]
        return super().get_trial_param(trial_id, param_name)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        if trial_id in self._pending:
            return self.get_trial(trial_id).user_attrs
        return super().get_trial_user_attrs(trial_id)  # one table, not the whole trial

    def _get_trials(self, study_id: int, states: Any, included_trial_ids: Any,
                    trial_id_greater_than: int) -> list[Any]:
        # the method RDBStorage.get_all_trials and Optuna's cache layer both read through
        key = (study_id, None if states is None else tuple(sorted(s.value for s in states)),
               frozenset(included_trial_ids), trial_id_greater_than)
        with self._pending_lock:
            hit = self._reads.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.read_interval:
                trials = hit[1]
            else:
                trials = super()._get_trials(study_id, states, included_trial_ids,
                                             trial_id_greater_than)
                self._reads[key] = (time.monotonic(), trials)
            return [self._with_pending(t) for t in trials]

    def _forget_reads(self) -> None:
        with self._pending_lock:
            self._reads = {}

    def _with_pending(self, trial: Any) -> Any:
        with self._pending_lock:
            pending = self._pending.get(trial._trial_id)
            if pending is None or not pending.has_new():
                return trial
            return _overlay(trial, pending)


def rdb_storage(url: str, *, buffered: bool = True, **kwargs: Any) -> Any:
    """`BufferedRDBStorage` for ``url`` (plain `optuna.storages.RDBStorage` with
    ``buffered=False`` or when this Optuna lacks what the batched write needs)."""
    if buffered and buffered_storage_available():
        return BufferedRDBStorage(url, **kwargs)
    return optuna.storages.RDBStorage(url, **kwargs)
