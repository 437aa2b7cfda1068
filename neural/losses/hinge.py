"""Pairwise hinge (margin) loss: PyTorch's ``MarginRankingLoss`` over the pairs of each list.

For every pair of real documents with ``labels[i] > labels[j]`` the loss is
``max(0, margin - (s_i - s_j))``, which is ``torch.nn.MarginRankingLoss(margin)`` on
``(x1 = s_i, x2 = s_j, y = 1)``. Every ordered pair ``(i, j)`` with different labels, in
``MarginRankingLoss``'s terms with target ``y = sign(labels[i] - labels[j])``, gives the same
value as its mirror ``(j, i)``: the ``"mean"`` over ordered pairs equals the mean over the
pairs ``labels[i] > labels[j]`` used here, and the ``"sum"`` over ordered pairs is twice this
``"sum"``. Pairs of equal labels carry no target and are left out. TF-Ranking's
``PairwiseHingeLoss`` is ``margin = 1``. Pairs are formed by blocks of bounded size
(`neural.losses.pairs`).
"""

from __future__ import annotations

import torch

from ._common import check_numbers, prepare, reduce_by_count
from .pairs import pairwise_sum
from .ranknet import ranknet_weight_block


def hinge_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    margin: float = 1.0, reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pairwise hinge loss ``max(0, margin - (s_i - s_j))`` over pairs ``labels[i] > labels[j]``.

    Parameters
    ----------
    margin : float, default 1.0
        The margin, >= 0 (``MarginRankingLoss`` defaults to 0, TF-Ranking to 1).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over all pairs of the batch (equal to ``MarginRankingLoss(reduction="mean")``
        on the batch's pairs), ``"sum"``, or ``"none"`` for the per-list sums [batch].
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).

    Returns
    -------
    Tensor
        A scalar, or [batch] with ``reduction="none"``; 0 when the batch has no pair. The
        gradient at the kink ``s_i - s_j = margin`` is 0 (as PyTorch's ``relu``).
    """
    check_numbers("hinge_loss", margin=margin)
    scores, labels, mask, weights = prepare("hinge_loss", scores, labels, mask, weights,
                                            reduction)
    block = ranknet_weight_block(labels, scores, mask, None)  # 1[labels[i] > labels[j]]
    per_list, counts = pairwise_sum(scores, block, kind="hinge", scale=1.0, offset=margin)
    return reduce_by_count(per_list, counts, weights, reduction)
