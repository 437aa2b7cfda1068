"""`RankingData`: the one object that carries a ranking dataset through the toolkit.

Rows of one query are contiguous; ``group_offsets`` (int64, ``n_queries + 1``) is the canonical
description of the groups, ``group_sizes`` and the per-query ids derive from it.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ArrayLike = Any

CACHE_FORMAT = "boostrank-cache"
CACHE_VERSION = 1


@dataclass(frozen=True)
class Query:
    """One query of a `RankingData`: views into its arrays (no copy for dense X).

    ``X``: (n_docs, n_features); ``y``: (n_docs,) float64; ``rows``: the slice of the parent.
    """

    qid: int
    X: Any
    y: np.ndarray
    rows: slice


def _group_offsets_from_sizes(sizes: ArrayLike) -> np.ndarray:
    sizes = np.asarray(sizes, dtype=np.int64).ravel()
    if sizes.size and sizes.min() < 0:
        raise ValueError("group sizes must be non-negative")
    offsets = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def group_offsets_from_qid(qid: np.ndarray) -> np.ndarray:
    """Offsets (n_queries + 1,) of the runs of equal qid in ``qid`` (assumed contiguous)."""
    qid = np.asarray(qid)
    if qid.size == 0:
        return np.zeros(1, dtype=np.int64)
    starts = np.flatnonzero(qid[1:] != qid[:-1]) + 1
    return np.concatenate(([0], starts, [qid.size])).astype(np.int64)


def contiguous_order(qid: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Stable row order that makes equal qids contiguous, keeping first-appearance order.

    Returns ``(order, n_split)``: ``order`` is None when the rows are already contiguous;
    ``n_split`` counts the queries whose rows were spread over several runs.
    """
    qid = np.asarray(qid)
    if qid.size == 0:
        return None, 0
    offsets = group_offsets_from_qid(qid)
    run_ids = qid[offsets[:-1]]
    uniq, first_run, counts = np.unique(run_ids, return_index=True, return_counts=True)
    if uniq.size == run_ids.size:
        return None, 0
    n_split = int(np.count_nonzero(counts > 1))
    # rank queries by first appearance, then sort rows stably by that rank
    _, inverse = np.unique(qid, return_inverse=True)
    appearance_rank = np.empty(uniq.size, dtype=np.int64)
    appearance_rank[np.argsort(first_run, kind="stable")] = np.arange(uniq.size)
    order = np.argsort(appearance_rank[inverse], kind="stable")
    return order, n_split


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    if sp.issparse(X):
        return X[rows]
    return np.asarray(X)[rows]


class RankingData:
    """A ranking dataset: features, graded labels and query groups.

    Attributes
    ----------
    X : ndarray (n_rows, n_features) float32/float64, or ``scipy.sparse.csr_matrix``.
    y : ndarray (n_rows,) float64 graded relevance labels.
    qid : ndarray (n_rows,) int64; rows of one query are contiguous.
    group_offsets : ndarray (n_queries + 1,) int64; query ``i`` is rows
        ``group_offsets[i]:group_offsets[i+1]``.
    docid, comment : optional ndarray (n_rows,) of str (from ``#docid = ...`` comments).
    feature_names : optional list of str (n_features,).
    source : optional str, where the data came from (a path).
    source_row : optional ndarray (n_rows,) int64, the 1-based line number in ``source`` of each
        row (rows may be regrouped by qid, so this maps back to the file).
    """

    def __init__(
        self,
        X: Any,
        y: ArrayLike,
        qid: ArrayLike | None = None,
        *,
        group_offsets: ArrayLike | None = None,
        docid: ArrayLike | None = None,
        comment: ArrayLike | None = None,
        feature_names: Sequence[str] | None = None,
        source: str | None = None,
        source_row: ArrayLike | None = None,
    ) -> None:
        if sp.issparse(X):
            X = sp.csr_matrix(X) if not isinstance(X, sp.csr_matrix) else X
        else:
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D (n_rows, n_features), got shape {X.shape}")
        n_rows = X.shape[0]
        y = np.asarray(y, dtype=np.float64).ravel()
        if y.shape[0] != n_rows:
            raise ValueError(f"y has {y.shape[0]} rows but X has {n_rows}")
        if qid is None and group_offsets is None:
            raise ValueError("give qid (per row) or group_offsets")
        if group_offsets is not None:
            group_offsets = np.asarray(group_offsets, dtype=np.int64).ravel()
            if group_offsets.size == 0 or group_offsets[0] != 0 or group_offsets[-1] != n_rows:
                raise ValueError(
                    f"group_offsets must start at 0 and end at n_rows={n_rows}, "
                    f"got {group_offsets[:1]}..{group_offsets[-1:]}"
                )
            if np.any(np.diff(group_offsets) < 0):
                raise ValueError("group_offsets must be non-decreasing")
        if qid is None:
            qid = np.repeat(
                np.arange(group_offsets.size - 1, dtype=np.int64), np.diff(group_offsets)
            )
        else:
            qid = np.asarray(qid).ravel()
            if qid.shape[0] != n_rows:
                raise ValueError(f"qid has {qid.shape[0]} rows but X has {n_rows}")
            qid = qid.astype(np.int64, copy=False)
            if group_offsets is None:
                group_offsets = group_offsets_from_qid(qid)
                if np.unique(qid[group_offsets[:-1]]).size != group_offsets.size - 1:
                    raise ValueError(
                        "rows of a query must be contiguous; use RankingData.from_arrays(), "
                        "which regroups them"
                    )
        self.X = X
        self.y = y
        self.qid = qid
        self.group_offsets = group_offsets
        self.docid = None if docid is None else np.asarray(docid)
        self.comment = None if comment is None else np.asarray(comment)
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        if self.feature_names is not None and len(self.feature_names) != X.shape[1]:
            raise ValueError(
                f"{len(self.feature_names)} feature names for {X.shape[1]} features"
            )
        self.source = None if source is None else str(source)
        self.source_row = None if source_row is None else np.asarray(source_row, dtype=np.int64)
        for name in ("docid", "comment", "source_row"):
            column = getattr(self, name)
            if column is not None and column.shape[0] != n_rows:
                raise ValueError(f"{name} has {column.shape[0]} rows but X has {n_rows}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        X: Any,
        y: ArrayLike,
        qid: ArrayLike | None = None,
        *,
        group: ArrayLike | None = None,
        warn: bool = True,
        **extra: Any,
    ) -> RankingData:
        """Build from arrays, regrouping rows whose qids are not contiguous (stable).

        ``group`` is LightGBM-style group sizes (n_queries,) as an alternative to ``qid``.
        ``extra`` holds per-row columns (``docid``, ``comment``, ``source_row``) and metadata
        (``feature_names``, ``source``). Use `from_arrays_with_order` to also get the row order.
        """
        data, _ = cls.from_arrays_with_order(X, y, qid, group=group, warn=warn, **extra)
        return data

    @classmethod
    def from_arrays_with_order(
        cls,
        X: Any,
        y: ArrayLike,
        qid: ArrayLike | None = None,
        *,
        group: ArrayLike | None = None,
        warn: bool = True,
        **extra: Any,
    ) -> tuple[RankingData, np.ndarray | None]:
        """Like `from_arrays`, also returning the row order applied (None when unchanged).

        ``data.X == X[order]``; predictions on ``data`` go back to the caller's order with
        ``out[order] = pred``.
        """
        if qid is not None and group is not None:
            raise ValueError("give either qid or group, not both")
        if qid is None and group is None:
            raise ValueError("ranking data needs query ids: pass qid= (per row) or group= (sizes)")
        n_rows = X.shape[0]
        if group is not None:
            offsets = _group_offsets_from_sizes(group)
            if offsets[-1] != n_rows:
                raise ValueError(f"group sizes sum to {offsets[-1]} but there are {n_rows} rows")
            return cls(X, y, None, group_offsets=offsets, **extra), None
        qid = np.asarray(qid).ravel()
        if qid.shape[0] != n_rows:
            raise ValueError(f"qid has {qid.shape[0]} rows but X has {n_rows}")
        if not np.issubdtype(qid.dtype, np.integer):
            as_int = qid.astype(np.int64)
            if not np.array_equal(as_int, qid):
                raise ValueError("qid must hold integers")
            qid = as_int
        order, n_split = contiguous_order(qid)
        if order is None:
            return cls(X, y, qid, **extra), None
        if warn:
            warnings.warn(
                f"{n_split} queries had rows that were not contiguous; rows were regrouped by "
                "qid keeping their order inside each query",
                stacklevel=3,
            )
        y = np.asarray(y)[order]
        per_row = {k: (None if v is None else np.asarray(v)[order])
                   for k, v in extra.items() if k in ("docid", "comment", "source_row")}
        others = {k: v for k, v in extra.items() if k not in per_row}
        return cls(_take_rows(X, order), y, qid[order], **per_row, **others), order

    # ------------------------------------------------------------------ shape
    @property
    def n_rows(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_queries(self) -> int:
        return int(self.group_offsets.size - 1)

    @property
    def group_sizes(self) -> np.ndarray:
        """Documents per query, (n_queries,) int64."""
        return np.diff(self.group_offsets)

    @property
    def query_ids(self) -> np.ndarray:
        """The qid of each query, (n_queries,) int64, in data order."""
        return self.qid[self.group_offsets[:-1]]

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.X)

    def __len__(self) -> int:
        return self.n_rows

    def __repr__(self) -> str:
        kind = "csr" if self.is_sparse else f"dense {self.X.dtype}"
        src = f", source={self.source!r}" if self.source else ""
        return (
            f"RankingData(n_rows={self.n_rows}, n_queries={self.n_queries}, "
            f"n_features={self.n_features}, X={kind}{src})"
        )

    # ------------------------------------------------------------------ access
    def __iter__(self) -> Iterator[Query]:
        offsets = self.group_offsets
        for i in range(self.n_queries):
            rows = slice(int(offsets[i]), int(offsets[i + 1]))
            yield Query(int(self.qid[rows.start]) if rows.stop > rows.start else -1,
                        self.X[rows], self.y[rows], rows)

    def query_rows(self, idx: ArrayLike) -> np.ndarray:
        """Row indices (int64) of the queries at positions ``idx``, in the order given."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            if idx.shape[0] != self.n_queries:
                raise ValueError(f"boolean mask has {idx.shape[0]} entries for {self.n_queries} queries")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64).ravel()
        if idx.size and (idx.min() < -self.n_queries or idx.max() >= self.n_queries):
            raise IndexError(f"query index out of range for {self.n_queries} queries")
        idx = np.where(idx < 0, idx + self.n_queries, idx)
        starts = self.group_offsets[idx]
        sizes = self.group_offsets[idx + 1] - starts
        total = int(sizes.sum())
        # vectorised concatenation of ranges start_i .. start_i + size_i
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return np.repeat(starts, sizes) + within

    def queries(self, idx: ArrayLike | slice) -> RankingData:
        """A new RankingData with the queries at positions ``idx`` (ints, slice or mask)."""
        if isinstance(idx, slice):
            idx = np.arange(self.n_queries)[idx]
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        rows = self.query_rows(idx)
        sizes = self.group_sizes[idx.astype(np.int64)]
        return self._take(rows, _group_offsets_from_sizes(sizes))

    def rows(self, rows: ArrayLike) -> RankingData:
        """A new RankingData with rows ``rows`` (must keep each query contiguous)."""
        rows = np.asarray(rows, dtype=np.int64)
        return RankingData.from_arrays(
            _take_rows(self.X, rows), self.y[rows], self.qid[rows], **self._row_extras(rows)
        )

    def _row_extras(self, rows: np.ndarray) -> dict[str, Any]:
        return {
            "docid": None if self.docid is None else self.docid[rows],
            "comment": None if self.comment is None else self.comment[rows],
            "source_row": None if self.source_row is None else self.source_row[rows],
            "feature_names": self.feature_names,
            "source": self.source,
        }

    def _take(self, rows: np.ndarray, offsets: np.ndarray) -> RankingData:
        return RankingData(
            _take_rows(self.X, rows), self.y[rows], self.qid[rows],
            group_offsets=offsets, **self._row_extras(rows),
        )

    @staticmethod
    def concat(parts: Sequence[RankingData]) -> RankingData:
        """Concatenate datasets row-wise (queries keep their order; features must agree)."""
        parts = list(parts)
        if not parts:
            raise ValueError("nothing to concatenate")
        n_features = {p.n_features for p in parts}
        if len(n_features) != 1:
            raise ValueError(f"feature counts differ between parts: {sorted(n_features)}")
        if any(p.is_sparse for p in parts):
            X = sp.vstack([sp.csr_matrix(p.X) for p in parts], format="csr")
        else:
            X = np.concatenate([np.asarray(p.X) for p in parts], axis=0)
        sizes = np.concatenate([p.group_sizes for p in parts])

        def column(name: str) -> np.ndarray | None:
            values = [getattr(p, name) for p in parts]
            if any(v is None for v in values):
                return None
            return np.concatenate(values)

        qid = np.concatenate([p.qid for p in parts])
        sources = {p.source for p in parts}
        return RankingData(
            X, np.concatenate([p.y for p in parts]), qid,
            group_offsets=_group_offsets_from_sizes(sizes),
            docid=column("docid"), comment=column("comment"),
            source_row=column("source_row"), feature_names=parts[0].feature_names,
            source=sources.pop() if len(sources) == 1 else None,
        )

    def to_dense(self, dtype: Any = None) -> RankingData:
        """The same data with a dense X (optionally cast to ``dtype``)."""
        X = self.X.toarray() if self.is_sparse else np.asarray(self.X)
        if dtype is not None:
            X = X.astype(dtype, copy=False)
        return self._replace_X(X)

    def to_sparse(self) -> RankingData:
        """The same data with a CSR X."""
        return self._replace_X(sp.csr_matrix(self.X))

    def _replace_X(self, X: Any) -> RankingData:
        return RankingData(
            X, self.y, self.qid, group_offsets=self.group_offsets, docid=self.docid,
            comment=self.comment, source_row=self.source_row,
            feature_names=self.feature_names, source=self.source,
        )

    # ------------------------------------------------------------------ binary cache
    def save(self, path: str | os.PathLike) -> Path:
        """Write a binary cache folder (one ``.npy`` per array, ``meta.json``).

        `RankingData.load` memory-maps it back, which is far faster than parsing text.
        """
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "y": self.y, "qid": self.qid, "group_offsets": self.group_offsets,
        }
        if self.is_sparse:
            X = self.X
            X.sort_indices()
            arrays.update(X_data=X.data, X_indices=X.indices, X_indptr=X.indptr)
        else:
            arrays["X"] = np.ascontiguousarray(self.X)
        for name in ("docid", "comment", "source_row"):
            value = getattr(self, name)
            if value is not None:
                if value.dtype == object:
                    value = value.astype(str)
                arrays[name] = value
        for name, array in arrays.items():
            np.save(path / f"{name}.npy", array, allow_pickle=False)
        meta = {
            "format": CACHE_FORMAT,
            "version": CACHE_VERSION,
            "sparse": self.is_sparse,
            "shape": list(self.X.shape),
            "feature_names": self.feature_names,
            "source": self.source,
            "arrays": sorted(arrays),
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, mmap: bool = True) -> RankingData:
        """Load a cache written by `save`; arrays are memory-mapped read-only when ``mmap``."""
        path = Path(path)
        meta_path = path / "meta.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{path} is not a boostrank cache (no meta.json)")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != CACHE_FORMAT or meta.get("version") != CACHE_VERSION:
            raise ValueError(f"{path}: unsupported cache format {meta.get('format')!r} "
                             f"version {meta.get('version')!r}")
        mode = "r" if mmap else None
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
                  for name in meta["arrays"]}
        if meta["sparse"]:
            X = sp.csr_matrix(
                (arrays["X_data"], arrays["X_indices"], arrays["X_indptr"]),
                shape=tuple(meta["shape"]),
            )
        else:
            X = arrays["X"]
        return cls(
            X, arrays["y"], arrays["qid"], group_offsets=arrays["group_offsets"],
            docid=arrays.get("docid"), comment=arrays.get("comment"),
            source_row=arrays.get("source_row"), feature_names=meta.get("feature_names"),
            source=meta.get("source"),
        )


def as_ranking_data(
    X: Any,
    y: ArrayLike | None = None,
    qid: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    name: str = "X",
) -> tuple[RankingData, np.ndarray | None]:
    """Accept a `RankingData` or arrays ``(X, y, qid|group)``; return data and row order.

    The order is None when rows were already grouped; otherwise ``data`` holds ``X[order]``.
    """
    if isinstance(X, RankingData):
        if y is not None or qid is not None or group is not None:
            raise ValueError(f"{name} is a RankingData: do not pass y, qid or group with it")
        return X, None
    if y is None:
        raise ValueError(f"{name}: labels y are required")
    return RankingData.from_arrays_with_order(X, y, qid, group=group, warn=False)
