"""Head-to-head comparison of rankers on the same folds, scored by the common evaluator.

``compare(models, train, valid, test)`` fits every model on ``train`` (early stopping on
``valid``), predicts ``test``, scores the predictions per query with
`boostrank.metrics.evaluate`, and returns a `ComparisonResult`: pandas tables, per-query scores,
paired significance tests against a baseline, and ``to_markdown()`` / ``to_html()`` /
``to_json()`` / ``save(folder)``. ``compare_letor(models, root, folds=(1, 2, 3, 4, 5))`` does the
same over LETOR folds and reports the mean over folds with the per-fold values.

``boostrank.compare`` is both this module and the function: calling the module calls
`compare`, so ``boostrank.compare(...)`` works whichever of the two Python resolved first.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .progress import Progress
from .result import ComparisonResult, FoldResult, ModelRun
from .runner import compare, compare_folds, compare_letor, parse_folds

__all__ = [
    "ComparisonResult",
    "FoldResult",
    "ModelRun",
    "Progress",
    "compare",
    "compare_folds",
    "compare_letor",
    "parse_folds",
]


class _CallableModule(types.ModuleType):
    """``boostrank.compare`` is a package and a function; calling the package calls `compare`.

    (Importing the subpackage rebinds the attribute ``boostrank.compare`` to the module, which
    would otherwise shadow the lazily exported function of the same name.)
    """

    def __call__(self, *args: Any, **kwargs: Any) -> ComparisonResult:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
