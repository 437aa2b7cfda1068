"""Pairwise losses in bounded memory: the [batch, list, list] pair matrix in blocks.

A pairwise loss sums ``w_ij * f(scale * (s_j - s_i) + offset)`` over the pairs ``(i, j)`` of
each list, with constant pair weights ``w_ij`` (0 where ``(i, j)`` is not a pair) and
``f`` the logistic ``softplus`` (RankNet, LambdaLoss) or the hinge ``relu``
(``MarginRankingLoss``). `pairwise_sum` forms the pair matrix by blocks of at most
`MAX_PAIR_BLOCK` elements (whole lists while they fit, else rows of one list) and computes
the loss and its exact gradient together, block by block, keeping only [batch, list]
tensors between blocks. The result is the same as with one [batch, list, list] tensor (up
to the order of float additions), for any list length: a query of 50,000 documents needs
``MAX_PAIR_BLOCK`` elements per buffer, not 2.5e9.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

#: largest number of pair elements (lists x rows x list length) formed at once
MAX_PAIR_BLOCK = 1 << 22

#: largest [batch, list, list] matrix of the losses that need it whole (approxndcg, neuralndcg)
MAX_LIST_MATRIX = 1 << 27

#: ``weight_block(batch_slice, row_slice) -> (weights [b, r, list], pair_count [b])``
WeightBlock = Callable[[slice, slice], tuple[torch.Tensor, torch.Tensor]]

KINDS = ("logistic", "hinge")


def pair_blocks(batch: int, length: int, limit: int | None = None) -> Iterator[tuple[slice,
                                                                                   slice]]:
    """Blocks ``(list slice, row slice)`` covering the [batch, length, length] pair matrix.

    Each block holds at most ``limit`` (default `MAX_PAIR_BLOCK`) elements, except that a
    block always holds at least one row of one list.
    """
    limit = MAX_PAIR_BLOCK if limit is None else int(limit)
    per_list = max(length * length, 1)
    if per_list <= limit:
        step = max(1, limit // per_list)
        for start in range(0, batch, step):
            yield slice(start, min(start + step, batch)), slice(0, length)
        return
    rows = max(1, limit // max(length, 1))
    for b in range(batch):
        for start in range(0, length, rows):
            yield slice(b, b + 1), slice(start, min(start + rows, length))


def _value_and_slope(x: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``f(x)`` and ``f'(x)``; ``x`` is overwritten (one pair-sized buffer less)."""
    if kind == "logistic":
        return F.softplus(x), x.sigmoid_()
    return torch.relu(x), (x > 0).to(x.dtype)


class _PairwiseSum(torch.autograd.Function):
    """Per-list sums of ``w_ij * f(scale * (s_j - s_i) + offset)``; see `pairwise_sum`."""

    @staticmethod
    def forward(ctx, scores, weight_block, kind, scale, offset, limit):  # noqa: D102
        batch, length = scores.shape
        per_list = scores.new_zeros(batch)
        counts = scores.new_zeros(batch)
        want_grad = ctx.needs_input_grad[0]
        grad = scores.new_zeros(batch, length) if want_grad else None
        for lists, rows in pair_blocks(batch, length, limit):
            s = scores[lists] * scale
            x = s.unsqueeze(1) - s[:, rows].unsqueeze(2)  # x[b, i, j] = scale * (s_j - s_i)
            if offset:
                x.add_(offset)
            w, count = weight_block(lists, rows)
            value, slope = _value_and_slope(x, kind)
            per_list[lists] += value.mul_(w).sum(dim=(1, 2))
            counts[lists] += count
            if want_grad:
                lam = slope.mul_(w)
                grad[lists] += scale * lam.sum(dim=1)
                grad[lists, rows] -= scale * lam.sum(dim=2)
        if want_grad:
            ctx.save_for_backward(grad)
        ctx.mark_non_differentiable(counts)
        return per_list, counts

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_per_list, _grad_counts):  # noqa: D102
        (grad,) = ctx.saved_tensors
        return grad * grad_per_list.unsqueeze(1), None, None, None, None, None


def pairwise_sum(
    scores: torch.Tensor,
    weight_block: WeightBlock,
    *,
    kind: str = "logistic",
    scale: float = 1.0,
    offset: float = 0.0,
    limit: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-list pair sums and pair counts, in blocks of bounded size.

    Parameters
    ----------
    scores : Tensor of shape [batch, list]
        Scores with padding already replaced by finite values.
    weight_block : callable
        ``weight_block(list_slice, row_slice)`` returns the constant pair weights
        [b, r, list] of rows ``i`` in ``row_slice`` against every column ``j`` (0 where
        ``(i, j)`` is not a pair) and the number of pairs [b] in that block.
    kind : {"logistic", "hinge"}
        ``f = softplus`` or ``f = relu``.
    scale, offset : float
        ``x_ij = scale * (s_j - s_i) + offset``.
    limit : int, optional
        Largest block (default `MAX_PAIR_BLOCK`).

    Returns
    -------
    per_list : Tensor of shape [batch]
        Differentiable with respect to ``scores`` (weights are constants).
    counts : Tensor of shape [batch]
        Pair counts (not differentiable).
    """
    if kind not in KINDS:
        raise ValueError(f"pairwise kind must be one of {KINDS}, got {kind!r}")
    return _PairwiseSum.apply(scores, weight_block, kind, float(scale), float(offset), limit)


def check_copies_fit(name: str, batch: int, length: int, copies: int) -> None:
    """`check_pair_matrix` for a stochastic loss scoring ``copies`` copies of each list; the
    error then names ``n_samples`` as one more way out."""
    try:
        check_pair_matrix(name, batch * copies, length)
    except ValueError as exc:
        if copies == 1:
            raise
        raise ValueError(f"{exc}; or fewer n_samples ({copies} copies of every list)") from None


def check_pair_matrix(name: str, batch: int, length: int, limit: int | None = None) -> None:
    """Raise ValueError when a loss that needs whole [batch, list, list] matrices would
    exceed ``limit`` (default `MAX_LIST_MATRIX`) elements, naming the list length and the
    ways out."""
    limit = MAX_LIST_MATRIX if limit is None else int(limit)
    if batch * length * length <= limit:
        return
    raise ValueError(
        f"{name}: a batch of {batch} list(s) of {length} documents needs [batch, list, list] "
        f"matrices of {batch * length * length:,} elements (limit {limit:,}, "
        f"neural.losses.MAX_LIST_MATRIX); use smaller batches, split or subsample queries "
        f"longer than {int((limit // max(batch, 1)) ** 0.5)} documents, or a pairwise loss "
        f"computed in bounded memory (ranknet, lambdarank, lambdaloss, hinge)"
    )
