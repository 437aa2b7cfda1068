"""Progress display for comparison runs: which fold, which model, which round/epoch or trial.

On a terminal the current line is rewritten in place (at most ~8 times a second); when the
stream is a file or a pipe only the start and end of each job are written, one line each, so
logs stay readable.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    """Writes progress of a comparison to ``stream`` (stderr by default).

    ``enabled=False`` makes every method a no-op. The runner calls `job_start` /
    `job_done` around each (fold, model) job, `training_step` from the training callback and
    `trial_done` from the tuning callback.
    """

    min_interval = 0.12  # seconds between in-place updates on a terminal

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._prefix = ""
        self._last = 0.0
        self._width = 0
        self.n_jobs = 0
        self.job = 0

    # ------------------------------------------------------------------ helpers
    def _write_line(self, text: str) -> None:
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def _update(self, text: str, force: bool = False) -> None:
        if not self.live:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        pad = max(self._width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    # ------------------------------------------------------------------ events
    def start(self, n_folds: int, models: list[str], tune: int = 0) -> None:
        """Announce the run: ``n_folds`` folds x ``models``, optionally ``tune`` trials each."""
        self.n_jobs = n_folds * len(models)
        self.job = 0
        if not self.enabled:
            return
        what = f"{len(models)} model{'s' if len(models) != 1 else ''} ({', '.join(models)})"
        folds = f" on {n_folds} folds" if n_folds > 1 else ""
        tuning = f", {tune} tuning trials each" if tune else ""
        self._write_line(f"boostrank compare: {what}{folds}{tuning}")

    def job_start(self, fold: str, fold_index: int, n_folds: int, model: str) -> None:
        """A (fold, model) job begins."""
        self.job += 1
        where = f" {fold} ({fold_index + 1}/{n_folds})" if n_folds > 1 else ""
        self._prefix = f"[{self.job}/{self.n_jobs}]{where} {model}"
        if self.enabled:
            if self.live:
                self._update(f"{self._prefix}: starting", force=True)
            else:
                self._write_line(f"{self._prefix}: fitting")

    def training_step(self, step: Any) -> None:
        """Training callback: ``step`` is an `EvalStep` (round/epoch and validation values)."""
        if not (self.enabled and self.live):
            return
        values = ""
        evals = getattr(step, "evals", None) or {}
        watched = getattr(getattr(step, "estimator", None), "eval_metric", None)
        for set_name, metrics in evals.items():
            if not metrics:
                continue
            metric = watched if watched in metrics else next(iter(metrics))
            values = f" {set_name} {metric}={metrics[metric]:.4f}"
            break
        self._update(f"{self._prefix}: step {int(step.step) + 1}{values}",
                     force=int(step.step) == 0)

    def trial_done(self, number: int, n_trials: int, value: float | None,
                   best: float | None, state: str) -> None:
        """Tuning callback: trial ``number`` (0-based) of ``n_trials`` finished."""
        if not self.enabled:
            return
        shown = "" if value is None else f" value={value:.4f}"
        best_txt = "" if best is None else f" best={best:.4f}"
        text = f"{self._prefix}: trial {number + 1}/{n_trials} {state.lower()}{shown}{best_txt}"
        if self.live:
            self._update(text, force=True)
        else:
            self._write_line(text)

    def job_done(self, fit_time: float, predict_time: float, metric: str, value: float) -> None:
        """A job finished: its timings and its test score on the first metric."""
        if self.enabled:
            self._write_line(
                f"{self._prefix}: fit {fit_time:.2f} s, predict {predict_time:.3f} s, "
                f"test {metric} = {value:.4f}"
            )

    def message(self, text: str) -> None:
        """Any other line (e.g. where the report was written)."""
        if self.enabled:
            self._write_line(text)
