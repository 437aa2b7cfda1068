"""Hinge (against torch.nn.MarginRankingLoss), TF-Ranking softmax, RankCosine, RMSE and the
ordinal loss against brute-force per-query references: values, gradcheck, padding."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch, _lists  # noqa: E402

from neural.losses import (  # noqa: E402
    get_loss,
    hinge_loss,
    listnet_loss,
    ordinal_loss,
    rankcosine_loss,
    rmse_loss,
    softmax_loss,
)


def ordered_pairs(scores, labels, mask):
    """(x1, x2, target) of every ordered pair of different labels, enumerated with loops."""
    x1, x2, target = [], [], []
    for s, y in _lists(scores, labels, mask):
        for i in range(len(s)):
            for j in range(len(s)):
                if y[i] != y[j]:
                    x1.append(s[i])
                    x2.append(s[j])
                    target.append(1.0 if y[i] > y[j] else -1.0)
    return (torch.tensor(x1, dtype=torch.float64), torch.tensor(x2, dtype=torch.float64),
            torch.tensor(target, dtype=torch.float64))


def ref_softmax(scores, labels, mask):
    total, lists = 0.0, 0
    for s, y in _lists(scores, labels, mask):
        label_sum = sum(y)
        if label_sum <= 0:
            continue
        log_z = math.log(sum(math.exp(v) for v in s))
        total += label_sum * -sum(t / label_sum * (v - log_z) for t, v in zip(y, s, strict=True))
        lists += 1
    return total / lists


def ref_rankcosine(scores, labels, mask):
    values = []
    for s, y in _lists(scores, labels, mask):
        ny, ns = math.sqrt(sum(v * v for v in y)), math.sqrt(sum(v * v for v in s))
        if ny == 0:
            continue
        values.append((1 - sum(a * b for a, b in zip(s, y, strict=True)) / (ny * ns)) / 2)
    return sum(values) / len(values)


def ref_rmse(scores, labels, mask, scale=1.0):
    values = [math.sqrt(sum((b - scale * a) ** 2 for a, b in zip(s, y, strict=True)) / len(s))
              for s, y in _lists(scores, labels, mask) if s]
    return sum(values) / len(values)


def ref_ordinal(scores, labels, mask, n):
    total, docs = 0.0, 0
    for s, y in _lists(scores, labels, mask):
        for v, label in zip(s, y, strict=True):
            for t in range(1, n + 1):
                p = 1 / (1 + math.exp(-(v - (t - 0.5))))
                total += -math.log(p) if label >= t else -math.log(1 - p)
            docs += 1
    return total / docs


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_hinge_equals_margin_ranking_loss_on_every_ordered_pair(margin, seed):
    scores, labels, mask = _batch(seed, levels=3)
    x1, x2, target = ordered_pairs(scores, labels, mask)
    want = torch.nn.MarginRankingLoss(margin=margin)(x1, x2, target)
    got = hinge_loss(scores, labels, mask, margin=margin)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)
    want_sum = torch.nn.MarginRankingLoss(margin=margin, reduction="sum")(x1, x2, target)
    assert 2 * hinge_loss(scores, labels, mask, margin=margin, reduction="sum").item() == \
        pytest.approx(want_sum.item(), rel=1e-12)


CASES = [
    ("softmax", lambda s, y, m: softmax_loss(s, y, m), ref_softmax),
    ("rankcosine", lambda s, y, m: rankcosine_loss(s, y, m), ref_rankcosine),
    ("rmse", lambda s, y, m: rmse_loss(s, y, m, score_scale=2.0),
     lambda s, y, m: ref_rmse(s, y, m, 2.0)),
    ("ordinal", lambda s, y, m: ordinal_loss(s, y, m, n_thresholds=4),
     lambda s, y, m: ref_ordinal(s, y, m, 4)),
    ("ordinal_auto", lambda s, y, m: ordinal_loss(s, y, m),
     lambda s, y, m: ref_ordinal(s, y, m, int(y[m].max().item()))),
    ("hinge", lambda s, y, m: hinge_loss(s, y, m, margin=0.7),
     lambda s, y, m: torch.nn.MarginRankingLoss(margin=0.7)(*ordered_pairs(s, y, m)).item()),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "loss", "ref"), CASES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_equals_brute_force_reference(name, loss, ref, seed):
    scores, labels, mask = _batch(seed)
    assert loss(scores, labels, mask).item() == pytest.approx(ref(scores, labels, mask),
                                                              rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("name", "loss", "ref"), CASES, ids=IDS)
def test_gradcheck_float64(name, loss, ref):
    scores, labels, mask = _batch(3)
    scores.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: loss(s, labels, mask), (scores,))


@pytest.mark.parametrize(("name", "loss", "ref"), CASES, ids=IDS)
def test_padding_is_ignored_exactly(name, loss, ref):
    scores, labels, mask = _batch(4)
    pad_s = torch.cat([scores, torch.full((4, 3), float("nan"), dtype=scores.dtype)], 1)
    pad_y = torch.cat([labels, torch.full((4, 3), 2.0, dtype=labels.dtype)], 1)
    pad_m = torch.cat([mask, torch.zeros(4, 3, dtype=torch.bool)], 1)
    pad_s = pad_s.masked_fill(~pad_m, float("inf")).requires_grad_(True)
    base = scores.clone().requires_grad_(True)
    a, b = loss(base, labels, mask), loss(pad_s, pad_y, pad_m)
    assert b.item() == pytest.approx(a.item(), rel=1e-12, abs=1e-14)
    (ga,) = torch.autograd.grad(a, base)
    (gb,) = torch.autograd.grad(b, pad_s)
    assert torch.allclose(gb[:, :7][mask], ga[mask]) and (gb[~pad_m] == 0).all()


def test_softmax_and_listnet_targets_differ_as_documented():
    scores = torch.tensor([[0.3, -0.2, 1.0]], dtype=torch.float64)
    labels = torch.tensor([[2.0, 0.0, 1.0]], dtype=torch.float64)
    log_p = torch.log_softmax(scores, dim=1)
    listnet_target = torch.softmax(labels, dim=1)  # every document gets target mass
    softmax_target = labels / labels.sum()  # label 0 gets none; the list weighs sum(labels)
    assert listnet_loss(scores, labels).item() == pytest.approx(
        -(listnet_target * log_p).sum().item())
    assert softmax_loss(scores, labels).item() == pytest.approx(
        -(softmax_target * log_p).sum().item() * 3.0)


def test_rmse_exact_prediction_has_zero_finite_gradient():
    labels = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    scores = labels.clone().requires_grad_(True)
    out = rmse_loss(scores, labels)
    out.backward()
    assert out.item() == 0.0 and torch.isfinite(scores.grad).all()


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
        get_loss("hinge", margin=-1)
    with pytest.raises(ValueError, match="n_thresholds must be an integer >= 1"):
        get_loss("ordinal", n_thresholds=0)
    with pytest.raises(ValueError, match="score_scale"):
        rmse_loss(torch.zeros(1, 2), torch.zeros(1, 2), score_scale=0.0)
