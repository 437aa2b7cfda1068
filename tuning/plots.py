"""PNG plots of a study with Optuna's matplotlib visualisations.

`write_plots` writes ``optimization_history.png``, ``param_importances.png`` and
``intermediate_values.png``; a plot that cannot be drawn (too few finished trials, no parameter
that varied, no intermediate values) is skipped with the reason, never an error.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

__all__ = ["PLOTS", "write_plots"]

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
    if name == "intermediate_values" and not any(t.intermediate_values for t in trials):
        return "no trial reported intermediate values (pruning off)"
    return None


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
    makers = {
        "optimization_history": ovm.plot_optimization_history,
        "param_importances": ovm.plot_param_importances,
        "intermediate_values": ovm.plot_intermediate_values,
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
