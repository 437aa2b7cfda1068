"""``boostrank predict``: score a LibSVM/LETOR file with a saved model.

    boostrank predict --model model.brm --data test.txt --out scores.txt [--metrics ndcg@10]

Writes one score per line, in the order of the lines of ``--data`` (``-`` writes to stdout).
With ``--metrics`` it also prints the metrics of those scores against the file's labels
(common evaluator, ``--convention``). A data file with fewer features than the model is an
error unless ``--pad-features`` says that its missing last features are zeros.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .common import CLIError, add_command, load_data


def register(subparsers: Any) -> None:
    """Add the ``predict`` subcommand."""
    parser = add_command(subparsers, "predict", help="score a LibSVM file with a saved model",
                         doc=__doc__)
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
    parser.add_argument("--pad-features", action="store_true",
                        help="score a file with fewer features than the model by taking the "
                             "missing last features as 0 (LibSVM semantics)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the model and the data, write the scores (and metrics); 0 on success."""
    from ..comparison.folds import file_order
    from ..estimator import BaseRanker
    from ..metrics import Evaluator

    model_path = Path(args.model)
    if not model_path.is_file():
        raise FileNotFoundError(f"--model file {model_path} does not exist")
    model = BaseRanker.load(model_path)
    with warnings.catch_warnings():
        # rows regrouped by qid: the scores are written back in file-line order anyway
        warnings.filterwarnings("ignore", message=".*regrouped by qid.*")
        data = load_data(args.data, what="--data")
    data = _match_features(data, model.n_features_in_, args)
    evaluator = None
    if args.metrics:  # checks metrics and convention before scoring
        evaluator = Evaluator(data, metrics=args.metrics, convention=args.convention)
    scores = np.asarray(model.predict(data.X, qid=data.qid), dtype=np.float64)
    order = file_order(data)
    _write_scores(scores if order is None else scores[order], args.out)
    if evaluator is not None:
        result = evaluator(scores)
        stream = sys.stderr if args.out == "-" else sys.stdout
        width = max(len(m) for m in result)
        for name, value in result.items():
            print(f"{name:<{width}}  {value:.6f}", file=stream)
    return 0


def _match_features(data: Any, n_features: int, args: argparse.Namespace) -> Any:
    """``data`` as wide as the model: narrower only with ``--pad-features``, never wider."""
    if data.n_features == n_features:
        return data
    if data.n_features > n_features:
        raise CLIError(f"--data {args.data} has {data.n_features} features; the model "
                       f"{args.model} was trained with {n_features}")
    if not args.pad_features:
        raise CLIError(f"--data {args.data} has {data.n_features} features but the model "
                       f"{args.model} was trained with {n_features}; pass --pad-features if "
                       f"features {data.n_features + 1}..{n_features} are absent from the file "
                       "because they are 0")
    return data.pad_features(n_features)


def _write_scores(scores: np.ndarray, out: str) -> None:
    text = "".join(f"{s:.17g}\n" for s in scores)
    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
