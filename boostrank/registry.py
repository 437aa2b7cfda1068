"""Short model names -> estimator classes, by import path (naming a booster never imports torch).

`MODELS` is also the allow-list of classes a model file may name: `resolve_class_path` never
imports a module that is not listed here.
"""

from __future__ import annotations

import importlib

__all__ = ["MODELS", "get_model_class", "class_path", "registered_name", "resolve_class_path"]

MODELS: dict[str, str] = {
    "lightgbm": "boostrank.boosters.lightgbm_ranker:LightGBMLambdaMART",
    "xgboost": "boostrank.boosters.xgboost_ranker:XGBoostLambdaMART",
    "ranknet": "neural.estimators:RankNet",
    "listnet": "neural.estimators:ListNet",
    "lambdarank_nn": "neural.estimators:LambdaRankNet",
    "listmle": "neural.estimators:ListMLENet",
    "approxndcg": "neural.estimators:ApproxNDCGNet",
    "wassrank": "neural.estimators:WassRankNet",
    "attention_neuralndcg": "neural.estimators:AttentionNeuralNDCG",
    "attention_listnet": "neural.estimators:AttentionListNet",
    "attention_lambdaloss": "neural.estimators:AttentionLambdaLoss",
    "attention_ranknet": "neural.estimators:AttentionRankNet",
    "attention_dasalc": "neural.estimators:DASALCRanker",
}


def _import(target: str) -> type:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def get_model_class(name: str) -> type:
    """Return the estimator class registered under ``name`` (case-insensitive).

    Raises
    ------
    ValueError
        When ``name`` is unknown; the message lists the known models.
    """
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise ValueError(f"unknown model {name!r}; known models: {known}")
    return _import(MODELS[key])


def class_path(cls: type) -> str:
    """``"module:QualName"`` of a class, as a model file records it."""
    return f"{cls.__module__}:{cls.__qualname__}"


def registered_name(cls: type) -> str | None:
    """The short name `MODELS` registers ``cls`` under (None when it is not registered)."""
    path = class_path(cls)
    for name, target in MODELS.items():
        if target == path:
            return name
    return None


def resolve_class_path(path: str, base: type | None = None) -> type | None:
    """The class a model file names, looked up without importing anything unknown.

    Parameters
    ----------
    path : str
        ``"module:QualName"`` (or a short registry name).
    base : type, optional
        Subclasses of ``base`` that are already defined (imported by the program itself)
        are accepted too, so a user's own `BaseRanker` subclass loads with ``MyRanker.load``.

    Returns
    -------
    type or None
        None when ``path`` is neither registered nor an already-defined subclass of ``base``.
    """
    if not isinstance(path, str):
        return None
    if path in MODELS:
        return _import(MODELS[path])
    if path in MODELS.values():
        return _import(path)
    if base is not None:
        for cls in _subclasses(base):
            if class_path(cls) == path:
                return cls
    return None


def _subclasses(base: type) -> list[type]:
    found, todo = [base], [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                todo.append(sub)
    return found
