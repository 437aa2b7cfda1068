"""Which ``fit(callbacks=...)`` entries are boostrank's and which go to the backend.

``fit(..., callbacks=[...])`` of a booster takes two kinds of callbacks, told apart without
ambiguity:

- **boostrank callbacks**: plain callables ``f(step: EvalStep)``, called after every round with
  the common evaluator's metrics (only with an ``eval_set``; returning True stops training);
- **backend callbacks**, handed to ``lightgbm.train`` / ``xgboost.train`` next to boostrank's
  own tracking (they run with or without an ``eval_set``):

  - XGBoost: instances of ``xgboost.callback.TrainingCallback`` (``LearningRateScheduler``,
    your own subclasses, ...);
  - LightGBM: the callbacks of ``lightgbm.callback`` (``reset_parameter``,
    ``log_evaluation``, ``record_evaluation``, ...) and any callable carrying an ``order`` or
    ``before_iteration`` attribute, which is how LightGBM itself marks its callbacks; wrap a
    plain function ``f(env: lightgbm.callback.CallbackEnv)`` in `lightgbm_callback` to say it
    is one.

A backend callback of the other backend is an error naming it. LightGBM backend callbacks see
boostrank's per-round metrics in ``env.evaluation_result_list`` (boostrank computes every
metric through ``feval``); XGBoost callbacks see them in ``evals_log``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["LightGBMCallback", "lightgbm_callback", "split_callbacks"]


class LightGBMCallback:
    """A plain function marked as a LightGBM callback (build it with `lightgbm_callback`).

    Parameters
    ----------
    function : callable
        ``function(env)`` with ``env`` a ``lightgbm.callback.CallbackEnv``; it may raise
        ``lightgbm.callback.EarlyStopException`` as LightGBM's own callbacks do.
    order : int, default 20
        LightGBM runs callbacks by increasing ``order`` (``reset_parameter`` is 10,
        ``log_evaluation`` 10, ``early_stopping`` 30; boostrank's tracking is 30).
    before_iteration : bool, default False
        Run before each boosting round (True) or after it.
    """

    def __init__(self, function: Callable[[Any], Any], *, order: int = 20,
                 before_iteration: bool = False) -> None:
        if not callable(function):
            raise TypeError(f"lightgbm_callback needs a callable, got {type(function).__name__}")
        self.function = function
        self.order = int(order)
        self.before_iteration = bool(before_iteration)

    def __call__(self, env: Any) -> Any:
        return self.function(env)

    def __repr__(self) -> str:
        name = getattr(self.function, "__name__", repr(self.function))
        return (f"lightgbm_callback({name}, order={self.order}, "
                f"before_iteration={self.before_iteration})")


def lightgbm_callback(function: Callable[[Any], Any], *, order: int = 20,
                      before_iteration: bool = False) -> LightGBMCallback:
    """Mark ``function(env: lightgbm.callback.CallbackEnv)`` as a LightGBM callback.

    Without this mark a plain callable given to ``fit(callbacks=...)`` is a boostrank callback
    (it receives an `boostrank.estimator.EvalStep`). See `LightGBMCallback` for the
    parameters.
    """
    return LightGBMCallback(function, order=order, before_iteration=before_iteration)


def _is_xgboost_callback(callback: Any) -> bool:
    module = sys.modules.get("xgboost.callback")  # never import xgboost just to check
    return module is not None and isinstance(callback, module.TrainingCallback)


def _is_lightgbm_callback(callback: Any) -> bool:
    return callable(callback) and (hasattr(callback, "order")
                                   or hasattr(callback, "before_iteration"))


def callback_backend(callback: Any) -> str | None:
    """``"LightGBM"`` or ``"XGBoost"`` for a backend's own callback, None for anything else
    (a boostrank callback is a plain callable receiving an `boostrank.estimator.EvalStep`)."""
    if _is_xgboost_callback(callback):
        return "XGBoost"
    if _is_lightgbm_callback(callback):
        return "LightGBM"
    return None


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOUX" else "a"


def split_callbacks(callbacks: Sequence[Any] | None,
                    backend: str) -> tuple[list[Any], list[Any]]:
    """``(boostrank callbacks, backend callbacks)`` of a ``fit(callbacks=...)`` argument.

    Parameters
    ----------
    callbacks : sequence or None
        What ``fit`` received.
    backend : {'LightGBM', 'XGBoost'}
        The booster's backend.

    Raises
    ------
    TypeError
        For an entry that is not callable, or a backend callback of the other backend.
    """
    own: list[Any] = []
    native: list[Any] = []
    for i, callback in enumerate(callbacks or ()):
        kind = callback_backend(callback)
        if kind is None and callable(callback):
            own.append(callback)
            continue
        if kind is None:
            raise TypeError(f"callbacks[{i}] ({type(callback).__name__}) is not callable: give "
                            "functions of an EvalStep or backend callbacks")
        if kind != backend:
            raise TypeError(
                f"callbacks[{i}] ({type(callback).__name__}) is {_article(kind)} {kind} "
                f"callback; {_article(backend)} {backend} booster takes {backend} callbacks "
                "or functions of an EvalStep")
        native.append(callback)
    return own, native
