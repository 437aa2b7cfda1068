"""LambdaMART on a Dask cluster: `DaskLightGBMLambdaMART` and `DaskXGBoostLambdaMART`.

Each is the single-machine estimator (`LightGBMLambdaMART` / `XGBoostLambdaMART`) with two more
constructor parameters, ``client`` (a ``distributed.Client``; None: the default client) and
``n_partitions`` (how many whole-query blocks an in-memory dataset is cut into; None: one per
worker). Training runs on the cluster through the engines' own distributed code,
``lightgbm.DaskLGBMRanker`` (socket-based data-parallel training between the workers) and
``xgboost.dask.train`` on a ``DaskQuantileDMatrix`` (a rabit/collective ring), with exactly the
parameters the single-machine estimator would pass. The fitted model is a local booster: it
predicts without a cluster, ``save`` writes an ordinary `LightGBMLambdaMART` /
`XGBoostLambdaMART` model file, and ``to_local()`` returns that plain estimator.

``fit`` accepts everything the single-machine ``fit`` does, plus distributed inputs:

- LibSVM files: one path, a list of paths (one partition each) or a list of lists of paths
  (the files of one partition); the workers read them (they must see the paths);
- a list of `RankingData` partitions, or a `DaskRankingData` already on the cluster.

Queries are never split across partitions (a qid found in two files is a `PartitionError`
naming both files); XGBoost receives dense query codes that increase in partition order (its
non-decreasing qid rule holds on every worker) and LightGBM group sizes chunked exactly like
the feature rows.

Evaluation and early stopping: eval sets stay on the client (they are small; a path is read
with `boostrank.data.load_libsvm`). The cluster trains ``n_estimators`` rounds; then the client
replays the rounds one tree at a time over each eval set, with the same common-evaluator
bookkeeping as the single-machine fit (``evals_result_``, ``best_score_``,
``early_stopping_rounds`` on ``eval_metric``, the kept ``best_iteration_``), and calls the
``callbacks`` with one `EvalStep` per round during that replay (an exception such as
``optuna.TrialPruned`` propagates; True truncates the model at that round). The rounds after
the early-stopping point are trained but dropped: set ``n_estimators`` with that in mind.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from numbers import Integral
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..boosters.lightgbm_ranker import FORBIDDEN_NAME_CHARS as LGB_FORBIDDEN_CHARS
from ..boosters.lightgbm_ranker import LightGBMLambdaMART
from ..boosters.tracking import EvalTracker
from ..boosters.xgboost_ranker import FORBIDDEN_NAME_CHARS as XGB_FORBIDDEN_CHARS
from ..boosters.xgboost_ranker import XGBoostLambdaMART
from ..data.ranking_data import ROW_COLUMNS, RankingData
from ..estimator import TrainingCallback
from ..params import Interval
from ..validation import check_features, check_n_jobs
from .dask_data import DaskRankingData, is_file_layout, to_dask_ranking_data

#: fitted attributes copied by `to_local`
_FITTED = ("n_features_in_", "feature_names_in_", "booster_", "best_iteration_", "best_score_",
           "evals_result_", "score_convention_", "categorical_features_", "_eval_metrics",
           "_watch_metric")
_DASK_PARAMS = ("client", "n_partitions")
#: constraints of the two parameters the Dask estimators add (``client`` is checked on use)
DASK_CONSTRAINTS = {"n_partitions": [Interval(Integral, 1, None), None]}


class _DaskBoosterMixin:
    """Distributed ``fit`` for a `BoosterRanker` subclass (see the module docstring)."""

    _local_class: type = LightGBMLambdaMART

    def __init__(self, *, client: Any = None, n_partitions: int | None = None,
                 **params: Any) -> None:
        super().__init__(**params)  # type: ignore[call-arg]
        self.client = client
        self.n_partitions = n_partitions

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The single-machine estimator's parameters plus ``client`` and ``n_partitions``
        (scikit-learn's ``get_params`` / ``clone`` read this list)."""
        return sorted({*cls._local_class._get_param_names(), *_DASK_PARAMS})

    # ------------------------------------------------------------------ public API
    def fit(self, X: Any, y: Any = None, *, qid: Any = None, group: Any = None,
            sample_weight: Any = None, eval_set: Any = None,
            callbacks: Sequence[TrainingCallback] | None = None) -> Any:
        """Fit on the cluster.

        Parameters
        ----------
        X : what the single-machine ``fit`` takes, LibSVM path(s) (read by the workers), a
            list of `RankingData` partitions, or a `DaskRankingData`.
        y, qid, group : as the single-machine ``fit``; not with distributed inputs (labels
            and queries come from the data).
        sample_weight : ndarray (n_rows,), optional
        eval_set : as the single-machine ``fit``; LibSVM paths are read on the client.
        callbacks : sequence of callables, optional
            Called with one `EvalStep` per replayed round.

        Returns
        -------
        self
        """
        eval_set = self._load_eval_files(eval_set)
        if not _is_distributed_input(X):
            return super().fit(X, y, qid=qid, group=group,  # type: ignore[misc]
                               sample_weight=sample_weight, eval_set=eval_set,
                               callbacks=callbacks)
        if y is not None or qid is not None or group is not None:
            raise ValueError("with files, partitions or a DaskRankingData as X, do not pass "
                             "y, qid or group: labels and queries come from the data")
        self.check_params()  # type: ignore[attr-defined]
        if isinstance(X, Sequence) and X and all(isinstance(p, RankingData) for p in X):
            X = [self._checked_partition(p) for p in X]
        data = to_dask_ranking_data(self._get_client(), X, sample_weight=sample_weight)
        self.n_features_in_ = data.n_features
        if "feature_names_in_" in self.__dict__:
            del self.feature_names_in_
        eval_sets = self._parse_eval_set(eval_set)  # type: ignore[attr-defined]
        self._fit(data, eval_sets, None, list(callbacks or ()))  # type: ignore[attr-defined]
        return self

    def to_local(self) -> Any:
        """The fitted model as a plain single-machine estimator (no cluster reference)."""
        self._check_fitted()  # type: ignore[attr-defined]
        params = {k: v for k, v in self.get_params(deep=False).items()  # type: ignore[attr-defined]
                  if k not in _DASK_PARAMS}
        local = self._local_class(**params)
        for attr in _FITTED:
            if attr in self.__dict__:
                setattr(local, attr, self.__dict__[attr])
        return local

    def save(self, path: str | os.PathLike) -> Any:
        """Write the model file of the plain estimator (`to_local`); load it with
        `LightGBMLambdaMART.load` / `XGBoostLambdaMART.load` (or `BaseRanker.load`)."""
        return self.to_local().save(path)

    def __sklearn_clone__(self) -> Any:
        """``sklearn.base.clone``: parameters are cloned, the client is shared (a live
        connection cannot be deep-copied)."""
        from sklearn.base import clone

        params = self.get_params(deep=False)  # type: ignore[attr-defined]
        client = params.pop("client")
        params = {name: clone(value, safe=False) for name, value in params.items()}
        return type(self)(client=client, **params)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()  # type: ignore[misc]
        state = dict(state)
        state["client"] = None  # a client cannot be pickled; unpickled models predict locally
        return state

    # ------------------------------------------------------------------ training
    def _train(self, train: Any, eval_sets: list[tuple[str, RankingData]],
               sample_weight: np.ndarray | None, tracker: EvalTracker) -> tuple[Any, int]:
        self._check_cluster_support()
        client = self._get_client()
        if isinstance(train, RankingData):
            self._check_weights_supported(sample_weight is not None)
            n = self.n_partitions  # type: ignore[attr-defined]
            data = to_dask_ranking_data(client, train, n_partitions=n,
                                        sample_weight=sample_weight)
        else:
            data = train
            self._check_weights_supported(data.weights is not None)
        labels = np.unique(np.concatenate([s.labels for s in data.summaries]))
        booster = self._train_on_cluster(client, data, labels)
        rounds = self._replay(booster, eval_sets, tracker)
        return self._first_rounds(booster, rounds), rounds

    def _replay(self, booster: Any, eval_sets: list[tuple[str, RankingData]],
                tracker: EvalTracker) -> int:
        """Evaluate the trained rounds one by one as the single-machine fit would; the number
        of rounds the single-machine training would have run (early stopping, callbacks)."""
        total = self._n_rounds(booster)
        if not tracker.active:
            return total
        state = {name: self._replay_state(booster, data) for name, data in eval_sets}
        for step in range(total):
            for name, _ in eval_sets:
                tracker.evaluate(name, self._scores_after(booster, state[name], step))
            if tracker.end_round(step):
                return step + 1
        return total

    def _check_cluster_support(self) -> None:
        """What the single-machine fit takes and the cluster training does not."""
        name = type(self).__name__
        if self.__dict__.get("_backend_callbacks"):
            raise ValueError(f"{name} does not take backend callbacks (they would run on the "
                             f"workers); give functions of an EvalStep, called during the "
                             f"client-side replay, or use {self._local_class.__name__}")
        if self._categorical_indices():  # type: ignore[attr-defined]
            raise ValueError(f"{name} does not support categorical_features yet; use "
                             f"{self._local_class.__name__}")
        if getattr(self, "position_bias", False):
            raise ValueError(f"{name} does not support position_bias=True yet (positions are "
                             f"not passed to the workers); use {self._local_class.__name__}")

    def _label_values(self, train: Any) -> np.ndarray:
        if isinstance(train, RankingData):
            return train.y
        return np.unique(np.concatenate([s.labels for s in train.summaries]))

    def _check_weights_supported(self, has_weights: bool) -> None:
        """Hook: the backend refuses distributed sample weights."""

    # ------------------------------------------------------------------ helpers
    def _get_client(self) -> Any:
        client = self.client  # type: ignore[attr-defined]
        if client is not None:
            return client
        from distributed import default_client

        try:
            return default_client()
        except ValueError:
            raise ValueError(
                f"{type(self).__name__} needs a Dask cluster: pass client=distributed.Client"
                "(...) or create a Client first (it becomes the default)"
            ) from None

    def _checked_partition(self, part: RankingData) -> RankingData:
        X = check_features(part.X, dtype=self._feature_dtype(),  # type: ignore[attr-defined]
                           allow_nan=self._allow_nan())  # type: ignore[attr-defined]
        row_columns = {name: getattr(part, name) for name in ROW_COLUMNS}  # position, docid...
        return RankingData(X, part.y, part.qid, group_offsets=part.group_offsets,
                           feature_names=part.feature_names, source=part.source, **row_columns)

    def _load_eval_files(self, eval_set: Any) -> Any:
        """Eval sets given as LibSVM paths are read here, on the client."""
        def load(item: Any) -> Any:
            if isinstance(item, (str, os.PathLike)):
                from ..data import load_libsvm

                return load_libsvm(item)
            return item

        if eval_set is None:
            return None
        if isinstance(eval_set, dict):
            return {k: load(v) for k, v in eval_set.items()}
        if isinstance(eval_set, (str, os.PathLike)):
            return load(eval_set)
        if isinstance(eval_set, list):
            return [load(item) for item in eval_set]
        return eval_set

    def _parse_eval_set(self, eval_set: Any) -> list[tuple[str, RankingData]]:
        # LibSVM eval files may stop before the last feature: widen them like the partitions
        def widen(item: Any) -> Any:
            if isinstance(item, RankingData) and item.n_features < self.n_features_in_:
                return item.pad_features(self.n_features_in_)
            return item

        if isinstance(eval_set, dict):
            eval_set = {k: widen(v) for k, v in eval_set.items()}
        elif isinstance(eval_set, list):
            eval_set = [widen(v) for v in eval_set]
        else:
            eval_set = widen(eval_set)
        return super()._parse_eval_set(eval_set)  # type: ignore[misc]

    # backend hooks -------------------------------------------------------------------
    def _train_on_cluster(self, client: Any, data: DaskRankingData, labels: np.ndarray) -> Any:
        raise NotImplementedError

    def _n_rounds(self, booster: Any) -> int:
        raise NotImplementedError

    def _replay_state(self, booster: Any, data: RankingData) -> dict[str, Any]:
        raise NotImplementedError

    def _scores_after(self, booster: Any, state: dict[str, Any], step: int) -> np.ndarray:
        raise NotImplementedError

    def _first_rounds(self, booster: Any, rounds: int) -> Any:
        raise NotImplementedError


class DaskLightGBMLambdaMART(_DaskBoosterMixin, LightGBMLambdaMART):
    """`LightGBMLambdaMART` trained on a Dask cluster by ``lightgbm.DaskLGBMRanker``.

    See the module docstring for inputs, evaluation and what the fitted model is.

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster to train on; None: the default client.
    n_partitions : int >= 1, optional
        Whole-query blocks an in-memory dataset is cut into; None: one per worker.
    **params
        The parameters of `LightGBMLambdaMART`, with its defaults.
    """

    _local_class = LightGBMLambdaMART
    parameter_constraints = {**LightGBMLambdaMART.parameter_constraints, **DASK_CONSTRAINTS}

    def _train_on_cluster(self, client: Any, data: DaskRankingData, labels: np.ndarray) -> Any:
        import lightgbm as lgb

        sizes = np.concatenate([s.group_sizes for s in data.summaries])
        qids = np.concatenate([s.query_ids for s in data.summaries])
        self._check_query_sizes(SimpleNamespace(group_sizes=sizes, query_ids=qids))
        # labels checked and gain chosen once by the base fit (`_choose_gain`)
        params = self._lgb_params(self._gain_spec)
        arrays = data.to_arrays(dtype=self._feature_dtype())
        names = self._backend_feature_names(LGB_FORBIDDEN_CHARS)
        model = lgb.DaskLGBMRanker(client=client, n_estimators=int(self.n_estimators),
                                   **_sklearn_lgb_kwargs(params))
        with warnings.catch_warnings():
            # lightgbm.dask always sets then drops num_threads (each worker uses its own)
            warnings.filterwarnings("ignore", message=r"Parameter \w+ will be ignored")
            model.fit(arrays.X, arrays.y, group=arrays.group, sample_weight=arrays.weight,
                      feature_name=names or "auto")
        return model.booster_

    def _n_rounds(self, booster: Any) -> int:
        return int(booster.current_iteration())

    def _replay_state(self, booster: Any, data: RankingData) -> dict[str, Any]:
        return {"X": data.X, "scores": np.zeros(data.n_rows, dtype=np.float64)}

    def _scores_after(self, booster: Any, state: dict[str, Any], step: int) -> np.ndarray:
        state["scores"] += booster.predict(state["X"], start_iteration=step, num_iteration=1,
                                           raw_score=True)
        return state["scores"]

    def _first_rounds(self, booster: Any, rounds: int) -> Any:
        import lightgbm as lgb

        if rounds >= booster.current_iteration():
            return booster
        return lgb.Booster(model_str=booster.model_to_string(num_iteration=rounds))


class DaskXGBoostLambdaMART(_DaskBoosterMixin, XGBoostLambdaMART):
    """`XGBoostLambdaMART` trained on a Dask cluster by ``xgboost.dask.train``.

    ``sample_weight`` is not supported on the cluster: XGBoost's ranking weights are per query
    and ``xgboost.dask`` partitions them by rows.

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster to train on; None: the default client.
    n_partitions : int >= 1, optional
        Whole-query blocks an in-memory dataset is cut into; None: one per worker.
    **params
        The parameters of `XGBoostLambdaMART`, with its defaults.
    """

    _local_class = XGBoostLambdaMART
    parameter_constraints = {**XGBoostLambdaMART.parameter_constraints, **DASK_CONSTRAINTS}

    def _check_weights_supported(self, has_weights: bool) -> None:
        if has_weights:
            raise ValueError(
                "DaskXGBoostLambdaMART does not take sample_weight: XGBoost ranking weights are "
                "per query and xgboost.dask cannot align them with row partitions; use "
                "XGBoostLambdaMART on one machine or DaskLightGBMLambdaMART"
            )

    def _train_on_cluster(self, client: Any, data: DaskRankingData, labels: np.ndarray) -> Any:
        import xgboost.dask as dxgb

        # labels checked and gain chosen once by the base fit (`_choose_gain`)
        params = self._xgb_params(self._gain_spec)
        arrays = data.to_arrays(dtype=self._feature_dtype())
        names = self._backend_feature_names(XGB_FORBIDDEN_CHARS)
        quantile = str(params.get("tree_method", "hist")) in ("hist", "auto")
        matrix = dxgb.DaskQuantileDMatrix if quantile else dxgb.DaskDMatrix
        dtrain = matrix(client, arrays.X, arrays.y, qid=arrays.qid, feature_names=names,
                        missing=np.nan)
        result = dxgb.train(client, params, dtrain, num_boost_round=int(self.n_estimators),
                            verbose_eval=False)
        booster = result["booster"]
        if names is not None:
            booster.feature_names = names
        return booster

    def _n_rounds(self, booster: Any) -> int:
        return int(booster.num_boosted_rounds())

    def _replay_state(self, booster: Any, data: RankingData) -> dict[str, Any]:
        import xgboost as xgb

        threads = check_n_jobs(self.n_jobs) or -1
        matrix = xgb.DMatrix(data.X, missing=np.nan, nthread=threads,
                             feature_names=booster.feature_names)
        base = _xgb_base_margin(booster)
        return {"matrix": matrix, "base": base,
                "scores": np.full(data.n_rows, base, dtype=np.float64)}

    def _scores_after(self, booster: Any, state: dict[str, Any], step: int) -> np.ndarray:
        one_tree = booster.predict(state["matrix"], iteration_range=(step, step + 1),
                                   output_margin=True)
        state["scores"] += np.asarray(one_tree, dtype=np.float64) - state["base"]
        return state["scores"]

    def _first_rounds(self, booster: Any, rounds: int) -> Any:
        if rounds >= booster.num_boosted_rounds():
            return booster
        sliced = booster[:rounds]
        sliced.feature_names = booster.feature_names
        return sliced


# ---------------------------------------------------------------------- helpers
def _is_distributed_input(X: Any) -> bool:
    if isinstance(X, DaskRankingData) or is_file_layout(X):
        return True
    return isinstance(X, list) and bool(X) and all(isinstance(p, RankingData) for p in X)


#: LightGBM canonical parameter -> the scikit-learn argument of DaskLGBMRanker that owns it
_LGB_SKLEARN_NAMES = {
    "num_leaves": "num_leaves", "max_depth": "max_depth", "learning_rate": "learning_rate",
    "min_data_in_leaf": "min_child_samples", "min_sum_hessian_in_leaf": "min_child_weight",
    "bagging_fraction": "subsample", "bagging_freq": "subsample_freq",
    "feature_fraction": "colsample_bytree", "lambda_l1": "reg_alpha", "lambda_l2": "reg_lambda",
    "seed": "random_state",
}


def _sklearn_lgb_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The single-machine ``lightgbm.train`` params as DaskLGBMRanker keyword arguments.

    Parameters the scikit-learn wrapper owns go under its names (so its own defaults never
    compete with them as aliases); everything else passes through unchanged.
    """
    kwargs = dict(params)
    # each worker trains with its own threads (lightgbm.dask ignores n_jobs with a warning)
    kwargs.pop("num_threads", None)
    for native, name in _LGB_SKLEARN_NAMES.items():
        if native in kwargs:
            kwargs[name] = kwargs.pop(native)
    return kwargs


def _xgb_base_margin(booster: Any) -> float:
    """The margin every row starts from before the first tree (XGBoost's ``base_score``,
    stored as a margin in the model configuration; identity link for the rank objectives)."""
    import json

    config = json.loads(booster.save_config())
    text = str(config["learner"]["learner_model_param"]["base_score"]).strip("[]")
    return float(text.split(",")[0])
