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
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import CLIError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train", help="fit a model on a LibSVM file and save it",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", required=True,
                        help="model name: lightgbm, xgboost, ranknet, listnet, ...")
    parser.add_argument("--train", required=True, metavar="FILE",
                        help="training data (LibSVM/LETOR text, or a boostrank cache folder)")
    parser.add_argument("--valid", metavar="FILE", help="validation data (eval set)")
    parser.add_argument("--params", metavar="JSON_FILE",
                        help="JSON object of constructor parameters (e.g. best_params.json)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="one constructor parameter, VALUE as JSON (repeatable)")
    parser.add_argument("--out", required=True, metavar="MODEL",
                        help="where to write the model (a .brm zip file)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------- shared helpers
def load_data(path: str, *, n_features: int | None = None, what: str = "data") -> Any:
    """Load a LibSVM/LETOR text file or a `RankingData` cache folder.

    ``n_features`` widens a LibSVM file whose highest feature index is lower than the model's.
    """
    from ..data.ranking_data import RankingData

    location = Path(path)
    if not location.exists():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    if location.is_dir():
        if (location / "meta.json").is_file():
            return RankingData.load(location)
        raise CLIError(f"{what} {path} is a folder but not a boostrank cache (no meta.json)")
    from ..data import load_libsvm

    kwargs: dict[str, Any] = {}
    if n_features is not None and "n_features" in inspect.signature(load_libsvm).parameters:
        kwargs["n_features"] = n_features
    return load_libsvm(location, **kwargs)


def parse_param_assignments(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=[1,2]", "c=text"]`` -> ``{"a": 1, "b": [1, 2], "c": "text"}``."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise CLIError(f"--param {item!r}: expected NAME=VALUE (VALUE as JSON)")
        try:
            params[name] = json.loads(text)
        except json.JSONDecodeError:
            params[name] = text
    return params


def read_params_file(path: str) -> dict[str, Any]:
    """A JSON object of parameters; a ``{"params": {...}}`` wrapper is accepted too."""
    from ..estimator import _from_jsonable

    try:
        content = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"--params file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise CLIError(f"--params {path}: not valid JSON (line {exc.lineno}, column "
                       f"{exc.colno}: {exc.msg})") from None
    if isinstance(content, dict) and isinstance(content.get("params"), dict):
        content = content["params"]
    if not isinstance(content, dict):
        raise CLIError(f"--params {path}: expected a JSON object of parameters, "
                       f"got {type(content).__name__}")
    return _from_jsonable(content)


def build_model(name: str, params: dict[str, Any]) -> Any:
    """Instantiate registry model ``name``; parameters it lacks are an error naming them."""
    from ..registry import get_model_class

    cls = get_model_class(name)
    model = cls()
    known = model.get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise CLIError(f"{cls.__name__} has no parameter(s) {', '.join(unknown)}; its "
                       f"parameters are: {', '.join(sorted(known))}")
    # JSON has no tuples: a list given for a parameter whose default is a tuple becomes one
    for key, value in params.items():
        if isinstance(value, list) and isinstance(known[key], tuple):
            params[key] = tuple(value)
    return model.set_params(**params)


def _describe(data: Any) -> str:
    return f"{data.n_rows} rows, {data.n_queries} queries, {data.n_features} features"


def run(args: argparse.Namespace) -> int:
    params = read_params_file(args.params) if args.params else {}
    params.update(parse_param_assignments(args.param))
    model = build_model(args.model, params)
    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise CLIError(f"--out {out} is a folder; give a model file name such as model.brm")
    if not out.parent.exists():
        os.makedirs(out.parent, exist_ok=True)
    train = load_data(args.train, what="--train")
    valid = None
    if args.valid:
        valid = load_data(args.valid, n_features=train.n_features, what="--valid")
        if valid.n_features < train.n_features:
            raise CLIError(f"--valid has {valid.n_features} features, --train has "
                           f"{train.n_features}")
    model.fit(train, eval_set=valid)
    model.save(out)
    if not args.quiet:
        lines = [f"trained {type(model).__name__} on {args.train} ({_describe(train)})"]
        for attr, label in (("best_iteration_", "rounds kept"), ("best_epoch_", "best epoch")):
            value = getattr(model, attr, None)
            if value is not None:
                lines.append(f"{label}: {value}")
        best = getattr(model, "best_score_", None)
        if valid is not None and isinstance(best, dict):
            for set_name, metrics in best.items():
                text = ", ".join(f"{m} {v:.5f}" for m, v in metrics.items())
                lines.append(f"{set_name} ({args.valid}): {text}")
        lines.append(f"model written to {out}")
        print("\n".join(lines), file=sys.stdout)
    return 0
