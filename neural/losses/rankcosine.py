"""RankCosine (Qin, Zhang, Tsai et al., Information Processing & Management 44(2), 2008).

Per list, with ``y`` the labels and ``s`` the scores of its real documents:
``(1 - cos(y, s)) / 2`` with ``cos(y, s) = y.s / (max(|y|, eps) * max(|s|, eps))``
(``eps = 1e-8``, as ``torch.nn.functional.cosine_similarity``). The loss depends on the
direction of the score vector only (it is invariant to a positive scaling of the scores).
Lists whose labels are all 0 carry no signal and are left out of the mean.

PT-Ranking's ``RankCosine`` returns ``sum((1 - cos) / 0.5)`` over the batch, four times the
batch sum of ours (checked in ``benchmarks/bench_ptranking.py``); the factor 1/2 and the mean
here follow the paper and the other losses of this package (``reduction="sum"`` gives the
batch sum of the per-list ``(1 - cos) / 2``).
"""

from __future__ import annotations

import torch

from ._common import prepare, reduce_lists

COSINE_EPS = 1e-8


def rankcosine_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """RankCosine loss ``(1 - cos(labels, scores)) / 2`` per list.

    Parameters
    ----------
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over lists with a non-zero label vector, ``"sum"`` or ``"none"``.
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    scores, labels, mask, weights = prepare("rankcosine_loss", scores, labels, mask, weights,
                                            reduction)
    label_norm = labels.norm(dim=1)
    score_norm = scores.norm(dim=1)
    dot = (scores * labels).sum(dim=1)
    cosine = dot / (label_norm.clamp_min(COSINE_EPS) * score_norm.clamp_min(COSINE_EPS))
    per_list = (1.0 - cosine) / 2.0
    return reduce_lists(per_list, label_norm > 0, weights, reduction)
