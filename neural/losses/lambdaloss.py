"""The LambdaLoss framework (Wang et al., CIKM 2018) with every weighing scheme of allRank.

The documents of each list are sorted by their current scores (stable: ties keep list
order; padding last). For every pair of sorted positions ``i, j`` (0-based) of real
documents with ``y_i > y_j`` the loss is ``w_ij * log2(1 + exp(-sigma * (s_i - s_j)))``,
i.e. ``-w_ij * log2(sigmoid(sigma * (s_i - s_j)))``. With ``G_i = gain(y_i) / IDCG@k``
(allRank's ``G``) and ``D_i = log2(2 + i)`` the weighing schemes are:

- ``"rankNet"`` (or None): ``w = 1``;
- ``"ndcgLoss1"``: ``w = G_i / D_i``, over *every* pair of real documents, ``y_i <= y_j``
  and ``i = j`` included (as allRank);
- ``"ndcgLoss2"``: ``w = |1/log2(1 + |i-j|) - 1/log2(2 + |i-j|)| * |G_i - G_j|`` (``i != j``);
- ``"lambdaRank"``: ``w = |1/D_i - 1/D_j| * |G_i - G_j|``;
- ``"ndcgLoss2++"``: ``w = mu * ndcgLoss2 + lambdaRank``;
- ``"rankNetWeightedByGTDiff"``: ``w = |y_i - y_j|``;
- ``"rankNetWeightedByGTDiffPowed"``: ``w = |y_i^2 - y_j^2|``.

Truncation ``k`` keeps the pairs whose two positions are both among the first ``k`` (allRank's
``ndcg_at_k_mask``) and uses IDCG@k. The weights are constants (the sort is not
differentiated), as in allRank. Pairs are formed by blocks of bounded size
(`neural.losses.pairs`), so memory is bounded for any list length.

Differences from allRank 1.4.3 ``lambdaLoss``: the default reduction is ``"mean"`` over the
pairs of the batch (allRank's default ``reduction="sum"`` is ``reduction="sum"`` here), with
optional per-list weights; allRank clamps ``sigmoid`` and its power at ``eps = 1e-10``, which
caps a pair's loss at ``-log2(1e-10) ~ 33.2`` and zeroes its gradient beyond, while this
softplus form is exact; ``IDCG`` is not clamped at ``eps`` (lists without a relevant document
get ``G = 0``); ties between scores are broken by list position (allRank's sort is unstable);
``gain="linear"`` is available (allRank always uses ``2^y - 1``).
"""

from __future__ import annotations

import math

import torch

from ._common import (
    check_numbers,
    gains,
    ideal_dcg,
    prepare,
    reduce_by_count,
)
from .pairs import WeightBlock, pairwise_sum

#: canonical weighing scheme names (allRank's, without the ``_scheme`` suffix)
WEIGHING_SCHEMES = ("rankNet", "ndcgLoss1", "ndcgLoss2", "ndcgLoss2++", "lambdaRank",
                    "rankNetWeightedByGTDiff", "rankNetWeightedByGTDiffPowed")
_SCHEME_KEYS = {name.lower(): name for name in WEIGHING_SCHEMES}
_SCHEME_KEYS.update({"ndcgloss2pp": "ndcgLoss2++", "lambdarank": "lambdaRank"})


def resolve_weighing_scheme(value: str | None) -> str:
    """Canonical scheme name; allRank's spellings (``"lambdaRank_scheme"``,
    ``"ndcgLoss2PP_scheme"``, any case) are accepted, None means ``"rankNet"``."""
    if value is None:
        return "rankNet"
    if isinstance(value, str):
        key = value.strip().lower().removesuffix("_scheme")
        if key in _SCHEME_KEYS:
            return _SCHEME_KEYS[key]
    raise ValueError(
        f"lambdaloss: weighing_scheme must be one of {', '.join(WEIGHING_SCHEMES)} "
        f"(allRank's '<name>_scheme' spellings accepted), got {value!r}"
    )


def _scheme_weights(scheme: str, mu: float, rows: slice, length: int, g: torch.Tensor,
                    y: torch.Tensor, inv_d: torch.Tensor) -> torch.Tensor | None:
    """Scheme weights [b, r, list] of rows ``rows`` against all columns (None: all 1).

    ``g``, ``y``: [b, list] normalised gains and labels in score order; ``inv_d``: [list].
    """
    if scheme == "rankNet":
        return None
    if scheme == "ndcgLoss1":
        return (g[:, rows] * inv_d[rows]).unsqueeze(2).expand(-1, -1, length)
    if scheme == "rankNetWeightedByGTDiff":
        return (y[:, rows].unsqueeze(2) - y.unsqueeze(1)).abs_()
    if scheme == "rankNetWeightedByGTDiffPowed":
        sq = y * y
        return (sq[:, rows].unsqueeze(2) - sq.unsqueeze(1)).abs_()
    delta_g = (g[:, rows].unsqueeze(2) - g.unsqueeze(1)).abs_()
    lambda_rank = (inv_d[rows].unsqueeze(1) - inv_d.unsqueeze(0)).abs_()
    if scheme == "lambdaRank":
        return delta_g.mul_(lambda_rank)
    positions = torch.arange(length, device=g.device)
    distance = (positions[rows].unsqueeze(1) - positions.unsqueeze(0)).abs_()
    # |1/log2(1 + delta) - 1/log2(2 + delta)| for delta >= 1, 0 on the diagonal
    delta = distance.to(g.dtype)
    ndcg2 = (1.0 / torch.log2(1.0 + delta.clamp_min(1.0)) - 1.0 / torch.log2(2.0 + delta))
    ndcg2 = torch.where(distance > 0, ndcg2.abs_(), torch.zeros_like(ndcg2))
    if scheme == "ndcgLoss2":
        return delta_g.mul_(ndcg2)
    return delta_g.mul_(ndcg2.mul_(mu).add_(lambda_rank))  # ndcgLoss2++


def lambdaloss_weight_block(y: torch.Tensor, valid: torch.Tensor, g: torch.Tensor,
                            scheme: str, k: int | None, mu: float) -> WeightBlock:
    """Pair weights ``w_ij / ln 2`` (0 off the pairs) of the sorted lists, by blocks."""
    length = y.shape[1]
    positions = torch.arange(length, device=y.device)
    in_top = positions < (length if k is None else k)
    inv_d = 1.0 / torch.log2(positions.to(g.dtype) + 2.0)
    eligible = valid & in_top
    left = y.masked_fill(~eligible, float("-inf"))
    right = y.masked_fill(~eligible, float("inf"))
    inv_ln2 = 1.0 / math.log(2.0)

    def block(lists: slice, rows: slice) -> tuple[torch.Tensor, torch.Tensor]:
        if scheme == "ndcgLoss1":
            pair = eligible[lists, rows].unsqueeze(2) & eligible[lists].unsqueeze(1)
        else:
            pair = left[lists, rows].unsqueeze(2) > right[lists].unsqueeze(1)
        w = pair.to(g.dtype)
        count = w.sum(dim=(1, 2))
        extra = _scheme_weights(scheme, mu, rows, length, g[lists], y[lists], inv_d)
        if extra is not None:
            w.mul_(extra)
        return w.mul_(inv_ln2), count

    return block


def lambdaloss_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    weighing_scheme: str | None = "ndcgLoss2++", k: int | None = None, sigma: float = 1.0,
    mu: float = 10.0, gain: str = "exponential", reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """LambdaLoss: pairwise log2-logistic loss in score order with a NDCG weighing scheme.

    Parameters
    ----------
    weighing_scheme : str or None, default "ndcgLoss2++"
        One of `WEIGHING_SCHEMES` (see the module docstring); None is ``"rankNet"``.
    k : int, optional
        Keep the pairs of the first ``k`` positions; IDCG@k (None: whole list).
    sigma : float, default 1.0
        Steepness of the logistic, > 0.
    mu : float, default 10.0
        Weight of ndcgLoss2 inside ndcgLoss2++, >= 0.
    gain : {"exponential", "linear"}
        Gain of the labels in ``G``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over the pairs of the batch (allRank's ``"mean"``), ``"sum"`` (allRank's
        default), or ``"none"`` for the per-list sums [batch].
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).

    Returns
    -------
    Tensor
        A scalar, or [batch] with ``reduction="none"``; 0 (with a gradient path) when the
        batch has no pair.
    """
    scheme = resolve_weighing_scheme(weighing_scheme)
    check_numbers("lambdaloss_loss", k=k, sigma=sigma, mu=mu)
    scores, labels, mask, weights = prepare("lambdaloss_loss", scores, labels, mask, weights,
                                            reduction)
    with torch.no_grad():
        key = scores.detach().masked_fill(~mask, float("-inf"))
        order = torch.sort(key, dim=1, descending=True, stable=True).indices
        y = labels.gather(1, order)
        valid = mask.gather(1, order)
        raw_gain = gains(y, gain)
        idcg = ideal_dcg(raw_gain, valid, k)
        inv = torch.where(idcg > 0, 1.0 / idcg.clamp_min(torch.finfo(idcg.dtype).tiny),
                          torch.zeros_like(idcg))
        g = raw_gain * inv.unsqueeze(1)
        block = lambdaloss_weight_block(y, valid, g, scheme, k, float(mu))
    sorted_scores = scores.gather(1, order)
    per_list, counts = pairwise_sum(sorted_scores, block, kind="logistic", scale=sigma)
    return reduce_by_count(per_list, counts, weights, reduction)
