"""``boostrank compare``: the main job, a head-to-head report of rankers on the same folds.

With no arguments it compares LightGBM, XGBoost, RankNet and ListNet on the bundled
``data/sample`` split and writes ``./boostrank-report``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from ..comparison.runner import DEFAULT_METRICS
from ..comparison.runner import DEFAULT_MODELS as DEFAULT_MODEL_NAMES
from .common import CONVENTION_HELP, CLIError, check_output_folder

DEFAULT_MODELS = ",".join(DEFAULT_MODEL_NAMES)
DEFAULT_OUT = "boostrank-report"

EPILOG = """\
examples:
  boostrank compare
      the four default models on the bundled data/sample split -> ./boostrank-report
  boostrank compare --train train.txt --valid vali.txt --test test.txt --models lightgbm,xgboost
  boostrank compare --letor ../shared/data/MQ2008 --folds 1-5 --convention letor
  boostrank compare --params 'lightgbm={"n_estimators": 300}' --tune 20 --baseline lightgbm
  boostrank compare --train clicks/clicks.txt --test test.txt --models lightgbm,lightgbm+pb
      naive vs position-bias-corrected on a click log, scored on the true labels of test.txt
"""


def register(subparsers: Any) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare rankers head to head and write a report",
        description="Fit every model on the same training data (early stopping on the "
                    "validation split), score the test split with the common evaluator, test "
                    "the differences for significance and write a report folder (Markdown, "
                    "self-contained HTML, JSON, per-query scores, predictions, plots).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = parser.add_argument_group("data (default: the bundled data/sample split)")
    data.add_argument("--train", metavar="FILE", help="training file (LibSVM / LETOR format)")
    data.add_argument("--valid", metavar="FILE",
                      help="validation file (early stopping, learning curves, tuning)")
    data.add_argument("--test", metavar="FILE", help="test file (what the report scores)")
    data.add_argument("--letor", metavar="ROOT",
                      help="LETOR root: Fold1..FoldK folders with train/vali/test files "
                           "(.txt, .txt.gz, ... or caches), or those three files directly")
    data.add_argument("--folds", metavar="SPEC", default=None,
                      help="folds of --letor to run, e.g. 1-5 or 1,3 (default: every fold)")
    models = parser.add_argument_group("models")
    models.add_argument("--models", metavar="LIST", default=DEFAULT_MODELS,
                        help=f"comma-separated registry names (default: {DEFAULT_MODELS}); "
                             "NAME+pb trains NAME with position_bias=True on a click log "
                             "(positions from the training file's .position sidecar), next "
                             "to the naive NAME; give --valid/--test files with true labels")
    models.add_argument("--params", metavar="NAME=JSON", action="append", default=[],
                        help="constructor overrides for one model as a JSON object, or "
                             "NAME=@file.json; repeatable")
    models.add_argument("--tune", metavar="N", type=int, default=0,
                        help="tune each model with N Optuna trials on the validation split")
    models.add_argument("--seed", "--random-state", dest="seed", metavar="N", type=int,
                        default=0,
                        help="random_state of every model, tuning and resampling seed (default 0)")
    evaluation = parser.add_argument_group("evaluation")
    evaluation.add_argument("--metrics", metavar="LIST", default=DEFAULT_METRICS,
                            help=f"evaluator metrics (default: {DEFAULT_METRICS}); the first "
                                 "picks the default baseline and is what --tune optimises")
    evaluation.add_argument("--convention", default="default", metavar="NAME",
                            help=CONVENTION_HELP)
    evaluation.add_argument("--baseline", metavar="NAME",
                            help="model the others are tested against (default: the best on "
                                 "the first metric)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"report folder (default: ./{DEFAULT_OUT})")
    output.add_argument("--format", metavar="LIST", default="md,html,json",
                        help="comma-separated report formats among md, html, json, tex "
                             "(tex: tables.tex, LaTeX booktabs tables for papers; "
                             "default: md,html,json)")
    output.add_argument("--quiet", action="store_true",
                        help="no progress display and no summary on the terminal")
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------- argument checks
def parse_params(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["lightgbm={...}", "xgboost=@p.json"]`` -> ``{"lightgbm": {...}, ...}``."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise CLIError(f"--params {item!r}: expected NAME=JSON, e.g. "
                           "lightgbm='{\"n_estimators\": 200}'")
        if text.startswith("@"):
            path = Path(text[1:])
            if not path.is_file():
                raise CLIError(f"--params {name}: file {path} not found")
            text = path.read_text(encoding="utf-8")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CLIError(f"--params {name}: invalid JSON ({exc.msg} at column "
                           f"{exc.colno}): {text}") from None
        if not isinstance(value, dict):
            raise CLIError(f"--params {name}: expected a JSON object, got {text}")
        params.setdefault(name, {}).update(value)
    return params


def find_sample() -> Path:
    """The bundled ``data/sample`` folder: in the working directory or next to the package."""
    candidates = [Path.cwd() / "data" / "sample",
                  Path(__file__).resolve().parents[2] / "data" / "sample"]
    for folder in candidates:
        if all((folder / f"{n}.txt").is_file() for n in ("train", "vali", "test")):
            return folder
    raise CLIError("bundled sample data/sample/{train,vali,test}.txt not found; pass "
                   "--train/--valid/--test FILE or --letor ROOT")


def full_command(args: argparse.Namespace, data: dict[str, str]) -> str:
    """The equivalent command with every option spelled out (defaults included)."""
    words = ["boostrank", "compare"]
    if args.letor:
        words += ["--letor", args.letor]
        if args.folds:
            words += ["--folds", args.folds]
    else:
        for option in ("train", "valid", "test"):
            if data.get(option):
                words += [f"--{option}", data[option]]
    words += ["--models", args.models]
    for item in args.params:
        words += ["--params", item]
    words += ["--tune", str(args.tune), "--metrics", args.metrics, "--convention",
              args.convention]
    if args.baseline:
        words += ["--baseline", args.baseline]
    words += ["--seed", str(args.seed), "--out", args.out, "--format", args.format]
    if args.quiet:
        words.append("--quiet")
    return shlex.join(words)


def typed_command() -> str | None:
    """The command line as typed, when this process is the ``boostrank`` command."""
    argv = list(sys.argv)
    program = Path(argv[0]).name if argv else ""
    if program in ("__main__.py", "-m"):
        program = "python -m boostrank"
    elif program != "boostrank":
        return None  # called from Python (tests, notebooks): not a command line
    if "compare" not in argv[1:]:
        return None
    return " ".join([program, shlex.join(argv[1:])])


# ---------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> int:
    """Run the comparison (the library checks every option before training), write the
    report; 0 on success."""
    from ..comparison import Progress, compare, compare_letor
    from ..report.writer import describe_written, parse_formats

    formats = parse_formats(args.format)  # output options: checked before the (long) run
    out = check_output_folder(args.out)
    data = _data_options(args)
    command = typed_command() or full_command(args, data)
    options = dict(metrics=args.metrics, convention=args.convention,
                   baseline=args.baseline.strip().lower() if args.baseline else None,
                   random_state=args.seed, tune=args.tune, params=parse_params(args.params),
                   progress=Progress(enabled=not args.quiet), command=command)
    if args.letor:
        result = compare_letor(args.models, args.letor, folds=args.folds, **options)
    else:
        result = compare(args.models, data["train"], data.get("valid"), data["test"],
                         **options)
    result.config["full_command"] = full_command(args, data)
    written = result.save(out, formats=formats)
    if not args.quiet:
        from ..report.markdown import summary_markdown

        print(summary_markdown(result))
        print()
        for line in describe_written(written):
            print(line)
        print(f"report folder: {out.resolve()}")
    return 0


def _data_options(args: argparse.Namespace) -> dict[str, str]:
    """``{"train": path, "valid": path, "test": path}`` of the split to compare on (the
    bundled sample when no data option is given; empty with --letor)."""
    split_options = (args.train, args.valid, args.test)
    if args.letor:
        if any(split_options):
            raise CLIError("give either --letor ROOT or --train/--valid/--test, not both")
        return {}
    if args.folds is not None:
        raise CLIError("--folds selects folds of --letor ROOT; give --letor too")
    if not any(split_options):
        sample = find_sample()
        return {"train": str(sample / "train.txt"), "valid": str(sample / "vali.txt"),
                "test": str(sample / "test.txt")}
    if not (args.train and args.test):
        raise CLIError("--train and --test are both needed (--valid is optional)")
    return {option: value for option, value in
            (("train", args.train), ("valid", args.valid), ("test", args.test)) if value}
