"""The stochastic (Gumbel) variant of ApproxNDCG, TF-Ranking's GumbelApproxNDCGLoss, against a
brute-force reference that perturbs the scores by hand from the same uniform draws; gradients
(gradcheck in float64), padding, seeding and the memory bound that counts the copies."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, ref_approxndcg  # noqa: E402

from neural.losses import approxndcg_loss  # noqa: E402
from neural.losses.gumbel import matrix_copies  # noqa: E402


def _gumbel_softmax_reference(scores, labels, mask, n_samples, tau, alpha, seed):
    uniform = torch.rand((n_samples, *scores.shape), generator=torch.Generator().manual_seed(seed),
                         dtype=scores.dtype).tolist()
    values = []
    for sample in uniform:
        rows = []
        for s_row, m_row, u_row in zip(scores.tolist(), mask.tolist(), sample, strict=True):
            z = [(s - math.log(-math.log(u + 1e-20) + 1e-20)) / tau if m else None
                 for s, m, u in zip(s_row, m_row, u_row, strict=True)]
            real = [v for v in z if v is not None]
            top = max(real) if real else 0.0
            total = sum(math.exp(v - top) for v in real)
            rows.append([math.log(math.exp(v - top) / total + 1e-20) if v is not None else 0.0
                         for v in z])
        values.append(ref_approxndcg(torch.tensor(rows, dtype=scores.dtype), labels, mask,
                                     alpha=alpha))
    return sum(values) / len(values)


@pytest.mark.parametrize(("tau", "alpha"), [(1.0, 1.0), (0.5, 3.0)])
def test_gumbel_approxndcg_equals_brute_force(tau, alpha):
    scores, labels, mask = _batch(9, levels=3)  # ties, padding, a list of length 1
    got = approxndcg_loss(scores, labels, mask, alpha=alpha, stochastic=True, n_samples=5,
                          gumbel_temperature=tau, generator=torch.Generator().manual_seed(4))
    want = _gumbel_softmax_reference(scores, labels, mask, 5, tau, alpha, seed=4)
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_gumbel_approxndcg_gradcheck():
    scores, labels, mask = _batch(10)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s: approxndcg_loss(s, labels, mask, alpha=2.0, stochastic=True, n_samples=3,
                                  generator=torch.Generator().manual_seed(1)), (scores,))


def test_gumbel_approxndcg_ignores_padding_content_and_is_seeded():
    scores, labels, mask = _batch(11)

    def loss(s, seed):
        return approxndcg_loss(s, labels, mask, stochastic=True,
                               generator=torch.Generator().manual_seed(seed))

    padded = scores.masked_fill(~mask, 1e3).requires_grad_(True)
    first = loss(scores, 3)
    again = loss(padded, 3)
    assert again.item() == pytest.approx(first.item(), rel=1e-12)
    again.backward()
    assert torch.isfinite(padded.grad).all() and (padded.grad[~mask] == 0).all()
    assert loss(scores, 4).item() != first.item()
    # a different loss from the deterministic one, and per-list values for reduction="none"
    assert first.item() != approxndcg_loss(scores, labels, mask).item()
    per_list = approxndcg_loss(scores, labels, mask, stochastic=True, reduction="none",
                               generator=torch.Generator().manual_seed(3))
    assert per_list.shape == (4,)


def test_gumbel_losses_count_their_copies():
    assert matrix_copies("approxndcg", {"stochastic": True}) == 8
    assert matrix_copies("neuralndcg", {"stochastic": True}) == 32
    assert matrix_copies("approxndcg", {"stochastic": True, "n_samples": 3}) == 3
    assert matrix_copies("approxndcg", {"n_samples": 3}) == 1
    assert matrix_copies("ranknet", {"stochastic": True}) == 1
    scores = torch.zeros(1, 4000)  # 4000**2 fits the bound once, not 9 times
    with pytest.raises(ValueError, match=r"a batch of 9 list\(s\) of 4000 documents.*"
                                         r"or fewer n_samples \(9 copies of every list\)"):
        approxndcg_loss(scores, scores, None, stochastic=True, n_samples=9)
