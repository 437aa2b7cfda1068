"""Optuna tuning for boostrank's rankers (boosters and neural models).

``tuning.tune(model, train, valid, metric="ndcg@10", n_trials=50, ...)`` -> `TuningResult`;
``tuning.spaces`` holds the documented default search spaces. Storage, samplers, pruners and
plots live in their own modules. Importing this package does not import optuna; `tune` does.
"""

from __future__ import annotations

from boostrank._lazy import lazy_getattr

from . import spaces
from .tune import TuningResult, query_folds, tune  # the function shadows the module name

_PUBLIC = {
    "SearchSpace": ".spaces:SearchSpace",
    "make_storage": ".storage:make_storage",
    "make_sampler": ".samplers:make_sampler",
    "make_pruner": ".pruners:make_pruner",
    "write_plots": ".plots:write_plots",
}

__all__ = sorted(_PUBLIC) + ["TuningResult", "query_folds", "spaces", "tune"]
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
