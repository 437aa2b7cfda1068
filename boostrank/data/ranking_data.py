"""`RankingData`: the one object that carries a ranking dataset through the toolkit.

Rows of one query are contiguous; ``group_offsets`` (int64, ``n_queries + 1``) is the canonical
description of the groups, ``group_sizes`` and the per-query ids derive from it. Optional
per-row columns (`ROW_COLUMNS`: ``docid``, ``comment``, ``source_row``, ``position``) follow
the rows through slicing, concatenation, regrouping, density changes and the binary cache.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .cache import CACHE_FORMAT, CACHE_VERSION, load_cache, save_cache
from .grouping import contiguous_order, group_offsets_from_qid, group_offsets_from_sizes

ArrayLike = Any

__all__ = ["RankingData", "Query", "ROW_COLUMNS", "as_ranking_data", "check_position", "contiguous_order",
           "group_offsets_from_qid", "group_offsets_from_sizes", "CACHE_FORMAT",
           "CACHE_VERSION"]

#: the optional per-row columns of a `RankingData`, carried wherever its rows go
ROW_COLUMNS = ("docid", "comment", "source_row", "position")

_group_offsets_from_sizes = group_offsets_from_sizes  # the former private name


@dataclass(frozen=True)
class Query:
    """One query of a `RankingData`: views into its arrays (no copy for dense X).

    ``X``: (n_docs, n_features); ``y``: (n_docs,) float64; ``rows``: the slice of the parent.
    """

    qid: int
    X: Any
    y: np.ndarray
    rows: slice


def _take_rows(X: Any, rows: np.ndarray) -> Any:
    if sp.issparse(X):
        return X[rows]
    return np.asarray(X)[rows]


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _integers(values: ArrayLike, name: str, what: str) -> np.ndarray:
    """``values`` as int64 (n,), refusing anything but integer numbers with a clear error."""
    arr = np.asarray(values).ravel()
    if arr.dtype == object:
        try:
            arr = np.asarray(arr.tolist())
        except (TypeError, ValueError):
            pass
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        integral = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0**63)
        if integral.all():
            return arr.astype(np.int64)
        i = _first_bad(~integral)
        raise ValueError(f"{name} must hold integers ({what}); row {i} has {arr[i].item()!r}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    raise ValueError(f"{name} must hold integers ({what}); row 0 has {arr[0].item()!r} "
                     f"(dtype {arr.dtype})")


def check_position(position: ArrayLike, n_rows: int) -> np.ndarray:
    """Validate display positions: (n_rows,) integers >= 1, returned as int64.

    Raises ValueError naming the first offending row and value.
    """
    pos = _integers(position, "position", "the 1-based rank at which each row was shown")
    if pos.shape[0] != n_rows:
        raise ValueError(f"position has {pos.shape[0]} rows but X has {n_rows}")
    if pos.size and pos.min() < 1:
        i = _first_bad(pos < 1)
        raise ValueError(f"position must be >= 1 (1-based rank); row {i} has {int(pos[i])}")
    return pos


def _check_group_offsets(group_offsets: ArrayLike, n_rows: int) -> np.ndarray:
    offsets = np.asarray(group_offsets, dtype=np.int64).ravel()
    if offsets.size == 0 or offsets[0] != 0 or offsets[-1] != n_rows:
        raise ValueError(f"group_offsets must start at 0 and end at n_rows={n_rows}, "
                         f"got {offsets[:1]}..{offsets[-1:]}")
    if np.any(np.diff(offsets) < 0):
        raise ValueError("group_offsets must be non-decreasing")
    return offsets


def _check_qid(qid: ArrayLike, n_rows: int) -> np.ndarray:
    qid = _integers(qid, "qid", "query ids")
    if qid.shape[0] != n_rows:
        raise ValueError(f"qid has {qid.shape[0]} rows but X has {n_rows}")
    return qid


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
    position : optional ndarray (n_rows,) int64, the 1-based rank at which each document was
        shown to the user (click logs; LightGBM's ``.position`` sidecar).
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
        position: ArrayLike | None = None,
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
            group_offsets = _check_group_offsets(group_offsets, n_rows)
        if qid is None:
            qid = np.repeat(np.arange(group_offsets.size - 1, dtype=np.int64),
                            np.diff(group_offsets))
        else:
            qid = _check_qid(qid, n_rows)
            if group_offsets is None:
                group_offsets = group_offsets_from_qid(qid)
                if np.unique(qid[group_offsets[:-1]]).size != group_offsets.size - 1:
                    raise ValueError("rows of a query must be contiguous; use "
                                     "RankingData.from_arrays(), which regroups them")
        self.X = X
        self.y = y
        self.qid = qid
        self.group_offsets = group_offsets
        self.docid = None if docid is None else np.asarray(docid)
        self.comment = None if comment is None else np.asarray(comment)
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        if self.feature_names is not None and len(self.feature_names) != X.shape[1]:
            raise ValueError(f"{len(self.feature_names)} feature names for {X.shape[1]} "
                             "features")
        self.source = None if source is None else str(source)
        self.source_row = None if source_row is None else np.asarray(source_row, dtype=np.int64)
        self.position = None if position is None else check_position(position, n_rows)
        for name in ROW_COLUMNS:
            column = getattr(self, name)
            if column is not None and column.shape[0] != n_rows:
                raise ValueError(f"{name} has {column.shape[0]} rows but X has {n_rows}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, X: Any, y: ArrayLike, qid: ArrayLike | None = None,
                    **kwargs: Any) -> RankingData:
        """Build from arrays, regrouping rows whose qids are not contiguous (stable).

        Takes the arguments of `from_arrays_with_order` (``group=``, ``warn=``, per-row
        columns, metadata) and returns only the data.
        """
        return cls.from_arrays_with_order(X, y, qid, **kwargs)[0]

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
        """Build from arrays and return the row order applied (None when unchanged).

        Parameters
        ----------
        X : (n_rows, n_features) array or sparse matrix.
        y : (n_rows,) labels.
        qid : (n_rows,) integer query ids; rows with equal qid are regrouped (stably, queries
            in order of first appearance) when they are not contiguous.
        group : LightGBM-style group sizes (n_queries,), an alternative to ``qid``.
        warn : warn when rows had to be regrouped.
        **extra : per-row columns (`ROW_COLUMNS`: ``docid``, ``comment``, ``source_row``,
            ``position``), reordered with the rows, and metadata (``feature_names``,
            ``source``).

        Returns
        -------
        (data, order) : ``data.X == X[order]``; predictions on ``data`` go back to the
        caller's order with ``out[order] = pred``.
        """
        if qid is not None and group is not None:
            raise ValueError("give either qid or group, not both")
        if qid is None and group is None:
            raise ValueError("ranking data needs query ids: pass qid= (per row) or group= (sizes)")
        n_rows = X.shape[0]
        if group is not None:
            offsets = group_offsets_from_sizes(group)
            if offsets[-1] != n_rows:
                raise ValueError(f"group sizes sum to {offsets[-1]} but there are {n_rows} rows")
            return cls(X, y, None, group_offsets=offsets, **extra), None
        qid = _check_qid(qid, n_rows)
        order, n_split = contiguous_order(qid)
        if order is None:
            return cls(X, y, qid, **extra), None
        if warn:
            warnings.warn(f"{n_split} queries had rows that were not contiguous; rows were "
                          "regrouped by qid keeping their order inside each query",
                          stacklevel=3)
        per_row = {k: (None if v is None else np.asarray(v)[order])
                   for k, v in extra.items() if k in ROW_COLUMNS}
        others = {k: v for k, v in extra.items() if k not in per_row}
        return cls(_take_rows(X, order), np.asarray(y)[order], qid[order], **per_row,
                   **others), order

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
        return (f"RankingData(n_rows={self.n_rows}, n_queries={self.n_queries}, "
                f"n_features={self.n_features}, X={kind}{src})")

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
                raise ValueError(f"boolean mask has {idx.shape[0]} entries for "
                                 f"{self.n_queries} queries")
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
        return RankingData(
            _take_rows(self.X, rows), self.y[rows], self.qid[rows],
            group_offsets=group_offsets_from_sizes(sizes), feature_names=self.feature_names,
            source=self.source, **self._row_columns(rows),
        )

    def _row_columns(self, rows: np.ndarray | None = None) -> dict[str, Any]:
        """The per-row columns (`ROW_COLUMNS`), restricted to ``rows`` when given."""
        out = {}
        for name in ROW_COLUMNS:
            column = getattr(self, name)
            out[name] = column if column is None or rows is None else column[rows]
        return out

    @staticmethod
    def concat(parts: Sequence[RankingData]) -> RankingData:
        """Concatenate datasets row-wise (queries keep their order; features must agree).

        A per-row column missing from some part is dropped, except ``position``: positions
        on some parts but not on others raise ValueError (they would be silently lost).
        """
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
        columns = {}
        for name in ROW_COLUMNS:
            values = [getattr(p, name) for p in parts]
            have = [v is not None for v in values]
            if name == "position" and any(have) and not all(have):
                raise ValueError("position is set on some parts but not on others")
            columns[name] = np.concatenate(values) if all(have) else None
        sources = {p.source for p in parts}
        return RankingData(
            X, np.concatenate([p.y for p in parts]), np.concatenate([p.qid for p in parts]),
            group_offsets=group_offsets_from_sizes(np.concatenate([p.group_sizes
                                                                   for p in parts])),
            feature_names=parts[0].feature_names,
            source=sources.pop() if len(sources) == 1 else None, **columns,
        )

    # ------------------------------------------------------------------ derived copies
    def to_dense(self, dtype: Any = None) -> RankingData:
        """The same data with a dense X (optionally cast to ``dtype``)."""
        X = self.X.toarray() if self.is_sparse else np.asarray(self.X)
        if dtype is not None:
            X = X.astype(dtype, copy=False)
        return self._replace_X(X)

    def to_sparse(self) -> RankingData:
        """The same data with a CSR X."""
        return self._replace_X(sp.csr_matrix(self.X))

    def pad_features(self, n_features: int) -> RankingData:
        """The same data widened to ``n_features`` columns of X (new columns on the right).

        The new columns are all zero (in LibSVM semantics a feature never written is 0);
        dense X stays dense with its dtype, CSR stays CSR (no copy of its entries). When
        ``feature_names`` exist, column ``j`` added gets the name ``f"f{j}"`` (``j`` is the
        0-based column index, XGBoost's rule): ``['a', 'b']`` padded to 4 gives
        ``['a', 'b', 'f2', 'f3']``.

        Parameters
        ----------
        n_features : int >= ``self.n_features``; equal returns ``self``.

        Raises
        ------
        ValueError when ``n_features`` is smaller than the current width (columns are never
        dropped) or a generated name collides with an existing one.
        """
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)):
            raise TypeError(f"n_features must be an int, got {n_features!r}")
        have = self.n_features
        if n_features == have:
            return self
        if n_features < have:
            raise ValueError(f"{self.source or 'data'} has {have} features, more than "
                             f"n_features={n_features} (pad_features never drops columns)")
        if self.is_sparse:
            X = sp.csr_matrix((self.X.data, self.X.indices, self.X.indptr),
                              shape=(self.n_rows, int(n_features)))
        else:
            X = np.zeros((self.n_rows, int(n_features)), dtype=self.X.dtype)
            X[:, :have] = self.X
        names = None
        if self.feature_names is not None:
            added = [f"f{j}" for j in range(have, int(n_features))]
            clash = sorted(set(added) & set(self.feature_names))
            if clash:
                raise ValueError(f"padding names {clash[:3]} already name other features")
            names = self.feature_names + added
        return self._replace_X(X, feature_names=names)

    def _replace_X(self, X: Any, **changes: Any) -> RankingData:
        fields = {"group_offsets": self.group_offsets, "feature_names": self.feature_names,
                  "source": self.source, **self._row_columns()}
        fields.update(changes)
        return RankingData(X, self.y, self.qid, **fields)

    # ------------------------------------------------------------------ binary cache
    def save(self, path: str | os.PathLike) -> Path:
        """Write a binary cache folder (one ``.npy`` per array, ``meta.json``).

        `RankingData.load` memory-maps it back, which is far faster than parsing text.
        """
        return save_cache(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, mmap: bool = True) -> RankingData:
        """Load a cache written by `save`; arrays are memory-mapped read-only when ``mmap``.

        Raises `boostrank.data.DataFormatError` naming the file for a truncated, corrupt or
        inconsistent cache.
        """
        return load_cache(path, mmap=mmap)


def as_ranking_data(
    X: Any,
    y: ArrayLike | None = None,
    qid: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    position: ArrayLike | None = None,
    name: str = "X",
) -> tuple[RankingData, np.ndarray | None]:
    """Accept a `RankingData` or arrays ``(X, y, qid|group[, position])``; return data, order.

    The order is None when rows were already grouped; otherwise ``data`` holds ``X[order]``
    (and ``position[order]``).
    """
    if isinstance(X, RankingData):
        if y is not None or qid is not None or group is not None or position is not None:
            raise ValueError(f"{name} is a RankingData: do not pass y, qid, group or "
                             "position with it")
        return X, None
    if y is None:
        raise ValueError(f"{name}: labels y are required")
    return RankingData.from_arrays_with_order(X, y, qid, group=group, warn=False,
                                              position=position)
