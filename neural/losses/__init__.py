"""Ranking losses on padded lists: ``loss(scores [batch, list], labels, mask, ...)``.

Usable with any PyTorch model. The common arguments of every loss: ``scores`` and ``labels``
[batch, list] (one padded row per query), ``mask`` [batch, list] bool, True for real documents
(None: all real; padding is ignored exactly, even NaN, and gets a zero gradient), ``weights``
an optional [batch] weight per list, ``reduction`` ``"mean"`` (default), ``"sum"`` or
``"none"`` (per-list values [batch]). Every loss is vectorised (no Python loop per query or pair); pairwise losses form
their pair matrices by blocks of bounded size (`neural.losses.pairs`). `get_loss(name,
**params)` builds a loss module from its short name; `LOSS_PARAMS` lists the keyword
parameters of each loss and `validate_loss_params` checks them. See docs/neural.md for the
definitions and how they relate to allRank, TF-Ranking and PT-Ranking.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .approxndcg import approx_ranks, approxndcg_loss
from .hinge import hinge_loss
from .lambdaloss import WEIGHING_SCHEMES, lambdaloss_loss
from .listmle import listmle_loss
from .listnet import listnet_loss, softmax_loss
from .modules import (
    LOSSES,
    ApproxNDCGLoss,
    HingeLoss,
    LambdaLoss,
    LambdaRankLoss,
    ListLoss,
    ListMLELoss,
    ListNetLoss,
    NeuralNDCGLoss,
    OrdinalLoss,
    RankCosineLoss,
    RankNetLoss,
    RMSELoss,
    SoftmaxLoss,
    WassRankLoss,
)
from .neuralndcg import neural_sort, neuralndcg_loss, sinkhorn_scaling
from .pairs import MAX_LIST_MATRIX, MAX_PAIR_BLOCK, pairwise_sum
from .params import LOSS_PARAMS, canonical_loss_name, validate_loss_params
from .pointwise import ordinal_loss, rmse_loss
from .rankcosine import rankcosine_loss
from .ranknet import lambdarank_loss, ranknet_loss
from .wassrank import wassrank_loss

#: short name -> functional form
LOSS_FUNCTIONS = {name: cls.function for name, cls in LOSSES.items()}


def get_loss(name: str | nn.Module, **params: Any) -> nn.Module:
    """A loss module from its short name and keyword parameters.

    Parameters
    ----------
    name : str or nn.Module
        One of ``ranknet``, ``lambdarank``, ``lambdaloss``, ``hinge``, ``listnet``,
        ``softmax``, ``listmle``, ``approxndcg``, ``neuralndcg``, ``rankcosine``,
        ``wassrank``, ``rmse``, ``ordinal`` (case, ``_`` and ``-`` ignored, so
        ``approx_ndcg`` works too); a module
        passed in is returned unchanged.
    **params
        Keyword parameters of the loss (see `LOSS_PARAMS`).

    Raises
    ------
    ValueError
        Unknown loss, or a parameter the loss does not take or with a bad value.
    """
    if isinstance(name, nn.Module):
        if params:
            raise ValueError("loss_params cannot be combined with a loss module instance")
        return name
    key = canonical_loss_name(name)
    if key not in LOSSES:
        validate_loss_params(name, params)  # raises: unknown loss, naming the known ones
    return LOSSES[key](**params)  # the module validates its parameters once


__all__ = [
    "LOSSES", "LOSS_FUNCTIONS", "LOSS_PARAMS", "WEIGHING_SCHEMES", "MAX_PAIR_BLOCK",
    "MAX_LIST_MATRIX", "canonical_loss_name", "get_loss", "validate_loss_params",
    "ranknet_loss", "lambdarank_loss", "lambdaloss_loss", "hinge_loss", "listnet_loss",
    "softmax_loss", "listmle_loss", "approxndcg_loss", "neuralndcg_loss", "rankcosine_loss",
    "wassrank_loss", "rmse_loss", "ordinal_loss", "approx_ranks", "neural_sort", "sinkhorn_scaling",
    "pairwise_sum", "ListLoss", "RankNetLoss", "LambdaRankLoss", "LambdaLoss", "HingeLoss",
    "ListNetLoss", "SoftmaxLoss", "ListMLELoss", "ApproxNDCGLoss", "NeuralNDCGLoss",
    "RankCosineLoss", "WassRankLoss", "RMSELoss", "OrdinalLoss",
]
