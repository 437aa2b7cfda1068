"""Run a head-to-head comparison: fit each model, predict the test split, score per query.

Models come from `resolve_models` (registry names or estimator templates), are fitted with
``fit(train, eval_set=valid)`` and scored with ``predict(test.X, qid=test.qid)`` (the queries
are always passed: query-level preprocessing of the neural rankers needs them); with
``tune=N`` each model is first tuned with N Optuna trials on the validation split
(`tuning.tune`) and its refitted best estimator is used instead.
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .datasummary import source_summary
from .folds import FoldData, file_order, letor_fold_loaders, prepare_split
from .importances import model_importances
from .models import ModelSpec, jsonable_params, resolve_models
from .progress import Progress
from .result import NDCG_CURVE_KS, ComparisonResult, FoldResult, ModelRun
from .seeds import DEFAULT_RANDOM_STATE, resolve_random_state

DEFAULT_MODELS = ("lightgbm", "xgboost", "ranknet", "listnet")
DEFAULT_METRICS = "ndcg@10,1,3,5,map,mrr"


def compare(models: Any = DEFAULT_MODELS, train: Any = None, valid: Any = None,
            test: Any = None, **options: Any) -> ComparisonResult:
    """Compare ``models`` on one split: fit on ``train`` (early stopping on ``valid``), score ``test``.

    Parameters
    ----------
    models : str, sequence or mapping
        Registry names (``"lightgbm,xgboost"`` or a list), estimator instances, or a dict
        ``{label: name_or_estimator}``.
    train, test : RankingData, ``(X, y, qid)`` tuple or LibSVM file path
    valid : same, or None
        None: no early stopping, no learning curves, no tuning.
    **options
        Keyword arguments of `compare_folds`: ``metrics``, ``convention``, ``baseline``,
        ``random_state``, ``tune``, ``params``, ``progress``, ``alpha``, ``n_resamples``,
        ``command`` (``seed``: deprecated alias of ``random_state``).

    Returns
    -------
    ComparisonResult
    """
    if train is None or test is None:
        raise ValueError("compare needs train and test data (valid is optional)")
    return compare_folds(models, [("test", (train, valid, test))],
                         **_seed_alias(options, "compare"))


def compare_letor(models: Any = DEFAULT_MODELS, root: str | os.PathLike = ".",
                  folds: str | Sequence[int] | None = (1, 2, 3, 4, 5),
                  **options: Any) -> ComparisonResult:
    """Compare ``models`` on the folds of a LETOR root, one fold at a time.

    Parameters
    ----------
    models : see `compare`
    root : path
        A LETOR root as `boostrank.data.load_letor_fold` reads it: ``Fold1..FoldK`` folders,
        or a flat root with the three splits (one fold, numbered 1); text, compressed text or
        binary caches.
    folds : str, sequence of int or None
        Fold numbers or a spec like ``"1-5"`` / ``"1,3"``; None: every fold of ``root``.
    **options
        Keyword arguments of `compare_folds` (``seed``: deprecated alias of ``random_state``).

    Returns
    -------
    ComparisonResult
        The report shows the mean over folds and the per-fold values.
    """
    return compare_folds(models, letor_fold_loaders(root, folds),
                         **_seed_alias(options, "compare_letor"))


def compare_folds(
    models: Any,
    folds: Sequence[tuple[str, FoldData | Callable[[], FoldData]]],
    *,
    metrics: str | Sequence[str] = DEFAULT_METRICS,
    convention: Any = "default",
    baseline: str | None = None,
    random_state: int = DEFAULT_RANDOM_STATE,
    tune: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | Progress = True,
    alpha: float = 0.05,
    n_resamples: int = 10000,
    command: str | None = None,
    seed: int | None = None,
) -> ComparisonResult:
    """Compare ``models`` on each ``(name, (train, valid, test))`` fold.

    Everything is validated before any model is trained: models and parameters, metrics,
    convention, baseline, tuning, significance level.

    Parameters
    ----------
    models : see `compare`
    folds : sequence of (name, splits)
        ``splits`` is ``(train, valid, test)`` (see `compare`) or a callable returning it
        (called when the fold's turn comes, so folds are loaded one at a time).
    metrics : str or sequence of str
        Evaluator metric names (``"ndcg@1,3,5,10,map"`` or a list); the first one picks the
        default baseline and is what tuning optimises.
    convention : str or Convention
        Evaluation convention of every score.
    baseline : str, optional
        Label of the model the others are tested against (default: best on the first metric).
    random_state : int
        ``random_state`` of every model, seed of tuning and of the resampling tests
        (default 0; a numpy ``RandomState`` / ``Generator`` gives one drawn seed).
    tune : int
        Optuna trials per model on the validation split (0: no tuning).
    params : mapping, optional
        ``{label: {param: value}}`` constructor overrides per model.
    progress : bool or Progress
        Show which model, fold and trial is running (stderr).
    alpha : float
        Significance level of the marks, in (0, 1).
    n_resamples : int
        Randomization / bootstrap draws of the significance tests.
    command : str, optional
        The command line recorded in the report (the CLI passes it).
    seed : int, optional
        Deprecated alias of ``random_state`` (DeprecationWarning); giving both is a
        ValueError (unless ``random_state`` is its default 0 or equal to ``seed``).

    Returns
    -------
    ComparisonResult
    """
    random_state = resolve_random_state(random_state, seed, where="compare_folds")
    metric_list = _checked_metrics(metrics, convention)
    conv = _convention(convention)
    specs = resolve_models(models, params)
    labels = [s.label for s in specs]
    _check_options(labels, baseline=baseline, tune=tune, alpha=alpha, n_folds=len(folds))
    reporter = progress if isinstance(progress, Progress) else Progress(enabled=bool(progress))
    for spec in specs:  # fail on parameter values before any training
        spec.build(random_state)

    fold_results = []
    for index, (fold_name, fold_data) in enumerate(folds):
        train, valid, test = prepare_split(*(fold_data() if callable(fold_data) else fold_data))
        if tune and valid is None:
            raise ValueError("tuning needs a validation split (valid=...)")
        if index == 0:  # announce the run once the first fold's data passed its checks
            reporter.start(len(folds), labels, tune=int(tune))
        fold = _new_fold(str(fold_name), train, valid, test)
        for spec in specs:
            reporter.job_start(fold.name, index, len(folds), spec.label)
            fold.runs[spec.label] = _run_one(spec, fold.name, (train, valid, test), metric_list,
                                             conv, random_state=random_state, tune=int(tune),
                                             reporter=reporter)
        fold_results.append(fold)

    config = _run_config(specs, metric_list, getattr(conv, "name", str(convention)),
                         random_state=random_state, tune=tune, alpha=alpha,
                         n_resamples=n_resamples, command=command)
    return ComparisonResult(labels, metric_list, conv, fold_results, baseline=baseline,
                            random_state=random_state, alpha=alpha, n_resamples=n_resamples,
                            config=config)


# ---------------------------------------------------------------------- argument handling
def _seed_alias(options: dict[str, Any], where: str) -> dict[str, Any]:
    """``options`` with a deprecated ``seed`` turned into ``random_state`` (the warning
    names ``where``, the public function the user called, and points at the user's line)."""
    if options.get("seed") is None:
        return options
    options = dict(options)
    seed = options.pop("seed")
    options["random_state"] = resolve_random_state(
        options.get("random_state", DEFAULT_RANDOM_STATE), seed, where=where, stacklevel=4)
    return options


def _check_options(labels: list[str], *, baseline: str | None, tune: Any, alpha: float,
                   n_folds: int) -> None:
    if baseline is not None and baseline not in labels:
        raise ValueError(f"baseline {baseline!r} is not among the compared models: "
                         f"{', '.join(labels)}")
    if isinstance(tune, bool) or int(tune) != tune or tune < 0:
        raise ValueError(f"tune must be a number of trials >= 0, got {tune!r}")
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n_folds == 0:
        raise ValueError("no folds to compare on")


def _run_config(specs: list[ModelSpec], metrics: list[str], convention: str, *,
                random_state: int, tune: int, alpha: float, n_resamples: int,
                command: str | None) -> dict[str, Any]:
    """What the report records about the run (JSON-ready; ``seed`` repeats ``random_state``
    for readers of older reports)."""
    return {
        "random_state": int(random_state), "seed": int(random_state), "tune": int(tune),
        "params": {s.label: jsonable_params(s.params) for s in specs},
        "models": {s.label: (s.name or f"instance of {type(s.template).__name__}")
                   for s in specs},
        "metrics": metrics, "convention": convention,
        "alpha": float(alpha), "n_resamples": int(n_resamples), "command": command,
        "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }


def _convention(convention: Any) -> Any:
    from ..metrics import get_convention

    return get_convention(convention)


def _checked_metrics(metrics: str | Sequence[str], convention: Any) -> list[str]:
    """Metric names, deduplicated in order; fails now on metrics the convention cannot compute
    (e.g. MAP with averaged ties) rather than after the models were trained."""
    from ..metrics import Evaluator, parse_metrics

    text = metrics if isinstance(metrics, str) else ",".join(str(m) for m in metrics)
    parsed = list(dict.fromkeys(parse_metrics(text)))
    if not parsed:
        raise ValueError("no metrics given")
    Evaluator(np.array([1.0, 0.0]), np.array([0, 0]),
              parsed + [f"ndcg@{k}" for k in NDCG_CURVE_KS], _convention(convention))
    return parsed


def _new_fold(name: str, train: Any, valid: Any, test: Any) -> FoldResult:
    """The fold's record, with each split's statistics and the SHA-256 of the file it was
    loaded from, taken now (before any training), so the report names the bytes used."""
    splits = {"train": train, "valid": valid, "test": test}
    stats = {split: source_summary(data) for split, data in splits.items() if data is not None}
    return FoldResult(name=name, query_ids=np.asarray(test.query_ids), stats=stats,
                      file_order=file_order(test))


def _accepts(function: Any, name: str) -> bool:
    """Whether a user-supplied estimator's method takes the keyword ``name``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


# ---------------------------------------------------------------------- one job
def _run_one(spec: ModelSpec, fold: str, splits: FoldData, metrics: list[str],
             convention: Any, *, random_state: int, tune: int, reporter: Progress
             ) -> ModelRun:
    """Fit (or tune) ``spec`` on ``splits``, predict the test split and score it."""
    from ..metrics import evaluate

    train, valid, test = splits
    tuning_info = None
    start = time.perf_counter()
    if tune:
        estimator, tuning_info = _tune(spec, train, valid, metrics[0], convention, tune,
                                       random_state, reporter)
    else:
        estimator = _fit(spec, train, valid, random_state, reporter)
    fit_time = time.perf_counter() - start

    start = time.perf_counter()
    scores = _predict(spec, estimator, test)
    predict_time = time.perf_counter() - start

    docid = getattr(test, "docid", None)  # tie-breaking key of the trec convention
    means, per_query = evaluate(test.y, scores, test.qid, metrics=metrics,
                                convention=convention, per_query=True, docid=docid)
    curve_metrics = [f"ndcg@{k}" for k in NDCG_CURVE_KS]
    curve = evaluate(test.y, scores, test.qid, metrics=curve_metrics, convention=convention,
                     docid=docid)
    run = ModelRun(
        model=spec.label, fold=fold, scores=scores,
        means={m: float(means[m]) for m in metrics},
        per_query={m: np.asarray(per_query[m], dtype=np.float64) for m in metrics},
        ndcg_at_k=np.array([float(curve[m]) for m in curve_metrics]),
        fit_time=float(fit_time), predict_time=float(predict_time), tuning=tuning_info,
        **_fitted_facts(estimator),
    )
    run.importances, run.importance_type = model_importances(estimator, train, spec.label)
    reporter.job_done(run.fit_time, run.predict_time, metrics[0], run.means[metrics[0]])
    return run


def _fit(spec: ModelSpec, train: Any, valid: Any, random_state: int, reporter: Progress
         ) -> Any:
    estimator = spec.build(random_state)
    fit_kwargs: dict[str, Any] = {}
    if valid is not None:
        fit_kwargs["eval_set"] = valid
    live = reporter.enabled and reporter.live
    if live and (spec.template is None or _accepts(estimator.fit, "callbacks")):
        fit_kwargs["callbacks"] = [reporter.training_step]
    estimator.fit(train, **fit_kwargs)
    return estimator


def _predict(spec: ModelSpec, estimator: Any, test: Any) -> np.ndarray:
    """Test scores (n_rows,) float64; the queries go along (``qid=``) whenever the estimator
    takes them (always for registry models: ``predict(X, *, qid=None)``)."""
    if spec.template is None or _accepts(estimator.predict, "qid"):
        raw = estimator.predict(test.X, qid=test.qid)
    else:
        raw = estimator.predict(test.X)
    scores = np.asarray(raw, dtype=np.float64).ravel()
    if scores.shape[0] != test.n_rows:
        raise ValueError(f"{spec.label} returned {scores.shape[0]} scores for "
                         f"{test.n_rows} test rows")
    return scores


def _fitted_facts(estimator: Any) -> dict[str, Any]:
    """The `ModelRun` fields read from a fitted estimator."""
    best_iteration = getattr(estimator, "best_iteration_", None)
    kind = "round"
    if getattr(estimator, "best_epoch_", None) is not None:
        best_iteration, kind = estimator.best_epoch_, "epoch"
    evals = getattr(estimator, "evals_result_", None) or {}
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    return {
        "params": jsonable_params(params),
        "evals_result": {str(s): {str(m): [float(v) for v in vals] for m, vals in d.items()}
                         for s, d in evals.items()},
        "best_iteration": None if best_iteration is None else int(best_iteration),
        "iteration_kind": kind,
        "eval_metric": params.get("eval_metric"),
        "estimator_class": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
    }


def _tune(spec: ModelSpec, train: Any, valid: Any, metric: str, convention: Any,
          n_trials: int, random_state: int, reporter: Progress) -> tuple[Any, dict[str, Any]]:
    """Tune ``spec`` with ``n_trials`` Optuna trials on ``valid``; the refitted best model."""
    import optuna

    import tuning

    from ..metrics import PRESETS

    name = getattr(convention, "name", None)
    if name in PRESETS and PRESETS[name] == convention:
        convention = name  # a preset travels by name (it lands in the models' parameters)
    callbacks = [_trial_callback(reporter, n_trials)] if reporter.enabled else None
    model: Any = spec.name
    if spec.template is not None or spec.params:
        model = spec.build(random_state)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress display says it all
    try:
        result = tuning.tune(model, train, valid, metric=metric, convention=convention,
                             n_trials=n_trials, random_state=random_state, callbacks=callbacks)
    finally:
        optuna.logging.set_verbosity(verbosity)
    best_value = getattr(result, "best_value", None)
    info = {
        "n_trials": int(n_trials),
        "metric": metric,
        "best_params": jsonable_params(dict(result.best_params)),
        "best_value": None if best_value is None else float(best_value),
    }
    return result.best_estimator, info


def _trial_callback(reporter: Progress, n_trials: int) -> Callable[[Any, Any], None]:
    def callback(study: Any, trial: Any) -> None:
        try:
            best = float(study.best_value)
        except (ValueError, RuntimeError):
            best = None
        value = getattr(trial, "value", None)
        state = getattr(getattr(trial, "state", None), "name", "done")
        reporter.trial_done(int(trial.number), n_trials,
                            None if value is None else float(value), best, state)

    return callback
