"""WassRank (Yu, Jatowt, Joho, Jose, Yang & Chen, WSDM 2019): ranking as optimal transport.

Per list, over its real documents, the target histogram is ``p = softmax(labels)`` and the
predicted one ``q = softmax(scores)`` (PT-Ranking's ``smooth_type="ST"``,
``norm_type="BothST"``). Moving mass from document ``i`` to document ``j`` costs PT-Ranking's
explicit grouping cost (``cost_type="eg"``): with the gains ``G = gain_base^y - 1``, and
``G' = -relevance_gap`` where ``G < 1`` (the non-relevant documents) and ``G`` elsewhere,

- ``C_ij = |G'_i - G'_j|`` where that is >= 1 (documents of different grades; a relevant and a
  non-relevant document are at least ``relevance_gap`` apart),
- ``C_ij = tie_cost`` where it is < 1 (two documents of the same grade), ``C_ii = 0``.

The loss is the entropic optimal-transport cost ``sum_ij pi_ij C_ij`` of the plan
``pi = diag(u) exp(-C / regularization) diag(v)`` after ``n_iter`` Sinkhorn rounds, run in the
log domain from uniform ``u, v`` and updating ``v`` then ``u`` in each round (PT-Ranking's
order, so the rows of ``pi`` sum to ``q`` exactly). Lists without a real document are left out
of the mean.

Differences from PT-Ranking's ``WassRank`` (its defaults are ours: ``regularization = 0.1``
(``lam``), ``n_iter = 20`` (``sh_itr``), ``gain_base = 4``, ``relevance_gap = 100``
(``non_rele_gap``), ``tie_cost = e`` (``var_penalty``)): PT-Ranking scores one query per batch,
runs Sinkhorn on ``exp(-C / lam)`` directly (which underflows when ``C / lam`` passes about 100
in float32, as the relevance gap makes it here) and returns as gradient Frogner et al.'s dual
potential ``lam * log u``, centred. Here a batch of padded lists is scored at once and in the
log domain; the value and the gradient are PT-Ranking's. That gradient is WassRank's (Frogner
et al., NeurIPS 2015): at convergence it is the gradient of the *regularised* transport cost
``sum(pi C) + reg * sum(pi (log pi - 1))`` with respect to ``q``, not of the unregularised
``sum(pi C)`` the loss reports. With the default costs the kernel ``exp(-C / reg)`` is almost
diagonal, so after 20 rounds the reported value is nearly 0 while the potential still points
``q`` towards ``p``: the value is a poor training curve, the gradient is what trains. Memory
holds a few [batch, list, list] matrices whatever ``n_iter`` (no graph through the rounds).
Its other cost types (``p1``, ``p2``, ``dg``, ``ddg``), its ``NG``
smoothing and its rescaling of sigmoid outputs are not offered.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from ._common import check_numbers, prepare, reduce_lists, valid_lists
from .pairs import check_pair_matrix

#: PT-Ranking's ``var_penalty``: the cost of moving mass between two documents of one grade
DEFAULT_TIE_COST = math.e


def grouping_cost(labels: torch.Tensor, mask: torch.Tensor, gain_base: float,
                  relevance_gap: float, tie_cost: float) -> torch.Tensor:
    """PT-Ranking's explicit grouping cost [batch, list, list] (module docstring); 0 on the
    diagonal and for every pair that involves padding."""
    g = torch.pow(torch.as_tensor(gain_base, dtype=labels.dtype), labels) - 1.0
    g = torch.where(g < 1.0, torch.full_like(g, -relevance_gap), g)
    cost = (g.unsqueeze(2) - g.unsqueeze(1)).abs()
    cost = torch.where(cost < 1.0, torch.full_like(cost, tie_cost), cost)
    real_pairs = mask.unsqueeze(2) & mask.unsqueeze(1)
    real_pairs = real_pairs & ~torch.eye(labels.shape[1], dtype=torch.bool, device=labels.device)
    return torch.where(real_pairs, cost, torch.zeros_like(cost))


def _sinkhorn_round(log_u: torch.Tensor, log_v: torch.Tensor, log_kernel: torch.Tensor,
                    log_q: torch.Tensor, log_p: torch.Tensor,
                    padding_bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One round: ``v`` matches the columns to ``p``, then ``u`` the rows to ``q``; padding
    enters every sum with ``padding_bias`` (a huge negative number), so it carries no mass."""
    rows = log_kernel + (log_u + padding_bias).unsqueeze(2)
    log_v = log_p - torch.logsumexp(rows, dim=1)
    columns = log_kernel + (log_v + padding_bias).unsqueeze(1)
    log_u = log_q - torch.logsumexp(columns, dim=2)
    return log_u, log_v


def sinkhorn_scalings(log_q: torch.Tensor, log_p: torch.Tensor, cost: torch.Tensor,
                      mask: torch.Tensor, regularization: float,
                      n_iter: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``log u``, ``log v`` [batch, list] and the plan ``pi = diag(u) exp(-C / reg) diag(v)``
    [batch, list, list] between the row histograms ``exp(log_q)`` and the column histograms
    ``exp(log_p)`` after ``n_iter`` log-domain Sinkhorn rounds from uniform scalings; the plan
    is 0 wherever padding is involved."""
    dtype, device = cost.dtype, cost.device
    padding_bias = torch.where(mask, torch.zeros((), dtype=dtype, device=device),
                               torch.full((), torch.finfo(dtype).min / 4, dtype=dtype,
                                          device=device))
    log_kernel = -cost / regularization
    n_real = mask.sum(dim=1, keepdim=True).clamp_min(1).to(dtype)
    log_u = (-torch.log(n_real)).expand_as(log_q)
    log_v = log_u
    for _ in range(n_iter):
        log_u, log_v = _sinkhorn_round(log_u, log_v, log_kernel, log_q, log_p, padding_bias)
    plan = torch.exp(log_u.unsqueeze(2) + log_kernel + log_v.unsqueeze(1))
    real_pairs = mask.unsqueeze(2) & mask.unsqueeze(1)
    return log_u, log_v, torch.where(real_pairs, plan, torch.zeros_like(plan))


class _TransportCost(torch.autograd.Function):
    """Per-list transport cost ``sum(pi * C)`` [batch] of the Sinkhorn plan from
    ``exp(log_q)`` to ``exp(log_p)``; its gradient with respect to the predicted histogram
    ``q`` is the dual potential ``reg * log u``, centred over the real documents (Frogner et
    al., NeurIPS 2015, as WassRank and PT-Ranking), passed on to ``log_q``."""

    @staticmethod
    def forward(ctx: Any, log_q: torch.Tensor, log_p: torch.Tensor, cost: torch.Tensor,
                mask: torch.Tensor, regularization: float, n_iter: int) -> torch.Tensor:
        log_u, _, plan = sinkhorn_scalings(log_q, log_p, cost, mask, regularization, n_iter)
        ctx.save_for_backward(log_q, log_u, mask)
        ctx.regularization = regularization
        return (plan * cost).sum(dim=(1, 2))

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        log_q, log_u, mask = ctx.saved_tensors
        potential = torch.where(mask, ctx.regularization * log_u, torch.zeros_like(log_u))
        n_real = mask.sum(dim=1, keepdim=True).clamp_min(1).to(log_u.dtype)
        centred = potential - potential.sum(dim=1, keepdim=True) / n_real
        grad_q = torch.where(mask, centred, torch.zeros_like(centred)) * grad_out.unsqueeze(1)
        return grad_q * torch.exp(log_q), None, None, None, None, None


def _masked_log_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """log_softmax over each row's real entries; padded entries hold 0 (finite)."""
    lowest = torch.finfo(values.dtype).min
    out = torch.log_softmax(values.masked_fill(~mask, lowest), dim=1)
    return out.masked_fill(~mask, 0.0)


def wassrank_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    regularization: float = 0.1, n_iter: int = 20, gain_base: float = 4.0,
    relevance_gap: float = 100.0, tie_cost: float = DEFAULT_TIE_COST,
    reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Entropic optimal-transport cost from softmax(scores) to softmax(labels) per list.

    Parameters
    ----------
    regularization : float > 0, default 0.1
        Entropic regularisation of the transport (PT-Ranking's ``lam``); smaller is closer to
        the exact Wasserstein distance and needs more rounds.
    n_iter : int >= 1, default 20
        Sinkhorn rounds (PT-Ranking's ``sh_itr``).
    gain_base : float > 1, default 4.0
        Base of the gains ``gain_base^y - 1`` in the cost.
    relevance_gap : float >= 0, default 100.0
        Extra distance between a relevant and a non-relevant document.
    tie_cost : float >= 0, default e
        Cost of moving mass between two documents of the same grade.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over lists with a real document, ``"sum"`` or ``"none"`` ([batch]).
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).

    Raises
    ------
    ValueError
        For a bad parameter, or when the [batch, list, list] matrices would pass
        `neural.losses.MAX_LIST_MATRIX` elements (the message names the list length).
    """
    name = "wassrank_loss"
    check_numbers(name, regularization=regularization, n_iter=n_iter, gain_base=gain_base,
                  relevance_gap=relevance_gap, tie_cost=tie_cost)
    scores, labels, mask, weights = prepare(name, scores, labels, mask, weights, reduction)
    check_pair_matrix(name, scores.shape[0], scores.shape[1])
    labels = labels.to(scores.dtype)
    cost = grouping_cost(labels, mask, float(gain_base), float(relevance_gap), float(tie_cost))
    per_list = _TransportCost.apply(_masked_log_softmax(scores, mask),
                                    _masked_log_softmax(labels, mask), cost, mask,
                                    float(regularization), int(n_iter))
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)
