"""ApproxNDCG (Qin, Liu & Li, Information Retrieval 2010): NDCG with smoothed ranks.

Each document's rank is replaced by the differentiable estimate
``r_i = 1 + sum_{j != i} sigmoid(alpha * (s_j - s_i))`` over the real documents of its list;
the loss is ``-sum_i G_i / log2(1 + r_i) / IDCG`` with ``G = 2^l - 1`` (or ``l``). It needs whole
[batch, list, list] matrices: beyond ``MAX_LIST_MATRIX`` elements it refuses with an error
naming the list length. Lists whose
ideal DCG is 0 carry no signal and are left out of the mean.

The stochastic variant (``stochastic=True``) is TF-Ranking's ``GumbelApproxNDCGLoss``: the loss
averaged over ``n_samples`` (TF-Ranking's ``sample_size``, default 8) copies of each list whose
scores are replaced by ``log(softmax((s + G) / gumbel_temperature) + 1e-20)``, the softmax
over the list's real documents and ``G`` standard Gumbel noise (``eps = 1e-20`` as TF-Ranking,
`neural.losses.gumbel`). TF-Ranking lays the copies out list by list and draws from its own
seed; here they are copy-major and drawn from ``generator``.
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
from .gumbel import DEFAULT_SAMPLES, gumbel_noise, mean_over_copies, repeat_lists
from .pairs import check_copies_fit

#: inside the Gumbel noise's logarithms and the log-softmax of the stochastic variant
#: (TF-Ranking's)
GUMBEL_EPS = 1e-20


def gumbel_softmax_scores(scores: torch.Tensor, mask: torch.Tensor, n_samples: int,
                          gumbel_temperature: float,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """TF-Ranking's Gumbel sample of ``scores`` [batch, list]: ``n_samples`` copies
    [n_samples * batch, list] (copy-major) of ``log(softmax((s + G) / gumbel_temperature) +
    1e-20)`` over each list's real documents; padding holds 0."""
    batch, length = scores.shape
    noise = gumbel_noise(n_samples, scores, GUMBEL_EPS, generator)
    logits = ((scores.unsqueeze(0) + noise) / gumbel_temperature).reshape(-1, length)
    (mask_copies,) = repeat_lists(n_samples, mask)
    logits = logits.masked_fill(~mask_copies, torch.finfo(scores.dtype).min)
    sampled = torch.log(torch.softmax(logits, dim=1) + GUMBEL_EPS)
    return torch.where(mask_copies, sampled, torch.zeros_like(sampled))


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
    alpha: float = 1.0, gain: str = "exponential", stochastic: bool = False,
    n_samples: int = DEFAULT_SAMPLES["approxndcg"], gumbel_temperature: float = 1.0,
    generator: torch.Generator | None = None, reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative approximate NDCG over the whole list.

    Parameters
    ----------
    alpha : float, default 1.0
        Sharpness of the sigmoid rank approximation (> 0; larger is closer to NDCG).
    gain : {"exponential", "linear"}
        Label gain (``"exp2"``: deprecated alias of ``"exponential"``).
    stochastic : bool, default False
        Gumbel-ApproxNDCG (TF-Ranking's): the mean loss over ``n_samples`` (>= 1, default 8)
        Gumbel-softmax samples of each list at ``gumbel_temperature`` (> 0, default 1.0),
        see the module docstring. Memory grows ``n_samples`` times.
    generator : torch.Generator, optional
        Source of the Gumbel noise (default: PyTorch's global generator); the estimators
        pass one seeded from ``random_state``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over lists with a positive ideal DCG, ``"sum"`` or ``"none"``.
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    name = "approxndcg_loss"
    check_numbers(name, alpha=alpha, n_samples=n_samples, gumbel_temperature=gumbel_temperature)
    scores, labels, mask, weights = prepare(name, scores, labels, mask, weights, reduction)
    copies = n_samples if stochastic else 1
    check_copies_fit(name, scores.shape[0], scores.shape[1], copies)
    g = gains(labels, gain)
    idcg = ideal_dcg(g, mask, None)
    if stochastic:
        scores = gumbel_softmax_scores(scores, mask, n_samples, float(gumbel_temperature),
                                       generator)
        copy_mask, copy_g = repeat_lists(copies, mask, g)
    else:
        copy_mask, copy_g = mask, g
    ranks = approx_ranks(scores, copy_mask, alpha)
    dcg = torch.where(copy_mask, copy_g / torch.log2(1.0 + ranks),
                      torch.zeros_like(copy_g)).sum(dim=1)
    dcg = mean_over_copies(dcg, copies)
    valid = idcg > 0
    per_list = -dcg / torch.where(valid, idcg, torch.ones_like(idcg))
    return reduce_lists(per_list, valid, weights, reduction)

