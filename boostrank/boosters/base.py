"""`BoosterRanker`: what the LightGBM and XGBoost LambdaMART estimators share.

On top of `boostrank.estimator.BaseRanker` (parameter constraints, input validation, query
regrouping, ``score``, save/load framing) it adds: the constraints of the common constructor
parameters (`booster_constraints`), their translation into training settings (once per fit),
relevance-label checks per objective, the choice of the training gain, backend-safe feature
names, the per-round evaluation / early-stopping bookkeeping (`EvalTracker`) and the fitted
attributes every booster exposes:

- ``booster_``: the native booster (``lightgbm.Booster`` / ``xgboost.Booster``);
- ``best_iteration_``: number of boosting rounds in the kept model (1-based, like LightGBM);
- ``evals_result_``: ``{eval set: {metric: [value per round]}}`` by the common evaluator;
- ``best_score_``: ``{eval set: {metric: value at best_iteration_}}``;
- ``feature_importances_``: per feature (n_features,), normalised to sum 1: total split gain
  (``importance_type='gain'``) or number of splits (``'split'``), over the kept rounds;
- ``categorical_features_``: indices of the categorical columns (``categorical_features``).

And the methods ``predict_contributions(X)`` (per-feature contributions plus bias, rows sum to
``predict``). ``fit(callbacks=...)`` also takes the backend's own callbacks
(`boostrank.boosters.callbacks`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from ..data.ranking_data import RankingData
from ..estimator import BaseRanker, TrainingCallback
from ..metrics.gains import resolve_gain
from ..model_io import require_member
from ..validation import (
    check_n_jobs,
    check_random_state,
    check_relevance_labels,
    check_verbose,
)
from .callbacks import split_callbacks
from .categorical import check_categorical_values, resolve_categorical
from .constraints import (  # noqa: F401  (re-exported: imported from here before)
    GAINS,
    IMPORTANCE_TYPES,
    booster_constraints,
    check_backend_params,
    eval_at_cutoffs,
)
from .tracking import EvalTracker

__all__ = ["BoosterRanker", "BoosterSettings", "booster_constraints", "eval_at_cutoffs",
           "check_backend_params", "user_stacklevel"]


@dataclass(frozen=True)
class BoosterSettings:
    """What one ``fit`` derives from the constructor parameters (computed once).

    ``eval_metrics``: canonical metric names recorded every round; ``watch_metric``: the one
    early stopping follows; ``gain``: canonical ``gain`` ('auto', 'exponential', 'linear');
    ``seed``: int or None; ``threads``: backend threads or None (backend default);
    ``verbose``: print every N rounds (0: silent); ``params``: extra backend parameters.
    """

    eval_metrics: tuple[str, ...]
    watch_metric: str
    gain: str
    seed: int | None
    threads: int | None
    verbose: int
    params: dict[str, Any]


class BoosterRanker(BaseRanker):
    """Shared base of `LightGBMLambdaMART` and `XGBoostLambdaMART` (not used directly).

    Subclasses define ``__init__`` (scikit-learn reads the parameters from its signature),
    ``parameter_constraints`` (`booster_constraints` plus their own) and: ``_max_exp_label``
    (largest label the backend's exponential gain 2^l - 1 accepts), ``_backend``,
    ``_model_member`` (name of the native model in the model file), ``_check_backend()``,
    ``_label_kind()``, ``_explicit_gain()``, ``_choose_gain()``, ``_gain_parameters()``,
    ``_train()`` (which also hands ``self._backend_callbacks`` to the backend), ``_predict``,
    ``_contributions()``, ``_raw_importances(kind)``, ``_booster_bytes()`` /
    ``_booster_from_bytes()``. Subclasses store ``categorical_features`` and
    ``importance_type`` (constrained by `booster_constraints`).
    """

    _max_exp_label: int = 30
    _backend: str = ""
    _model_member: str = ""

    def __init__(self, objective: str, n_estimators: int, learning_rate: float,
                 subsample: float, colsample_bytree: float, reg_alpha: float,
                 reg_lambda: float, eval_at: Any, early_stopping_rounds: int | None,
                 eval_metric: str, eval_convention: Any, gain: str, random_state: Any,
                 n_jobs: int | None, device: str, verbose: int | bool,
                 params: dict[str, Any] | None, position_bias: bool = False,
                 categorical_features: Any = None, importance_type: str = "gain") -> None:
        """Store the parameters both boosters have (subclasses list them all in their own
        signature, which is what scikit-learn's ``get_params`` reads, and pass these on)."""
        self.objective = objective
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_alpha = reg_alpha
        self.reg_lambda = reg_lambda
        self.eval_at = eval_at
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.gain = gain
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.verbose = verbose
        self.params = params
        self.position_bias = position_bias
        self.categorical_features = categorical_features
        self.importance_type = importance_type

    # ------------------------------------------------------------------ parameters
    def _resolve_params(self) -> None:
        """Translate the valid parameters into `BoosterSettings` (``self._settings``)."""
        from ..metrics import parse_metrics

        watch = parse_metrics(self.eval_metric)[0]
        metrics = [f"ndcg@{k}" for k in eval_at_cutoffs(self.eval_at)]
        metrics += [watch] if watch not in metrics else []
        self._eval_metrics, self._watch_metric = metrics, watch
        self._settings = BoosterSettings(
            eval_metrics=tuple(metrics), watch_metric=watch,
            gain=resolve_gain(self.gain, allow_auto=True),
            seed=check_random_state(self.random_state), threads=check_n_jobs(self.n_jobs),
            verbose=check_verbose(self.verbose), params=dict(self.params or {}))
        self._check_backend()

    @property
    def settings(self) -> BoosterSettings:
        """The training settings of the current / last ``fit`` (validates when none yet)."""
        if "_settings" not in self.__dict__:
            self._validate_params_ranker()
        return self._settings

    def _check_backend(self) -> None:
        """Checks that need the backend (parameters inside ``params``, device support)."""

    # ------------------------------------------------------------------ labels and gain
    def _label_kind(self) -> str:
        """'graded' (integers >= 0), 'binary' (0/1) or 'real' (any finite value)."""
        return "graded"

    def _check_train_labels(self, y: np.ndarray, *, allow_real: bool = False) -> None:
        """Labels the objective can train on; ValueError naming the objective otherwise.

        ``allow_real``: non-negative non-integer labels are accepted (linear gain).
        """
        kind = self._label_kind()
        if allow_real and kind == "graded":
            kind = "real" if not (y < 0).any() else "graded"
        check_relevance_labels(y, kind=kind, owner=f"objective={self.objective!r}",
                               hint=self._real_label_hint())

    def _real_label_hint(self) -> str:
        return "Round or bin the labels."

    def _explicit_gain(self) -> Any:
        """A gain fixed through ``params`` ('linear' / 'exponential' / a table), else None."""
        return None

    def _resolve_gain(self, y: np.ndarray, explicit: str | None = None, *,
                      check: bool = True) -> str:
        """'exponential' (2^l - 1) or 'linear' (l) gain for training labels ``y``.

        ``explicit``: a gain the user fixed through ``params`` (backend key), which must agree
        with ``gain`` unless that is 'auto'. Labels above ``_max_exp_label`` get linear gain with
        a warning under 'auto' and an error under 'exponential'. ``check=False`` only reports
        the gain (no error, no warning; a contradiction resolves to linear).
        """
        requested = self.settings.gain
        if explicit is not None:
            if requested not in ("auto", explicit):
                if not check:
                    return "linear"  # one of the two is linear
                raise ValueError(f"gain={requested!r} contradicts the {explicit} gain set "
                                 f"through params; set only one of them")
            requested = explicit
        max_label = float(y.max()) if y.size else 0.0
        limit = self._max_exp_label
        if max_label <= limit or (requested == "exponential" and not check):
            return "linear" if requested == "linear" else "exponential"
        if requested == "exponential":
            raise ValueError(
                f"exponential gain 2^label - 1 supports labels up to {limit} in "
                f"{self._backend}, but the largest label is {max_label:g}; use gain='linear' "
                f"(or gain='auto', which switches to linear gain)"
            )
        if requested == "auto" and check:
            warnings.warn(
                f"labels go up to {max_label:g}, above {limit}, the largest label "
                f"{self._backend}'s exponential gain 2^label - 1 supports: training with linear "
                f"gain (gain = label) instead; pass gain='linear' to silence this warning",
                UserWarning, stacklevel=user_stacklevel(),
            )
        return "linear"

    def _choose_gain(self, labels: np.ndarray) -> str | tuple[float, ...]:
        """Check the training labels for the objective and choose the training gain.

        Called once per ``fit`` (errors and warnings happen here). Returns 'exponential',
        'linear' or an explicit gain table (gain of label 0, 1, 2, ...).
        """
        raise NotImplementedError

    def _gain_parameters(self, gain: str | tuple[float, ...], labels: np.ndarray) -> Any:
        """The chosen gain as the backend's parameter builder (``_lgb_params`` /
        ``_xgb_params``) takes it."""
        raise NotImplementedError

    # ------------------------------------------------------------------ features
    def _backend_feature_names(self, forbidden: str) -> list[str] | None:
        """Feature names the backend accepts (characters in ``forbidden`` and spaces -> '_').

        None when the estimator has no names or the cleaned names would collide.
        """
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return None
        table = str.maketrans({c: "_" for c in forbidden + " \t\n\r"})
        cleaned = [str(n).translate(table) or f"f{i}" for i, n in enumerate(names)]
        if len(set(cleaned)) != len(cleaned):
            return None
        return cleaned

    @property
    def feature_importances_(self) -> np.ndarray:
        """Importance per feature (n_features,) float64, normalised to sum 1 (zeros: no split).

        ``importance_type='gain'``: total gain of the splits on the feature; ``'split'``:
        number of splits on it; over the kept rounds (``best_iteration_``) only.
        """
        if not hasattr(self, "booster_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit()")
        kind = getattr(self, "importance_type", "gain")
        if kind not in IMPORTANCE_TYPES:
            raise ValueError(f"importance_type must be one of {IMPORTANCE_TYPES}, got {kind!r}")
        values = np.asarray(self._raw_importances(kind), dtype=np.float64)
        total = values.sum()
        return values / total if total > 0 else np.zeros_like(values)

    def _raw_importances(self, kind: str) -> np.ndarray:
        """Unnormalised importances (n_features,) of ``kind`` ('gain' or 'split')."""
        raise NotImplementedError

    def predict_contributions(self, X: Any, *, qid: Any = None) -> np.ndarray:
        """Per-feature contributions to each row's score, plus the bias (SHAP values).

        LightGBM ``pred_contrib=True`` / XGBoost ``pred_contribs=True`` (TreeSHAP), on the kept
        rounds (``best_iteration_``) only.

        Parameters
        ----------
        X : ndarray (n_rows, n_features), CSR matrix, DataFrame or `RankingData`
        qid : array-like (n_rows,) of int, optional
            Ignored by the boosters (each row is scored alone); its length is checked.

        Returns
        -------
        ndarray (n_rows, n_features + 1) float64
            Column j < n_features: feature j's contribution; last column: the bias. Each row
            sums to ``predict(X)`` (up to float32 rounding of the backend).
        """
        self._check_fitted()
        features = self._check_predict_features(X)
        if qid is not None:
            from ..validation import check_qid

            check_qid(qid, features.shape[0])
        contributions = self._contributions(features)
        if hasattr(contributions, "toarray"):
            contributions = contributions.toarray()
        return np.asarray(contributions, dtype=np.float64).reshape(features.shape[0], -1)

    def _contributions(self, X: Any) -> Any:
        """Backend contributions (n_rows, n_features + 1) for a validated feature matrix."""
        raise NotImplementedError

    # ------------------------------------------------------------------ categorical features
    def _resolve_categorical(self, train: Any) -> None:
        """``categorical_features_`` for this fit's training data (before any backend call)."""
        names = getattr(self, "feature_names_in_", None)
        self.categorical_features_ = np.asarray(resolve_categorical(
            getattr(self, "categorical_features", None), self.n_features_in_,
            None if names is None else list(names)), dtype=np.int64)

    def _categorical_indices(self) -> list[int]:
        """The fitted categorical column indices (empty list: none)."""
        return [int(i) for i in getattr(self, "categorical_features_", ())]

    def _check_categorical(self, X: Any, where: str, qid: np.ndarray | None = None) -> None:
        indices = self._categorical_indices()
        if indices:
            names = getattr(self, "feature_names_in_", None)
            check_categorical_values(X, indices, where=where, qid=qid,
                                     names=None if names is None else list(names))

    def _check_predict_features(self, X: Any) -> Any:
        features = super()._check_predict_features(X)
        self._check_categorical(features, "X")
        return features

    # ------------------------------------------------------------------ fit framework
    def _fit(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
             sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        for attr in ("booster_", "best_iteration_", "best_score_", "evals_result_",
                     "categorical_features_"):
            if attr in self.__dict__:
                delattr(self, attr)
        labels = self._label_values(train)
        self._resolve_categorical(train)
        if isinstance(train, RankingData):
            self._check_categorical(train.X, "X", train.qid)
        for name, data in eval_sets:
            self._check_categorical(data.X, f"eval_set {name}", data.qid)
        callbacks, self._backend_callbacks = split_callbacks(callbacks, self._backend)
        # labels and gain first: a gain problem is reported as such, before any eval set is
        # scored under the convention that gain implies
        gain = self._choose_gain(labels)
        self._gain_spec = self._gain_parameters(gain, labels)
        self.score_convention_ = self._convention_for_gain(gain, labels)
        convention = (self.score_convention_ if self.eval_convention in (None, "default")
                      else self.eval_convention)
        settings = self.settings
        tracker = EvalTracker(
            self, eval_sets, settings.eval_metrics, settings.watch_metric, convention,
            self.early_stopping_rounds if eval_sets else None, callbacks, settings.verbose)
        if callbacks and not eval_sets:
            warnings.warn("callbacks are only called when an eval_set is given; they will not "
                          "run", UserWarning, stacklevel=user_stacklevel())
        try:
            booster, rounds_run = self._train(train, eval_sets, sample_weight, tracker)
        finally:
            self.__dict__.pop("_backend_callbacks", None)
        kept = tracker.kept_rounds() if tracker.active else rounds_run
        kept = max(1, min(kept, rounds_run)) if rounds_run > 0 else 0
        self.booster_ = self._keep_rounds(booster, kept, rounds_run)
        self.best_iteration_ = int(kept)
        self.evals_result_, self.best_score_ = tracker.results(kept)

    def _label_values(self, train: Any) -> np.ndarray:
        """The training labels (or their distinct values), for the gain and the checks."""
        return train.y

    def _convention_for_gain(self, gain: str | tuple[float, ...], y: np.ndarray) -> Any:
        """The default convention with this fit's training ``gain`` (labels ``y``).

        The default convention is LightGBM's NDCG (gain 2^l - 1, labels 0..30). A model that
        trains with another gain (``gain='linear'``, labels above the exponential limit under
        ``gain='auto'``, or an explicit gain through ``params``) is evaluated with that gain,
        as the backend's own NDCG is: early stopping, ``evals_result_`` and ``score`` then
        measure what the objective optimises instead of failing on large labels.
        """
        from ..metrics import get_convention

        default = get_convention("default")
        if gain == "linear":
            return default.replace(name="default+linear-gain", gain="linear", max_label=None)
        if isinstance(gain, (list, tuple)):
            return default.replace(name="default+label-gain-table",
                                   gain=tuple(float(g) for g in gain), max_label=None)
        top = float(y.max()) if y.size else 0.0
        if default.max_label is not None and top > default.max_label:
            # exponential gain for labels the backend accepts beyond LightGBM's 30 (XGBoost: 31)
            return default.replace(name="default", max_label=self._max_exp_label)
        return default

    def _train(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
               sample_weight: np.ndarray | None, tracker: EvalTracker) -> tuple[Any, int]:
        """Train the native booster; return it and the number of rounds it holds."""
        raise NotImplementedError

    def _keep_rounds(self, booster: Any, kept: int, rounds_run: int) -> Any:
        """The booster limited to its first ``kept`` rounds."""
        return booster

    def _backend_threads(self) -> int | None:
        """Threads for the backend at fit or predict time (None: the backend's default)."""
        return check_n_jobs(self.n_jobs)

    # ------------------------------------------------------------------ persistence
    def _payload(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        return {self._model_member: self._booster_bytes()}, self._fitted_meta()

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        content = require_member(files, self._model_member, f"{self._backend} model")
        self.booster_ = self._booster_from_bytes(content)
        self._restore_fitted_meta(meta)

    def _booster_bytes(self) -> bytes:
        raise NotImplementedError

    def _booster_from_bytes(self, content: bytes) -> Any:
        raise NotImplementedError

    def _fitted_meta(self) -> dict[str, Any]:
        from ..metrics import get_convention

        conv = getattr(self, "score_convention_", None) or get_convention("default")
        return {"best_iteration": self.best_iteration_, "best_score": self.best_score_,
                "evals_result": self.evals_result_,
                "categorical_features": self._categorical_indices(),
                "score_convention": {"name": conv.name, "max_label": conv.max_label,
                                     "gain": conv.gain if isinstance(conv.gain, str)
                                     else list(conv.gain)}}

    def _restore_fitted_meta(self, meta: dict[str, Any]) -> None:
        from ..metrics import get_convention

        self.best_iteration_ = int(meta.get("best_iteration", 0))
        self.best_score_ = meta.get("best_score") or {}
        self.evals_result_ = meta.get("evals_result") or {}
        self.categorical_features_ = np.asarray(meta.get("categorical_features") or [],
                                                dtype=np.int64)
        stored = meta.get("score_convention")
        default = get_convention("default")
        if stored is None:
            self.score_convention_ = default
        else:
            gain = stored["gain"] if isinstance(stored["gain"], str) else tuple(stored["gain"])
            self.score_convention_ = default.replace(name=stored["name"], gain=gain,
                                                     max_label=stored["max_label"])


def user_stacklevel() -> int:
    """``stacklevel`` for `warnings.warn` that points at the first caller outside boostrank."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level

