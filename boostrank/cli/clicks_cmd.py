"""``boostrank clicks simulate``: turn labelled data and a logging ranker's scores into a
simulated click log (LibSVM text with a ``.position`` sidecar). Only light imports here."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EPILOG = """\
examples:
  boostrank clicks simulate --data train.txt --scores logging.txt --model pbm --out clicks/
  boostrank clicks simulate --data train.txt --scores logging.txt --model dcm \\
      --param continuation=0.6 --param noise=0.05 --sessions 10 --out clicks/

The log is DIR/clicks.txt (label = number of clicks, qid, features, # docid) with the rank at
which each document was shown in DIR/clicks.txt.position, and DIR/clicks.json (the settings).
"""


def register(subparsers: Any) -> None:
    """Add the ``clicks`` subcommand (``clicks simulate``)."""
    parser = subparsers.add_parser(
        "clicks", help="simulate click logs from labelled data",
        description="Learning from clicks: simulate a click log from graded labels.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="clicks_action", metavar="ACTION", required=True)
    simulate = actions.add_parser(
        "simulate", help="simulate clicks on the logging ranker's top documents",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    simulate.add_argument("--data", required=True, metavar="FILE",
                          help="labelled LibSVM / LETOR file (or a boostrank binary cache)")
    simulate.add_argument("--scores", required=True, metavar="FILE",
                          help="the logging ranker's scores, one per line, aligned with DATA")
    simulate.add_argument("--model", default="pbm", metavar="NAME",
                          help="click model: pbm, cascade, dcm, threshold, random, fixed, "
                               "duplicate_aware, diverse (default: pbm)")
    simulate.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                          help="a click-model parameter (JSON value), e.g. eta=2 or "
                               "continuation=[0.8,0.5]; repeatable")
    simulate.add_argument("--n-shown", dest="n_shown", type=int, default=10,
                          help="documents shown per query (default: 10; 0 shows all)")
    simulate.add_argument("--sessions", type=int, default=1,
                          help="impressions simulated per query (default: 1)")
    simulate.add_argument("--output", choices=("counts", "impressions"), default="counts",
                          help="one row per shown document with its click count (default), "
                               "or one row per document per session")
    simulate.add_argument("--seed", type=int, default=0, help="random_state (default: 0)")
    simulate.add_argument("--out", required=True, metavar="DIR", help="output folder")
    simulate.set_defaults(func=run)


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``["eta=2", "inner=\\"fixed\\""]`` -> ``{"eta": 2, "inner": "fixed"}`` (JSON values;
    a value that is not JSON is kept as a string)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param expects KEY=VALUE; got {pair!r}")
        try:
            params[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[key.strip()] = value
    return params


def run(args: argparse.Namespace) -> int:
    """Simulate the click log and write it to ``args.out``."""
    from ..clicks import simulate_clicks
    from ..data.libsvm import save_libsvm
    from ..validation import load_split
    from .evaluate_cmd import read_scores

    data = load_split(args.data, name="data")
    scores = read_scores(args.scores)
    log = simulate_clicks(
        data, scores, args.model, random_state=args.seed,
        n_shown=None if args.n_shown == 0 else args.n_shown, n_sessions=args.sessions,
        output=args.output, **parse_params(args.param))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_libsvm(log, out / "clicks.txt")
    settings = {"data": str(args.data), "scores": str(args.scores), "click_model": args.model,
                "params": parse_params(args.param), "n_shown": args.n_shown,
                "n_sessions": args.sessions, "output": args.output, "random_state": args.seed,
                "n_rows": log.n_rows, "n_queries": log.n_queries, "n_clicks": float(log.y.sum())}
    (out / "clicks.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out / 'clicks.txt'}: {log.n_rows} shown documents, {log.n_queries} "
          f"queries, {int(log.y.sum())} clicks (positions in clicks.txt.position)")
    return 0
