"""Figures of a comparison report, drawn with matplotlib's object API (no pyplot state).

- `plot_ndcg_at_k`: mean NDCG@k for k = 1..10, one line per model.
- `plot_differences`: per-query differences to the baseline on a metric, one histogram per
  model, with the win/tie/loss counts.
- `plot_learning_curves`: the validation metric per boosting round / epoch from each model's
  ``evals_result_`` (one line per fold), the kept round/epoch marked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

DPI = 110


@dataclass
class Plot:
    """One rendered figure: ``name`` (file stem), ``title``, ``caption`` and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def figure_png(figure: Any) -> bytes:
    """PNG bytes of a matplotlib ``Figure`` (Agg canvas; no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def model_colors(models: list[str]) -> dict[str, Any]:
    """A stable colour per model (tab10 in model order)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {m: cmap(i % 10) for i, m in enumerate(models)}


def plot_ndcg_at_k(result: Any) -> Any:
    """Figure: mean NDCG@k (k = 1..10) per model under the report's convention."""
    table = result.ndcg_at_k()
    colors = model_colors(result.models)
    fig = _figure(8.5, 3.8)
    ax = fig.add_subplot()
    ks = [int(k) for k in table.columns]
    for model in result.models:
        label = model + (" (baseline)" if model == result.baseline else "")
        ax.plot(ks, table.loc[model].to_numpy(), marker="o", markersize=4, linewidth=1.8,
                color=colors[model], label=label)
    ax.set_xticks(ks)
    ax.set_xlabel("k")
    ax.set_ylabel("mean NDCG@k")
    where = f", mean over {result.n_folds} folds" if result.n_folds > 1 else ""
    ax.set_title(f"NDCG@k on the test queries ({_conv_name(result)} convention{where})",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, frameon=False, ncols=min(len(result.models), 4))
    return fig


def plot_differences(result: Any, metric: str | None = None) -> Any | None:
    """Figure: histograms of per-query ``metric`` differences (model - baseline); None with
    a single model."""
    metric = metric or result.metrics[0]
    others = [m for m in result.models if m != result.baseline]
    if not others:
        return None
    colors = model_colors(result.models)
    base = result.pooled(result.baseline, metric)
    diffs = {}
    for model in others:
        values = result.pooled(model, metric)
        keep = np.isfinite(values) & np.isfinite(base)
        diffs[model] = values[keep] - base[keep]
    span = max((float(np.abs(d).max()) for d in diffs.values() if d.size), default=1.0)
    span = 1.0 if span <= 1.0 else span
    width = span / 20
    bins = np.linspace(-span - width / 2, span + width / 2, 42)  # 0 is a bin centre
    fig = _figure(8.5, 1.5 + 1.3 * len(others))
    axes = fig.subplots(len(others), 1, sharex=True, squeeze=False)[:, 0]
    for ax, model in zip(axes, others, strict=True):
        d = diffs[model]
        tied = np.abs(d) <= 1e-12
        # ties (often most queries) are counted, not drawn: they would dwarf the rest
        ax.hist(d[~tied], bins=bins, color=colors[model], alpha=0.85)
        ax.axvline(0.0, color="black", linewidth=0.8)
        if d.size:
            ax.axvline(float(d.mean()), color="crimson", linewidth=1.2, linestyle="--")
        wins, ties, losses = (int(np.sum(d > 1e-12)), int(tied.sum()), int(np.sum(d < -1e-12)))
        ax.text(0.99, 0.92, f"win/tie/loss {wins}/{ties}/{losses} (ties not drawn)\n"
                f"mean difference {d.mean():+.4f}" if d.size else "no queries",
                transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
        ax.set_ylabel(model, fontsize=9)
        ax.grid(True, axis="x", alpha=0.3)
    axes[-1].set_xlabel(f"per-query {metric} of the model minus {result.baseline} (baseline)")
    axes[0].set_title(f"Per-query differences to the baseline ({metric}; dashed: mean)",
                      fontsize=10)
    return fig


def plot_learning_curves(result: Any) -> Any | None:
    """Figure: validation metric per round/epoch for each model (lines: folds); None when no
    model recorded an ``evals_result_``."""
    models = [m for m in result.models
              if any(f.runs[m].evals_result for f in result.folds)]
    if not models:
        return None
    colors = model_colors(result.models)
    ncols = 2 if len(models) > 1 else 1
    nrows = (len(models) + ncols - 1) // ncols
    fig = _figure(8.5 if ncols == 2 else 6.0, 0.5 + 2.6 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(models):]:
        ax.set_visible(False)
    for ax, model in zip(axes, models, strict=False):
        label_metric = ""
        kind = "round"
        for index, fold in enumerate(result.folds):
            run = fold.runs[model]
            series, set_name, metric = _curve(run)
            if series is None:
                continue
            kind = run.iteration_kind
            conv = run.params.get("eval_convention")
            label_metric = f"{set_name} {metric}" + (f" ({conv})" if isinstance(conv, str)
                                                     else "")
            steps = np.arange(1, len(series) + 1)
            alpha = 1.0 if result.n_folds == 1 else 0.75
            ax.plot(steps, series, color=colors[model], alpha=alpha, linewidth=1.3,
                    linestyle=("-", "--", ":", "-.")[index % 4])
            best = run.best_iteration
            if best is not None and 1 <= best <= len(series):
                ax.plot([best], [series[best - 1]], marker="o", markersize=5,
                        color=colors[model], markeredgecolor="black")
        ax.set_title(model, fontsize=10)
        ax.set_xlabel(kind)
        ax.set_ylabel(label_metric, fontsize=8)
        ax.grid(True, alpha=0.3)
    if result.n_folds > 1:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="dimgray", linestyle=("-", "--", ":", "-.")[i % 4])
                   for i in range(result.n_folds)]
        fig.legend(handles, result.fold_names, loc="outside lower center",
                   ncols=min(result.n_folds, 8), fontsize=8, frameon=False)
    fig.suptitle("Learning curves on the validation split (dot: kept round/epoch)",
                 fontsize=10)
    return fig


def _curve(run: Any) -> tuple[list[float] | None, str, str]:
    """The series to plot for a run: its first eval set, its ``eval_metric`` if recorded."""
    for set_name, metrics in run.evals_result.items():
        if not metrics:
            continue
        metric = run.eval_metric if run.eval_metric in metrics else next(iter(metrics))
        return list(metrics[metric]), set_name, metric
    return None, "", ""


def _conv_name(result: Any) -> str:
    return str(getattr(result.convention, "name", result.convention))


def make_plots(result: Any) -> list[Plot]:
    """Every figure of the report, rendered to PNG (figures that do not apply are left out)."""
    first = result.metrics[0]
    plots = []
    ndcg_caption = ("Mean NDCG@k on the test queries for each model; a higher curve is better "
                    "at every depth.")
    convention = result.convention
    if getattr(convention, "short_list", None) == "zero":
        ndcg_caption += (f" Under the {_conv_name(result)} convention a query with fewer than k "
                         "documents scores NDCG@k = 0, so the curve drops where k passes the "
                         "length of many lists.")
    specs = [
        ("ndcg_at_k", "NDCG@k for k = 1..10", plot_ndcg_at_k, ndcg_caption),
        ("differences", f"Per-query {first} differences to the baseline", plot_differences,
         f"For each model, the histogram of its per-query {first} minus the baseline's "
         f"({result.baseline}). Mass right of 0 means queries where the model wins."),
        ("learning_curves", "Learning curves", plot_learning_curves,
         "Validation metric after each boosting round or epoch, from each model's "
         "evals_result_ (computed by the common evaluator during training, under the "
         "model's own eval_convention shown in the axis label)."),
    ]
    for name, title, draw, caption in specs:
        figure = draw(result)
        if figure is not None:
            plots.append(Plot(name, title, caption, figure_png(figure)))
    return plots
