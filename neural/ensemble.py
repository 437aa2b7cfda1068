"""Seed ensembles of scorers: several networks trained alike, scores averaged.

``NeuralRanker(ensemble_size=K)`` trains K members with the seeds ``random_state``,
``random_state + 1``, ... ``random_state + K - 1``, each with its own early stopping on the
validation set, and scores a document with the mean of the members' scores, each member's
score first standardised by the mean and standard deviation of its own scores on the training
rows (networks trained from different seeds score on different scales; without that, the
member with the widest scale would decide the order). This is the ensemble of DASALC-ens
(Qin et al., "Are Neural Rankers still Outperformed by Gradient Boosted Decision Trees?",
ICLR 2021), which averages rankers that differ by their random seed.

`ScorerEnsemble` is a plain ``torch.nn.Module`` (members plus two buffers), so save / load,
pickling and ONNX export go through the same paths as a single scorer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["ScorerEnsemble", "member_seeds", "standardising_stats"]

#: seeds are drawn below 2**31 - 1 (what `check_random_state` returns)
_SEED_LIMIT = 2**31 - 1


def member_seeds(seed: int, size: int) -> list[int]:
    """The training seeds of an ensemble of ``size`` members started from ``seed``:
    ``seed, seed + 1, ...`` (wrapping below 2**31 - 1), so member 0 is the single model
    ``ensemble_size=1`` trains."""
    return [(int(seed) + index) % _SEED_LIMIT for index in range(int(size))]


def standardising_stats(scores: np.ndarray) -> tuple[float, float]:
    """``(mean, scale)`` of one member's training scores (n_rows,): the standard deviation,
    or 1 where the member scores every row alike (it then contributes a constant)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return 0.0, 1.0
    mean, std = float(scores.mean()), float(scores.std())
    return mean, std if np.isfinite(std) and std > 1e-12 else 1.0


class ScorerEnsemble(nn.Module):
    """The mean of standardised member scores.

    Parameters
    ----------
    members : sequence of torch.nn.Module
        Scorers of one architecture: MLPs (``forward(x [n, n_features]) -> [n]``) or
        listwise scorers (``forward(x [batch, list, n_features], mask [batch, list]) ->
        [batch, list]``).
    means, scales : sequence of float, optional
        Each member's training-score mean and scale (`standardising_stats`); default 0 and 1
        (set by `set_stats` after training).

    ``forward(x, *rest)`` returns ``mean_k (member_k(x, *rest) - means[k]) / scales[k]``, the
    shape a member returns; padded positions of a listwise call (``mask`` False) score 0, as a
    member's do.
    """

    def __init__(self, members: Sequence[nn.Module], means: Sequence[float] | None = None,
                 scales: Sequence[float] | None = None) -> None:
        super().__init__()
        if len(members) < 1:
            raise ValueError("ScorerEnsemble needs at least one member")
        self.members = nn.ModuleList(members)
        size = len(self.members)
        self.register_buffer("means", torch.zeros(size, dtype=torch.float32))
        self.register_buffer("scales", torch.ones(size, dtype=torch.float32))
        if means is not None or scales is not None:
            self.set_stats(means if means is not None else [0.0] * size,
                           scales if scales is not None else [1.0] * size)

    def set_stats(self, means: Sequence[float], scales: Sequence[float]) -> None:
        """Set each member's standardising mean and scale (one float per member)."""
        size = len(self.members)
        if len(means) != size or len(scales) != size:
            raise ValueError(f"ScorerEnsemble: {size} members, got {len(means)} means and "
                             f"{len(scales)} scales")
        if not all(float(s) > 0 for s in scales):
            raise ValueError("ScorerEnsemble: every scale must be > 0")
        self.means.copy_(torch.tensor([float(m) for m in means], dtype=torch.float32))
        self.scales.copy_(torch.tensor([float(s) for s in scales], dtype=torch.float32))

    def forward(self, x: torch.Tensor, *rest: torch.Tensor) -> torch.Tensor:
        total = None
        for index, member in enumerate(self.members):
            part = (member(x, *rest).float() - self.means[index]) / self.scales[index]
            total = part if total is None else total + part
        mean = total / len(self.members)
        if rest:  # listwise: keep padding at 0
            mean = torch.where(rest[0].to(torch.bool), mean, torch.zeros_like(mean))
        return mean
