"""ApproxNDCG (Qin, Liu & Li, Information Retrieval 2010): NDCG with smoothed ranks.

Each document's rank is replaced by the differentiable estimate
``r_i = 1 + sum_{j != i} sigmoid(alpha * (s_j - s_i))`` over the real documents of its list;
the loss is ``-sum_i G_i / log2(1 + r_i) / IDCG`` with ``G = 2^l - 1`` (or ``l``). It needs whole
[batch, list, list] matrices: beyond ``MAX_LIST_MATRIX`` elements it refuses with an error
naming the list length. Lists whose
ideal DCG is 0 carry no signal and are left out of the mean.
"""

from __future__ import annotations

import torch

from ._common import (
    check_numbers,
    gains,
    ideal_dcg,
    prepare,
    reduce_lists,
)
from .pairs import check_pair_matrix


def approx_ranks(scores: torch.Tensor, mask: torch.Tensor, alpha: float) -> torch.Tensor:
    """Smoothed 1-based ranks [batch, list]; padding neither counts nor gets a meaningful rank."""
    diff = scores.unsqueeze(1) - scores.unsqueeze(2)  # [b, i, j] = s_j - s_i
    sig = torch.sigmoid(alpha * diff)
    others = mask.unsqueeze(1) & mask.unsqueeze(2)
    others = others & ~torch.eye(scores.shape[1], dtype=torch.bool, device=scores.device)
    sig = torch.where(others, sig, torch.zeros((), dtype=scores.dtype, device=scores.device))
    return 1.0 + sig.sum(dim=2)


def approxndcg_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    alpha: float = 1.0, gain: str = "exponential", reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative approximate NDCG over the whole list.

    Parameters
    ----------
    alpha : float, default 1.0
        Sharpness of the sigmoid rank approximation (> 0; larger is closer to NDCG).
    gain : {"exponential", "linear"}
        Label gain (``"exp2"``: deprecated alias of ``"exponential"``).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over lists with a positive ideal DCG, ``"sum"`` or ``"none"``.
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    check_numbers("approxndcg_loss", alpha=alpha)
    scores, labels, mask, weights = prepare("approxndcg_loss", scores, labels, mask, weights,
                                            reduction)
    check_pair_matrix("approxndcg_loss", scores.shape[0], scores.shape[1])
    g = gains(labels, gain)
    idcg = ideal_dcg(g, mask, None)
    ranks = approx_ranks(scores, mask, alpha)
    dcg = torch.where(mask, g / torch.log2(1.0 + ranks), torch.zeros_like(g)).sum(dim=1)
    valid = idcg > 0
    per_list = -dcg / torch.where(valid, idcg, torch.ones_like(idcg))
    return reduce_lists(per_list, valid, weights, reduction)

