"""``boostrank train``: fit a model on a LibSVM/LETOR file and save it.

    boostrank train --model lightgbm --train train.txt [--valid vali.txt]
                    [--params best_params.json] [--param NAME=JSON ...] --out model.brm

``--params`` reads a JSON object of constructor parameters (e.g. the ``best_params.json`` that
``boostrank tune`` writes); each ``--param NAME=VALUE`` overrides one of them, VALUE being JSON
(``--param learning_rate=0.05 --param hidden_sizes=[128,64]``) or else a plain string
(``--param objective=rank_xendcg``). With ``--valid`` the model evaluates that set every
round/epoch (early stopping when the parameters ask for it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import (
    CLIError,
    add_command,
    add_training_options,
    build_model,
    load_data,
    parse_param_assignments,
    read_params_file,
)


def register(subparsers: Any) -> None:
    """Add the ``train`` subcommand."""
    parser = add_command(subparsers, "train", help="fit a model on a LibSVM file and save it",
                         doc=__doc__)
    add_training_options(parser, valid_help="validation data (eval set)",
                         param_help="one constructor parameter, VALUE as JSON (repeatable)")
    parser.add_argument("--params", metavar="JSON_FILE",
                        help="JSON object of constructor parameters (e.g. best_params.json)")
    parser.add_argument("--out", required=True, metavar="MODEL",
                        help="where to write the model (a .brm zip file)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the model, fit it on ``--train`` (``--valid`` as eval set), save it; 0 on success."""
    params = read_params_file(args.params) if args.params else {}
    params.update(parse_param_assignments(args.param))
    model = build_model(args.model, params)
    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out {out} is a folder; give a model file name such as model.brm")
    train = load_data(args.train, what="--train")
    valid = None
    if args.valid:  # a LibSVM file may stop before train's last feature: 0 in LibSVM terms
        valid = load_data(args.valid, what="--valid", n_features=train.n_features)
    model.fit(train, eval_set=valid)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    if not args.quiet:
        print("\n".join(_summary(model, args, train, valid)), file=sys.stdout)
    return 0


def _summary(model: Any, args: argparse.Namespace, train: Any, valid: Any) -> list[str]:
    lines = [f"trained {type(model).__name__} on {args.train} ({train.n_rows} rows, "
             f"{train.n_queries} queries, {train.n_features} features)"]
    for attr, label in (("best_iteration_", "rounds kept"), ("best_epoch_", "best epoch")):
        value = getattr(model, attr, None)
        if value is not None:
            lines.append(f"{label}: {value}")
    member_epochs = getattr(model, "ensemble_best_epochs_", None) or []
    if len(member_epochs) > 1:
        lines.append(f"best epochs of the {len(member_epochs)} ensemble members: "
                     + ", ".join(str(e) for e in member_epochs))
    best = getattr(model, "best_score_", None)
    if valid is not None and isinstance(best, dict):
        for set_name, metrics in best.items():
            text = ", ".join(f"{m} {v:.5f}" for m, v in metrics.items())
            lines.append(f"{set_name} ({args.valid}): {text}")
    lines.append(f"model written to {Path(args.out)}")
    return lines
