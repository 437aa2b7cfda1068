"""The estimator contract shared by the boosters and the neural rankers.

`BaseRanker` does, once for every model family: the constructor-parameter check (the class's
``parameter_constraints``, see `boostrank.params`), input validation and query regrouping
(`boostrank.validation`), the empty-data check, eval-set parsing, ``predict(X, *, qid=None)``,
``score`` through the common evaluator, and the model file (`boostrank.model_io`).

Subclasses declare ``parameter_constraints`` and implement these hooks:

- ``_resolve_params()``: after the constraints passed, derive what training needs from the
  parameters (seeds, thread counts, cross-parameter checks); called once per ``fit``;
- ``_fit(train, eval_sets, sample_weight, callbacks)``: train on ``train`` (a `RankingData`
  whose rows are grouped by query), evaluating each ``(name, RankingData)`` of ``eval_sets``
  every round/epoch; set fitted attributes;
- ``_predict(X)``: scores (n_rows,) float64 for a validated feature matrix;
- ``_payload()`` / ``_restore_payload(files, meta)``: the native model as bytes for `save` /
  back from them. Any exception ``_restore_payload`` raises reaches the caller of `load` as a
  `boostrank.model_io.ModelFileError` naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .data.ranking_data import RankingData
from .model_io import (
    MODEL_FORMAT,
    MODEL_FORMAT_VERSION,
    ModelFileError,
    jsonable_params,
    params_from_json,
    read_model_file,
    write_model_file,
)
from .params import validate_params
from .validation import (
    check_features,
    check_labels,
    check_non_empty,
    check_qid,
    feature_names_of,
    to_ranking_data,
)

__all__ = ["BaseRanker", "EvalStep", "TrainingCallback", "SCORE_NEEDS_QID", "run_callbacks",
           "canonical_gain_params", "check_features",
           "jsonable_params", "params_from_json", "MODEL_FORMAT", "MODEL_FORMAT_VERSION"]


@dataclass
class EvalStep:
    """What a training callback receives after each boosting round or epoch.

    ``step``: 0-based round/epoch; ``evals``: eval-set name -> metric name -> value at this
    step (common evaluator, the estimator's ``eval_convention``); ``estimator``: the model
    being trained. A callback may raise (e.g. ``optuna.TrialPruned``): the exception leaves
    ``fit`` unchanged. Returning True asks training to stop after this step.
    """

    step: int
    evals: dict[str, dict[str, float]]
    estimator: Any
    extra: dict[str, Any] = field(default_factory=dict)


TrainingCallback = Callable[[EvalStep], Any]

#: the error of `BaseRanker.score` called without query ids
SCORE_NEEDS_QID = (
    "score needs query ids: pass qid= (one per row), group= or a RankingData. Inside "
    "scikit-learn's model selection (GridSearchCV, cross_val_score, ...) qid reaches fit and "
    "score only through metadata routing: call sklearn.set_config(enable_metadata_routing="
    "True), then model.set_fit_request(qid=True).set_score_request(qid=True) and pass qid=... "
    "(and groups=qid for GroupKFold) to the search's fit; or score with "
    "boostrank.metrics.make_scorer('ndcg@10')")


class BaseRanker(BaseEstimator):
    """scikit-learn-style base of every boostrank ranker (boosters and neural models).

    Attributes
    ----------
    parameter_constraints : dict (class attribute)
        Constructor parameter -> list of allowed-value constraints (`boostrank.params`),
        checked once at the start of ``fit``.
    n_features_in_ : int
        Features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (only when the training data had names).

    Subclasses add ``evals_result_``, ``best_score_`` and ``best_iteration_`` (the number of
    rounds or epochs kept, see `boostrank.early_stopping`).
    """

    _estimator_type = "ranker"
    #: key under which the evaluation metric of `score` is computed
    score_metric: str = "ndcg@10"
    parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    # ------------------------------------------------------------------ public API
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        qid: Any = None,
        group: Any = None,
        position: Any = None,
        sample_weight: Any = None,
        eval_set: Any = None,
        callbacks: Sequence[TrainingCallback] | None = None,
    ) -> BaseRanker:
        """Fit on ``(X, y, qid|group)`` or on a `RankingData` passed as ``X``.

        Parameters
        ----------
        X : ndarray (n_rows, n_features), CSR matrix, DataFrame or `RankingData`
        y : array-like (n_rows,)
            Graded relevance labels (None with a `RankingData`).
        qid : array-like (n_rows,) of int, optional
            Query id per row; rows of a query need not be contiguous (regrouped stably).
        group : array-like (n_queries,) of int, optional
            Query sizes instead of ``qid``.
        position : array-like (n_rows,) of int >= 1, optional
            The 1-based rank at which each row was shown (click logs), in the caller's row
            order; used by ``position_bias=True``. A `RankingData` carries its own
            ``.position`` instead.
        sample_weight : array-like (n_rows,), optional
            Per-row weights (finite, >= 0).
        eval_set : `RankingData`, ``(X, y, qid)`` tuple, a list of them, or a dict name -> one
            Evaluated every round/epoch (named ``valid_0``, ``valid_1``... unless a dict).
        callbacks : sequence, optional
            Callables that receive an `EvalStep` after every round/epoch (called only with an
            ``eval_set``). The boosters also take the backend's own callbacks and hand them to
            ``lightgbm.train`` / ``xgboost.train`` next to boostrank's tracking (see
            `boostrank.boosters.callbacks`): ``xgboost.callback.TrainingCallback`` instances,
            LightGBM callbacks (those of ``lightgbm.callback``, or any callable carrying an
            ``order`` attribute as LightGBM's own callbacks do) and callables wrapped in
            `boostrank.boosters.lightgbm_callback`.

        Returns
        -------
        self
        """
        self._validate_params_ranker()
        train, _, weights = to_ranking_data(
            X, y, qid=qid, group=group, sample_weight=sample_weight, position=position,
            dtype=self._feature_dtype(), allow_nan=self._allow_nan())
        self.__dict__.pop("propensities_", None)  # set again by a position_bias fit
        check_non_empty(train)
        self._check_labels(train.y, where="y")
        self.n_features_in_ = train.n_features
        if train.feature_names is not None:
            self.feature_names_in_ = np.asarray(train.feature_names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        eval_sets = self._parse_eval_set(eval_set)
        self._fit(train, eval_sets, weights, list(callbacks or ()))
        return self

    def predict(self, X: Any, *, qid: Any = None) -> np.ndarray:
        """Relevance scores; higher means more relevant.

        Parameters
        ----------
        X : ndarray (n_rows, n_features), CSR matrix, DataFrame or `RankingData`
        qid : array-like (n_rows,) of int, optional
            Query id per row. The boosters score each row alone and ignore it (its length is
            still checked); models with query-level preprocessing use it.

        Returns
        -------
        ndarray (n_rows,) float64
            In the caller's row order.
        """
        self._check_fitted()
        features = self._check_predict_features(X)
        if qid is not None:
            check_qid(qid, features.shape[0])
        return np.asarray(self._predict(features), dtype=np.float64).ravel()

    def score(self, X: Any, y: Any = None, *, qid: Any = None, group: Any = None,
              sample_weight: Any = None) -> float:
        """Mean of the estimator's ``eval_metric`` over queries (common evaluator).

        The metric is ``eval_metric`` (``score_metric``, NDCG@10, for an estimator without
        one) under ``eval_convention``; with ``eval_convention='default'`` a booster that
        trained with linear gain or an explicit gain table is scored with that gain
        (``score_convention_``), as early stopping did.

        Parameters
        ----------
        X, y, qid, group :
            As in `fit`; the query ids are required (``qid``, ``group`` or a `RankingData`).
        sample_weight : None
            Refused (the metric is a mean over queries).

        Returns
        -------
        float
            The metric's mean over the queries.

        Raises
        ------
        ValueError
            Without query ids. scikit-learn's model selection (``GridSearchCV``,
            ``cross_val_score``) passes ``qid`` to ``score`` only with metadata routing: the
            message says how (``sklearn.set_config(enable_metadata_routing=True)``,
            ``set_fit_request(qid=True)``, ``set_score_request(qid=True)``). Without routing a
            search with the default ``error_score=np.nan`` turns this error into warnings and
            NaN scores: pass ``error_score="raise"``, or use ``boostrank.metrics.make_scorer``,
            which refuses to be built without routing.
        """
        from .metrics import evaluate

        if sample_weight is not None:
            raise ValueError("score does not take sample_weight (the metric is a mean over "
                             "queries)")
        if qid is None and group is None and not isinstance(X, RankingData):
            raise ValueError(SCORE_NEEDS_QID)
        data, _, _ = to_ranking_data(X, y, qid=qid, group=group)
        scores = self.predict(data, qid=data.qid)
        metric, convention = self.score_settings()
        result = evaluate(data.y, scores, data.qid, metrics=(metric,), convention=convention)
        return float(result[metric])

    def score_settings(self) -> tuple[str, Any]:
        """``(metric, convention)`` that `score` uses (see there).

        Returns
        -------
        metric : str
            Canonical metric name (``eval_metric`` or ``score_metric``).
        convention : str or Convention
        """
        from .metrics import parse_metrics

        metric = getattr(self, "eval_metric", None) or self.score_metric
        metric = parse_metrics(metric)[0]
        convention = getattr(self, "eval_convention", None)
        if convention in (None, "default"):
            convention = getattr(self, "score_convention_", "default")
        return metric, convention

    def __sklearn_tags__(self) -> Any:
        """scikit-learn tags: sparse input and NaN (a missing value) are accepted."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = bool(self._allow_nan())
        return tags

    def export(self, path: str | os.PathLike, format: str, **options: Any) -> Any:
        """Write the fitted model in a serving format (`boostrank.export.export_model`).

        Parameters
        ----------
        path : str or path-like
            The main output file; a format's companion files are written next to it.
        format : str
            A key of `boostrank.export.EXPORT_FORMATS`: ``"onnx"`` (boosters and neural
            rankers), ``"xgboost-json"``, ``"ranklib"``, ``"solr"``, ``"vespa"`` (boosters),
            ``"lightgbm"`` (LightGBM models), ``"xgboost"`` (XGBoost models) or ``"torch"``
            (neural rankers).
        **options
            ``feature_names`` and the format's own options (see `export_model`).

        Returns
        -------
        boostrank.export.ExportResult
            The files written and what the export checked.
        """
        from .export import export_model

        return export_model(self, path, format, **options)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to one zip file: ``meta.json`` plus the native model files.

        Returns the path written. Load it with `load` (see `boostrank.model_io`).
        """
        from . import __version__
        from .registry import class_path, registered_name

        self._check_fitted()
        files, extra_meta = self._payload()
        meta = {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "class": class_path(type(self)),
            "model": registered_name(type(self)),
            "params": jsonable_params(self.get_params(deep=False)),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (None if not hasattr(self, "feature_names_in_")
                                 else [str(n) for n in self.feature_names_in_]),
            "boostrank_version": __version__,
            "extra": jsonable_params(extra_meta),
        }
        return write_model_file(path, meta, files)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BaseRanker:
        """Load a model written by `save` (called on `BaseRanker` it finds the right class).

        Only boostrank's registered model classes (`boostrank.registry.MODELS`) and
        subclasses of ``cls`` already defined by the program are resolved from the file;
        no other module is ever imported.

        Raises
        ------
        FileNotFoundError
            When ``path`` does not exist.
        ModelFileError
            (a ``ValueError``) naming the file and the problem, for anything else.
        """
        from .registry import MODELS, resolve_class_path

        meta, files = read_model_file(path)
        # the registered short name is the stable identity (a class may move between modules)
        name = meta.get("model")
        model_cls = resolve_class_path(name if name in MODELS else meta["class"], base=BaseRanker)
        if model_cls is None:
            raise ModelFileError(
                f"{path}: meta.json names class {meta['class']!r}, which is not a boostrank "
                f"model class (registered: {', '.join(sorted(MODELS))})")
        if not (isinstance(model_cls, type) and issubclass(model_cls, cls)):
            raise ModelFileError(f"{path} holds a {model_cls.__name__}, not a {cls.__name__}")
        model = _construct(model_cls, meta, path)
        try:
            model._restore_payload(files, meta.get("extra") or {})
        except ModelFileError as exc:  # raised by the payload code, which does not know the path
            raise ModelFileError(f"{path}: {exc}") from None
        except KeyError as exc:
            raise ModelFileError(f"{path}: the model file has no {exc.args[0]!r} entry "
                                 f"({model_cls.__name__} needs it)") from exc
        except Exception as exc:
            raise ModelFileError(f"{path}: cannot restore the {model_cls.__name__} model: "
                                 f"{_first_line(exc)}") from exc
        return model

    # ------------------------------------------------------------------ helpers for subclasses
    def _parse_eval_set(self, eval_set: Any) -> list[tuple[str, RankingData]]:
        """Normalise ``eval_set`` to ``[(name, RankingData), ...]`` named valid_0, valid_1, ...

        Accepts one `RankingData`, one ``(X, y, qid)`` tuple, or a list of either; a dict
        ``{name: data}`` keeps the names.
        """
        parsed = []
        for name, item in _eval_items(eval_set):
            where = f"eval_set {name}"
            if isinstance(item, RankingData):
                data, _, _ = to_ranking_data(item, name=where, dtype=self._feature_dtype(),
                                             allow_nan=self._allow_nan())
            elif isinstance(item, (tuple, list)) and len(item) == 3:
                data, _, _ = to_ranking_data(item[0], item[1], qid=item[2], name=where,
                                             dtype=self._feature_dtype(),
                                             allow_nan=self._allow_nan())
            else:
                raise ValueError(f"{where}: expected a RankingData or an (X, y, qid) tuple, "
                                 f"got {type(item).__name__}")
            if data.n_features != self.n_features_in_:
                raise ValueError(f"{where} has {data.n_features} features; training data has "
                                 f"{self.n_features_in_}")
            self._check_labels(data.y, where=f"{where} y")
            parsed.append((str(name), data))
        return parsed

    def _check_predict_features(self, X: Any) -> Any:
        names = feature_names_of(X)
        features = check_features(X, dtype=self._feature_dtype(), allow_nan=self._allow_nan())
        if features.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {features.shape[1]} features, but {type(self).__name__} was fitted "
                f"with {self.n_features_in_}"
            )
        fitted_names = getattr(self, "feature_names_in_", None)
        if names is not None and fitted_names is not None and list(names) != list(fitted_names):
            raise ValueError("feature names of X differ from those seen in fit")
        return features

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit() first"
            )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "n_features_in_")

    def check_params(self) -> None:
        """Check the constructor parameters, as `fit` does first (nothing else is touched).

        Validates them against the class's ``parameter_constraints`` and derives the training
        settings (cross-parameter checks included).

        Raises
        ------
        boostrank.params.InvalidParameterError
            (a ``ValueError``) naming the estimator, the parameter, its value and the allowed
            values.
        """
        validate_params(self.parameter_constraints, self.get_params(deep=False),
                        type(self).__name__)
        self._resolve_params()

    # hooks with defaults ------------------------------------------------------------
    def _validate_params_ranker(self) -> None:
        """What `fit` calls first: `check_params` (kept under this name for subclasses)."""
        self.check_params()

    def _resolve_params(self) -> None:
        """Derive training settings from the (valid) parameters; cross-parameter checks."""

    def _check_labels(self, y: np.ndarray, *, where: str) -> None:
        check_labels(y, name=where)

    def _feature_dtype(self) -> Any:
        return None

    def _allow_nan(self) -> bool:
        return True

    def _fit(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
             sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        raise NotImplementedError

    def _predict(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def _payload(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        raise NotImplementedError

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        raise NotImplementedError


def run_callbacks(callbacks: Sequence[TrainingCallback], step: EvalStep) -> bool:
    """Call each callback with ``step``; True when any asked to stop. Exceptions propagate."""
    stop = False
    for callback in callbacks:
        if callback(step) is True:
            stop = True
    return stop


def _eval_items(eval_set: Any) -> list[tuple[str, Any]]:
    if eval_set is None:
        return []
    if isinstance(eval_set, dict):
        return list(eval_set.items())
    if isinstance(eval_set, RankingData) or (
            isinstance(eval_set, tuple) and len(eval_set) == 3
            and not isinstance(eval_set[0], (RankingData, tuple))):
        eval_set = [eval_set]
    return [(f"valid_{i}", item) for i, item in enumerate(eval_set)]


def _construct(model_cls: type, meta: dict[str, Any], path: Any) -> BaseRanker:
    """The estimator of a model file with its parameters and feature metadata (not fitted)."""
    params = params_from_json(meta["params"])
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: meta.json 'params' must be a JSON object")
    params = canonical_gain_params(params)
    try:
        model = model_cls(**params)
        model.n_features_in_ = int(meta["n_features_in"])
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: meta.json does not describe a {model_cls.__name__}: "
                             f"{_first_line(exc)}") from exc
    names = meta.get("feature_names_in")
    if names:
        model.feature_names_in_ = np.asarray(names, dtype=object)
    return model


def canonical_gain_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with old gain spellings (``"exp"``, ``"exp2"``, ``"identity"``) in the
    ``gain`` parameter replaced by their canonical names, without a warning (model files
    written before the rename load silently; a user passing them still gets the warning)."""
    from .metrics.gains import GAIN_ALIASES

    value = params.get("gain")
    if isinstance(value, str) and value.strip().lower() in GAIN_ALIASES:
        params = {**params, "gain": GAIN_ALIASES[value.strip().lower()]}
    return params


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
