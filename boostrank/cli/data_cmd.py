"""``boostrank data``: inspect ranking data and convert between LibSVM text and the binary cache.

``boostrank data info FILE`` prints rows, queries, features, X's storage and density, the label
histogram and docs per query (min / median / max); FILE is LibSVM/LETOR text (optionally
compressed) or a binary cache folder written by ``RankingData.save``.

``boostrank data convert IN OUT`` reads text or a cache and writes text or a cache. OUT is a
cache folder unless it ends with a text suffix (.txt, .svm, .libsvm, .svmlight, .dat, .gz, .bz2,
.xz) or ``--to`` says otherwise. Only light imports at module level.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

TEXT_SUFFIXES = (".txt", ".svm", ".libsvm", ".svmlight", ".dat", ".gz", ".bz2", ".xz", ".lzma")
#: at most this many distinct labels get one histogram line each
MAX_HISTOGRAM_LABELS = 32

EPILOG = """\
examples:
  boostrank data info data/sample/train.txt
  boostrank data convert train.txt train.cache        # text -> binary cache (memory-mapped)
  boostrank data convert train.cache train.txt.gz     # cache -> compressed text
  boostrank data info train.cache --json
"""


def register(subparsers: Any) -> None:
    """Add the ``data`` subcommand with ``info`` and ``convert``."""
    parser = subparsers.add_parser(
        "data", help="inspect ranking data; convert LibSVM text <-> binary cache",
        description="Inspect LibSVM / LETOR ranking data and convert it between text and the "
                    "boostrank binary cache.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")

    info = actions.add_parser("info", help="rows, queries, features, labels, docs per query",
                              description="Summarise a LibSVM/LETOR text file or a cache folder.")
    info.add_argument("path", metavar="FILE", help="LibSVM text (.gz/.bz2/.xz too) or cache folder")
    info.add_argument("--json", action="store_true", help="print a JSON object")
    _add_read_options(info)
    info.set_defaults(func=run_info)

    convert = actions.add_parser(
        "convert", help="text <-> binary cache",
        description="Read IN (text or cache) and write OUT (text or cache).")
    convert.add_argument("src", metavar="IN", help="LibSVM text or cache folder")
    convert.add_argument("dst", metavar="OUT", help="output text file or cache folder")
    convert.add_argument("--to", choices=("auto", "text", "cache"), default="auto",
                         help="output kind (default: from OUT's suffix; no text suffix = cache)")
    convert.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    convert.add_argument("--zero-based-output", action="store_true",
                         help="write zero-based feature indices in text output")
    _add_read_options(convert)
    convert.set_defaults(func=run_convert)
    parser.set_defaults(func=_usage(parser))


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace) -> int:
        """``data`` without an action: print its help."""
        parser.print_help()
        return 1

    return run


def _add_read_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading text")
    group.add_argument("--query-file", metavar="FILE",
                       help="sidecar with one group size per line (default: FILE.query/.group)")
    group.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                       help="feature dtype (default: float32)")
    group.add_argument("--zero-based", choices=("auto", "yes", "no"), default="auto",
                       help="feature index base (default: auto, as scikit-learn)")
    group.add_argument("--layout", choices=("auto", "dense", "sparse"), default="auto",
                       help="X as dense array or CSR (default: by density)")
    group.add_argument("--n-features", type=int, metavar="N", help="width of X")
    group.add_argument("--allow-nan", action="store_true", help="accept NaN / inf values")
    group.add_argument("--no-comments", action="store_true", help="drop the # comments")


def is_cache(path: Path) -> bool:
    """True for a folder written by ``RankingData.save``."""
    return path.is_dir() and (path / "meta.json").is_file()


def read_data(path: str | os.PathLike, args: argparse.Namespace) -> Any:
    """A RankingData from a cache folder or a LibSVM text file (read options from ``args``)."""
    from ..data.libsvm import load_libsvm

    location = Path(path)
    if location.is_dir() or not location.exists():  # the one rule for caches and missing files
        from ..validation import load_split

        return load_split(location, name="data")
    zero_based = {"auto": "auto", "yes": True, "no": False}[args.zero_based]
    sparse = {"auto": "auto", "dense": False, "sparse": True}[args.layout]
    return load_libsvm(location, query_file=args.query_file, dtype=args.dtype,
                       n_features=args.n_features, zero_based=zero_based, sparse=sparse,
                       keep_comments=not args.no_comments, allow_nan=args.allow_nan)


def _nbytes(data: Any) -> int:
    X = data.X
    if hasattr(X, "indptr"):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(X.nbytes)


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def summarize(data: Any) -> dict[str, Any]:
    """The facts `info` prints, as a JSON-ready dict."""
    import numpy as np

    from ..data.summary import docs_per_query, label_histogram

    X = data.X
    cells = data.n_rows * data.n_features
    if data.is_sparse:
        stored = int(X.nnz)
        nonzero = int(np.count_nonzero(X.data))
    else:
        stored = cells
        nonzero = int(np.count_nonzero(np.asarray(X)))
    histogram = label_histogram(data.y)
    labels = histogram if len(histogram) <= MAX_HISTOGRAM_LABELS else {}
    docs = docs_per_query(data.group_sizes)
    y = np.asarray(data.y)
    return {
        "source": data.source,
        "rows": data.n_rows,
        "queries": data.n_queries,
        "features": data.n_features,
        "layout": "sparse (CSR)" if data.is_sparse else "dense",
        "dtype": str(X.dtype),
        "x_bytes": _nbytes(data),
        "stored_fraction": stored / cells if cells else 0.0,
        "density": nonzero / cells if cells else 0.0,
        "label_histogram": labels,
        "label_distinct": len(histogram),
        "label_min": float(y.min()) if y.size else None,
        "label_max": float(y.max()) if y.size else None,
        "docs_per_query": {key: docs[key] for key in ("min", "median", "max", "mean")},
        "comments": data.comment is not None,
        "docids": data.docid is not None,
    }


def format_summary(facts: dict[str, Any]) -> str:
    """Human-readable lines of `summarize`'s facts."""
    lines = [
        f"source:          {facts['source']}",
        f"rows:            {facts['rows']}",
        f"queries:         {facts['queries']}",
        f"features:        {facts['features']}",
        f"X:               {facts['layout']} {facts['dtype']}, {_human(facts['x_bytes'])}",
        f"density:         {100 * facts['density']:.1f}% of cells nonzero"
        + (f" ({100 * facts['stored_fraction']:.1f}% stored)"
           if facts["layout"].startswith("sparse") else ""),
    ]
    docs = facts["docs_per_query"]
    median = docs["median"]
    median_text = str(int(median)) if float(median).is_integer() else f"{median:.1f}"
    lines.append(f"docs per query:  min {docs['min']}, median {median_text}, max {docs['max']} "
                 f"(mean {docs['mean']:.1f})")
    rows = max(facts["rows"], 1)
    if facts["label_histogram"]:
        lines.append("labels:")
        width = max(len(k) for k in facts["label_histogram"])
        for label, count in facts["label_histogram"].items():
            lines.append(f"  {label:>{width}}: {count:>9}  ({100 * count / rows:5.1f}%)")
    else:
        lines.append(f"labels:          {facts['label_distinct']} distinct values in "
                     f"[{facts['label_min']:g}, {facts['label_max']:g}]")
    extras = [name for name in ("comments", "docids") if facts[name]]
    lines.append(f"per-row text:    {', '.join(extras) if extras else 'none'}")
    return "\n".join(lines)


def run_info(args: argparse.Namespace) -> int:
    """``data info``: print the summary of FILE (or JSON with --json); 0 on success."""
    facts = summarize(read_data(args.path, args))
    print(json.dumps(facts, indent=1) if args.json else format_summary(facts))
    return 0


def _output_kind(dst: Path, choice: str) -> str:
    if choice != "auto":
        return choice
    if is_cache(dst):
        return "cache"
    name = dst.name.lower()
    return "text" if any(name.endswith(s) for s in TEXT_SUFFIXES) else "cache"


def run_convert(args: argparse.Namespace) -> int:
    """``data convert``: read IN, write OUT as text or cache; 0 on success."""
    from ..data.libsvm import save_libsvm

    src, dst = Path(args.src), Path(args.dst)
    kind = _output_kind(dst, args.to)
    if src.resolve() == dst.resolve():
        raise ValueError(f"IN and OUT are the same path: {src}")
    if dst.exists() and not args.force:
        raise ValueError(f"{dst} exists; pass --force to overwrite it")
    if kind == "cache" and dst.exists() and not dst.is_dir():
        raise ValueError(f"{dst} is a file; a cache is a folder (use --to text for text)")
    if kind == "text" and dst.is_dir():
        raise ValueError(f"{dst} is a folder; text output needs a file name")
    data = read_data(src, args)
    if kind == "cache":
        data.save(dst)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        save_libsvm(data, dst, zero_based=args.zero_based_output)
    print(f"wrote {kind} {dst}: {data.n_rows} rows, {data.n_queries} queries, "
          f"{data.n_features} features")
    return 0
