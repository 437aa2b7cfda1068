"""Every loss as a ``torch.nn.Module``: ``loss(scores, labels, mask=None, weights=None)``.

Each module holds the keyword parameters of its function, checked once at construction by
`validate_loss_params` (so a bad parameter fails before training, and deprecated gain
spellings warn once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn

from .approxndcg import approxndcg_loss
from .hinge import hinge_loss
from .lambdaloss import lambdaloss_loss
from .listmle import listmle_loss
from .listnet import listnet_loss, softmax_loss
from .neuralndcg import neuralndcg_loss
from .params import validate_loss_params
from .pointwise import ordinal_loss, rmse_loss
from .rankcosine import rankcosine_loss
from .ranknet import lambdarank_loss, ranknet_loss
from .wassrank import wassrank_loss


class ListLoss(nn.Module):
    """A list loss with fixed keyword parameters (see `neural.losses.LOSS_PARAMS`).

    ``forward(scores [batch, list], labels [batch, list], mask [batch, list] bool or None,
    weights [batch] or None) -> scalar`` (or [batch] with ``reduction="none"``).
    """

    #: short loss name (a key of `LOSS_PARAMS`)
    loss_name: ClassVar[str]
    #: the functional form
    function: ClassVar[Callable[..., torch.Tensor]]

    def __init__(self, **params: Any) -> None:
        super().__init__()
        self.params = validate_loss_params(self.loss_name, params)

    def forward(self, scores: torch.Tensor, labels: torch.Tensor,
                mask: torch.Tensor | None = None,
                weights: torch.Tensor | None = None) -> torch.Tensor:
        return type(self).function(scores, labels, mask, weights=weights, **self.params)

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))


class RankNetLoss(ListLoss):
    """RankNet's pairwise logistic loss: `ranknet_loss` as a module."""

    loss_name = "ranknet"
    function = staticmethod(ranknet_loss)


class LambdaRankLoss(ListLoss):
    """RankNet weighted by LambdaRank's abs(delta NDCG): `lambdarank_loss` as a module."""

    loss_name = "lambdarank"
    function = staticmethod(lambdarank_loss)


class LambdaLoss(ListLoss):
    """The LambdaLoss framework with allRank's weighing schemes: `lambdaloss_loss` as a module."""

    loss_name = "lambdaloss"
    function = staticmethod(lambdaloss_loss)


class HingeLoss(ListLoss):
    """Pairwise hinge (MarginRankingLoss over the pairs of each list): `hinge_loss` as a module."""

    loss_name = "hinge"
    function = staticmethod(hinge_loss)


class ListNetLoss(ListLoss):
    """ListNet's top-one cross entropy: `listnet_loss` as a module."""

    loss_name = "listnet"
    function = staticmethod(listnet_loss)


class SoftmaxLoss(ListLoss):
    """TF-Ranking's softmax cross entropy (label-normalised target): `softmax_loss` as a module."""

    loss_name = "softmax"
    function = staticmethod(softmax_loss)


class ListMLELoss(ListLoss):
    """ListMLE's Plackett-Luce likelihood: `listmle_loss` as a module."""

    loss_name = "listmle"
    function = staticmethod(listmle_loss)


class ApproxNDCGLoss(ListLoss):
    """ApproxNDCG: `approxndcg_loss` as a module."""

    loss_name = "approxndcg"
    function = staticmethod(approxndcg_loss)


class NeuralNDCGLoss(ListLoss):
    """NeuralNDCG (standard or transposed): `neuralndcg_loss` as a module."""

    loss_name = "neuralndcg"
    function = staticmethod(neuralndcg_loss)


class RankCosineLoss(ListLoss):
    """RankCosine: `rankcosine_loss` as a module."""

    loss_name = "rankcosine"
    function = staticmethod(rankcosine_loss)


class WassRankLoss(ListLoss):
    """WassRank's entropic optimal-transport cost: `wassrank_loss` as a module."""

    loss_name = "wassrank"
    function = staticmethod(wassrank_loss)


class RMSELoss(ListLoss):
    """Per-list RMSE: `rmse_loss` as a module."""

    loss_name = "rmse"
    function = staticmethod(rmse_loss)


class OrdinalLoss(ListLoss):
    """All-threshold ordinal loss: `ordinal_loss` as a module."""

    loss_name = "ordinal"
    function = staticmethod(ordinal_loss)


LOSSES: dict[str, type[ListLoss]] = {cls.loss_name: cls for cls in (
    RankNetLoss, LambdaRankLoss, LambdaLoss, HingeLoss, ListNetLoss, SoftmaxLoss, ListMLELoss,
    ApproxNDCGLoss, NeuralNDCGLoss, RankCosineLoss, WassRankLoss, RMSELoss, OrdinalLoss)}
