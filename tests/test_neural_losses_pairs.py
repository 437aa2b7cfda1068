"""Pairwise losses in bounded memory (issue 12, bad input 1): blocks of the pair matrix give the
same loss and gradient as one block, block sizes respect the limit, a 50,000-document query
trains in bounded memory, and losses that need whole matrices refuse with the way out."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from neural.losses import (  # noqa: E402
    approxndcg_loss,
    get_loss,
    hinge_loss,
    lambdaloss_loss,
    lambdarank_loss,
    pairs,
    ranknet_loss,
)

REPO = Path(__file__).resolve().parents[1]

LOSSES = {
    "ranknet": lambda s, y, m: ranknet_loss(s, y, m, weighting="delta_gain"),
    "lambdarank": lambda s, y, m: lambdarank_loss(s, y, m, k=10),
    "lambdaloss": lambda s, y, m: lambdaloss_loss(s, y, m, k=20),
    "lambdaloss_ndcg1": lambda s, y, m: lambdaloss_loss(s, y, m, weighing_scheme="ndcgLoss1"),
    "hinge": lambda s, y, m: hinge_loss(s, y, m, margin=0.5),
}


def _long_batch(batch=3, length=150, seed=0):
    gen = torch.Generator().manual_seed(seed)
    scores = torch.randn(batch, length, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, 5, (batch, length), generator=gen).to(torch.float64)
    mask = torch.arange(length).unsqueeze(0) < torch.tensor([[length], [length - 40], [1]])
    return scores, labels, mask


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("limit", [1, 97, 150 * 150 + 1])
def test_blocks_give_the_unchunked_loss_and_gradient(name, limit, monkeypatch):
    scores, labels, mask = _long_batch()
    loss = LOSSES[name]
    whole_s = scores.clone().requires_grad_(True)
    whole = loss(whole_s, labels, mask)  # default limit: one block for the whole batch
    (whole_grad,) = torch.autograd.grad(whole, whole_s)
    monkeypatch.setattr(pairs, "MAX_PAIR_BLOCK", limit)
    chunk_s = scores.clone().requires_grad_(True)
    chunked = loss(chunk_s, labels, mask)
    (chunk_grad,) = torch.autograd.grad(chunked, chunk_s)
    assert chunked.item() == pytest.approx(whole.item(), rel=1e-12)
    assert torch.allclose(chunk_grad, whole_grad, rtol=1e-10, atol=1e-15)


def test_block_sizes_respect_the_limit():
    seen = []
    for lists, rows in pairs.pair_blocks(4, 1000, limit=50_000):
        seen.append((lists.stop - lists.start) * (rows.stop - rows.start) * 1000)
    assert max(seen) <= 50_000
    assert sum(seen) == 4 * 1000 * 1000  # every pair exactly once
    assert list(pairs.pair_blocks(2, 3, limit=100)) == [(slice(0, 2), slice(0, 3))]


def test_gradcheck_through_blocks(monkeypatch):
    monkeypatch.setattr(pairs, "MAX_PAIR_BLOCK", 5)
    gen = torch.Generator().manual_seed(1)
    scores = torch.randn(2, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 3, (2, 6), generator=gen).to(torch.float64)
    for name, loss in LOSSES.items():
        assert torch.autograd.gradcheck(lambda s, f=loss: f(s, labels, None), (scores,)), name


@pytest.mark.slow
def test_lambdarank_on_one_long_query_runs_in_bounded_memory():
    # 16,000 documents: unbounded, the pair tensors would take 3 x 2.56e8 float32 = 3 GB (and
    # 30 GB at 50,000 documents, which runs the same blocks, only for minutes); measured in a
    # fresh process so that the peak resident memory belongs to this run only.
    code = textwrap.dedent("""
        import resource, torch
        from neural.losses import lambdarank_loss
        torch.manual_seed(0)
        n = 16_000
        scores = torch.randn(1, n, requires_grad=True)
        labels = torch.randint(0, 5, (1, n)).float()
        loss = lambdarank_loss(scores, labels)  # RankNet's pair engine plus |delta NDCG|
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(scores.grad).all()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=900, check=True)
    peak_mib = int(out.stdout.split()[-1])
    assert peak_mib < 1536, f"peak resident memory {peak_mib} MiB"


def test_whole_matrix_losses_refuse_huge_lists_naming_length_and_way_out(monkeypatch):
    monkeypatch.setattr(pairs, "MAX_LIST_MATRIX", 10_000)
    scores = torch.zeros(1, 101)
    with pytest.raises(ValueError, match=r"1 list\(s\) of 101 documents.*ranknet, lambdarank"):
        approxndcg_loss(scores, scores)
    with pytest.raises(ValueError, match="101 documents"):
        get_loss("neuralndcg")(scores, scores)
    ranknet_loss(scores, scores)  # pairwise losses are blocked, not refused
