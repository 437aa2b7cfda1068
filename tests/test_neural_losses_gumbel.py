"""The stochastic (Gumbel) variants of NeuralNDCG (allRank's), ApproxNDCG (TF-Ranking's
GumbelApproxNDCGLoss) and ListNet (PT-Ranking's STListNet) against brute-force references that perturb the scores by hand from the
same uniform draws; gradients (gradcheck in float64), padding, seeding and the memory bound
that counts the copies."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, ref_approxndcg, ref_listnet  # noqa: E402
from test_neural_losses_neuralndcg import ref_neuralndcg  # noqa: E402

from neural.losses import approxndcg_loss, listnet_loss, neuralndcg_loss  # noqa: E402
from neural.losses.gumbel import matrix_copies  # noqa: E402


def _gumbel(u, eps):
    return -math.log(-math.log(u + eps) + eps)


def _mean_over_hand_copies(scores, mask, n_samples, seed, perturb, loss_of):
    """Mean of ``loss_of`` over ``n_samples`` copies of ``scores`` perturbed by hand list by
    list (``perturb(real scores, their uniforms)``) from the uniform draws the losses make:
    one [n_samples, batch, list] tensor from a generator seeded with ``seed``."""
    uniform = torch.rand((n_samples, *scores.shape), generator=torch.Generator().manual_seed(seed),
                         dtype=scores.dtype).tolist()
    values = []
    for sample in uniform:
        rows = []
        for s_row, m_row, u_row in zip(scores.tolist(), mask.tolist(), sample, strict=True):
            real = [(j, s) for j, (s, m) in enumerate(zip(s_row, m_row, strict=True)) if m]
            row = [0.0] * len(s_row)
            if real:
                new = perturb([s for _, s in real], [u_row[j] for j, _ in real])
                for (j, _), value in zip(real, new, strict=True):
                    row[j] = value
            rows.append(row)
        values.append(loss_of(torch.tensor(rows, dtype=scores.dtype)))
    return sum(values) / len(values)


def _gumbel_softmax_perturbation(tau):
    """TF-Ranking's Gumbel-softmax sample of one list's real scores."""
    def perturb(real, uniforms):
        z = [(s + _gumbel(u, 1e-20)) / tau for s, u in zip(real, uniforms, strict=True)]
        top = max(z)
        total = sum(math.exp(v - top) for v in z)
        return [math.log(math.exp(v - top) / total + 1e-20) for v in z]
    return perturb


def _gumbel_softmax_reference(scores, labels, mask, n_samples, tau, alpha, seed):
    return _mean_over_hand_copies(scores, mask, n_samples, seed,
                                  _gumbel_softmax_perturbation(tau),
                                  lambda s: ref_approxndcg(s, labels, mask, alpha=alpha))


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


def _neural_sort_perturbation(beta, log_scores):
    """allRank's perturbation of one list's real scores, given their uniform draws."""
    def perturb(real, uniforms):
        shift = abs(min(real))
        base = [math.log(s + shift + 1e-10) if log_scores else s + shift for s in real]
        return [b + beta * _gumbel(u, 1e-10) for b, u in zip(base, uniforms, strict=True)]
    return perturb


def _gumbel_reference(scores, labels, mask, n_samples, beta, log_scores, seed, **kw):
    perturb = _neural_sort_perturbation(beta, log_scores)
    return _mean_over_hand_copies(scores, mask, n_samples, seed, perturb,
                                  lambda s: ref_neuralndcg(s, labels, mask, **kw))


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize(("log_scores", "beta", "k"), [(True, 0.1, None), (False, 0.7, 3)])
def test_stochastic_neuralndcg_equals_brute_force(transposed, log_scores, beta, k):
    scores, labels, mask = _batch(5, levels=3)  # ties, padding, a list of length 1
    got = neuralndcg_loss(scores, labels, mask, stochastic=True, n_samples=4, beta=beta,
                          log_scores=log_scores, k=k, max_iter=6, tol=0.0,
                          transposed=transposed, generator=torch.Generator().manual_seed(11))
    want = _gumbel_reference(scores, labels, mask, 4, beta, log_scores, 11, k=k, rounds=6,
                             transposed=transposed)
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_stochastic_neuralndcg_without_noise_is_the_deterministic_loss():
    scores, labels, mask = _batch(3)
    deterministic = neuralndcg_loss(scores, labels, mask, k=4, tol=0.0, max_iter=10)
    # log_scores=False only shifts each list, which NeuralSort ignores; beta -> 0 removes the noise
    nearly = neuralndcg_loss(scores, labels, mask, k=4, tol=0.0, max_iter=10, stochastic=True,
                             n_samples=3, beta=1e-12, log_scores=False)
    assert nearly.item() == pytest.approx(deterministic.item(), rel=1e-9)
    noisy = neuralndcg_loss(scores, labels, mask, k=4, tol=0.0, max_iter=10, stochastic=True,
                            n_samples=3, beta=1.0, log_scores=False)
    assert abs(noisy.item() - deterministic.item()) > 1e-4


@pytest.mark.parametrize("transposed", [False, True])
def test_stochastic_neuralndcg_gradcheck(transposed):
    scores, labels, mask = _batch(7)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s: neuralndcg_loss(s, labels, mask, k=4, max_iter=6, tol=0.0, stochastic=True,
                                  n_samples=3, transposed=transposed,
                                  generator=torch.Generator().manual_seed(0)), (scores,))


def test_stochastic_neuralndcg_ignores_padding_content_and_is_seeded():
    scores, labels, mask = _batch(8)
    def loss(s, seed):
        return neuralndcg_loss(s, labels, mask, stochastic=True, n_samples=5,
                               generator=torch.Generator().manual_seed(seed))
    padded = scores.masked_fill(~mask, -1e3).requires_grad_(True)
    a, b = loss(scores, 1), loss(padded, 1)
    assert b.item() == pytest.approx(a.item(), rel=1e-12)
    b.backward()
    assert torch.isfinite(padded.grad).all() and (padded.grad[~mask] == 0).all()
    assert loss(scores, 2).item() != a.item()


def test_stochastic_neuralndcg_counts_its_samples_in_the_memory_bound():
    scores = torch.zeros(1, 2100)  # 2100**2 fits the bound once, not 32 times
    neuralndcg_loss(scores[:, :300], scores[:, :300], None, stochastic=True, n_samples=2)
    assert neuralndcg_loss(scores, scores, None).item() == 0.0  # no positive IDCG: no loss
    with pytest.raises(ValueError, match=r"a batch of 32 list\(s\) of 2100 documents.*"
                                         r"or fewer n_samples \(32 copies of every list\)"):
        neuralndcg_loss(scores, scores, None, stochastic=True)


def _stlistnet_reference(scores, labels, mask, n_samples, tau, seed):
    """PT-Ranking's STListNet by hand: ListNet with the scores ``(s + G) / tau``."""
    def perturb(real, uniforms):
        return [(s + _gumbel(u, 1e-20)) / tau for s, u in zip(real, uniforms, strict=True)]
    return _mean_over_hand_copies(scores, mask, n_samples, seed, perturb,
                                  lambda s: ref_listnet(s, labels, mask))


@pytest.mark.parametrize(("n_samples", "tau"), [(1, 1.0), (4, 0.5)])
def test_stlistnet_equals_brute_force(n_samples, tau):
    scores, labels, mask = _batch(12, levels=3)  # ties, padding, a list of length 1
    got = listnet_loss(scores, labels, mask, stochastic=True, n_samples=n_samples,
                       gumbel_temperature=tau, generator=torch.Generator().manual_seed(5))
    want = _stlistnet_reference(scores, labels, mask, n_samples, tau, seed=5)
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_stlistnet_gradcheck_padding_and_seeding():
    scores, labels, mask = _batch(13)

    def loss(s, seed, **kw):
        return listnet_loss(s, labels, mask, stochastic=True, n_samples=3,
                            generator=torch.Generator().manual_seed(seed), **kw)

    assert torch.autograd.gradcheck(lambda s: loss(s, 2), (scores.clone().requires_grad_(),))
    padded = scores.masked_fill(~mask, 1e3).requires_grad_(True)
    first, again = loss(scores, 2), loss(padded, 2)
    assert again.item() == pytest.approx(first.item(), rel=1e-12)
    again.backward()
    assert torch.isfinite(padded.grad).all() and (padded.grad[~mask] == 0).all()
    assert loss(scores, 3).item() != first.item()
    assert first.item() != listnet_loss(scores, labels, mask).item()
    assert loss(scores, 2, reduction="none").shape == (4,)


def test_stlistnet_copies_are_linear_in_memory():
    # ListNet's copies form no [list, list] matrix: the batcher keeps its budget
    assert matrix_copies("listnet", {"stochastic": True, "n_samples": 16}) == 1
    long = torch.zeros(1, 5000)
    assert torch.isfinite(listnet_loss(long, long, None, stochastic=True, n_samples=4))
