"""What both LibSVM parsers (compiled and pure Python) share: options, grammar, error texts,
the index-base / width / density decision and the memory guards taken before allocating."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from .errors import LibSVMFormatError

__all__ = ["ParseOptions", "Parsed", "Layout", "REASONS", "MAX_INDEX", "SPARSE_DENSITY",
           "DEFAULT_MAX_FEATURES", "DENSE_LIMIT_BYTES", "plan_layout", "native_dtype",
           "error_in_chunk", "empty_file_error", "NUMBER", "INDEX", "TOKEN"]

#: ``sparse="auto"`` returns CSR when fewer than this fraction of the cells are written
SPARSE_DENSITY = 0.25
#: largest feature index accepted (indices are stored as int32)
MAX_INDEX = 2**31 - 2
#: default ``max_features``: the widest X a file may imply without ``n_features=``
DEFAULT_MAX_FEATURES = 1 << 20
#: a dense X above this size is refused when CSR would be far smaller (``sparse=False``)
DENSE_LIMIT_BYTES = 1 << 30
#: ... "far smaller": the file writes fewer than one cell in this many
_DENSE_BLOWUP = 64

NUMBER = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
)
INDEX = re.compile(rb"[+-]?\d+")
TOKEN = re.compile(rb"[^\s#]*")

REASONS = {
    "label": "label is not a number",
    "label_nan": "label is NaN or infinite (pass allow_nan=True to accept it)",
    "qid": "qid: needs an integer value (query ids are integers)",
    "qid_position": "qid: must come right after the label",
    "index": "feature is not index:value with an integer index",
    "index_too_large": f"feature index is larger than {MAX_INDEX}",
    "no_value": "feature index has no value",
    "value": "feature value is not a number",
    "value_nan": "feature value is NaN or infinite (pass allow_nan=True to accept it)",
    "below_base": "feature index is below the index base",
    "out_of_range": "feature index is beyond n_features",
    "duplicate": "feature index repeated in one line",
    "value_overflow": "feature value is too large for the dtype (it would become infinite; "
    "pass allow_nan=True to accept)",
    "has_qid": "row has a qid: token but the rows before it have none",
    "no_qid": "row has no qid: token but the rows before it have one",
}


@dataclass(frozen=True)
class ParseOptions:
    """The options of `boostrank.data.load_libsvm` that the parsers see."""

    dtype: np.dtype
    zero_based: Any = "auto"
    n_features: int | None = None
    max_features: int | None = DEFAULT_MAX_FEATURES
    sparse: Any = "auto"
    keep_comments: bool = True
    allow_nan: bool = False


@dataclass
class Parsed:
    """Rows as read, in file order. X is dense (n_rows, n_features) or CSR."""

    X: Any
    y: np.ndarray
    qid: np.ndarray | None  # None when no row has a qid: token
    source_row: np.ndarray
    comments: list[str] | None
    n_lines: int


@dataclass
class Layout:
    base: int
    n_features: int
    sparse: bool


def native_dtype(dtype: np.dtype) -> np.dtype:
    """The float type the parsers write: float32 or float64 (others are cast afterwards)."""
    return dtype if dtype in (np.dtype(np.float32), np.dtype(np.float64)) else np.dtype(np.float64)


def _decide_layout(n_rows: int, nnz: int, min_idx: int, max_idx: int,
                   options: ParseOptions) -> Layout:
    """Index base (scikit-learn's auto rule), width and dense/CSR choice."""
    if options.zero_based == "auto":
        base = 1 if nnz > 0 and min_idx > 0 else 0
    else:
        base = 0 if options.zero_based else 1
    width = max(max_idx - base + 1, 0) if nnz > 0 else 0
    n_features = width if options.n_features is None else options.n_features
    cells = n_rows * n_features
    if options.sparse == "auto":
        use_sparse = cells > 0 and nnz < SPARSE_DENSITY * cells
    else:
        use_sparse = bool(options.sparse)
    return Layout(base, int(n_features), use_sparse)


def locate_index(opener: Callable[[], Any], limit: int) -> tuple[int | None, str | None]:
    """``(line, token)`` of the first feature token whose index is >= ``limit`` (line by line,
    so memory stays bounded); ``(None, None)`` when there is none."""
    with opener() as f:
        for lineno, raw in enumerate(f, 1):
            body = raw.split(b"#", 1)[0]
            for tok in body.split()[1:]:
                head, colon, _ = tok.partition(b":")
                if colon and head != b"qid" and INDEX.fullmatch(head) and int(head) >= limit:
                    return lineno, tok.decode("utf-8", "replace")
    return None, None


def plan_layout(name: str, opener: Callable[[], IO[bytes]], n_rows: int, nnz: int,
                min_idx: int, max_idx: int, options: ParseOptions) -> Layout:
    """The layout of X, refusing (before anything is allocated) a width above
    ``max_features`` that the file alone implies and a dense X that would be huge next to
    its stored values."""
    layout = _decide_layout(n_rows, nnz, min_idx, max_idx, options)
    limit = options.max_features
    if options.n_features is None and limit is not None and layout.n_features > limit:
        line, token = locate_index(opener, layout.base + limit)
        raise LibSVMFormatError(
            name, line, f"feature index {max_idx} makes X {layout.n_features} columns wide, "
            f"more than max_features={limit}; pass n_features= to set the width (larger "
            "indices are then an error) or max_features=None to accept it", token)
    itemsize = native_dtype(options.dtype).itemsize
    dense_bytes = n_rows * layout.n_features * itemsize
    if not layout.sparse and dense_bytes > DENSE_LIMIT_BYTES \
            and n_rows * layout.n_features > _DENSE_BLOWUP * max(nnz, 1):
        raise LibSVMFormatError(
            name, None, f"a dense X of {n_rows} x {layout.n_features} would take "
            f"{dense_bytes / 2**30:.1f} GiB for {nnz} stored values; pass sparse=True or "
            "sparse='auto' (CSR) instead of sparse=False")
    return layout


def error_in_chunk(name: str, chunk: Any, line_base: int, code: str, offset: int,
                   detail: str = "") -> LibSVMFormatError:
    """The LibSVMFormatError for byte ``offset`` of ``chunk`` (whose first line is line_base+1)."""
    data = bytes(chunk[offset : offset + 4096])
    token = TOKEN.match(data).group(0).decode("utf-8", "replace")
    line = line_base + bytes(chunk[:offset]).count(b"\n") + 1
    return LibSVMFormatError(name, line, REASONS[code] + detail, token)


def layout_detail(code: str, layout: Layout | None) -> str:
    """The layout-dependent end of an error message (index base, ``n_features``)."""
    if layout is None:
        return ""
    if code == "below_base":
        return f" ({'one' if layout.base else 'zero'}-based)"
    if code == "out_of_range":
        return f"={layout.n_features}"
    return ""


def empty_file_error(name: str, n_lines: int) -> LibSVMFormatError:
    what = "the file is empty" if n_lines == 0 else f"all {n_lines} lines are blank or comments"
    return LibSVMFormatError(name, max(n_lines, 1), f"no data rows ({what})", "")
