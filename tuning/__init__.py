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

from . import spaces
from .arguments import query_folds, resolve_convention, resolve_metric
from .plots import write_plots
from .pruners import make_pruner
from .result import HeldOutComparison, TuningResult
from .runner import tune
from .samplers import make_sampler
from .spaces import SearchSpace
from .storage import make_storage, storage_kind

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
