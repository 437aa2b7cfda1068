"""Ranking losses on padded lists: ``loss(scores [batch, list], labels, mask, ...)``.

Usable with any PyTorch model. ``mask`` is bool, True for real documents; padding is ignored
exactly. `get_loss(name, **params)` builds a loss module from its short name.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .approxndcg import ApproxNDCGLoss, approx_ranks, approxndcg_loss
from .listmle import ListMLELoss, listmle_loss
from .listnet import ListNetLoss, listnet_loss
from .ranknet import LambdaRankLoss, RankNetLoss, lambdarank_loss, ranknet_loss

LOSSES: dict[str, type[nn.Module]] = {
    "ranknet": RankNetLoss,
    "lambdarank": LambdaRankLoss,
    "listnet": ListNetLoss,
    "listmle": ListMLELoss,
    "approxndcg": ApproxNDCGLoss,
}


def canonical_loss_name(name: str) -> str:
    """A loss's short name as `LOSSES` keys it: case, ``_`` and ``-`` ignored."""
    return str(name).strip().lower().replace("_", "").replace("-", "")


def get_loss(name: str | nn.Module, **params: Any) -> nn.Module:
    """A loss module from its short name (``ranknet``, ``lambdarank``, ``listnet``, ``listmle``,
    ``approxndcg``; case, ``_`` and ``-`` are ignored, so ``approx_ndcg`` works too) and keyword
    parameters; a module passed in is returned unchanged."""
    if isinstance(name, nn.Module):
        if params:
            raise ValueError("loss_params cannot be combined with a loss module instance")
        return name
    key = canonical_loss_name(name)
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(sorted(LOSSES))}")
    try:
        return LOSSES[key](**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for loss {key!r}: {exc}") from None


__all__ = [
    "LOSSES", "canonical_loss_name", "get_loss",
    "ranknet_loss", "lambdarank_loss", "listnet_loss", "listmle_loss", "approxndcg_loss",
    "approx_ranks",
    "RankNetLoss", "LambdaRankLoss", "ListNetLoss", "ListMLELoss", "ApproxNDCGLoss",
]
