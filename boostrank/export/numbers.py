"""Number spellings that every engine parses back to exactly the value meant."""

from __future__ import annotations

import numpy as np

DELTA_SOLR = np.float32(1e-6)  # Solr's NODE_SPLIT_SLACK, added to every parsed threshold


def f32(value: float) -> float:
    """``value`` rounded to float32, as a Python float (exact)."""
    return float(np.float32(value))


def f32_text(value: float) -> str:
    """The float32 nearest ``value``, spelled so that float and double parsers both read that
    float32 exactly (the shortest decimal of the float32 widened to double)."""
    return repr(float(np.float32(value)))


def f64_text(value: float) -> str:
    """``value`` spelled so that a double parser reads it back exactly."""
    return repr(float(value))


def previous_f32(value: float) -> float:
    """The largest float32 strictly below the float32 ``value``."""
    return float(np.nextafter(np.float32(value), np.float32(-np.inf)))


def solr_threshold(strict: float) -> tuple[float, float]:
    """A float32 ``a`` for Solr's rule ``x <= float32(a + 1e-6f)`` to mean ``x < strict``.

    Returns ``(a, effective)`` with ``effective = float32(a + 1e-6f)`` the largest such value
    not above ``previous_f32(strict)``; equal to it when Solr can express the split exactly.
    Near zero, where float32 ``a + 1e-6`` is coarser than the target, ``effective`` falls
    below it and values in ``(effective, strict)`` go right instead of left.
    """
    target = np.float32(previous_f32(strict))
    up, down = np.float32(np.inf), np.float32(-np.inf)
    a = np.float32(np.float64(target) - np.float64(DELTA_SOLR))
    for _ in range(4096):
        if np.float32(a + DELTA_SOLR) <= target:
            break
        a = np.nextafter(a, down)
    for _ in range(4096):
        following = np.nextafter(a, up)
        if np.float32(following + DELTA_SOLR) > target:
            break
        a = following
    return float(a), float(np.float32(a + DELTA_SOLR))
