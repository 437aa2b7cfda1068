"""The scoring networks: `MLPScorer` (each document alone) and the listwise scorers
(``attention``, `neural.attention.AttentionScorer`; ``dasalc``, `neural.dasalc.DASALCScorer`).

`build_scorer` makes one from its short name (`SCORERS`); `check_listwise_params` checks a
listwise scorer's keyword parameters (``scorer_params``) before any training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import torch
from torch import nn

from boostrank.params import Interval

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
#: scorer names: ``"mlp"`` scores documents one by one, the `LISTWISE_SCORERS` whole lists
SCORERS = ("mlp", "attention", "dasalc")
#: scorers that see whole padded lists ``(x [lists, len, features], mask)``
LISTWISE_SCORERS = ("attention", "dasalc")
MLP_TAKES_NO_SCORER_PARAMS = ("scorer_params is for the listwise scorers ('attention', "
                              "'dasalc'); the MLP is set by hidden_sizes, activation, dropout "
                              "and norm")
#: keyword parameters of the attention scorer (``dropout`` comes from the estimator)
ATTENTION_PARAMS = ("d_model", "n_layers", "n_heads", "d_ff", "positional", "max_len",
                    "input_layers")


class MLPScorer(nn.Module):
    """Feed-forward scorer: ``[n_docs, n_features] -> [n_docs]``.

    Each hidden block is ``Linear -> [BatchNorm1d | LayerNorm] -> activation -> Dropout``;
    the output layer is a ``Linear(last, 1)``. Documents are scored independently, so the
    network runs on packed rows (no padding). With ``hidden_sizes=()`` it is a linear model.

    Parameters
    ----------
    n_features : int
        Input width.
    hidden_sizes : sequence of int, default (64,)
        Widths of the hidden layers.
    activation : str, default "relu"
        A name from `ACTIVATIONS`.
    dropout : float in [0, 1), default 0.0
        Dropout probability after each hidden block.
    norm : {None, "batch", "layer"}
        Normalisation inside each hidden block.
    n_outputs : int, default 1
        Outputs per document: 1 gives scores [n_docs]; more give [n_docs, n_outputs] (one
        logit per threshold of allRank's multi-output ordinal loss, `ThresholdScorer`).
    """

    def __init__(self, n_features: int, hidden_sizes: Sequence[int] = (64,),
                 activation: str = "relu", dropout: float = 0.0,
                 norm: str | None = None, n_outputs: int = 1) -> None:
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
        layers.append(nn.Linear(width, check_outputs(n_outputs)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores [n_docs] (or [n_docs, n_outputs]) for features [n_docs, n_features]."""
        out = self.net(x)
        return out.squeeze(-1) if out.shape[-1] == 1 else out


def scorer_outputs(model: nn.Module) -> int:
    """Outputs per document of a fitted ``model_`` (a scorer or an ensemble of them): the
    thresholds of a `ThresholdScorer`, else 1."""
    members = getattr(model, "members", [model])
    first = members[0] if len(members) else model
    return first.n_outputs if isinstance(first, ThresholdScorer) else 1


#: Python or NumPy integers >= 1 (bools refused): layer widths, output counts
POSITIVE_INTEGER = Interval(Integral, 1, None)
#: a dropout probability: a real number in [0, 1) (bools and NaN refused)
DROPOUT = Interval(Real, 0.0, 1.0, closed="left")


def check_outputs(n_outputs: object) -> int:
    """``n_outputs`` as an int, or ValueError unless it is an integer >= 1."""
    if not POSITIVE_INTEGER.is_satisfied_by(n_outputs):
        raise ValueError(f"n_outputs must be an integer >= 1, got {n_outputs!r}")
    return int(n_outputs)


class ThresholdScorer(nn.Module):
    """A scorer with one output per ordinal threshold (allRank's multi-output ordinal model).

    In training mode ``forward`` returns the scorer's threshold logits (``[n_docs,
    n_thresholds]``, or ``[batch, list, n_thresholds]`` for a listwise scorer), what
    ``ordinal`` with ``multi_output=True`` trains. In eval mode (validation, prediction,
    export) it returns the ranking score ``sum_t sigmoid(logit_t)``, the expected label
    under the per-threshold probabilities ``P(y >= t)``, as allRank's ``OutputLayer.score``
    sums its outputs.

    Parameters
    ----------
    scorer : nn.Module
        A scorer built with ``n_outputs`` outputs per document.
    n_outputs : int
        Its outputs per document: the number of thresholds.
    """

    def __init__(self, scorer: nn.Module, n_outputs: int) -> None:
        super().__init__()
        self.scorer = scorer
        self.n_outputs = check_outputs(n_outputs)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        logits = self.scorer(*inputs)
        if self.training:
            return logits
        scores = torch.sigmoid(logits).sum(dim=-1)
        if len(inputs) > 1:  # a listwise scorer's (x, mask): padding scores 0
            scores = scores.masked_fill(~inputs[1].to(torch.bool), 0.0)
        return scores


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


def is_listwise(scorer: str) -> bool:
    """True for scorers that see whole lists ``(x [lists, len, features], mask)``."""
    return scorer in LISTWISE_SCORERS


def _listwise_class(scorer: str) -> tuple[type[nn.Module], tuple[str, ...], Any]:
    """(module class, its ``scorer_params`` keys, their value check) of a listwise scorer."""
    if scorer == "attention":
        from .attention import AttentionScorer
        from .attention import check_attention_params as check_values

        return AttentionScorer, ATTENTION_PARAMS, check_values
    from .dasalc import DASALC_PARAMS, DASALCScorer, check_dasalc_params

    return DASALCScorer, DASALC_PARAMS, check_dasalc_params


def listwise_defaults(scorer: str) -> dict[str, Any]:
    """The default ``scorer_params`` of the listwise scorer ``scorer`` (its class's)."""
    import inspect

    cls, keys, _ = _listwise_class(scorer)
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if name in keys}


def check_listwise_params(scorer: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the ``scorer_params`` of a listwise scorer; ValueError naming the bad one.

    Parameters
    ----------
    scorer : {"attention", "dasalc"}
        The scorer's short name.
    params : mapping
        For ``attention``, keys among `ATTENTION_PARAMS`: ``d_model``, ``n_layers``,
        ``n_heads``, ``d_ff``, ``max_len`` (positive ints; ``n_heads`` must divide
        ``d_model``), ``positional`` (None, ``"learned"`` or ``"fixed"``) and ``input_layers``
        (a sequence of positive ints, the per-document layers before the encoder), checked by
        `neural.attention.check_attention_params`. For ``dasalc``, keys among
        `neural.dasalc.DASALC_PARAMS` (``hidden_size``, ``tower_layers``, ``n_layers``,
        ``n_heads``, ``head_size``), checked by `neural.dasalc.check_dasalc_params`.

    Returns
    -------
    dict
        The parameters as given (a copy).
    """
    _, keys, check_values = _listwise_class(scorer)
    params = dict(params)
    unknown = sorted(set(params) - set(keys))
    if unknown:
        hint = " (dropout is the estimator's dropout=)" if "dropout" in unknown else ""
        raise ValueError(f"scorer_params: unknown parameter(s) {unknown} for scorer={scorer!r}"
                         f"; allowed: {list(keys)}{hint}")
    check_values(n_features=1, dropout=0.0, **{**listwise_defaults(scorer), **params})
    return params


def attention_heads(scorer: str, params: Mapping[str, Any]) -> int:
    """Attention heads per layer of a listwise scorer with these ``scorer_params``."""
    return int(params.get("n_heads", listwise_defaults(scorer)["n_heads"]))


def build_scorer(name: str, n_features: int, *, hidden_sizes: Sequence[int] = (64,),
                 activation: str = "relu", dropout: float = 0.0, norm: str | None = None,
                 scorer_params: Mapping[str, Any] | None = None,
                 n_outputs: int = 1) -> nn.Module:
    """The scoring network called ``name`` (see `SCORERS`) for ``n_features`` inputs.

    ``"mlp"`` uses ``hidden_sizes``, ``activation``, ``dropout`` and ``norm``; the listwise
    ``"attention"`` (``neural.attention.AttentionScorer``) and ``"dasalc"``
    (``neural.dasalc.DASALCScorer``) use ``dropout`` and ``scorer_params``
    (`check_listwise_params`): ``forward(x [lists, len, n_features], mask [lists, len] bool)
    -> [lists, len]``. ``n_outputs > 1`` gives a `ThresholdScorer` with that many threshold
    logits per document.
    """
    n_outputs = check_outputs(n_outputs)
    if name == "mlp":
        if scorer_params:
            raise ValueError(MLP_TAKES_NO_SCORER_PARAMS)
        network = MLPScorer(n_features, hidden_sizes, activation, dropout, norm, n_outputs)
    elif name in LISTWISE_SCORERS:
        cls = _listwise_class(name)[0]
        network = cls(int(n_features), dropout=float(dropout), n_outputs=n_outputs,
                      **check_listwise_params(name, scorer_params or {}))
    else:
        raise ValueError(f"scorer must be one of {SCORERS}, got {name!r}")
    return network if n_outputs == 1 else ThresholdScorer(network, n_outputs)
