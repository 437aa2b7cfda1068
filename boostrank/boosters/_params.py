"""Parameter checks for the booster constructors: each error names the parameter and what is allowed.

All checks run in ``fit`` before any data is handed to a backend (scikit-learn style: the
constructor only stores its arguments).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None,
              allow_none: bool = False, extra: Iterable[int] = ()) -> int | None:
    """``value`` as an int in ``[low, high]`` (or one of ``extra``); ValueError naming ``name``."""
    if value is None and allow_none:
        return None
    extra = tuple(extra)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {_int_range(low, high, allow_none, extra)}, "
                         f"got {value!r}")
    value = int(value)
    if value in extra:
        return value
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {_int_range(low, high, allow_none, extra)}, "
                         f"got {value}")
    return value


def _int_range(low: int | None, high: int | None, allow_none: bool, extra: tuple) -> str:
    if low is not None and high is not None:
        text = f"an integer in [{low}, {high}]"
    elif low is not None:
        text = f"an integer >= {low}"
    elif high is not None:
        text = f"an integer <= {high}"
    else:
        text = "an integer"
    for e in extra:
        text += f" or {e}"
    return text + (" or None" if allow_none else "")


def check_float(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float in the interval; ValueError naming ``name``."""
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value >= high if high_open else value > high
    if bad:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` must be one of ``choices`` (strings, compared exactly)."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def check_eval_at(value: Any) -> tuple[int, ...]:
    """``eval_at``: one int or a non-empty sequence of ints >= 1 -> sorted unique tuple."""
    items = [value] if isinstance(value, numbers.Integral) else value
    try:
        items = list(items)
    except TypeError:
        raise ValueError(f"eval_at must be an integer >= 1 or a sequence of them, "
                         f"got {value!r}") from None
    if not items:
        raise ValueError("eval_at must name at least one cutoff k (e.g. (1, 3, 5, 10))")
    for k in items:
        check_int("eval_at", k, low=1)
    return tuple(sorted({int(k) for k in items}))


def check_random_state(value: Any) -> int | None:
    """``random_state``: None, an int in [0, 2**31 - 1], or a numpy RandomState/Generator.

    A numpy generator is turned into one fixed int seed (drawn from it), as scikit-learn does.
    """
    if value is None:
        return None
    if isinstance(value, np.random.RandomState):
        return int(value.randint(0, 2**31 - 1))
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, 2**31 - 1))
    return check_int("random_state", value, low=0, high=2**31 - 1)


def resolve_n_jobs(value: Any) -> int:
    """``n_jobs`` (None, -1, -2, ... or a positive int) -> threads for the backend; 0 = default.

    Negative values follow scikit-learn: -1 all cores, -2 all but one, ...
    """
    import os

    if value is None:
        return 0
    value = check_int("n_jobs", value, allow_none=True)
    if value == 0:
        raise ValueError("n_jobs must be a positive integer, a negative integer (-1 = all cores) "
                         "or None; got 0")
    if value > 0:
        return value
    return max(1, (os.cpu_count() or 1) + 1 + value)


def check_verbose(value: Any) -> int:
    """``verbose``: bool or int >= 0 (print the eval metrics every ``verbose`` rounds)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    return check_int("verbose", value, low=0)


def check_params_dict(value: Any, reserved: dict[str, str]) -> dict[str, Any]:
    """``params``: None or a dict of extra backend parameters, none of them reserved.

    ``reserved`` maps a backend key (or alias) to the constructor parameter that owns it; using
    it in ``params`` is an error that names the constructor parameter to use instead.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"params must be a dict of extra backend parameters or None, "
                         f"got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"params keys must be strings, got {key!r}")
        owner = reserved.get(key)
        if owner is not None:
            raise ValueError(
                f"params[{key!r}] is set by boostrank; use the constructor parameter "
                f"{owner} instead" if owner.isidentifier() else
                f"params[{key!r}] is managed by boostrank ({owner}) and cannot be set"
            )
    return dict(value)
