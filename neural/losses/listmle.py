"""ListMLE (Xia et al., ICML 2008): negative Plackett–Luce log-likelihood of the label order.

Per list, with the real documents sorted by descending label into ``pi``:
``-sum_i [ s_pi(i) - log sum_{k >= i} exp(s_pi(k)) ]``. Documents with equal labels are
ordered by their position in the list (``ties="stable"``) or at random (``ties="random"``,
using ``generator``), as allRank does. With distinct labels the loss is invariant to the order of documents.
"""

from __future__ import annotations

import torch

from ._common import check_inputs, check_reduction, reduce_lists, valid_lists

TIES = ("stable", "random")


def listmle_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    ties: str = "stable", generator: torch.Generator | None = None, reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative Plackett–Luce log-likelihood of the ranking by labels.

    Parameters
    ----------
    ties : {"stable", "random"}
        Order of equal labels: list order, or shuffled with ``generator``.
    generator : torch.Generator, optional
        The generator used by ``ties="random"``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over non-empty lists, ``"sum"`` or ``"none"`` ([batch]).
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    check_reduction(reduction, "listmle_loss")
    if ties not in TIES:
        raise ValueError(f"listmle_loss: ties must be one of {TIES}, got {ties!r}")
    scores, labels, mask, weights = check_inputs(scores, labels, mask, weights,
                                                 name="listmle_loss")
    key = labels.masked_fill(~mask, float("-inf"))
    if ties == "random":
        # One random column permutation for the batch (as allRank does), then a stable sort:
        # tied documents of each list come out in random order with a single sort.
        device = generator.device if generator is not None else scores.device
        perm = torch.randperm(scores.shape[1], generator=generator,
                              device=device).to(scores.device)
        order = perm[torch.sort(key[:, perm], dim=1, descending=True, stable=True).indices]
    else:
        order = torch.sort(key, dim=1, descending=True, stable=True).indices
    sorted_mask = mask.gather(1, order)
    sorted_scores = scores.gather(1, order)
    # Tail sums sum_{k >= i} exp(s_k - max) by a reversed cumulative sum in float64 (much
    # faster than logcumsumexp on CPU; float64 keeps score spreads up to ~700 exact). A tail
    # that still underflows is bounded below by its own first term, which keeps it finite.
    work = torch.float64 if scores.dtype in (torch.float16, torch.bfloat16, torch.float32) \
        else scores.dtype
    s64 = sorted_scores.to(work)
    row_max = torch.where(sorted_mask, s64, float("-inf")).max(dim=1, keepdim=True).values
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max)).detach()
    shifted = s64 - row_max
    expd = torch.exp(shifted).masked_fill(~sorted_mask, 0.0)
    tail = torch.flip(torch.cumsum(torch.flip(expd, [1]), dim=1), [1])
    tiny = torch.finfo(work).tiny
    tail_log = torch.where(tail > tiny, torch.log(tail.clamp_min(tiny)), shifted)
    terms = torch.where(sorted_mask, tail_log - shifted, torch.zeros((), dtype=work,
                                                                     device=scores.device))
    per_list = terms.sum(dim=1).to(scores.dtype)
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)

