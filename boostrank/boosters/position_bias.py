"""Position-bias correction: the ``position_bias`` switch every boostrank ranker shares.

A click log (`boostrank.clicks.simulate_clicks`, or a LibSVM file with a ``.position``
sidecar) records the 1-based rank at which each document was shown (`RankingData.position`).
Documents shown higher get more clicks whatever their relevance; a ranker trained on raw
clicks learns that bias. With ``position_bias=True`` an estimator corrects for it:

- `LightGBMLambdaMART`: the positions go to ``lightgbm.Dataset(position=...)`` and LightGBM
  learns one bias factor per position next to the trees (its GAM-style position term, also
  called unbiased lambdarank), regularised by ``position_bias_regularization``
  (``lambdarank_position_bias_regularization``). Only ``objective='lambdarank'`` uses it.
- `XGBoostLambdaMART`: Unbiased LambdaMART (``lambdarank_unbiased=True``, with
  ``lambdarank_bias_norm`` = ``position_bias_norm``). XGBoost reads a document's position
  from its row order inside the query, so the training rows are sorted by position inside
  each query (stably) before they reach XGBoost; `predict` scores rows in the caller's order.
  XGBoost's per-query gradient normalization (``lambdarank_normalization``) is off unless
  ``params`` sets it: it would rescale each query's inverse-propensity-weighted gradients
  and undo the weights across queries.
- the neural rankers: see `neural.position_bias` (inverse propensity weighting or a learned
  position bias term).

Whatever the family, `predict` never needs positions: the position term only exists in
training. This module holds what the estimators share: the constructor-parameter
constraints, the training positions (`require_positions`: ``fit(position=...)`` or a
`RankingData`'s ``.position``, grouped with the rows by `boostrank.validation.to_ranking_data`),
the row order XGBoost needs (`position_sorted_order`) and XGBoost's estimated biases
(`xgboost_position_biases`).
"""

from __future__ import annotations

import json
from numbers import Real
from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from ..params import InstanceOf, Interval

__all__ = ["POSITION_BIAS_HINT", "lightgbm_positions",
           "missing_positions_error", "position_bias_constraints", "position_sorted_order",
           "require_positions", "xgboost_position_biases"]

#: how to give positions, quoted by every "no positions" error
POSITION_BIAS_HINT = (
    "pass a RankingData whose .position holds the 1-based rank at which each row was shown "
    "(boostrank.clicks.simulate_clicks makes one; load_libsvm reads a <file>.position sidecar "
    "or position_file=), or fit(X, y, qid=..., position=...)")


def position_bias_constraints(**extra: list[Any]) -> dict[str, list[Any]]:
    """Constraints of ``position_bias`` (a bool) plus ``extra`` (e.g. the regularisation)."""
    return {"position_bias": [InstanceOf(bool, np.bool_, description="a bool")], **extra}


#: constraint of a non-negative real parameter (regularisation, norms)
NON_NEGATIVE = [Interval(Real, 0, None, closed="left")]


def missing_positions_error(owner: str) -> ValueError:
    """The one error of a ``position_bias=True`` fit on data without positions."""
    return ValueError(f"{owner}(position_bias=True) needs the display position of every "
                      f"training row, and the training data has none: {POSITION_BIAS_HINT}")


def require_positions(train: RankingData, owner: str) -> np.ndarray:
    """The training rows' positions (``train.position``, set by ``fit(position=...)`` or
    carried by a `RankingData`); the one clear error (`missing_positions_error`) when there
    are none."""
    if train.position is None:
        raise missing_positions_error(owner)
    return np.asarray(train.position, dtype=np.int64)


def lightgbm_positions(positions: np.ndarray) -> np.ndarray:
    """1-based positions -> LightGBM's position ids (int32, 0-based).

    LightGBM maps the distinct position values to its bias factors, so 0- or 1-based ids
    train the same model; 0-based ids are what LightGBM's examples use.
    """
    return (np.asarray(positions, dtype=np.int64) - 1).astype(np.int32)


def position_sorted_order(train: RankingData, positions: np.ndarray) -> np.ndarray | None:
    """Row order (n_rows,) int64 that sorts the rows of each query by position (stable).

    Queries keep their place; None when every query is already in position order.
    """
    positions = np.asarray(positions, dtype=np.int64)
    query_index = np.repeat(np.arange(train.n_queries), train.group_sizes)
    order = np.lexsort((np.arange(train.n_rows), positions, query_index))
    if np.array_equal(order, np.arange(train.n_rows)):
        return None
    return order.astype(np.int64)


def xgboost_position_biases(booster: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Unbiased LambdaMART's estimated biases of an XGBoost booster, per position.

    Returns ``(t_plus, t_minus)``, each (n_positions,) float64 with position 1 first:
    ``t_plus`` (XGBoost ``ti+``) the click propensity of each position relative to
    position 1, ``t_minus`` (``tj-``) the bias at non-clicked positions; None when the
    booster did not train with ``lambdarank_unbiased``. XGBoost estimates them for its
    first 32 positions.
    """
    objective = json.loads(booster.save_config())["learner"]["objective"]
    if "ti+" not in objective:
        return None
    unbiased = objective.get("lambdarank_param", {}).get("lambdarank_unbiased", "0")
    if str(unbiased).lower() in ("0", "false"):
        return None
    return (np.asarray(objective["ti+"], dtype=np.float64),
            np.asarray(objective["tj-"], dtype=np.float64))
