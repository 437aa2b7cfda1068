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
PLOT_TITLES = {"ndcg_at_k": "NDCG@k for k = 1..10",
               "differences": "Per-query differences to the baseline",
               "learning_curves": "Learning curves (validation)"}
PER_FOLD_NOTE = ("Each fold's mean over its test queries; last column: mean ± sample standard "
                 "deviation (n - 1) over the folds. Bold: best in the column.")
#: features shown per importance table
TOP_FEATURES = 20
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
def describe_convention(convention: Any) -> str:
    """The one-line description of an evaluation convention (its ``describe()``)."""
    describe = getattr(convention, "describe", None)
    return describe() if callable(describe) else str(convention)


def convention_name(convention: Any) -> str:
    """The name of an evaluation convention (or its text)."""
    return str(getattr(convention, "name", convention))


def subtitle(result: Any) -> str:
    """``"4 models on 2 folds (Fold1, Fold2), scored ... under the default convention."``"""
    n_models = len(result.models)
    models = f"{n_models} model{'s' if n_models != 1 else ''}"
    if result.n_folds > 1:
        where = f"{result.n_folds} folds ({', '.join(result.fold_names)})"
    else:
        where = "one train / valid / test split"
    return (f"{models} on {where}, scored with the common evaluator under the "
            f"{convention_name(result.convention)} convention.")


def fold_spread(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; NaN for one fold) of per-fold values."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    sd = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    return float(np.mean(finite)), sd


def fmt_mean_sd(mean: float, sd: float) -> str:
    """``"0.4567 ± 0.0123"`` (the mean alone when the spread is undefined)."""
    if not np.isfinite(sd):
        return fmt_metric(mean)
    return f"{fmt_metric(mean)} ± {sd:.4f}"


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


def best_flags(values: list[float], higher: bool = True, fmt: Any = fmt_metric) -> list[bool]:
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
    fit_best = best_flags(fits, higher=False, fmt=fmt_time)
    predict_best = best_flags(predicts, higher=False, fmt=fmt_time)
    for title, metrics in metric_groups(result.metrics):
        columns: dict[str, list[Cell]] = {}
        for metric in metrics:
            means = [result.mean(m, metric) for m in result.models]
            flags = best_flags(means)
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
    """With several folds: per metric, models x folds of per-fold means, then the mean ±
    sample standard deviation over the folds (see `PER_FOLD_NOTE`)."""
    if result.n_folds < 2:
        return []
    tables = []
    for metric in result.metrics:
        per_fold = {m: result.fold_means(m, metric) for m in result.models}
        spread = {m: fold_spread(per_fold[m]) for m in result.models}
        header = ["model", *result.fold_names, "mean ± sd"]
        flags = [best_flags([float(per_fold[m][j]) for m in result.models])
                 for j in range(result.n_folds)]
        mean_flags = best_flags([spread[m][0] for m in result.models])
        rows = []
        for i, model in enumerate(result.models):
            row = [model_label(result, model)]
            row += [Cell(fmt_metric(float(per_fold[model][j])), best=flags[j][i])
                    for j in range(result.n_folds)]
            row.append(Cell(fmt_mean_sd(*spread[model]), best=mean_flags[i],
                            mark=result.mark(model, metric)))
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
        f"test ({result.n_resamples:,} random sign flips, random_state {result.random_state}). The p-values of "
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
    """boostrank version and commit, Python, platform, CPU / GPU and the package versions."""
    env = result.environment
    git = env.get("boostrank_git")
    commit = "not a git checkout" if not git else (
        git["commit"] + (" (with uncommitted changes)" if git.get("dirty") else ""))
    gpus = env.get("gpus")
    pairs = [
        ("boostrank", env.get("boostrank_version")
         or env.get("packages", {}).get("boostrank") or "unknown"),
        ("boostrank commit", commit if "boostrank_git" in env else "not recorded"),
        ("python", f"{env.get('python')} ({env.get('implementation')})"),
        ("platform", str(env.get("platform"))),
        ("CPU", f"{env.get('cpu_model') or 'unknown model'}, {env.get('cpu_count')} logical "
                "cores"),
        ("GPU", ", ".join(gpus) if gpus else ("none" if gpus is not None else "not recorded")),
    ]
    pairs += [(name, version or "not installed")
              for name, version in env.get("packages", {}).items() if name != "boostrank"]
    rows = [[Cell(k, numeric=False), Cell(str(v), numeric=False)] for k, v in pairs]
    return Table("Environment", ["package", "version"], rows,
                 [f"{len(env.get('all_packages', {}))} installed distributions are listed in "
                  "results.json"])


def input_files_table(result: Any) -> Table:
    """Every input file with its size and SHA-256 (empty rows when no file is known)."""
    from .provenance import input_files

    several = result.n_folds > 1
    header = [*(["fold"] if several else []), "split", "file", "bytes", "sha256"]
    rows = []
    for entry in input_files(result):
        digest = entry["sha256"] or ("file not found" if entry.get("missing") else "n/a")
        size = "n/a" if entry["bytes"] is None else fmt_int(entry["bytes"])
        rows.append([*([Cell(entry["fold"], numeric=False)] if several else []),
                     Cell(entry["split"], numeric=False), Cell(entry["path"], numeric=False),
                     Cell(size), Cell(digest, numeric=False)])
    return Table("Input files", header, rows)


def importance_tables(result: Any) -> list[Table]:
    """Feature importances of the models that report them (``ModelRun.importances``:
    feature name -> value), each normalised to sum 1 and averaged over folds; the
    `TOP_FEATURES` features with the largest importance for any model, most important first.
    Empty when no run carries importances."""
    means: dict[str, dict[str, float]] = {}
    kinds = set()
    for model in result.models:
        runs = [f.runs[model] for f in result.folds]
        values = [getattr(r, "importances", None) for r in runs]
        if not values or any(not v for v in values):
            continue
        kinds.update(str(getattr(r, "importance_type", None) or "") for r in runs)
        total: dict[str, float] = {}
        for imp in values:
            norm = float(sum(abs(float(v)) for v in imp.values())) or 1.0
            for name, value in imp.items():
                total[str(name)] = total.get(str(name), 0.0) + float(value) / norm / len(runs)
        means[model] = total
    if not means:
        return []
    features = sorted({f for imp in means.values() for f in imp},
                      key=lambda f: (-max(imp.get(f, 0.0) for imp in means.values()), f))
    shown = features[:TOP_FEATURES]
    models = list(means)
    rows = [[Cell(f, numeric=False)] + [Cell(f"{means[m].get(f, 0.0):.4f}") for m in models]
            for f in shown]
    kind = ", ".join(sorted(k for k in kinds if k)) or "model's default type"
    note = (f"importance type: {kind}; each model's importances normalised to sum 1, mean "
            f"over {result.n_folds} fold{'s' if result.n_folds > 1 else ''}; top {len(shown)} "
            f"of {len(features)} features")
    return [Table("Feature importances", ["feature", *models], rows, [note])]


def reproducibility_lines(result: Any) -> list[tuple[str, str]]:
    """(label, value) pairs: command line, seeds, tuning, convention, creation time."""
    config = result.config
    lines = []
    if config.get("command"):
        lines.append(("command", config["command"]))
    if config.get("full_command"):
        lines.append(("equivalent command (every option)", config["full_command"]))
    seed = result.random_state
    lines.append(("seeds", f"random_state={seed} for every model, for tuning and for the "
                  "randomization and bootstrap tests"))
    if config.get("tune"):
        lines.append(("tuning", f"{config['tune']} Optuna trials per model and fold on the "
                      f"validation split, optimising {result.metrics[0]}"))
    lines.append(("created", str(config.get("created", ""))))
    return lines


def _short_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(", ", ": "))
