"""One vocabulary for the gain of a graded label, shared by the evaluator, the boosters and
the neural losses.

Canonical names:

- ``"exponential"``: gain ``2**label - 1`` (LightGBM's and XGBoost's default, Burges et al.);
- ``"linear"``: gain ``label`` (trec_eval, scikit-learn's ``ndcg_score``).

Estimators that choose the gain from the labels also accept ``"auto"``. Older spellings
(``"exp"`` of the evaluator, ``"exp2"`` and ``"identity"`` of the neural losses) are accepted
as aliases with a `DeprecationWarning`.
"""

from __future__ import annotations

import warnings

import numpy as np

EXPONENTIAL = "exponential"
LINEAR = "linear"
AUTO = "auto"

#: canonical gain names, in the order the documentation lists them
GAIN_NAMES: tuple[str, ...] = (EXPONENTIAL, LINEAR)

#: deprecated spellings -> canonical name
GAIN_ALIASES: dict[str, str] = {
    "exp": EXPONENTIAL,
    "exp2": EXPONENTIAL,
    "identity": LINEAR,
}


def resolve_gain(value: object, *, param: str = "gain", allow_auto: bool = False) -> str:
    """Return the canonical gain name for ``value``.

    Parameters
    ----------
    value : str
        A canonical name (``"exponential"``, ``"linear"``, ``"auto"`` when ``allow_auto``)
        or a deprecated alias (``"exp"``, ``"exp2"``, ``"identity"``).
    param : str, default "gain"
        The parameter name used in error and warning messages.
    allow_auto : bool, default False
        Whether ``"auto"`` (the estimator picks the gain from the labels) is allowed.

    Returns
    -------
    str
        One of `GAIN_NAMES`, or ``"auto"``.

    Raises
    ------
    ValueError
        When ``value`` is not a known gain name; the message lists the allowed values.
    """
    allowed = GAIN_NAMES + ((AUTO,) if allow_auto else ())
    if isinstance(value, str):
        key = value.strip().lower()
        if key in allowed:
            return key
        if key in GAIN_ALIASES:
            canonical = GAIN_ALIASES[key]
            warnings.warn(
                f"{param}={value!r} is deprecated; use {param}={canonical!r}",
                DeprecationWarning,
                stacklevel=3,
            )
            return canonical
    names = ", ".join(repr(name) for name in allowed)
    raise ValueError(f"{param} must be one of {names}; got {value!r}")


def gain_values(labels: np.ndarray, gain: str) -> np.ndarray:
    """Gain of each label under a canonical gain name.

    Parameters
    ----------
    labels : ndarray of shape (n,)
        Graded relevance labels.
    gain : {"exponential", "linear"}
        A canonical gain name (see `resolve_gain`).

    Returns
    -------
    ndarray of shape (n,), float64
        ``2**labels - 1`` or ``labels``.
    """
    labels = np.asarray(labels, dtype=np.float64)
    if gain == EXPONENTIAL:
        return np.exp2(labels) - 1.0
    if gain == LINEAR:
        return labels.copy()
    raise ValueError(f"gain must be one of {GAIN_NAMES}; got {gain!r}")
