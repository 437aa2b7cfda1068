"""NeuralNDCG (standard and transposed) against a brute-force reference (NeuralSort matrix and
Sinkhorn scaling written with Python loops), its limit NDCG as the temperature goes to 0,
gradients (gradcheck in float64) and padding."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, _lists  # noqa: E402

from neural.losses import get_loss, neuralndcg_loss  # noqa: E402


def _neural_sort(s, tau):
    n = len(s)
    P = []
    for r in range(1, n + 1):
        logits = [((n + 1 - 2 * r) * s[j] - sum(abs(s[j] - s_k) for s_k in s)) / tau
                  for j in range(n)]
        top = max(logits)
        e = [math.exp(v - top) for v in logits]
        P.append([v / sum(e) for v in e])
    return P


def _sinkhorn(P, rounds):
    n = len(P)
    for _ in range(rounds):
        cols = [sum(P[r][j] for r in range(n)) for j in range(n)]
        P = [[P[r][j] / cols[j] for j in range(n)] for r in range(n)]
        P = [[v / sum(row) for v in row] for row in P]
    return P


def _gain(v, gain):
    return 2.0 ** v - 1.0 if gain == "exponential" else v


def ref_neuralndcg(scores, labels, mask, tau=1.0, k=None, rounds=50, transposed=False,
                   gain="exponential"):
    values = []
    for s, y in _lists(scores, labels, mask):
        n = len(s)
        g = [_gain(v, gain) for v in y]
        ideal = sorted(g, reverse=True)
        idcg = sum(v / math.log2(r + 2) for r, v in enumerate(ideal) if k is None or r < k)
        if idcg <= 0:
            continue
        P = _sinkhorn(_neural_sort(s, tau), rounds)
        disc = [1 / math.log2(r + 2) if k is None or r < k else 0.0 for r in range(n)]
        if transposed:
            dcg = sum(g[j] * sum(P[r][j] * disc[r] for r in range(n)) for j in range(n))
        else:
            dcg = sum(disc[r] * sum(P[r][j] * g[j] for j in range(n)) for r in range(n))
        values.append(-dcg / idcg)
    return sum(values) / len(values)


def ref_ndcg(scores, labels, mask, k=None):
    values = []
    for s, y in _lists(scores, labels, mask):
        order = sorted(range(len(s)), key=lambda i: -s[i])
        dcg = sum((2 ** y[d] - 1) / math.log2(r + 2) for r, d in enumerate(order)
                  if k is None or r < k)
        ideal = sorted((2 ** v - 1 for v in y), reverse=True)
        idcg = sum(v / math.log2(r + 2) for r, v in enumerate(ideal) if k is None or r < k)
        if idcg > 0:
            values.append(dcg / idcg)
    return sum(values) / len(values)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(("tau", "k", "rounds"), [(1.0, None, 5), (0.5, 3, 50), (2.0, 2, 1)])
def test_neuralndcg_equals_brute_force(transposed, tau, k, rounds):
    scores, labels, mask = _batch(0, levels=3)  # ties, padding, a list of length 1
    got = neuralndcg_loss(scores, labels, mask, temperature=tau, k=k, max_iter=rounds, tol=0.0,
                          transposed=transposed)
    want = ref_neuralndcg(scores, labels, mask, tau=tau, k=k, rounds=rounds,
                          transposed=transposed)
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_neuralndcg_linear_gain_and_allrank_spelling():
    scores, labels, mask = _batch(1)
    got = neuralndcg_loss(scores, labels, mask, powered_relevancies=False, tol=0.0, max_iter=3)
    want = ref_neuralndcg(scores, labels, mask, rounds=3, gain="linear")
    assert got.item() == pytest.approx(want, rel=1e-9)
    with pytest.raises(ValueError, match="contradicts"):
        get_loss("neuralndcg", gain="exponential", powered_relevancies=False)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("k", [None, 3])
def test_neuralndcg_tends_to_ndcg_as_temperature_goes_to_zero(transposed, k):
    gen = torch.Generator().manual_seed(3)
    scores = torch.randn(5, 9, generator=gen, dtype=torch.float64) * 3
    labels = torch.randint(0, 4, (5, 9), generator=gen).to(torch.float64)
    mask = torch.arange(9).unsqueeze(0) < torch.tensor([[9], [6], [1], [4], [9]])
    exact = ref_ndcg(scores, labels, mask, k=k)
    errors = []
    for tau in (1.0, 0.1, 1e-2, 1e-5):
        got = -neuralndcg_loss(scores, labels, mask, temperature=tau, k=k,
                               transposed=transposed)
        errors.append(abs(got.item() - exact))
    assert errors[-1] < 1e-9
    assert errors == sorted(errors, reverse=True) and errors[0] > 1e-3


@pytest.mark.parametrize("transposed", [False, True])
def test_neuralndcg_gradcheck(transposed):
    scores, labels, mask = _batch(2)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s: neuralndcg_loss(s, labels, mask, k=4, max_iter=8, tol=0.0,
                                  transposed=transposed), (scores,))


def test_neuralndcg_early_stop_gradcheck():
    scores, labels, mask = _batch(6)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: neuralndcg_loss(s, labels, mask, tol=1e-4),
                                    (scores,))


def test_neuralndcg_padding_anywhere_is_ignored():
    scores, labels, mask = _batch(4)
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(11, generator=gen)
    s2 = torch.cat([scores, torch.full((4, 4), 1e3, dtype=scores.dtype)], 1)[:, perm]
    y2 = torch.cat([labels, torch.full((4, 4), 9.0, dtype=labels.dtype)], 1)[:, perm]
    m2 = torch.cat([mask, torch.zeros(4, 4, dtype=torch.bool)], 1)[:, perm]
    s2.requires_grad_(True)
    a = neuralndcg_loss(scores, labels, mask, tol=0.0)
    b = neuralndcg_loss(s2, y2, m2, tol=0.0)
    assert b.item() == pytest.approx(a.item(), rel=1e-12)
    b.backward()
    assert torch.isfinite(s2.grad).all() and (s2.grad[~m2] == 0).all()


def test_neuralndcg_refuses_huge_lists_with_the_way_out():
    scores = torch.zeros(1, 20_000)
    with pytest.raises(ValueError, match="20000 documents.*split or subsample"):
        neuralndcg_loss(scores, scores, None)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        get_loss("neuralndcg", temperature=0.0)

