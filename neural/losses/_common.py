"""Shared helpers of the list losses: input checks, masking, reductions, NDCG gains.

Every loss takes ``scores`` and ``labels`` of shape ``[batch, list]`` and an optional boolean
``mask`` of the same shape (True = a real document, False = padding). Padding is ignored
exactly: its scores and labels may hold anything (even NaN) without changing the loss or the
gradients of the real documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real

import torch

from boostrank.metrics.gains import EXPONENTIAL, resolve_gain
from boostrank.params import Interval

REDUCTIONS = ("mean", "sum", "none")


def check_inputs(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None,
    weights: torch.Tensor | None = None,
    *,
    name: str = "loss",
    clean: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Validate shapes and return ``(scores, labels, mask, weights)`` ready for the loss.

    ``scores``: [batch, list] floating; ``labels``: [batch, list] (cast to the scores' dtype,
    padding zeroed); ``mask``: [batch, list] bool (all True when None); ``weights``: [batch]
    per-list weights or None. Scores of padded positions are replaced by 0 so that no NaN/inf
    in padding can leak into the result; ``clean=False`` skips that for losses that mask
    padding themselves.
    """
    if scores.dim() != 2:
        raise ValueError(f"{name}: scores must have shape [batch, list], got {tuple(scores.shape)}")
    if labels.shape != scores.shape:
        raise ValueError(
            f"{name}: labels shape {tuple(labels.shape)} differs from scores shape "
            f"{tuple(scores.shape)}"
        )
    if not scores.is_floating_point():
        raise TypeError(f"{name}: scores must be a floating tensor, got {scores.dtype}")
    if mask is None:
        mask = torch.ones_like(scores, dtype=torch.bool)
    else:
        if mask.shape != scores.shape:
            raise ValueError(
                f"{name}: mask shape {tuple(mask.shape)} differs from scores shape "
                f"{tuple(scores.shape)}"
            )
        mask = mask.to(torch.bool)
    if weights is not None:
        weights = torch.as_tensor(weights, dtype=scores.dtype, device=scores.device)
        if weights.shape != scores.shape[:1]:
            raise ValueError(
                f"{name}: weights must have shape [batch] = [{scores.shape[0]}], "
                f"got {tuple(weights.shape)}"
            )
    if not clean:
        return scores, labels.to(scores.dtype), mask, weights
    labels = torch.where(mask, labels.to(scores.dtype), torch.zeros((), dtype=scores.dtype,
                                                                    device=scores.device))
    scores = torch.where(mask, scores, torch.zeros((), dtype=scores.dtype, device=scores.device))
    return scores, labels, mask, weights


def check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce_lists(
    per_list: torch.Tensor,
    valid: torch.Tensor,
    weights: torch.Tensor | None,
    reduction: str,
) -> torch.Tensor:
    """Reduce per-list losses [batch] over the lists flagged ``valid`` (those with signal).

    ``mean``: weighted mean over valid lists (0 with a gradient path when none is valid);
    ``sum``: weighted sum; ``none``: the (weighted) per-list losses, invalid lists set to 0.
    """
    valid = valid.to(per_list.dtype)
    return reduce_by_count(per_list * valid, valid, weights, reduction)


def gains(labels: torch.Tensor, gain: str) -> torch.Tensor:
    """Gain of each label: ``"exponential"`` -> 2^l - 1 (LightGBM/Burges), ``"linear"`` -> l.

    Gain names follow `boostrank.metrics.gains.resolve_gain` (``"exp2"`` is a deprecated alias).
    """
    if resolve_gain(gain) == EXPONENTIAL:
        return torch.pow(2.0, labels) - 1.0
    return labels


def check_positive(name: str, param: str, value: object) -> None:
    """Raise ValueError unless ``value`` is a finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
            or not value > 0:
        raise ValueError(f"{name}: {param} must be a finite number > 0, got {value!r}")


def check_non_negative(name: str, param: str, value: object) -> None:
    """Raise ValueError unless ``value`` is a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
            or not value >= 0:
        raise ValueError(f"{name}: {param} must be a finite number >= 0, got {value!r}")


#: integers >= 1 (bools refused) and finite reals > 1: counts and gain bases
_COUNT = Interval(Integral, 1, None)
_ABOVE_ONE = Interval(Real, 1, None, closed="neither")


def check_base(name: str, param: str, value: object) -> None:
    """Raise ValueError unless ``value`` is a finite real number > 1 (the base of a gain)."""
    if not _ABOVE_ONE.is_satisfied_by(value):
        raise ValueError(f"{name}: {param} must be a finite number > 1, got {value!r}")


def check_cutoff(name: str, param: str, value: object) -> None:
    """Raise ValueError unless ``value`` is None or an integer >= 1 (a rank cutoff such as k)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name}: {param} must be an integer >= 1 or None, got {value!r}")


def check_count(name: str, param: str, value: object) -> None:
    """Raise ValueError unless ``value`` is an integer >= 1 (a count such as n_samples)."""
    if not _COUNT.is_satisfied_by(value):
        raise ValueError(f"{name}: {param} must be an integer >= 1, got {value!r}")


#: numeric keyword parameter of the losses -> its check(loss name, parameter, value): one rule
#: per parameter name, used by every functional loss and by `validate_loss_params`
NUMERIC_CHECKS: dict[str, Callable[[str, str, object], None]] = {
    "sigma": check_positive,
    "alpha": check_positive,
    "temperature": check_positive,
    "beta": check_positive,
    "gumbel_temperature": check_positive,
    "score_scale": check_positive,
    "regularization": check_positive,
    "gain_base": check_base,
    "relevance_gap": check_non_negative,
    "tie_cost": check_non_negative,
    "mu": check_non_negative,
    "margin": check_non_negative,
    "tol": check_non_negative,
    "k": check_cutoff,
    "max_iter": check_cutoff,
    "n_thresholds": check_cutoff,
    "n_samples": check_count,
    "n_iter": check_count,
}


def check_numbers(name: str, **values: object) -> None:
    """Check each numeric parameter of loss ``name`` by its rule in `NUMERIC_CHECKS`, in order.

    Raises ValueError naming the loss, the parameter and the allowed values.
    """
    for param, value in values.items():
        NUMERIC_CHECKS[param](name, param, value)


def rank_discounts(length: int, k: int | None, dtype: torch.dtype,
                   device: torch.device) -> torch.Tensor:
    """`discounts` with every rank beyond ``k`` set to 0, shape [length]."""
    disc = discounts(length, dtype, device)
    if k is not None and k < length:
        disc[k:] = 0.0
    return disc


def discounts(length: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """1 / log2(rank + 1) for ranks 1..length, shape [length]."""
    ranks = torch.arange(1, length + 1, dtype=dtype, device=device)
    return 1.0 / torch.log2(ranks + 1.0)


def ideal_dcg(g: torch.Tensor, mask: torch.Tensor, k: int | None) -> torch.Tensor:
    """Ideal DCG@k per list [batch] from gains ``g`` [batch, list] (padding must hold 0 gain)."""
    length = g.shape[1]
    neg_inf = torch.tensor(float("-inf"), dtype=g.dtype, device=g.device)
    ordered = torch.sort(torch.where(mask, g, neg_inf), dim=1, descending=True).values
    ordered = torch.where(torch.isfinite(ordered), ordered, torch.zeros_like(ordered))
    return (ordered * rank_discounts(length, k, g.dtype, g.device)).sum(dim=1)


def valid_lists(mask: torch.Tensor) -> torch.Tensor:
    """[batch] bool: lists holding at least one real document."""
    return mask.any(dim=1)


def masked_log_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log_softmax over the real entries of each row; padded entries (and empty rows) get 0."""
    out = torch.log_softmax(values.masked_fill(~mask, float("-inf")), dim=1)
    return out.masked_fill(~mask, 0.0)


def reduce_by_count(
    per_list: torch.Tensor,
    counts: torch.Tensor,
    weights: torch.Tensor | None,
    reduction: str,
) -> torch.Tensor:
    """Reduce per-list sums [batch] over counted units (pairs, documents).

    ``mean``: total over the (weighted) number of units ``counts`` [batch] of the batch
    (0 with a gradient path when there is none); ``sum``: weighted total; ``none``: the
    weighted per-list sums.
    """
    if weights is not None:
        per_list = per_list * weights
        counts = counts * weights
    if reduction == "none":
        return per_list
    total = per_list.sum()
    if reduction == "sum":
        return total
    return total / counts.sum().clamp_min(torch.finfo(per_list.dtype).tiny)


def prepare(
    name: str,
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None,
    weights: torch.Tensor | None,
    reduction: str,
    *,
    clean: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """`check_reduction` then `check_inputs`: the common arguments of every loss, checked."""
    check_reduction(reduction, name)
    return check_inputs(scores, labels, mask, weights, name=name, clean=clean)
