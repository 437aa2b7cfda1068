"""Read and write SVMlight / LibSVM / LETOR ranking text: ``label qid:Q idx:val ... # comment``.

`load_libsvm` returns a `RankingData`; `save_libsvm` writes one back so that loading what was
saved gives the same labels, qids, features (bit for bit in float64), comments and positions.

The work is split by job:

- `boostrank.data.textio`: opening (gzip / bzip2 / xz by content, UTF-8 BOM, damaged
  streams), line-aligned chunks;
- `boostrank.data.libsvm_native`: the compiled two-pass parser (threads, no GIL);
- `boostrank.data.libsvm_python`: the pure-Python parser, the fallback when the extension is
  not built (``engine="python"`` or ``BOOSTRANK_LIBSVM_ENGINE=python`` force it);
- `boostrank.data.libsvm_common`: what both parsers share (grammar, error texts, the layout
  decision and the memory guards taken before anything is allocated);
- `boostrank.data.sidecars`: ``.query``/``.group`` and ``.position`` files;
- `boostrank.data.libsvm_writer`: `save_libsvm`.

Numbers follow ``[+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?`` or
``[+-]? (nan | inf | infinity)`` (any case); their values are exactly Python's ``float()``
(correctly rounded), so float64 data equals ``sklearn.datasets.load_svmlight_file``'s, and
float32 data is that float64 value rounded to float32 (as scikit-learn does). Reading a file
never runs or imports anything the file names.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from . import libsvm_native
from .errors import LibSVMFormatError
from .libsvm_common import (
    DEFAULT_MAX_FEATURES,
    MAX_INDEX,
    REASONS,
    SPARSE_DENSITY,
    Parsed,
    ParseOptions,
)
from .libsvm_native import THREADS_ENV, native_available, parse_native
from .libsvm_python import parse_python
from .libsvm_writer import save_libsvm
from .ranking_data import RankingData, contiguous_order
from .sidecars import POSITION_SUFFIX, find_sidecar, read_group_sizes, read_positions
from .textio import CHUNK_BYTES, open_binary, skip_bom

__all__ = ["LibSVMFormatError", "load_libsvm", "save_libsvm", "read_group_sizes",
           "read_positions", "choose_engine", "native_available", "SPARSE_DENSITY",
           "DEFAULT_MAX_FEATURES", "MAX_INDEX", "CHUNK_BYTES", "ENGINE_ENV", "THREADS_ENV"]

#: environment variable choosing the parser: "auto" (C when built), "c" or "python"
ENGINE_ENV = "BOOSTRANK_LIBSVM_ENGINE"
# former module-level names kept for existing callers (benchmarks/bench_ingest.py); new code
# uses native_available() and boostrank.data.libsvm_native.n_parts
_C = libsvm_native._C
_n_parts = libsvm_native.n_parts

_DOCID = re.compile(r"\bdocid\s*=\s*(\S+)")


def choose_engine(engine: str) -> str:
    """The parser to use, ``"c"`` or ``"python"``, for ``engine`` "auto", "c" or "python".

    "auto" reads ``$BOOSTRANK_LIBSVM_ENGINE`` and picks the compiled parser when it is built.
    """
    if engine == "auto":
        engine = os.environ.get(ENGINE_ENV, "auto").strip().lower() or "auto"
    if engine not in ("auto", "c", "python"):
        raise ValueError(f"engine must be 'auto', 'c' or 'python', got {engine!r}")
    if engine == "auto":
        return "c" if native_available() else "python"
    if engine == "c" and not native_available():
        raise ImportError("the compiled LibSVM parser is not built; reinstall boostrank with a C "
                          "compiler or use engine='python'")
    return engine


_choose_engine = choose_engine  # the former private name


def _check_width(name: str, value: Any, minimum: int) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, np.integer))
        or value < minimum or value > MAX_INDEX + 1
    ):
        raise ValueError(f"{name} must be None or an int in [{minimum}, {MAX_INDEX + 1}], "
                         f"got {value!r}")


def _check_options(dtype: Any, n_features: Any, max_features: Any, zero_based: Any,
                   sparse: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    _check_width("n_features", n_features, 0)
    _check_width("max_features", max_features, 1)
    if zero_based not in ("auto", True, False):
        raise ValueError(f"zero_based must be True, False or 'auto', got {zero_based!r}")
    if sparse not in ("auto", True, False):
        raise ValueError(f"sparse must be True, False or 'auto', got {sparse!r}")
    return dtype


def _docids(comments: list[str]) -> np.ndarray | None:
    if not any("docid" in c for c in comments):
        return None
    out = []
    for comment in comments:
        match = _DOCID.search(comment)
        out.append(match.group(1) if match else "")
    return np.asarray(out, dtype=str)


def _cast(X: Any, dtype: np.dtype, name: str, source_row: np.ndarray, allow_nan: bool) -> Any:
    """X as ``dtype`` (a float type the parser does not write natively), refusing overflow."""
    with np.errstate(over="ignore"):
        out = X.astype(dtype)
    if not allow_nan:
        before = X.data if sp.issparse(X) else X
        after = out.data if sp.issparse(out) else out
        bad = np.isfinite(before) & ~np.isfinite(after)
        if bad.any():
            flat = int(np.flatnonzero(bad.ravel())[0])
            row = (int(np.searchsorted(X.indptr, flat, side="right")) - 1 if sp.issparse(X)
                   else flat // max(X.shape[1], 1))
            raise LibSVMFormatError(name, int(source_row[row]),
                                    REASONS["value_overflow"].replace("the dtype", str(dtype)))
    return out


def _source(path: str | os.PathLike | IO[bytes]) -> tuple[str, Path | None,
                                                         Callable[[], Any]]:
    """``(name, file path or None, opener)``; the opener rewinds a file object each time."""
    if not hasattr(path, "read"):
        file_path = Path(os.fspath(path))
        if not file_path.is_file():
            raise FileNotFoundError(f"no such LibSVM file: {file_path}")
        return str(file_path), file_path, lambda: open_binary(file_path)
    handle = path
    name = str(getattr(handle, "name", "<file object>"))
    if not (hasattr(handle, "seekable") and handle.seekable()):
        handle = io.BytesIO(handle.read())
    start = handle.tell()

    @contextmanager
    def rewind() -> Any:
        handle.seek(start)
        skip_bom(handle)
        yield handle

    return name, None, rewind


def _query_ids(parsed: Parsed, name: str, file_path: Path | None,
               query_file: str | os.PathLike | None, n_rows: int) -> np.ndarray:
    """qid per row: the file's qid: tokens, else a sidecar's group sizes, else one query."""
    sidecar = Path(query_file) if query_file is not None else None
    if parsed.qid is not None:
        if sidecar is not None:
            raise ValueError(f"{name} has qid: tokens; do not also pass query_file={sidecar}")
        auto = find_sidecar(file_path) if file_path is not None else None
        if auto is not None:
            warnings.warn(f"{name} has qid: tokens; ignoring the sidecar {auto}", stacklevel=3)
        return parsed.qid
    if sidecar is None and file_path is not None:
        sidecar = find_sidecar(file_path)
    if sidecar is not None:
        sizes = read_group_sizes(sidecar, n_rows)
        return np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    warnings.warn(f"{name} has no qid: tokens and no .query/.group sidecar: all {n_rows} rows "
                  "form one query", stacklevel=3)
    return np.zeros(n_rows, dtype=np.int64)


def _positions(file_path: Path | None, position_file: str | os.PathLike | None,
               n_rows: int) -> np.ndarray | None:
    """Display positions per row (file order) from ``position_file`` or ``<file>.position``."""
    sidecar = Path(position_file) if position_file is not None else None
    if sidecar is None and file_path is not None:
        sidecar = find_sidecar(file_path, (POSITION_SUFFIX,))
    if sidecar is None:
        return None
    if not sidecar.is_file():
        raise FileNotFoundError(f"no such position file: {sidecar}")
    return read_positions(sidecar, n_rows)


def _row_columns(parsed: Parsed, position: np.ndarray | None) -> dict[str, Any]:
    comment = docid = None
    if parsed.comments is not None and any(parsed.comments):
        docid = _docids(parsed.comments)
        comment = np.asarray(parsed.comments, dtype=str)
    return {"docid": docid, "comment": comment, "source_row": parsed.source_row,
            "position": position}


def load_libsvm(
    path: str | os.PathLike | IO[bytes],
    *,
    query_file: str | os.PathLike | None = None,
    position_file: str | os.PathLike | None = None,
    dtype: Any = np.float32,
    n_features: int | None = None,
    max_features: int | None = DEFAULT_MAX_FEATURES,
    zero_based: bool | str = "auto",
    sparse: bool | str = "auto",
    keep_comments: bool = True,
    allow_nan: bool = False,
    engine: str = "auto",
) -> RankingData:
    """Read an SVMlight / LibSVM / LETOR ranking file into a `RankingData`.

    Each non-blank line is ``label [qid:Q] idx:value ... [# comment]`` (spaces or tabs, LF or
    CRLF; ``#`` starts a comment anywhere; comment-only lines are skipped; a UTF-8 byte-order
    mark at the start of the file is ignored).

    Parameters
    ----------
    path : file name (``.gz``/``.bz2``/``.xz`` are decompressed, detected by content) or a
        binary file object (read from its current position).
    query_file : LightGBM-style sidecar with one group size per line. Without it and without
        ``qid:`` tokens, ``<path>.query`` or ``<path>.group`` is used when present.
    position_file : LightGBM-style sidecar with one display position (int >= 1, the 1-based
        rank at which the document was shown) per row, in file order. Without it,
        ``<path>.position`` is used when present. Sets ``data.position``.
    dtype : float dtype of X (labels are always float64, qids int64).
    n_features : width of X; by default the largest index in the file sets it.
    max_features : without ``n_features``, the widest X the file may imply (default
        `DEFAULT_MAX_FEATURES`, 2**20 columns); a larger index is refused before anything
        is allocated. None accepts any width up to 2**31 - 1.
    zero_based : True, False or "auto" (scikit-learn's rule: one-based unless some index is 0).
    sparse : True (CSR), False (dense) or "auto" (CSR when fewer than `SPARSE_DENSITY` of the
        cells are written in the file). A dense X over 1 GiB that the file fills to less
        than 1/64 is refused.
    keep_comments : keep the text after ``#`` as ``comment`` and ``docid = X`` as ``docid``.
    allow_nan : accept NaN and infinite labels and values instead of raising.
    engine : "auto" (the C parser when built, unless ``$BOOSTRANK_LIBSVM_ENGINE`` says
        otherwise), "c" or "python".

    Returns
    -------
    RankingData with X (n_rows, n_features), y (n_rows,) float64, qid (n_rows,) int64,
    ``source_row`` (n_rows,) int64, the 1-based file line of each row, and ``position``
    (n_rows,) int64 or None. Rows whose qids are not contiguous are regrouped by qid, keeping
    file order inside each query (with a warning that says how many queries were split).

    Raises
    ------
    LibSVMFormatError (a ValueError) naming the file, the line and the offending token for a
    non-numeric label or value, a non-integer qid, ``idx:`` without a value, a repeated index
    in a line, an index below the base or beyond ``n_features`` / ``max_features``, rows with
    and rows without qid, NaN/inf (unless ``allow_nan``), a sidecar whose sizes or positions
    do not match the rows, a truncated or corrupt compressed file, or an empty file.
    """
    dtype = _check_options(dtype, n_features, max_features, zero_based, sparse)
    chosen = choose_engine(engine)
    name, file_path, opener = _source(path)
    options = ParseOptions(dtype=dtype, zero_based=zero_based, n_features=n_features,
                           max_features=max_features, sparse=sparse,
                           keep_comments=keep_comments, allow_nan=allow_nan)
    parsed = (parse_native if chosen == "c" else parse_python)(name, opener, options)
    X = parsed.X
    if X.dtype != dtype:
        X = _cast(X, dtype, name, parsed.source_row, allow_nan)
    n_rows = X.shape[0]
    qid = _query_ids(parsed, name, file_path, query_file, n_rows)
    columns = _row_columns(parsed, _positions(file_path, position_file, n_rows))
    y = parsed.y
    order, n_split = contiguous_order(qid)
    if order is not None:
        warnings.warn(f"{name}: {n_split} queries had their rows split over several places "
                      "in the file; rows were regrouped by qid, keeping file order inside each "
                      "query (see data.source_row)", stacklevel=2)
        X, y, qid = X[order], y[order], qid[order]
        columns = {k: None if v is None else v[order] for k, v in columns.items()}
    return RankingData(X, y, qid, source=name, **columns)
