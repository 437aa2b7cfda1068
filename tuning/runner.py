"""`tune`: an Optuna study over a ranker's hyperparameters, safe to stop and resume.

What it gets right for ranking:

- the study always maximises (every evaluator metric is better when higher), optimises one
  metric (``"ndcg@10,map"`` is refused rather than silently taking the first) and names it
  (``"NDCG@10 (validation, default convention)"``, shown by optuna-dashboard and the plots);
- early stopping and pruning watch that same metric under the same convention (the estimator's
  ``eval_metric`` / ``eval_convention`` are set to it); a trial reports to the storage only at
  its pruner's check points and stores its full curve once, so a database-backed study runs
  the same trials at about the speed of an in-memory one;
- cross-validation splits whole queries (`GroupKFold` over query groups), never a query's rows;
- a new study first evaluates the estimator's own configuration, so the best value is never
  below the default's; a resumed study does not evaluate it again; with a held-out ``test``
  set the result says whether the best trial beats the default beyond noise;
- everything is checked before a study is created or touched: model, metric, convention,
  budget, data, space, sampler, pruner, storage, and on resume that the stored study was made
  for the same model, metric, convention and data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from boostrank.data.ranking_data import RankingData
from boostrank.validation import resolve_seed_alias

from .arguments import (
    check_budget,
    check_refit,
    check_verbose,
    data_fingerprint,
    load_splits,
    metric_label,
    query_folds,
    resolve_convention,
    resolve_metric,
    resolve_model,
    validate_estimator,
)
from .objective import DEFAULT_TRIAL_ATTR, RankingObjective, predict_scores, score_predictions
from .pruners import make_pruning
from .refit import default_trial, refit_data, refit_estimator, refit_params
from .result import TuningResult, compare_on_held_out, trials_frame
from .samplers import make_sampler
from .selection import check_query_scores, check_select, select_trial
from .spaces import SearchSpace, SpaceLike, resolve_space
from .storage import DEFAULT_HEARTBEAT_INTERVAL
from .study import Progress, open_study, optuna_verbosity, worker_seed

__all__ = ["TuningPlan", "plan_study", "tune"]

_UNSET: Any = object()
#: steps of a trial before a named pruner may prune it: boosting rounds (ranking metrics
#: ignore the scale of the scores, so the first trees already rank as their learning rate
#: will) or epochs; none between cross-validation folds
WARMUP_STEPS = {"rounds": 5, "epochs": 2}


@dataclass
class TuningPlan:
    """Everything a study needs, checked (`plan_study`); nothing has touched a storage yet."""

    estimator: Any
    model_name: str
    metric: str
    convention: Any
    convention_name: str
    label: str
    train: RankingData
    valid: RankingData | None
    test: RankingData | None
    folds: list[tuple[RankingData, RankingData]] | None
    refit: str | None
    space: Any
    sampler: Any
    pruner: Any
    storage: Any
    study_name: str | None
    settings: dict[str, Any]
    identity: dict[str, Any]
    objective: RankingObjective
    random_state: int | None
    select: str = "best"
    select_alpha: float = 0.05


def plan_study(model: Any, train: Any, valid: Any = None, test: Any = None, *,
               metric: str = "ndcg@10", convention: Any = "default", space: Any = None,
               storage: Any = None, study_name: str | None = None, sampler: Any = "tpe",
               pruner: Any = "median", report_every: int | None = None,
               random_state: int | None = 0, cv: int | None = None, refit: Any = True,
               heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
               grace_period: int | None = None,
               failed_trial_callback: Callable | None = None, select: str = "best",
               select_alpha: float = 0.05) -> TuningPlan:
    """Check every argument of `tune` that describes the study and build its parts.

    Raises ``ValueError`` / ``TypeError`` naming the argument; creates nothing in a storage.
    """
    from boostrank.validation import check_random_state

    from .storage import make_storage, storage_kind

    estimator, model_name = resolve_model(model)
    validate_estimator(estimator)
    metric = resolve_metric(metric)
    select, select_alpha = check_select(select, select_alpha)
    convention_value, convention_name = resolve_convention(convention)
    random_state = check_random_state(random_state)
    resolved_space, space_names = resolve_space(space, estimator)
    params = estimator.get_params(deep=False)
    unit = "rounds" if "n_estimators" in params else "epochs"
    pruner_obj, schedule = make_pruning(
        pruner, warmup_steps=0 if cv is not None else WARMUP_STEPS[unit], unit=unit,
        report_every=report_every)
    sampler_obj = make_sampler(sampler, random_state=random_state)
    storage_kind(storage)  # a malformed storage argument fails before the data is read
    train_data, valid_data, test_data, folds, refit_mode = _plan_data(train, valid, test, cv,
                                                                      refit)
    settings = _settings(params, metric, convention_value, random_state)
    storage_obj = make_storage(storage, heartbeat_interval=heartbeat_interval,
                               grace_period=grace_period,
                               failed_trial_callback=failed_trial_callback)
    if study_name is None and storage_kind(storage) != "memory":
        study_name = f"boostrank-{model_name}-{metric}"
    identity = {
        "model": f"{type(estimator).__module__}:{type(estimator).__qualname__}",
        "metric": metric, "convention": convention_name,
        "train": data_fingerprint(train_data), "valid": data_fingerprint(valid_data),
        "cv": None if cv is None else int(cv),
    }
    objective = RankingObjective(
        estimator, resolved_space, space_names, train_data, valid_data, metric=metric,
        convention=convention_value, schedule=schedule, folds=folds, settings=settings,
        keep_query_scores=select == "significant")
    return TuningPlan(
        estimator=estimator, model_name=model_name, metric=metric,
        convention=convention_value, convention_name=convention_name,
        label=metric_label(metric, convention_name, cv=cv), train=train_data,
        valid=valid_data, test=test_data, folds=folds, refit=refit_mode,
        space=resolved_space, sampler=sampler_obj,
        pruner=pruner_obj, storage=storage_obj, study_name=study_name, settings=settings,
        identity=identity, objective=objective, random_state=random_state, select=select,
        select_alpha=select_alpha)


def _plan_data(train: Any, valid: Any, test: Any, cv: int | None, refit: Any) -> tuple:
    """The splits, the cross-validation folds (over train + valid) and the refit mode."""
    train_data, valid_data, test_data = load_splits(train, valid, test)
    folds = None
    if cv is not None:
        whole = train_data if valid_data is None else RankingData.concat([train_data,
                                                                          valid_data])
        folds = query_folds(whole, cv)
    elif valid_data is None:
        raise ValueError("tune needs a validation set (valid=...) or cross-validation (cv=k)")
    refit_mode = check_refit(refit, has_valid=valid_data is not None, cv=cv is not None)
    if test_data is not None and refit_mode is None:
        raise ValueError("test= compares refitted models: it needs refit (not refit=False)")
    return train_data, valid_data, test_data, folds, refit_mode


def _settings(params: dict[str, Any], metric: str, convention: Any,
              random_state: int | None) -> dict[str, Any]:
    """Parameters set on every trial's estimator so it watches the tuning metric."""
    settings: dict[str, Any] = {}
    if "eval_metric" in params:
        settings["eval_metric"] = metric
    if "eval_convention" in params:
        settings["eval_convention"] = convention
    if "random_state" in params and params["random_state"] is None and random_state is not None:
        settings["random_state"] = int(random_state)
    return settings


def tune(
    model: Any,
    train: Any,
    valid: Any = None,
    *,
    test: Any = None,
    metric: str = "ndcg@10",
    convention: Any = "default",
    n_trials: int | None = 50,
    timeout: float | None = None,
    space: SpaceLike | None = None,
    storage: Any = None,
    study_name: str | None = None,
    sampler: Any = "tpe",
    pruner: Any = "median",
    report_every: int | None = None,
    random_state: int | None = 0,
    n_jobs: int = 1,
    refit: bool | str = True,
    cv: int | None = None,
    callbacks: Sequence[Callable[[Any, Any], None]] | None = None,
    enqueue_default: bool = True,
    select: str = "best",
    select_alpha: float = 0.05,
    show_progress: bool = False,
    verbose: int | None = 0,
    heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = None,
    failed_trial_callback: Callable[[Any, Any], None] | None = None,
    seed: Any = _UNSET,
) -> TuningResult:
    """Tune ``model``'s hyperparameters with Optuna, maximising ``metric`` on ``valid``.

    Parameters
    ----------
    model : str or estimator
        A short name (``lightgbm``, ``xgboost``, ``ranknet``, ``listnet``, ...) or an estimator
        instance; its parameters are the starting point (parameters the space does not name
        keep their values, e.g. ``n_estimators`` caps the rounds early stopping can keep).
    train, valid, test : RankingData, ``(X, y, qid)`` tuple or path
        (`boostrank.validation.load_split`). ``valid`` is needed unless ``cv`` is given.
        ``test`` (optional, never seen by the study): the refitted default configuration and
        best trial are scored on it and compared query by query (``result.held_out``).
    metric, convention : str
        The one metric maximised (any `boostrank.metrics` name) and the evaluator convention
        (``default``, ``lightgbm``, ``letor``, ...).
    n_trials, timeout : int, float or None
        Budget of this call (Optuna semantics: a resumed study runs ``n_trials`` more): a
        positive number of trials and/or seconds; at least one must be given.
    space : None, dict, callable or SearchSpace
        None: the model family's default space (`tuning.spaces`); a dict of optuna
        distributions; a callable ``trial -> params``.
    storage, study_name : None, str or optuna storage
        None (in memory), an RDB URL, a journal file or an optuna storage; the same storage and
        study name resume a study (default name with a persistent storage:
        ``boostrank-<model>-<metric>``).
    sampler, pruner : str or optuna object
        Names (`tuning.samplers.SAMPLERS`, `tuning.pruners.PRUNERS`) or optuna objects. A named
        pruner waits 5 boosting rounds or 2 epochs before it may prune.
    report_every : int, optional
        Steps between two reports to the pruner (`tuning.pruners`): default 10 rounds / 1 epoch
        for ``median``, the rungs for ``hyperband`` / ``successive_halving``, every step for a
        pruner object. The full curve is kept in each trial's ``boostrank:curve`` attribute.
    random_state : int or None
        Seeds the sampler and, when the model's ``random_state`` is None, the model. A process
        joining an existing study samples from ``random_state`` mixed with a per-process token,
        so that workers started alike do not repeat each other's samples.
    n_jobs : int
        Trials run in parallel threads (-1: one per core).
    refit : bool or {"train", "train+valid"}
        Refit the best configuration (`tuning.refit`): ``"train"`` with early stopping on
        ``valid``; ``"train+valid"`` on both, for the rounds/epochs the trial kept. True:
        ``"train"``, or ``"train+valid"`` with ``cv``.
    cv : int, optional
        Cross-validate each trial over ``cv`` query-group folds of all the data given
        (``train`` plus ``valid``).
    callbacks : list of callables ``(study, frozen_trial)``
        Optuna study callbacks run after each trial.
    enqueue_default : bool
        Evaluate the model's own configuration first in a new study.
    select : {"best", "significant"}
        Which trial is returned and refitted (`tuning.selection`): ``"best"`` the best
        validation value; ``"significant"`` the default configuration unless the best trial
        beats it on the validation (out-of-fold) queries beyond the luck of the best of the
        completed trials (max-t sign-flip test at ``select_alpha``; ``result.selection`` says
        which and why).
    select_alpha : float
        Significance level of ``select="significant"`` (default 0.05).
    show_progress : bool
        A tqdm bar with the best value so far.
    verbose : {0, 1, 2} or None
        Optuna's logging during the call: 0 warnings only (default), 1 a line per trial, 2
        debug; None leaves Optuna's logging as it is.
    heartbeat_interval, grace_period, failed_trial_callback
        Heartbeat for persistent storages (`tuning.storage`): a trial of a killed process is
        marked FAIL.
    seed : int or None
        Deprecated alias of ``random_state``.

    Returns
    -------
    TuningResult

    Raises
    ------
    ValueError, TypeError
        For a bad argument, before a study is created or a trial enqueued.
    RuntimeError
        When no trial completed.
    """
    if seed is not _UNSET:
        random_state = resolve_seed_alias(random_state, seed, default=0, owner="tune")
    check_budget(n_trials, timeout)
    from boostrank.validation import check_n_jobs

    n_jobs = check_n_jobs(n_jobs) or 1
    verbose = check_verbose(verbose)
    for callback in callbacks or ():
        if not callable(callback):
            raise TypeError(f"callbacks must be callables (study, trial), got {callback!r}")
    plan = plan_study(
        model, train, valid, test, metric=metric, convention=convention, space=space,
        storage=storage, study_name=study_name, sampler=sampler, pruner=pruner,
        report_every=report_every, random_state=random_state, cv=cv, refit=refit,
        heartbeat_interval=heartbeat_interval, grace_period=grace_period,
        failed_trial_callback=failed_trial_callback, select=select, select_alpha=select_alpha)
    with optuna_verbosity(verbose):
        study, resumed = _run_study(plan, sampler, n_trials=n_trials, timeout=timeout,
                                    n_jobs=n_jobs, callbacks=list(callbacks or ()),
                                    enqueue_default=enqueue_default,
                                    show_progress=show_progress)
    return _result(plan, study, resumed)


def _run_study(plan: TuningPlan, sampler_arg: Any, *, n_trials: int | None,
               timeout: float | None, n_jobs: int, callbacks: list,
               enqueue_default: bool, show_progress: bool) -> tuple[Any, bool]:
    """Open (or join) the study, enqueue the default configuration in a new one, run."""
    from .storage import fail_stale_trials

    study, resumed = open_study(plan.storage, plan.study_name, plan.sampler, plan.pruner,
                                plan.identity, plan.label)
    if resumed and isinstance(sampler_arg, str):
        # A worker joining a study samples with its own stream (a sampler object the caller
        # gave is used as is: its seeding is the caller's choice).
        study.sampler = make_sampler(sampler_arg, random_state=worker_seed(plan.random_state))
    if plan.storage is not None:
        fail_stale_trials(study)
    if resumed and plan.select == "significant":
        check_query_scores(default_trial(study))
    if enqueue_default and not resumed:
        # only the process that created the study enqueues the default configuration
        base = plan.estimator.get_params(deep=False)
        enqueued = (plan.space.encode_defaults(base) if isinstance(plan.space, SearchSpace)
                    else {})
        study.enqueue_trial(enqueued, user_attrs={DEFAULT_TRIAL_ATTR: True})
    progress = Progress(n_trials, plan.metric) if show_progress else None
    try:
        study.optimize(plan.objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                       callbacks=callbacks + ([progress] if progress is not None else []),
                       show_progress_bar=False)
    finally:
        if progress is not None:
            progress.close()
    if plan.storage is not None:
        fail_stale_trials(study)
    return study, resumed


def _result(plan: TuningPlan, study: Any, resumed: bool) -> TuningResult:
    """The best trial, its refit, and the held-out comparison when there is a test set."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    if not any(t.state == TrialState.COMPLETE for t in trials):
        states = {s.name: sum(t.state == s for t in trials) for s in TrialState}
        counts = ", ".join(f"{n} {k.lower()}" for k, n in states.items() if n)
        raise RuntimeError(f"no trial completed in study {study.study_name!r} "
                           f"({counts or 'no trials'})")
    default = default_trial(study)
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    best, selection = select_trial(study.best_trial, default, plan.select, plan.select_alpha,
                                   candidates=completed,
                                   random_state=plan.random_state or 0)
    base = plan.estimator.get_params(deep=False)
    fit_on, eval_on, fixed = refit_data(plan.refit or "train", plan.train, plan.valid)
    best_params = refit_params(best, base, plan.settings, fixed_rounds=fixed)
    result = TuningResult(
        best_params=best_params, best_value=float(best.value), best_estimator=None,
        trials=trials_frame(study), study=study, metric=plan.metric,
        convention=plan.convention_name, model=plan.model_name,
        default_value=None if default is None else float(default.value),
        best_trial=int(best.number), selection=selection,
        extra={"resumed": resumed, "identity": plan.identity, "objective_label": plan.label,
               "refit": plan.refit, "settings": plan.settings},
    )
    if plan.refit is None:
        return result
    result.best_estimator = refit_estimator(plan.estimator, best_params, fit_on, eval_on)
    if plan.test is not None:
        default_params = refit_params(default, base, plan.settings, fixed_rounds=fixed)
        result.default_estimator = refit_estimator(plan.estimator, default_params, fit_on,
                                                   eval_on)
        per_query = [score_predictions(plan.test, predict_scores(model, plan.test),
                                       plan.metric, plan.convention, per_query=True)
                     for model in (result.default_estimator, result.best_estimator)]
        result.held_out = compare_on_held_out(
            *per_query, metric=plan.metric, convention=plan.convention_name,
            random_state=plan.random_state or 0)
    return result
