"""LambdaMART boosters on LightGBM and XGBoost behind one scikit-learn-style contract.

Loaded lazily: importing ``boostrank.boosters`` imports neither lightgbm nor xgboost.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

_PUBLIC = {
    "BoosterRanker": ".base:BoosterRanker",
    "EvalTracker": ".tracking:EvalTracker",
    "LightGBMCallback": ".callbacks:LightGBMCallback",
    "lightgbm_callback": ".callbacks:lightgbm_callback",
    "LightGBMLambdaMART": ".lightgbm_ranker:LightGBMLambdaMART",
    "XGBoostLambdaMART": ".xgboost_ranker:XGBoostLambdaMART",
}

__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
