"""Per-round evaluation, early stopping and training callbacks, shared by both backends.

The backend hands the current scores of each eval set to `EvalTracker.evaluate` (LightGBM
``feval`` / XGBoost ``custom_metric``, which receive the booster's cached predictions, so no
re-prediction happens) and calls `EvalTracker.end_round` once per boosting round. The stopping
rule is `boostrank.early_stopping.EarlyStopping` (the neural rankers use the same one).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from ..early_stopping import EarlyStopping
from ..estimator import EvalStep, TrainingCallback, run_callbacks

__all__ = ["EvalTracker"]


class EvalTracker:
    """Evaluates eval sets every round with the common evaluator and decides when to stop.

    Parameters
    ----------
    estimator : the model being trained (handed to the callbacks).
    eval_sets : list of ``(name, RankingData)``
        Rows grouped by query.
    metrics : sequence of str
        Canonical metric names recorded every round.
    watch : str
        The metric early stopping follows on the first eval set (higher is better).
    convention : evaluator convention of every metric.
    early_stopping_rounds : int or None
        Stop after this many rounds without a strict improvement (None: never).
    callbacks : sequence of callables
        Called with an `EvalStep` after every round (exceptions propagate, True stops).
    verbose : int
        Print the metrics to stderr every ``verbose`` rounds (0: never).
    """

    def __init__(self, estimator: Any, eval_sets: Sequence[tuple[str, RankingData]],
                 metrics: Sequence[str], watch: str, convention: Any,
                 early_stopping_rounds: int | None, callbacks: Sequence[TrainingCallback],
                 verbose: int = 0) -> None:
        from ..metrics import Evaluator

        self.estimator = estimator
        self.names = [name for name, _ in eval_sets]
        self.metrics = list(metrics)
        self.watch = watch
        self.stopping = EarlyStopping(early_stopping_rounds)
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.evaluators = {name: Evaluator(data.y, data.qid, self.metrics, convention=convention)
                           for name, data in eval_sets}
        self.history: dict[str, dict[str, list[float]]] = {
            name: {m: [] for m in self.metrics} for name in self.names
        }
        self._current: dict[str, dict[str, float]] = {}

    @property
    def active(self) -> bool:
        """Whether there is anything to evaluate (at least one eval set)."""
        return bool(self.names)

    @property
    def best_round(self) -> int:
        """0-based best round so far (-1 before any finite value of the watched metric)."""
        best = self.stopping.best_step
        return -1 if best is None else best

    @property
    def rounds(self) -> int:
        """Rounds recorded so far."""
        return self.stopping.n_steps

    def evaluate(self, name: str, scores: np.ndarray) -> dict[str, float]:
        """Metrics of eval set ``name`` for the current round's ``scores`` (n_rows,)."""
        values = self.evaluators[name](np.asarray(scores, dtype=np.float64).ravel())
        result = {m: float(values[m]) for m in self.metrics}
        self._current[name] = result
        return result

    def end_round(self, step: int) -> bool:
        """Record round ``step`` (0-based); run callbacks; True when training should stop."""
        missing = [n for n in self.names if n not in self._current]
        if missing:
            raise RuntimeError(f"round {step}: eval sets {missing} were not evaluated")
        evals = {name: dict(self._current[name]) for name in self.names}
        self._current = {}
        for name, values in evals.items():
            for metric, value in values.items():
                self.history[name][metric].append(value)
        stop = self.stopping.update(evals[self.names[0]][self.watch])
        if self.verbose and (step + 1) % self.verbose == 0:
            text = "  ".join(f"{n}'s {m}: {v:.6f}" for n, vals in evals.items()
                             for m, v in vals.items())
            print(f"[{step + 1}]  {text}", file=sys.stderr, flush=True)
        if run_callbacks(self.callbacks, EvalStep(step, evals, self.estimator)):
            stop = True
        return stop

    def kept_rounds(self) -> int:
        """Rounds in the kept model: the best one under early stopping, else all rounds run."""
        if self.stopping.rounds is not None:
            return self.stopping.best_iteration
        return self.rounds

    def results(self, kept: int) -> tuple[dict[str, dict[str, list[float]]],
                                          dict[str, dict[str, float]]]:
        """``(evals_result_, best_score_)`` where best scores are those of round ``kept``."""
        evals_result = {n: {m: list(v) for m, v in ms.items()} for n, ms in self.history.items()}
        if kept <= 0:
            return evals_result, {}
        best = {n: {m: v[kept - 1] for m, v in ms.items() if len(v) >= kept}
                for n, ms in evals_result.items()}
        return evals_result, best
