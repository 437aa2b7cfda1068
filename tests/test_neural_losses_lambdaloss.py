"""LambdaLoss (every allRank weighing scheme) against a brute-force reference written with
Python loops: values, gradients (gradcheck in float64), padding, ties, lists of length 1."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, _lists  # noqa: E402

from neural.losses import WEIGHING_SCHEMES, get_loss, lambdaloss_loss  # noqa: E402


def _scheme_weight(scheme, i, j, y, G, mu):
    def inv_d(p):  # p: 0-based position
        return 1.0 / math.log2(p + 2.0)

    if scheme == "rankNet":
        return 1.0
    if scheme == "ndcgLoss1":
        return G[i] * inv_d(i)
    if scheme == "rankNetWeightedByGTDiff":
        return abs(y[i] - y[j])
    if scheme == "rankNetWeightedByGTDiffPowed":
        return abs(y[i] ** 2 - y[j] ** 2)
    lambda_rank = abs(inv_d(i) - inv_d(j)) * abs(G[i] - G[j])
    delta = abs(i - j)
    ndcg2 = (abs(1.0 / math.log2(1.0 + delta) - 1.0 / math.log2(2.0 + delta))
             * abs(G[i] - G[j])) if delta else 0.0
    if scheme == "lambdaRank":
        return lambda_rank
    if scheme == "ndcgLoss2":
        return ndcg2
    return mu * ndcg2 + lambda_rank


def ref_lambdaloss(scores, labels, mask, scheme, k=None, sigma=1.0, mu=10.0, gain="exp",
                   reduction="mean"):
    total, count = 0.0, 0
    for s, y_raw in _lists(scores, labels, mask):
        n = len(s)
        order = sorted(range(n), key=lambda i: -s[i])  # Python's sort is stable
        s_sorted = [s[i] for i in order]
        y = [y_raw[i] for i in order]

        def gain_of(v):
            return 2.0 ** v - 1.0 if gain == "exp" else v

        ideal = sorted((gain_of(v) for v in y), reverse=True)
        idcg = sum(g / math.log2(r + 2.0) for r, g in enumerate(ideal) if k is None or r < k)
        G = [gain_of(v) / idcg if idcg > 0 else 0.0 for v in y]
        top = n if k is None else min(k, n)
        for i in range(top):
            for j in range(top):
                if scheme != "ndcgLoss1" and not y[i] > y[j]:
                    continue
                w = _scheme_weight(scheme, i, j, y, G, mu)
                diff = sigma * (s_sorted[i] - s_sorted[j])
                total += w * math.log1p(math.exp(-diff)) / math.log(2.0)
                count += 1
    if reduction == "sum":
        return total
    return total / count if count else 0.0


CASES = [(scheme, k) for scheme in WEIGHING_SCHEMES for k in (None, 3)]


@pytest.mark.parametrize(("scheme", "k"), CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_lambdaloss_equals_brute_force(scheme, k, seed):
    # levels=3 on 7 documents: ties in the labels; lengths 7, 5, 1, 3 (padding, a singleton)
    scores, labels, mask = _batch(seed, levels=3)
    got = lambdaloss_loss(scores, labels, mask, weighing_scheme=scheme, k=k, sigma=1.3, mu=4.0)
    want = ref_lambdaloss(scores, labels, mask, scheme, k=k, sigma=1.3, mu=4.0)
    assert got.item() == pytest.approx(want, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("scheme", WEIGHING_SCHEMES)
def test_lambdaloss_sum_and_linear_gain(scheme):
    scores, labels, mask = _batch(2)
    got = lambdaloss_loss(scores, labels, mask, weighing_scheme=scheme, gain="linear",
                          reduction="sum")
    want = ref_lambdaloss(scores, labels, mask, scheme, gain="linear", reduction="sum")
    assert got.item() == pytest.approx(want, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("scheme", WEIGHING_SCHEMES)
def test_lambdaloss_gradcheck(scheme):
    scores, labels, mask = _batch(3)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s: lambdaloss_loss(s, labels, mask, weighing_scheme=scheme, k=4), (scores,))


def test_lambdaloss_tied_scores_follow_list_order():
    scores = torch.zeros(1, 4, dtype=torch.float64)
    labels = torch.tensor([[0.0, 2.0, 1.0, 0.0]], dtype=torch.float64)
    mask = torch.ones(1, 4, dtype=torch.bool)
    for scheme in WEIGHING_SCHEMES:
        got = lambdaloss_loss(scores, labels, mask, weighing_scheme=scheme)
        assert got.item() == pytest.approx(ref_lambdaloss(scores, labels, mask, scheme))


def test_lambdaloss_padding_is_ignored():
    scores, labels, mask = _batch(4)
    pad = 3
    s2 = torch.cat([scores, torch.full((4, pad), float("nan"), dtype=scores.dtype)], 1)
    y2 = torch.cat([labels, torch.full((4, pad), 7.0, dtype=labels.dtype)], 1)
    m2 = torch.cat([mask, torch.zeros(4, pad, dtype=torch.bool)], 1)
    s2 = s2.masked_fill(~m2, 1e6).requires_grad_(True)
    base = scores.clone().requires_grad_(True)
    for scheme in WEIGHING_SCHEMES:
        a = lambdaloss_loss(base, labels, mask, weighing_scheme=scheme)
        b = lambdaloss_loss(s2, y2, m2, weighing_scheme=scheme)
        assert b.item() == pytest.approx(a.item(), rel=1e-12)
        (ga,) = torch.autograd.grad(a, base)
        (gb,) = torch.autograd.grad(b, s2)
        assert torch.allclose(gb[:, :7][mask], ga[mask])
        assert (gb[~m2] == 0).all()


def test_lambdaloss_scheme_spellings_and_errors():
    scores, labels, mask = _batch(5)
    a = lambdaloss_loss(scores, labels, mask, weighing_scheme="ndcgLoss2PP_scheme")
    b = get_loss("lambda_loss", weighing_scheme="ndcgloss2++")(scores, labels, mask)
    assert a.item() == b.item()
    assert lambdaloss_loss(scores, labels, mask, weighing_scheme=None).item() == \
        lambdaloss_loss(scores, labels, mask, weighing_scheme="rankNet").item()
    with pytest.raises(ValueError, match="weighing_scheme must be one of"):
        get_loss("lambdaloss", weighing_scheme="ndcgLoss3")
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        get_loss("lambdaloss", k=0)
    with pytest.raises(ValueError, match="sigma"):
        lambdaloss_loss(scores, labels, mask, sigma=-1.0)
