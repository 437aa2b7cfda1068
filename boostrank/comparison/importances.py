"""Feature importances of a fitted model, as the comparison report records them.

A model reports importances when it has ``feature_importances_`` (the boosters, LightGBM's and
XGBoost's own scikit-learn rankers, tree ensembles); the neural rankers have none. The values
are kept as the model returns them (the report normalises them to sum 1 per model), keyed by
the training data's feature names (``f{j}`` for column ``j`` when the data has none).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

#: ``feature_importances_`` of `boostrank.boosters.BoosterRanker` without an
#: ``importance_type`` parameter: total split gain per feature (LightGBM's "gain",
#: XGBoost's "total_gain"), normalised to sum 1
BOOSTER_DEFAULT_IMPORTANCE = "gain"


def feature_names_of(data: Any) -> list[str]:
    """The feature names of a `RankingData` (n_features,): its own, else ``f0, f1, ...``."""
    names = getattr(data, "feature_names", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"f{j}" for j in range(int(data.n_features))]


def model_importances(estimator: Any, train: Any, label: str
                      ) -> tuple[dict[str, float] | None, str | None]:
    """``(importances, importance_type)`` of a fitted ``estimator`` trained on ``train``.

    Parameters
    ----------
    estimator : fitted model
    train : RankingData
        Its ``feature_names`` (or ``f{j}``) name the features.
    label : str
        The model's label in the comparison (named in the warning below).

    Returns
    -------
    importances : dict or None
        Feature name -> importance (float), in column order; None when the model has no
        ``feature_importances_`` or they are not one value per training feature (a
        ``UserWarning`` names the model and the shape then).
    importance_type : str or None
        What the values measure (see `importance_type_of`); None with no importances.
    """
    try:
        raw = estimator.feature_importances_
    except AttributeError:  # no such attribute, or not fitted (sklearn's NotFittedError)
        return None, None
    if raw is None:
        return None, None
    values = np.asarray(raw, dtype=np.float64)
    names = feature_names_of(train)
    if values.shape != (len(names),):
        warnings.warn(f"{label}: feature_importances_ has shape {values.shape}, not one value "
                      f"per training feature ({len(names)},); importances left out of the "
                      "report", UserWarning, stacklevel=2)
        return None, None
    importances = {name: float(v) for name, v in zip(names, values, strict=True)}
    return importances, importance_type_of(estimator)


def importance_type_of(estimator: Any) -> str | None:
    """What ``estimator.feature_importances_`` measures.

    The model's ``importance_type`` parameter when it has one set (LightGBM's ``LGBMRanker``:
    "split" by default; XGBoost's ``XGBRanker``; the boosters once they take it); else the
    backend's default: `BOOSTER_DEFAULT_IMPORTANCE` for `boostrank.boosters.BoosterRanker`,
    XGBoost's "gain" (mean gain per split; "weight" for ``booster="gblinear"``) for its
    scikit-learn models; None when unknown (the report says "model's default type").
    """
    params = estimator.get_params(deep=False) if hasattr(estimator, "get_params") else {}
    chosen = params.get("importance_type")
    if chosen is not None:
        return str(chosen)
    from ..boosters.base import BoosterRanker

    if isinstance(estimator, BoosterRanker):
        return BOOSTER_DEFAULT_IMPORTANCE
    if type(estimator).__module__.split(".")[0] == "xgboost":
        return "weight" if params.get("booster") == "gblinear" else "gain"
    return None
