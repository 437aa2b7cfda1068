"""The scoring network: an MLP mapping each document's features to one score."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "silu": nn.SiLU,
}
NORMS = (None, "batch", "layer")


class MLPScorer(nn.Module):
    """Feed-forward scorer: ``[n_docs, n_features] -> [n_docs]``.

    Each hidden block is ``Linear -> [BatchNorm1d | LayerNorm] -> activation -> Dropout``;
    the output layer is a ``Linear(last, 1)``. Documents are scored independently, so the
    network runs on packed rows (no padding). With ``hidden_sizes=()`` it is a linear model.

    Args:
        n_features: input width.
        hidden_sizes: widths of the hidden layers.
        activation: a name from `ACTIVATIONS`.
        dropout: dropout probability after each hidden block, in [0, 1).
        norm: None, ``"batch"`` or ``"layer"`` normalisation inside each hidden block.
    """

    def __init__(self, n_features: int, hidden_sizes: Sequence[int] = (64,),
                 activation: str = "relu", dropout: float = 0.0,
                 norm: str | None = None) -> None:
        super().__init__()
        check_scorer_params(hidden_sizes, activation, dropout, norm)
        layers: list[nn.Module] = []
        width = int(n_features)
        for size in hidden_sizes:
            layers.append(nn.Linear(width, int(size)))
            if norm == "batch":
                layers.append(nn.BatchNorm1d(int(size)))
            elif norm == "layer":
                layers.append(nn.LayerNorm(int(size)))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = int(size)
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores [n_docs] for features [n_docs, n_features]."""
        return self.net(x).squeeze(-1)


def check_scorer_params(hidden_sizes: Sequence[int], activation: str, dropout: float,
                        norm: str | None) -> None:
    """Raise ValueError naming the bad scorer parameter."""
    try:
        sizes = [int(s) for s in hidden_sizes]
    except (TypeError, ValueError):
        raise ValueError(
            f"hidden_sizes must be a sequence of positive ints, got {hidden_sizes!r}"
        ) from None
    if any(s < 1 for s in sizes) or any(float(s) != float(o)
                                        for s, o in zip(sizes, hidden_sizes, strict=True)):
        raise ValueError(f"hidden_sizes must be a sequence of positive ints, got {hidden_sizes!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        )
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
