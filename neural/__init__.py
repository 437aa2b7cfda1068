"""PyTorch neural rankers: list losses, MLP, attention and DASALC scorers, bucketed batching.

The general ``neural.NeuralRanker(loss=..., scorer=...)`` (`neural.ranker`) and the named
rankers of `neural.estimators` (``RankNet``, ``ListNet``, ``LambdaRankNet``, ``ListMLENet``,
``ApproxNDCGNet``, ``WassRankNet``, ``AttentionNeuralNDCG``, ``AttentionListNet``, ``AttentionLambdaLoss``,
``AttentionRankNet``, ``DASALCRanker``)
follow the boostrank estimator contract. ``neural.losses`` holds the losses for plain PyTorch
use. Submodules load on first access, so ``import neural`` itself is cheap.
"""

from __future__ import annotations

from boostrank.lazy import lazy_facade

_PUBLIC = {
    "NeuralRanker": ".ranker:NeuralRanker",
    "AttentionNeuralNDCG": ".estimators:AttentionNeuralNDCG",
    "AttentionListNet": ".estimators:AttentionListNet",
    "AttentionLambdaLoss": ".estimators:AttentionLambdaLoss",
    "AttentionRankNet": ".estimators:AttentionRankNet",
    "DASALCRanker": ".estimators:DASALCRanker",
    "build_scorer": ".scorer:build_scorer",
    "RankNet": ".estimators:RankNet",
    "ListNet": ".estimators:ListNet",
    "LambdaRankNet": ".estimators:LambdaRankNet",
    "ListMLENet": ".estimators:ListMLENet",
    "ApproxNDCGNet": ".estimators:ApproxNDCGNet",
    "WassRankNet": ".estimators:WassRankNet",
    "MLPScorer": ".scorer:MLPScorer",
    "ThresholdScorer": ".scorer:ThresholdScorer",
    "ScorerEnsemble": ".ensemble:ScorerEnsemble",
    "FeaturePreprocessor": ".preprocessing:FeaturePreprocessor",
    "ListBatcher": ".batching:ListBatcher",
    "train_ranker": ".training:train_ranker",
    "get_loss": ".losses:get_loss",
}

_SUBMODULES = ("losses", "attention", "batching", "dasalc", "distributed", "ensemble",
               "estimators", "parameters", "persistence", "preprocessing", "ranker", "runtime",
               "scorer", "training")

__all__, __getattr__, __dir__ = lazy_facade(__name__, _PUBLIC, submodules=_SUBMODULES)
