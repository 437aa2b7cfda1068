"""The common evaluator: one ruler for every model of the toolkit.

``evaluate(y_true, y_score, qid, metrics=("ndcg@10",), convention="default")`` returns
``{metric: mean over queries}``; `Evaluator` precomputes the ideal rankings for repeated
calls (per boosting round / epoch). Metric names: ``ndcg@k``, ``ndcg``, ``dcg@k``, ``map``,
``map@k``, ``mrr``, ``mrr@k``, ``err@k``, ``precision@k``, ``recall@k``, lists of cutoffs
(``ndcg@1,3,5,10``) and XGBoost's ``-`` suffix (``ndcg@10-``: empty queries score 0).

The ``default`` convention is LightGBM's own (gain 2^l - 1, discount 1/log2(r + 1), ties in
input order, a query with no relevant document scores 1, k capped at the list length, MAP
relevant = label > 0.5), so that the boosters' early stopping and every report agree. Presets
``lightgbm``, ``xgboost``, ``trec`` (pytrec_eval / trec_eval <= 9.0.8: float32 scores),
``trec10`` (trec_eval 10.0: float64 scores), ``letor`` and ``sklearn`` reproduce those tools
exactly (checked in the tests against LightGBM, XGBoost, pytrec_eval, scikit-learn and a port
of the LETOR 4.0 script); see `boostrank.metrics.conventions` and ``docs/conventions.md``.
``Convention.describe()`` is the one line every report prints. Gain names are those of
`boostrank.metrics.gains` (``"exponential"``, ``"linear"``). `make_scorer` gives a
scikit-learn scorer of one metric (``qid`` through metadata routing). Tie handling ``average`` (McSherry & Najork) gives the expected
value over the orders of tied documents for every metric but ERR.

Queries are evaluated all at once with numpy (one packed-key sort per call, per-query sums
with ``np.bincount``): ~0.1 s for a million rows and six metrics, >10x faster than
pytrec_eval (see ``benchmarks/bench_metrics.py``). Statistics for paired comparisons are in
`boostrank.metrics.stats`; whether the best of many systems beats a baseline beyond luck is
`boostrank.metrics.max_t.max_t_test`.
"""

from __future__ import annotations

from .conventions import PRESETS, Convention, get_convention
from .evaluator import Evaluator, compute_gains, evaluate
from .parsing import MetricSpec, parse_metric, parse_metrics
from .scorer import RankingScorer, make_scorer

__all__ = [
    "PRESETS",
    "Convention",
    "Evaluator",
    "MetricSpec",
    "RankingScorer",
    "compute_gains",
    "evaluate",
    "get_convention",
    "make_scorer",
    "parse_metric",
    "parse_metrics",
]
