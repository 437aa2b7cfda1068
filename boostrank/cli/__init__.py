"""The ``boostrank`` command: data, train, predict, evaluate, tune, compare, clicks, export.

Each subcommand lives in its own module of this package with two functions,
``register(subparsers)`` (adds its argparse parser; must import nothing heavy) and
``run(args) -> int``; `common` holds what they share. The commands validate nothing the
library validates: errors a user can fix (`USER_ERRORS`: ``ValueError`` including
``LibSVMFormatError``, ``OSError`` including missing files, ``EOFError`` and the decompression
errors of corrupt files, `CLIError`) end with one line ``boostrank COMMAND: error: ...`` on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .common import USER_ERRORS, CLIError

#: subcommand name -> module (relative to this package)
SUBCOMMANDS = {
    "data": ".data_cmd",
    "train": ".train_cmd",
    "predict": ".predict_cmd",
    "evaluate": ".evaluate_cmd",
    "tune": ".tune_cmd",
    "compare": ".compare_cmd",
    "clicks": ".clicks_cmd",
    "export": ".export_cmd",
}

__all__ = ["SUBCOMMANDS", "USER_ERRORS", "CLIError", "build_parser", "error_message", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``boostrank`` argument parser with every available subcommand."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="boostrank",
        description="Learning to rank: LambdaMART boosters, neural baselines, one evaluator.",
    )
    parser.add_argument("--version", action="version", version=f"boostrank {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name, __name__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(module_name.lstrip(".")):
                continue  # subcommand not available in this build
            raise
        module.register(subparsers)
    return parser


def error_message(exc: BaseException) -> str:
    """``exc`` as one line (a KeyError's message without its quotes)."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    text = " ".join(str(message).split())
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``boostrank`` command line; returns the exit status (2: a user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("boostrank: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(f"boostrank {args.command}: error: {error_message(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
