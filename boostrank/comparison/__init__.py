"""Head-to-head comparison of rankers on the same folds, scored by the common evaluator.

``boostrank.compare(models, train, valid, test)`` (the function `compare` of this package)
fits every model on ``train`` (early stopping on ``valid``), predicts ``test``, scores the
predictions per query with `boostrank.metrics.evaluate`, and returns a `ComparisonResult`:
pandas tables, per-query scores, paired significance tests against a baseline, and
``to_markdown()`` / ``to_html()`` / ``to_json()`` / ``save(folder)``.
``compare_letor(models, root, folds="1-5")`` does the same over the folds of a LETOR root and
reports the mean over folds with the per-fold values.

Modules: `runner` (the comparison loop), `models` (which models, their overrides), `folds`
(fold specs, LETOR roots, split preparation), `result` (`ComparisonResult`), `progress`
(terminal display), `datasummary` (per-split statistics and input-file checksums of the
report), `importances` (feature importances of a fitted model and what they measure).
"""

from __future__ import annotations

from .folds import letor_fold_loaders, parse_folds, prepare_split
from .models import ModelSpec, resolve_models
from .progress import Progress
from .result import ComparisonResult, FoldResult, ModelRun
from .runner import DEFAULT_METRICS, DEFAULT_MODELS, compare, compare_folds, compare_letor

__all__ = [
    "DEFAULT_METRICS",
    "DEFAULT_MODELS",
    "ComparisonResult",
    "FoldResult",
    "ModelRun",
    "ModelSpec",
    "Progress",
    "compare",
    "compare_folds",
    "compare_letor",
    "letor_fold_loaders",
    "parse_folds",
    "prepare_split",
    "resolve_models",
]
