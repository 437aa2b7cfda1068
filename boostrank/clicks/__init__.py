"""Learning from clicks: click models and click-log simulation.

``simulate_clicks(data, scores, click_model="pbm", random_state=0)`` turns labelled data and
a logging ranker's scores into a click log whose ``position`` column records where each
document was shown; the estimators' ``position_bias=True`` learns from such a log.
"""

from __future__ import annotations

from .models import (
    CLICK_MODELS,
    CascadeModel,
    ClickModel,
    DependentClickModel,
    DiverseClicksModel,
    DuplicateAwareClickModel,
    FixedClickModel,
    PositionBasedModel,
    RandomClickModel,
    Slates,
    ThresholdCascadeModel,
    get_click_model,
    relevance_probability,
)
from .simulate import logged_ranking, simulate_clicks

__all__ = [
    "CLICK_MODELS", "CascadeModel", "ClickModel", "DependentClickModel", "DiverseClicksModel",
    "DuplicateAwareClickModel", "FixedClickModel", "PositionBasedModel", "RandomClickModel",
    "Slates", "ThresholdCascadeModel", "get_click_model", "logged_ranking",
    "relevance_probability", "simulate_clicks",
]
