"""Read and write SVMlight / LibSVM / LETOR ranking text: ``label qid:Q idx:val ... # comment``.

`load_libsvm` returns a `RankingData`; `save_libsvm` writes one back so that loading what was
saved gives the same labels, qids, features (bit for bit in float64) and comments.

Parsing runs in two passes over line-aligned chunks of the (possibly compressed) file: the first
counts rows, entries and the index range; the second converts the numbers straight into arrays of
their final size, so the peak memory is the returned arrays plus one chunk (16 MB). Both passes
run in a small C extension (``_libsvm_parser``) when it is built, with one thread per part of a
chunk (``BOOSTRANK_LIBSVM_THREADS``, default: CPUs up to 4) and without the GIL. The first pass
first assumes what nearly every file does, ascending indices in each row (entries = colons, the
range from each row's first and last index); the second pass checks that, and any surprise or
error reruns the careful first pass, which validates every token and names the offending one.
A pure Python parser with the same grammar, values and errors is the fallback when the extension
is not built (``engine="python"`` or ``BOOSTRANK_LIBSVM_ENGINE=python`` force it).

Numbers follow ``[+-]? (digits [. digits] | . digits) ([eE] [+-]? digits)?`` or
``[+-]? (nan | inf | infinity)`` (any case); their values are exactly Python's ``float()``
(correctly rounded), so float64 data equals ``sklearn.datasets.load_svmlight_file``'s, and
float32 data is that float64 value rounded to float32 (as scikit-learn does).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from .ranking_data import RankingData, contiguous_order

try:  # the optional compiled parser (built by ``pip install`` when a C compiler exists)
    from . import _libsvm_parser as _C
except ImportError:  # pragma: no cover - depends on the build
    _C = None

__all__ = ["LibSVMFormatError", "load_libsvm", "save_libsvm", "read_group_sizes",
           "SPARSE_DENSITY", "ENGINE_ENV", "THREADS_ENV"]

#: environment variable choosing the parser: "auto" (C when built), "c" or "python"
ENGINE_ENV = "BOOSTRANK_LIBSVM_ENGINE"
#: environment variable with the number of parser threads (default: CPUs, at most 4)
THREADS_ENV = "BOOSTRANK_LIBSVM_THREADS"
#: ``sparse="auto"`` returns CSR when fewer than this fraction of the cells are written in the file
SPARSE_DENSITY = 0.25
#: bytes read per chunk (a chunk grows when a single line is longer)
CHUNK_BYTES = 16 << 20
#: a chunk is split over threads only in parts of at least this many bytes
PART_MIN_BYTES = 1 << 20
#: largest feature index accepted (indices are stored as int32)
MAX_INDEX = 2**31 - 2
#: the smallest float64 magnitude that rounds to infinity in float32
_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103

_SIDE_SUFFIXES = (".query", ".group")
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".lzma")
_SPACE = b" \t\r\x0b\x0c"
_NUMBER = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[nN][aA][nN]|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
)
_INDEX = re.compile(rb"[+-]?\d+")
_TOKEN = re.compile(rb"[^\s#]*")
_DOCID = re.compile(r"\bdocid\s*=\s*(\S+)")

_REASONS = {
    "label": "label is not a number",
    "label_nan": "label is NaN or infinite (pass allow_nan=True to accept it)",
    "qid": "qid: needs an integer value",
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


class LibSVMFormatError(ValueError):
    """Malformed LibSVM/SVMlight input; names the file, the 1-based line and the token.

    Attributes: ``path`` (str), ``line`` (int or None), ``reason`` (str), ``token`` (str or
    None).
    """

    def __init__(self, path: Any, line: int | None, reason: str, token: str | None = None):
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.token = token
        where = self.path if line is None else f"{self.path}, line {line}"
        message = f"{where}: {reason}"
        if token is not None:
            message += f" (token {token!r})"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.reason, self.token))


# ---------------------------------------------------------------------------- reading files
def _open_binary(path: str | os.PathLike) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip/bzip2/xz by their magic bytes."""
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")
    if head[:3] == b"BZh":
        return bz2.open(path, "rb")
    if head[:6] == b"\xfd7zXZ\x00" or str(path).endswith(".lzma"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def _iter_chunks(f: IO[bytes], chunk_bytes: int | None = None) -> Iterator[memoryview]:
    """Yield views of line-aligned chunks of ``f`` (each ends with a newline except the last).

    ``chunk_bytes`` defaults to `CHUNK_BYTES`. A view is valid only until the next chunk is
    requested.
    """
    size = int(CHUNK_BYTES if chunk_bytes is None else chunk_bytes)
    if isinstance(f, io.BufferedReader):  # a plain file: no bigger buffer than what is left
        try:
            size = min(size, os.fstat(f.fileno()).st_size - f.tell() + 1)
        except (OSError, ValueError):
            pass
    buf = bytearray(max(size, 1))
    view = memoryview(buf)
    fill = 0
    while True:
        eof = False
        while fill < len(buf):
            n = f.readinto(view[fill:])
            if not n:
                eof = True
                break
            fill += n
        if eof:
            if fill:
                yield view[:fill]
            return
        cut = buf.rfind(b"\n", 0, fill)
        if cut < 0:  # one line longer than the buffer: grow it
            bigger = bytearray(2 * len(buf))
            bigger[:fill] = view[:fill]
            buf, view = bigger, memoryview(bigger)
            continue
        yield view[: cut + 1]
        rest = fill - cut - 1
        buf[:rest] = buf[cut + 1 : fill]
        fill = rest


# ---------------------------------------------------------------------------- parsing results
@dataclass
class _Parsed:
    """Rows as read, in file order. X is dense (n_rows, n_features) or CSR."""

    X: Any
    y: np.ndarray
    qid: np.ndarray | None  # None when no row has a qid: token
    source_row: np.ndarray
    comments: list[str] | None
    n_lines: int


@dataclass
class _Layout:
    base: int
    n_features: int
    sparse: bool


def _decide_layout(
    n_rows: int, nnz: int, min_idx: int, max_idx: int, zero_based: Any, n_features: int | None,
    sparse: Any,
) -> _Layout:
    """Index base (scikit-learn's auto rule), width and dense/CSR choice."""
    if zero_based == "auto":
        base = 1 if nnz > 0 and min_idx > 0 else 0
    else:
        base = 0 if zero_based else 1
    width = max(max_idx - base + 1, 0) if nnz > 0 else 0
    if n_features is None:
        n_features = width
    cells = n_rows * n_features
    if sparse == "auto":
        use_sparse = cells > 0 and nnz < SPARSE_DENSITY * cells
    else:
        use_sparse = bool(sparse)
    return _Layout(base, int(n_features), use_sparse)


def _error_in_chunk(name: str, chunk: Any, line_base: int, code: str, offset: int,
                    detail: str = "") -> LibSVMFormatError:
    """The LibSVMFormatError for byte ``offset`` of ``chunk`` (whose first line is line_base+1)."""
    data = bytes(chunk[offset : offset + 4096])
    token = _TOKEN.match(data).group(0).decode("utf-8", "replace")
    line = line_base + bytes(chunk[:offset]).count(b"\n") + 1
    return LibSVMFormatError(name, line, _REASONS[code] + detail, token)


def _detail(code: str, layout: _Layout | None) -> str:
    if layout is None:
        return ""
    if code == "below_base":
        return f" ({'one' if layout.base else 'zero'}-based)"
    if code == "out_of_range":
        return f"={layout.n_features}"
    return ""


def _check_qid_mix(name: str, chunk: Any, line_base: int, state: list[Any], first_qid: int,
                   first_noqid: int) -> None:
    """Raise when some rows have qid: tokens and others do not; ``state[0]`` tracks the first."""
    if first_qid < 0 and first_noqid < 0:
        return
    if state[0] is None:
        state[0] = first_noqid < 0 or (0 <= first_qid < first_noqid)
    if state[0] and first_noqid >= 0:
        raise _error_in_chunk(name, chunk, line_base, "no_qid", first_noqid)
    if not state[0] and first_qid >= 0:
        raise _error_in_chunk(name, chunk, line_base, "has_qid", first_qid)


def _empty_file_error(name: str, n_lines: int) -> LibSVMFormatError:
    what = "the file is empty" if n_lines == 0 else f"all {n_lines} lines are blank or comments"
    return LibSVMFormatError(name, max(n_lines, 1), f"no data rows ({what})", "")


def _native_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype in (np.dtype(np.float32), np.dtype(np.float64)) else np.dtype(np.float64)


def _n_parts(n_bytes: int) -> int:
    """Threads for one chunk: `THREADS_ENV` or up to 4 CPUs, at least 1 MB of text each."""
    wanted = os.environ.get(THREADS_ENV, "").strip()
    threads = int(wanted) if wanted.isdigit() and int(wanted) > 0 else min(os.cpu_count() or 1, 4)
    return max(1, min(threads, n_bytes // PART_MIN_BYTES, 64))


class _Retry(Exception):
    """The fast first pass's assumption (ascending indices in every row) does not hold."""


def _parse_c(name: str, opener: Callable[[], IO[bytes]], **options: Any) -> _Parsed:
    """Two passes of the compiled parser over line-aligned chunks (threads within a chunk).

    The first try counts entries the fast way (rows with ascending indices); when that does
    not hold, or anything is wrong with the file, the careful count runs instead and names the
    offending line and token.
    """
    try:
        return _parse_c_passes(name, opener, fast=True, **options)
    except (_Retry, LibSVMFormatError):
        return _parse_c_passes(name, opener, fast=False, **options)


def _parse_c_passes(name: str, opener: Callable[[], IO[bytes]], *, fast: bool, dtype: np.dtype,
                    zero_based: Any, n_features: int | None, sparse: Any, keep_comments: bool,
                    allow_nan: bool) -> _Parsed:
    assert _C is not None
    chunks: list[list[tuple[int, ...]]] = []  # per chunk: (start, stop, rows, nnz, newlines)
    n_rows = nnz = n_lines = n_commented = max_row_nnz = 0
    min_idx, max_idx = 2**63 - 1, -1
    qid_state: list[Any] = [None]
    with opener() as f:
        for chunk in _iter_chunks(f):
            try:
                parts = _C.count(chunk, allow_nan, _n_parts(len(chunk)), fast)
            except _C.ParseError as exc:
                if fast:
                    raise _Retry from None
                raise _error_in_chunk(name, chunk, n_lines, *exc.args) from None
            first_qid = min((p[8] for p in parts if p[8] >= 0), default=-1)
            first_noqid = min((p[9] for p in parts if p[9] >= 0), default=-1)
            _check_qid_mix(name, chunk, n_lines, qid_state, first_qid, first_noqid)
            chunks.append([(p[0], p[1], p[2], p[4], p[3]) for p in parts])
            for (_, _, c_rows, c_nl, c_nnz, c_min, c_max, c_maxrow, _, _, c_com) in parts:
                n_rows += c_rows
                nnz += c_nnz
                n_lines += c_nl
                n_commented += c_com
                max_row_nnz = max(max_row_nnz, c_maxrow)
                min_idx, max_idx = min(min_idx, c_min), max(max_idx, c_max)
            del chunk
    if n_rows == 0:
        raise _empty_file_error(name, n_lines)
    layout = _decide_layout(n_rows, nnz, min_idx, max_idx, zero_based, n_features, sparse)
    native = _native_dtype(dtype)
    y = np.empty(n_rows, dtype=np.float64)
    qid = np.zeros(n_rows, dtype=np.int64)
    source_row = np.empty(n_rows, dtype=np.int64)
    Xd = data = indices = indptr = None
    if layout.sparse:
        data = np.empty(nnz, dtype=native)
        indices = np.empty(nnz, dtype=np.int32)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
    else:
        Xd = np.zeros((n_rows, layout.n_features), dtype=native)
    comments: list[str] | None = [] if keep_comments and n_commented else None
    row = pos = line_base = 0
    with opener() as f:
        for i, chunk in enumerate(_iter_chunks(f)):
            plan = chunks[i] if i < len(chunks) else []
            parts, line = [], line_base
            expected_rows = expected_nnz = 0
            for start, stop, c_rows, c_nnz, c_nl in plan:
                parts.append((start, stop, row + expected_rows, pos + expected_nnz, line, c_rows))
                expected_rows += c_rows
                expected_nnz += c_nnz
                line += c_nl
            if not plan or plan[-1][1] != len(chunk):
                raise LibSVMFormatError(name, None, "the file changed while it was being read")
            try:
                got = _C.fill(chunk, parts, layout.base, layout.n_features, allow_nan,
                              max_row_nnz, y, qid, source_row, Xd, data, indices, indptr,
                              comments, fast)
            except _C.ParseError as exc:
                if fast:
                    raise _Retry from None
                code, offset = exc.args
                raise _error_in_chunk(name, chunk, line_base, code, offset,
                                      _detail(code, layout)) from None
            if got != (expected_rows, expected_nnz):
                if fast:
                    raise _Retry
                raise LibSVMFormatError(name, None, "the file changed while it was being read")
            row, pos, line_base = row + expected_rows, pos + expected_nnz, line
            del chunk
    if layout.sparse:
        if nnz < 2**31:
            indptr = indptr.astype(np.int32)
        else:
            indices = indices.astype(np.int64)
        X = sp.csr_matrix((data, indices, indptr), shape=(n_rows, layout.n_features))
    else:
        X = Xd
    return _Parsed(X, y, qid if qid_state[0] else None, source_row, comments, n_lines)


def _parse_python(name: str, opener: Callable[[], IO[bytes]], *, dtype: np.dtype,
                  zero_based: Any, n_features: int | None, sparse: Any, keep_comments: bool,
                  allow_nan: bool) -> _Parsed:
    """Pure-Python parser: the same grammar, values and errors as the compiled one."""
    labels: list[float] = []
    qids: list[int] = []
    rows: list[int] = []
    comments: list[str] = []
    indptr: list[int] = [0]
    indices: list[int] = []
    values: list[float] = []
    has_qid: bool | None = None
    min_idx, max_idx = 2**63 - 1, -1
    fixed_base = None if zero_based == "auto" else (0 if zero_based else 1)
    check_f32 = _native_dtype(dtype) == np.float32 and not allow_nan
    # (line, token) of the first index equal to n_features: out of range only if zero-based
    edge: tuple[int, str] | None = None
    n_lines = 0

    def fail(lineno: int, code: str, token: bytes, detail: str = "") -> LibSVMFormatError:
        return LibSVMFormatError(name, lineno, _REASONS[code] + detail,
                                 token.decode("utf-8", "replace"))

    with opener() as f:
        for lineno, raw in enumerate(f, 1):
            n_lines = lineno if raw.endswith(b"\n") else lineno - 1
            line = raw[:-1] if raw.endswith(b"\n") else raw
            hash_at = line.find(b"#")
            body = line if hash_at < 0 else line[:hash_at]
            tokens = body.split()
            if not tokens:
                continue
            label = tokens[0]
            if not _NUMBER.fullmatch(label):
                raise fail(lineno, "label", label)
            label_value = float(label)
            if not allow_nan and not np.isfinite(label_value):
                raise fail(lineno, "label_nan", label)
            rest = tokens[1:]
            row_has_qid = bool(rest) and rest[0].startswith(b"qid:")
            if row_has_qid:
                qtok = rest[0]
                if not _INDEX.fullmatch(qtok[4:]) or not -(2**63) <= int(qtok[4:]) < 2**63:
                    raise fail(lineno, "qid", qtok)
                qids.append(int(qtok[4:]))
                rest = rest[1:]
            if has_qid is None:
                has_qid = row_has_qid
            elif has_qid != row_has_qid:
                where = tokens[1] if len(tokens) > 1 else b""
                raise fail(lineno, "has_qid" if row_has_qid else "no_qid", where)
            seen: set[int] = set()
            prev = -1
            for tok in rest:
                if tok.startswith(b"qid:"):
                    raise fail(lineno, "qid_position", tok)
                idx_s, colon, val = tok.partition(b":")
                if not colon or not _INDEX.fullmatch(idx_s):
                    raise fail(lineno, "index", tok)
                idx = int(idx_s)
                if idx < 0:
                    raise fail(lineno, "below_base", tok)
                if idx > MAX_INDEX:
                    raise fail(lineno, "index_too_large", tok)
                if not val:
                    raise fail(lineno, "no_value", tok)
                if not _NUMBER.fullmatch(val):
                    raise fail(lineno, "value", tok)
                value = float(val)
                if not allow_nan and not np.isfinite(value):
                    raise fail(lineno, "value_nan", tok)
                if check_f32 and abs(value) >= _FLOAT32_OVERFLOW:
                    raise fail(lineno, "value_overflow", tok)
                if fixed_base is not None and idx < fixed_base:
                    raise fail(lineno, "below_base",
                               tok, f" ({'one' if fixed_base else 'zero'}-based)")
                if n_features is not None:
                    limit = n_features + (fixed_base if fixed_base is not None else 1)
                    if idx >= limit:
                        raise fail(lineno, "out_of_range", tok, f"={n_features}")
                    if fixed_base is None and idx == n_features and edge is None:
                        edge = (lineno, tok.decode("utf-8", "replace"))
                if idx <= prev or seen:
                    if not seen:
                        seen.update(indices[indptr[-1]:])
                    if idx in seen:
                        raise fail(lineno, "duplicate", tok)
                    seen.add(idx)
                prev = idx
                indices.append(idx)
                values.append(value)
                min_idx, max_idx = min(min_idx, idx), max(max_idx, idx)
            indptr.append(len(indices))
            labels.append(label_value)
            rows.append(lineno)
            if keep_comments:
                comments.append(line[hash_at + 1 :].strip(_SPACE).decode("utf-8", "replace")
                                if hash_at >= 0 else "")
    if not labels:
        raise _empty_file_error(name, n_lines)
    n_rows = len(labels)
    layout = _decide_layout(n_rows, len(indices), min_idx, max_idx, zero_based, n_features,
                            sparse)
    if edge is not None and layout.base == 0:
        raise LibSVMFormatError(name, edge[0], _REASONS["out_of_range"] + f"={n_features}",
                                edge[1])
    ptr = np.asarray(indptr, dtype=np.int64)
    col = np.asarray(indices, dtype=np.int64) - layout.base
    val = np.asarray(values, dtype=np.float64).astype(_native_dtype(dtype))
    # sort each row's entries by column (stable); rows are already sorted in most files
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(ptr))
    order = np.lexsort((col, row_of))
    col, val = col[order], val[order]
    if layout.sparse:
        X = sp.csr_matrix((val, col.astype(np.int32), ptr.astype(np.int32)),
                          shape=(n_rows, layout.n_features))
    else:
        X = np.zeros((n_rows, layout.n_features), dtype=val.dtype)
        X[row_of, col] = val
    any_comment = keep_comments and any(comments)
    return _Parsed(X, np.asarray(labels, dtype=np.float64),
                   np.asarray(qids, dtype=np.int64) if has_qid else None,
                   np.asarray(rows, dtype=np.int64), comments if any_comment else None, n_lines)


# ---------------------------------------------------------------------------- sidecar files
def _find_sidecar(path: Path) -> Path | None:
    """``<file>.query`` or ``<file>.group`` (also next to the uncompressed name)."""
    names = [path.name]
    if path.suffix.lower() in _COMPRESSED_SUFFIXES:
        names.append(path.stem)
    for base in names:
        for suffix in _SIDE_SUFFIXES:
            candidate = path.with_name(base + suffix)
            if candidate.is_file():
                return candidate
    return None


def read_group_sizes(path: str | os.PathLike, n_rows: int | None = None) -> np.ndarray:
    """Group sizes (n_queries,) int64 from a LightGBM-style sidecar, one size per line.

    Blank lines are skipped. With ``n_rows``, the sizes must add up to exactly that.
    """
    sizes: list[int] = []
    total = 0
    last_line = 0
    with _open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            token = raw.strip()
            if not token:
                continue
            last_line = lineno
            text = token.decode("utf-8", "replace")
            if not re.fullmatch(rb"\+?\d+", token):
                raise LibSVMFormatError(path, lineno, "group size is not a non-negative integer",
                                        text)
            size = int(token)
            if size == 0:
                raise LibSVMFormatError(path, lineno, "group size is zero", text)
            total += size
            if n_rows is not None and total > n_rows:
                raise LibSVMFormatError(
                    path, lineno, f"group sizes add up to {total} so far, more than the "
                    f"{n_rows} rows of the data file", text)
            sizes.append(size)
    if not sizes:
        raise LibSVMFormatError(path, 1, "no group sizes (the file is empty)", "")
    if n_rows is not None and total != n_rows:
        raise LibSVMFormatError(
            path, last_line, f"group sizes add up to {total} but the data file has {n_rows} rows",
            str(sizes[-1]))
    return np.asarray(sizes, dtype=np.int64)


# ---------------------------------------------------------------------------- public reader
def _choose_engine(engine: str) -> str:
    if engine == "auto":
        engine = os.environ.get(ENGINE_ENV, "auto").strip().lower() or "auto"
    if engine not in ("auto", "c", "python"):
        raise ValueError(f"engine must be 'auto', 'c' or 'python', got {engine!r}")
    if engine == "auto":
        return "c" if _C is not None else "python"
    if engine == "c" and _C is None:
        raise ImportError("the compiled LibSVM parser is not built; reinstall boostrank with a C "
                          "compiler or use engine='python'")
    return engine


def _check_options(dtype: Any, n_features: Any, zero_based: Any, sparse: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    if n_features is not None and (
        isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer))
        or n_features < 0 or n_features > MAX_INDEX + 1
    ):
        raise ValueError(f"n_features must be None or an int in [0, {MAX_INDEX + 1}], "
                         f"got {n_features!r}")
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
                                    _REASONS["value_overflow"].replace("the dtype", str(dtype)))
    return out


def load_libsvm(
    path: str | os.PathLike | IO[bytes],
    *,
    query_file: str | os.PathLike | None = None,
    dtype: Any = np.float32,
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    sparse: bool | str = "auto",
    keep_comments: bool = True,
    allow_nan: bool = False,
    engine: str = "auto",
) -> RankingData:
    """Read an SVMlight / LibSVM / LETOR ranking file into a `RankingData`.

    Each non-blank line is ``label [qid:Q] idx:value ... [# comment]`` (spaces or tabs, LF or
    CRLF; ``#`` starts a comment anywhere; comment-only lines are skipped).

    Parameters
    ----------
    path : file name (``.gz``/``.bz2``/``.xz`` are decompressed, detected by content) or a
        binary file object (read from its current position).
    query_file : LightGBM-style sidecar with one group size per line. Without it and without
        ``qid:`` tokens, ``<path>.query`` or ``<path>.group`` is used when present.
    dtype : float dtype of X (labels are always float64, qids int64).
    n_features : width of X; by default the largest index in the file sets it.
    zero_based : True, False or "auto" (scikit-learn's rule: one-based unless some index is 0).
    sparse : True (CSR), False (dense) or "auto" (CSR when fewer than `SPARSE_DENSITY` of the
        cells are written in the file).
    keep_comments : keep the text after ``#`` as ``comment`` and ``docid = X`` as ``docid``.
    allow_nan : accept NaN and infinite labels and values instead of raising.
    engine : "auto" (the C parser when built, unless ``$BOOSTRANK_LIBSVM_ENGINE`` says
        otherwise), "c" or "python".

    Returns
    -------
    RankingData with X (n_rows, n_features), y (n_rows,) float64, qid (n_rows,) int64 and
    ``source_row`` (n_rows,) int64, the 1-based file line of each row. Rows whose qids are not
    contiguous are regrouped by qid, keeping file order inside each query (with a warning that
    says how many queries were split).

    Raises
    ------
    LibSVMFormatError (a ValueError) naming the file, the line and the offending token for a
    non-numeric label or value, ``idx:`` without a value, a repeated index in a line, an index
    below the base or beyond ``n_features``, rows with and rows without qid, NaN/inf (unless
    ``allow_nan``), a sidecar whose sizes do not add up to the row count, or an empty file.
    """
    dtype = _check_options(dtype, n_features, zero_based, sparse)
    chosen = _choose_engine(engine)
    file_path: Path | None = None
    if hasattr(path, "read"):
        handle = path
        name = str(getattr(handle, "name", "<file object>"))
        if not (hasattr(handle, "seekable") and handle.seekable()):
            handle = io.BytesIO(handle.read())
        start = handle.tell()

        class _Rewind:
            def __enter__(self) -> IO[bytes]:
                handle.seek(start)
                return handle

            def __exit__(self, *exc: Any) -> None:
                return None

        def opener() -> Any:
            return _Rewind()
    else:
        file_path = Path(os.fspath(path))
        if not file_path.is_file():
            raise FileNotFoundError(f"no such LibSVM file: {file_path}")
        name = str(file_path)

        def opener() -> Any:
            return _open_binary(file_path)

    parse = _parse_c if chosen == "c" else _parse_python
    parsed = parse(name, opener, dtype=dtype, zero_based=zero_based, n_features=n_features,
                   sparse=sparse, keep_comments=keep_comments, allow_nan=allow_nan)
    X = parsed.X
    if X.dtype != dtype:
        X = _cast(X, dtype, name, parsed.source_row, allow_nan)
    n_rows = X.shape[0]

    qid = parsed.qid
    sidecar = Path(query_file) if query_file is not None else None
    if qid is not None:
        if sidecar is not None:
            raise ValueError(f"{name} has qid: tokens; do not also pass query_file={sidecar}")
        auto = _find_sidecar(file_path) if file_path is not None else None
        if auto is not None:
            warnings.warn(f"{name} has qid: tokens; ignoring the sidecar {auto}", stacklevel=2)
    else:
        if sidecar is None and file_path is not None:
            sidecar = _find_sidecar(file_path)
        if sidecar is not None:
            sizes = read_group_sizes(sidecar, n_rows)
            qid = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
        else:
            warnings.warn(f"{name} has no qid: tokens and no .query/.group sidecar: all "
                          f"{n_rows} rows form one query", stacklevel=2)
            qid = np.zeros(n_rows, dtype=np.int64)

    comment = docid = None
    if parsed.comments is not None and any(parsed.comments):
        docid = _docids(parsed.comments)
        comment = np.asarray(parsed.comments, dtype=str)
    y, source_row = parsed.y, parsed.source_row
    order, n_split = contiguous_order(qid)
    if order is not None:
        warnings.warn(f"{name}: {n_split} queries had their rows split over several places "
                      "in the file; rows were regrouped by qid, keeping file order inside each "
                      "query (see data.source_row)", stacklevel=2)
        X = X[order]
        y, qid, source_row = y[order], qid[order], source_row[order]
        comment = None if comment is None else comment[order]
        docid = None if docid is None else docid[order]
    return RankingData(X, y, qid, docid=docid, comment=comment, source=name,
                       source_row=source_row)


# ---------------------------------------------------------------------------- writer
def _format_float64(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of float64 values ('3' rather than '3.0')."""
    out = [repr(v) for v in values.tolist()]
    return [s[:-2] if s.endswith(".0") else s for s in out]


def _format_float32(values: np.ndarray) -> list[str]:
    """Shortest text whose float64 parse rounds back to the same float32 value."""
    out = [str(v) for v in values]
    out = [s[:-2] if s.endswith(".0") else s for s in out]
    if out:
        back = np.asarray(out, dtype=np.float64).astype(np.float32)
        bad = np.flatnonzero((back.view(np.uint32) != values.view(np.uint32))
                             & ~(np.isnan(back) & np.isnan(values)))
        for i in bad.tolist():  # a double rounding case: 9 digits always round-trip
            out[i] = f"{float(values[i]):.9g}"
    return out


def _format_values(values: np.ndarray) -> list[str]:
    if values.dtype == np.float32:
        return _format_float32(values)
    return _format_float64(np.asarray(values, dtype=np.float64))


def _open_text_for_write(path: Path) -> IO[str]:
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")
    if suffix == ".bz2":
        return bz2.open(path, "wt", encoding="utf-8", newline="\n")
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "wt", encoding="utf-8", newline="\n")
    return open(path, "w", encoding="utf-8", newline="\n")


def save_libsvm(
    data: RankingData,
    path: str | os.PathLike,
    *,
    zero_based: bool = False,
    comments: bool = True,
    rows_per_block: int = 4096,
) -> Path:
    """Write ``data`` as ``label qid:Q idx:value ... #comment`` lines (file order = data order).

    Values are written in the shortest form that reads back to the same number (float64 bit
    for bit; float32 data reads back to the same float32). Dense X writes every cell, CSR X its
    stored entries. Comments come from ``data.comment`` or else ``docid = X`` from
    ``data.docid`` (``comments=False`` writes none). Indices are one-based unless
    ``zero_based``. A ``.gz``/``.bz2``/``.xz`` suffix compresses. Trailing CSR columns with no
    stored entry are not visible in the text: reload with ``n_features=``.

    Returns the path written.
    """
    if not isinstance(data, RankingData):
        raise TypeError(f"save_libsvm needs a RankingData, got {type(data).__name__}")
    path = Path(path)
    X = data.X
    if not sp.issparse(X):
        X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"X has dtype {X.dtype}; save_libsvm writes numbers only")
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    offset = 0 if zero_based else 1
    names = [f"{j + offset}:" for j in range(X.shape[1])]
    text_comments = None
    if comments and data.comment is not None:
        text_comments = [str(c) for c in data.comment.tolist()]
    elif comments and data.docid is not None:
        text_comments = [f"docid = {d}" if str(d) else "" for d in data.docid.tolist()]
    if text_comments is not None:
        text_comments = [" #" + c.replace("\r", " ").replace("\n", " ") if c else ""
                         for c in text_comments]
    labels = _format_float64(data.y)
    qids = data.qid.tolist()
    csr = sp.csr_matrix(X) if sp.issparse(X) else None
    if csr is not None and not csr.has_sorted_indices:
        csr = csr.sorted_indices()
    with _open_text_for_write(path) as out:
        for start in range(0, data.n_rows, rows_per_block):
            stop = min(start + rows_per_block, data.n_rows)
            if csr is not None:
                lo, hi = csr.indptr[start], csr.indptr[stop]
                strs = _format_values(csr.data[lo:hi])
                cols = csr.indices[lo:hi].tolist()
                ptr = (csr.indptr[start : stop + 1] - lo).tolist()
                feats = [" ".join([names[cols[k]] + strs[k] for k in range(ptr[r], ptr[r + 1])])
                         for r in range(stop - start)]
            else:
                width = X.shape[1]
                strs = _format_values(np.ascontiguousarray(X[start:stop]).ravel())
                feats = [" ".join([n + s for n, s in zip(names, strs[r * width:(r + 1) * width],
                                                          strict=True)])
                         for r in range(stop - start)]
            lines = []
            for r in range(stop - start):
                i = start + r
                line = f"{labels[i]} qid:{qids[i]}"
                if feats[r]:
                    line += " " + feats[r]
                if text_comments is not None:
                    line += text_comments[i]
                lines.append(line + "\n")
            out.write("".join(lines))
    return path
