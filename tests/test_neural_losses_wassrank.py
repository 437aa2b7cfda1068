"""WassRank against a brute-force Sinkhorn written in plain Python (values and PT-Ranking's
dual-potential gradient), the gradient against finite differences of the regularised
transport cost at convergence, padding, lists of length 1, a descent check and the memory
bound."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, _lists  # noqa: E402

from neural.losses import get_loss, wassrank_loss  # noqa: E402

SMALL_COSTS = dict(regularization=1.0, gain_base=2.0, relevance_gap=1.0, tie_cost=0.5)


def _logsumexp(values):
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _softmax(values):
    top = _logsumexp(values)
    return [math.exp(v - top) for v in values]


def _cost(labels, gain_base, relevance_gap, tie_cost):
    """PT-Ranking's explicit grouping cost, pair by pair."""
    grouped = []
    for y in labels:
        gain = gain_base ** y - 1.0
        grouped.append(-relevance_gap if gain < 1.0 else gain)
    n = len(labels)
    cost = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if i != j:
                gap = abs(grouped[i] - grouped[j])
                cost[i][j] = tie_cost if gap < 1.0 else gap
    return cost


def _sinkhorn(q, p, cost, reg, n_iter):
    """Log-domain Sinkhorn from uniform scalings, v then u each round: (plan, log u)."""
    n = len(q)
    log_u, log_v = [-math.log(n)] * n, [-math.log(n)] * n
    for _ in range(n_iter):
        log_v = [math.log(p[j]) - _logsumexp([-cost[i][j] / reg + log_u[i] for i in range(n)])
                 for j in range(n)]
        log_u = [math.log(q[i]) - _logsumexp([-cost[i][j] / reg + log_v[j] for j in range(n)])
                 for i in range(n)]
    plan = [[math.exp(log_u[i] - cost[i][j] / reg + log_v[j]) for j in range(n)]
            for i in range(n)]
    return plan, log_u


def _defaults(params):
    full = dict(regularization=0.1, n_iter=20, gain_base=4.0, relevance_gap=100.0,
                tie_cost=math.e)
    full.update(params)
    return full


def ref_wassrank(scores, labels, mask, **params):
    """Mean transport cost over the lists with a real document, and its gradient with respect
    to the scores as WassRank defines it (the centred potential ``reg * log u`` pulled back
    through the softmax)."""
    kw = _defaults(params)
    values, grads = [], []
    for s, y in _lists(scores, labels, mask):
        if not s:
            grads.append([])
            continue
        q, p = _softmax(s), _softmax(y)
        cost = _cost(y, kw["gain_base"], kw["relevance_gap"], kw["tie_cost"])
        plan, log_u = _sinkhorn(q, p, cost, kw["regularization"], kw["n_iter"])
        values.append(sum(plan[i][j] * cost[i][j] for i in range(len(s)) for j in range(len(s))))
        potential = [kw["regularization"] * v for v in log_u]
        mean_potential = sum(potential) / len(potential)
        centred = [v - mean_potential for v in potential]
        expected = sum(qi * ci for qi, ci in zip(q, centred, strict=True))
        grads.append([qk * (ck - expected) for qk, ck in zip(q, centred, strict=True)])
    grad = [[g / len(values) for g in row] for row in grads]
    return sum(values) / len(values), grad


def _padded(grad_rows, like):
    out = torch.zeros_like(like)
    for b, row in enumerate(grad_rows):
        out[b, :len(row)] = torch.tensor(row, dtype=like.dtype)
    return out


@pytest.mark.parametrize("params", [{}, dict(SMALL_COSTS, n_iter=7),
                                    dict(regularization=0.5, n_iter=3, tie_cost=0.0)])
def test_wassrank_value_and_gradient_equal_brute_force(params):
    scores, labels, mask = _batch(21, levels=3)  # ties, padding, a list of length 1
    scores.requires_grad_(True)
    loss = wassrank_loss(scores, labels, mask, **params)
    loss.backward()
    want, want_grad = ref_wassrank(scores.detach(), labels, mask, **params)
    assert loss.item() == pytest.approx(want, rel=1e-9, abs=1e-12)
    torch.testing.assert_close(scores.grad, _padded(want_grad, scores), rtol=1e-7, atol=1e-12)


def _regularised_cost(scores, labels, reg, n_iter):
    """``sum(pi C) + reg * sum(pi (log pi - 1))`` of one list, by brute force."""
    q, p = _softmax(scores), _softmax(labels)
    cost = _cost(labels, SMALL_COSTS["gain_base"], SMALL_COSTS["relevance_gap"],
                 SMALL_COSTS["tie_cost"])
    plan, _ = _sinkhorn(q, p, cost, reg, n_iter)
    return sum(pi * (c + reg * (math.log(pi) - 1.0))
               for row, c_row in zip(plan, cost, strict=True)
               for pi, c in zip(row, c_row, strict=True))


def test_wassrank_gradient_is_the_regularised_cost_gradient_at_convergence():
    # Frogner et al.: at convergence the centred potential is the gradient of the regularised
    # transport cost; checked here against its central finite differences
    scores = torch.tensor([[0.3, -0.4, 1.1, 0.2, -0.9]], dtype=torch.float64,
                          requires_grad=True)
    labels = torch.tensor([[2.0, 0.0, 1.0, 1.0, 0.0]], dtype=torch.float64)
    wassrank_loss(scores, labels, None, n_iter=400, **SMALL_COSTS).backward()
    s, y, h = scores.detach()[0].tolist(), labels[0].tolist(), 1e-5
    numeric = []
    for k in range(len(s)):
        up, down = list(s), list(s)
        up[k] += h
        down[k] -= h
        numeric.append((_regularised_cost(up, y, 1.0, 400)
                        - _regularised_cost(down, y, 1.0, 400)) / (2 * h))
    torch.testing.assert_close(scores.grad[0], torch.tensor(numeric, dtype=torch.float64),
                               rtol=1e-5, atol=1e-8)


def test_wassrank_ignores_padding_and_scores_a_single_document_zero():
    scores, labels, mask = _batch(22)
    padded = scores.masked_fill(~mask, float("nan")).requires_grad_(True)
    got = wassrank_loss(padded, labels.masked_fill(~mask, 7.0), mask)
    assert got.item() == pytest.approx(wassrank_loss(scores, labels, mask).item(), rel=1e-12)
    got.backward()
    assert torch.isfinite(padded.grad).all() and (padded.grad[~mask] == 0).all()
    single = torch.tensor([[0.7]], dtype=torch.float64, requires_grad=True)
    value = wassrank_loss(single, torch.tensor([[2.0]], dtype=torch.float64))
    value.backward()
    assert value.item() == 0.0 and single.grad.item() == 0.0
    per_list = wassrank_loss(scores, labels, mask, reduction="none")
    assert per_list.shape == (4,) and (per_list >= 0).all()


def test_wassrank_descent_moves_the_scores_towards_the_labels():
    labels = torch.tensor([[3.0, 0.0, 1.0, 2.0, 0.0, 1.0]], dtype=torch.float64)
    scores = torch.zeros_like(labels, requires_grad=True)
    module = get_loss("wassrank")
    optimizer = torch.optim.SGD([scores], lr=0.5)
    for _ in range(200):
        optimizer.zero_grad()
        module(scores, labels).backward()
        optimizer.step()
    # the gradient drives softmax(scores) to softmax(labels): scores = labels + a constant
    # (up to the 20 rounds' approximation), from a first step that already orders the grades
    shifted = scores.detach() - labels
    torch.testing.assert_close(shifted, shifted.mean().expand_as(shifted), rtol=0, atol=1e-3)


def test_wassrank_memory_is_linear_in_the_list_length():
    # the cost depends on the two grades only: no [list, list] matrix is formed
    labels = torch.randint(0, 3, (1, 30_000), generator=torch.Generator().manual_seed(0))
    scores = torch.randn(1, 30_000, requires_grad=True)
    wassrank_loss(scores, labels.float()).backward()
    assert torch.isfinite(scores.grad).all()
    many = torch.arange(9000.0).repeat(2, 1)  # 9000 distinct labels
    with pytest.raises(ValueError, match=r"wassrank_loss: 9000 distinct labels in a batch of 2 "
                                         r"list\(s\) of 9000 documents"):
        wassrank_loss(torch.zeros(2, 9000), many)
