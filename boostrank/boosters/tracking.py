"""Per-round evaluation, early stopping and training callbacks, shared by both backends.

The backend hands the current scores of each eval set to `EvalTracker.evaluate` (LightGBM
``feval`` / XGBoost ``custom_metric``, which receive the booster's cached predictions, so no
re-prediction happens) and calls `EvalTracker.end_round` once per boosting round.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from ..estimator import EvalStep, TrainingCallback, run_callbacks


class EvalTracker:
    """Evaluates eval sets every round with the common evaluator and decides when to stop.

    ``eval_sets``: ``[(name, RankingData), ...]`` (rows grouped by query); ``metrics``:
    canonical metric names recorded every round; ``watch``: the metric early stopping follows on
    the first eval set (higher is better); ``early_stopping_rounds``: stop after this many rounds
    without a strict improvement (None: never); ``callbacks``: called with an `EvalStep` after
    every round (exceptions propagate, True stops training); ``verbose``: print every N rounds.
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
        self.early_stopping_rounds = early_stopping_rounds
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.evaluators = {name: Evaluator(data.y, data.qid, self.metrics, convention=convention)
                           for name, data in eval_sets}
        self.history: dict[str, dict[str, list[float]]] = {
            name: {m: [] for m in self.metrics} for name in self.names
        }
        self._current: dict[str, dict[str, float]] = {}
        self.best_round = -1
        self.best_value = -math.inf
        self.rounds = 0

    @property
    def active(self) -> bool:
        return bool(self.names)

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
        self.rounds = step + 1
        watched = evals[self.names[0]][self.watch]
        if self.best_round < 0 or (not math.isnan(watched) and watched > self.best_value) or (
                math.isnan(self.best_value) and not math.isnan(watched)):
            self.best_round, self.best_value = step, watched
        if self.verbose and (step + 1) % self.verbose == 0:
            text = "  ".join(f"{n}'s {m}: {v:.6f}" for n, vals in evals.items()
                             for m, v in vals.items())
            print(f"[{step + 1}]  {text}", file=sys.stderr, flush=True)
        stop = run_callbacks(self.callbacks, EvalStep(step, evals, self.estimator))
        if (self.early_stopping_rounds is not None
                and step - self.best_round >= self.early_stopping_rounds):
            stop = True
        return stop

    def kept_rounds(self) -> int:
        """Rounds in the kept model: the best one under early stopping, else all rounds run."""
        if self.early_stopping_rounds is not None and self.best_round >= 0:
            return self.best_round + 1
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
