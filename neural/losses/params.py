"""The keyword parameters of every loss, declared once, and their validation.

`LOSS_PARAMS` maps each short loss name to the keyword parameters its function and module
accept; `validate_loss_params` checks a parameter dict before training (unknown names,
``k <= 0``, temperatures <= 0, unknown weighing schemes or gains...) and returns it with
names normalised (deprecated gain spellings resolved once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from boostrank.metrics.gains import resolve_gain

from ._common import NUMERIC_CHECKS, REDUCTIONS
from .lambdaloss import resolve_weighing_scheme
from .listmle import TIES
from .listnet import resolve_label_transform
from .neuralndcg import resolve_neuralndcg_gain
from .ranknet import WEIGHTINGS

LOSS_PARAMS: dict[str, frozenset[str]] = {
    "ranknet": frozenset({"sigma", "weighting", "gain", "k", "reduction"}),
    "lambdarank": frozenset({"sigma", "gain", "k", "reduction"}),
    "lambdaloss": frozenset({"weighing_scheme", "k", "sigma", "mu", "gain", "reduction"}),
    "hinge": frozenset({"margin", "reduction"}),
    "listnet": frozenset({"label_transform", "temperature", "stochastic", "n_samples",
                          "gumbel_temperature", "generator", "reduction"}),
    "softmax": frozenset({"temperature", "reduction"}),
    "listmle": frozenset({"ties", "generator", "reduction"}),
    "approxndcg": frozenset({"alpha", "gain", "stochastic", "n_samples", "gumbel_temperature",
                             "generator", "reduction"}),
    "neuralndcg": frozenset({"temperature", "k", "gain", "powered_relevancies", "transposed",
                             "max_iter", "tol", "stochastic", "n_samples", "beta",
                             "log_scores", "generator", "reduction"}),
    "rankcosine": frozenset({"reduction"}),
    "wassrank": frozenset({"regularization", "n_iter", "gain_base", "relevance_gap", "tie_cost",
                           "reduction"}),
    "rmse": frozenset({"score_scale", "reduction"}),
    "ordinal": frozenset({"n_thresholds", "multi_output", "reduction"}),
}


def _choice(allowed: tuple) -> Callable[[str, str, Any], Any]:
    def check(name: str, param: str, value: Any) -> Any:
        if value not in allowed:
            raise ValueError(f"{name}: {param} must be one of {allowed}, got {value!r}")
        return value
    return check


def _checked(check: Callable[[str, str, Any], None]) -> Callable[[str, str, Any], Any]:
    def run(name: str, param: str, value: Any) -> Any:
        check(name, param, value)
        return value
    return run


def _flag(name: str, param: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: {param} must be True or False, got {value!r}")
    return value


def _optional_flag(name: str, param: str, value: Any) -> Any:
    return None if value is None else _flag(name, param, value)


def _gain(name: str, param: str, value: Any) -> Any:
    return None if value is None and name == "neuralndcg" else resolve_gain(value, param=param)


#: parameter name -> check(loss name, parameter, value) returning the normalised value
_CHECKS: dict[str, Callable[[str, str, Any], Any]] = {
    **{param: _checked(check) for param, check in NUMERIC_CHECKS.items()},
    "reduction": _choice(REDUCTIONS),
    "weighting": _choice(WEIGHTINGS),
    "ties": _choice(TIES),
    "gain": _gain,
    "label_transform": lambda name, param, value: resolve_label_transform(value),
    "weighing_scheme": lambda name, param, value: resolve_weighing_scheme(value),
    "powered_relevancies": _optional_flag,
    "transposed": _optional_flag,
    "stochastic": _flag,
    "log_scores": _flag,
    "multi_output": _flag,
}


def canonical_loss_name(name: str) -> str:
    """A loss's short name as `LOSS_PARAMS` keys it: case, ``_`` and ``-`` ignored."""
    return str(name).strip().lower().replace("_", "").replace("-", "")


def validate_loss_params(name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check the keyword parameters of loss ``name`` and return them normalised.

    Parameters
    ----------
    name : str
        A short loss name (see `LOSS_PARAMS`; case, ``_`` and ``-`` ignored).
    params : mapping or None
        Keyword parameters of the loss.

    Returns
    -------
    dict
        The parameters with canonical values (gain names, weighing schemes).

    Raises
    ------
    ValueError
        For an unknown loss, a parameter the loss does not take (the message names it and
        the allowed ones), or a bad value (``k <= 0``, ``temperature <= 0``, an unknown
        weighing scheme...).
    """
    key = canonical_loss_name(name)
    if key not in LOSS_PARAMS:
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(sorted(LOSS_PARAMS))}")
    allowed = LOSS_PARAMS[key]
    out = {}
    for param, value in dict(params or {}).items():
        if param not in allowed:
            raise ValueError(
                f"bad parameters for loss {key!r}: it takes no parameter {param!r}; allowed: "
                f"{', '.join(sorted(allowed))}"
            )
        check = _CHECKS.get(param)
        try:
            out[param] = check(key, param, value) if check is not None else value
        except ValueError as exc:
            raise ValueError(f"bad parameters for loss {key!r}: {exc}") from None
    if key == "neuralndcg":
        try:
            resolve_neuralndcg_gain(out.get("gain"), out.get("powered_relevancies"))
        except ValueError as exc:
            raise ValueError(f"bad parameters for loss {key!r}: {exc}") from None
    return out
