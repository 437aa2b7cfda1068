"""`LightGBMLambdaMART`: LambdaMART (``lambdarank``) and ``rank_xendcg`` on LightGBM.

Trains with the native ``lightgbm.train`` API. The traps of LightGBM's ranking mode are
handled before training starts:

- groups must be contiguous: rows are regrouped by qid (stable); predictions come back in the
  caller's row order;
- labels must be integers >= 0 and, with the default ``label_gain`` 2^l - 1, at most 30:
  higher labels train with a linear ``label_gain`` (0, 1, 2, ...) and a warning
  (``gain='exponential'`` makes it an error instead);
- ``lambdarank`` refuses queries of more than 10,000 rows: a clear error names the query and
  suggests ``objective='rank_xendcg'`` or sampling documents;
- sample weights are per row (LightGBM multiplies each row's gradient by its weight).

Documented behaviour for degenerate data: single-document queries and queries whose labels are
all equal give no gradient (they train nothing, they do not fail); constant features are never
split on; NaN features are LightGBM missing values (``use_missing``); an eval set with no
relevant document scores 1 under the default convention. With ``device='cuda'`` the installed
LightGBM must be a CUDA build (the PyPI wheel is not): `fit` says so clearly before training.
"""

from __future__ import annotations

import functools
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from ..params import Interval, Options
from .base import BoosterRanker, booster_constraints
from .position_bias import (
    NON_NEGATIVE,
    lightgbm_positions,
    position_bias_constraints,
    require_positions,
)
from .tracking import EvalTracker

__all__ = ["LightGBMLambdaMART", "LAMBDARANK_MAX_QUERY", "FORBIDDEN_NAME_CHARS"]

#: LightGBM lambdarank refuses longer queries (``Number of rows ... exceeds upper limit``)
LAMBDARANK_MAX_QUERY = 10_000
#: characters LightGBM refuses in feature names (JSON specials)
FORBIDDEN_NAME_CHARS = '",:[]{}'

# constructor parameter -> LightGBM canonical parameter(s) it owns
_OWNED = {
    "objective": "objective", "n_estimators": "num_iterations", "learning_rate": "learning_rate",
    "num_leaves": "num_leaves", "max_depth": "max_depth",
    "min_child_samples": "min_data_in_leaf", "min_child_weight": "min_sum_hessian_in_leaf",
    "subsample": "bagging_fraction", "subsample_freq": "bagging_freq",
    "colsample_bytree": "feature_fraction", "reg_alpha": "lambda_l1", "reg_lambda": "lambda_l2",
    "random_state": "seed", "n_jobs": "num_threads", "device": "device_type",
    "verbose": "verbosity", "eval_at": "eval_at", "early_stopping_rounds": "early_stopping_round",
    "position_bias_regularization": "lambdarank_position_bias_regularization",
    "categorical_features": "categorical_feature",
}
_MANAGED = {
    "metric": "the per-round metrics are computed by boostrank's evaluator; use eval_metric",
    "group_column": "query groups come from qid/group", "label_column": "labels come from y",
    "weight_column": "weights come from sample_weight", "first_metric_only": "early stopping",
}


@functools.lru_cache(maxsize=1)
def _reserved_keys() -> dict[str, str]:
    """Every LightGBM key (aliases included) that a constructor parameter or boostrank owns."""
    try:
        from lightgbm.basic import _ConfigAliases

        def aliases(key: str) -> set[str]:
            return set(_ConfigAliases.get(key)) | {key}
    except Exception:  # pragma: no cover - private API moved: fall back to canonical names
        def aliases(key: str) -> set[str]:
            return {key}
    reserved: dict[str, str] = {}
    for owner, key in _OWNED.items():
        for alias in aliases(key) | {owner}:
            reserved[alias] = owner
    for key, why in _MANAGED.items():
        for alias in aliases(key):
            reserved[alias] = why
    reserved.pop("label_gain", None)
    reserved["eval_metric"] = "eval_metric"
    return reserved


@functools.lru_cache(maxsize=4)
def _device_support(device: str) -> str | None:
    """None when this LightGBM build can train on ``device``; else LightGBM's reason."""
    import lightgbm as lgb

    X = np.arange(40, dtype=np.float64).reshape(20, 2)
    data = lgb.Dataset(X, label=np.tile([0.0, 1.0], 10), group=[10, 10],
                       params={"verbosity": -1})
    try:  # (LightGBM's C++ side also prints its reason to stderr: not ours to silence)
        lgb.train({"objective": "lambdarank", "device_type": device, "verbosity": -1,
                   "num_threads": 1, "min_data_in_leaf": 1}, data, num_boost_round=1)
    except lgb.basic.LightGBMError as exc:
        return str(exc).strip().splitlines()[0].rstrip(".")
    return None


class LightGBMLambdaMART(BoosterRanker):
    """LambdaMART on LightGBM, scikit-learn style.

    Parameters
    ----------
    objective : {'lambdarank', 'rank_xendcg'}
        LightGBM ranking objective. ``rank_xendcg`` is faster and has no query-size limit.
    n_estimators : int, default 500
        Maximum boosting rounds; with an ``eval_set``, early stopping usually ends sooner.
    learning_rate : float, default 0.05
    num_leaves : int, default 15
        Small trees (like XGBoostLambdaMART's ``max_depth=4``): the defaults are tuned on
        LETOR 4.0 MQ2008 (5-fold NDCG@10, LETOR convention); raise ``num_leaves`` (63-255) for
        MSLR-size data.
    max_depth : int, default -1 (no limit)
    min_child_samples : int, default 20
        Minimum rows per leaf (``min_data_in_leaf``).
    min_child_weight : float, default 1e-3
        Minimum sum of hessians per leaf (``min_sum_hessian_in_leaf``).
    subsample, subsample_freq : float in (0, 1], int >= 0, defaults 1.0 and 0
        Row bagging fraction and frequency (rounds between re-sampling; 0 disables bagging).
    colsample_bytree : float in (0, 1], default 1.0
        Feature fraction per tree.
    reg_alpha, reg_lambda : float >= 0, defaults 0.0
        L1 / L2 regularisation of leaf values.
    eval_at : int or sequence of int, default (1, 3, 5, 10)
        NDCG cutoffs recorded in ``evals_result_`` every round on each eval set.
    early_stopping_rounds : int or None, default 50
        Stop when ``eval_metric`` on the first eval set has not improved for this many rounds
        (only with an ``eval_set``); the model keeps the best round.
    eval_metric : str, default 'ndcg@10'
        Metric (any name of the common evaluator) watched by early stopping and callbacks.
    eval_convention : str or Convention, default 'default'
        Evaluator convention of every per-round metric.
    gain : {'auto', 'exponential', 'linear'}, default 'auto'
        Training gain of a label: 2^l - 1 or l. 'auto': exponential for labels <= 30, linear
        (with a warning) above. ``params={'label_gain': [...]}`` sets an explicit table.
    random_state : int, numpy RandomState/Generator or None
        Seed of every LightGBM random choice (``seed``); also turns on ``deterministic``.
    n_jobs : int or None
        Threads (None: LightGBM's default, -1: all cores).
    device : {'cpu', 'cuda', 'gpu'}, default 'cpu'
        LightGBM ``device_type``; 'cuda' needs a CUDA build of LightGBM, 'gpu' an OpenCL build
        and device. Checked before training with a clear error.
    verbose : int, default 0
        Print the eval metrics every ``verbose`` rounds (0: silent, LightGBM logging off).
    params : dict or None
        Any other LightGBM parameter (``max_bin``, ``lambdarank_truncation_level``, ...).
    position_bias : bool, default False
        Learn from a click log corrected for position bias: the training rows' display
        positions (``RankingData.position`` or ``fit(..., position=...)``) go to
        ``lightgbm.Dataset(position=...)`` and LightGBM learns one bias factor per position
        next to the trees (its unbiased lambdarank / GAM position term); ``predict`` never
        needs positions. Needs ``objective='lambdarank'``. LightGBM's Python API does not
        expose the learned factors: ``propensities_`` is None.
    position_bias_regularization : float >= 0, default 0.0
        LightGBM ``lambdarank_position_bias_regularization`` (shrinks the position factors).
    categorical_features : list of str or list of int, optional
        Columns LightGBM splits on as categories (``categorical_feature``): names (of a
        DataFrame's columns) or indices. Their values must be integer codes >= 0 (NaN:
        missing); saved with the model. Tune LightGBM's ``max_cat_to_onehot``, ``cat_smooth``
        ... through ``params``.
    importance_type : {'gain', 'split'}, default 'gain'
        What ``feature_importances_`` measures: total split gain, or number of splits.

    ``fit(callbacks=...)`` also takes LightGBM callbacks (``lightgbm.reset_parameter``,
    ``lightgbm.log_evaluation``, ...), given to ``lightgbm.train`` (see
    `boostrank.boosters.callbacks`).

    Attributes
    ----------
    propensities_ : None
        Set by a ``position_bias=True`` fit (LightGBM keeps its position factors internal).
    """

    parameter_constraints = {
        **booster_constraints(("lambdarank", "rank_xendcg"), ("cpu", "cuda", "gpu"),
                              _reserved_keys),
        "num_leaves": [Interval(Integral, 2, 131072)],
        "max_depth": [Interval(Integral, 1, None), Options({-1})],
        "min_child_samples": [Interval(Integral, 0, None)],
        "min_child_weight": [Interval(Real, 0, None)],
        "subsample_freq": [Interval(Integral, 0, None)],
        **position_bias_constraints(position_bias_regularization=NON_NEGATIVE),
    }
    _max_exp_label = 30
    _backend = "LightGBM"
    _model_member = "model.txt"

    def __init__(
        self,
        objective: str = "lambdarank",
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        max_depth: int = -1,
        min_child_samples: int = 20,
        min_child_weight: float = 1e-3,
        subsample: float = 1.0,
        subsample_freq: int = 0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 0.0,
        eval_at: Any = (1, 3, 5, 10),
        early_stopping_rounds: int | None = 50,
        eval_metric: str = "ndcg@10",
        eval_convention: Any = "default",
        gain: str = "auto",
        random_state: Any = None,
        n_jobs: int | None = None,
        device: str = "cpu",
        verbose: int = 0,
        params: dict[str, Any] | None = None,
        position_bias: bool = False,
        position_bias_regularization: float = 0.0,
        categorical_features: Any = None,
        importance_type: str = "gain",
    ) -> None:
        super().__init__(objective, n_estimators, learning_rate, subsample, colsample_bytree,
                         reg_alpha, reg_lambda, eval_at, early_stopping_rounds, eval_metric,
                         eval_convention, gain, random_state, n_jobs, device, verbose, params,
                         position_bias, categorical_features, importance_type)
        self.position_bias_regularization = position_bias_regularization
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.min_child_weight = min_child_weight
        self.subsample_freq = subsample_freq

    # ------------------------------------------------------------------ parameters
    def _check_backend(self) -> None:
        if self.position_bias and self.objective != "lambdarank":
            raise ValueError(f"position_bias=True needs objective='lambdarank' (LightGBM's "
                             f"position term is part of lambdarank); got {self.objective!r}")
        label_gain = (self.params or {}).get("label_gain")
        if label_gain is not None:
            values = np.asarray(label_gain, dtype=np.float64).ravel() \
                if not isinstance(label_gain, str) else None
            if values is None or values.size == 0 or not np.isfinite(values).all() \
                    or (values < 0).any():
                raise ValueError("params['label_gain'] must be a non-empty list of gains >= 0 "
                                 "(gain of label 0, 1, 2, ...)")
        if self.device != "cpu":
            reason = _device_support(self.device)
            if reason is not None:
                build = {"cuda": "a CUDA build (pip install lightgbm --config-settings="
                                 "cmake.define.USE_CUDA=ON)",
                         "gpu": "an OpenCL build and an OpenCL device"}[self.device]
                raise ValueError(
                    f"device={self.device!r} is not available with the installed LightGBM: "
                    f"{reason}. It needs {build}; use device='cpu', or XGBoostLambdaMART "
                    f"with device='cuda'"
                )

    def _real_label_hint(self) -> str:
        return ("LightGBM's ranking objectives read labels as relevance grades; round or bin "
                "them (XGBoostLambdaMART(objective='rank:pairwise') accepts real labels)")

    def _lgb_params(self, label_gain: list[float] | None) -> dict[str, Any]:
        """The exact parameter dict given to ``lightgbm.train`` (also used by the tests)."""
        settings = self.settings
        params: dict[str, Any] = {
            "objective": self.objective,
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "max_depth": int(self.max_depth),
            "min_data_in_leaf": int(self.min_child_samples),
            "min_sum_hessian_in_leaf": float(self.min_child_weight),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": int(self.subsample_freq),
            "feature_fraction": float(self.colsample_bytree),
            "lambda_l1": float(self.reg_alpha),
            "lambda_l2": float(self.reg_lambda),
            "metric": "None",
            "device_type": self.device,
            "verbosity": 0 if settings.verbose else -1,  # 0: LightGBM warnings
        }
        if settings.threads:
            params["num_threads"] = settings.threads
        if settings.seed is not None:
            params["seed"] = settings.seed
            params["deterministic"] = True
        if self.position_bias:
            params["lambdarank_position_bias_regularization"] = float(
                self.position_bias_regularization)
        extra = dict(settings.params)
        if label_gain is not None:
            extra["label_gain"] = label_gain
        params.update(extra)
        return params

    # ------------------------------------------------------------------ training
    def _check_query_sizes(self, train: RankingData) -> None:
        if self.objective != "lambdarank":
            return
        sizes = train.group_sizes
        big = np.flatnonzero(sizes > LAMBDARANK_MAX_QUERY)
        if big.size:
            i = int(big[0])
            raise ValueError(
                f"query qid={int(train.query_ids[i])} has {int(sizes[i])} rows; LightGBM "
                f"lambdarank accepts at most {LAMBDARANK_MAX_QUERY} rows per query "
                f"({big.size} queries exceed it). Use objective='rank_xendcg' (no limit) or "
                f"sample at most {LAMBDARANK_MAX_QUERY} documents per query"
            )

    def _explicit_gain(self) -> Any:
        table = (self.params or {}).get("label_gain")
        return None if table is None else [float(g) for g in table]

    def _choose_gain(self, labels: np.ndarray) -> str | tuple[float, ...]:
        self._check_train_labels(labels)
        table = self._explicit_gain()
        if table is None:
            return self._resolve_gain(labels)
        if self.settings.gain != "auto":
            raise ValueError(f"gain={self.gain!r} and params['label_gain'] both set the "
                             "training gain; give only one of them")
        max_label = int(labels.max()) if labels.size else 0
        if len(table) <= max_label:
            raise ValueError(f"params['label_gain'] has {len(table)} entries (labels 0.."
                             f"{len(table) - 1}) but the largest label is {max_label}")
        return tuple(table)

    def _gain_parameters(self, gain: str | tuple[float, ...],
                         labels: np.ndarray) -> list[float] | None:
        """``label_gain`` to pass (None: LightGBM's default 2^l - 1 table for labels 0..30, or
        the explicit table already in ``params``)."""
        if gain != "linear":
            return None
        max_label = int(labels.max()) if labels.size else 0
        return [float(i) for i in range(max(max_label, 30) + 1)]

    def _label_gain(self, y: np.ndarray) -> list[float] | None:
        """Checked labels ``y`` -> the ``label_gain`` given to LightGBM (see `_choose_gain`)."""
        return self._gain_parameters(self._choose_gain(y), y)

    def _train(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
               sample_weight: np.ndarray | None, tracker: EvalTracker) -> tuple[Any, int]:
        import lightgbm as lgb

        self._check_query_sizes(train)
        params = self._lgb_params(self._gain_spec)
        names = self._backend_feature_names(FORBIDDEN_NAME_CHARS)
        position = (lightgbm_positions(require_positions(train, type(self).__name__))
                    if self.position_bias else None)
        dtrain = lgb.Dataset(train.X, label=train.y, group=train.group_sizes,
                             weight=sample_weight, feature_name=names or "auto",
                             categorical_feature=self._categorical_indices() or "auto",
                             params=params, free_raw_data=True, position=position)
        valid_sets, valid_names, by_id = [], [], {}
        for name, data in eval_sets:
            dvalid = lgb.Dataset(data.X, label=data.y, group=data.group_sizes,
                                 reference=dtrain, feature_name=names or "auto",
                                 params=params, free_raw_data=True)
            valid_sets.append(dvalid)
            valid_names.append(name)
            by_id[id(dvalid)] = name

        def feval(preds: np.ndarray, dataset: Any) -> list[tuple[str, float, bool]]:
            values = tracker.evaluate(by_id[id(dataset)], preds)
            return [(metric, value, True) for metric, value in values.items()]

        def after_round(env: Any) -> None:
            if tracker.end_round(env.iteration - env.begin_iteration):
                raise lgb.callback.EarlyStopException(max(tracker.best_round, 0), [])

        after_round.order = 30  # type: ignore[attr-defined]
        callbacks = ([after_round] if valid_sets else []) + list(
            self.__dict__.get("_backend_callbacks", ()))
        booster = lgb.train(
            params, dtrain, num_boost_round=int(self.n_estimators),
            valid_sets=valid_sets or None, valid_names=valid_names or None,
            feval=feval if valid_sets else None, callbacks=callbacks or None,
            keep_training_booster=True,
        )
        booster.free_dataset()
        if self.position_bias:
            self.propensities_ = None  # LightGBM's position factors are not exposed
        return booster, int(booster.current_iteration())

    def _keep_rounds(self, booster: Any, kept: int, rounds_run: int) -> Any:
        booster.best_iteration = kept
        return booster

    # ------------------------------------------------------------------ prediction, persistence
    def _predict(self, X: Any) -> np.ndarray:
        threads = self._backend_threads()
        extra = {"num_threads": threads} if threads else {}
        return self.booster_.predict(X, num_iteration=self.best_iteration_, **extra)

    def _raw_importances(self, kind: str) -> np.ndarray:
        return self.booster_.feature_importance(importance_type=kind,
                                                iteration=self.best_iteration_)

    def _contributions(self, X: Any) -> Any:
        threads = self._backend_threads()
        extra = {"num_threads": threads} if threads else {}
        return self.booster_.predict(X, num_iteration=self.best_iteration_, pred_contrib=True,
                                     **extra)

    def _booster_bytes(self) -> bytes:
        return self.booster_.model_to_string(num_iteration=self.best_iteration_).encode("utf-8")

    def _booster_from_bytes(self, content: bytes) -> Any:
        import lightgbm as lgb

        return lgb.Booster(model_str=content.decode("utf-8"))

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        super()._restore_payload(files, meta)
        self.booster_.best_iteration = self.best_iteration_
