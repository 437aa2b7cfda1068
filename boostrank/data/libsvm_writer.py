"""Write a `RankingData` as SVMlight / LibSVM / LETOR text (and its ``.position`` sidecar)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .ranking_data import RankingData
from .sidecars import POSITION_SUFFIX, write_positions
from .textio import open_text_for_write

__all__ = ["save_libsvm", "format_float64", "format_float32"]


def format_float64(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of float64 values ('3' rather than '3.0')."""
    out = [repr(v) for v in values.tolist()]
    return [s[:-2] if s.endswith(".0") else s for s in out]


def format_float32(values: np.ndarray) -> list[str]:
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
        return format_float32(values)
    return format_float64(np.asarray(values, dtype=np.float64))


def _comment_suffixes(data: RankingData, comments: bool) -> list[str] | None:
    """`` #text`` per row (or "") from ``data.comment``, else ``docid = X``; None for none."""
    if not comments:
        return None
    if data.comment is not None:
        texts = [str(c) for c in data.comment.tolist()]
    elif data.docid is not None:
        texts = [f"docid = {d}" if str(d) else "" for d in data.docid.tolist()]
    else:
        return None
    return [" #" + c.replace("\r", " ").replace("\n", " ") if c else "" for c in texts]


def _feature_text(X: Any, csr: sp.csr_matrix | None, names: list[str], start: int,
                  stop: int) -> list[str]:
    """``idx:value ...`` of rows ``start:stop`` (dense: every cell; CSR: stored entries)."""
    if csr is not None:
        lo, hi = csr.indptr[start], csr.indptr[stop]
        strs = _format_values(csr.data[lo:hi])
        cols = csr.indices[lo:hi].tolist()
        ptr = (csr.indptr[start : stop + 1] - lo).tolist()
        return [" ".join([names[cols[k]] + strs[k] for k in range(ptr[r], ptr[r + 1])])
                for r in range(stop - start)]
    width = X.shape[1]
    strs = _format_values(np.ascontiguousarray(X[start:stop]).ravel())
    return [" ".join([n + s for n, s in zip(names, strs[r * width:(r + 1) * width],
                                             strict=True)])
            for r in range(stop - start)]


def _numeric_X(data: RankingData) -> Any:
    X = data.X if sp.issparse(data.X) else np.asarray(data.X)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"X has dtype {X.dtype}; save_libsvm writes numbers only")
    return X if X.dtype.kind == "f" else X.astype(np.float64)


def position_sidecar(path: Path) -> Path:
    """The ``.position`` sidecar that goes with data file ``path``."""
    return path.with_name(path.name + POSITION_SUFFIX)


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

    ``data.position``, when set, is written to the LightGBM-style sidecar
    ``<path>.position`` (one integer per row), which `load_libsvm` picks up; when it is not
    set, a stale ``<path>.position`` from an earlier save is removed so that reloading gives
    back ``data``.

    Returns the path written.
    """
    if not isinstance(data, RankingData):
        raise TypeError(f"save_libsvm needs a RankingData, got {type(data).__name__}")
    path = Path(path)
    X = _numeric_X(data)
    offset = 0 if zero_based else 1
    names = [f"{j + offset}:" for j in range(X.shape[1])]
    suffixes = _comment_suffixes(data, comments)
    labels = format_float64(data.y)
    qids = data.qid.tolist()
    csr = sp.csr_matrix(X) if sp.issparse(X) else None
    if csr is not None and not csr.has_sorted_indices:
        csr = csr.sorted_indices()
    with open_text_for_write(path) as out:
        for start in range(0, data.n_rows, rows_per_block):
            stop = min(start + rows_per_block, data.n_rows)
            feats = _feature_text(X, csr, names, start, stop)
            lines = []
            for r, i in enumerate(range(start, stop)):
                line = f"{labels[i]} qid:{qids[i]}"
                if feats[r]:
                    line += " " + feats[r]
                if suffixes is not None:
                    line += suffixes[i]
                lines.append(line + "\n")
            out.write("".join(lines))
    sidecar = position_sidecar(path)
    if data.position is not None:
        write_positions(sidecar, data.position)
    elif sidecar.is_file():
        sidecar.unlink()
    return path
