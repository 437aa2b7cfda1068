"""Short model names -> estimator classes, by import path (naming a booster never imports torch)."""

from __future__ import annotations

import importlib

MODELS: dict[str, str] = {
    "lightgbm": "boostrank.boosters.lightgbm_ranker:LightGBMLambdaMART",
    "xgboost": "boostrank.boosters.xgboost_ranker:XGBoostLambdaMART",
    "ranknet": "neural.estimators:RankNet",
    "listnet": "neural.estimators:ListNet",
    "lambdarank_nn": "neural.estimators:LambdaRankNet",
    "listmle": "neural.estimators:ListMLENet",
    "approxndcg": "neural.estimators:ApproxNDCGNet",
}


def get_model_class(name: str) -> type:
    """Return the estimator class registered under ``name`` (case-insensitive).

    Raises ``ValueError`` naming the known models when ``name`` is unknown.
    """
    key = name.strip().lower()
    if key not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise ValueError(f"unknown model {name!r}; known models: {known}")
    module_name, _, attribute = MODELS[key].partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def make_model(name: str, **params: object):
    """Instantiate the model registered under ``name`` with ``params``."""
    return get_model_class(name)(**params)
