"""PyTorch neural rankers: list losses, MLP and attention scorers, length-bucketed batching.

The general ``neural.NeuralRanker(loss=..., scorer=...)`` (`neural.ranker`) and the named
rankers of `neural.estimators` (``RankNet``, ``ListNet``, ``LambdaRankNet``, ``ListMLENet``,
``ApproxNDCGNet``, ``AttentionNeuralNDCG``, ``AttentionListNet``, ``AttentionLambdaLoss``)
follow the boostrank estimator contract. ``neural.losses`` holds the losses for plain PyTorch
use. Submodules load on first access, so ``import neural`` itself is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from boostrank._lazy import lazy_getattr

_PUBLIC = {
    "NeuralRanker": ".ranker:NeuralRanker",
    "AttentionNeuralNDCG": ".estimators:AttentionNeuralNDCG",
    "AttentionListNet": ".estimators:AttentionListNet",
    "AttentionLambdaLoss": ".estimators:AttentionLambdaLoss",
    "build_scorer": ".scorer:build_scorer",
    "RankNet": ".estimators:RankNet",
    "ListNet": ".estimators:ListNet",
    "LambdaRankNet": ".estimators:LambdaRankNet",
    "ListMLENet": ".estimators:ListMLENet",
    "ApproxNDCGNet": ".estimators:ApproxNDCGNet",
    "MLPScorer": ".scorer:MLPScorer",
    "FeaturePreprocessor": ".preprocessing:FeaturePreprocessor",
    "ListBatcher": ".batching:ListBatcher",
    "train_ranker": ".training:train_ranker",
    "get_loss": ".losses:get_loss",
}

_SUBMODULES = ("losses", "batching", "distributed", "estimators", "parameters", "persistence",
               "preprocessing", "ranker", "runtime", "scorer", "training")

__all__ = sorted(_PUBLIC)
_lazy = lazy_getattr(__name__, _PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    return _lazy(name)


def __dir__() -> list[str]:
    return __all__ + list(_SUBMODULES)
