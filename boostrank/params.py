"""Declarative constructor-parameter constraints, checked once in ``fit``.

Each estimator class declares, once, which values every constructor parameter accepts::

    class MyRanker(BaseRanker):
        parameter_constraints = {
            "n_estimators": [Interval(Integral, 1, None)],
            "max_depth": [Interval(Integral, 1, None), Options({-1})],
            "device": [Options({"cpu", "cuda"})],
            "early_stopping_rounds": [Interval(Integral, 1, None), None],
        }

and `validate_params` checks a ``get_params()`` dict against it (scikit-learn's
``_parameter_constraints`` model, public here so that the boosters, the neural rankers and the
tuning layer share it). A parameter is valid when it satisfies **any** constraint of its list;
``None`` in the list allows the value None. The error names the owner, the parameter, the value
and the allowed values, e.g. ``LightGBMLambdaMART: num_leaves must be an integer in
[2, 131072]; got 1``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Constraint", "Interval", "Options", "InstanceOf", "Satisfies", "InvalidParameterError",
    "validate_params", "describe_constraints",
]


class InvalidParameterError(ValueError):
    """A constructor parameter has a value its constraints do not allow (a ValueError)."""


class Constraint:
    """Base of the constraint objects: ``is_satisfied_by(value) -> bool`` and ``describe()``."""

    def is_satisfied_by(self, value: Any) -> bool:
        """True when ``value`` satisfies this constraint."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the constraint allows, in words (``"an integer >= 1"``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


class Interval(Constraint):
    """Numbers of a kind in an interval.

    Parameters
    ----------
    kind : ``numbers.Integral`` or ``numbers.Real``
        ``Integral``: Python or NumPy integers (bools are refused); ``Real``: any finite real
        number (integers included; NaN and infinities are refused).
    left, right : number or None
        Bounds; None means unbounded on that side.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the interval.
    """

    def __init__(self, kind: type, left: float | None, right: float | None, *,
                 closed: str = "both") -> None:
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError("Interval kind must be numbers.Integral or numbers.Real")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither'; got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if _is_bool(value) or not isinstance(value, self.kind):
            return False
        if self.kind is numbers.Real and not math.isfinite(float(value)):
            return False
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if self.left is not None and (value < self.left if left_closed else value <= self.left):
            return False
        if self.right is not None and (
                value > self.right if right_closed else value >= self.right):
            return False
        return True

    def describe(self) -> str:
        noun = "an integer" if self.kind is numbers.Integral else "a number"
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if self.left is not None and self.right is not None:
            return (f"{noun} in {'[' if left_closed else '('}{self.left}, {self.right}"
                    f"{']' if right_closed else ')'}")
        if self.left is not None:
            return f"{noun} {'>=' if left_closed else '>'} {self.left}"
        if self.right is not None:
            return f"{noun} {'<=' if right_closed else '<'} {self.right}"
        return noun


class Options(Constraint):
    """One of a fixed set of values (strings compared exactly; bools only match bools)."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = tuple(sorted(values, key=lambda v: (type(v).__name__, str(v))))

    def is_satisfied_by(self, value: Any) -> bool:
        for option in self.values:
            if _is_bool(option) or _is_bool(value):
                if _is_bool(option) and _is_bool(value) and bool(option) == bool(value):
                    return True
                continue
            if isinstance(option, str) != isinstance(value, str):
                continue
            try:
                if value == option:
                    return True
            except Exception:  # an object whose == misbehaves is simply not an option
                continue
        return False

    def describe(self) -> str:
        if len(self.values) == 1:
            return repr(self.values[0])
        return "one of " + ", ".join(repr(v) for v in self.values)


class InstanceOf(Constraint):
    """An instance of one of ``types`` (described by ``description``)."""

    def __init__(self, *types: type, description: str | None = None) -> None:
        self.types = types
        self.description = description or "an instance of " + " or ".join(
            t.__name__ for t in types)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (
            _is_bool(value) and bool not in self.types and np.bool_ not in self.types)

    def describe(self) -> str:
        return self.description


class Satisfies(Constraint):
    """A value accepted by ``check`` (a callable returning a bool).

    ``check`` may also raise ``ValueError`` / ``TypeError`` / ``KeyError`` with a detail that
    the error message then quotes (e.g. why a metric name does not parse).
    """

    def __init__(self, check: Callable[[Any], bool], description: str) -> None:
        self.check = check
        self.description = description

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return bool(self.check(value))
        except (ValueError, TypeError, KeyError):
            return False

    def detail(self, value: Any) -> str | None:
        """Why ``check`` refuses ``value`` (the message it raised), or None."""
        try:
            self.check(value)
        except (ValueError, TypeError, KeyError) as exc:
            return str(exc.args[0] if exc.args else exc)
        return None

    def describe(self) -> str:
        return self.description


ConstraintSpec = Sequence["Constraint | None"]


def describe_constraints(constraints: ConstraintSpec) -> str:
    """The allowed values of one parameter, in words (alternatives joined by ``or``)."""
    return " or ".join("None" if c is None else c.describe() for c in constraints)


def validate_params(constraints: Mapping[str, ConstraintSpec], params: Mapping[str, Any],
                    owner: str) -> None:
    """Check every parameter of ``params`` that ``constraints`` lists.

    Parameters
    ----------
    constraints : mapping of parameter name -> list of `Constraint` (or None)
        A value is valid when it satisfies any constraint of its list; ``None`` in the list
        allows the value None. Parameters without an entry are not checked here.
    params : mapping of parameter name -> value
        Typically ``estimator.get_params(deep=False)``.
    owner : str
        Who owns the parameters (a class name); it starts the error message.

    Raises
    ------
    InvalidParameterError
        (a ``ValueError``) for the first invalid parameter, naming the owner, the parameter,
        its value and the allowed values.
    """
    for name, value in params.items():
        spec = constraints.get(name)
        if spec is None:
            continue
        if any(value is None if c is None else c.is_satisfied_by(value) for c in spec):
            continue
        details = [d for c in spec if isinstance(c, Satisfies) for d in [c.detail(value)] if d]
        message = f"{owner}: {name} must be {describe_constraints(spec)}; got {value!r}"
        if details:
            message += f" ({'; '.join(details)})"
        raise InvalidParameterError(message)
