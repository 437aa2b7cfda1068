"""Old private location of `boostrank.boosters.tracking` (kept for code that imports it)."""

from .tracking import EvalTracker

__all__ = ["EvalTracker"]
