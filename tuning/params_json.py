"""Estimator parameters <-> JSON, as stored in a trial's user attributes and in
``best_params.json``.

Tuples (e.g. ``hidden_sizes=(128, 64)``) are tagged so they load back as tuples, with the same
encoding as the model files' ``meta.json`` (`boostrank.estimator`). A value JSON cannot hold
(a `boostrank.metrics` convention object) is written by its name in `params_to_display_json`.
"""

from __future__ import annotations

from typing import Any

from boostrank.estimator import _from_jsonable, _jsonable

__all__ = ["params_from_json", "params_to_display_json", "params_to_json"]


def params_to_json(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters -> JSON-able dict; ``TypeError`` for a value JSON cannot hold."""
    return _jsonable(dict(params))


def params_from_json(stored: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `params_to_json`."""
    return dict(_from_jsonable(stored))


def params_to_display_json(params: dict[str, Any]) -> dict[str, Any]:
    """Like `params_to_json`, but an object JSON cannot hold is written by name (or repr)."""
    out = {}
    for key, value in params.items():
        try:
            out[key] = _jsonable(value)
        except TypeError:
            out[key] = getattr(value, "name", repr(value))
    return out
