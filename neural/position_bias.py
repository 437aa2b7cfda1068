"""Position-bias correction for the neural rankers (``NeuralRanker(position_bias=...)``).

Three unbiased learning-to-rank methods, trained from a click log whose rows carry the
1-based rank at which they were shown (`boostrank.data.RankingData.position`):

- ``position_bias="dla"`` (what True means for ``loss="softmax"`` / ``"rmse"``): the dual
  learning algorithm (Ai et al., SIGIR 2018). A propensity model (one logit per position)
  is learned jointly with the ranker: the ranker's loss weights each click by the inverse
  of its position's estimated propensity, the propensity model's softmax loss weights it by
  the inverse of the ranker's relevance ratio (`DualLearningLoss`).
- ``position_bias="learned"`` (what True means for the other losses): a position-aware
  tower, PAL style (Guo et al., RecSys 2019). In training the logit of a document is
  ``relevance(x) + bias[position]``; any loss can train this way.
- ``position_bias="ipw"``: inverse propensity weighting (Joachims et al., WSDM 2017): a
  click at rank ``r`` counts ``1 / propensity[r]`` in the loss target. ``propensities``
  gives them (an array, ``propensities[r - 1]`` for rank ``r``, normalised so rank 1 is 1);
  without it they are first estimated by a ``"dla"`` fit of the same model under the softmax
  loss (two stages).

IPW and DLA are unbiased for losses linear in the labels, so they are offered for
``softmax`` (TF-Ranking's label-normalised softmax cross entropy, the loss of the IPW
papers) and ``rmse`` (pointwise regression on ``click / propensity``) only: ListNet's target
``softmax(labels)`` and the pairwise losses (which compare labels, not add them) are not
unbiased under reweighted labels.

The position term is dropped at prediction: `predict` scores relevance alone and never
needs positions. ``propensities_`` (n_positions,) float64, rank 1 first and equal to 1, is
set after every ``position_bias`` fit: ``exp(bias[r] - bias[1])`` for the learned modes (with
the softmax-family losses the additive bias is the log of a multiplicative examination
factor), the propensities used for IPW.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from boostrank.boosters.position_bias import require_positions
from boostrank.data.ranking_data import RankingData
from boostrank.params import Satisfies

__all__ = ["BIAS_STEP_SCALE", "IPW_LOSSES", "MAX_DLA_WEIGHT", "POSITION_BIAS_CONSTRAINTS",
           "POSITION_BIAS_MODES", "POSITION_COLUMN_SCALE", "DualLearningLoss",
           "PositionBiasScorer", "PositionTraining", "check_propensities", "ipw_labels",
           "plan_position_training", "resolve_position_bias", "with_labels",
           "with_position_column"]

#: accepted values of ``position_bias`` (True: "dla" for the `IPW_LOSSES`, else "learned")
POSITION_BIAS_MODES = (False, True, "dla", "learned", "ipw")
#: largest inverse propensity (or inverse relevance ratio) weight of the dual learning
#: algorithm, as ULTRA's ``max_propensity_weight``: bounds the variance of rare positions
MAX_DLA_WEIGHT = 100.0
#: losses inverse propensity weighting is valid for (linear in the labels)
IPW_LOSSES = frozenset({"softmax", "rmse"})
#: a training row's position travels as an extra feature column holding position * this
#: scale, far beyond any ``input_noise`` (the noise is added to every column)
POSITION_COLUMN_SCALE = 4096.0
#: the position biases are stored divided by this factor: Adam moves a parameter by about
#: the learning rate per step whatever its gradient's scale, so a log-propensity of -2 would
#: take thousands of steps at 1e-3; scaled, the biases move this many times faster
BIAS_STEP_SCALE = 50.0


def resolve_position_bias(value: Any, loss: str, owner: str) -> str | None:
    """``position_bias`` -> None (off), ``"learned"`` or ``"ipw"``; one clear error otherwise.

    ``loss`` is the canonical loss name (IPW needs one of `IPW_LOSSES`).
    """
    if value is False or value is None or (isinstance(value, np.bool_) and not value):
        return None
    if value is True or (isinstance(value, np.bool_) and value):
        return "dla" if loss in IPW_LOSSES else "learned"
    if isinstance(value, str) and value in ("dla", "learned", "ipw"):
        if value != "learned" and loss not in IPW_LOSSES:
            raise ValueError(
                f"{owner}: position_bias={value!r} ({_METHODS[value]}) weights clicks by inverse "
                f"propensities, which is unbiased only for losses linear in the labels: "
                f"{sorted(IPW_LOSSES)}; loss={loss!r} is not one of them. Use loss='softmax', "
                "or position_bias='learned' (a learned position bias, any loss)")
        return value
    raise ValueError(f"{owner}: position_bias must be one of False, True, 'dla', 'learned', "
                     f"'ipw'; got {value!r}")


_METHODS = {"dla": "the dual learning algorithm", "ipw": "inverse propensity weighting"}


def check_propensities(propensities: Any, owner: str) -> np.ndarray | None:
    """``propensities`` -> (n_positions,) float64 normalised so rank 1 is 1 (None stays None).

    Raises ValueError naming the parameter for an empty, non-1-D, non-finite or non-positive
    array.
    """
    if propensities is None:
        return None
    try:
        values = np.asarray(propensities, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: propensities must be an array of numbers, one per rank "
                         f"(propensities[r - 1] for rank r); got {propensities!r}") from None
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{owner}: propensities must be a non-empty 1-D array, one value per "
                         f"rank; got shape {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{owner}: propensities must be finite and > 0; propensities[{i}] "
                         f"(rank {i + 1}) = {values[i]!r}")
    return values / values[0]


def ipw_labels(labels: np.ndarray, positions: np.ndarray, propensities: np.ndarray,
               owner: str) -> np.ndarray:
    """Clicks (n_rows,) divided by the propensity of their rank: ``y / propensities[pos - 1]``.

    Raises ValueError when a position is beyond the propensities given.
    """
    positions = np.asarray(positions, dtype=np.int64)
    top = int(positions.max(initial=1))
    if top > propensities.size:
        raise ValueError(f"{owner}: training positions go up to {top}, but propensities has "
                         f"{propensities.size} values (ranks 1..{propensities.size}); give "
                         "one propensity per rank shown")
    return np.asarray(labels, dtype=np.float64) / propensities[positions - 1]


def _mode_value(value: Any) -> bool:
    return any(value is mode or (isinstance(value, str) and value == mode)
               for mode in POSITION_BIAS_MODES) or isinstance(value, np.bool_)


def _propensity_values(value: Any) -> bool:
    check_propensities(value, "propensities")
    return True


#: declared constraints of ``position_bias`` and ``propensities`` (`boostrank.params` style)
POSITION_BIAS_CONSTRAINTS: dict[str, list[Any]] = {
    "position_bias": [Satisfies(_mode_value, "one of False, True, 'learned', 'ipw'")],
    "propensities": [None, Satisfies(_propensity_values, "a 1-D array of propensities > 0, "
                                                         "one per rank (rank 1 first)")],
}


def with_position_column(Z: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Features [n_rows, n_features] plus a last column encoding each row's position."""
    column = np.asarray(positions, dtype=Z.dtype)[:, None] * POSITION_COLUMN_SCALE
    return np.concatenate([Z, column], axis=1)


class PositionBiasScorer(nn.Module):
    """A scorer plus one learned bias per display position (the PAL tower).

    Parameters
    ----------
    relevance : nn.Module
        The relevance scorer (pointwise ``[n, F] -> [n]`` or listwise ``([L, len, F], mask)
        -> [L, len]``).
    n_features : int
        Its input width ``F``.
    n_positions : int
        Positions 1..n_positions get a bias (position 1's is fixed at 0; larger positions
        share the last bias).

    dual : bool, default False
        For the dual learning algorithm: the training output keeps relevance and position
        logit apart (see below).

    An input with ``F + 1`` columns carries the position in the last one
    (`with_position_column`) and is scored ``relevance(x) + bias[position]`` (``dual``: the
    stack ``[relevance(x), bias[position], position]`` on a last axis of 3, for
    `DualLearningLoss`); an input with ``F`` columns (evaluation, prediction) gets the
    relevance score alone.
    """

    def __init__(self, relevance: nn.Module, n_features: int, n_positions: int,
                 dual: bool = False) -> None:
        super().__init__()
        self.relevance = relevance
        self.n_features = int(n_features)
        self.n_positions = max(1, int(n_positions))
        self.dual = bool(dual)
        self.bias = nn.Parameter(torch.zeros(self.n_positions - 1))  # bias / BIAS_STEP_SCALE

    def position_bias(self, position_column: torch.Tensor) -> torch.Tensor:
        """Bias per entry of a position column (same shape), position 1's being 0."""
        index = torch.round(position_column.float() / POSITION_COLUMN_SCALE).long()
        index = index.clamp(1, self.n_positions) - 1
        full = torch.cat([self.bias.new_zeros(1), self.bias * BIAS_STEP_SCALE])
        return full[index]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if x.shape[-1] == self.n_features:
            return self.relevance(x) if mask is None else self.relevance(x, mask)
        features, column = x[..., :self.n_features], x[..., self.n_features]
        scores = self.relevance(features) if mask is None else self.relevance(features, mask)
        bias = self.position_bias(column).to(scores.dtype)
        if self.dual:
            position = torch.round(column / POSITION_COLUMN_SCALE).to(scores.dtype)
            return torch.stack([scores, bias, position], dim=-1)
        return scores + bias

    def propensities(self) -> np.ndarray:
        """``exp(bias[r] - bias[1])`` per rank (n_positions,) float64, rank 1 first (= 1)."""
        full = torch.cat([self.bias.detach().new_zeros(1), self.bias.detach() * BIAS_STEP_SCALE])
        return torch.exp(full.double()).cpu().numpy()


class DualLearningLoss(nn.Module):
    """The dual learning algorithm (Ai et al., SIGIR 2018) around an IPW-valid list loss.

    Takes the stacked training output of a ``dual`` `PositionBiasScorer`, scores
    [lists, len, 3] = (relevance ``f``, position logit ``b``, position). Two losses, each
    weighted by the other model's (detached) estimate:

    - ranking: ``base(f, clicks * P_1 / P_i)``, inverse propensity weighting with the
      propensity ratio ``P_i / P_1 = exp(b_i)`` (position 1's logit is 0);
    - propensity: softmax cross entropy of ``b`` with target ``clicks * R_top / R_i``,
      inverse relevance weighting with ``R = softmax(f)`` and ``top`` the best-placed
      document of the list.

    Weights are capped at `MAX_DLA_WEIGHT`. The sum of both is returned.
    """

    def __init__(self, base: nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor,
                weights: torch.Tensor | None = None) -> torch.Tensor:
        from .losses import softmax_loss

        relevance, logit, position = scores[..., 0], scores[..., 1], scores[..., 2]
        with torch.no_grad():
            inverse_propensity = torch.exp(-logit).clamp(max=MAX_DLA_WEIGHT)
            top = position.masked_fill(~mask, float("inf")).argmin(dim=1, keepdim=True)
            ratio = torch.exp(relevance.gather(1, top) - relevance)
            inverse_relevance = ratio.clamp(max=MAX_DLA_WEIGHT).masked_fill(~mask, 0.0)
        ranking = self.base(relevance, labels * inverse_propensity, mask, weights)
        propensity = softmax_loss(logit, labels * inverse_relevance, mask, weights=weights)
        return ranking + propensity


def with_labels(train: RankingData, labels: np.ndarray) -> RankingData:
    """``train`` with other labels (same rows); positions kept."""
    return RankingData(train.X, labels, train.qid, group_offsets=train.group_offsets,
                       position=train.position, feature_names=train.feature_names)


class PositionTraining:
    """What one ``position_bias`` fit changes in training (built by `plan_position_training`).

    ``mode``: ``"dla"``, ``"learned"`` or ``"ipw"``; ``positions``: (n_rows,) int64 of the training rows;
    ``propensities``: (n_positions,) for IPW (rank 1 = 1), None for the learned mode until
    `finish` reads them off the tower.
    """

    def __init__(self, mode: str, positions: np.ndarray,
                 propensities: np.ndarray | None, owner: str) -> None:
        self.mode = mode
        self.positions = np.asarray(positions, dtype=np.int64)
        self.propensities = propensities
        self.owner = owner

    def training_data(self, train: RankingData) -> RankingData:
        """IPW: ``train`` with labels ``click / propensity[position]``; else ``train``."""
        if self.mode != "ipw":
            return train
        return with_labels(train, ipw_labels(train.y, self.positions, self.propensities,
                                             self.owner))

    def training_features(self, Z: np.ndarray) -> np.ndarray:
        """Learned / DLA: preprocessed features plus the position column; IPW: ``Z``."""
        if self.mode == "ipw":
            return Z
        return with_position_column(Z, self.positions)

    def wrap(self, model: nn.Module, n_features: int) -> nn.Module:
        """Learned / DLA: the model inside a `PositionBiasScorer`; IPW: the model."""
        if self.mode == "ipw":
            return model
        return PositionBiasScorer(model, n_features, int(self.positions.max(initial=1)),
                                  dual=self.mode == "dla")

    def wrap_loss(self, loss: nn.Module) -> nn.Module:
        """DLA: the loss inside a `DualLearningLoss`; else the loss."""
        return DualLearningLoss(loss) if self.mode == "dla" else loss

    def finish(self, model: nn.Module) -> tuple[nn.Module, np.ndarray]:
        """(the relevance model kept for prediction, ``propensities_``)."""
        if isinstance(model, PositionBiasScorer):
            return model.relevance, model.propensities()
        return model, np.asarray(self.propensities, dtype=np.float64)


def plan_position_training(ranker: Any, train: RankingData,
                           eval_sets: list[tuple[str, RankingData]],
                           sample_weight: np.ndarray | None) -> PositionTraining | None:
    """The position-bias plan of a `NeuralRanker` fit (None when ``position_bias`` is off).

    The positions are the training rows' (``train.position``: ``fit(position=...)`` or the
    `RankingData`'s; none is the one clear error). IPW without ``propensities`` first estimates them with a learned-bias fit of the
    same model under the softmax loss (whose bias is a log examination factor), on the same
    data and eval sets.
    """
    owner = type(ranker).__name__
    mode = resolve_position_bias(ranker.position_bias, ranker._loss_name(), owner)
    if mode is None:
        return None
    positions = require_positions(train, owner)
    propensities = check_propensities(getattr(ranker, "propensities", None), owner)
    if mode != "ipw" and propensities is not None:
        raise ValueError(f"{owner}: propensities are used by position_bias='ipw' only; "
                         f"position_bias={ranker.position_bias!r} learns them (set "
                         "propensities=None)")
    if mode == "ipw" and propensities is None:
        from sklearn.base import clone

        stage = clone(ranker).set_params(position_bias="dla", propensities=None,
                                         loss="softmax", loss_params=None)
        stage.fit(train, eval_set=dict(eval_sets) or None,
                  sample_weight=sample_weight)
        propensities = stage.propensities_
    return PositionTraining(mode, positions, propensities, owner)
