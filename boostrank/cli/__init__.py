"""The ``boostrank`` command: data, train, predict, evaluate, tune, compare.

Each subcommand lives in its own module of this package with two functions,
``register(subparsers)`` (adds its argparse parser; must import nothing heavy) and
``run(args) -> int``. Errors a user can fix (`CLIError`, ``ValueError``, ``FileNotFoundError``)
end with one clear line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand name -> module (relative to this package)
SUBCOMMANDS = {
    "data": ".data_cmd",
    "train": ".train_cmd",
    "predict": ".predict_cmd",
    "evaluate": ".evaluate_cmd",
    "tune": ".tune_cmd",
    "compare": ".compare_cmd",
}


class CLIError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
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


def main(argv: Sequence[str] | None = None) -> int:
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
    except (CLIError, ValueError, FileNotFoundError, NotADirectoryError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"boostrank {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
