"""Estimator parameters as JSON for people: ``best_params.json`` and ``summary.json``.

Trial attributes store parameters with `boostrank.model_io.jsonable_params` (tuples tagged so
they load back as tuples, as in a model's ``meta.json``); here a value JSON cannot hold (a
`boostrank.metrics` convention object) is written by its name instead of failing.
"""

from __future__ import annotations

from typing import Any

from boostrank.model_io import jsonable_params

__all__ = ["params_to_display_json"]


def params_to_display_json(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as JSON-able values; an object JSON cannot hold is written by name (or
    repr)."""
    out = {}
    for key, value in params.items():
        try:
            out[key] = jsonable_params(value)
        except TypeError:
            out[key] = getattr(value, "name", repr(value))
    return out
