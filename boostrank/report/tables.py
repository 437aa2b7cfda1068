"""The report's tables as format-neutral cells, shared by the Markdown and HTML renderers.

A `Table` is a title, a header and rows of `Cell` (text, optional secondary text such as a
confidence interval, a "best in column" flag and a significance mark); each renderer only
decides how those look.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MARK_SYMBOL = {"better": "▲", "worse": "▼"}
FAMILY_TITLES = {
    "ndcg": "NDCG", "dcg": "DCG", "map": "MAP", "mrr": "MRR", "err": "ERR",
    "precision": "Precision", "recall": "Recall",
}


@dataclass
class Cell:
    """One table cell: ``text``; ``sub`` a secondary line (e.g. a CI); ``best`` marks the best
    value of its column; ``mark`` is "better"/"worse" against the baseline or ""."""

    text: str
    sub: str = ""
    best: bool = False
    mark: str = ""
    numeric: bool = True


@dataclass
class Table:
    """A titled table: ``header`` labels and ``rows`` of cells (first cell: the row label)."""

    title: str
    header: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- number formats
def fmt_metric(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.4f}"


def fmt_ci(low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return f"[{low:.4f}, {high:.4f}]"


def fmt_time(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.1:
        return f"{seconds:.3f} s"
    return f"{seconds * 1000:.1f} ms"


def fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def fmt_int(value: int) -> str:
    return f"{int(value):,}"


# ---------------------------------------------------------------------- helpers
def model_label(result: Any, model: str) -> Cell:
    suffix = " (baseline)" if model == result.baseline else ""
    return Cell(model + suffix, numeric=False)


def metric_groups(metrics: list[str]) -> list[tuple[str, list[str]]]:
    """Split metrics into the report's tables: one per family with several cut-offs
    (NDCG@1,3,5,10), the single ones (MAP, MRR) together."""
    families: dict[str, list[str]] = {}
    for metric in metrics:
        families.setdefault(metric.split("@")[0], []).append(metric)
    for members in families.values():  # cut-offs ascending: ndcg@1, @3, @5, @10
        members.sort(key=_cutoff)
    groups: list[tuple[str, list[str]]] = []
    singles: list[str] = []
    for family, members in families.items():
        if len(members) > 1:
            groups.append((FAMILY_TITLES.get(family, family.upper()), members))
        else:
            singles.extend(members)
    if singles:
        titles = [FAMILY_TITLES.get(m.split("@")[0], m.split("@")[0].upper()) for m in singles]
        title = ", ".join(dict.fromkeys(titles))
        if len(groups) == 0:
            title = "Metrics"
        groups.append((title, singles))
    return groups


def _cutoff(metric: str) -> float:
    _, _, k = metric.partition("@")
    k = k.rstrip("-")
    return float(k) if k.isdigit() else float("inf")


def _best_flags(values: list[float], higher: bool = True, fmt: Any = fmt_metric) -> list[bool]:
    """Which values are the column's best *as displayed* (equal shown values tie)."""
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return [False] * len(values)
    target = fmt(max(finite) if higher else min(finite))
    return [bool(np.isfinite(v) and fmt(v) == target) for v in values]


# ---------------------------------------------------------------------- tables
def summary_tables(result: Any) -> list[Table]:
    """One table per metric group: mean (CI below) per metric, then fit and predict time."""
    tables = []
    fits = [result.fit_time(m) for m in result.models]
    predicts = [result.predict_time(m) for m in result.models]
    fit_best = _best_flags(fits, higher=False, fmt=fmt_time)
    predict_best = _best_flags(predicts, higher=False, fmt=fmt_time)
    for title, metrics in metric_groups(result.metrics):
        columns: dict[str, list[Cell]] = {}
        for metric in metrics:
            means = [result.mean(m, metric) for m in result.models]
            flags = _best_flags(means)
            cells = []
            for model, value, best in zip(result.models, means, flags, strict=True):
                low, high = result.ci(model, metric)
                cells.append(Cell(fmt_metric(value), sub=fmt_ci(low, high), best=best,
                                  mark=result.mark(model, metric)))
            columns[metric] = cells
        time_unit = "per fold, " if result.n_folds > 1 else ""
        header = ["model", *metrics, "fit time", "predict time"]
        rows = []
        for i, model in enumerate(result.models):
            rows.append([model_label(result, model), *[columns[m][i] for m in metrics],
                         Cell(fmt_time(fits[i]), best=fit_best[i]),
                         Cell(fmt_time(predicts[i]), best=predict_best[i])])
        notes = [f"times: wall clock{', mean per fold' if time_unit else ''}"
                 + ("; fit includes tuning" if result.config.get("tune") else "")]
        tables.append(Table(title, header, rows, notes))
    return tables


def per_fold_tables(result: Any) -> list[Table]:
    """With several folds: per metric, models x folds of per-fold means plus the mean."""
    if result.n_folds < 2:
        return []
    tables = []
    for metric in result.metrics:
        frame = result.per_fold(metric)
        header = ["model", *[str(c) for c in frame.columns]]
        flags = {c: _best_flags(list(frame[c].to_numpy())) for c in frame.columns}
        rows = []
        for i, model in enumerate(result.models):
            row = [model_label(result, model)]
            for column in frame.columns:
                row.append(Cell(fmt_metric(float(frame.loc[model, column])),
                                best=flags[column][i]))
            rows.append(row)
        tables.append(Table(f"{metric} per fold", header, rows))
    return tables


def significance_table(result: Any) -> Table | None:
    """Rows (metric, model) of the tests against the baseline; None with one model."""
    sig = result.significance()
    if sig.empty:
        return None
    header = ["metric", "model", "Δ mean (95% CI)", "t-test p (Holm)",
              "randomization p (Holm)", "win / tie / loss", "result"]
    rows = []
    display_order = [m for _, members in metric_groups(result.metrics) for m in members]
    records = sorted(sig.to_dict(orient="records"),
                     key=lambda r: (display_order.index(r["metric"]),
                                    result.models.index(r["model"])))
    for rec in records:
        verdict = {"better": "better ▲", "worse": "worse ▼"}.get(rec["direction"],
                                                              "no significant difference")
        rows.append([
            Cell(rec["metric"], numeric=False),
            Cell(rec["model"], numeric=False),
            Cell(f"{rec['mean_diff']:+.4f}" if np.isfinite(rec["mean_diff"]) else "n/a",
                 sub=fmt_ci(rec["diff_ci_low"], rec["diff_ci_high"])),
            Cell(fmt_p(rec["p_ttest_holm"]), sub=f"raw {fmt_p(rec['p_ttest'])}"),
            Cell(fmt_p(rec["p_randomization_holm"]),
                 sub=f"raw {fmt_p(rec['p_randomization'])}"),
            Cell(f"{rec['wins']} / {rec['ties']} / {rec['losses']}"),
            Cell(verdict, mark=rec["direction"], numeric=False),
        ])
    return Table(f"Significance against the baseline ({result.baseline})", header, rows)


def significance_explanation(result: Any) -> str:
    """The paragraph under the tables that says what the marks mean."""
    n_others = len(result.models) - 1
    pooled = " pooled over the folds (each query is in one test fold)" if result.n_folds > 1 else ""
    return (
        f"Baseline: {result.baseline} ({result.baseline_rule}). Each other model is compared "
        f"with it on the per-query values{pooled}: a paired t-test and a paired randomization "
        f"test ({result.n_resamples:,} random sign flips, seed {result.seed}). The p-values of "
        f"each test are Holm–Bonferroni corrected over the {n_others} comparison"
        f"{'s' if n_others != 1 else ''} against the baseline within each metric. "
        f"▲ / ▼ mark a model significantly better / worse than the baseline: both corrected "
        f"p-values ≤ α = {result.alpha:g}. Win / tie / loss count the queries where the "
        f"model scores higher / the same / lower than the baseline. Δ mean is model minus "
        f"baseline with a paired bootstrap 95% CI."
    )


def aggregation_note(result: Any) -> str:
    """How the headline numbers were aggregated."""
    conv = getattr(result.convention, "name", str(result.convention))
    if result.n_folds > 1:
        how = (f"Values are the mean over the {result.n_folds} folds of each fold's mean over "
               f"its test queries")
        ci = "the 95% CI is a t-interval over all test queries pooled"
    else:
        how = "Values are means over the test queries"
        ci = "the 95% CI is a t-interval of that mean"
    return (f"{how} ({conv} convention); {ci}. Bold: best in the column (for times: the "
            f"fastest).")


def dataset_table(result: Any) -> Table:
    """Queries, documents, features, list lengths and label histogram per fold and split."""
    header = ["split", "queries", "documents", "features", "docs / query (min·median·max)",
              "queries without relevant doc", "labels (count)"]
    several = result.n_folds > 1
    if several:
        header.insert(0, "fold")
    rows = []
    for fold in result.folds:
        for split, stats in fold.stats.items():
            dpq = stats["docs_per_query"]
            hist = " · ".join(f"{k}: {fmt_int(v)}" for k, v in stats["label_histogram"].items())
            rows.append([
                *([Cell(fold.name, numeric=False)] if several else []),
                Cell(split, numeric=False),
                Cell(fmt_int(stats["queries"])),
                Cell(fmt_int(stats["documents"])),
                Cell(fmt_int(stats["features"])),
                Cell(f"{dpq['min']} · {dpq['median']:g} · {dpq['max']}"),
                Cell(fmt_int(stats["queries_without_relevant"])),
                Cell(hist, numeric=False),
            ])
    return Table("Data", header, rows)


def data_sources(result: Any) -> list[str]:
    """'split: path' lines of the files the data came from (when known)."""
    lines = []
    for fold in result.folds:
        for split, stats in fold.stats.items():
            if stats.get("source"):
                prefix = f"{fold.name} " if result.n_folds > 1 else ""
                lines.append(f"{prefix}{split}: {stats['source']}")
    return lines


def models_table(result: Any) -> Table:
    """Per model: estimator class, kept round/epoch (per fold), tuned parameters if any."""
    header = ["model", "estimator", "kept round / epoch", "user overrides", "tuned parameters"]
    rows = []
    overrides = result.config.get("params", {})
    for model in result.models:
        runs = [f.runs[model] for f in result.folds]
        kept = [r.best_iteration for r in runs]
        kind = runs[0].iteration_kind
        kept_text = ("—" if all(k is None for k in kept)
                     else f"{kind} " + ", ".join("—" if k is None else str(k) for k in kept))
        tuned = [r.tuning for r in runs if r.tuning]
        tuned_text = "—"
        if tuned:
            tuned_text = "; ".join(_short_json(t["best_params"]) for t in tuned)
        rows.append([
            model_label(result, model),
            Cell(runs[0].estimator_class, numeric=False),
            Cell(kept_text, numeric=False),
            Cell(_short_json(overrides.get(model) or {}) if overrides.get(model) else "—",
                 numeric=False),
            Cell(tuned_text, numeric=False),
        ])
    return Table("Models", header, rows)


def params_json(result: Any) -> dict[str, str]:
    """Model -> pretty JSON of every constructor parameter (fold 1's estimator)."""
    return {m: json.dumps(result.folds[0].runs[m].params, indent=1, sort_keys=True, default=str)
            for m in result.models}


def environment_table(result: Any) -> Table:
    """Python, platform and the versions of the packages that matter."""
    env = result.environment
    rows = [[Cell("python", numeric=False),
             Cell(f"{env.get('python')} ({env.get('implementation')})", numeric=False)],
            [Cell("platform", numeric=False), Cell(str(env.get("platform")), numeric=False)],
            [Cell("CPUs", numeric=False), Cell(str(env.get("cpu_count")), numeric=False)]]
    for name, version in env.get("packages", {}).items():
        rows.append([Cell(name, numeric=False), Cell(version or "not installed", numeric=False)])
    return Table("Environment", ["package", "version"], rows,
                 [f"{len(env.get('all_packages', {}))} installed distributions are listed in "
                  "results.json"])


def reproducibility_lines(result: Any) -> list[tuple[str, str]]:
    """(label, value) pairs: command line, seeds, tuning, convention, creation time."""
    config = result.config
    lines = []
    if config.get("command"):
        lines.append(("command", config["command"]))
    if config.get("full_command"):
        lines.append(("equivalent command (every option)", config["full_command"]))
    seed = result.seed
    lines.append(("seeds", f"random_state={seed} for every model; tuning seed {seed}; "
                  f"randomization and bootstrap seed {seed}"))
    if config.get("tune"):
        lines.append(("tuning", f"{config['tune']} Optuna trials per model and fold on the "
                      f"validation split, optimising {result.metrics[0]}"))
    lines.append(("created", str(config.get("created", ""))))
    return lines


def _short_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(", ", ": "))
