"""NeuralNDCG (Pobrotyn & Białobrzeski, 2021): NDCG through NeuralSort's relaxed permutation.

For a list of ``n`` real documents with scores ``s``, NeuralSort (Grover et al., ICLR 2019)
gives the row-stochastic matrix ``P[r, j] = softmax_j(((n + 1 - 2r) s_j - sum_k |s_j - s_k|)
/ temperature)`` (``r = 1..n``), which tends to the permutation sorting ``s`` in descending
order as the temperature goes to 0. Sinkhorn scaling (alternate column and row
normalisation, at most ``max_iter`` rounds, stopping when every column sum is within ``tol``
of 1, as allRank) makes it doubly stochastic: ``P = diag(u) K diag(v)``.

- standard: the expected gain at rank ``r`` is ``(P g)_r``; ``DCG = sum_{r <= k} (P g)_r / log2(1 + r)``;
- transposed (``transposed=True``): the expected discount of document ``j`` is
  ``(P^T d)_j`` with ``d_r = 1/log2(1 + r)`` for ``r <= k`` and 0 beyond;
  ``DCG = sum_j g_j (P^T d)_j``.

The loss is ``-DCG / IDCG@k`` per list, averaged over the lists with ``IDCG > 0``. Padding is
excluded exactly (it may sit anywhere in the list). Sinkhorn runs on the scaling vectors
``u, v`` only, and its backward pass accumulates the gradient of ``K`` in a single matrix
product, so a step costs a few [batch, list, list] passes instead of two per Sinkhorn round.

Differences from allRank 1.4.3 ``neuralNDCG`` / ``neuralNDCG_transposed``: no ``eps`` added
to IDCG (lists with ``IDCG = 0`` are left out, as allRank's mask does); padding need not be at
the end of the list; Sinkhorn's denominators are clamped at ``1e-10`` like allRank's; the
transposed variant uses the chosen gain for IDCG too (allRank always uses ``2^y - 1`` there).

The stochastic variant (``stochastic=True``, allRank's Gumbel-NeuralNDCG, after Grover et al.'s
stochastic NeuralSort) averages the loss over ``n_samples`` perturbed copies of each list:
``s' = log(s + |min(s)| + 1e-10) + beta * G`` (without the log when ``log_scores=False``), ``G``
standard Gumbel noise ``-log(-log(U + 1e-10) + 1e-10)`` from ``U`` uniform on [0, 1), drawn
as one ``[n_samples, batch, list]`` tensor from ``generator``. The one difference from
allRank: ``min(s)`` is taken over each list's real documents, where allRank takes it over the
whole batch, padding included, so that there one list's loss depends on the other lists of
its batch. (allRank 1.4.3 also pairs its sample-major copies with masks repeated list by list,
which masks the wrong documents when the lists of a batch differ in length; here every copy
keeps its own list's mask.)
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from boostrank.metrics.gains import EXPONENTIAL, LINEAR, resolve_gain

from ._common import (
    check_numbers,
    gains,
    ideal_dcg,
    prepare,
    rank_discounts,
    reduce_lists,
)
from .gumbel import DEFAULT_SAMPLES, gumbel_noise, mean_over_copies, repeat_lists
from .pairs import check_copies_fit

SINKHORN_EPS = 1e-10
#: inside the logarithms of the stochastic variant (allRank's)
GUMBEL_EPS = 1e-10


def gumbel_perturbed_scores(scores: torch.Tensor, mask: torch.Tensor, n_samples: int,
                            beta: float, log_scores: bool = True,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """``n_samples`` Gumbel-perturbed copies of ``scores``, shape [n_samples * batch, list].

    Copy ``i`` of list ``b`` is row ``i * batch + b``; padding holds 0. The perturbation is
    the module docstring's.
    """
    batch, length = scores.shape
    inf = torch.tensor(float("inf"), dtype=scores.dtype, device=scores.device)
    lowest = torch.where(mask, scores, inf).amin(dim=1, keepdim=True)
    lowest = torch.where(torch.isfinite(lowest), lowest, torch.zeros_like(lowest))
    shifted = torch.where(mask, scores + lowest.abs(), torch.ones_like(scores))
    base = torch.log(shifted + GUMBEL_EPS) if log_scores else shifted
    noise = gumbel_noise(n_samples, scores, GUMBEL_EPS, generator)
    perturbed = (base.unsqueeze(0) + beta * noise).reshape(n_samples * batch, length)
    (mask_copies,) = repeat_lists(n_samples, mask)
    return torch.where(mask_copies, perturbed, torch.zeros_like(perturbed))


def neural_sort(scores: torch.Tensor, mask: torch.Tensor, temperature: float) -> torch.Tensor:
    """NeuralSort's relaxed sorting matrix K [batch, list (rank), list (document)].

    Row ``r`` (0-based) of a list with ``n`` real documents is a softmax over its real
    documents for ``r < n`` and all zeros for ``r >= n``; padded columns are exactly 0.
    ``scores`` must hold finite values at padding.
    """
    length = scores.shape[1]
    fmask = mask.to(scores.dtype)
    n_real = fmask.sum(dim=1, keepdim=True)  # [b, 1]
    spread = ((scores.unsqueeze(2) - scores.unsqueeze(1)).abs() * fmask.unsqueeze(1)).sum(2)
    ranks = torch.arange(1, length + 1, dtype=scores.dtype, device=scores.device)
    scaling = n_real + 1.0 - 2.0 * ranks  # [b, r]
    logits = (scaling.unsqueeze(2) * scores.unsqueeze(1) - spread.unsqueeze(1)) / temperature
    logits = logits.masked_fill(~mask.unsqueeze(1), torch.finfo(scores.dtype).min)
    row_valid = ranks.unsqueeze(0) <= n_real
    return torch.softmax(logits, dim=2) * row_valid.unsqueeze(2).to(scores.dtype)


def mv(K: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """``K vec`` per list [batch, list], as ``vec^T K^T`` (a row-vector product is several
    times faster than a matrix-vector bmm on CPU)."""
    return torch.bmm(vec.unsqueeze(1), K.transpose(1, 2)).squeeze(1)


def t_mv(K: torch.Tensor, vec: torch.Tensor) -> torch.Tensor:
    """``K^T vec`` per list [batch, list]."""
    return torch.bmm(vec.unsqueeze(1), K).squeeze(1)


class _Sinkhorn(torch.autograd.Function):
    """Scaling vectors ``u, v`` with ``diag(u) K diag(v)`` doubly stochastic on the real
    block; the backward pass replays the rounds on vectors and forms dK with one bmm."""

    @staticmethod
    def forward(ctx, K, row_valid, col_valid, max_iter, tol):  # noqa: D102
        u = row_valid.to(K.dtype)
        history = []  # (u_prev, c, v, q) of each round
        c = t_mv(K, u)
        for _ in range(max_iter):
            v = col_valid / c.clamp_min(SINKHORN_EPS)
            q = mv(K, v)
            u_new = row_valid / q.clamp_min(SINKHORN_EPS)
            history.append((u, c, v, q))
            u = u_new
            c = t_mv(K, u)
            if tol > 0 and ((v * c - col_valid).abs().max() < tol):
                break
        ctx.history = history
        ctx.save_for_backward(K, row_valid, col_valid)
        return u, history[-1][2]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_u, grad_v):  # noqa: D102
        K, row_valid, col_valid = ctx.saved_tensors
        history = ctx.history
        left, right = [], []  # dK = sum_t left_t right_t^T
        g_u = grad_u
        g_v = grad_v
        u_out = None
        for u_prev, c, v, q in reversed(history):
            u_cur = row_valid / q.clamp_min(SINKHORN_EPS) if u_out is None else u_out
            g_q = -g_u * u_cur / q.clamp_min(SINKHORN_EPS) * (q > SINKHORN_EPS)
            left.append(g_q)
            right.append(v)
            g_v_total = g_v + t_mv(K, g_q)
            g_c = -g_v_total * v / c.clamp_min(SINKHORN_EPS) * (c > SINKHORN_EPS)
            left.append(u_prev)
            right.append(g_c)
            g_u = mv(K, g_c)
            g_v = torch.zeros_like(g_v)
            u_out = u_prev
        grad_K = torch.bmm(torch.stack(left, dim=2), torch.stack(right, dim=1))
        return grad_K, None, None, None, None


def sinkhorn_scaling(K: torch.Tensor, row_valid: torch.Tensor, col_valid: torch.Tensor,
                     max_iter: int = 50, tol: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor]:
    """Sinkhorn scaling vectors ``(u, v)`` [batch, list] of ``K`` [batch, list, list].

    ``diag(u) K diag(v)`` has unit row sums on ``row_valid`` rows and column sums within
    ``tol`` of 1 on ``col_valid`` columns (or ``max_iter`` rounds were made; ``tol=0``
    always makes ``max_iter`` rounds). Differentiable with respect to ``K``.
    """
    return _Sinkhorn.apply(K, row_valid.to(K.dtype), col_valid.to(K.dtype), int(max_iter),
                           float(tol))


def resolve_neuralndcg_gain(gain: str | None, powered_relevancies: bool | None) -> str:
    """The gain from ``gain`` or allRank's ``powered_relevancies`` (True: exponential)."""
    if powered_relevancies is None:
        return EXPONENTIAL if gain is None else resolve_gain(gain)
    implied = EXPONENTIAL if powered_relevancies else LINEAR
    if gain is not None and resolve_gain(gain) != implied:
        raise ValueError(
            f"neuralndcg_loss: gain={gain!r} contradicts powered_relevancies="
            f"{powered_relevancies!r}; pass only one of them"
        )
    return implied


def neuralndcg_loss(
    scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor | None = None, *,
    temperature: float = 1.0, k: int | None = None, gain: str | None = None,
    powered_relevancies: bool | None = None, transposed: bool = False, max_iter: int = 50,
    tol: float = 1e-6, stochastic: bool = False, n_samples: int = DEFAULT_SAMPLES["neuralndcg"],
    beta: float = 0.1, log_scores: bool = True, generator: torch.Generator | None = None,
    reduction: str = "mean", weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative NeuralNDCG@k (standard or transposed), see the module docstring.

    Parameters
    ----------
    temperature : float, default 1.0
        NeuralSort temperature, > 0; the loss tends to ``-NDCG@k`` as it goes to 0.
    k : int, optional
        NDCG cutoff (None: whole list).
    gain : {"exponential", "linear"}, optional
        Label gain (default exponential); ``powered_relevancies`` is allRank's spelling
        (True: exponential, False: linear).
    transposed : bool, default False
        NeuralNDCG-Transposed (expected discounts per document).
    max_iter : int, default 50
        Most Sinkhorn rounds (>= 1); ``tol`` (>= 0) stops earlier, as allRank.
    stochastic : bool, default False
        Gumbel-NeuralNDCG: the mean loss over ``n_samples`` (>= 1, default 32) copies of each
        list, its scores perturbed by Gumbel noise of scale ``beta`` (> 0, default 0.1), after
        a logarithm when ``log_scores`` (module docstring). Memory grows ``n_samples`` times.
    generator : torch.Generator, optional
        Source of the Gumbel noise (default: PyTorch's global generator); the estimators
        pass one seeded from ``random_state``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over lists with a positive IDCG (allRank's), ``"sum"`` or ``"none"``.
    scores, labels, mask, weights
        The common arguments of every loss (see `neural.losses`).
    """
    name = "neuralndcg_loss"
    check_numbers(name, temperature=temperature, k=k, max_iter=max_iter, tol=tol,
                  n_samples=n_samples, beta=beta)
    gain = resolve_neuralndcg_gain(gain, powered_relevancies)
    scores, labels, mask, weights = prepare(name, scores, labels, mask, weights,
                                            reduction)
    batch, length = scores.shape
    copies = n_samples if stochastic else 1
    check_copies_fit(name, batch, length, copies)
    g = gains(labels, gain)
    idcg = ideal_dcg(g, mask, k)
    valid = idcg > 0
    if stochastic:
        scores = gumbel_perturbed_scores(scores, mask, n_samples, float(beta), log_scores,
                                         generator)
        mask, g = repeat_lists(copies, mask, g)
    dcg = _relaxed_dcg(scores, mask, g, float(temperature), k, transposed, max_iter, tol)
    dcg = mean_over_copies(dcg, copies)
    per_list = -dcg / torch.where(valid, idcg, torch.ones_like(idcg))
    return reduce_lists(per_list, valid, weights, reduction)


def _relaxed_dcg(scores: torch.Tensor, mask: torch.Tensor, g: torch.Tensor, temperature: float,
                 k: int | None, transposed: bool, max_iter: int, tol: float) -> torch.Tensor:
    """NeuralNDCG's DCG@k per list [batch] of gains ``g`` under the relaxed sort of ``scores``."""
    batch, length = scores.shape
    K = neural_sort(scores, mask, temperature)
    n_real = mask.sum(dim=1, keepdim=True)
    row_valid = torch.arange(length, device=scores.device).unsqueeze(0) < n_real
    u, v = sinkhorn_scaling(K, row_valid, mask, max_iter, tol)
    disc = rank_discounts(length, k, scores.dtype, scores.device).expand(batch, -1)
    if transposed:
        expected_disc = t_mv(K, u * disc) * v
        dcg = (g * expected_disc).sum(dim=1)
    else:
        expected_gain = mv(K, v * g) * u
        dcg = (expected_gain * disc).sum(dim=1)
    return dcg
