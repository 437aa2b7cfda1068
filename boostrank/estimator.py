"""The estimator contract shared by the boosters and the neural rankers.

Subclasses implement three hooks:

- ``_fit(train, eval_sets, sample_weight, callbacks)``: train on ``train`` (a `RankingData`
  whose rows are grouped by query), evaluating each ``(name, RankingData)`` of ``eval_sets``
  every round/epoch with `self._make_eval_scorer`; set fitted attributes.
- ``_predict(X)``: scores (n_rows,) float64 for a validated feature matrix.
- ``_payload()`` / ``_restore_payload(files, meta)``: the native model as bytes for `save`.

The base class does input validation (arrays, CSR, pandas, `RankingData`), qid/group handling,
eval-set parsing, `score` through the common evaluator, and the save/load framing (a zip file
holding ``meta.json`` plus the backend's native files).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .data.ranking_data import RankingData, as_ranking_data
from .validation import check_features
from .validation import feature_names_of as _feature_names_of

MODEL_FORMAT = "boostrank-model"
MODEL_FORMAT_VERSION = 1


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


class BaseRanker(BaseEstimator):
    """scikit-learn-style base of every boostrank ranker (boosters and neural models).

    Fitted attributes set here: ``n_features_in_``, ``feature_names_in_`` (when the training
    X had column names). Subclasses add ``evals_result_`` / ``history_`` and
    ``best_iteration_`` / ``best_epoch_``.
    """

    _estimator_type = "ranker"
    #: key under which the evaluation metric of `score` is computed
    score_metric: str = "ndcg@10"

    # ------------------------------------------------------------------ public API
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        qid: Any = None,
        group: Any = None,
        sample_weight: Any = None,
        eval_set: Any = None,
        callbacks: Sequence[TrainingCallback] | None = None,
    ) -> BaseRanker:
        """Fit on ``(X, y, qid|group)`` or on a `RankingData` passed as ``X``.

        ``X``: (n_rows, n_features) ndarray, CSR or DataFrame; ``y``: (n_rows,) graded labels;
        ``qid``: (n_rows,) query id per row (rows of a query need not be contiguous: they are
        regrouped stably); ``group``: query sizes (n_queries,) instead of ``qid``;
        ``sample_weight``: (n_rows,) per-row weights; ``eval_set``: a `RankingData`, a tuple
        ``(X, y, qid)`` or a list of them; ``callbacks``: callables receiving an `EvalStep`
        after each round/epoch.
        """
        self._validate_params_ranker()
        names = _feature_names_of(X)
        if isinstance(X, RankingData):
            names = X.feature_names
        raw_X = X.X if isinstance(X, RankingData) else X
        features = check_features(raw_X, dtype=self._feature_dtype(), allow_nan=self._allow_nan())
        if isinstance(X, RankingData):
            if y is not None or qid is not None or group is not None:
                raise ValueError("X is a RankingData: do not pass y, qid or group with it")
            train = RankingData(features, X.y, X.qid, group_offsets=X.group_offsets,
                                feature_names=X.feature_names)
            order = None
        else:
            if y is None:
                raise ValueError("fit needs labels y (or a RankingData as X)")
            if qid is None and group is None:
                raise ValueError(
                    "fit needs query ids: pass qid= (one per row) or group= (query sizes), "
                    "or a RankingData"
                )
            train, order = as_ranking_data(features, y, qid, group=group)
        self._check_labels(train.y, where="y")
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64).ravel()
            if weights.shape[0] != train.n_rows:
                raise ValueError(
                    f"sample_weight has {weights.shape[0]} entries for {train.n_rows} rows"
                )
            if order is not None:
                weights = weights[order]
        self.n_features_in_ = train.n_features
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        eval_sets = self._parse_eval_set(eval_set)
        self._fit(train, eval_sets, weights, list(callbacks or ()))
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Scores (n_rows,) float64; higher means more relevant. No qid needed."""
        self._check_fitted()
        features = self._check_predict_features(X)
        return np.asarray(self._predict(features), dtype=np.float64).ravel()

    def score(
        self,
        X: Any,
        y: Any = None,
        *,
        qid: Any = None,
        group: Any = None,
        sample_weight: Any = None,
    ) -> float:
        """Mean NDCG@10 over queries by the common evaluator's default convention (for a
        booster that trained with linear gain or an explicit gain table: with that gain,
        ``score_convention_``)."""
        from .metrics import evaluate

        if sample_weight is not None:
            raise ValueError("score does not take sample_weight (NDCG is a mean over queries)")
        data, _ = as_ranking_data(X, y, qid, group=group)
        scores = self.predict(data.X)
        result = evaluate(data.y, scores, data.qid, metrics=(self.score_metric,),
                          convention=getattr(self, "score_convention_", "default"))
        return float(result[self.score_metric])

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to one zip file: ``meta.json`` plus the native model files."""
        self._check_fitted()
        path = Path(path)
        files, extra_meta = self._payload()
        meta = {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "class": f"{type(self).__module__}:{type(self).__qualname__}",
            "params": _jsonable(self.get_params(deep=False)),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (None if not hasattr(self, "feature_names_in_")
                                 else [str(n) for n in self.feature_names_in_]),
            "boostrank_version": _version(),
            "extra": _jsonable(extra_meta),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("meta.json", json.dumps(meta, indent=1))
            for name, content in files.items():
                archive.writestr(name, content)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> BaseRanker:
        """Load a model written by `save` (called on `BaseRanker` it finds the right class)."""
        path = Path(path)
        try:
            archive = zipfile.ZipFile(path)
        except (FileNotFoundError, IsADirectoryError):
            raise
        except zipfile.BadZipFile:
            raise ValueError(f"{path} is not a boostrank model file") from None
        with archive:
            if "meta.json" not in archive.namelist():
                raise ValueError(f"{path} is not a boostrank model file (no meta.json)")
            meta = json.loads(archive.read("meta.json"))
            files = {n: archive.read(n) for n in archive.namelist() if n != "meta.json"}
        if meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a boostrank model file")
        module_name, _, class_name = meta["class"].partition(":")
        model_cls = getattr(importlib.import_module(module_name), class_name)
        if not issubclass(model_cls, cls):
            raise TypeError(f"{path} holds a {class_name}, not a {cls.__name__}")
        model = model_cls(**_from_jsonable(meta["params"]))
        model.n_features_in_ = int(meta["n_features_in"])
        if meta.get("feature_names_in"):
            model.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        model._restore_payload(files, meta.get("extra") or {})
        return model

    # ------------------------------------------------------------------ helpers for subclasses
    def _parse_eval_set(self, eval_set: Any) -> list[tuple[str, RankingData]]:
        """Normalise ``eval_set`` to ``[(name, RankingData), ...]`` named valid_0, valid_1, ...

        Accepts one `RankingData`, one ``(X, y, qid)`` tuple, or a list of either; a dict
        ``{name: data}`` keeps the names.
        """
        if eval_set is None:
            return []
        if isinstance(eval_set, dict):
            items = list(eval_set.items())
        else:
            if isinstance(eval_set, RankingData) or (
                isinstance(eval_set, tuple) and len(eval_set) == 3
                and not isinstance(eval_set[0], (RankingData, tuple))
            ):
                eval_set = [eval_set]
            items = [(f"valid_{i}", item) for i, item in enumerate(eval_set)]
        parsed = []
        for name, item in items:
            if isinstance(item, RankingData):
                data = item
            elif isinstance(item, (tuple, list)) and len(item) == 3:
                data, _ = as_ranking_data(item[0], item[1], item[2], name=f"eval_set {name}")
            else:
                raise ValueError(
                    f"eval_set {name}: expected a RankingData or an (X, y, qid) tuple, "
                    f"got {type(item).__name__}"
                )
            features = check_features(data.X, dtype=self._feature_dtype(),
                                      allow_nan=self._allow_nan(), name=f"eval_set {name} X")
            if features.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"eval_set {name} has {features.shape[1]} features; training data has "
                    f"{self.n_features_in_}"
                )
            self._check_labels(data.y, where=f"eval_set {name} y")
            parsed.append((str(name), RankingData(features, data.y, data.qid,
                                                  group_offsets=data.group_offsets)))
        return parsed

    def _make_eval_scorer(self, data: RankingData, metrics: Sequence[str],
                          convention: Any = "default"):
        """A callable ``scores (n_rows,) -> {metric: mean}`` for repeated evaluation of ``data``.

        Uses the common evaluator (`boostrank.metrics.evaluate`).
        """
        from .metrics import evaluate

        y, qid, metrics = data.y, data.qid, tuple(metrics)

        def scorer(scores: np.ndarray) -> dict[str, float]:
            result = evaluate(y, np.asarray(scores, dtype=np.float64), qid, metrics=metrics,
                              convention=convention)
            return {k: float(v) for k, v in result.items()}

        return scorer

    def _check_predict_features(self, X: Any) -> Any:
        if isinstance(X, RankingData):
            X = X.X
        names = _feature_names_of(X)
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

    # hooks with defaults ------------------------------------------------------------
    def _validate_params_ranker(self) -> None:
        """Check constructor parameters; raise ValueError naming the parameter."""

    def _check_labels(self, y: np.ndarray, *, where: str) -> None:
        if y.size and not np.isfinite(y).all():
            raise ValueError(f"{where} contains NaN or infinite labels")

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


def _version() -> str:
    from . import __version__

    return __version__


def _jsonable(value: Any) -> Any:
    """Parameters -> JSON (tuples become lists tagged so they load back as tuples)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_jsonable(v) for v in value]}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save parameter value {value!r} of type {type(value).__name__}")


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_from_jsonable(v) for v in value["__tuple__"])
        return {k: _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value


def bytes_io(content: bytes) -> io.BytesIO:
    """Wrap bytes from a model archive as a binary file object."""
    return io.BytesIO(content)
