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
order, so the rows of ``pi`` sum to ``q`` exactly). Its gradient is WassRank's (Frogner et al.,
NeurIPS 2015, as PT-Ranking's ``WassLossSta``): the dual potential ``regularization * log u``,
centred, for ``q``. At convergence that is the gradient of the *regularised* cost
``sum(pi C) + regularization * sum(pi (log pi - 1))``, not of the reported ``sum(pi C)``, so
the training loss need not fall while the ranking improves. Lists without a real document
are left out of the mean.

The cost depends on the two documents' grades only (and ``C_ii = 0``), so every sum over the
documents of a list is a sum over its grades: ``sum_j K_ij w_j = sum_a K(g_i, a) W_a + (1 -
K(g_i, g_i)) w_i`` with ``W_a`` the sum of ``w`` over grade ``a``. A round costs
[batch, list, grades] operations and no [list, list] matrix is ever formed: memory is linear
in the list length. Many distinct (real-valued) labels beyond `MAX_LIST_MATRIX` elements of
[batch, list, labels] are refused with an error.

Differences from PT-Ranking's ``WassRank`` (its defaults are ours: ``regularization = 0.1``
(``lam``), ``n_iter = 20`` (``sh_itr``), ``gain_base = 4``, ``relevance_gap = 100``
(``non_rele_gap``), ``tie_cost = e`` (``var_penalty``)): PT-Ranking scores one query per call
and runs Sinkhorn on ``exp(-C / lam)`` in float32, which underflows to 0 for costs above about
10; with labels 0-4 its ``log(K v)`` then turns NaN on most lists and differs from the exact
rounds on others (``benchmarks/bench_ptranking.py``; with labels 0-2 the two agree to 1e-5).
Here a batch of padded lists is scored at once, in the log domain. Its other cost types
(``p1``, ``p2``, ``dg``, ``ddg``), its ``NG`` smoothing and its rescaling of sigmoid outputs
are not offered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from ._common import check_numbers, masked_log_softmax, prepare, reduce_lists, valid_lists
from .pairs import MAX_LIST_MATRIX

#: PT-Ranking's ``var_penalty``: the cost of moving mass between two documents of one grade
DEFAULT_TIE_COST = math.e


def grade_costs(grades: torch.Tensor, gain_base: float, relevance_gap: float,
                tie_cost: float) -> torch.Tensor:
    """PT-Ranking's explicit grouping cost between the label values ``grades`` [G]: [G, G],
    ``tie_cost`` on the diagonal (two distinct documents of one grade)."""
    g = torch.pow(torch.as_tensor(gain_base, dtype=grades.dtype), grades) - 1.0
    g = torch.where(g < 1.0, torch.full_like(g, -relevance_gap), g)
    cost = (g.unsqueeze(1) - g.unsqueeze(0)).abs()
    return torch.where(cost < 1.0, torch.full_like(cost, tie_cost), cost)


@dataclass
class GradeBlocks:
    """The cost of a batch in grade blocks: ``C_ij = grade_cost[grade_i, grade_j]`` for
    ``i != j`` and ``C_ii = 0``, so sums over documents become sums over grades.

    Every tensor is [batch, list, G] (``G`` distinct labels in the batch) but ``log_self``
    [batch, list] and ``grade_index`` [batch, list, 1]."""

    #: ``-grade_cost[grade_i, a] / regularization``
    log_kernel: torch.Tensor
    #: ``grade_cost[grade_i, a]``
    cost: torch.Tensor
    #: 0 where document ``j`` is a real document of grade ``a``, a huge negative number elsewhere
    member_bias: torch.Tensor
    #: ``log(1 - exp(-tie_cost / regularization))``: what the diagonal adds to the block sums
    log_self: torch.Tensor
    #: each document's grade, the index of its label among the batch's distinct labels
    grade_index: torch.Tensor

    def log_kernel_sums(self, log_w: torch.Tensor) -> torch.Tensor:
        """``log sum_j K_ij w_j`` [batch, list] over the real documents ``j`` (``K_ii = 1``)."""
        log_block = torch.logsumexp(log_w.unsqueeze(2) + self.member_bias, dim=1)  # [b, G]
        terms = self.log_kernel + log_block.unsqueeze(1)
        # the block sum counts j = i with exp(-tie_cost / reg); the diagonal's K_ii is 1
        terms = torch.cat([terms, (self.log_self + log_w).unsqueeze(2)], dim=2)
        return torch.logsumexp(terms, dim=2)

    def transport_cost(self, log_u: torch.Tensor, log_v: torch.Tensor,
                       mask: torch.Tensor) -> torch.Tensor:
        """``sum_ij pi_ij C_ij`` [batch] of the plan ``u_i K_ij v_j``."""
        log_block = torch.logsumexp(log_v.unsqueeze(2) + self.member_bias, dim=1)  # [b, G]
        to_blocks = torch.exp(log_u.unsqueeze(2) + self.log_kernel + log_block.unsqueeze(1))
        own_grade = self.cost.gather(2, self.grade_index)
        own_kernel = self.log_kernel.gather(2, self.grade_index)
        to_self = torch.exp(log_u.unsqueeze(2) + own_kernel + log_v.unsqueeze(2)) * own_grade
        per_doc = (to_blocks * self.cost).sum(dim=2) - to_self.squeeze(2)
        return torch.where(mask, per_doc, torch.zeros_like(per_doc)).sum(dim=1)


def grade_blocks(labels: torch.Tensor, mask: torch.Tensor, gain_base: float,
                 relevance_gap: float, tie_cost: float, regularization: float,
                 name: str) -> GradeBlocks:
    """`GradeBlocks` of a batch; refuses more than `MAX_LIST_MATRIX` [batch, list, grade]
    elements (many distinct real-valued labels)."""
    grades, index = torch.unique(torch.where(mask, labels, torch.zeros_like(labels)),
                                 return_inverse=True)
    batch, length = labels.shape
    if batch * length * len(grades) > MAX_LIST_MATRIX:
        raise ValueError(
            f"{name}: {len(grades)} distinct labels in a batch of {batch} list(s) of {length} "
            f"documents need [batch, list, label] tensors beyond {MAX_LIST_MATRIX:,} elements "
            "(neural.losses.MAX_LIST_MATRIX); WassRank expects a few relevance grades")
    cost = grade_costs(grades, gain_base, relevance_gap, tie_cost)
    per_doc_cost = cost[index]  # [b, n, G]
    lowest = torch.finfo(labels.dtype).min / 4
    members = torch.nn.functional.one_hot(index, len(grades)).bool() & mask.unsqueeze(2)
    member_bias = torch.where(members, torch.zeros((), dtype=labels.dtype, device=labels.device),
                              torch.full((), lowest, dtype=labels.dtype, device=labels.device))
    self_share = -math.expm1(-tie_cost / regularization)
    log_self = math.log(self_share) if self_share > 0 else lowest
    return GradeBlocks(log_kernel=-per_doc_cost / regularization, cost=per_doc_cost,
                        member_bias=member_bias,
                        log_self=torch.full_like(labels, log_self),
                        grade_index=index.unsqueeze(2))


def sinkhorn_scalings(log_q: torch.Tensor, log_p: torch.Tensor, blocks: GradeBlocks,
                      mask: torch.Tensor, n_iter: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``log u``, ``log v`` [batch, list] of the plan ``pi = diag(u) K diag(v)`` between the row
    histograms ``exp(log_q)`` and the column histograms ``exp(log_p)`` after ``n_iter``
    log-domain Sinkhorn rounds from uniform scalings (``v`` first in each round); padding
    holds the huge negative ``log u, log v`` that keep it out of every sum."""
    lowest = torch.finfo(log_q.dtype).min / 4
    n_real = mask.sum(dim=1, keepdim=True).clamp_min(1).to(log_q.dtype)
    start = (-torch.log(n_real)).expand_as(log_q)
    log_u = torch.where(mask, start, torch.full_like(start, lowest))
    log_v = log_u
    for _ in range(n_iter):
        log_v = torch.where(mask, log_p - blocks.log_kernel_sums(log_u), log_v)
        log_u = torch.where(mask, log_q - blocks.log_kernel_sums(log_v), log_u)
    return log_u, log_v


class _TransportCost(torch.autograd.Function):
    """Per-list transport cost ``sum(pi * C)`` [batch] of the Sinkhorn plan from
    ``exp(log_q)`` to ``exp(log_p)``; its gradient with respect to the predicted histogram
    ``q`` is the dual potential ``reg * log u``, centred over the real documents (Frogner et
    al., NeurIPS 2015, as WassRank and PT-Ranking), passed on to ``log_q``."""

    @staticmethod
    def forward(ctx: Any, log_q: torch.Tensor, log_p: torch.Tensor, blocks: GradeBlocks,
                mask: torch.Tensor, regularization: float, n_iter: int) -> torch.Tensor:
        log_u, log_v = sinkhorn_scalings(log_q, log_p, blocks, mask, n_iter)
        ctx.save_for_backward(log_q, log_u, mask)
        ctx.regularization = regularization
        return blocks.transport_cost(log_u, log_v, mask)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        log_q, log_u, mask = ctx.saved_tensors
        potential = torch.where(mask, ctx.regularization * log_u, torch.zeros_like(log_u))
        n_real = mask.sum(dim=1, keepdim=True).clamp_min(1).to(log_u.dtype)
        centred = potential - potential.sum(dim=1, keepdim=True) / n_real
        grad_q = torch.where(mask, centred, torch.zeros_like(centred)) * grad_out.unsqueeze(1)
        return grad_q * torch.exp(log_q), None, None, None, None, None


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
    labels = labels.to(scores.dtype)
    blocks = grade_blocks(labels, mask, float(gain_base), float(relevance_gap),
                          float(tie_cost), float(regularization), name)
    per_list = _TransportCost.apply(masked_log_softmax(scores, mask),
                                    masked_log_softmax(labels, mask), blocks, mask,
                                    float(regularization), int(n_iter))
    return reduce_lists(per_list, valid_lists(mask), weights, reduction)
