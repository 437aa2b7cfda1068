"""``boostrank tune``: an Optuna study over a model's hyperparameters.

    boostrank tune --model lightgbm --train train.txt --valid vali.txt --trials 50 --out DIR
                   [--metric ndcg@10] [--convention default] [--storage URL] [--study NAME]
                   [--timeout S] [--pruner median] [--sampler tpe] [--seed 0] [--cv K]
                   [--param NAME=JSON ...] [--jobs N] [--test FILE] [--refit WHAT]

Shows a progress bar with the best value so far, then writes into DIR: ``best_params.json``
(reuse it with ``boostrank train --params``), the refitted model ``model.brm``,
``trials.csv``, ``summary.json`` and PNG plots (optimisation history, parameter importances,
intermediate values). ``--param`` sets a starting parameter of the model (e.g. ``--param
n_estimators=1000``, the cap early stopping works under). With ``--storage`` (``sqlite:///f.db``,
``postgresql://...``, or a journal file ``study.log``) and ``--study`` a study survives the
process: the same command resumes it, and several processes started with the same arguments
share it (``--trials`` counts the trials of each process). With ``--test`` (a held-out split the
study never sees) the default configuration and the best trial are both refitted and scored
on it, and the output says whether the gain is significant (paired t-test, randomization test
and a bootstrap interval of the difference).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import (
    add_command,
    add_training_options,
    build_model,
    check_output_folder,
    parse_param_assignments,
)


def register(subparsers: Any) -> None:
    """Add the ``tune`` subcommand."""
    parser = add_command(subparsers, "tune", help="tune a model's hyperparameters with Optuna",
                         doc=__doc__)
    add_training_options(parser, valid_help="validation data (required unless --cv is given)",
                         param_help="starting model parameter, VALUE as JSON (repeatable)")
    parser.add_argument("--trials", type=int, default=50, metavar="N",
                        help="number of trials this process runs (default 50)")
    parser.add_argument("--timeout", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--metric", default="ndcg@10", help="metric maximised (default ndcg@10)")
    parser.add_argument("--convention", default="default",
                        help="evaluator convention (default, lightgbm, letor, trec, ...)")
    parser.add_argument("--storage", metavar="URL",
                        help="study storage: sqlite:///file.db, postgresql://..., or a journal "
                             "file (*.log or journal:PATH); default in memory")
    parser.add_argument("--study", metavar="NAME", help="study name (resumes when it exists)")
    parser.add_argument("--pruner", default="median",
                        help="none, median, hyperband or successive_halving (default median)")
    parser.add_argument("--sampler", default="tpe",
                        help="tpe, random, cmaes, qmc or gp (default tpe)")
    parser.add_argument("--seed", type=int, default=0, help="sampler and model seed (default 0)")
    parser.add_argument("--cv", type=int, metavar="K",
                        help="cross-validate each trial over K query-group folds of --train")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="trials in parallel threads (default 1)")
    parser.add_argument("--test", metavar="FILE",
                        help="held-out data: compare the tuned and the default configuration "
                             "on it, with a paired significance test")
    parser.add_argument("--refit", choices=("train", "train+valid", "none"),
                        help="what the best configuration is refitted on (default: train, or "
                             "train+valid with --cv)")
    parser.add_argument("--select", choices=("best", "significant"), default="best",
                        help="best: the best validation value (default); significant: keep "
                             "the default configuration unless the best trial beats it on the "
                             "validation queries beyond the luck of the best of the trials "
                             "(max-t sign-flip test, p < 0.05)")
    parser.add_argument("--report-every", dest="report_every", type=int, metavar="N",
                        help="report to the pruner every N rounds/epochs (default: its "
                             "check points)")
    parser.add_argument("--no-plots", action="store_true", help="do not write PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the study (`tuning.tune` checks every option), write its outputs; 0 on success."""
    from tuning import tune

    out = check_output_folder(args.out)
    start = parse_param_assignments(args.param)
    model = build_model(args.model, dict(start))
    start = {k: v for k, v in model.get_params(deep=False).items() if k in start}
    result = tune(  # tune reads the files (`boostrank.validation.load_split`) after its checks
        model, args.train, args.valid, metric=args.metric, convention=args.convention,
        n_trials=args.trials, timeout=args.timeout, storage=args.storage,
        study_name=args.study, sampler=args.sampler, pruner=args.pruner,
        random_state=args.seed,
        n_jobs=args.jobs, cv=args.cv, show_progress=not args.no_progress, test=args.test,
        refit={None: True, "none": False}.get(args.refit, args.refit), report_every=args.report_every,
        select=args.select,
    )
    # best_params.json must rebuild the model from its defaults: include the --param values
    result.best_params = {**start, **result.best_params}
    written = result.save(out, plots=not args.no_plots)
    print(f"best {result.metric} ({result.convention} convention): {result.best_value:.6f} "
          f"(trial {result.best_trial}; {result.n_complete} complete, {result.n_pruned} pruned, "
          f"{result.n_failed} failed)", file=sys.stdout)
    if result.default_value is not None:
        print(f"default configuration: {result.default_value:.6f}", file=sys.stdout)
    if result.selection is not None and result.selection.rule != "best":
        print(result.selection.verdict(), file=sys.stdout)
    if result.held_out is not None:
        print(result.held_out.verdict(), file=sys.stdout)
    for name, path in written.items():
        print(f"  {name}: {path}", file=sys.stdout)
    return 0
