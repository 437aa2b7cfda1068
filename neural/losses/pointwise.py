"""Pointwise losses: per-list RMSE and an ordinal (all-threshold logistic) loss.

- ``rmse``: allRank's ``pointwise_rmse``: per list ``sqrt(mean_i (y_i - score_scale * s_i)^2)``
  over its real documents, averaged over non-empty lists (``score_scale`` is allRank's
  ``no_of_levels``, which multiplies the scores; allRank uses it with sigmoid outputs).
- ``ordinal``: allRank's ``ordinal`` loss is a sum of binary cross entropies, one per
  threshold ``t = 1..n``, of the target ``1[y >= t]``, averaged over the real documents; allRank
  reads one probability per threshold from a scorer with ``n`` outputs. Scorers here give one
  score per document, so the threshold logits are ``s - (t - 1/2)``: fixed, evenly spaced cuts
  (the all-threshold logistic loss of Rennie & Srebro, 2005), under which a score is read on
  the label scale (``s > t - 1/2`` predicts ``y >= t``). ``n_thresholds`` (None: the
  batch's largest label) is allRank's ``n``. With ``multi_output=True`` the scores are
  allRank's: one logit per threshold, ``[batch, list, n_thresholds]`` (a scorer with
  ``n_thresholds`` outputs, `neural.scorer.ThresholdScorer`), and the loss is the same sum of
  binary cross entropies on those logits. allRank applies ``BCELoss`` to sigmoid outputs, whose
  logarithms PyTorch clamps at -100; here the cross entropy is taken on the logits
  (``binary_cross_entropy_with_logits``), exact where allRank's saturates.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._common import (
    check_numbers,
    prepare,
    reduce_by_count,
    reduce_lists,
    valid_lists,
)


def rmse_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    score_scale: float = 1.0, reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-list root mean squared error between labels and ``score_scale * scores``.

    Parameters
    ----------
    score_scale : float, default 1.0
        Multiplies the scores before the error (allRank's ``no_of_levels``), > 0.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over non-empty lists, ``"sum"`` or ``"none"`` ([batch]).
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    check_numbers("rmse_loss", score_scale=score_scale)
    scores, labels, mask, weights = prepare("rmse_loss", scores, labels, mask, weights,
                                            reduction)
    errors = torch.where(mask, labels - score_scale * scores, torch.zeros_like(scores))
    n_docs = mask.sum(dim=1).clamp_min(1).to(scores.dtype)
    mse = (errors * errors).sum(dim=1) / n_docs
    # sqrt has no finite slope at 0: a list predicted exactly gets a zero gradient
    root = torch.sqrt(mse.clamp_min(torch.finfo(scores.dtype).tiny))
    per_list = torch.where(mse > 0, root, torch.zeros_like(root))
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)


def ordinal_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    n_thresholds: int | None = None, multi_output: bool = False, reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """All-threshold logistic ordinal loss with cuts at ``t - 1/2``, ``t = 1..n_thresholds``.

    Parameters
    ----------
    n_thresholds : int, optional
        Number of thresholds (allRank's ``n``, >= 1); None: the batch's largest label
        (at least 1), or the scores' last dimension with ``multi_output``.
    multi_output : bool, default False
        allRank's form: ``scores`` [batch, list, n_thresholds] hold one logit per threshold
        instead of one score per document.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over the real documents of the batch (allRank's), ``"sum"`` or ``"none"``
        (per-list sums [batch]).
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    name = "ordinal_loss"
    check_numbers(name, n_thresholds=n_thresholds)
    if multi_output:
        logits, labels, mask, weights = _threshold_logits(name, scores, labels, mask, weights,
                                                          reduction, n_thresholds)
    else:
        scores, labels, mask, weights = prepare(name, scores, labels, mask, weights, reduction)
        if n_thresholds is None:
            top = labels.masked_fill(~mask, 0).max() if labels.numel() else 0
            n_thresholds = max(1, int(torch.ceil(torch.as_tensor(top)).item()))
        cuts = torch.arange(1, n_thresholds + 1, dtype=scores.dtype, device=scores.device) - 0.5
        logits = scores.unsqueeze(2) - cuts
    thresholds = torch.arange(1, logits.shape[2] + 1, dtype=logits.dtype, device=logits.device)
    targets = (labels.unsqueeze(2) >= thresholds).to(logits.dtype)
    per_doc = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(2)
    per_list = torch.where(mask, per_doc, torch.zeros_like(per_doc)).sum(dim=1)
    return reduce_by_count(per_list, mask.sum(dim=1).to(logits.dtype), weights, reduction)


def _threshold_logits(name: str, logits: torch.Tensor, labels: torch.Tensor,
                      mask: torch.Tensor | None, weights: torch.Tensor | None, reduction: str,
                      n_thresholds: int | None) -> tuple:
    """The multi-output form's inputs checked: logits [batch, list, n] (padding zeroed),
    labels, mask, weights as `prepare` returns them."""
    if logits.dim() != 3:
        raise ValueError(f"{name}: with multi_output=True, scores must have shape [batch, list, "
                         f"n_thresholds], got {tuple(logits.shape)}")
    if n_thresholds is not None and logits.shape[2] != n_thresholds:
        raise ValueError(f"{name}: scores hold {logits.shape[2]} threshold logits per document, "
                         f"n_thresholds={n_thresholds}")
    _, labels, mask, weights = prepare(name, logits[..., 0], labels, mask, weights, reduction,
                                       clean=False)
    labels = torch.where(mask, labels, torch.zeros_like(labels))
    logits = torch.where(mask.unsqueeze(2), logits, torch.zeros_like(logits))
    return logits, labels, mask, weights
