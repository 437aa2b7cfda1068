"""Refitting a trial's configuration after the study, and the held-out comparison of the
default configuration with the best trial.

Two ways to refit (``tune(refit=...)``):

- ``"train"``: fit on ``train`` with early stopping on ``valid``, as the trials did;
- ``"train+valid"`` (the default with ``cv``), or ``"train"`` without a validation set: fit on
  all the data given for the number of rounds / epochs the trial kept (the mean over folds
  with ``cv``), with early stopping off, since no held-out part is left to stop on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from boostrank.data.ranking_data import RankingData

from .objective import BEST_EPOCH_ATTR, BEST_ITERATION_ATTR, DEFAULT_TRIAL_ATTR
from .result import trial_params

__all__ = ["default_trial", "refit_data", "refit_estimator", "refit_params"]

#: estimator parameter capping the rounds / epochs -> user attribute with what a trial kept
ROUNDS_PARAMS = {"n_estimators": BEST_ITERATION_ATTR, "n_epochs": BEST_EPOCH_ATTR}


def default_trial(study: Any) -> Any:
    """The completed trial of the estimator's own configuration, or None."""
    from optuna.trial import TrialState

    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if trial.user_attrs.get(DEFAULT_TRIAL_ATTR):
            return trial
    return None


def refit_params(trial: Any, base: dict[str, Any], settings: dict[str, Any], *,
                 fixed_rounds: bool) -> dict[str, Any]:
    """Estimator parameters reproducing ``trial`` (None: the estimator's own configuration),
    with the tuning ``settings`` that differ from ``base``; with ``fixed_rounds`` the rounds /
    epochs the trial kept and early stopping off."""
    params = {} if trial is None else trial_params(trial)
    for name, value in settings.items():
        if base.get(name) != value:
            params[name] = value
    if not fixed_rounds:
        return params
    for name, attr in ROUNDS_PARAMS.items():
        kept = None if trial is None else trial.user_attrs.get(attr)
        if name in base and kept:
            params[name] = max(1, int(round(float(np.mean(kept)))))
    if "early_stopping_rounds" in base and params.get(
            "early_stopping_rounds", base["early_stopping_rounds"]) is not None:
        params["early_stopping_rounds"] = None
    return params


def refit_data(mode: str, train: RankingData,
               valid: RankingData | None) -> tuple[RankingData, RankingData | None, bool]:
    """``(fit data, eval set, fixed_rounds)`` for a refit ``mode`` (module docstring)."""
    if mode == "train" and valid is not None:
        return train, valid, False
    if mode == "train+valid" and valid is not None:
        return RankingData.concat([train, valid]), None, True
    return train, None, True


def refit_estimator(estimator: Any, params: dict[str, Any], train: RankingData,
                    valid: RankingData | None) -> Any:
    """A fitted clone of ``estimator`` with ``params`` (early stopping on ``valid``)."""
    from sklearn.base import clone

    model = clone(estimator).set_params(**params)
    model.fit(train, eval_set=valid)
    return model
