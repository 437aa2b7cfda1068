"""PNG plots of a study, labelled with its metric and convention.

`write_plots` writes ``optimization_history.png`` and ``param_importances.png`` (Optuna's
matplotlib visualisations, the objective named as the study names it, e.g. "NDCG@10
(validation, default convention)") and ``intermediate_values.png``: each trial's validation
curve per boosting round / epoch from its stored full curve (`tuning.objective.CURVE_ATTR`),
drawn as the running best where the model keeps its best round (early stopping), as the
title says. A plot that cannot be drawn (too few finished trials, no parameter that varied,
no curve) is skipped with the reason, never an error.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .objective import CURVE_ATTR, KEEPS_BEST_ATTR

__all__ = ["PLOTS", "objective_label", "plot_curves", "write_plots"]

#: plot name -> file name
PLOTS = {
    "optimization_history": "optimization_history.png",
    "param_importances": "param_importances.png",
    "intermediate_values": "intermediate_values.png",
}


def _skip_reason(study: Any, name: str) -> str | None:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if name == "optimization_history" and not complete:
        return "no completed trial"
    if name == "param_importances":
        if len(complete) < 2:
            return f"needs at least 2 completed trials, the study has {len(complete)}"
        varied = set()
        for param in {p for t in complete for p in t.params}:
            values = {repr(t.params.get(param)) for t in complete}
            if len(values) > 1:
                varied.add(param)
        if not varied:
            return "no parameter took more than one value among completed trials"
    if name == "intermediate_values" and not any(CURVE_ATTR in t.user_attrs for t in trials):
        return "no trial stored a per-round / per-epoch curve (cross-validated study?)"
    return None


def objective_label(study: Any) -> str:
    """The study's metric name (`tune` sets it), or Optuna's generic one."""
    names = study.metric_names
    return names[0] if names else "Objective Value"


def plot_curves(study: Any) -> Any:
    """Each trial's validation curve (matplotlib Axes): the running best for trials whose
    model keeps its best round / epoch, the raw value per step otherwise."""
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axes = plt.subplots()
    running_best = False
    for trial in study.get_trials(deepcopy=False):
        curve = trial.user_attrs.get(CURVE_ATTR)
        if not curve:
            continue
        values = np.asarray(curve, dtype=np.float64)
        keeps_best = trial.user_attrs.get(KEEPS_BEST_ATTR, False)
        if keeps_best:
            values = np.fmax.accumulate(values)
            running_best = True
        axes.plot(np.arange(1, values.size + 1), values, linewidth=1,
                  alpha=0.5 if trial.state.name == "PRUNED" else 0.9)
    label = objective_label(study)
    axes.set_xlabel("boosting round / epoch")
    axes.set_ylabel(label)
    axes.set_title(f"{label}: " + ("running best (the model keeps its best round)"
                                   if running_best else "value per round / epoch")
                   + "; faint lines: pruned trials", fontsize=9)
    return axes


def write_plots(study: Any, directory: str | os.PathLike, *,
                dpi: int = 110) -> tuple[dict[str, Path], dict[str, str]]:
    """Write the PNG plots of ``study`` into ``directory``.

    Returns ``(written, skipped)``: plot name -> path, and plot name -> reason it was skipped.
    Uses matplotlib's non-interactive Agg canvas (no display needed).
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo"):
        try:
            matplotlib.use("Agg")
        except Exception:  # noqa: BLE001 - backend already in use: keep it
            pass
    import matplotlib.pyplot as plt
    import optuna
    from optuna.visualization import matplotlib as ovm

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    label = objective_label(study)
    makers = {
        "optimization_history": lambda s: ovm.plot_optimization_history(s, target_name=label),
        "param_importances": lambda s: ovm.plot_param_importances(s, target_name=label),
        "intermediate_values": plot_curves,
    }
    written: dict[str, Path] = {}
    skipped: dict[str, str] = {}
    for name, maker in makers.items():
        reason = _skip_reason(study, name)
        if reason is not None:
            skipped[name] = reason
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                warnings.simplefilter("ignore", UserWarning)
                axes = maker(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:
            skipped[name] = f"{type(exc).__name__}: {exc}"
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        figure.set_size_inches(8, 5)
        figure.tight_layout()
        path = out / PLOTS[name]
        figure.savefig(path, dpi=dpi)
        plt.close(figure)
        written[name] = path
    return written, skipped
