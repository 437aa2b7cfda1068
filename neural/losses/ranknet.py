"""RankNet's pairwise logistic loss (Burges et al., ICML 2005) and its LambdaRank weighting.

For every list and every pair of real documents with ``labels[i] > labels[j]`` the loss is
``w_ij * log(1 + exp(-sigma * (s_i - s_j)))``. The pairs of all lists of the batch are formed
as ``[batch, list, list]`` tensors by blocks of at most ``MAX_PAIR_BLOCK`` elements (see
`neural.losses.pairs`): memory stays bounded for any list length (a 50,000-document query
included), loss and gradient are exact, and no Python loop runs over the pairs of a block.

Weightings ``w_ij``:

- ``None``: 1 (plain RankNet);
- ``"delta_gain"``: ``|G_i - G_j|`` with ``G = 2^l - 1`` (``gain="exponential"``, default) or
  ``G = l`` (``gain="linear"``);
- ``"delta_ndcg"``: LambdaRank's ``|ΔNDCG_ij|`` = ``|G_i - G_j| * |D(r_i) - D(r_j)| / IDCG``,
  where ``r`` is each document's 1-based rank under the current scores (ties broken by list
  position; treated as a constant, as in LambdaRank), ``D(r) = 1/log2(1 + r)`` (0 beyond
  ``k`` when ``k`` is given) and ``IDCG`` the list's ideal DCG (@k).
"""

from __future__ import annotations

import torch

from ._common import (
    check_numbers,
    gains,
    ideal_dcg,
    prepare,
    rank_discounts,
    reduce_by_count,
)
from .pairs import WeightBlock, pairwise_sum

WEIGHTINGS = (None, "delta_gain", "delta_ndcg")


def current_ranks(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """1-based rank of each document by descending score, ties broken by position [batch, list].

    Padding is ranked after every real document. Not differentiable (integer output).
    """
    neg_inf = torch.tensor(float("-inf"), dtype=scores.dtype, device=scores.device)
    order = torch.sort(torch.where(mask, scores.detach(), neg_inf), dim=1, descending=True,
                       stable=True).indices
    ranks = torch.empty_like(order)
    positions = torch.arange(1, scores.shape[1] + 1, device=scores.device).expand_as(order)
    ranks.scatter_(1, order, positions)
    return ranks


def ranknet_weight_block(
    labels: torch.Tensor,
    scores: torch.Tensor,
    mask: torch.Tensor,
    weighting: str | None,
    *,
    gain: str = "exponential",
    k: int | None = None,
) -> WeightBlock:
    """The pair weights ``1[y_i > y_j] * w_ij`` as a block function for `pairwise_sum`.

    ``labels`` and ``scores`` are the padded-and-cleaned tensors of `check_inputs`; only
    [batch, list] vectors are kept, each block of pairs is formed when asked for.
    """
    # Padding never wins (left label -inf) and never loses (right label +inf) a pair.
    left = labels.masked_fill(~mask, float("-inf"))
    right = labels.masked_fill(~mask, float("inf"))
    g = gains(labels, gain) if weighting is not None else None
    d = None
    if weighting == "delta_ndcg":
        ranks = current_ranks(scores, mask)
        d = rank_discounts(scores.shape[1], k, scores.dtype, scores.device)[ranks - 1]
        idcg = ideal_dcg(g, mask, k)
        inv = torch.where(idcg > 0, 1.0 / idcg.clamp_min(torch.finfo(idcg.dtype).tiny),
                          torch.zeros_like(idcg))
        d = d * inv.unsqueeze(1)  # |d_i/I - d_j/I| = |d_i - d_j| / I

    def block(lists: slice, rows: slice) -> tuple[torch.Tensor, torch.Tensor]:
        w = (left[lists, rows].unsqueeze(2) > right[lists].unsqueeze(1)).to(scores.dtype)
        count = w.sum(dim=(1, 2))
        if g is not None:
            w.mul_((g[lists, rows].unsqueeze(2) - g[lists].unsqueeze(1)).abs_())
        if d is not None:
            w.mul_((d[lists, rows].unsqueeze(2) - d[lists].unsqueeze(1)).abs_())
        return w, count

    return block


def ranknet_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    sigma: float = 1.0, weighting: str | None = None, gain: str = "exponential",
    k: int | None = None, reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pairwise logistic (RankNet) loss over all pairs ``labels[i] > labels[j]`` of each list.

    Parameters
    ----------
    sigma : float, default 1.0
        Steepness of the logistic (Burges' sigma), > 0.
    weighting : {None, "delta_gain", "delta_ndcg"}
        Pair weights, see the module docstring (``"delta_ndcg"`` is LambdaRank).
    gain : {"exponential", "linear"}
        Gain of the weightings (``"exp2"``: deprecated alias of ``"exponential"``).
    k : int, optional
        Truncation of the |ΔNDCG| discount (None: whole list).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over all pairs of the batch (a list's weight counts once per pair),
        ``"sum"``, or ``"none"`` for the (weighted) per-list sums [batch].
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).

    Returns
    -------
    Tensor
        A scalar, or [batch] with ``reduction="none"``. A batch without any pair gives 0
        (still connected to ``scores``). The gradient is exact; the |ΔNDCG| weights are
        constants (LambdaRank). Second derivatives are not supported.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"ranknet_loss: weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    check_numbers("ranknet_loss", sigma=sigma, k=k)
    scores, labels, mask, weights = prepare("ranknet_loss", scores, labels, mask, weights,
                                            reduction)
    with torch.no_grad():
        block = ranknet_weight_block(labels, scores, mask, weighting, gain=gain, k=k)
    per_list, counts = pairwise_sum(scores, block, kind="logistic", scale=sigma)
    return reduce_by_count(per_list, counts, weights, reduction)


def lambdarank_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    sigma: float = 1.0, gain: str = "exponential", k: int | None = None,
    reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """RankNet loss weighted by LambdaRank's |ΔNDCG| (see `ranknet_loss`)."""
    return ranknet_loss(scores, labels, mask, sigma=sigma, weighting="delta_ndcg", gain=gain,
                        k=k, reduction=reduction, weights=weights)
