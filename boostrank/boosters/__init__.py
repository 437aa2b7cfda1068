"""LambdaMART boosters on LightGBM and XGBoost behind one scikit-learn-style contract.

Loaded lazily: importing ``boostrank.boosters`` imports neither lightgbm nor xgboost.
"""

from __future__ import annotations

from ..lazy import lazy_facade

_PUBLIC = {
    "BoosterRanker": ".base:BoosterRanker",
    "EvalTracker": ".tracking:EvalTracker",
    "LightGBMCallback": ".callbacks:LightGBMCallback",
    "lightgbm_callback": ".callbacks:lightgbm_callback",
    "LightGBMLambdaMART": ".lightgbm_ranker:LightGBMLambdaMART",
    "XGBoostLambdaMART": ".xgboost_ranker:XGBoostLambdaMART",
}

__all__, __getattr__, __dir__ = lazy_facade(__name__, _PUBLIC)
