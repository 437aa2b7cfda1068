"""`ComparisonResult`: what a comparison produced, as tables, statistics and reports.

Aggregation rules (stated in every report):

- The headline value of a metric is the mean over the test queries of a fold as returned by
  `boostrank.metrics.evaluate`; with several folds it is the mean of the per-fold means.
- The 95% confidence interval is a t-interval of the mean over all test queries pooled over
  the folds (`boostrank.metrics.stats.mean_ci`).
- Significance against the baseline uses the per-query values pooled over folds (each query is
  in exactly one test fold): paired t-test and randomization test, each Holm–Bonferroni
  corrected over the comparisons against the baseline within a metric. A model is marked
  significantly better/worse when both corrected p-values are <= ``alpha``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .seeds import DEFAULT_RANDOM_STATE, resolve_random_state

NDCG_CURVE_KS = tuple(range(1, 11))


@dataclass
class ModelRun:
    """One model on one fold.

    ``scores``: (n_test_rows,) float64 predictions in the test data's row order;
    ``means``: metric -> mean over the fold's test queries; ``per_query``: metric ->
    (n_test_queries,) float64 (NaN where the convention skips a query); ``ndcg_at_k``: (10,)
    mean NDCG@1..10; ``fit_time`` / ``predict_time`` in seconds (fit includes tuning when
    tuned); ``evals_result``: set -> metric -> values per round/epoch; ``best_iteration``:
    1-based round (boosters) or epoch (neural) that was kept; ``tuning``: best params/value;
    ``importances``: feature name -> value of the fitted model's ``feature_importances_``
    (names from the training data, ``f{j}`` when it has none; None for models without
    importances, e.g. the neural rankers) and ``importance_type`` what they measure
    ("gain", "split", ...; see `boostrank.comparison.importances.importance_type_of`).
    """

    model: str
    fold: str
    scores: np.ndarray
    means: dict[str, float]
    per_query: dict[str, np.ndarray]
    ndcg_at_k: np.ndarray
    fit_time: float
    predict_time: float
    params: dict[str, Any] = field(default_factory=dict)
    evals_result: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    best_iteration: int | None = None
    iteration_kind: str = "round"
    eval_metric: str | None = None
    estimator_class: str = ""
    tuning: dict[str, Any] | None = None
    importances: dict[str, float] | None = None
    importance_type: str | None = None


@dataclass
class FoldResult:
    """One fold: its test query ids, dataset statistics and one `ModelRun` per model.

    ``query_ids``: (n_test_queries,) int64 qids aligned with every ``per_query`` array;
    ``stats``: split name (train/valid/test) -> `dataset_summary` (with ``"sha256"`` of the
    split's file when it was loaded from one); ``file_order``: (n_rows,)
    int64 permutation putting test rows back in the order of the test file's lines (None when
    the data order is the file order).
    """

    name: str
    query_ids: np.ndarray
    stats: dict[str, dict[str, Any]]
    runs: dict[str, ModelRun] = field(default_factory=dict)
    file_order: np.ndarray | None = None


class ComparisonResult:
    """Everything a comparison produced, plus tables, significance tests and report writers.

    Parameters
    ----------
    models : labels of the compared models, in order.
    metrics : canonical metric names (the first one picks the default baseline).
    convention : the evaluation `Convention` used for every score.
    folds : one `FoldResult` per fold (a single fold named "test" for a plain split).
    baseline : label of the model every other one is tested against; default: the best mean
        on the first metric.
    alpha : significance level of the marks; ``n_resamples``: randomization / bootstrap draws.
    random_state : seed of the resampling tests (and of the models: the run's seed).
    seed : deprecated alias of ``random_state`` (DeprecationWarning); the attribute ``seed``
        stays as a read-only alias of ``random_state``.
    config : run settings (random_state, tuning, params, command line) kept for the report.
    environment : package versions and platform (collected when omitted).
    """

    def __init__(
        self,
        models: list[str],
        metrics: list[str],
        convention: Any,
        folds: list[FoldResult],
        *,
        baseline: str | None = None,
        random_state: int = DEFAULT_RANDOM_STATE,
        alpha: float = 0.05,
        n_resamples: int = 10000,
        config: dict[str, Any] | None = None,
        environment: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        if not folds:
            raise ValueError("a comparison needs at least one fold")
        self.models = list(models)
        self.metrics = list(metrics)
        self.convention = convention
        self.folds = list(folds)
        self.random_state = resolve_random_state(random_state, seed, where="ComparisonResult")
        self.alpha = float(alpha)
        self.n_resamples = int(n_resamples)
        self.config = dict(config or {})
        if environment is None:
            from ..report.environment import collect_environment

            environment = collect_environment()
        self.environment = environment
        if baseline is None:
            first = self.metrics[0]
            means = {m: self.mean(m, first) for m in self.models}
            baseline = max(self.models, key=lambda m: (np.nan_to_num(means[m], nan=-np.inf)))
            self.baseline_rule = f"best mean {first}"
        else:
            if baseline not in self.models:
                raise ValueError(
                    f"baseline {baseline!r} is not among the compared models: "
                    f"{', '.join(self.models)}"
                )
            self.baseline_rule = "chosen by the user"
        self.baseline = baseline
        self._significance: Any = None

    # ------------------------------------------------------------------ raw values
    @property
    def seed(self) -> int:
        """Read-only alias of ``random_state`` (the run's seed), for code written before it."""
        return self.random_state

    @property
    def n_folds(self) -> int:
        """Number of folds compared."""
        return len(self.folds)

    @property
    def fold_names(self) -> list[str]:
        """Fold names in run order (``"test"`` for one split, ``"Fold<k>"`` for LETOR)."""
        return [f.name for f in self.folds]

    def run(self, model: str, fold: int | str = 0) -> ModelRun:
        """The `ModelRun` of ``model`` on fold ``fold`` (index or name)."""
        if isinstance(fold, str):
            matches = [f for f in self.folds if f.name == fold]
            if not matches:
                raise KeyError(f"no fold named {fold!r}; folds: {', '.join(self.fold_names)}")
            return matches[0].runs[model]
        return self.folds[fold].runs[model]

    def pooled(self, model: str, metric: str) -> np.ndarray:
        """Per-query values of ``model`` on ``metric``, concatenated over folds (n_queries,)."""
        return np.concatenate([f.runs[model].per_query[metric] for f in self.folds])

    def fold_means(self, model: str, metric: str) -> np.ndarray:
        """Mean of ``metric`` per fold (n_folds,), as returned by the evaluator."""
        return np.array([f.runs[model].means[metric] for f in self.folds], dtype=np.float64)

    def mean(self, model: str, metric: str) -> float:
        """Headline value: the evaluator's mean on a single split, else the mean over folds."""
        return float(np.mean(self.fold_means(model, metric)))

    def ci(self, model: str, metric: str) -> tuple[float, float]:
        """95% t-interval of the mean of the pooled per-query values (NaN entries dropped)."""
        from ..metrics.stats import mean_ci

        values = self.pooled(model, metric)
        values = values[np.isfinite(values)]
        if values.size < 2:
            return (float("nan"), float("nan"))
        low, high = mean_ci(values, confidence=0.95)
        return float(low), float(high)

    def fit_time(self, model: str) -> float:
        """Mean fit time per fold in seconds (includes tuning when the run tuned)."""
        return float(np.mean([f.runs[model].fit_time for f in self.folds]))

    def predict_time(self, model: str) -> float:
        """Mean predict time per fold in seconds."""
        return float(np.mean([f.runs[model].predict_time for f in self.folds]))

    # ------------------------------------------------------------------ tables (pandas)
    def summary(self) -> Any:
        """DataFrame, one row per model: for each metric its mean, ``<metric> ci_low`` and
        ``<metric> ci_high``; then ``fit_time_s`` and ``predict_time_s`` (means per fold)."""
        import pandas as pd

        rows = {}
        for model in self.models:
            row: dict[str, float] = {}
            for metric in self.metrics:
                low, high = self.ci(model, metric)
                row[metric] = self.mean(model, metric)
                row[f"{metric} ci_low"] = low
                row[f"{metric} ci_high"] = high
            row["fit_time_s"] = self.fit_time(model)
            row["predict_time_s"] = self.predict_time(model)
            rows[model] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "model"
        return frame

    def table(self) -> Any:
        """DataFrame of the headline means only: models x metrics."""
        return self.summary()[self.metrics]

    def per_fold(self, metric: str) -> Any:
        """DataFrame models x folds of ``metric``'s per-fold means, with a ``mean`` column."""
        import pandas as pd

        self._check_metric(metric)
        frame = pd.DataFrame(
            {f.name: [f.runs[m].means[metric] for m in self.models] for f in self.folds},
            index=pd.Index(self.models, name="model"),
        )
        frame["mean"] = frame.mean(axis=1)
        return frame

    def per_query(self) -> Any:
        """Long DataFrame of per-query values: columns fold, qid, model, then one per metric."""
        import pandas as pd

        parts = []
        for fold in self.folds:
            for model in self.models:
                run = fold.runs[model]
                part = {"fold": fold.name, "qid": fold.query_ids, "model": model}
                part.update({m: run.per_query[m] for m in self.metrics})
                parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)

    def ndcg_at_k(self) -> Any:
        """DataFrame models x k (1..10) of mean NDCG@k (mean over folds)."""
        import pandas as pd

        values = {
            m: np.mean([f.runs[m].ndcg_at_k for f in self.folds], axis=0) for m in self.models
        }
        frame = pd.DataFrame.from_dict(values, orient="index", columns=list(NDCG_CURVE_KS))
        frame.index.name = "model"
        return frame

    def significance(self) -> Any:
        """DataFrame, one row per (metric, model != baseline), tests on pooled per-query values.

        Columns: ``metric``, ``model``, ``baseline``, ``n`` (queries with both values),
        ``mean_diff`` (model - baseline), ``diff_ci_low`` / ``diff_ci_high`` (paired bootstrap
        95% CI), ``t``, ``p_ttest``, ``p_ttest_holm``, ``p_randomization``,
        ``p_randomization_holm``, ``wins``, ``ties``, ``losses``, ``significant`` (both
        corrected p-values <= alpha) and ``direction`` ("better"/"worse"/"").
        """
        if self._significance is None:
            self._significance = self._compute_significance()
        return self._significance.copy()

    def _compute_significance(self) -> Any:
        import pandas as pd

        from ..metrics.stats import (
            bootstrap_ci,
            holm_bonferroni,
            paired_ttest,
            randomization_test,
            win_tie_loss,
        )

        columns = ["metric", "model", "baseline", "n", "mean_diff", "diff_ci_low",
                   "diff_ci_high", "t", "p_ttest", "p_ttest_holm", "p_randomization",
                   "p_randomization_holm", "wins", "ties", "losses", "significant", "direction"]
        others = [m for m in self.models if m != self.baseline]
        rows: list[dict[str, Any]] = []
        for metric in self.metrics:
            base = self.pooled(self.baseline, metric)
            block = []
            for model in others:
                values = self.pooled(model, metric)
                keep = np.isfinite(values) & np.isfinite(base)
                a, b = values[keep], base[keep]
                row: dict[str, Any] = {"metric": metric, "model": model,
                                       "baseline": self.baseline, "n": int(a.size)}
                if a.size >= 2:
                    t, p_t = paired_ttest(a, b)
                    p_r = randomization_test(a, b, n_resamples=self.n_resamples,
                                             random_state=self.random_state)
                    low, high = bootstrap_ci(a, b, confidence=0.95,
                                             n_resamples=self.n_resamples,
                                             random_state=self.random_state)
                    wins, ties, losses = win_tie_loss(a, b)
                    diff = float(np.mean(a - b))
                else:
                    t = p_t = p_r = low = high = diff = float("nan")
                    wins = ties = losses = 0
                # identical per-query values give t = nan: no evidence of a difference
                row.update({
                    "mean_diff": diff, "diff_ci_low": float(low), "diff_ci_high": float(high),
                    "t": float(t), "p_ttest": _p_or_one(p_t), "p_randomization": _p_or_one(p_r),
                    "wins": int(wins), "ties": int(ties), "losses": int(losses),
                })
                block.append(row)
            if block:
                p_t_holm = holm_bonferroni(np.array([r["p_ttest"] for r in block]))
                p_r_holm = holm_bonferroni(np.array([r["p_randomization"] for r in block]))
                for row, pt, pr in zip(block, p_t_holm, p_r_holm, strict=True):
                    row["p_ttest_holm"] = float(pt)
                    row["p_randomization_holm"] = float(pr)
                    significant = bool(pt <= self.alpha and pr <= self.alpha)
                    row["significant"] = significant
                    row["direction"] = ("" if not significant
                                        else "better" if row["mean_diff"] > 0 else "worse")
            rows.extend(block)
        return pd.DataFrame(rows, columns=columns)

    def mark(self, model: str, metric: str) -> str:
        """``"better"``, ``"worse"`` or ``""``: the significance mark of a table cell."""
        if model == self.baseline:
            return ""
        sig = self.significance()
        hit = sig[(sig["metric"] == metric) & (sig["model"] == model)]
        return "" if hit.empty else str(hit["direction"].iloc[0])

    def _check_metric(self, metric: str) -> None:
        if metric not in self.metrics:
            raise KeyError(f"metric {metric!r} was not computed; metrics: {', '.join(self.metrics)}")

    # ------------------------------------------------------------------ rendering
    def to_dict(self) -> dict[str, Any]:
        """Everything machine-readable (what ``results.json`` holds)."""
        from ..report.json_report import result_to_dict

        return result_to_dict(self)

    def to_json(self, path: str | os.PathLike | None = None, *, indent: int = 1) -> str:
        """JSON text of `to_dict` (NaN as null); written to ``path`` when given."""
        from ..report.json_report import dumps

        text = dumps(self.to_dict(), indent=indent)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_markdown(self, *, images: dict[str, str] | None = None) -> str:
        """The report as Markdown; ``images`` maps plot names to paths to link (optional)."""
        from ..report.markdown import render_markdown

        return render_markdown(self, images=images)

    def to_html(self, path: str | os.PathLike | None = None) -> str:
        """The report as one self-contained HTML page (plots inlined as base64 PNG)."""
        from ..report.html import render_html

        text = render_html(self)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def save(self, out: str | os.PathLike,
             formats: tuple[str, ...] | list[str] = ("md", "html", "json")) -> dict[str, Path]:
        """Write the report folder; returns what was written (name -> path).

        Always: ``per_query.csv`` and ``predictions/`` (one score per line, in the test
        file's line order); per ``formats``: ``report.md`` (+ ``plots/*.png``),
        ``report.html`` (self-contained) and ``results.json``.
        """
        from ..report.writer import write_report

        return write_report(self, out, formats=formats)

    def __repr__(self) -> str:
        folds = f", folds={self.n_folds}" if self.n_folds > 1 else ""
        return (f"ComparisonResult(models={self.models}, metrics={self.metrics}{folds}, "
                f"baseline={self.baseline!r})")

    def _repr_html_(self) -> str:  # notebooks show the summary table
        return self.table().to_html(float_format=lambda v: f"{v:.4f}")


def _p_or_one(p: float) -> float:
    p = float(p)
    return 1.0 if not np.isfinite(p) else p
