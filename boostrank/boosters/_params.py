"""Deprecated: the old private parameter checks, kept for code that still imports them.

Use the public names instead: constraints in `boostrank.params` (`Interval`, `Options`,
`validate_params`), common parameters in `boostrank.validation` (`check_n_jobs`,
`check_random_state`, `check_verbose`), `boostrank.boosters.base.eval_at_cutoffs` and
`boostrank.boosters.base.check_backend_params`.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

from ..params import Interval, Options, validate_params
from ..validation import check_n_jobs, check_random_state, check_verbose
from .base import check_backend_params, eval_at_cutoffs

__all__ = ["check_int", "check_float", "check_choice", "check_eval_at", "check_random_state",
           "resolve_n_jobs", "check_verbose", "check_params_dict"]


def _check(name: str, value: Any, spec: list[Any]) -> Any:
    validate_params({name: spec}, {name: value}, owner="parameter")
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None,
              allow_none: bool = False, extra: Iterable[int] = ()) -> int | None:
    """``value`` as an int in ``[low, high]`` (or one of ``extra``); ValueError naming it."""
    spec: list[Any] = [Interval(Integral, low, high)]
    if tuple(extra):
        spec.append(Options(extra))
    if allow_none:
        spec.append(None)
    value = _check(name, value, spec)
    return None if value is None else int(value)


def check_float(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float in the interval; ValueError naming ``name``."""
    closed = {(False, False): "both", (True, False): "right", (False, True): "left",
              (True, True): "neither"}[(low_open, high_open)]
    return float(_check(name, value, [Interval(Real, low, high, closed=closed)]))


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` must be one of ``choices`` (strings, compared exactly)."""
    return _check(name, value, [Options(choices)])


def check_eval_at(value: Any) -> tuple[int, ...]:
    """``eval_at`` -> sorted unique cutoffs (see `boostrank.boosters.base.eval_at_cutoffs`)."""
    return eval_at_cutoffs(value)


def resolve_n_jobs(value: Any) -> int:
    """``n_jobs`` -> threads for the backend; 0 means the backend's default (None)."""
    return check_n_jobs(value) or 0


def check_params_dict(value: Any, reserved: dict[str, str]) -> dict[str, Any]:
    """``params``: None or a dict of extra backend parameters, none of them reserved."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"params must be a dict of extra backend parameters or None, "
                         f"got {type(value).__name__}")
    check_backend_params(value, reserved)
    return dict(value)
