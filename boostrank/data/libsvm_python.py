"""Pure-Python LibSVM parser: the same grammar, values and errors as the compiled one.

The fallback when the extension is not built (or ``engine="python"``). It keeps every entry
in Python lists, so it is slower and needs more memory than the compiled parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from .errors import LibSVMFormatError
from .libsvm_common import (
    INDEX,
    MAX_INDEX,
    NUMBER,
    REASONS,
    Parsed,
    ParseOptions,
    empty_file_error,
    native_dtype,
    plan_layout,
)

__all__ = ["parse_python"]

_SPACE = b" \t\r\x0b\x0c"
#: the smallest float64 magnitude that rounds to infinity in float32
_FLOAT32_OVERFLOW = 2.0**128 - 2.0**103


class _Reader:
    """Accumulates the rows of one file, line by line, checking every token."""

    def __init__(self, name: str, options: ParseOptions):
        self.name = name
        self.options = options
        self.labels: list[float] = []
        self.qids: list[int] = []
        self.rows: list[int] = []
        self.comments: list[str] = []
        self.indptr: list[int] = [0]
        self.indices: list[int] = []
        self.values: list[float] = []
        self.has_qid: bool | None = None
        self.min_idx, self.max_idx = 2**63 - 1, -1
        zero_based = options.zero_based
        self.fixed_base = None if zero_based == "auto" else (0 if zero_based else 1)
        self.check_f32 = native_dtype(options.dtype) == np.float32 and not options.allow_nan
        # (line, token) of the first index equal to n_features: out of range only if zero-based
        self.edge: tuple[int, str] | None = None

    def fail(self, lineno: int, code: str, token: bytes, detail: str = "") -> LibSVMFormatError:
        return LibSVMFormatError(self.name, lineno, REASONS[code] + detail,
                                 token.decode("utf-8", "replace"))

    def number(self, lineno: int, text: bytes, token: bytes, code: str) -> float:
        if not NUMBER.fullmatch(text):
            raise self.fail(lineno, code, token)
        value = float(text)
        if not self.options.allow_nan and not np.isfinite(value):
            raise self.fail(lineno, code + "_nan", token)
        return value

    def line(self, lineno: int, raw: bytes) -> None:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        hash_at = line.find(b"#")
        tokens = (line if hash_at < 0 else line[:hash_at]).split()
        if not tokens:
            return
        label = self.number(lineno, tokens[0], tokens[0], "label")
        rest = tokens[1:]
        row_has_qid = bool(rest) and rest[0].startswith(b"qid:")
        if row_has_qid:
            qtok = rest[0]
            if not INDEX.fullmatch(qtok[4:]) or not -(2**63) <= int(qtok[4:]) < 2**63:
                raise self.fail(lineno, "qid", qtok)
            self.qids.append(int(qtok[4:]))
            rest = rest[1:]
        if self.has_qid is None:
            self.has_qid = row_has_qid
        elif self.has_qid != row_has_qid:
            where = tokens[1] if len(tokens) > 1 else b""
            raise self.fail(lineno, "has_qid" if row_has_qid else "no_qid", where)
        self.features(lineno, rest)
        self.indptr.append(len(self.indices))
        self.labels.append(label)
        self.rows.append(lineno)
        if self.options.keep_comments:
            self.comments.append(line[hash_at + 1 :].strip(_SPACE).decode("utf-8", "replace")
                                 if hash_at >= 0 else "")

    def index(self, lineno: int, tok: bytes) -> tuple[int, bytes]:
        idx_s, colon, val = tok.partition(b":")
        if not colon or not INDEX.fullmatch(idx_s):
            raise self.fail(lineno, "index", tok)
        idx = int(idx_s)
        if idx < 0:
            raise self.fail(lineno, "below_base", tok)
        if idx > MAX_INDEX:
            raise self.fail(lineno, "index_too_large", tok)
        if not val:
            raise self.fail(lineno, "no_value", tok)
        return idx, val

    def check_range(self, lineno: int, idx: int, tok: bytes) -> None:
        base, n_features = self.fixed_base, self.options.n_features
        if base is not None and idx < base:
            raise self.fail(lineno, "below_base", tok, f" ({'one' if base else 'zero'}-based)")
        if n_features is not None:
            if idx >= n_features + (base if base is not None else 1):
                raise self.fail(lineno, "out_of_range", tok, f"={n_features}")
            if base is None and idx == n_features and self.edge is None:
                self.edge = (lineno, tok.decode("utf-8", "replace"))

    def features(self, lineno: int, tokens: list[bytes]) -> None:
        seen: set[int] = set()
        prev = -1
        for tok in tokens:
            if tok.startswith(b"qid:"):
                raise self.fail(lineno, "qid_position", tok)
            idx, val = self.index(lineno, tok)
            value = self.number(lineno, val, tok, "value")
            if self.check_f32 and abs(value) >= _FLOAT32_OVERFLOW:
                raise self.fail(lineno, "value_overflow", tok)
            self.check_range(lineno, idx, tok)
            if idx <= prev or seen:
                if not seen:
                    seen.update(self.indices[self.indptr[-1]:])
                if idx in seen:
                    raise self.fail(lineno, "duplicate", tok)
                seen.add(idx)
            prev = idx
            self.indices.append(idx)
            self.values.append(value)
            self.min_idx, self.max_idx = min(self.min_idx, idx), max(self.max_idx, idx)


def _assemble(reader: _Reader, opener: Callable[[], IO[bytes]], n_lines: int) -> Parsed:
    """Arrays of their final layout from what the reader accumulated."""
    options, name = reader.options, reader.name
    n_rows = len(reader.labels)
    layout = plan_layout(name, opener, n_rows, len(reader.indices), reader.min_idx,
                         reader.max_idx, options)
    if reader.edge is not None and layout.base == 0:
        raise LibSVMFormatError(name, reader.edge[0],
                                REASONS["out_of_range"] + f"={options.n_features}",
                                reader.edge[1])
    ptr = np.asarray(reader.indptr, dtype=np.int64)
    col = np.asarray(reader.indices, dtype=np.int64) - layout.base
    val = np.asarray(reader.values, dtype=np.float64).astype(native_dtype(options.dtype))
    # sort each row's entries by column (stable); rows are already sorted in most files
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(ptr))
    order = np.lexsort((col, row_of))
    col, val = col[order], val[order]
    if layout.sparse:
        X: Any = sp.csr_matrix((val, col.astype(np.int32), ptr.astype(np.int32)),
                               shape=(n_rows, layout.n_features))
    else:
        X = np.zeros((n_rows, layout.n_features), dtype=val.dtype)
        X[row_of, col] = val
    any_comment = options.keep_comments and any(reader.comments)
    return Parsed(X, np.asarray(reader.labels, dtype=np.float64),
                  np.asarray(reader.qids, dtype=np.int64) if reader.has_qid else None,
                  np.asarray(reader.rows, dtype=np.int64),
                  reader.comments if any_comment else None, n_lines)


def parse_python(name: str, opener: Callable[[], IO[bytes]], options: ParseOptions) -> Parsed:
    """Parse line by line in Python; raises `LibSVMFormatError` naming file, line and token."""
    reader = _Reader(name, options)
    n_lines = 0
    with opener() as f:
        for lineno, raw in enumerate(f, 1):
            n_lines = lineno if raw.endswith(b"\n") else lineno - 1
            reader.line(lineno, raw)
    if not reader.labels:
        raise empty_file_error(name, n_lines)
    return _assemble(reader, opener, n_lines)
