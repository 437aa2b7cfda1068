"""`tune`: an Optuna study over a ranker's hyperparameters, safe to stop and resume.

What it gets right for ranking:

- the study always maximises (every evaluator metric is better when higher) and optimises one
  metric (``"ndcg@10,map"`` is refused rather than silently taking the first);
- early stopping and pruning watch that same metric under the same convention (the estimator's
  ``eval_metric`` / ``eval_convention`` are set to it), reported every round/epoch;
- cross-validation splits whole queries (`GroupKFold` over query groups), never a query's rows;
- a new study first evaluates the estimator's own configuration, so the best value is never
  below the default's; a resumed study does not evaluate it again;
- everything is checked before the first trial: model, metric, convention, data, space,
  sampler, pruner, storage, and on resume that the stored study was made for the same model,
  metric, convention and data.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boostrank.data.ranking_data import RankingData, as_ranking_data
from boostrank.estimator import _from_jsonable, _jsonable

from .objective import (
    BEST_EPOCH_ATTR,
    BEST_ITERATION_ATTR,
    DEFAULT_TRIAL_ATTR,
    FOLD_SCORES_ATTR,
    PARAMS_ATTR,
    STEPS_RUN_ATTR,
    RankingObjective,
)
from .pruners import make_pruner
from .samplers import make_sampler
from .spaces import SearchSpace, SpaceLike, resolve_space

__all__ = ["TuningResult", "query_folds", "tune"]

#: seconds between heartbeats of a running trial in a persistent storage (`tuning.storage`)
DEFAULT_HEARTBEAT_INTERVAL = 30

_STUDY_ATTR = "boostrank:study"
_EARLY_STOPPING_PARAMS = ("early_stopping_rounds", "patience", "early_stopping_patience")
_EPOCH_PARAMS = ("max_epochs", "epochs", "n_epochs")


@dataclass
class TuningResult:
    """What `tune` returns.

    ``best_params``: estimator parameters of the best trial (apply them to the tuned model with
    ``set_params``, or to a fresh one of the same class: they include the tuning settings
    ``eval_metric``/``eval_convention``/``random_state`` when those differ from the model's);
    ``best_value``: its validation metric (mean over folds with ``cv``); ``best_estimator``:
    refitted on ``train`` (None when ``refit=False``); ``trials``: one row per trial (number,
    state, value, duration, parameters, kept rounds/epochs, steps reported); ``study``: the
    Optuna study; ``default_value``: the value of the default-configuration trial, when this
    study ran one and it completed.
    """

    best_params: dict[str, Any]
    best_value: float
    best_estimator: Any
    trials: Any
    study: Any
    metric: str
    convention: str
    model: str
    default_value: float | None = None
    best_trial: int = -1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_complete(self) -> int:
        return int((self.trials["state"] == "COMPLETE").sum())

    @property
    def n_pruned(self) -> int:
        return int((self.trials["state"] == "PRUNED").sum())

    @property
    def n_failed(self) -> int:
        return int((self.trials["state"] == "FAIL").sum())

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: model, metric, convention, best value/params, trial counts."""
        return {
            "model": self.model,
            "metric": self.metric,
            "convention": self.convention,
            "study_name": self.study.study_name,
            "best_trial": self.best_trial,
            "best_value": self.best_value,
            "default_value": self.default_value,
            "best_params": _json_params(self.best_params),
            "n_trials": int(len(self.trials)),
            "n_complete": self.n_complete,
            "n_pruned": self.n_pruned,
            "n_failed": self.n_failed,
        }

    def save(self, directory: str | os.PathLike, *, model_file: str = "model.brm",
             plots: bool = True) -> dict[str, Path]:
        """Write ``best_params.json``, ``summary.json``, ``trials.csv``, the refitted model
        and (``plots``) the PNG plots of `tuning.plots.write_plots` into ``directory``.

        Returns name -> path of what was written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        path = out / "best_params.json"
        path.write_text(json.dumps(_json_params(self.best_params), indent=2, sort_keys=True)
                        + "\n")
        written["best_params"] = path
        path = out / "trials.csv"
        self.trials.to_csv(path, index=False)
        written["trials"] = path
        if self.best_estimator is not None:
            written["model"] = Path(self.best_estimator.save(out / model_file))
        summary = self.summary()
        if plots:
            from .plots import write_plots

            made, skipped = write_plots(self.study, out)
            written.update(made)
            summary["plots_skipped"] = skipped
        path = out / "summary.json"
        path.write_text(json.dumps(summary, indent=2) + "\n")
        written["summary"] = path
        return written


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON; an object JSON cannot hold (a `Convention`) is written by name."""
    out = {}
    for key, value in params.items():
        try:
            out[key] = _jsonable(value)
        except TypeError:
            out[key] = getattr(value, "name", repr(value))
    return out


# ---------------------------------------------------------------------- argument checks
def _resolve_model(model: Any) -> tuple[Any, str]:
    """A short registry name or an estimator instance -> (estimator, display name)."""
    if isinstance(model, str):
        from boostrank.registry import get_model_class

        cls = get_model_class(model)
        return cls(), model.strip().lower()
    if isinstance(model, type):
        raise TypeError(
            f"model must be a short name or an estimator instance, got the class "
            f"{model.__name__}; pass {model.__name__}()"
        )
    for attr in ("fit", "predict", "get_params", "set_params"):
        if not callable(getattr(model, attr, None)):
            raise TypeError(
                f"model must be a short name (lightgbm, xgboost, ranknet, listnet, ...) or an "
                f"estimator instance with {attr}(); got {type(model).__name__}"
            )
    return model, type(model).__name__


def _resolve_metric(metric: Any) -> str:
    from boostrank.metrics import parse_metrics

    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string such as 'ndcg@10', got {type(metric).__name__}")
    names = parse_metrics(metric)
    if len(names) != 1:
        raise ValueError(
            f"metric {metric!r} names {len(names)} metrics ({', '.join(names)}); a study "
            "optimises exactly one"
        )
    return names[0]


def _resolve_convention(convention: Any) -> tuple[Any, str]:
    from boostrank.metrics import get_convention

    resolved = get_convention(convention)
    name = getattr(resolved, "name", str(convention))
    return (convention if isinstance(convention, str) else resolved), str(name)


def _as_data(data: Any, name: str) -> RankingData:
    if isinstance(data, RankingData):
        return data
    if isinstance(data, (str, os.PathLike)):
        from boostrank.data import load_libsvm

        return load_libsvm(data)
    if isinstance(data, (tuple, list)) and len(data) == 3:
        result, _ = as_ranking_data(data[0], data[1], data[2], name=name)
        return result
    raise TypeError(
        f"{name} must be a RankingData, an (X, y, qid) tuple or a LibSVM file path, "
        f"got {type(data).__name__}"
    )


def query_folds(data: RankingData, k: int) -> list[tuple[RankingData, RankingData]]:
    """``k`` (train, valid) splits of ``data`` by `GroupKFold` over query groups.

    Every query's rows stay together in one part; queries keep their order inside each part.
    """
    from sklearn.model_selection import GroupKFold

    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"cv must be an integer >= 2 (number of folds), got {k!r}")
    if k > data.n_queries:
        raise ValueError(f"cv={k} folds need at least {k} queries; train has {data.n_queries}")
    groups = np.repeat(np.arange(data.n_queries), data.group_sizes)
    folds = []
    for train_rows, valid_rows in GroupKFold(n_splits=int(k)).split(
            np.zeros((data.n_rows, 1)), groups=groups):
        folds.append((data.queries(np.unique(groups[train_rows])),
                      data.queries(np.unique(groups[valid_rows]))))
    return folds


def _check_budget(n_trials: Any, timeout: Any) -> None:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(
            n_trials, (int, np.integer)) or n_trials < 0):
        raise ValueError(f"n_trials must be a non-negative integer or None, got {n_trials!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, (int, float)) or not timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    if n_trials is None and timeout is None:
        raise ValueError("give n_trials or timeout (or both); otherwise the study never ends")


def _check_n_jobs(n_jobs: Any) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 \
            or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    return int(n_jobs)


def _settings(estimator: Any, metric: str, convention: Any, seed: int | None) -> dict[str, Any]:
    """Parameters set on every trial's estimator so it watches the tuning metric."""
    params = estimator.get_params(deep=False)
    settings: dict[str, Any] = {}
    if "eval_metric" in params:
        settings["eval_metric"] = metric
    if "eval_convention" in params:
        settings["eval_convention"] = convention
    if "random_state" in params and params["random_state"] is None and seed is not None:
        settings["random_state"] = int(seed)
    return settings


def _data_fingerprint(data: RankingData | None) -> str | None:
    if data is None:
        return None
    digest = hashlib.sha1()
    digest.update(np.asarray([data.n_rows, data.n_features, data.n_queries]).tobytes())
    digest.update(np.ascontiguousarray(data.y, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(data.group_offsets, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]


def _open_study(storage: Any, study_name: str | None, sampler: Any, pruner: Any,
                identity: dict[str, Any]) -> tuple[Any, bool]:
    """Create or load the study; check a loaded one matches ``identity``. -> (study, resumed).

    Creation is atomic in the storage (a unique study name), so of several workers started
    together exactly one gets ``resumed=False``; the others join its study.
    """
    import optuna

    try:
        study = optuna.create_study(storage=storage, study_name=study_name, sampler=sampler,
                                    pruner=pruner, direction="maximize")
        created = True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(storage=storage, study_name=study_name, sampler=sampler,
                                  pruner=pruner)
        created = False
    if len(study.directions) != 1 or study.direction != optuna.study.StudyDirection.MAXIMIZE:
        raise ValueError(
            f"study {study.study_name!r} exists with direction {study.directions}; ranking "
            "metrics are maximised, use another study name"
        )
    if created:
        study.set_user_attr(_STUDY_ATTR, identity)
        return study, False
    stored = _wait_for_identity(study)
    if stored is None:
        n_existing = len(study.get_trials(deepcopy=False))
        raise ValueError(
            f"study {study.study_name!r} already exists"
            + (f" and holds {n_existing} trials" if n_existing else "")
            + " but boostrank did not make it; use another study name"
        )
    for key in ("model", "metric", "convention", "train", "valid", "cv"):
        if stored.get(key) != identity.get(key):
            raise ValueError(
                f"study {study.study_name!r} was created with {key}={stored.get(key)!r}, not "
                f"{identity.get(key)!r}; resume it with the same arguments or use another "
                "study name"
            )
    return study, True


def _wait_for_identity(study: Any, timeout: float = 10.0) -> dict[str, Any] | None:
    """The identity attribute of a study another worker may have created a moment ago."""
    deadline = time.monotonic() + timeout
    while True:
        stored = study.user_attrs.get(_STUDY_ATTR)
        if stored is not None or time.monotonic() >= deadline:
            return stored
        time.sleep(0.2)


def _worker_seed(seed: int | None) -> int | None:
    """A sampler seed for a worker joining an existing study: ``seed`` mixed with a token
    unique to this process, so that workers started with the same arguments do not sample
    the same parameters (same seed, same random start-up trials)."""
    if seed is None:
        return None
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{int(seed)}:{token}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


class _Progress:
    """tqdm bar over trials with the best value so far (an Optuna study callback)."""

    def __init__(self, total: int | None, metric: str) -> None:
        from tqdm.auto import tqdm

        self.metric = metric
        self.bar = tqdm(total=total, unit="trial", desc="tuning", dynamic_ncols=True)

    def __call__(self, study: Any, trial: Any) -> None:
        from optuna.trial import TrialState

        counts = {"pruned": 0, "failed": 0}
        for t in study.get_trials(deepcopy=False, states=(TrialState.PRUNED, TrialState.FAIL)):
            counts["pruned" if t.state == TrialState.PRUNED else "failed"] += 1
        postfix = {}
        try:
            postfix[f"best {self.metric}"] = f"{study.best_value:.5f}"
        except ValueError:
            postfix[f"best {self.metric}"] = "-"
        postfix.update({k: v for k, v in counts.items() if v})
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


# ---------------------------------------------------------------------- tune
def tune(
    model: Any,
    train: Any,
    valid: Any = None,
    *,
    metric: str = "ndcg@10",
    convention: Any = "default",
    n_trials: int | None = 50,
    timeout: float | None = None,
    space: SpaceLike | None = None,
    storage: Any = None,
    study_name: str | None = None,
    sampler: Any = "tpe",
    pruner: Any = "median",
    seed: int | None = 0,
    n_jobs: int = 1,
    refit: bool = True,
    cv: int | None = None,
    callbacks: Sequence[Callable[[Any, Any], None]] | None = None,
    enqueue_default: bool = True,
    show_progress: bool = False,
    heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = None,
    failed_trial_callback: Callable[[Any, Any], None] | None = None,
) -> TuningResult:
    """Tune ``model``'s hyperparameters with Optuna, maximising ``metric`` on ``valid``.

    Parameters
    ----------
    model : a short name (``lightgbm``, ``xgboost``, ``ranknet``, ``listnet``, ...) or an
        estimator instance; its parameters are the starting point (parameters the space does not
        name keep their values, e.g. ``n_estimators`` caps the rounds early stopping can keep).
    train, valid : `RankingData`, ``(X, y, qid)`` tuples or LibSVM paths. ``valid`` is needed
        unless ``cv`` is given (with ``cv`` it is only used for early stopping at refit).
    metric, convention : the one metric maximised (any `boostrank.metrics` name) and the
        evaluator convention (``default``, ``lightgbm``, ``letor``, ...).
    n_trials, timeout : budget of this call (Optuna semantics: a resumed study runs
        ``n_trials`` more); at least one must be given.
    space : None (the model family's default space, see `tuning.spaces`), a dict of optuna
        distributions, a callable ``trial -> params`` or a `SearchSpace`.
    storage, study_name : None (in memory), an RDB URL, a journal file or an optuna storage;
        the same storage and study name resume a study (default name with persistent storage:
        ``boostrank-<model>-<metric>``).
    sampler, pruner : names (`tuning.samplers.SAMPLERS`, `tuning.pruners.PRUNERS`) or optuna
        objects; ``seed`` seeds the sampler and, when the model's ``random_state`` is None, the
        model. A named pruner waits 5 boosting rounds or 2 epochs before it may prune. A
        process joining an existing study (shared storage) samples from its own stream,
        ``seed`` mixed with a per-process token, so that workers started alike do not repeat
        each other's samples.
    n_jobs : trials run in parallel threads (-1: one per core).
    refit : refit the best configuration on ``train`` (early stopping on ``valid``; with
        ``cv`` and no ``valid``, for the mean number of rounds/epochs the folds kept).
    cv : number of query-group folds of ``train`` to cross-validate each trial on.
    callbacks : optuna study callbacks ``(study, frozen_trial)`` run after each trial.
    enqueue_default : evaluate the model's own configuration first in a new study.
    show_progress : a tqdm bar with the best value so far.
    heartbeat_interval, grace_period, failed_trial_callback : heartbeat for persistent
        storages (see `tuning.storage`): a trial of a killed process is marked FAIL.

    Returns
    -------
    `TuningResult`. Raises ``ValueError`` / ``TypeError`` for bad arguments before any trial,
    and ``RuntimeError`` when no trial completed.
    """
    import optuna

    from .storage import fail_stale_trials, make_storage, storage_kind

    # --- everything is validated before the first trial ---------------------------------
    estimator, model_name = _resolve_model(model)
    validate = getattr(estimator, "_validate_params_ranker", None)
    if validate is not None:
        validate()  # the base configuration's parameters (ValueError naming the parameter)
    metric = _resolve_metric(metric)
    convention_value, convention_name = _resolve_convention(convention)
    _check_budget(n_trials, timeout)
    n_jobs = _check_n_jobs(n_jobs)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"seed must be an integer or None, got {seed!r}")
    train_data = _as_data(train, "train")
    valid_data = None if valid is None else _as_data(valid, "valid")
    if valid_data is not None and valid_data.n_features != train_data.n_features:
        raise ValueError(f"valid has {valid_data.n_features} features, train has "
                         f"{train_data.n_features}")
    folds = None if cv is None else query_folds(train_data, cv)
    if folds is None and valid_data is None:
        raise ValueError("tune needs a validation set (valid=...) or cross-validation (cv=k)")
    resolved_space, space_names = resolve_space(space, estimator)
    sampler_obj = make_sampler(sampler, seed=seed)
    params = estimator.get_params(deep=False)
    is_booster = "n_estimators" in params
    # Warm-up before a trial may be pruned: 5 boosting rounds (ranking metrics ignore the
    # scale of the scores, so the first trees already rank as their learning rate will; the
    # reported value is the best so far), 2 epochs; none between cross-validation folds.
    warmup = 0 if folds is not None else (5 if is_booster else 2)
    pruner_obj = make_pruner(pruner, warmup_steps=warmup)
    prune = not isinstance(pruner_obj, optuna.pruners.NopPruner)
    for callback in callbacks or ():
        if not callable(callback):
            raise TypeError(f"callbacks must be callables (study, trial), got {callback!r}")
    storage_obj = make_storage(storage, heartbeat_interval=heartbeat_interval,
                               grace_period=grace_period,
                               failed_trial_callback=failed_trial_callback)
    if study_name is None and storage_kind(storage) != "memory":
        study_name = f"boostrank-{model_name}-{metric}"
    settings = _settings(estimator, metric, convention_value, seed)
    identity = {
        "model": f"{type(estimator).__module__}:{type(estimator).__qualname__}",
        "metric": metric,
        "convention": convention_name,
        "train": _data_fingerprint(train_data),
        "valid": _data_fingerprint(valid_data) if folds is None else None,
        "cv": None if cv is None else int(cv),
    }
    objective = RankingObjective(
        estimator, resolved_space, space_names, train_data, valid_data,
        metric=metric, convention=convention_value, folds=folds, settings=settings, prune=prune,
    )

    # --- the study -------------------------------------------------------------------
    study, resumed = _open_study(storage_obj, study_name, sampler_obj, pruner_obj, identity)
    if resumed and isinstance(sampler, str):
        # A worker joining a study samples with its own stream (a sampler object the caller
        # gave is used as is: its seeding is the caller's choice).
        study.sampler = make_sampler(sampler, seed=_worker_seed(seed))
    if storage_obj is not None:
        fail_stale_trials(study)
    if enqueue_default and not resumed:
        # only the process that created the study enqueues the default configuration
        enqueued = (resolved_space.encode_defaults(params)
                    if isinstance(resolved_space, SearchSpace) else {})
        study.enqueue_trial(enqueued, user_attrs={DEFAULT_TRIAL_ATTR: True})
    progress = _Progress(n_trials, metric) if show_progress else None
    study_callbacks = list(callbacks or ()) + ([progress] if progress is not None else [])
    try:
        if n_trials != 0:
            study.optimize(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                           callbacks=study_callbacks, show_progress_bar=False)
    finally:
        if progress is not None:
            progress.close()
    if storage_obj is not None:
        fail_stale_trials(study)

    # --- the result ------------------------------------------------------------------
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        states = {s.name: sum(t.state == s for t in trials) for s in TrialState}
        counts = ", ".join(f"{n} {k.lower()}" for k, n in states.items() if n)
        raise RuntimeError(f"no trial completed in study {study.study_name!r} "
                           f"({counts or 'no trials'})")
    best = study.best_trial
    best_params = _best_params(best, objective, params, settings, folds is not None
                               and valid_data is None)
    default_value = None
    for t in complete:
        if t.user_attrs.get(DEFAULT_TRIAL_ATTR):
            default_value = float(t.value)
            break
    best_estimator = None
    if refit:
        best_estimator = _refit(estimator, best_params, train_data, valid_data)
    return TuningResult(
        best_params=best_params,
        best_value=float(best.value),
        best_estimator=best_estimator,
        trials=trials_frame(study),
        study=study,
        metric=metric,
        convention=convention_name,
        model=model_name,
        default_value=default_value,
        best_trial=int(best.number),
        extra={"resumed": resumed, "identity": identity},
    )


def _best_params(best: Any, objective: RankingObjective, base: dict[str, Any],
                 settings: dict[str, Any], no_valid_at_refit: bool) -> dict[str, Any]:
    """Estimator parameters reproducing the best trial (plus refit adjustments)."""
    recorded = best.user_attrs.get(PARAMS_ATTR)
    params = dict(_from_jsonable(recorded)) if recorded is not None else dict(best.params)
    for name, value in settings.items():
        if base.get(name) != value:
            params[name] = value
    if no_valid_at_refit:
        # cross-validated without a validation set: refit for the rounds/epochs folds kept
        kept_rounds = best.user_attrs.get(BEST_ITERATION_ATTR)
        kept_epochs = best.user_attrs.get(BEST_EPOCH_ATTR)
        if kept_rounds and "n_estimators" in base:
            params["n_estimators"] = max(1, int(round(float(np.mean(kept_rounds)))))
        elif kept_epochs:
            for name in _EPOCH_PARAMS:
                if name in base:
                    params[name] = max(1, int(round(float(np.mean(kept_epochs)))))
                    break
        for name in _EARLY_STOPPING_PARAMS:
            if name in base and params.get(name, base[name]) is not None:
                params[name] = None
    return params


def _refit(estimator: Any, best_params: dict[str, Any], train: RankingData,
           valid: RankingData | None) -> Any:
    from sklearn.base import clone

    model = clone(estimator).set_params(**best_params)
    model.fit(train, eval_set=valid)
    return model


def trials_frame(study: Any) -> Any:
    """One row per trial: number, state, value, default, duration_s, steps reported / run
    (boosting rounds or epochs trained, summed over folds), kept rounds/epochs,
    fold scores, then one ``param_<name>`` column per estimator parameter the trial set."""
    import pandas as pd

    rows = []
    for t in study.get_trials(deepcopy=False):
        duration = None
        if t.datetime_start is not None and t.datetime_complete is not None:
            duration = (t.datetime_complete - t.datetime_start).total_seconds()
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.name,
            "value": t.value if t.value is not None else math.nan,
            "default": bool(t.user_attrs.get(DEFAULT_TRIAL_ATTR, False)),
            "duration_s": duration,
            "steps_reported": len(t.intermediate_values),
            "steps_run": t.user_attrs.get(STEPS_RUN_ATTR),
            "best_iteration": _mean_or_none(t.user_attrs.get(BEST_ITERATION_ATTR)),
            "best_epoch": _mean_or_none(t.user_attrs.get(BEST_EPOCH_ATTR)),
            "fold_scores": (json.dumps(t.user_attrs[FOLD_SCORES_ATTR])
                            if FOLD_SCORES_ATTR in t.user_attrs else None),
            "datetime_start": t.datetime_start,
        }
        recorded = t.user_attrs.get(PARAMS_ATTR)
        params = _from_jsonable(recorded) if recorded is not None else dict(t.params)
        for name, value in params.items():
            row[f"param_{name}"] = (json.dumps(_jsonable(value))
                                    if isinstance(value, (tuple, list, dict)) else value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("steps_run", "best_iteration", "best_epoch", "fold_scores"):
        if column in frame and frame[column].isna().all():
            frame = frame.drop(columns=column)
    return frame


def _mean_or_none(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return float(np.mean(value)) if value else None
    return float(value)
