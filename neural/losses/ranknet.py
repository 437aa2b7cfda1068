"""RankNet's pairwise logistic loss (Burges et al., ICML 2005) and its LambdaRank weighting.

For every list and every pair of real documents with ``labels[i] > labels[j]`` the loss is
``w_ij * log(1 + exp(-sigma * (s_i - s_j)))``. All pairs of all lists of the batch are formed
at once as ``[batch, list, list]`` tensors: no Python loop over queries or pairs.

Weightings ``w_ij``:

- ``None``: 1 (plain RankNet);
- ``"delta_gain"``: ``|G_i - G_j|`` with ``G = 2^l - 1`` (or ``l`` when ``gain="linear"``);
- ``"delta_ndcg"``: LambdaRank's ``|ΔNDCG_ij|`` = ``|G_i - G_j| * |D(r_i) - D(r_j)| / IDCG``,
  where ``r`` is each document's 1-based rank under the current scores (ties broken by list
  position; treated as a constant, as in LambdaRank), ``D(r) = 1/log2(1 + r)`` (0 beyond
  ``k`` when ``k`` is given) and ``IDCG`` the list's ideal DCG (@k).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from ._common import check_inputs, check_reduction, discounts, gains, ideal_dcg

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


def ranknet_pair_weights(
    labels: torch.Tensor,
    scores: torch.Tensor,
    mask: torch.Tensor,
    weighting: str | None,
    *,
    gain: str = "exp2",
    k: int | None = None,
) -> torch.Tensor | None:
    """The ``w_ij`` of each pair, shape [batch, list, list] (None for plain RankNet).

    ``labels`` and ``scores`` are the padded-and-cleaned tensors of `check_inputs`.
    """
    if weighting is None:
        return None
    g = gains(labels, gain)
    delta = (g.unsqueeze(2) - g.unsqueeze(1)).abs_()
    if weighting == "delta_gain":
        return delta
    # delta_ndcg (in-place products: one extra pair-sized buffer)
    ranks = current_ranks(scores, mask)
    disc_table = discounts(scores.shape[1], scores.dtype, scores.device)
    if k is not None:
        disc_table = torch.where(torch.arange(scores.shape[1], device=scores.device) < k,
                                 disc_table, torch.zeros_like(disc_table))
    d = disc_table[ranks - 1]
    idcg = ideal_dcg(g, mask, k)
    inv = torch.where(idcg > 0, 1.0 / idcg.clamp_min(torch.finfo(idcg.dtype).tiny),
                      torch.zeros_like(idcg))
    # scale d by 1/IDCG per list first: |d_i/I - d_j/I| = |d_i - d_j| / I
    d = d * inv.unsqueeze(1)
    return delta.mul_((d.unsqueeze(2) - d.unsqueeze(1)).abs_())


class _PairwiseLogistic(torch.autograd.Function):
    """Per-list sums of ``w_ij * softplus(sigma * (s_j - s_i))`` over pairs ``y_i > y_j``.

    Forward and gradient are computed together in one pass over the [batch, list, list] pair
    tensors (the pair weights are constants, as in LambdaRank), reusing buffers in place, so
    a training step allocates three pair-sized tensors instead of a dozen.
    Outputs: per-list loss [batch] (differentiable) and per-list pair counts [batch].
    """

    @staticmethod
    def forward(ctx, scores, left, right, pair_weights, sigma):  # noqa: D102
        batch = scores.shape[0]
        scaled = scores * sigma
        x = scaled.unsqueeze(1) - scaled.unsqueeze(2)  # x[b, i, j] = sigma * (s_j - s_i)
        w = (left.unsqueeze(2) > right.unsqueeze(1)).to(scores.dtype)
        counts = w.sum(dim=(1, 2))
        if pair_weights is not None:
            w.mul_(pair_weights)
        per_list = torch.bmm(F.softplus(x).view(batch, 1, -1), w.view(batch, -1, 1)).view(batch)
        if ctx.needs_input_grad[0]:
            lam = x.sigmoid_().mul_(w)  # d loss_ij / d x_ij, weighted
            ctx.save_for_backward(sigma * (lam.sum(dim=1) - lam.sum(dim=2)))
        ctx.mark_non_differentiable(counts)
        return per_list, counts

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_per_list, _grad_counts):  # noqa: D102
        (grad,) = ctx.saved_tensors
        return grad * grad_per_list.unsqueeze(1), None, None, None, None


def ranknet_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    sigma: float = 1.0,
    weighting: str | None = None,
    gain: str = "exp2",
    k: int | None = None,
    reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pairwise logistic (RankNet) loss over all pairs ``labels[i] > labels[j]`` of each list.

    Args:
        scores: [batch, list] model scores.
        labels: [batch, list] graded relevance.
        mask: [batch, list] bool, True for real documents (None: all real).
        sigma: steepness of the logistic (Burges' sigma), > 0.
        weighting: None, ``"delta_gain"`` or ``"delta_ndcg"`` (LambdaRank), see module doc.
        gain: ``"exp2"`` (2^l - 1) or ``"linear"`` gains for the weightings.
        k: truncation of the |ΔNDCG| discount (None: whole list).
        reduction: ``"mean"`` over all pairs of the batch (a list's weight counts once per
            pair), ``"sum"``, or ``"none"`` for the (weighted) per-list sums [batch].
        weights: optional [batch] weight per list.

    Returns:
        A scalar (``mean``/``sum``) or a [batch] tensor (``none``). A batch without any pair
        gives 0 (still connected to ``scores`` for autograd). The gradient is exact for the
        scores; the |ΔNDCG| weights are treated as constants (LambdaRank). Second derivatives
        are not supported.
    """
    check_reduction(reduction, "ranknet_loss")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"ranknet_loss: weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    if not sigma > 0:
        raise ValueError(f"ranknet_loss: sigma must be > 0, got {sigma}")
    if k is not None and k < 1:
        raise ValueError(f"ranknet_loss: k must be >= 1 or None, got {k}")
    scores, labels, mask, weights = check_inputs(scores, labels, mask, weights,
                                                 name="ranknet_loss")
    # Padding never wins (left label -inf) and never loses (right label +inf) a pair.
    left = labels.masked_fill(~mask, float("-inf"))
    right = labels.masked_fill(~mask, float("inf"))
    with torch.no_grad():
        pair_w = ranknet_pair_weights(labels, scores, mask, weighting, gain=gain, k=k)
    per_list, counts = _PairwiseLogistic.apply(scores, left, right, pair_w, float(sigma))
    if weights is not None:
        per_list = per_list * weights
        counts = counts * weights
    if reduction == "none":
        return per_list
    total = per_list.sum()
    if reduction == "sum":
        return total
    return total / counts.sum().clamp_min(torch.finfo(scores.dtype).tiny)


def lambdarank_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    sigma: float = 1.0,
    gain: str = "exp2",
    k: int | None = None,
    reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """RankNet loss weighted by LambdaRank's |ΔNDCG| (see `ranknet_loss`)."""
    return ranknet_loss(scores, labels, mask, sigma=sigma, weighting="delta_ndcg", gain=gain,
                        k=k, reduction=reduction, weights=weights)


class RankNetLoss(nn.Module):
    """`ranknet_loss` as a module: ``loss(scores, labels, mask=None, weights=None)``."""

    def __init__(self, sigma: float = 1.0, weighting: str | None = None, gain: str = "exp2",
                 k: int | None = None, reduction: str = "mean") -> None:
        super().__init__()
        self.sigma, self.weighting, self.gain, self.k = sigma, weighting, gain, k
        self.reduction = reduction

    def forward(self, scores: torch.Tensor, labels: torch.Tensor,
                mask: torch.Tensor | None = None,
                weights: torch.Tensor | None = None) -> torch.Tensor:
        return ranknet_loss(scores, labels, mask, sigma=self.sigma, weighting=self.weighting,
                            gain=self.gain, k=self.k, reduction=self.reduction, weights=weights)


class LambdaRankLoss(RankNetLoss):
    """RankNet loss weighted by |ΔNDCG| (LambdaRank) as a module."""

    def __init__(self, sigma: float = 1.0, gain: str = "exp2", k: int | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(sigma=sigma, weighting="delta_ndcg", gain=gain, k=k,
                         reduction=reduction)
