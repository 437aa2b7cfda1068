"""Pruner names -> Optuna pruners, with warm-up suited to boosting rounds or epochs."""

from __future__ import annotations

from typing import Any

__all__ = ["PRUNERS", "make_pruner"]

#: names accepted by `make_pruner`
PRUNERS = ("none", "median", "hyperband", "successive_halving")


def make_pruner(pruner: Any = "median", *, warmup_steps: int = 10,
                n_startup_trials: int = 5) -> Any:
    """An Optuna pruner from a name, or a pruner object (returned as is).

    ``none``: never prune (`NopPruner`); ``median``: `MedianPruner` that waits for
    ``n_startup_trials`` finished trials and ``warmup_steps`` steps (rounds or epochs) of each
    trial; ``hyperband``: `HyperbandPruner` with ``warmup_steps`` as the minimum resource;
    ``successive_halving``: `SuccessiveHalvingPruner` with the same minimum resource.
    None means ``none``.
    """
    import optuna

    if pruner is None:
        return optuna.pruners.NopPruner()
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if not isinstance(pruner, str):
        raise TypeError(
            f"pruner must be one of {', '.join(PRUNERS)} or an optuna pruner, "
            f"got {type(pruner).__name__}"
        )
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    key = pruner.strip().lower().replace("-", "_")
    min_resource = max(1, int(warmup_steps))
    if key in ("none", "nop", "off", "no"):
        return optuna.pruners.NopPruner()
    if key == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials,
                                           n_warmup_steps=int(warmup_steps))
    if key == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, reduction_factor=3)
    if key in ("successive_halving", "sha", "asha"):
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource,
                                                      reduction_factor=3)
    raise ValueError(f"unknown pruner {pruner!r}; known pruners: {', '.join(PRUNERS)}")
