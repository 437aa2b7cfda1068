"""Sampler names -> seeded Optuna samplers."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["SAMPLERS", "make_sampler"]

#: names accepted by `make_sampler`
SAMPLERS = ("tpe", "random", "cmaes", "qmc", "gp")


def make_sampler(sampler: Any = "tpe", *, random_state: int | None = 0) -> Any:
    """An Optuna sampler from a name (seeded with ``random_state``) or a sampler object (as is).

    ``tpe``: `optuna.samplers.TPESampler` (the default; its first 10 trials are random);
    ``random``: `RandomSampler`; ``cmaes``: `CmaEsSampler` (needs the ``cmaes`` package;
    categorical parameters fall back to random sampling); ``qmc``: scrambled Sobol
    `QMCSampler`; ``gp``: Gaussian-process `GPSampler`.
    """
    import optuna

    if isinstance(sampler, optuna.samplers.BaseSampler):
        return sampler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _named_sampler(sampler, random_state)


def _named_sampler(sampler: Any, seed: int | None) -> Any:
    import optuna

    if not isinstance(sampler, str):
        raise TypeError(
            f"sampler must be one of {', '.join(SAMPLERS)} or an optuna sampler, "
            f"got {type(sampler).__name__}"
        )
    key = sampler.strip().lower().replace("-", "_")
    if key == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if key == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if key in ("cmaes", "cma_es", "cma"):
        try:
            import cmaes  # noqa: F401
        except ImportError:
            raise ValueError(
                "sampler 'cmaes' needs the 'cmaes' package (pip install cmaes)"
            ) from None
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if key == "qmc":
        return optuna.samplers.QMCSampler(seed=seed, scramble=True,
                                          warn_independent_sampling=False)
    if key == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    raise ValueError(f"unknown sampler {sampler!r}; known samplers: {', '.join(SAMPLERS)}")
