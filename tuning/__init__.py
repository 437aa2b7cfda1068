"""Optuna tuning for boostrank's rankers (boosters and neural models).

``tuning.tune(model, train, valid, metric="ndcg@10", n_trials=50, ...)`` -> `TuningResult`
(`tuning.runner`). Modules, one job each: `tuning.arguments` (argument checks, also used by
the CLI: `resolve_metric`, `resolve_convention`), `tuning.spaces` (default search spaces),
`tuning.objective` (one trial), `tuning.pruners` (pruners and when a trial reports),
`tuning.samplers`, `tuning.storage`, `tuning.study` (opening / joining a study),
`tuning.refit` (refitting a trial's configuration), `tuning.result` (`TuningResult`,
`HeldOutComparison`), `tuning.plots`. Importing this package does not import optuna; `tune`
does.
"""

from __future__ import annotations

from boostrank._lazy import lazy_getattr

from . import spaces
from .arguments import query_folds, resolve_convention, resolve_metric
from .result import HeldOutComparison, TuningResult
from .runner import tune

_PUBLIC = {
    "SearchSpace": ".spaces:SearchSpace",
    "make_storage": ".storage:make_storage",
    "storage_kind": ".storage:storage_kind",
    "make_sampler": ".samplers:make_sampler",
    "make_pruner": ".pruners:make_pruner",
    "write_plots": ".plots:write_plots",
}

__all__ = [
    "HeldOutComparison",
    "SearchSpace",
    "TuningResult",
    "make_pruner",
    "make_sampler",
    "make_storage",
    "query_folds",
    "resolve_convention",
    "resolve_metric",
    "spaces",
    "storage_kind",
    "tune",
    "write_plots",
]
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
