"""Softmax cross entropies: ListNet (Cao et al., ICML 2007) and TF-Ranking's softmax loss.

Both are ``-sum_i p_i * log_softmax(scores)_i`` over the real documents of a list; they differ
in the target distribution ``p``:

- ``listnet``: ``p = softmax(phi(labels) / temperature)``, where ``phi`` is the label
  transform (``"linear"``, the default, is the identity, as allRank; ``"exponential"`` uses
  ``2^l - 1``). Every document gets some target mass, even with label 0. Lists without any
  real document are left out of the mean.
- ``softmax``: TF-Ranking's ``SoftmaxLoss``: ``p = labels / sum(labels)`` (label-normalised),
  so documents with label 0 get no target mass; each list is weighted by the sum of its
  labels and the mean is taken over the lists with a positive label sum (TF-Ranking's
  ``SUM_BY_NONZERO_WEIGHTS``). Padding is excluded exactly, where TF-Ranking gives padded
  logits ``log(1e-10)``; ``temperature`` divides the scores, as TF-Ranking's.

The stochastic ListNet (``listnet`` with ``stochastic=True``) is PT-Ranking's STListNet (Bruch
et al., "A Stochastic Treatment of Learning to Rank Scoring Functions", WSDM 2020): the score
softmax is taken over ``(s + G) / gumbel_temperature``, ``G`` standard Gumbel noise with
PT-Ranking's ``eps = 1e-20`` inside both logarithms (`neural.losses.gumbel`), and the loss is
averaged over ``n_samples`` such copies of each list (PT-Ranking draws one per step, the
default here). The target is ListNet's, unperturbed. PT-Ranking sums over the lists of a batch,
here the mean is taken (``reduction="sum"`` gives its number).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from boostrank.metrics.gains import GAIN_NAMES, resolve_gain

from ._common import (
    check_numbers,
    gains,
    prepare,
    reduce_lists,
    valid_lists,
)
from .gumbel import DEFAULT_SAMPLES, gumbel_noise, mean_over_copies, repeat_lists

#: inside the Gumbel noise's logarithms of the stochastic ListNet (PT-Ranking's STListNet)
GUMBEL_EPS = 1e-20

#: canonical label transforms of ListNet (the gain names; "identity"/"exp2" are deprecated)
LABEL_TRANSFORMS = GAIN_NAMES


def resolve_label_transform(transform: object) -> str | Callable:
    """A callable unchanged, else the canonical gain name (``"identity"`` -> ``"linear"``,
    ``"exp2"`` -> ``"exponential"``, with a DeprecationWarning)."""
    if callable(transform):
        return transform
    return resolve_gain(transform, param="label_transform")


def _transform_labels(labels: torch.Tensor,
                      transform: str | Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    if callable(transform):
        return transform(labels)
    return gains(labels, resolve_label_transform(transform))


def listnet_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    label_transform: str | Callable[[torch.Tensor], torch.Tensor] = "linear",
    temperature: float = 1.0, stochastic: bool = False,
    n_samples: int = DEFAULT_SAMPLES["listnet"], gumbel_temperature: float = 1.0,
    generator: torch.Generator | None = None, reduction: str = "mean",
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Top-one ListNet cross entropy between softmax(phi(labels)/T) and softmax(scores).

    Parameters
    ----------
    label_transform : {"linear", "exponential"} or callable
        ``"linear"`` (identity, default), ``"exponential"`` (2^l - 1) or a callable on the
        label tensor (``"identity"`` / ``"exp2"``: deprecated aliases).
    temperature : float, default 1.0
        Divides the transformed labels before the softmax (> 0).
    stochastic : bool, default False
        STListNet (PT-Ranking's): the score softmax over ``(scores + G) /
        gumbel_temperature`` (> 0, default 1.0), ``G`` standard Gumbel noise, averaged over
        ``n_samples`` (>= 1, default 1) perturbed copies of each list (module docstring).
    generator : torch.Generator, optional
        Source of the Gumbel noise (default: PyTorch's global generator); the estimators
        pass one seeded from ``random_state``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over non-empty lists, ``"sum"`` or ``"none"`` ([batch]).
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    check_numbers("listnet_loss", temperature=temperature, n_samples=n_samples,
                  gumbel_temperature=gumbel_temperature)
    scores, labels, mask, weights = prepare("listnet_loss", scores, labels, mask, weights,
                                            reduction, clean=False)
    target_logits = _transform_labels(labels, label_transform).to(scores.dtype)
    if temperature != 1.0:
        target_logits = target_logits / temperature
    # Padding gets the most negative finite value: its probability is exactly 0 and its
    # log-probability finite, so 0 * log p = 0 without any NaN (even for empty lists).
    padding = ~mask
    lowest = torch.finfo(scores.dtype).min
    target = torch.softmax(target_logits.masked_fill(padding, lowest), dim=1)
    copies = n_samples if stochastic else 1
    if stochastic:
        noise = gumbel_noise(copies, scores, GUMBEL_EPS, generator)
        scores = ((scores.unsqueeze(0) + noise) / gumbel_temperature).reshape(-1, mask.shape[1])
        target, padding = repeat_lists(copies, target, padding)
    log_p = torch.log_softmax(scores.masked_fill(padding, lowest), dim=1)
    per_list = mean_over_copies(-(target * log_p).sum(dim=1), copies)
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)


def softmax_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    temperature: float = 1.0, reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """TF-Ranking's softmax cross entropy with the label-normalised target ``labels / sum``.

    Parameters
    ----------
    temperature : float, default 1.0
        Divides the scores before the softmax (> 0).
    reduction : {"mean", "sum", "none"}
        ``"mean"``: sum of ``label_sum * weight * cross_entropy`` over the lists, divided by
        the number of lists whose ``label_sum * weight`` is positive (TF-Ranking's
        ``SUM_BY_NONZERO_WEIGHTS``); ``"sum"``; ``"none"``: the weighted per-list terms.
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    check_numbers("softmax_loss", temperature=temperature)
    scores, labels, mask, weights = prepare("softmax_loss", scores, labels, mask, weights,
                                            reduction, clean=False)
    labels = labels.masked_fill(~mask, 0.0)
    label_sum = labels.sum(dim=1)
    target = labels / torch.where(label_sum > 0, label_sum, torch.ones_like(label_sum)
                                  ).unsqueeze(1)
    lowest = torch.finfo(scores.dtype).min
    logits = scores / temperature if temperature != 1.0 else scores
    log_p = torch.log_softmax(logits.masked_fill(~mask, lowest), dim=1)
    list_weight = label_sum if weights is None else label_sum * weights
    per_list = -(target * log_p.masked_fill(~mask, 0.0)).sum(dim=1) * list_weight
    if reduction == "none":
        return per_list
    total = per_list.sum()
    if reduction == "sum":
        return total
    return total / (list_weight > 0).sum().clamp_min(1)


