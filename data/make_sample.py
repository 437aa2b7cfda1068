#!/usr/bin/env python
"""Regenerate the bundled sample ``data/sample/{train,vali,test}.txt``, byte for byte.

The sample is one draw of `boostrank.data.make_ranking` (fixed seed) split by query into
train / vali / test, written as LETOR text with `boostrank.data.save_libsvm` (``qid:`` tokens,
only non-zero features, ``#docid = ...`` comments).

Usage (from the repository root)::

    python data/make_sample.py            # rewrite data/sample/
    python data/make_sample.py --check    # exit 1 if the committed files differ
    python data/make_sample.py --out DIR  # write elsewhere
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "sample"
MAX_TOTAL_BYTES = 2_000_000  # the repository must stay small enough to travel

#: everything that determines the sample; change it only together with data/README.md
PARAMS = dict(
    docs_per_query=(5, 30),
    n_features=30,
    relevance_levels=5,
    noise=0.75,
    sparsity=0.4,
    decimals=3,
    random_state=2026,
)
#: queries per split, taken in this order from one generated dataset
SPLIT_QUERIES = {"train": 300, "vali": 100, "test": 100}


def build() -> dict:
    """The three splits as `RankingData` (CSR, so zeros are not written)."""
    from boostrank.data.synthetic import make_ranking

    data = make_ranking(sum(SPLIT_QUERIES.values()), sparse=True, **PARAMS)
    splits, start = {}, 0
    for name, count in SPLIT_QUERIES.items():
        splits[name] = data.queries(slice(start, start + count))
        start += count
    return splits


def write(out: Path) -> dict[str, Path]:
    """Write ``out/{train,vali,test}.txt``; return the paths."""
    from boostrank.data import save_libsvm

    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, split in build().items():
        paths[name] = out / f"{name}.txt"
        save_libsvm(split, paths[name])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--check", action="store_true",
                        help="regenerate in a temporary folder and compare with --out")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = write(Path(tmp))
            differ = [name for name, path in fresh.items()
                      if not (args.out / path.name).is_file()
                      or not filecmp.cmp(path, args.out / path.name, shallow=False)]
        if differ:
            print(f"differs from a fresh generation: {', '.join(differ)}", file=sys.stderr)
            return 1
        print(f"{args.out}: identical to a fresh generation")
        return 0
    paths = write(args.out)
    total = sum(p.stat().st_size for p in paths.values())
    for path in paths.values():
        print(f"{path}: {path.stat().st_size:,} bytes")
    print(f"total {total:,} bytes")
    if total > MAX_TOTAL_BYTES:
        print(f"sample is larger than {MAX_TOTAL_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
