"""What `tuning.tune` returns: `TuningResult`, its trials table, and `HeldOutComparison`
(the default configuration against the best trial on a held-out test set)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from boostrank.model_io import jsonable_params, params_from_json

from .objective import (
    BEST_EPOCH_ATTR,
    BEST_ITERATION_ATTR,
    DEFAULT_TRIAL_ATTR,
    FOLD_SCORES_ATTR,
    PARAMS_ATTR,
    STEPS_RUN_ATTR,
)
from .params_json import params_to_display_json
from .selection import Selection

__all__ = ["HeldOutComparison", "TuningResult", "compare_on_held_out", "trials_frame"]

#: significance level of the held-out comparison
ALPHA = 0.05


@dataclass(frozen=True)
class HeldOutComparison:
    """The default configuration against the best trial on a held-out set, query by query.

    ``default`` / ``best``: mean metric of each refitted model over the ``n_queries`` queries
    that count (same metric and convention as the study); ``difference``: best - default;
    ``ci_low`` / ``ci_high``: percentile-bootstrap ``confidence`` interval of the mean paired
    difference; ``p_value``: two-sided paired t-test; ``p_randomization``: sign-flip
    randomization test (`boostrank.metrics.stats`). ``significant``: ``p_value < alpha``.
    """

    metric: str
    convention: str
    n_queries: int
    default: float
    best: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_randomization: float
    confidence: float = 0.95
    alpha: float = ALPHA

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)

    def verdict(self) -> str:
        """One plain sentence: the scores, the difference with its interval, and whether it is
        significant."""
        if self.significant:
            word = "gain" if self.difference > 0 else "loss"
            plain = f"the {word} is significant"
        else:
            plain = ("the gain is NOT significant: tuning did not beat the default configuration"
                     " beyond noise" if self.difference > 0 else
                     "tuning did not beat the default configuration (no significant difference)")
        return (f"held-out {self.metric} ({self.convention} convention, {self.n_queries} "
                f"queries): default {self.default:.4f}, best trial {self.best:.4f}, difference "
                f"{self.difference:+.4f} [{int(self.confidence * 100)}% CI {self.ci_low:+.4f}, "
                f"{self.ci_high:+.4f}], paired t-test p={self.p_value:.3g}: {plain}")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "significant": self.significant, "verdict": self.verdict()}


def compare_on_held_out(default_scores: np.ndarray, best_scores: np.ndarray, *, metric: str,
                        convention: str, random_state: int = 0) -> HeldOutComparison:
    """Paired comparison of two per-query score arrays (shape (n_queries,), NaN = query does
    not count under the convention; such queries are left out of both)."""
    from boostrank.metrics.stats import bootstrap_ci, paired_ttest, randomization_test

    a = np.asarray(best_scores, dtype=np.float64)
    b = np.asarray(default_scores, dtype=np.float64)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if a.size < 2:
        raise ValueError(f"the test set has {a.size} query that counts under the "
                         f"{convention} convention; a paired comparison needs at least 2")
    _, p_value = paired_ttest(a, b)
    low, high = bootstrap_ci(a, b, random_state=random_state)
    return HeldOutComparison(
        metric=metric, convention=convention, n_queries=int(a.size), default=float(b.mean()),
        best=float(a.mean()), difference=float((a - b).mean()), ci_low=low, ci_high=high,
        p_value=float(p_value),
        p_randomization=randomization_test(a, b, random_state=random_state),
    )


@dataclass
class TuningResult:
    """What `tune` returns.

    ``best_params``: estimator parameters of the best trial (apply them to the tuned model with
    ``set_params``, or to a fresh one of the same class: they include the tuning settings
    ``eval_metric``/``eval_convention``/``random_state`` when those differ from the model's);
    ``best_value``: its validation metric (mean over folds with ``cv``); ``best_estimator``:
    the refitted best configuration (None without refit); ``trials``: one row per trial
    (number, state, value, duration, parameters, kept rounds/epochs, steps reported);
    ``study``: the Optuna study; ``default_value``: the value of the default-configuration
    trial, when the study has one that completed; ``held_out``: the default configuration
    against the best trial on ``test`` (`HeldOutComparison`), when ``tune`` was given one;
    ``default_estimator``: the refitted default configuration, then; ``selection``: how the
    returned trial was chosen (`tuning.selection.Selection`: with ``select="significant"``,
    whether the default configuration was kept and the validation gain with its p-value).
    ``best_*`` describe the returned trial (the default one when it was kept).
    """

    best_params: dict[str, Any]
    best_value: float
    best_estimator: Any
    trials: Any
    study: Any
    metric: str
    convention: str
    model: str
    default_value: float | None = None
    best_trial: int = -1
    held_out: HeldOutComparison | None = None
    default_estimator: Any = None
    selection: Selection | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_complete(self) -> int:
        return int((self.trials["state"] == "COMPLETE").sum())

    @property
    def n_pruned(self) -> int:
        return int((self.trials["state"] == "PRUNED").sum())

    @property
    def n_failed(self) -> int:
        return int((self.trials["state"] == "FAIL").sum())

    def summary(self) -> dict[str, Any]:
        """JSON-able summary: model, metric, convention, best value/params, trial counts,
        and the held-out comparison with its verdict when there is one."""
        return {
            "model": self.model,
            "metric": self.metric,
            "convention": self.convention,
            "objective": self.extra.get("objective_label"),
            "study_name": self.study.study_name,
            "best_trial": self.best_trial,
            "best_value": self.best_value,
            "default_value": self.default_value,
            "best_params": params_to_display_json(self.best_params),
            "n_trials": int(len(self.trials)),
            "n_complete": self.n_complete,
            "n_pruned": self.n_pruned,
            "n_failed": self.n_failed,
            "selection": None if self.selection is None else self.selection.as_dict(),
            "held_out": None if self.held_out is None else self.held_out.as_dict(),
        }

    def __str__(self) -> str:
        label = self.extra.get("objective_label") or f"{self.metric} ({self.convention})"
        lines = [f"{self.model}: best {label} {self.best_value:.4f} (trial {self.best_trial}; "
                 f"{self.n_complete} complete, {self.n_pruned} pruned, {self.n_failed} failed)"]
        if self.default_value is not None:
            lines.append(f"default configuration: {self.default_value:.4f} on the same "
                         "validation (selected on it, so the best is optimistic)")
        if self.selection is not None and self.selection.rule != "best":
            lines.append(self.selection.verdict())
        if self.held_out is not None:
            lines.append(self.held_out.verdict())
        return "\n".join(lines)

    def save(self, directory: str | os.PathLike, *, model_file: str = "model.brm",
             plots: bool = True) -> dict[str, Path]:
        """Write ``best_params.json``, ``summary.json``, ``trials.csv``, the refitted model
        and (``plots``) the PNG plots of `tuning.plots.write_plots` into ``directory``.

        Returns name -> path of what was written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        path = out / "best_params.json"
        path.write_text(json.dumps(params_to_display_json(self.best_params), indent=2,
                                   sort_keys=True) + "\n")
        written["best_params"] = path
        path = out / "trials.csv"
        self.trials.to_csv(path, index=False)
        written["trials"] = path
        if self.best_estimator is not None:
            written["model"] = Path(self.best_estimator.save(out / model_file))
        summary = self.summary()
        if plots:
            from .plots import write_plots

            made, skipped = write_plots(self.study, out)
            written.update(made)
            summary["plots_skipped"] = skipped
        path = out / "summary.json"
        path.write_text(json.dumps(summary, indent=2) + "\n")
        written["summary"] = path
        return written


def trial_params(trial: Any) -> dict[str, Any]:
    """Estimator parameters a trial set (recorded by the objective; else the trial's own)."""
    recorded = trial.user_attrs.get(PARAMS_ATTR)
    return params_from_json(recorded) if recorded is not None else dict(trial.params)


def trials_frame(study: Any) -> Any:
    """One row per trial: number, state, value, default, duration_s, steps_reported (values
    reported to the pruner: its check points and the last step), steps_run (boosting rounds
    or epochs trained, summed over folds), kept rounds/epochs, fold scores, then one
    ``param_<name>`` column per estimator parameter the trial set."""
    import pandas as pd

    rows = []
    for t in study.get_trials(deepcopy=False):
        duration = None
        if t.datetime_start is not None and t.datetime_complete is not None:
            duration = (t.datetime_complete - t.datetime_start).total_seconds()
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.name,
            "value": t.value if t.value is not None else math.nan,
            "default": bool(t.user_attrs.get(DEFAULT_TRIAL_ATTR, False)),
            "duration_s": duration,
            "steps_reported": len(t.intermediate_values),
            "steps_run": t.user_attrs.get(STEPS_RUN_ATTR),
            "best_iteration": _mean_or_none(t.user_attrs.get(BEST_ITERATION_ATTR)),
            "best_epoch": _mean_or_none(t.user_attrs.get(BEST_EPOCH_ATTR)),
            "fold_scores": (json.dumps(t.user_attrs[FOLD_SCORES_ATTR])
                            if FOLD_SCORES_ATTR in t.user_attrs else None),
            "datetime_start": t.datetime_start,
        }
        for name, value in trial_params(t).items():
            row[f"param_{name}"] = (json.dumps(jsonable_params(value))
                                    if isinstance(value, (tuple, list, dict)) else value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("steps_run", "best_iteration", "best_epoch", "fold_scores"):
        if column in frame and frame[column].isna().all():
            frame = frame.drop(columns=column)
    return frame


def _mean_or_none(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return float(np.mean(value)) if value else None
    return float(value)
