"""neural.losses against brute-force references written in plain Python, gradcheck, padding and
permutation invariance."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from neural.losses import (  # noqa: E402
    approxndcg_loss,
    get_loss,
    hinge_loss,
    lambdarank_loss,
    listmle_loss,
    listnet_loss,
    ordinal_loss,
    rankcosine_loss,
    ranknet_loss,
    rmse_loss,
    softmax_loss,
)

# ----------------------------------------------------------------------------- references


def _lists(scores, labels, mask):
    """Per list: (scores, labels) of the real documents as Python floats."""
    out = []
    for s_row, y_row, m_row in zip(scores.tolist(), labels.tolist(), mask.tolist(), strict=True):
        out.append(([s for s, m in zip(s_row, m_row, strict=True) if m],
                    [y for y, m in zip(y_row, m_row, strict=True) if m]))
    return out


def _gain(y, kind="exp2"):
    return 2.0 ** y - 1.0 if kind == "exp2" else y


def _disc(rank):  # 1-based
    return 1.0 / math.log2(rank + 1.0)


def ref_ranknet(scores, labels, mask, sigma=1.0, weighting=None, k=None, gain="exp2"):
    total, count = 0.0, 0
    for s, y in _lists(scores, labels, mask):
        n = len(s)
        order = sorted(range(n), key=lambda i: -s[i])  # stable: ties by position
        rank = {doc: r + 1 for r, doc in enumerate(order)}
        ideal = sorted((_gain(v, gain) for v in y), reverse=True)
        idcg = sum(g * _disc(r + 1) for r, g in enumerate(ideal) if k is None or r < k)

        def d(r):
            return _disc(r) if k is None or r <= k else 0.0

        for i in range(n):
            for j in range(n):
                if y[i] > y[j]:
                    w = 1.0
                    if weighting == "delta_gain":
                        w = abs(_gain(y[i], gain) - _gain(y[j], gain))
                    elif weighting == "delta_ndcg":
                        w = (abs(_gain(y[i], gain) - _gain(y[j], gain))
                             * abs(d(rank[i]) - d(rank[j])) / idcg)
                    total += w * math.log1p(math.exp(-sigma * (s[i] - s[j])))
                    count += 1
    return total / count


def _softmax(values):
    top = max(values)
    e = [math.exp(v - top) for v in values]
    z = sum(e)
    return [v / z for v in e]


def ref_listnet(scores, labels, mask, transform="identity"):
    losses = []
    for s, y in _lists(scores, labels, mask):
        if not s:
            continue
        t = [2.0 ** v - 1.0 for v in y] if transform == "exponential" else y
        p_y, p_s = _softmax(t), _softmax(s)
        losses.append(-sum(a * math.log(b) for a, b in zip(p_y, p_s, strict=True)))
    return sum(losses) / len(losses)


def ref_listmle(scores, labels, mask):
    losses = []
    for s, y in _lists(scores, labels, mask):
        if not s:
            continue
        order = sorted(range(len(s)), key=lambda i: -y[i])  # stable
        total = 0.0
        for pos, doc in enumerate(order):
            tail = [s[j] for j in order[pos:]]
            total += math.log(sum(math.exp(v) for v in tail)) - s[doc]
        losses.append(total)
    return sum(losses) / len(losses)


def ref_approxndcg(scores, labels, mask, alpha=1.0):
    losses = []
    for s, y in _lists(scores, labels, mask):
        ideal = sorted((_gain(v) for v in y), reverse=True)
        idcg = sum(g * _disc(r + 1) for r, g in enumerate(ideal))
        if idcg <= 0:
            continue
        dcg = 0.0
        for i in range(len(s)):
            rank = 1.0 + sum(1.0 / (1.0 + math.exp(-alpha * (s[j] - s[i])))
                             for j in range(len(s)) if j != i)
            dcg += _gain(y[i]) / math.log2(1.0 + rank)
        losses.append(-dcg / idcg)
    return sum(losses) / len(losses)


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



# ----------------------------------------------------------------------------- data


def _batch(seed=0, batch=4, length=7, levels=4, dtype=torch.float64, distinct=False):
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(batch, length, generator=gen, dtype=dtype)
    if distinct:
        labels = torch.stack([torch.randperm(length, generator=gen) for _ in range(batch)])
        labels = labels.to(dtype) / 2
    else:
        labels = torch.randint(0, levels, (batch, length), generator=gen).to(dtype)
    lengths = torch.tensor([length, length - 2, 1, 3])[:batch]
    mask = torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)
    return scores, labels, mask


CASES = [
    ("ranknet", lambda s, y, m: ranknet_loss(s, y, m, sigma=1.3),
     lambda s, y, m: ref_ranknet(s, y, m, sigma=1.3)),
    ("ranknet_delta_gain", lambda s, y, m: ranknet_loss(s, y, m, weighting="delta_gain"),
     lambda s, y, m: ref_ranknet(s, y, m, weighting="delta_gain")),
    ("lambdarank", lambda s, y, m: lambdarank_loss(s, y, m, sigma=0.7),
     lambda s, y, m: ref_ranknet(s, y, m, sigma=0.7, weighting="delta_ndcg")),
    ("lambdarank_k3", lambda s, y, m: lambdarank_loss(s, y, m, k=3),
     lambda s, y, m: ref_ranknet(s, y, m, weighting="delta_ndcg", k=3)),
    ("lambdarank_linear", lambda s, y, m: lambdarank_loss(s, y, m, gain="linear"),
     lambda s, y, m: ref_ranknet(s, y, m, weighting="delta_ndcg", gain="linear")),
    ("listnet", lambda s, y, m: listnet_loss(s, y, m), ref_listnet),
    ("listnet_exp2", lambda s, y, m: listnet_loss(s, y, m, label_transform="exponential"),
     lambda s, y, m: ref_listnet(s, y, m, transform="exponential")),
    ("listmle", lambda s, y, m: listmle_loss(s, y, m), ref_listmle),
    ("approxndcg", lambda s, y, m: approxndcg_loss(s, y, m, alpha=2.0),
     lambda s, y, m: ref_approxndcg(s, y, m, alpha=2.0)),
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
    extra = 5
    pad_scores = torch.cat([scores, torch.full((scores.shape[0], extra), float("nan"),
                                               dtype=scores.dtype)], dim=1)
    pad_labels = torch.cat([labels, torch.full((labels.shape[0], extra), 99.0,
                                               dtype=labels.dtype)], dim=1)
    pad_mask = torch.cat([mask, torch.zeros(mask.shape[0], extra, dtype=torch.bool)], dim=1)
    # garbage also in the masked-out slots inside the original width
    pad_scores = pad_scores.masked_fill(~pad_mask, float("inf"))
    pad_scores.requires_grad_(True)
    scores.requires_grad_(True)
    base = loss(scores, labels, mask)
    padded = loss(pad_scores, pad_labels, pad_mask)
    assert padded.item() == pytest.approx(base.item(), rel=1e-12, abs=1e-14)
    base.backward()
    padded.backward()
    grad = pad_scores.grad[:, : scores.shape[1]]
    assert torch.allclose(grad[mask], scores.grad[mask], rtol=1e-10, atol=1e-14)
    assert torch.isfinite(pad_scores.grad).all()
    assert (pad_scores.grad[~pad_mask] == 0).all()


@pytest.mark.parametrize(("name", "loss", "ref"), CASES, ids=IDS)
def test_permutation_invariance(name, loss, ref):
    # distinct labels: ListMLE's order of tied labels is then irrelevant
    scores, labels, mask = _batch(5, distinct=True)
    gen = torch.Generator().manual_seed(9)
    perm_s, perm_y, perm_m = scores.clone(), labels.clone(), mask.clone()
    for b in range(scores.shape[0]):
        p = torch.randperm(scores.shape[1], generator=gen)
        perm_s[b], perm_y[b], perm_m[b] = scores[b, p], labels[b, p], mask[b, p]
    assert loss(perm_s, perm_y, perm_m).item() == pytest.approx(
        loss(scores, labels, mask).item(), rel=1e-12)


def test_ranknet_matches_reference_with_float32_and_no_mask():
    scores, labels, _ = _batch(6, batch=3, dtype=torch.float32)
    full = torch.ones_like(scores, dtype=torch.bool)
    assert ranknet_loss(scores, labels).item() == pytest.approx(
        ref_ranknet(scores.double(), labels.double(), full), rel=1e-5)


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_reductions_and_list_weights(reduction):
    scores, labels, mask = _batch(7)
    weights = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)
    for fn in (ranknet_loss, listnet_loss, listmle_loss, approxndcg_loss):
        per_list = fn(scores, labels, mask, reduction="none")
        assert per_list.shape == (4,)
        single = torch.stack([fn(scores[b:b + 1], labels[b:b + 1], mask[b:b + 1],
                                 reduction="sum") for b in range(4)])
        assert torch.allclose(per_list, single)
        weighted = fn(scores, labels, mask, reduction=reduction, weights=weights)
        expected = per_list * weights if reduction == "none" else (per_list * weights).sum()
        assert torch.allclose(weighted, expected)


def test_weighted_mean_ranknet_counts_pairs():
    scores, labels, mask = _batch(8)
    weights = torch.tensor([1.0, 2.0, 0.0, 1.0], dtype=torch.float64)
    pairs = torch.tensor([sum(1 for a in y for b in y if a > b)
                          for _, y in _lists(scores, labels, mask)], dtype=torch.float64)
    per_list = ranknet_loss(scores, labels, mask, reduction="none")
    got = ranknet_loss(scores, labels, mask, weights=weights)
    assert got.item() == pytest.approx(((per_list * weights).sum()
                                        / (pairs * weights).sum()).item())


@pytest.mark.parametrize("fn", [ranknet_loss, lambdarank_loss, listnet_loss, listmle_loss,
                                approxndcg_loss])
def test_no_signal_gives_zero_and_finite_gradient(fn):
    scores = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.zeros(2, 4, dtype=torch.float64)
    mask = torch.zeros(2, 4, dtype=torch.bool)
    out = fn(scores, labels, mask)
    out.backward()
    assert out.item() == 0.0
    assert torch.isfinite(scores.grad).all()


def test_extreme_scores_stay_finite():
    scores = torch.tensor([[1e4, -1e4, 0.0, 3e3]], dtype=torch.float32, requires_grad=True)
    labels = torch.tensor([[0.0, 2.0, 1.0, 1.0]])
    for fn in (ranknet_loss, lambdarank_loss, listnet_loss, listmle_loss, approxndcg_loss):
        scores.grad = None
        out = fn(scores, labels)
        out.backward()
        assert torch.isfinite(out) and torch.isfinite(scores.grad).all(), fn.__name__


def test_listmle_random_ties_is_seeded():
    scores, labels, mask = _batch(10, levels=2)
    a = listmle_loss(scores, labels, mask, ties="random",
                     generator=torch.Generator().manual_seed(1))
    b = listmle_loss(scores, labels, mask, ties="random",
                     generator=torch.Generator().manual_seed(1))
    assert a.item() == b.item()


def test_get_loss_and_bad_parameters():
    scores, labels, mask = _batch(11)
    module = get_loss("RankNet", sigma=2.0)
    assert module(scores, labels, mask).item() == pytest.approx(
        ranknet_loss(scores, labels, mask, sigma=2.0).item())
    with pytest.raises(ValueError, match="unknown loss"):
        get_loss("pointwise")
    with pytest.raises(ValueError, match="bad parameters for loss 'listnet'"):
        get_loss("listnet", sigma=1.0)
    with pytest.raises(ValueError, match="sigma"):
        ranknet_loss(scores, labels, mask, sigma=0.0)
    with pytest.raises(ValueError, match="reduction"):
        listnet_loss(scores, labels, mask, reduction="avg")
    with pytest.raises(ValueError, match="labels shape"):
        listnet_loss(scores, labels[:, :3], mask)
    with pytest.raises(ValueError, match="weighting"):
        ranknet_loss(scores, labels, mask, weighting="ndcg")
