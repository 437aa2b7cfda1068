"""What the subcommands share: parser construction, data loading, model parameters, errors.

The CLI validates nothing the library validates: it calls the library and `main` turns the
exceptions listed in `USER_ERRORS` into one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import re
import zlib
from pathlib import Path
from typing import Any


class CLIError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


#: exceptions that end a command with one ``error:`` line (exit code 2), no traceback;
#: OSError covers missing files, permissions and ``gzip.BadGzipFile``
USER_ERRORS: tuple[type[BaseException], ...] = (
    CLIError, ValueError, OSError, KeyError, EOFError, zlib.error, lzma.LZMAError,
)

#: ``--help`` of every ``--convention`` option (the library checks the name and lists the presets)
CONVENTION_HELP = ("evaluation convention: a preset of boostrank.metrics.PRESETS such as "
                   "default, lightgbm, xgboost, trec or letor (default: default)")

_ROLE = re.compile(r":(?:func|class|meth|mod|attr):`([^`]+)`")


def plain_text(doc: str) -> str:
    """``doc`` (a module docstring with RST markup) as text for ``--help``.

    Double and single backquotes are dropped (````--param n=5```` -> ``--param n=5``),
    the first paragraph (the one-line summary, already the command's help) is left out.
    """
    body = doc.split("\n\n", 1)[1] if "\n\n" in doc else doc
    body = _ROLE.sub(r"\1", body)
    return body.replace("``", "").replace("`", "")


def add_command(subparsers: Any, name: str, *, help: str, doc: str | None,
                epilog: str | None = None) -> argparse.ArgumentParser:
    """Add subcommand ``name``: its description is ``doc`` made plain (`plain_text`)."""
    return subparsers.add_parser(
        name, help=help, description=plain_text(doc) if doc else None, epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_training_options(parser: argparse.ArgumentParser, *, valid_help: str,
                         param_help: str) -> None:
    """The options ``train`` and ``tune`` share: ``--model``, ``--train``, ``--valid``,
    ``--param NAME=VALUE`` (repeatable)."""
    parser.add_argument("--model", required=True,
                        help="model name: lightgbm, xgboost, ranknet, listnet, ...")
    parser.add_argument("--train", required=True, metavar="FILE",
                        help="training data (LibSVM/LETOR text, or a boostrank cache folder)")
    parser.add_argument("--valid", metavar="FILE", help=valid_help)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help=param_help)


# ---------------------------------------------------------------------- data
def load_data(path: str | os.PathLike, *, what: str, n_features: int | None = None) -> Any:
    """A `RankingData` from a LibSVM/LETOR text file (compressed too) or a cache folder.

    `boostrank.validation.load_split` with the option (``"--train"``) as the split's name, so
    every error names the option and the file. ``n_features``: the width the data must have
    (a LibSVM file may stop before its last features, which are then 0).
    """
    from ..validation import load_split

    return load_split(os.fspath(path), name=what, n_features=n_features)


# ---------------------------------------------------------------------- model parameters
def parse_param_assignments(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=[1,2]", "c=text"]`` -> ``{"a": 1, "b": [1, 2], "c": "text"}``.

    VALUE is read as JSON, or taken as a plain string when it is not JSON.
    """
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


def read_params_file(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON object of parameters (``best_params.json``); a ``{"params": {...}}`` wrapper is
    accepted too. Tuples stored by boostrank load back as tuples."""
    from ..model_io import params_from_json

    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
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
    return params_from_json(content)


def build_model(name: str, params: dict[str, Any]) -> Any:
    """Registry model ``name`` with ``params``; a parameter it lacks is an error naming it.

    JSON has no tuples: a list given for a parameter whose default is a tuple becomes one.
    """
    from ..registry import get_model_class

    cls = get_model_class(name)
    model = cls()
    known = model.get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise CLIError(f"{cls.__name__} has no parameter(s) {', '.join(unknown)}; its "
                       f"parameters are: {', '.join(sorted(known))}")
    params = {key: tuple(value) if isinstance(value, list) and isinstance(known[key], tuple)
              else value for key, value in params.items()}
    return model.set_params(**params)


def check_output_folder(path: str | os.PathLike, option: str = "--out") -> Path:
    """``path`` as a folder to write into: an existing file there is an error."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"{option} {out} exists and is not a folder")
    return out


__all__ = ["CLIError", "CONVENTION_HELP", "USER_ERRORS", "add_command", "add_training_options", "build_model", "check_output_folder",
           "load_data", "parse_param_assignments", "plain_text",
           "read_params_file"]
