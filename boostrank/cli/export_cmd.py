"""``boostrank export``: write a saved model in a serving format.

    boostrank export --model model.brm --format FORMAT --out PATH
                     [--feature-names FILE] [--option NAME=VALUE ...]

FORMAT: onnx, xgboost-json (Elasticsearch/OpenSearch LTR), ranklib, solr, vespa, lightgbm,
xgboost or torch (the formats of a model family: see docs/export.md). The model file goes to
PATH; the LTR formats also write their feature set and upload request bodies next to it
(``<stem>.featureset.json``, ``<stem>.createmodel.json``; Solr: ``<stem>.features.json``;
Vespa: ``<stem>.rank-profile.sd``). ``--feature-names`` renames the features for the target:
a JSON list of all names in model order, a JSON object ``{"old": "new"}``, or a text file
with one name per line. ``--option`` sets a format option (``model_name``, ``featureset``,
``store``, ``rank_profile``, ``feature_templates``, ``xgboost_format``), VALUE as JSON or text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .common import CLIError, add_command, parse_param_assignments


def register(subparsers: Any) -> None:
    """Add the ``export`` subcommand."""
    parser = add_command(subparsers, "export", help="write a saved model in a serving format "
                         "(ONNX, Elasticsearch/OpenSearch LTR, Solr, Vespa, native)",
                         doc=__doc__)
    parser.add_argument("--model", required=True, metavar="MODEL",
                        help="a model file written by boostrank train/tune")
    parser.add_argument("--format", required=True, metavar="FORMAT",
                        help="onnx, xgboost-json, ranklib, solr, vespa, lightgbm, xgboost, torch")
    parser.add_argument("--out", required=True, metavar="PATH", help="the exported model file")
    parser.add_argument("--feature-names", metavar="FILE",
                        help="JSON list/object or one-name-per-line file renaming features")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="a format option, VALUE as JSON (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.set_defaults(func=run)


def read_feature_names(path: str) -> Any:
    """The ``--feature-names`` file: a JSON list or object, else one name per line."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"--feature-names file {file} does not exist")
    text = file.read_text(encoding="utf-8")
    try:
        content = json.loads(text)
    except json.JSONDecodeError:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if not isinstance(content, (list, dict)):
        raise CLIError(f"--feature-names {file}: expected a JSON list or object, got "
                       f"{type(content).__name__}")
    return content


def run(args: argparse.Namespace) -> int:
    """Load ``--model``, export it; print the files written and the exactness statement."""
    from ..estimator import BaseRanker
    from ..export import export_model

    model_path = Path(args.model)
    if not model_path.is_file():
        raise FileNotFoundError(f"--model file {model_path} does not exist")
    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out {out} is a folder; give a file name such as model.onnx")
    names = read_feature_names(args.feature_names) if args.feature_names else None
    options = parse_param_assignments(args.option)
    model = BaseRanker.load(model_path)
    result = export_model(model, out, args.format, feature_names=names, **options)
    if not args.quiet:
        for role, path in result.paths.items():
            print(f"{role:<12} {path}")
        print(f"exactness    {result.exactness}")
        upload = result.details.get("upload")
        if upload:
            print(f"upload       {upload}")
    return 0
