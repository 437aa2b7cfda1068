"""ListNet's top-one cross entropy (Cao et al., ICML 2007).

Per list: ``-sum_i softmax(phi(labels))_i * log_softmax(scores)_i`` over the real documents,
where ``phi`` is the label transform (identity by default, as in allRank; ``"exp2"`` uses
``2^l - 1``) optionally divided by a temperature. Lists without any real document carry no
signal and are left out of the mean.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._common import check_inputs, check_reduction, reduce_lists, valid_lists

LABEL_TRANSFORMS = ("identity", "exp2")


def _transform_labels(labels: torch.Tensor,
                      transform: str | Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    if callable(transform):
        return transform(labels)
    if transform == "identity":
        return labels
    if transform == "exp2":
        return torch.pow(2.0, labels) - 1.0
    raise ValueError(
        f"listnet_loss: label_transform must be one of {LABEL_TRANSFORMS} or a callable, "
        f"got {transform!r}"
    )


def masked_log_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log_softmax over the real entries of each row; padded entries (and empty rows) get 0."""
    out = torch.log_softmax(values.masked_fill(~mask, float("-inf")), dim=1)
    return out.masked_fill(~mask, 0.0)


def listnet_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    label_transform: str | Callable[[torch.Tensor], torch.Tensor] = "identity",
    temperature: float = 1.0,
    reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Top-one ListNet cross entropy between softmax(phi(labels)/T) and softmax(scores).

    Args:
        scores: [batch, list] model scores.
        labels: [batch, list] graded relevance.
        mask: [batch, list] bool, True for real documents (None: all real).
        label_transform: ``"identity"``, ``"exp2"`` or a callable on the label tensor.
        temperature: divides the transformed labels before the softmax (> 0).
        reduction: ``"mean"`` over non-empty lists, ``"sum"`` or ``"none"`` ([batch]).
        weights: optional [batch] weight per list.
    """
    check_reduction(reduction, "listnet_loss")
    if not temperature > 0:
        raise ValueError(f"listnet_loss: temperature must be > 0, got {temperature}")
    scores, labels, mask, weights = check_inputs(scores, labels, mask, weights,
                                                 name="listnet_loss", clean=False)
    target_logits = _transform_labels(labels, label_transform).to(scores.dtype)
    if temperature != 1.0:
        target_logits = target_logits / temperature
    # Padding gets the most negative finite value: its probability is exactly 0 and its
    # log-probability finite, so 0 * log p = 0 without any NaN (even for empty lists).
    padding = ~mask
    lowest = torch.finfo(scores.dtype).min
    target = torch.softmax(target_logits.masked_fill(padding, lowest), dim=1)
    log_p = torch.log_softmax(scores.masked_fill(padding, lowest), dim=1)
    per_list = -(target * log_p).sum(dim=1)
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)


class ListNetLoss(nn.Module):
    """`listnet_loss` as a module: ``loss(scores, labels, mask=None, weights=None)``."""

    def __init__(self, label_transform: str | Callable = "identity", temperature: float = 1.0,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.label_transform, self.temperature = label_transform, temperature
        self.reduction = reduction

    def forward(self, scores: torch.Tensor, labels: torch.Tensor,
                mask: torch.Tensor | None = None,
                weights: torch.Tensor | None = None) -> torch.Tensor:
        return listnet_loss(scores, labels, mask, label_transform=self.label_transform,
                            temperature=self.temperature, reduction=self.reduction,
                            weights=weights)
