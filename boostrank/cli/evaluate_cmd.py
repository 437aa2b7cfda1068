"""``boostrank evaluate``: score a prediction file against a LibSVM / LETOR data file.

Prints the convention (one line) and the mean of every metric over queries; optionally writes
the per-query values as CSV. Only light imports at module level.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from .common import CONVENTION_HELP

DEFAULT_METRICS = "ndcg@1,3,5,10,map,mrr"

EPILOG = """\
examples:
  boostrank evaluate --data test.txt --scores pred.txt
  boostrank evaluate --data test.txt --scores pred.txt --metrics ndcg@1,3,5,10,map,precision@10 \\
      --convention letor --per-query per_query.csv
"""


def register(subparsers: Any) -> None:
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a score file against a ranking data file",
        description="Compute ranking metrics of SCORES (one float per line, aligned with the "
                    "rows of DATA) with the common evaluator, under a named convention.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", required=True, metavar="FILE",
                        help="LibSVM / LETOR text file with labels and qid (or a boostrank "
                             "binary cache folder)")
    parser.add_argument("--scores", required=True, metavar="FILE",
                        help="predicted scores, one float per line, aligned with the data rows")
    parser.add_argument("--metrics", default=DEFAULT_METRICS, metavar="LIST",
                        help=f"comma-separated metrics (default: {DEFAULT_METRICS})")
    parser.add_argument("--convention", default="default", metavar="NAME", help=CONVENTION_HELP)
    parser.add_argument("--per-query", metavar="OUT.csv", dest="per_query",
                        help="also write one CSV row per query (qid, n_docs, metrics)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON object instead of a table")
    parser.set_defaults(func=run)


def read_scores(path: str | Path) -> Any:
    """Scores (n,) float64 from a text file with one number per line (blank lines ignored).

    ValueError names the file, line and token of anything that is not a finite number.
    """
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"scores file not found: {path}")
    values = []
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, start=1):
            token = line.strip()
            if not token:
                continue
            if len(token.split()) != 1:
                raise ValueError(f"{path}:{lineno}: expected one score per line, got {token!r}")
            try:
                value = float(token)
            except ValueError:
                raise ValueError(f"{path}:{lineno}: not a number: {token!r}") from None
            if not math.isfinite(value):
                raise ValueError(f"{path}:{lineno}: score is not finite: {token!r}")
            values.append(value)
    return np.asarray(values, dtype=np.float64)


def run(args: argparse.Namespace) -> int:
    """Score ``--scores`` against ``--data``, print the means (and write per-query values)."""
    from ..metrics import Evaluator, parse_metrics
    from .common import load_data

    metrics = parse_metrics(args.metrics)
    data = load_data(args.data, what="--data")
    scores = read_scores(args.scores)
    if scores.size != data.n_rows:
        raise ValueError(f"{args.scores} has {scores.size} scores but {args.data} has "
                         f"{data.n_rows} rows")
    evaluator = Evaluator(data, metrics=metrics, convention=args.convention)
    means, per_query = evaluator.per_query(scores)
    if args.per_query:
        _write_per_query(args.per_query, data, evaluator, per_query)
    if args.json:
        print(json.dumps({"convention": evaluator.convention.name,
                          "description": evaluator.convention.describe(),
                          "n_queries": evaluator.n_queries, "n_rows": evaluator.n_rows,
                          "metrics": means}, indent=1))
        return 0
    print(evaluator.convention.describe())
    print(f"{evaluator.n_queries} queries, {evaluator.n_rows} rows")
    width = max(len(name) for name in metrics)
    for name in metrics:
        print(f"{name:<{width}}  {means[name]:.6f}")
    if args.per_query:
        print(f"per-query values written to {args.per_query}")
    return 0


def _write_per_query(path: str, data: Any, evaluator: Any, per_query: dict) -> None:
    import csv

    qids = evaluator.query_ids
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["qid", "n_docs", *per_query])
        for i in range(evaluator.n_queries):
            row = [f"{per_query[name][i]:.17g}" for name in per_query]
            writer.writerow([int(qids[i]), int(evaluator.sizes[i]), *row])
