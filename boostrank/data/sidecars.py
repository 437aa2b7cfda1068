"""LightGBM-style sidecar files next to a data file: ``.query``/``.group`` and ``.position``.

``<file>.query`` (or ``.group``) holds one group size per line; ``<file>.position`` one
display position per line (the 1-based rank at which the row's document was shown), in the
data file's row order. A compressed ``train.txt.gz`` also finds ``train.txt.query`` etc.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import LibSVMFormatError
from .textio import COMPRESSED_SUFFIXES, open_binary

__all__ = ["GROUP_SUFFIXES", "POSITION_SUFFIX", "find_sidecar", "read_group_sizes",
           "read_positions", "write_positions"]

#: sidecar suffixes holding group sizes, in order of preference
GROUP_SUFFIXES = (".query", ".group")
#: sidecar suffix holding display positions
POSITION_SUFFIX = ".position"
_UNSIGNED = re.compile(rb"\+?\d+")


def find_sidecar(path: Path, suffixes: tuple[str, ...] = GROUP_SUFFIXES) -> Path | None:
    """``<file><suffix>`` for the first suffix that exists (also next to the plain name)."""
    names = [path.name]
    if path.suffix.lower() in COMPRESSED_SUFFIXES:
        names.append(path.stem)
    for base in names:
        for suffix in suffixes:
            candidate = path.with_name(base + suffix)
            if candidate.is_file():
                return candidate
    return None


def _integer_lines(path: str | os.PathLike, what: str) -> Iterator[tuple[int, str, int]]:
    """``(line, token, value)`` of each non-blank line, which must be one integer >= 1."""
    with open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            token = raw.strip()
            if not token:
                continue
            text = token.decode("utf-8", "replace")
            if not _UNSIGNED.fullmatch(token):
                raise LibSVMFormatError(path, lineno, f"{what} is not a positive integer", text)
            value = int(token)
            if value == 0:
                raise LibSVMFormatError(path, lineno, f"{what} is zero (must be >= 1)", text)
            if value >= 2**63:
                raise LibSVMFormatError(path, lineno, f"{what} is too large", text)
            yield lineno, text, value


def read_group_sizes(path: str | os.PathLike, n_rows: int | None = None) -> np.ndarray:
    """Group sizes (n_queries,) int64 from a LightGBM-style sidecar, one size per line.

    Blank lines are skipped. With ``n_rows``, the sizes must add up to exactly that.
    Raises `LibSVMFormatError` naming the file, line and token.
    """
    sizes: list[int] = []
    total, last = 0, (1, "")
    for lineno, text, size in _integer_lines(path, "group size"):
        total += size
        last = (lineno, text)
        if n_rows is not None and total > n_rows:
            raise LibSVMFormatError(path, lineno, f"group sizes add up to {total} so far, more "
                                    f"than the {n_rows} rows of the data file", text)
        sizes.append(size)
    if not sizes:
        raise LibSVMFormatError(path, 1, "no group sizes (the file is empty)", "")
    if n_rows is not None and total != n_rows:
        raise LibSVMFormatError(path, last[0], f"group sizes add up to {total} but the data "
                                f"file has {n_rows} rows", last[1])
    return np.asarray(sizes, dtype=np.int64)


def read_positions(path: str | os.PathLike, n_rows: int) -> np.ndarray:
    """Display positions (n_rows,) int64 >= 1 from a ``.position`` sidecar, one per line.

    Blank lines are skipped; there must be exactly one position per data row. Raises
    `LibSVMFormatError` naming the file, line and token for a non-integer or zero position
    or a wrong count.
    """
    out = np.empty(n_rows, dtype=np.int64)
    count, last = 0, (1, "")
    for lineno, text, value in _integer_lines(path, "position"):
        if count == n_rows:
            raise LibSVMFormatError(path, lineno, f"more positions than the {n_rows} rows of "
                                    "the data file", text)
        out[count] = value
        count += 1
        last = (lineno, text)
    if count != n_rows:
        raise LibSVMFormatError(path, last[0], f"{count} positions but the data file has "
                                f"{n_rows} rows", last[1] if count else "")
    return out


def write_positions(path: str | os.PathLike, position: np.ndarray) -> Path:
    """Write ``position`` (n_rows,) as a ``.position`` sidecar, one integer per line."""
    path = Path(path)
    text = "\n".join(map(str, np.asarray(position, dtype=np.int64).tolist()))
    path.write_text(text + "\n" if text else "", encoding="utf-8")
    return path
