"""``boostrank predict``: score a LibSVM/LETOR file with a saved model.

    boostrank predict --model model.brm --data test.txt --out scores.txt [--metrics ndcg@10]

Writes one score per line, in the order of the lines of ``--data`` (``-`` writes to stdout).
With ``--metrics`` it also prints the metrics of those scores against the file's labels
(common evaluator, ``--convention``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import CLIError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict", help="score a LibSVM file with a saved model",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True, metavar="MODEL",
                        help="a model file written by boostrank train/tune")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help="data to score (LibSVM/LETOR text, or a boostrank cache folder)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="scores file, one per line in the data's line order ('-': stdout)")
    parser.add_argument("--metrics", metavar="LIST",
                        help="also evaluate, e.g. 'ndcg@1,3,5,10,map'")
    parser.add_argument("--convention", default="default",
                        help="evaluator convention for --metrics (default, letor, trec, ...)")
    parser.set_defaults(func=run)


def file_order(data: Any) -> np.ndarray | None:
    """Row permutation putting ``data``'s rows back in file-line order (None: already are)."""
    rows = getattr(data, "source_row", None)
    if rows is None or rows.size == 0:
        return None
    order = np.argsort(rows, kind="stable")
    if np.array_equal(order, np.arange(order.size)):
        return None
    return order


def run(args: argparse.Namespace) -> int:
    from ..estimator import BaseRanker
    from .train_cmd import load_data

    model_path = Path(args.model)
    if not model_path.is_file():
        raise FileNotFoundError(f"--model file {model_path} does not exist")
    metrics = None
    if args.metrics:
        from ..metrics import get_convention, parse_metrics

        metrics = parse_metrics(args.metrics)
        get_convention(args.convention)
    model = BaseRanker.load(model_path)
    with warnings.catch_warnings():
        # rows regrouped by qid: the scores are written back in file-line order anyway
        warnings.filterwarnings("ignore", message=".*regrouped by qid.*")
        data = load_data(args.data, n_features=model.n_features_in_, what="--data")
    if data.n_features > model.n_features_in_:
        raise CLIError(f"--data has {data.n_features} features; the model was trained with "
                       f"{model.n_features_in_}")
    scores = model.predict(data.X)
    order = file_order(data)
    ordered = scores if order is None else scores[order]
    text = "".join(f"{s:.17g}\n" for s in ordered)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    if metrics:
        from ..metrics import evaluate

        result = evaluate(data.y, scores, data.qid, metrics=metrics, convention=args.convention)
        stream = sys.stderr if args.out == "-" else sys.stdout
        width = max(len(m) for m in result)
        for name, value in result.items():
            print(f"{name:<{width}}  {value:.6f}", file=stream)
    return 0
