"""`BoosterRanker`: what the LightGBM and XGBoost LambdaMART estimators share.

On top of `boostrank.estimator.BaseRanker` (input validation, query regrouping, ``score``,
save/load framing) it adds: checks of the common constructor parameters, relevance-label
checks per objective (integers, binary, the exponential-gain limit), sample-weight checks,
backend-safe feature names, the per-round evaluation / early-stopping bookkeeping
(`EvalTracker`) and the fitted attributes every booster exposes:

- ``booster_``: the native booster (``lightgbm.Booster`` / ``xgboost.Booster``);
- ``best_iteration_``: number of boosting rounds in the kept model (1-based, like LightGBM);
- ``evals_result_``: ``{eval set: {metric: [value per round]}}`` by the common evaluator;
- ``best_score_``: ``{eval set: {metric: value at best_iteration_}}``;
- ``feature_importances_``: total split gain per feature (n_features,), normalised to sum 1.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import NotFittedError

from ..data.ranking_data import RankingData
from ..estimator import BaseRanker, TrainingCallback
from . import _params as P
from ._tracking import EvalTracker

GAINS = ("auto", "exponential", "linear")


class BoosterRanker(BaseRanker):
    """Shared base of `LightGBMLambdaMART` and `XGBoostLambdaMART` (not used directly).

    Subclasses define ``__init__`` (scikit-learn reads the parameters from its signature) and:
    ``_objectives`` (allowed objective names), ``_devices``, ``_max_exp_label`` (largest label
    the backend's exponential gain 2^l - 1 accepts), ``_reserved_params()``,
    ``_validate_backend_params()``, ``_label_kind(objective)``, ``_train(...)``, ``_predict``,
    ``_raw_importances()``, ``_payload`` / ``_restore_payload``.
    """

    _objectives: tuple[str, ...] = ()
    _devices: tuple[str, ...] = ("cpu", "cuda")
    _max_exp_label: int = 30
    _backend: str = ""

    # ------------------------------------------------------------------ parameter checks
    def _validate_params_ranker(self) -> None:
        """Check every constructor parameter before any data is touched (ValueError names it)."""
        from ..metrics import get_convention, parse_metrics

        P.check_choice("objective", self.objective, self._objectives)
        P.check_int("n_estimators", self.n_estimators, low=1)
        P.check_float("learning_rate", self.learning_rate, low=0.0, low_open=True)
        P.check_float("subsample", self.subsample, low=0.0, high=1.0, low_open=True)
        P.check_float("colsample_bytree", self.colsample_bytree, low=0.0, high=1.0,
                      low_open=True)
        P.check_float("reg_alpha", self.reg_alpha, low=0.0)
        P.check_float("reg_lambda", self.reg_lambda, low=0.0)
        eval_at = P.check_eval_at(self.eval_at)
        P.check_int("early_stopping_rounds", self.early_stopping_rounds, low=1, allow_none=True)
        if not isinstance(self.eval_metric, str):
            raise ValueError(f"eval_metric must be one metric name such as 'ndcg@10', "
                             f"got {self.eval_metric!r}")
        try:
            parsed = parse_metrics(self.eval_metric)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"eval_metric={self.eval_metric!r} is not a known metric: "
                             f"{exc}") from None
        if len(parsed) != 1:
            raise ValueError(f"eval_metric must name one metric (the one early stopping "
                             f"watches), got {self.eval_metric!r} -> {parsed}")
        try:
            get_convention(self.eval_convention)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"eval_convention={self.eval_convention!r} is not a known "
                             f"convention: {exc}") from None
        P.check_choice("gain", self.gain, GAINS)
        P.check_random_state(self.random_state)
        P.resolve_n_jobs(self.n_jobs)
        P.check_choice("device", self.device, self._devices)
        P.check_verbose(self.verbose)
        P.check_params_dict(self.params, self._reserved_params())
        self._validate_backend_params()
        metrics = [f"ndcg@{k}" for k in eval_at]
        self._eval_metrics = metrics + [m for m in parsed if m not in metrics]
        self._watch_metric = parsed[0]

    def _reserved_params(self) -> dict[str, str]:
        return {}

    def _validate_backend_params(self) -> None:
        """Checks of the backend-specific constructor parameters."""

    # ------------------------------------------------------------------ labels and weights
    def _label_kind(self, objective: str) -> str:
        """'graded' (integers >= 0), 'binary' (0/1) or 'real' (any finite value)."""
        return "graded"

    def _check_train_labels(self, y: np.ndarray, *, allow_real: bool = False) -> None:
        """Labels the objective can train on; ValueError naming the objective otherwise.

        ``allow_real``: non-negative non-integer labels are accepted (linear gain).
        """
        kind = self._label_kind(self.objective)
        if kind == "real" or y.size == 0:
            return
        if kind == "binary":
            bad = np.flatnonzero((y != 0) & (y != 1))
            if bad.size:
                raise ValueError(
                    f"objective={self.objective!r} needs binary relevance labels (0 or 1); "
                    f"y[{bad[0]}] = {y[bad[0]]:g}. Binarise the labels or use another objective"
                )
            return
        negative = np.flatnonzero(y < 0)
        if negative.size:
            raise ValueError(
                f"objective={self.objective!r} needs relevance labels >= 0; "
                f"y[{negative[0]}] = {y[negative[0]]:g}"
            )
        fractional = np.flatnonzero(y != np.round(y))
        if fractional.size and not allow_real:
            raise ValueError(
                f"objective={self.objective!r} needs integer relevance labels 0, 1, 2, ...; "
                f"y[{fractional[0]}] = {y[fractional[0]]:g}. {self._real_label_hint()}"
            )

    def _real_label_hint(self) -> str:
        return "Round or bin the labels."

    def _resolve_gain(self, y: np.ndarray, explicit: str | None = None, *,
                      check: bool = True) -> str:
        """'exponential' (2^l - 1) or 'linear' (l) gain for training labels ``y``.

        ``explicit``: a gain the user fixed through ``params`` (backend key), which must agree
        with ``gain`` unless that is 'auto'. Labels above ``_max_exp_label`` get linear gain with
        a warning under 'auto' and an error under 'exponential'. ``check=False`` only reports
        the gain (no error, no warning; a contradiction resolves to linear).
        """
        requested = self.gain
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
                UserWarning, stacklevel=_user_stacklevel(),
            )
        return "linear"

    @staticmethod
    def _check_sample_weight(weight: np.ndarray | None) -> np.ndarray | None:
        if weight is None:
            return None
        if not np.isfinite(weight).all():
            raise ValueError("sample_weight contains NaN or infinite values")
        if (weight < 0).any():
            raise ValueError("sample_weight must be >= 0")
        return weight

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
        """Total split gain per feature (n_features,), normalised to sum 1 (zeros: no split)."""
        if not hasattr(self, "booster_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit()")
        gain = np.asarray(self._raw_importances(), dtype=np.float64)
        total = gain.sum()
        return gain / total if total > 0 else np.zeros_like(gain)

    def _raw_importances(self) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ fit framework
    def _fit(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
             sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        for attr in ("booster_", "best_iteration_", "best_score_", "evals_result_"):
            if attr in self.__dict__:
                delattr(self, attr)
        sample_weight = self._check_sample_weight(sample_weight)
        self.score_convention_ = self._default_convention_for(self._label_values(train))
        convention = (self.score_convention_ if self.eval_convention in (None, "default")
                      else self.eval_convention)
        tracker = EvalTracker(
            self, eval_sets, self._eval_metrics, self._watch_metric, convention,
            self.early_stopping_rounds if eval_sets else None, callbacks,
            P.check_verbose(self.verbose),
        )
        if callbacks and not eval_sets:
            warnings.warn("callbacks are only called when an eval_set is given; they will not "
                          "run", UserWarning, stacklevel=_user_stacklevel())
        booster, rounds_run = self._train(train, eval_sets, sample_weight, tracker)
        kept = tracker.kept_rounds() if tracker.active else rounds_run
        kept = max(1, min(kept, rounds_run)) if rounds_run > 0 else 0
        self.booster_ = self._keep_rounds(booster, kept, rounds_run)
        self.best_iteration_ = int(kept)
        self.evals_result_, self.best_score_ = tracker.results(kept)

    def _label_values(self, train: Any) -> np.ndarray:
        """The training labels (or their distinct values), for the evaluation gain."""
        return train.y

    def _default_convention_for(self, y: np.ndarray) -> Any:
        """The default convention with this fit's training gain (labels ``y``).

        The default convention is LightGBM's NDCG (gain 2^l - 1, labels 0..30). A model that
        trains with another gain (``gain='linear'``, labels above the exponential limit under
        ``gain='auto'``, or an explicit gain through ``params``) is evaluated with that gain,
        as the backend's own NDCG is: early stopping, ``evals_result_`` and ``score`` then
        measure what the objective optimises instead of failing on large labels.
        """
        from ..metrics import get_convention

        default = get_convention("default")
        gain = self._training_gain(y)
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

    def _training_gain(self, y: np.ndarray) -> Any:
        """'exponential', 'linear' or an explicit gain table the objective trains with (the
        checks and warnings happen in ``_train``; this only reports)."""
        explicit = self._explicit_gain()
        if explicit is not None and not isinstance(explicit, str):
            return list(explicit)
        return self._resolve_gain(y, explicit, check=False)

    def _explicit_gain(self) -> Any:
        """A gain fixed through ``params`` ('linear' / 'exponential' / a table), else None."""
        return None

    def _train(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
               sample_weight: np.ndarray | None, tracker: EvalTracker) -> tuple[Any, int]:
        """Train the native booster; return it and the number of rounds it holds."""
        raise NotImplementedError

    def _keep_rounds(self, booster: Any, kept: int, rounds_run: int) -> Any:
        """The booster limited to its first ``kept`` rounds."""
        return booster

    def _fitted_meta(self) -> dict[str, Any]:
        from ..metrics import get_convention

        conv = getattr(self, "score_convention_", None) or get_convention("default")
        return {"best_iteration": self.best_iteration_, "best_score": self.best_score_,
                "evals_result": self.evals_result_,
                "score_convention": {"name": conv.name, "max_label": conv.max_label,
                                     "gain": conv.gain if isinstance(conv.gain, str)
                                     else list(conv.gain)}}

    def _restore_fitted_meta(self, meta: dict[str, Any]) -> None:
        from ..metrics import get_convention

        self.best_iteration_ = int(meta.get("best_iteration", 0))
        self.best_score_ = meta.get("best_score") or {}
        self.evals_result_ = meta.get("evals_result") or {}
        stored = meta.get("score_convention")
        default = get_convention("default")
        if stored is None:
            self.score_convention_ = default
        else:
            gain = stored["gain"] if isinstance(stored["gain"], str) else tuple(stored["gain"])
            self.score_convention_ = default.replace(name=stored["name"], gain=gain,
                                                     max_label=stored["max_label"])


def _user_stacklevel() -> int:
    """``stacklevel`` for `warnings.warn` that points at the first caller outside boostrank."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level
