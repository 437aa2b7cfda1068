"""``results.json``: every number of a comparison, machine-readable (NaN written as null)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from . import tables as T
from .provenance import input_files

FORMAT = "boostrank-compare"
FORMAT_VERSION = 1  # fields are only ever added (input_files: path, bytes, sha256)

AGGREGATION = {
    "mean": "single split: mean over test queries from boostrank.metrics.evaluate; "
            "several folds: mean of the per-fold means",
    "ci": "95% t-interval of the mean over all test queries pooled over folds",
    "significance": "paired t-test and randomization test on per-query values pooled over "
                    "folds, each Holm-Bonferroni corrected over the comparisons against the "
                    "baseline within a metric; significant when both corrected p <= alpha",
    "times": "seconds, mean per fold; fit time includes tuning when tuned",
}


def predictions_relpath(result: Any, fold_name: str, model: str) -> str:
    """Where `write_report` puts the predictions of ``model`` on ``fold_name``."""
    name = safe_name(model) + ".txt"
    if result.n_folds == 1:
        return f"predictions/{name}"
    return f"predictions/{safe_name(fold_name)}/{name}"


def safe_name(text: str) -> str:
    """``text`` reduced to characters safe in a file name."""
    cleaned = "".join(c if (c.isalnum() or c in "-_.@") else "_" for c in str(text))
    return cleaned.strip(".") or "model"


def result_to_dict(result: Any) -> dict[str, Any]:
    """Everything in a `ComparisonResult` as plain Python values (lists, dicts, floats)."""
    convention = result.convention
    summary: dict[str, Any] = {}
    for model in result.models:
        entry: dict[str, Any] = {}
        for metric in result.metrics:
            low, high = result.ci(model, metric)
            entry[metric] = {
                "mean": result.mean(model, metric),
                "ci_low": low,
                "ci_high": high,
                "per_fold": [float(v) for v in result.fold_means(model, metric)],
                "mark": result.mark(model, metric),
            }
        entry["fit_time_s"] = result.fit_time(model)
        entry["predict_time_s"] = result.predict_time(model)
        entry["fit_time_s_per_fold"] = [f.runs[model].fit_time for f in result.folds]
        entry["predict_time_s_per_fold"] = [f.runs[model].predict_time for f in result.folds]
        summary[model] = entry
    folds = []
    for fold in result.folds:
        runs = {}
        for model in result.models:
            run = fold.runs[model]
            runs[model] = {
                "means": run.means,
                "per_query": {m: run.per_query[m] for m in result.metrics},
                "ndcg_at_k": run.ndcg_at_k,
                "fit_time_s": run.fit_time,
                "predict_time_s": run.predict_time,
                "estimator": run.estimator_class,
                "params": run.params,
                "best_iteration": run.best_iteration,
                "iteration_kind": run.iteration_kind,
                "eval_metric": run.eval_metric,
                "evals_result": run.evals_result,
                "tuning": run.tuning,
                "importances": getattr(run, "importances", None),
                "importance_type": getattr(run, "importance_type", None),
                "predictions_file": predictions_relpath(result, fold.name, model),
            }
        folds.append({
            "name": fold.name,
            "datasets": fold.stats,
            "query_ids": fold.query_ids,
            "runs": runs,
        })
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": result.config.get("created"),
        "command": result.config.get("command"),
        "config": result.config,
        "models": result.models,
        "metrics": result.metrics,
        "baseline": result.baseline,
        "baseline_rule": result.baseline_rule,
        "alpha": result.alpha,
        "random_state": result.random_state,
        "seed": result.random_state,  # the old key, for readers of earlier reports
        "n_resamples": result.n_resamples,
        "convention": {
            "name": getattr(convention, "name", str(convention)),
            "description": T.describe_convention(convention),
        },
        "aggregation": AGGREGATION,
        "summary": summary,
        "significance": result.significance().to_dict(orient="records"),
        "ndcg_at_k": {
            "k": list(range(1, 11)),
            "models": {m: list(row) for m, row in result.ndcg_at_k().iterrows()},
        },
        "folds": folds,
        "environment": result.environment,
        "input_files": input_files(result),
    }


def to_plain(value: Any) -> Any:
    """Recursively convert numpy values to Python ones and non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def dumps(data: dict[str, Any], indent: int | None = 1) -> str:
    """JSON text of ``data`` (numpy converted, NaN/inf as null; strict JSON)."""
    return json.dumps(to_plain(data), indent=indent, allow_nan=False)
