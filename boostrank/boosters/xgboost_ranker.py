"""`XGBoostLambdaMART`: LambdaMART on XGBoost (``rank:ndcg``, ``rank:pairwise``, ``rank:map``).

Trains with the native ``xgboost.train`` API. The traps of XGBoost's ranking mode are handled:

- XGBoost needs rows sorted by non-decreasing qid: rows are regrouped by qid (stable) and
  XGBoost receives sequential query indices 0, 1, 2, ... (never the raw qids); predictions
  come back in the caller's row order;
- ``rank:ndcg`` needs integer labels >= 0 and, with exponential gain, labels <= 31: higher
  labels train with linear gain (``ndcg_exp_gain=False``) and a warning (``gain='exponential'``
  makes it an error); ``gain='linear'`` also accepts non-integer labels. ``rank:map`` needs
  binary labels; ``rank:pairwise`` takes any real labels;
- XGBoost's plain ``ndcg`` metric is truncated at 32 documents: it is never used. The built-in
  metric is switched off (``disable_default_eval_metric``) and every per-round metric comes from
  boostrank's evaluator (``ndcg@k`` for each ``eval_at`` plus ``eval_metric``);
- sample weights: XGBoost ranking weights are per query. ``sample_weight`` is per row as
  everywhere in scikit-learn; it must be constant inside each query and is converted to one
  weight per query (an error names the first query where it varies).

Documented behaviour for degenerate data: single-document queries and queries whose labels are
all equal give no gradient; constant features are never split on; NaN features are XGBoost
missing values (for a CSR X, entries not stored are missing values too, as in XGBoost); an
eval set with no relevant document scores 1 under the default convention.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from ..params import Interval
from ..validation import per_query_weights
from .base import BoosterRanker, booster_constraints
from .position_bias import (
    NON_NEGATIVE,
    position_bias_constraints,
    position_sorted_order,
    require_positions,
    xgboost_position_biases,
)
from .tracking import EvalTracker

__all__ = ["XGBoostLambdaMART", "FORBIDDEN_NAME_CHARS"]

#: characters XGBoost refuses in feature names
FORBIDDEN_NAME_CHARS = "[]<"

_RESERVED = {
    "objective": "objective", "num_boost_round": "n_estimators",
    "n_estimators": "n_estimators", "eta": "learning_rate", "learning_rate": "learning_rate",
    "max_depth": "max_depth", "max_leaves": "max_leaves", "min_child_weight": "min_child_weight",
    "subsample": "subsample", "colsample_bytree": "colsample_bytree", "alpha": "reg_alpha",
    "reg_alpha": "reg_alpha", "lambda": "reg_lambda", "reg_lambda": "reg_lambda",
    "seed": "random_state", "random_state": "random_state", "nthread": "n_jobs",
    "n_jobs": "n_jobs", "device": "device", "gpu_id": "device", "verbosity": "verbose",
    "early_stopping_rounds": "early_stopping_rounds",
    "eval_metric": "the per-round metrics are computed by boostrank's evaluator; use eval_metric",
    "disable_default_eval_metric": "the built-in metrics are always off",
    "lambdarank_unbiased": "position_bias", "lambdarank_bias_norm": "position_bias_norm",
}


class XGBoostLambdaMART(BoosterRanker):
    """LambdaMART on XGBoost, scikit-learn style.

    Parameters
    ----------
    objective : {'rank:ndcg', 'rank:pairwise', 'rank:map'}, default 'rank:ndcg'
    n_estimators : int, default 500
        Maximum boosting rounds; with an ``eval_set``, early stopping usually ends sooner.
    learning_rate : float, default 0.05
    max_depth : int, default 4 (0: no limit)
        Small trees (like LightGBMLambdaMART's ``num_leaves=15``): the defaults are tuned on
        LETOR 4.0 MQ2008 (5-fold NDCG@10, LETOR convention); raise it (6-8) for MSLR-size data.
    max_leaves : int, default 0 (no limit)
    min_child_weight : float, default 1.0
    subsample : float in (0, 1], default 1.0
    colsample_bytree : float in (0, 1], default 1.0
    reg_alpha, reg_lambda : float >= 0, defaults 0.0 and 1.0
    eval_at : int or sequence of int, default (1, 3, 5, 10)
        NDCG cutoffs recorded in ``evals_result_`` every round on each eval set.
    early_stopping_rounds : int or None, default 50
        Stop when ``eval_metric`` on the first eval set has not improved for this many rounds
        (only with an ``eval_set``); the model keeps the best round.
    eval_metric : str, default 'ndcg@10'
    eval_convention : str or Convention, default 'default'
    gain : {'auto', 'exponential', 'linear'}, default 'auto'
        ``rank:ndcg`` gain of a label: 2^l - 1 or l (``ndcg_exp_gain``). 'auto': exponential for
        labels <= 31, linear (with a warning) above.
    random_state : int, numpy RandomState/Generator or None
    n_jobs : int or None
    device : {'cpu', 'cuda'}, default 'cpu'
        'cuda' trains and predicts on the GPU (XGBoost ``device='cuda'``).
    verbose : int, default 0
        Print the eval metrics every ``verbose`` rounds (0: silent).
    params : dict or None
        Any other XGBoost parameter (``tree_method``, ``max_bin``, ``lambdarank_pair_method``,
        ``lambdarank_num_pair_per_sample``, ``ndcg_exp_gain``, ...).
    position_bias : bool, default False
        Learn from a click log corrected for position bias with Unbiased LambdaMART
        (``lambdarank_unbiased=True``). XGBoost reads a document's position from its row order
        inside the query, so the training rows are sorted by their display position
        (``RankingData.position`` or ``fit(..., position=...)``) inside each query, stably,
        before they reach XGBoost (gaps in the positions are closed up: only the order
        counts); ``predict`` scores rows in the caller's order and never needs positions.
        XGBoost estimates biases for its first 32 positions. XGBoost's per-query gradient
        normalization (``lambdarank_normalization``, on by default: with the default ``topk``
        pairs each query's gradients are scaled by ``log2(1 + S) / S``, S the sum of its
        lambdas) is switched off here, because it would undo the inverse-propensity weights
        across queries (a list whose click was at rank 8 must weigh ``1 / ti+(8)`` times as
        much as one clicked at rank 1, which is the estimator of Unbiased LambdaMART); set
        ``params={"lambdarank_normalization": True}`` to keep it.
    position_bias_norm : float >= 0, default 1.0
        XGBoost ``lambdarank_bias_norm``: the Lp norm (p) of the position-bias estimates.
    categorical_features : list of str or list of int, optional
        Columns XGBoost splits on as categories (``feature_types`` "c" with
        ``enable_categorical=True``): names (of a DataFrame's columns) or indices. Their
        values must be integer codes >= 0 (NaN: missing); saved with the model. Tune
        ``max_cat_to_onehot``, ``max_cat_threshold`` through ``params``.
    importance_type : {'gain', 'split'}, default 'gain'
        What ``feature_importances_`` measures: total split gain (``get_score`` 'total_gain')
        or number of splits ('weight').

    ``fit(callbacks=...)`` also takes ``xgboost.callback.TrainingCallback`` instances
    (``LearningRateScheduler``, ...), given to ``xgboost.train`` (see
    `boostrank.boosters.callbacks`).

    Attributes
    ----------
    propensities_ : ndarray (n_positions,) float64
        After a ``position_bias=True`` fit: the estimated click propensity of each position
        relative to position 1 (XGBoost's ``ti+``, position 1 first, = 1).
    nonclick_propensities_ : ndarray (n_positions,) float64
        The biases at non-clicked positions (XGBoost's ``tj-``).
    """

    parameter_constraints = {
        **booster_constraints(("rank:ndcg", "rank:pairwise", "rank:map"), ("cpu", "cuda"),
                              lambda: _RESERVED),
        "max_depth": [Interval(Integral, 0, None)],
        "max_leaves": [Interval(Integral, 0, None)],
        "min_child_weight": [Interval(Real, 0, None)],
        **position_bias_constraints(position_bias_norm=NON_NEGATIVE),
    }
    _max_exp_label = 31
    _backend = "XGBoost"
    _model_member = "model.json"

    def __init__(
        self,
        objective: str = "rank:ndcg",
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        max_depth: int = 4,
        max_leaves: int = 0,
        min_child_weight: float = 1.0,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_alpha: float = 0.0,
        reg_lambda: float = 1.0,
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
        position_bias_norm: float = 1.0,
        categorical_features: Any = None,
        importance_type: str = "gain",
    ) -> None:
        super().__init__(objective, n_estimators, learning_rate, subsample, colsample_bytree,
                         reg_alpha, reg_lambda, eval_at, early_stopping_rounds, eval_metric,
                         eval_convention, gain, random_state, n_jobs, device, verbose, params,
                         position_bias, categorical_features, importance_type)
        self.position_bias_norm = position_bias_norm
        self.max_depth = max_depth
        self.max_leaves = max_leaves
        self.min_child_weight = min_child_weight

    # ------------------------------------------------------------------ parameters
    def _check_backend(self) -> None:
        exp_gain = (self.params or {}).get("ndcg_exp_gain")
        if exp_gain is not None and not isinstance(exp_gain, (bool, np.bool_)):
            raise ValueError(f"params['ndcg_exp_gain'] must be True or False, got {exp_gain!r}")
        if self.device == "cuda":
            import xgboost as xgb

            if not xgb.build_info().get("USE_CUDA", False):
                raise ValueError(
                    "device='cuda' needs an XGBoost build with CUDA support; the installed "
                    f"xgboost {xgb.__version__} has none (pip install xgboost, not "
                    "xgboost-cpu); use device='cpu'"
                )

    def _label_kind(self) -> str:
        return {"rank:ndcg": "graded", "rank:map": "binary"}.get(self.objective, "real")

    def _real_label_hint(self) -> str:
        return ("Use gain='linear' (XGBoost ndcg_exp_gain=False accepts real labels >= 0) or "
                "objective='rank:pairwise'")

    def _explicit_gain(self) -> str | None:
        exp_gain = (self.params or {}).get("ndcg_exp_gain")
        if exp_gain is None:
            return None
        return "exponential" if exp_gain else "linear"

    def _xgb_params(self, gain: str | None) -> dict[str, Any]:
        """The exact parameter dict given to ``xgboost.train`` (also used by the tests)."""
        settings = self.settings
        params: dict[str, Any] = {
            "objective": self.objective,
            "eta": float(self.learning_rate),
            "max_depth": int(self.max_depth),
            "max_leaves": int(self.max_leaves),
            "min_child_weight": float(self.min_child_weight),
            "subsample": float(self.subsample),
            "colsample_bytree": float(self.colsample_bytree),
            "alpha": float(self.reg_alpha),
            "lambda": float(self.reg_lambda),
            "device": self.device,
            "verbosity": 1 if settings.verbose else 0,
            "disable_default_eval_metric": 1,
        }
        if settings.threads:
            params["nthread"] = settings.threads
        if settings.seed is not None:
            params["seed"] = settings.seed
        params.update(settings.params)
        if self.position_bias:
            params["lambdarank_unbiased"] = True
            params["lambdarank_bias_norm"] = float(self.position_bias_norm)
            # per-query rescaling would undo the inverse-propensity weights across queries
            params.setdefault("lambdarank_normalization", False)
        if gain is not None:
            params["ndcg_exp_gain"] = gain == "exponential"
        return params

    # ------------------------------------------------------------------ training
    @staticmethod
    def _group_weights(train: RankingData, weight: np.ndarray | None) -> np.ndarray | None:
        """Per-row weights (constant inside each query) -> one weight per query (n_queries,)."""
        return per_query_weights(weight, train, why="XGBoost ranking weights are per query")

    def _choose_gain(self, labels: np.ndarray) -> str:
        explicit = self._explicit_gain()
        if self.objective != "rank:ndcg":  # no gain parameter: only reported (score_convention_)
            self._check_train_labels(labels)
            return self._resolve_gain(labels, explicit, check=False)
        self._check_train_labels(labels, allow_real="linear" in (self.settings.gain, explicit))
        return self._resolve_gain(labels, explicit)

    def _gain_parameters(self, gain: str, labels: np.ndarray) -> str | None:
        """The ``rank:ndcg`` gain (``ndcg_exp_gain``); None for the other objectives."""
        return gain if self.objective == "rank:ndcg" else None

    def _train(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
               sample_weight: np.ndarray | None, tracker: EvalTracker) -> tuple[Any, int]:
        import xgboost as xgb

        group_weight = self._group_weights(train, sample_weight)
        params = self._xgb_params(self._gain_spec)
        names = self._backend_feature_names(FORBIDDEN_NAME_CHARS)
        threads = self._backend_threads() or -1
        self.__dict__.pop("nonclick_propensities_", None)
        if self.position_bias:
            order = position_sorted_order(train, require_positions(train, type(self).__name__))
            if order is not None:  # XGBoost's positions are the row order inside a query
                train = RankingData(train.X[order], train.y[order], None,
                                    group_offsets=train.group_offsets)
        types = self._feature_types()
        dtrain = xgb.DMatrix(train.X, label=train.y, qid=_sequential_qid(train),
                             weight=group_weight, feature_names=names, missing=np.nan,
                             nthread=threads, feature_types=types,
                             enable_categorical=types is not None)
        evals, by_id = [], {}
        for name, data in eval_sets:
            dvalid = xgb.DMatrix(data.X, label=data.y, qid=_sequential_qid(data),
                                 feature_names=names, missing=np.nan, nthread=threads,
                                 feature_types=types, enable_categorical=types is not None)
            evals.append((dvalid, name))
            by_id[id(dvalid)] = name

        def custom_metric(predt: np.ndarray, dmat: Any) -> list[tuple[str, float]]:
            return list(tracker.evaluate(by_id[id(dmat)], predt).items())

        class _AfterRound(xgb.callback.TrainingCallback):
            def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                return tracker.end_round(epoch)

        callbacks = ([_AfterRound()] if evals else []) + list(
            self.__dict__.get("_backend_callbacks", ()))
        booster = xgb.train(
            params, dtrain, num_boost_round=int(self.n_estimators), evals=evals,
            custom_metric=custom_metric if evals else None,
            callbacks=callbacks or None, verbose_eval=False,
        )
        self._set_position_biases(booster)
        return booster, int(booster.num_boosted_rounds())

    def _set_position_biases(self, booster: Any) -> None:
        """``propensities_`` / ``nonclick_propensities_`` from an unbiased booster."""
        biases = xgboost_position_biases(booster) if self.position_bias else None
        if biases is not None:
            t_plus, t_minus = biases
            n = int(np.argmax(t_plus <= 0)) if (t_plus <= 0).any() else t_plus.size
            self.propensities_, self.nonclick_propensities_ = t_plus[:n], t_minus[:n]

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        super()._restore_payload(files, meta)
        self._set_position_biases(self.booster_)

    def _keep_rounds(self, booster: Any, kept: int, rounds_run: int) -> Any:
        if 0 < kept < rounds_run:
            sliced = booster[:kept]
            sliced.feature_names = booster.feature_names
            sliced.feature_types = booster.feature_types
            return sliced
        return booster

    # ------------------------------------------------------------------ prediction, persistence
    def _feature_types(self) -> list[str] | None:
        """XGBoost ``feature_types`` ("c" categorical, "q" numeric); None: all numeric."""
        categorical = set(self._categorical_indices())
        if not categorical:
            return None
        return ["c" if j in categorical else "q" for j in range(self.n_features_in_)]

    def _prediction_matrix(self, X: Any) -> Any:
        import xgboost as xgb

        threads = self._backend_threads() or -1
        types = self.booster_.feature_types
        categorical = types is not None and "c" in types
        return xgb.DMatrix(X, missing=np.nan, nthread=threads,
                           feature_names=self.booster_.feature_names,
                           feature_types=types if categorical else None,
                           enable_categorical=categorical)

    def _predict(self, X: Any) -> np.ndarray:
        return self.booster_.predict(self._prediction_matrix(X))

    def _contributions(self, X: Any) -> Any:
        return self.booster_.predict(self._prediction_matrix(X), pred_contribs=True)

    def _raw_importances(self, kind: str) -> np.ndarray:
        native = {"gain": "total_gain", "split": "weight"}[kind]
        scores = self.booster_.get_score(importance_type=native)
        names = self.booster_.feature_names or [f"f{i}" for i in range(self.n_features_in_)]
        return np.array([scores.get(n, 0.0) for n in names], dtype=np.float64)

    def _booster_bytes(self) -> bytes:
        return bytes(self.booster_.save_raw("json"))

    def _booster_from_bytes(self, content: bytes) -> Any:
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(content))
        return booster


def _sequential_qid(data: RankingData) -> np.ndarray:
    """Query index per row, 0, 0, ..., 1, 1, ...: non-decreasing whatever the raw qids are."""
    return np.repeat(np.arange(data.n_queries, dtype=np.uint32), data.group_sizes)
