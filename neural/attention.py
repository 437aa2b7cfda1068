"""A listwise self-attention scorer: each document is scored in the context of its list.

The architecture of allRank's context-aware ranker (Pobrotyn et al., "Context-Aware
Learning to Rank with Self-Attention", 2020): an optional per-document feed-forward stack
(``input_layers``, allRank's ``fc_model``), a linear input projection to ``d_model``, an
optional positional encoding, ``n_layers`` pre-norm Transformer encoder
layers (``torch.nn.TransformerEncoder``: multi-head self-attention over the documents of the
list with a padding mask, then a ReLU feed-forward block of width ``d_ff``, dropout and
residual connections), a final LayerNorm and a linear output head giving one score per
document. The encoder's, projection's and head's matrices start Xavier-uniform, as allRank's;
the input stack starts as the MLP scorer's layers do (PyTorch's default initialisation).

Padding never influences the scores of real documents (it is masked out of every attention),
and without positional encoding the scorer is permutation-equivariant: reordering the
documents of a list reorders their scores and changes nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import torch
from torch import nn

from .scorer import POSITIVE_INTEGER, check_outputs

POSITIONAL = (None, "learned", "fixed")

#: largest attention matrix (lists x heads x list x list) one forward pass may form
MAX_ATTENTION_ELEMENTS = 1 << 28


def check_attention_params(n_features: int, d_model: int, n_layers: int, n_heads: int,
                           d_ff: int, dropout: float, positional: str | None,
                           max_len: int, input_layers: Iterable[int] = ()) -> None:
    """Raise ValueError naming the first bad parameter of `AttentionScorer`."""
    layer_widths(input_layers)
    for name, value in (("n_features", n_features), ("d_model", d_model),
                        ("n_layers", n_layers), ("n_heads", n_heads), ("d_ff", d_ff),
                        ("max_len", max_len)):
        if not POSITIVE_INTEGER.is_satisfied_by(value):
            raise ValueError(f"AttentionScorer: {name} must be an integer >= 1, got {value!r}")
    if d_model % n_heads:
        raise ValueError(
            f"AttentionScorer: n_heads={n_heads} must divide d_model={d_model} (each head "
            f"attends over d_model / n_heads dimensions); choose e.g. n_heads in "
            f"{[h for h in range(1, min(d_model, 16) + 1) if d_model % h == 0]}"
        )
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout < 1.0:
        raise ValueError(f"AttentionScorer: dropout must be in [0, 1), got {dropout!r}")
    if positional not in POSITIONAL:
        raise ValueError(
            f"AttentionScorer: positional must be one of {POSITIONAL}, got {positional!r}"
        )


def layer_widths(input_layers: Iterable[int]) -> tuple[int, ...]:
    """Return ``input_layers`` as a tuple of Python ints, or raise ValueError naming it.

    Any iterable of integers >= 1 is accepted (a tuple, a list from JSON, a NumPy array);
    a string or a single number is refused.
    """
    widths = None
    if not isinstance(input_layers, (str, bytes, Mapping)):
        try:
            widths = tuple(input_layers)
        except TypeError:
            widths = None
    if widths is None or not all(POSITIVE_INTEGER.is_satisfied_by(w) for w in widths):
        raise ValueError(f"AttentionScorer: input_layers must be a sequence of integers >= 1 "
                         f"(widths of the per-document layers, e.g. (256, 128)), got "
                         f"{input_layers!r}")
    return tuple(int(w) for w in widths)


def check_list_input(owner: str, x: torch.Tensor, mask: torch.Tensor, n_features: int,
                     n_heads: int) -> None:
    """Raise ValueError unless ``x`` is [batch, list, n_features] with a [batch, list]
    ``mask``, and the batch's attention matrices (batch x heads x list x list) stay within
    `MAX_ATTENTION_ELEMENTS`. ``owner`` starts the message (the scorer's class name)."""
    if x.dim() != 3 or x.shape[2] != n_features:
        raise ValueError(f"{owner}: x must have shape [batch, list, {n_features}], got "
                         f"{tuple(x.shape)}")
    if mask.shape != x.shape[:2]:
        raise ValueError(f"{owner}: mask shape {tuple(mask.shape)} differs from "
                         f"[batch, list] = {tuple(x.shape[:2])}")
    batch, length = x.shape[:2]
    elements = batch * n_heads * length * length
    if elements > MAX_ATTENTION_ELEMENTS:
        raise ValueError(
            f"{owner}: a batch of {batch} list(s) of {length} documents needs attention "
            f"matrices of {elements:,} elements (limit {MAX_ATTENTION_ELEMENTS:,}, "
            f"neural.attention.MAX_ATTENTION_ELEMENTS); use smaller batches, split or "
            f"subsample queries this long, or an MLP scorer"
        )


def attend_everywhere_if_empty(mask: torch.Tensor) -> torch.Tensor:
    """The key padding mask [batch, list] (True: ignored) of a real-document ``mask``.

    A list without any real document would attend over nothing (NaN): it attends everywhere
    instead; its positions are padding and score 0 anyway.
    """
    return ~mask & mask.any(dim=1, keepdim=True)


def fixed_positional_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The sinusoidal encoding of Vaswani et al. (2017), shape [max_len, d_model]."""
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32)
                     * (-math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)[:, : d_model // 2]
    return table


def _feed_forward_stack(n_features: int, widths: tuple[int, ...], dropout: float) -> nn.Module:
    """Linear, ELU and dropout per width in ``widths`` (``nn.Identity`` when empty)."""
    if not widths:
        return nn.Identity()
    layers: list[nn.Module] = []
    for n_in, n_out in zip((n_features, *widths[:-1]), widths, strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ELU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class AttentionScorer(nn.Module):
    """Listwise Transformer scorer: ``[batch, list, n_features] -> [batch, list]`` scores.

    Parameters
    ----------
    n_features : int
        Input width.
    d_model : int, default 64
        Width of the document representations.
    n_layers : int, default 2
        Number of encoder layers.
    n_heads : int, default 4
        Attention heads per layer; must divide ``d_model``.
    d_ff : int, default 128
        Hidden width of each layer's feed-forward block.
    dropout : float, default 0.1
        Dropout inside the encoder layers, in [0, 1).
    positional : {None, "learned", "fixed"}
        Positional encoding of the position in the list (None: none, the scorer is then
        permutation-equivariant); ``"learned"``: an embedding per position, ``"fixed"``:
        sinusoidal.
    max_len : int, default 512
        Longest list the positional encoding accepts (ignored without one).
    input_layers : sequence of int, default ()
        Widths of a per-document feed-forward stack applied to the features before the
        projection to ``d_model`` (each layer Linear, ELU, dropout), allRank's ``fc_model``.
        Empty: the features are projected directly. The stack sees one document at a time,
        so it keeps the scorer independent of padding and order.
    n_outputs : int, default 1
        Outputs per document: 1 gives scores [batch, list]; more give [batch, list,
        n_outputs] (one logit per threshold of allRank's multi-output ordinal loss,
        `neural.scorer.ThresholdScorer`).
    """

    def __init__(self, n_features: int, d_model: int = 64, n_layers: int = 2, n_heads: int = 4,
                 d_ff: int = 128, dropout: float = 0.1, positional: str | None = None,
                 max_len: int = 512, input_layers: Iterable[int] = (),
                 n_outputs: int = 1) -> None:
        super().__init__()
        check_attention_params(n_features, d_model, n_layers, n_heads, d_ff, dropout,
                               positional, max_len, input_layers)
        n_features, d_model, n_layers, n_heads, d_ff, max_len = (
            int(v) for v in (n_features, d_model, n_layers, n_heads, d_ff, max_len))
        self.n_features, self.n_heads, self.max_len = n_features, n_heads, max_len
        self.positional = positional
        input_layers = layer_widths(input_layers)
        self.input_projection = nn.Linear(input_layers[-1] if input_layers else n_features,
                                          d_model)
        if positional == "learned":
            self.position_embedding = nn.Embedding(max_len, d_model)
        elif positional == "fixed":
            self.register_buffer("position_table", fixed_positional_encoding(max_len, d_model),
                                 persistent=False)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward=d_ff,
                                           dropout=dropout, activation="relu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        self.output = nn.Linear(d_model, check_outputs(n_outputs))
        for parameter in self.parameters():
            if parameter.dim() > 1:
                nn.init.xavier_uniform_(parameter)
        self.input_layers = _feed_forward_stack(n_features, input_layers, dropout)

    def _check_input(self, x: torch.Tensor, mask: torch.Tensor) -> None:
        check_list_input("AttentionScorer", x, mask, self.n_features, self.n_heads)
        length = x.shape[1]
        if self.positional is not None and length > self.max_len:
            raise ValueError(f"AttentionScorer: a list of {length} documents is longer than "
                             f"max_len={self.max_len} of the positional encoding; raise max_len "
                             f"or split longer queries")

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Scores [batch, list] of features ``x`` [batch, list, n_features] (float32).

        ``mask`` [batch, list] bool is True for real documents. Padded positions score 0.
        """
        self._check_input(x, mask)
        mask = mask.to(torch.bool)
        h = self.input_projection(self.input_layers(x))
        length = x.shape[1]
        if self.positional == "learned":
            h = h + self.position_embedding.weight[:length]
        elif self.positional == "fixed":
            h = h + self.position_table[:length].to(h.dtype)
        padding = attend_everywhere_if_empty(mask)
        h = self.encoder(h, src_key_padding_mask=padding)
        scores = self.output(h)
        if scores.shape[-1] == 1:
            return scores.squeeze(-1).masked_fill(~mask, 0.0)
        return scores.masked_fill(~mask.unsqueeze(-1), 0.0)
