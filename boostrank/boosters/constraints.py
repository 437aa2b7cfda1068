"""Constraints of the constructor parameters both boosters share (`booster_constraints`).

`BoosterRanker` checks them once per ``fit`` (`boostrank.params`); the backend keys that
``params`` may not set come from each booster (`check_backend_params`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..metrics.gains import AUTO, GAIN_ALIASES, GAIN_NAMES
from ..params import InstanceOf, Interval, Options, Satisfies
from ..validation import MAX_SEED
from .categorical import categorical_spec

__all__ = ["GAINS", "IMPORTANCE_TYPES", "booster_constraints", "check_backend_params",
           "eval_at_cutoffs"]

#: gain names a booster's ``gain`` accepts (old spellings too, with a DeprecationWarning)
GAINS = (AUTO, *GAIN_NAMES)
#: ``importance_type`` values: total split gain, number of splits
IMPORTANCE_TYPES = ("gain", "split")


# ---------------------------------------------------------------------- parameter checks
def eval_at_cutoffs(value: Any) -> tuple[int, ...]:
    """``eval_at`` (one int or a non-empty sequence of ints >= 1) -> sorted unique cutoffs."""
    items = [value] if isinstance(value, numbers.Integral) else value
    try:
        items = list(items)
    except TypeError:
        raise ValueError("not an integer or a sequence") from None
    if not items:
        raise ValueError("eval_at must name at least one cutoff k, e.g. (1, 3, 5, 10)")
    for k in items:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"cutoff {k!r} is not an integer >= 1")
    return tuple(sorted({int(k) for k in items}))


def _one_metric(value: Any) -> bool:
    from ..metrics import parse_metrics

    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = parse_metrics(value)
    if len(parsed) != 1:
        raise ValueError(f"{value!r} names {len(parsed)} metrics: {parsed}")
    return True


def _known_convention(value: Any) -> bool:
    from ..metrics import get_convention

    get_convention(value)
    return True


def _gain_name(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in (*GAINS, *GAIN_ALIASES)


def check_backend_params(value: dict[str, Any], reserved: Mapping[str, str]) -> bool:
    """``params``: string keys, none of them owned by a constructor parameter or by boostrank.

    ``reserved`` maps a backend key (or alias) to the constructor parameter that owns it (or to
    why boostrank manages it). Raises ValueError naming the key and what to use instead.
    """
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"key {key!r} is not a string")
        owner = reserved.get(key)
        if owner is None:
            continue
        if owner.isidentifier():
            raise ValueError(f"params[{key!r}] is set by boostrank; use the constructor "
                             f"parameter {owner} instead")
        raise ValueError(f"params[{key!r}] is managed by boostrank ({owner}) and cannot be set")
    return True


def booster_constraints(objectives: tuple[str, ...], devices: tuple[str, ...],
                        reserved: Callable[[], Mapping[str, str]]) -> dict[str, list[Any]]:
    """The constraints of the constructor parameters both boosters have.

    ``reserved`` returns the backend keys that ``params`` may not set (see
    `check_backend_params`); it is called only when ``params`` is checked.
    """
    unit = Interval(Real, 0, 1, closed="right")
    non_negative = Interval(Real, 0, None, closed="left")
    return {
        "objective": [Options(objectives)],
        "n_estimators": [Interval(Integral, 1, None)],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "subsample": [unit],
        "colsample_bytree": [unit],
        "reg_alpha": [non_negative],
        "reg_lambda": [non_negative],
        "eval_at": [Satisfies(eval_at_cutoffs,
                              "an integer >= 1 or a non-empty sequence of them")],
        "early_stopping_rounds": [Interval(Integral, 1, None), None],
        "eval_metric": [Satisfies(_one_metric, "one metric name of the common evaluator "
                                               "such as 'ndcg@10' (the one early stopping "
                                               "watches)")],
        "eval_convention": [Satisfies(_known_convention,
                                      "a known convention name or a Convention")],
        "gain": [Satisfies(_gain_name, "one of " + ", ".join(repr(g) for g in GAINS))],
        "random_state": [Interval(Integral, 0, MAX_SEED), None,
                         InstanceOf(np.random.RandomState, np.random.Generator,
                                    description="a numpy RandomState/Generator")],
        "n_jobs": [Interval(Integral, 1, None), Interval(Integral, None, -1), None],
        "device": [Options(devices)],
        "verbose": [InstanceOf(bool, np.bool_, description="a bool"),
                    Interval(Integral, None, None)],
        "params": [None, Satisfies(lambda v: isinstance(v, dict) and check_backend_params(
            v, reserved()), "a dict of extra backend parameters")],
        "categorical_features": [None, Satisfies(categorical_spec, "a list of column names "
                                                 "or of column indices >= 0")],
        "importance_type": [Options(IMPORTANCE_TYPES)],
    }
