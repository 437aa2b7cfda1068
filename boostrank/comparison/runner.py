"""Run a head-to-head comparison: fit each model, predict the test split, score per query.

Models are created through the registry (``get_model_class(name)(**params)``, with
``random_state=seed`` when the class takes it), fitted with ``fit(train, eval_set=valid)`` and
scored with ``predict(test.X)``; with ``tune=N`` each model is first tuned with N Optuna trials
on the validation split (`tuning.tune`) and its refitted best estimator is used instead.
"""

from __future__ import annotations

import inspect
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .datasummary import dataset_summary
from .progress import Progress
from .result import NDCG_CURVE_KS, ComparisonResult, FoldResult, ModelRun

DEFAULT_MODELS = ("lightgbm", "xgboost", "ranknet", "listnet")
DEFAULT_METRICS = "ndcg@10,1,3,5,map,mrr"
LETOR_SPLITS = ("train.txt", "vali.txt", "test.txt")

FoldData = tuple[Any, Any, Any]


@dataclass
class ModelSpec:
    """A model to compare: its label, and either a registry name or an estimator template."""

    label: str
    name: str | None = None
    template: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def build(self, seed: int) -> Any:
        """A fresh, unfitted estimator with the overrides and ``random_state=seed`` applied."""
        if self.template is not None:
            from sklearn.base import clone

            try:
                estimator = clone(self.template)
            except TypeError:  # not a scikit-learn estimator: copy it as it is
                import copy

                estimator = copy.deepcopy(self.template)
            if not hasattr(estimator, "get_params"):
                return estimator
            params = dict(self.params)
            current = estimator.get_params(deep=False)
            if "random_state" in current and current["random_state"] is None:
                params.setdefault("random_state", seed)
            if params:
                estimator.set_params(**params)
            return estimator
        from ..registry import get_model_class

        cls = get_model_class(self.name)
        params = dict(self.params)
        if _accepts(cls, "random_state"):
            params.setdefault("random_state", seed)
        return cls(**params)


# ---------------------------------------------------------------------- public API
def compare(
    models: Any = DEFAULT_MODELS,
    train: Any = None,
    valid: Any = None,
    test: Any = None,
    *,
    metrics: str | Sequence[str] = DEFAULT_METRICS,
    convention: Any = "default",
    baseline: str | None = None,
    seed: int = 0,
    tune: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | Progress = True,
    alpha: float = 0.05,
    n_resamples: int = 10000,
    command: str | None = None,
) -> ComparisonResult:
    """Compare ``models`` on one split: fit on ``train`` (early stopping on ``valid``), score ``test``.

    Parameters
    ----------
    models : registry names (``"lightgbm,xgboost"`` or a list), estimator instances, or a dict
        ``{label: name_or_estimator}``.
    train, valid, test : `RankingData`, ``(X, y, qid)`` tuples or LibSVM file paths. ``valid``
        may be None (no early stopping, no learning curves, no tuning).
    metrics : evaluator metric names (``"ndcg@1,3,5,10,map"`` or a list); the first one picks
        the default baseline and is what tuning optimises.
    convention : evaluation convention name or `Convention` used for every score.
    baseline : label of the model the others are tested against (default: best first metric).
    seed : ``random_state`` of every model, seed of tuning and of the resampling tests.
    tune : number of Optuna trials per model on the validation split (0: no tuning).
    params : ``{label: {param: value}}`` constructor overrides per model.
    progress : show which model, fold and trial is running (stderr), or a `Progress`.
    alpha : significance level of the marks; ``n_resamples``: randomization/bootstrap draws.
    command : the command line to record in the report (the CLI passes it).

    Returns
    -------
    ComparisonResult
    """
    if train is None or test is None:
        raise ValueError("compare needs train and test data (valid is optional)")
    return compare_folds(
        models, [("test", (train, valid, test))], metrics=metrics, convention=convention,
        baseline=baseline, seed=seed, tune=tune, params=params, progress=progress,
        alpha=alpha, n_resamples=n_resamples, command=command,
    )


def compare_letor(
    models: Any = DEFAULT_MODELS,
    root: str | os.PathLike = ".",
    folds: str | Sequence[int] = (1, 2, 3, 4, 5),
    **kwargs: Any,
) -> ComparisonResult:
    """Compare ``models`` on LETOR folds ``root/Fold<k>/{train,vali,test}.txt``.

    Every fold is trained and scored on its own; the report shows the mean over folds and the
    per-fold values. ``folds``: fold numbers or a spec like ``"1-5"`` / ``"1,3"``. Other keyword
    arguments are those of `compare`. Folds are loaded one at a time.
    """
    numbers = parse_folds(folds) if isinstance(folds, str) else [int(f) for f in folds]
    folder_paths = check_letor_root(root, numbers)

    def loader(number: int) -> Callable[[], FoldData]:
        def load() -> FoldData:
            from ..data import load_letor_fold

            return load_letor_fold(root, fold=number)

        return load

    fold_list = [(p.name, loader(n)) for n, p in zip(numbers, folder_paths, strict=True)]
    return compare_folds(models, fold_list, **kwargs)


def compare_folds(
    models: Any,
    folds: Sequence[tuple[str, FoldData | Callable[[], FoldData]]],
    *,
    metrics: str | Sequence[str] = DEFAULT_METRICS,
    convention: Any = "default",
    baseline: str | None = None,
    seed: int = 0,
    tune: int = 0,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | Progress = True,
    alpha: float = 0.05,
    n_resamples: int = 10000,
    command: str | None = None,
) -> ComparisonResult:
    """Compare ``models`` on each ``(name, (train, valid, test))`` fold (or a loader callable).

    Everything is validated before any model is trained: model names and parameters, metrics,
    convention, baseline, tuning. See `compare` for the parameters.
    """
    from ..metrics import Evaluator, get_convention, parse_metrics

    metric_list = _parse_metric_list(metrics, parse_metrics)
    conv = get_convention(convention)
    # metrics the convention cannot compute (e.g. MAP with averaged ties) fail now, not after
    # the models were trained: build an evaluator on a two-document query
    Evaluator(np.array([1.0, 0.0]), np.array([0, 0]),
              metric_list + [f"ndcg@{k}" for k in NDCG_CURVE_KS], conv)
    specs = resolve_models(models, params)
    labels = [s.label for s in specs]
    if baseline is not None and baseline not in labels:
        raise ValueError(f"baseline {baseline!r} is not among the compared models: "
                         f"{', '.join(labels)}")
    if int(tune) < 0:
        raise ValueError(f"tune must be >= 0 trials, got {tune}")
    if not (0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not folds:
        raise ValueError("no folds to compare on")
    reporter = progress if isinstance(progress, Progress) else Progress(enabled=bool(progress))
    for spec in specs:  # fail on unknown models / parameters before any training
        spec.build(seed)

    fold_results = []
    for index, (fold_name, fold_data) in enumerate(folds):
        train, valid, test = fold_data() if callable(fold_data) else fold_data
        train, valid, test = _prepare_split(train, valid, test)
        if tune and valid is None:
            raise ValueError("tuning needs a validation split (valid=...)")
        if index == 0:  # announce the run once the first fold's data passed its checks
            reporter.start(len(folds), labels, tune=int(tune))
        stats = {"train": dataset_summary(train), "test": dataset_summary(test)}
        if valid is not None:
            stats = {"train": stats["train"], "valid": dataset_summary(valid),
                     "test": stats["test"]}
        fold = FoldResult(name=str(fold_name), query_ids=np.asarray(test.query_ids),
                          stats=stats, file_order=_file_order(test))
        for spec in specs:
            reporter.job_start(fold.name, index, len(folds), spec.label)
            run = _run_one(spec, fold.name, train, valid, test, metric_list, conv,
                           seed=seed, tune=int(tune), reporter=reporter)
            fold.runs[spec.label] = run
            reporter.job_done(run.fit_time, run.predict_time, metric_list[0],
                              run.means[metric_list[0]])
        fold_results.append(fold)

    config = {
        "seed": int(seed),
        "tune": int(tune),
        "params": {s.label: _jsonable_params(s.params) for s in specs},
        "models": {s.label: (s.name or f"instance of {type(s.template).__name__}")
                   for s in specs},
        "metrics": metric_list,
        "convention": getattr(conv, "name", str(convention)),
        "alpha": float(alpha),
        "n_resamples": int(n_resamples),
        "command": command,
        "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    return ComparisonResult(labels, metric_list, conv, fold_results, baseline=baseline,
                            seed=seed, alpha=alpha, n_resamples=n_resamples, config=config)


# ---------------------------------------------------------------------- argument handling
def parse_folds(spec: str | int) -> list[int]:
    """``"1-5"`` -> [1, 2, 3, 4, 5]; ``"1,3,5"``, ``"2"``, ``"1-2,4"`` also work."""
    text = str(spec).strip()
    numbers: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if not match:
            raise ValueError(f"bad fold spec {text!r}: use e.g. 1-5 or 1,3,5")
        if match.group(3):
            numbers.append(int(match.group(3)))
        else:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise ValueError(f"bad fold range {part!r}: {high} < {low}")
            numbers.extend(range(low, high + 1))
    if not numbers:
        raise ValueError(f"bad fold spec {text!r}: no fold numbers")
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"fold spec {text!r} names a fold twice")
    return numbers


def check_letor_root(root: str | os.PathLike, folds: Sequence[int]) -> list[Path]:
    """Check ``root/Fold<k>/{train,vali,test}.txt`` exist for each fold; return the folders."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"LETOR root {root} is not a directory")
    if not any(root.glob("Fold*")):  # e.g. MQ2008.zip unpacked into ROOT/MQ2008/Fold1...
        nested = [d for d in root.iterdir() if d.is_dir() and any(d.glob("Fold*"))]
        if len(nested) == 1:
            root = nested[0]
    folders = []
    for number in folds:
        folder = root / f"Fold{number}"
        if not folder.is_dir():
            raise FileNotFoundError(f"fold folder {folder} not found")
        for name in LETOR_SPLITS:
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder / name} not found (a LETOR fold folder needs "
                                        f"{', '.join(LETOR_SPLITS)})")
        folders.append(folder)
    return folders


def resolve_models(models: Any, params: Mapping[str, Mapping[str, Any]] | None = None
                   ) -> list[ModelSpec]:
    """Normalise ``models`` (names, estimators, or ``{label: name_or_estimator}``) to specs.

    Unknown names, duplicate labels, ``params`` for a model not compared and parameters a model
    does not take raise ValueError naming them.
    """
    from ..registry import MODELS

    if isinstance(models, str):
        models = [m for m in (p.strip() for p in models.split(",")) if m]
    items: list[tuple[str, Any]]
    if isinstance(models, Mapping):
        items = [(str(k), v) for k, v in models.items()]
    else:
        items = []
        for model in models:
            if isinstance(model, str):
                items.append((model.strip().lower(), model))
            elif isinstance(model, tuple) and len(model) == 2 and isinstance(model[0], str):
                items.append((model[0], model[1]))
            else:
                items.append((type(model).__name__.lower(), model))
    if not items:
        raise ValueError("no models to compare")
    labels = [label for label, _ in items]
    duplicates = sorted({lb for lb in labels if labels.count(lb) > 1})
    if duplicates:
        raise ValueError(f"model labels must be unique; repeated: {', '.join(duplicates)} "
                         "(pass a dict {label: model} to compare variants)")
    params = {str(k): dict(v) for k, v in (params or {}).items()}
    unknown = sorted(set(params) - set(labels))
    if unknown:
        raise ValueError(f"params given for {', '.join(unknown)}, which is not among the "
                         f"compared models ({', '.join(labels)})")
    specs = []
    for label, model in items:
        overrides = params.get(label, {})
        if isinstance(model, str):
            name = model.strip().lower()
            if name not in MODELS:
                raise ValueError(f"unknown model {model!r}; known models: "
                                 f"{', '.join(sorted(MODELS))}")
            spec = ModelSpec(label, name=name, params=overrides)
        elif hasattr(model, "fit") and hasattr(model, "predict"):
            spec = ModelSpec(label, template=model, params=overrides)
        else:
            raise ValueError(f"model {label!r}: expected a registry name or an estimator, "
                             f"got {type(model).__name__}")
        _check_params(spec)
        specs.append(spec)
    return specs


def _check_params(spec: ModelSpec) -> None:
    if not spec.params:
        return
    if spec.template is not None:
        if not hasattr(spec.template, "get_params"):
            raise ValueError(f"model {spec.label}: {type(spec.template).__name__} has no "
                             "get_params/set_params, so parameters cannot be overridden")
        valid = set(spec.template.get_params(deep=False))
        cls_name = type(spec.template).__name__
    else:
        from ..registry import get_model_class

        cls = get_model_class(spec.name)
        signature = inspect.signature(cls.__init__)
        if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            return
        valid = {n for n in signature.parameters if n != "self"}
        cls_name = cls.__name__
    bad = sorted(set(spec.params) - valid)
    if bad:
        raise ValueError(f"model {spec.label}: {cls_name} has no parameter "
                         f"{', '.join(repr(b) for b in bad)}; valid: {', '.join(sorted(valid))}")


def _parse_metric_list(metrics: str | Sequence[str], parse_metrics: Callable) -> list[str]:
    if isinstance(metrics, str):
        parsed = list(parse_metrics(metrics))
    else:
        parsed = list(parse_metrics(",".join(str(m) for m in metrics)))
    if not parsed:
        raise ValueError("no metrics given")
    seen: list[str] = []
    for metric in parsed:
        if metric not in seen:
            seen.append(metric)
    return seen


def _prepare_split(train: Any, valid: Any, test: Any) -> tuple[Any, Any, Any]:
    """Load paths / wrap arrays as `RankingData` and check the feature counts agree.

    A valid/test split with fewer features than train is padded with zero columns only when
    it holds zeros (a sparse LibSVM file that never uses the last features: missing means 0);
    a split without a single zero, or with more features than train, is an error.
    """
    named = {"train": _as_data(train, "train"), "valid": _as_data(valid, "valid"),
             "test": _as_data(test, "test")}
    reference = named["train"]
    for split in ("valid", "test"):
        data = named[split]
        if data is None or data.n_features == reference.n_features:
            continue
        if data.n_features < reference.n_features and _has_zeros(data.X):
            named[split] = _pad_features(data, reference.n_features)
            continue
        raise ValueError(
            f"{_describe(data, split)} has {data.n_features} features but "
            f"{_describe(reference, 'train')} has {reference.n_features}; "
            "train, valid and test must have the same features"
        )
    return named["train"], named["valid"], named["test"]


def _has_zeros(X: Any) -> bool:
    import scipy.sparse as sp

    if sp.issparse(X):
        return X.nnz < X.shape[0] * X.shape[1] or bool((X.data == 0).any())
    return bool((np.asarray(X) == 0).any())


def _pad_features(data: Any, n_features: int) -> Any:
    """``data`` with zero columns appended up to ``n_features``."""
    import scipy.sparse as sp

    from ..data.ranking_data import RankingData

    extra = n_features - data.n_features
    if sp.issparse(data.X):
        X = sp.hstack([data.X, sp.csr_matrix((data.n_rows, extra), dtype=data.X.dtype)],
                      format="csr")
    else:
        X = np.pad(np.asarray(data.X), ((0, 0), (0, extra)))
    names = None
    if data.feature_names is not None:
        names = list(data.feature_names) + [f"f{i}" for i in range(data.n_features, n_features)]
    return RankingData(X, data.y, data.qid, group_offsets=data.group_offsets, docid=data.docid,
                       comment=data.comment, feature_names=names, source=data.source,
                       source_row=data.source_row)


def _as_data(obj: Any, split: str) -> Any:
    from ..data.ranking_data import RankingData

    if obj is None:
        if split == "valid":
            return None
        raise ValueError(f"{split} data is missing")
    if isinstance(obj, RankingData):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        if not path.is_file():
            raise FileNotFoundError(f"{split} file {path} not found")
        from ..data import load_libsvm

        return load_libsvm(path)
    if isinstance(obj, (tuple, list)) and len(obj) == 3:
        return RankingData.from_arrays(obj[0], obj[1], obj[2])
    raise ValueError(f"{split}: expected a RankingData, an (X, y, qid) tuple or a file path, "
                     f"got {type(obj).__name__}")


def _describe(data: Any, split: str) -> str:
    source = getattr(data, "source", None)
    return f"{split} ({source})" if source else split


def _file_order(test: Any) -> np.ndarray | None:
    rows = getattr(test, "source_row", None)
    if rows is None:
        return None
    rows = np.asarray(rows)
    if rows.size < 2 or np.all(rows[1:] > rows[:-1]):
        return None
    return np.argsort(rows, kind="stable")


def _accepts(cls: Any, name: str) -> bool:
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------- one job
def _run_one(spec: ModelSpec, fold: str, train: Any, valid: Any, test: Any,
             metrics: list[str], convention: Any, *, seed: int, tune: int,
             reporter: Progress) -> ModelRun:
    from ..metrics import evaluate

    tuning_info = None
    start = time.perf_counter()
    if tune:
        estimator, tuning_info = _tune(spec, train, valid, metrics[0], convention, tune, seed,
                                       reporter)
    else:
        estimator = spec.build(seed)
        fit_kwargs: dict[str, Any] = {}
        if valid is not None:
            fit_kwargs["eval_set"] = valid
        if reporter.enabled and reporter.live and _accepts(estimator.fit, "callbacks"):
            fit_kwargs["callbacks"] = [reporter.training_step]
        estimator.fit(train, **fit_kwargs)
    fit_time = time.perf_counter() - start

    start = time.perf_counter()
    scores = np.asarray(estimator.predict(test.X), dtype=np.float64).ravel()
    predict_time = time.perf_counter() - start
    if scores.shape[0] != test.n_rows:
        raise ValueError(f"{spec.label} returned {scores.shape[0]} scores for "
                         f"{test.n_rows} test rows")

    docid = getattr(test, "docid", None)  # tie-breaking key of the trec convention
    means, per_query = evaluate(test.y, scores, test.qid, metrics=metrics,
                                convention=convention, per_query=True, docid=docid)
    curve_metrics = [f"ndcg@{k}" for k in NDCG_CURVE_KS]
    curve = evaluate(test.y, scores, test.qid, metrics=curve_metrics, convention=convention,
                     docid=docid)

    best_iteration = getattr(estimator, "best_iteration_", None)
    kind = "round"
    if getattr(estimator, "best_epoch_", None) is not None:
        best_iteration, kind = estimator.best_epoch_, "epoch"
    evals = getattr(estimator, "evals_result_", None) or {}
    try:
        est_params = estimator.get_params(deep=False)
    except Exception:  # not a scikit-learn estimator
        est_params = {}
    return ModelRun(
        model=spec.label,
        fold=fold,
        scores=scores,
        means={m: float(means[m]) for m in metrics},
        per_query={m: np.asarray(per_query[m], dtype=np.float64) for m in metrics},
        ndcg_at_k=np.array([float(curve[m]) for m in curve_metrics]),
        fit_time=float(fit_time),
        predict_time=float(predict_time),
        params=_jsonable_params(est_params),
        evals_result={str(s): {str(m): [float(v) for v in vals] for m, vals in d.items()}
                      for s, d in evals.items()},
        best_iteration=None if best_iteration is None else int(best_iteration),
        iteration_kind=kind,
        eval_metric=est_params.get("eval_metric") if isinstance(est_params, dict) else None,
        estimator_class=f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        tuning=tuning_info,
    )


def _tune(spec: ModelSpec, train: Any, valid: Any, metric: str, convention: Any,
          n_trials: int, seed: int, reporter: Progress) -> tuple[Any, dict[str, Any]]:
    """Tune ``spec`` with ``n_trials`` Optuna trials on ``valid``; the refitted best model."""
    import optuna

    import tuning

    from ..metrics import PRESETS

    name = getattr(convention, "name", None)
    if name in PRESETS and PRESETS[name] == convention:
        convention = name  # a preset travels by name (it lands in the models' parameters)
    kwargs: dict[str, Any] = {"metric": metric, "convention": convention,
                              "n_trials": n_trials, "seed": seed}
    signature = inspect.signature(tuning.tune)
    if reporter.enabled and "callbacks" in signature.parameters:
        kwargs["callbacks"] = [_trial_callback(reporter, n_trials)]
    model: Any = spec.name
    if spec.template is not None or spec.params:
        model = spec.build(seed)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress display says it all
    try:
        result = tuning.tune(model, train, valid, **kwargs)
    finally:
        optuna.logging.set_verbosity(verbosity)
    best_value = getattr(result, "best_value", None)
    info = {
        "n_trials": int(n_trials),
        "metric": metric,
        "best_params": _jsonable_params(dict(result.best_params)),
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


def _jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-friendly values (anything else as its repr)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        out[str(key)] = _jsonable_value(value)
    return out


def _jsonable_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable_value(v) for k, v in value.items()}
    return repr(value)
