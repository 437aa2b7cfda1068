"""Binding of the compiled LibSVM parser (``_libsvm_parser``): two passes over chunks.

The first pass counts rows, entries and the index range; the second converts the numbers
straight into arrays of their final size, so the peak memory is the returned arrays plus one
chunk. Each chunk is split over threads (``BOOSTRANK_LIBSVM_THREADS``, default: CPUs up to
4), which run without the GIL. The first pass first assumes ascending indices in each row
(entries = colons, the range from each row's first and last index); the second pass checks
that, and any surprise or error reruns the careful first pass, which names the offending token.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from . import textio
from .errors import LibSVMFormatError
from .libsvm_common import (
    Layout,
    Parsed,
    ParseOptions,
    empty_file_error,
    error_in_chunk,
    layout_detail,
    native_dtype,
    plan_layout,
)

try:  # the optional compiled parser (built by ``pip install`` when a C compiler exists)
    from . import _libsvm_parser as _C
except ImportError:  # pragma: no cover - depends on the build
    _C = None

__all__ = ["THREADS_ENV", "PART_MIN_BYTES", "native_available", "n_parts", "parse_native"]

#: environment variable with the number of parser threads (default: CPUs, at most 4)
THREADS_ENV = "BOOSTRANK_LIBSVM_THREADS"
#: a chunk is split over threads only in parts of at least this many bytes
PART_MIN_BYTES = 1 << 20


def native_available() -> bool:
    """True when the compiled parser is built and importable."""
    return _C is not None


def n_parts(n_bytes: int) -> int:
    """Threads for one chunk: `THREADS_ENV` or up to 4 CPUs, at least 1 MB of text each."""
    wanted = os.environ.get(THREADS_ENV, "").strip()
    threads = int(wanted) if wanted.isdigit() and int(wanted) > 0 else min(os.cpu_count() or 1, 4)
    return max(1, min(threads, n_bytes // PART_MIN_BYTES, 64))


class _Retry(Exception):
    """The fast first pass's assumption (ascending indices in every row) does not hold."""


@dataclass
class _Counts:
    """What the first pass learns: per-chunk plans and totals."""

    chunks: list[list[tuple[int, ...]]] = field(default_factory=list)
    n_rows: int = 0
    nnz: int = 0
    n_lines: int = 0
    n_commented: int = 0
    max_row_nnz: int = 0
    min_idx: int = 2**63 - 1
    max_idx: int = -1
    has_qid: bool | None = None


def _check_qid_mix(name: str, chunk: Any, counts: _Counts, first_qid: int,
                   first_noqid: int) -> None:
    """Raise when some rows have qid: tokens and others do not."""
    if first_qid < 0 and first_noqid < 0:
        return
    if counts.has_qid is None:
        counts.has_qid = first_noqid < 0 or (0 <= first_qid < first_noqid)
    if counts.has_qid and first_noqid >= 0:
        raise error_in_chunk(name, chunk, counts.n_lines, "no_qid", first_noqid)
    if not counts.has_qid and first_qid >= 0:
        raise error_in_chunk(name, chunk, counts.n_lines, "has_qid", first_qid)


def _count_pass(name: str, opener: Callable[[], IO[bytes]], fast: bool,
                allow_nan: bool) -> _Counts:
    counts = _Counts()
    with opener() as f:
        for chunk in textio.iter_chunks(f):
            try:
                parts = _C.count(chunk, allow_nan, n_parts(len(chunk)), fast)
            except _C.ParseError as exc:
                if fast:
                    raise _Retry from None
                raise error_in_chunk(name, chunk, counts.n_lines, *exc.args) from None
            first_qid = min((p[8] for p in parts if p[8] >= 0), default=-1)
            first_noqid = min((p[9] for p in parts if p[9] >= 0), default=-1)
            _check_qid_mix(name, chunk, counts, first_qid, first_noqid)
            counts.chunks.append([(p[0], p[1], p[2], p[4], p[3]) for p in parts])
            for (_, _, c_rows, c_nl, c_nnz, c_min, c_max, c_maxrow, _, _, c_com) in parts:
                counts.n_rows += c_rows
                counts.nnz += c_nnz
                counts.n_lines += c_nl
                counts.n_commented += c_com
                counts.max_row_nnz = max(counts.max_row_nnz, c_maxrow)
                counts.min_idx = min(counts.min_idx, c_min)
                counts.max_idx = max(counts.max_idx, c_max)
            del chunk
    return counts


@dataclass
class _Buffers:
    """The output arrays of the second pass, allocated once at their final size."""

    y: np.ndarray
    qid: np.ndarray
    source_row: np.ndarray
    dense: np.ndarray | None
    data: np.ndarray | None
    indices: np.ndarray | None
    indptr: np.ndarray | None
    comments: list[str] | None

    @classmethod
    def allocate(cls, counts: _Counts, layout: Layout, options: ParseOptions) -> _Buffers:
        n_rows, nnz, native = counts.n_rows, counts.nnz, native_dtype(options.dtype)
        sparse = layout.sparse
        return cls(
            y=np.empty(n_rows, dtype=np.float64),
            qid=np.zeros(n_rows, dtype=np.int64),
            source_row=np.empty(n_rows, dtype=np.int64),
            dense=None if sparse else np.zeros((n_rows, layout.n_features), dtype=native),
            data=np.empty(nnz, dtype=native) if sparse else None,
            indices=np.empty(nnz, dtype=np.int32) if sparse else None,
            indptr=np.zeros(n_rows + 1, dtype=np.int64) if sparse else None,
            comments=[] if options.keep_comments and counts.n_commented else None,
        )


def _chunk_parts(plan: list[tuple[int, ...]], row: int, pos: int,
                 line_base: int) -> tuple[list[tuple[int, ...]], int, int, int]:
    """The fill() parts of one chunk, and the rows, entries and lines it holds."""
    parts, rows, nnz, line = [], 0, 0, line_base
    for start, stop, c_rows, c_nnz, c_nl in plan:
        parts.append((start, stop, row + rows, pos + nnz, line, c_rows))
        rows += c_rows
        nnz += c_nnz
        line += c_nl
    return parts, rows, nnz, line


def _fill_pass(name: str, opener: Callable[[], IO[bytes]], fast: bool, counts: _Counts,
               layout: Layout, options: ParseOptions, out: _Buffers) -> None:
    row = pos = line_base = 0
    with opener() as f:
        for i, chunk in enumerate(textio.iter_chunks(f)):
            plan = counts.chunks[i] if i < len(counts.chunks) else []
            if not plan or plan[-1][1] != len(chunk):
                raise LibSVMFormatError(name, None, "the file changed while it was being read")
            parts, rows, nnz, next_line = _chunk_parts(plan, row, pos, line_base)
            try:
                got = _C.fill(chunk, parts, layout.base, layout.n_features, options.allow_nan,
                              counts.max_row_nnz, out.y, out.qid, out.source_row, out.dense,
                              out.data, out.indices, out.indptr, out.comments, fast)
            except _C.ParseError as exc:
                if fast:
                    raise _Retry from None
                code, offset = exc.args
                raise error_in_chunk(name, chunk, line_base, code, offset,
                                     layout_detail(code, layout)) from None
            if got != (rows, nnz):
                if fast:
                    raise _Retry
                raise LibSVMFormatError(name, None, "the file changed while it was being read")
            row, pos, line_base = row + rows, pos + nnz, next_line
            del chunk
    if row != counts.n_rows:
        raise LibSVMFormatError(name, None, "the file changed while it was being read")


def _parse_passes(name: str, opener: Callable[[], IO[bytes]], options: ParseOptions, *,
                  fast: bool) -> Parsed:
    import scipy.sparse as sp

    counts = _count_pass(name, opener, fast, options.allow_nan)
    if counts.n_rows == 0:
        raise empty_file_error(name, counts.n_lines)
    layout = plan_layout(name, opener, counts.n_rows, counts.nnz, counts.min_idx,
                         counts.max_idx, options)
    out = _Buffers.allocate(counts, layout, options)
    _fill_pass(name, opener, fast, counts, layout, options, out)
    if layout.sparse:
        indptr, indices = out.indptr, out.indices
        if counts.nnz < 2**31:
            indptr = indptr.astype(np.int32)
        else:
            indices = indices.astype(np.int64)
        X = sp.csr_matrix((out.data, indices, indptr), shape=(counts.n_rows, layout.n_features))
    else:
        X = out.dense
    return Parsed(X, out.y, out.qid if counts.has_qid else None, out.source_row,
                  out.comments, counts.n_lines)


def parse_native(name: str, opener: Callable[[], IO[bytes]], options: ParseOptions) -> Parsed:
    """Parse with the compiled extension (the fast first pass, else the careful one).

    Raises `LibSVMFormatError` naming the file, line and token of the first error.
    """
    if _C is None:
        raise ImportError("the compiled LibSVM parser is not built")
    try:
        return _parse_passes(name, opener, options, fast=True)
    except (_Retry, LibSVMFormatError):
        return _parse_passes(name, opener, options, fast=False)
