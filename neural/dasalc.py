"""DASALC's scorer: a per-document tower crossed with listwise self-attention.

The network of Qin et al., "Are Neural Rankers still Outperformed by Gradient Boosted
Decision Trees?" (ICLR 2021), as TF-Ranking's ``research/dasalc.py`` builds it:

- **tower** (each document alone): batch normalisation of the inputs, then ``tower_layers``
  blocks ``Linear(hidden_size) -> ReLU -> BatchNorm -> Dropout``, then ``Linear(hidden_size)``:
  ``h`` [batch, list, hidden_size];
- **document interaction** (the list as context, TF-Ranking's
  ``DocumentInteractionAttention``): ``Linear(head_size) -> ReLU``, then ``n_layers`` times
  ``LayerNorm(z + Dropout(MultiHeadAttention(z)))`` with ``n_heads`` heads of ``head_size``
  dimensions each, over the real documents of the list; then BatchNorm and
  ``Linear(hidden_size)``: ``a`` [batch, list, hidden_size];
- **latent cross**: ``Dropout(ReLU(h * (1 + a)))``, then ``Linear(1)``: one score per document.

DASALC's other two parts are the estimator's: its ``log1p`` input transform
(``preprocessing="log1p"``, `neural.preprocessing`) and its Gaussian input noise
(``input_noise``, added to the preprocessed features in training, so both branches see it
as TF-Ranking's tower and its older ``DocumentInteractionAttention(input_noise_stddev)`` do).

Where this differs from TF-Ranking: batch normalisation takes its statistics over the real
documents only (`MaskedBatchNorm`; TF-Ranking's flattened lists include the padded ones), so
that scores never depend on padding; and the defaults are TF-Ranking's Web30K ones
(``hidden_size=512``, ``n_layers=4``, ``n_heads=2``, ``head_size=100``). Without any
positional input the scorer is permutation-equivariant.
"""

from __future__ import annotations

from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

from boostrank.params import Interval

from .attention import attend_everywhere_if_empty, check_list_input
from .scorer import DROPOUT, POSITIVE_INTEGER, check_outputs

NON_NEGATIVE_INTEGER = Interval(Integral, 0, None)

#: keyword parameters of the DASALC scorer (``dropout`` comes from the estimator)
DASALC_PARAMS = ("hidden_size", "tower_layers", "n_layers", "n_heads", "head_size")


def check_dasalc_params(n_features: int, hidden_size: int, tower_layers: int, n_layers: int,
                        n_heads: int, head_size: int, dropout: float) -> None:
    """Raise ValueError naming the first bad parameter of `DASALCScorer`."""
    for name, value in (("n_features", n_features), ("hidden_size", hidden_size),
                        ("n_layers", n_layers), ("n_heads", n_heads),
                        ("head_size", head_size)):
        if not POSITIVE_INTEGER.is_satisfied_by(value):
            raise ValueError(f"DASALCScorer: {name} must be an integer >= 1, got {value!r}")
    if not NON_NEGATIVE_INTEGER.is_satisfied_by(tower_layers):
        raise ValueError(f"DASALCScorer: tower_layers must be an integer >= 0 (hidden blocks "
                         f"of the per-document tower), got {tower_layers!r}")
    if not DROPOUT.is_satisfied_by(dropout):
        raise ValueError(f"DASALCScorer: dropout must be in [0, 1), got {dropout!r}")


class MaskedBatchNorm(nn.Module):
    """``BatchNorm1d`` over the real documents of padded lists ``[batch, list, width]``.

    In training the statistics are those of the real documents of the batch (padding never
    enters them); in eval mode the running statistics normalise every document alone.
    Padded positions come out 0.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(width)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        width = h.shape[-1]
        if not self.training:
            normed = self.norm(h.reshape(-1, width)).reshape(h.shape)
            return normed.masked_fill(~mask.unsqueeze(-1), 0.0)
        rows = h[mask]
        if rows.shape[0] < 2:  # one document has no variance: use the running statistics
            rows = F.batch_norm(rows, self.norm.running_mean, self.norm.running_var,
                                self.norm.weight, self.norm.bias, False, 0.0, self.norm.eps)
        else:
            rows = self.norm(rows)
        return torch.zeros_like(h).masked_scatter(mask.unsqueeze(-1), rows)


class ListAttentionLayer(nn.Module):
    """``LayerNorm(z + Dropout(MultiHeadAttention(z)))`` over the documents of each list.

    Queries, keys and values are ``n_heads`` projections of ``head_size`` dimensions each
    (Keras' ``MultiHeadAttention(key_dim=head_size, output_shape=head_size)``); the heads'
    outputs are projected back to ``head_size``. Attention weights get dropout too.
    """

    def __init__(self, n_heads: int, head_size: int, dropout: float) -> None:
        super().__init__()
        self.n_heads, self.head_size, self.dropout_rate = n_heads, head_size, dropout
        self.query = nn.Linear(head_size, n_heads * head_size)
        self.key = nn.Linear(head_size, n_heads * head_size)
        self.value = nn.Linear(head_size, n_heads * head_size)
        self.output = nn.Linear(n_heads * head_size, head_size)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(head_size, eps=1e-12)

    def _heads(self, projection: nn.Linear, z: torch.Tensor) -> torch.Tensor:
        batch, length = z.shape[:2]
        return projection(z).view(batch, length, self.n_heads, self.head_size).transpose(1, 2)

    def forward(self, z: torch.Tensor, ignored: torch.Tensor) -> torch.Tensor:
        """``z`` [batch, list, head_size]; ``ignored`` [batch, list] True for keys not to
        attend to (padding)."""
        attended = F.scaled_dot_product_attention(
            self._heads(self.query, z), self._heads(self.key, z), self._heads(self.value, z),
            attn_mask=~ignored[:, None, None, :],
            dropout_p=self.dropout_rate if self.training else 0.0)
        batch, length = z.shape[:2]
        attended = attended.transpose(1, 2).reshape(batch, length, -1)
        return self.norm(z + self.dropout(self.output(attended)))


def _tower_block(n_in: int, n_out: int) -> nn.ModuleDict:
    return nn.ModuleDict({"linear": nn.Linear(n_in, n_out), "norm": MaskedBatchNorm(n_out)})


class DASALCScorer(nn.Module):
    """DASALC's listwise scorer: ``(x [batch, list, n_features], mask) -> [batch, list]``.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_size : int, default 512
        Width of the tower's layers and of the latent cross.
    tower_layers : int, default 2
        Hidden blocks (Linear, ReLU, BatchNorm, dropout) of the per-document tower before
        its last Linear.
    n_layers : int, default 4
        Self-attention layers of the document-interaction branch.
    n_heads : int, default 2
        Attention heads per layer.
    head_size : int, default 100
        Dimensions of each head, and width of the interaction branch.
    dropout : float, default 0.4
        Dropout of the tower blocks, the attention layers and the latent cross, in [0, 1).
    n_outputs : int, default 1
        Outputs per document: 1 gives scores [batch, list]; more give [batch, list,
        n_outputs] (threshold logits, `neural.scorer.ThresholdScorer`).
    """

    def __init__(self, n_features: int, hidden_size: int = 512, tower_layers: int = 2,
                 n_layers: int = 4, n_heads: int = 2, head_size: int = 100,
                 dropout: float = 0.4, n_outputs: int = 1) -> None:
        super().__init__()
        check_dasalc_params(n_features, hidden_size, tower_layers, n_layers, n_heads,
                            head_size, dropout)
        n_features, hidden_size, tower_layers, n_heads, head_size = (
            int(v) for v in (n_features, hidden_size, tower_layers, n_heads, head_size))
        self.n_features, self.n_heads = n_features, n_heads
        self.input_norm = MaskedBatchNorm(n_features)
        widths = [n_features] + [hidden_size] * tower_layers
        self.tower = nn.ModuleList(_tower_block(n_in, hidden_size) for n_in in widths[:-1])
        self.tower_output = nn.Linear(widths[-1], hidden_size)
        self.interaction_input = nn.Linear(n_features, head_size)
        self.interaction = nn.ModuleList(ListAttentionLayer(n_heads, head_size, dropout)
                                         for _ in range(int(n_layers)))
        self.context_norm = MaskedBatchNorm(head_size)
        self.context = nn.Linear(head_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(hidden_size, check_outputs(n_outputs))

    def _document_tower(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.input_norm(x, mask)
        for block in self.tower:
            h = self.dropout(block["norm"](torch.relu(block["linear"](h)), mask))
        return self.tower_output(h)

    def _list_context(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        z = torch.relu(self.interaction_input(x))
        ignored = attend_everywhere_if_empty(mask)
        for layer in self.interaction:
            z = layer(z, ignored)
        return self.context(self.context_norm(z, mask))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Scores [batch, list] of features ``x`` [batch, list, n_features] (float32).

        ``mask`` [batch, list] bool is True for real documents. Padded positions score 0,
        whatever their features (NaN included).
        """
        check_list_input("DASALCScorer", x, mask, self.n_features, self.n_heads)
        mask = mask.to(torch.bool)
        x = x.masked_fill(~mask.unsqueeze(-1), 0.0)
        h = self._document_tower(x, mask)
        crossed = self.dropout(torch.relu(h * (1.0 + self._list_context(x, mask))))
        scores = self.output(crossed)
        if scores.shape[-1] == 1:
            return scores.squeeze(-1).masked_fill(~mask, 0.0)
        return scores.masked_fill(~mask.unsqueeze(-1), 0.0)
