"""The evaluator's inputs -> labels grouped by query, with the permutation back to row order.

Accepted: 1-D labels with ``qid`` (rows of a query need not be contiguous: they are grouped
stably, queries in order of first appearance), 1-D labels with LightGBM-style ``group`` sizes,
a 2-D array with one query per row (scikit-learn style), or a `RankingData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data.ranking_data import contiguous_order, group_offsets_from_qid
from .labels import first_row


@dataclass
class GroupedLabels:
    """Labels grouped by query.

    Attributes
    ----------
    labels : ndarray of shape (n_rows,), float64
        Labels in grouped order.
    offsets : ndarray of shape (n_queries + 1,), int64
        Query boundaries in ``labels`` (no empty query).
    query_ids : ndarray of shape (n_queries,)
        Id of each query (its qid, its index in ``group``, or its row of a 2-D input).
    perm : ndarray of shape (n_rows,), int64, or None
        Caller's row of each grouped position (None: the caller's rows are grouped already).
    docid : ndarray of shape (n_rows,) or None
        Document ids in grouped order.
    input_shape : tuple of int
        Shape of the caller's labels (scores must have the same one).
    """

    labels: np.ndarray
    offsets: np.ndarray
    query_ids: np.ndarray
    perm: np.ndarray | None
    docid: np.ndarray | None
    input_shape: tuple[int, ...]


def as_numeric_1d(values: Any, name: str) -> np.ndarray:
    """``values`` as a numeric numpy array of at least one dimension.

    Parameters
    ----------
    values : array-like
        Labels or scores.
    name : str
        Parameter name for the error message.

    Returns
    -------
    ndarray
        Numeric (or bool) array, not copied when already one.

    Raises
    ------
    ValueError
        For a scalar or a non-numeric array.
    """
    arr = np.asarray(values)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array, got a scalar")
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric") from exc
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr


def _offsets_from_group(group: Any, n: int) -> np.ndarray:
    sizes = np.asarray(group, dtype=np.int64).ravel()
    if sizes.size == 0 or sizes.min() < 0 or sizes.sum() != n:
        raise ValueError(f"group sizes must be >= 0 and sum to the {n} rows "
                         f"(they sum to {int(sizes.sum()) if sizes.size else 0})")
    return np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)


def _group_by_qid(qid: Any, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(offsets, query_ids, perm)`` grouping ``n`` rows by ``qid`` (stable)."""
    q = np.asarray(qid).ravel()
    if q.size != n:
        raise ValueError(f"length mismatch: qid has {q.size} rows, y_true has {n}")
    perm, _ = contiguous_order(q)
    if perm is not None:
        q = q[perm]
    offsets = group_offsets_from_qid(q)
    return offsets, q[offsets[:-1]], perm


def _unpack_ranking_data(data: Any, qid: Any, group: Any, docid: Any
                         ) -> tuple[Any, np.ndarray, Any, np.ndarray]:
    if qid is not None or group is not None:
        raise ValueError("give qid/group only with label arrays, not with RankingData")
    if docid is None:
        docid = getattr(data, "docid", None)
    return (data.y, np.asarray(data.group_offsets, dtype=np.int64), docid,
            np.asarray(data.query_ids))


def _checked_labels(y_true: Any) -> np.ndarray:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    if y.size == 0:
        raise ValueError("y_true is empty: nothing to evaluate")
    finite = np.isfinite(y)
    if not finite.all():
        raise ValueError(f"y_true has a non-finite label at row {first_row(~finite, None)}")
    return y


def group_labels(y_true: Any, qid: Any = None, group: Any = None,
                 docid: Any = None) -> GroupedLabels:
    """Group the evaluator's labels by query (see the module docstring for the inputs).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,) or (n_queries, n_docs), or RankingData
        Labels.
    qid : array-like of shape (n_rows,), optional
        Query id per row.
    group : array-like of shape (n_queries,), optional
        Group sizes, instead of ``qid``.
    docid : array-like of shape (n_rows,), optional
        Document ids (trec_eval's tie order).

    Returns
    -------
    GroupedLabels

    Raises
    ------
    ValueError
        For empty or non-finite labels, lengths that disagree, or conflicting arguments.
    """
    offsets = known_ids = None
    if hasattr(y_true, "group_offsets") and hasattr(y_true, "y"):  # RankingData
        y_true, offsets, docid, known_ids = _unpack_ranking_data(y_true, qid, group, docid)
    raw = as_numeric_1d(y_true, "y_true")
    if raw.ndim == 2:
        if qid is not None or group is not None:
            raise ValueError("a 2-D y_true holds one query per row; do not pass qid/group")
        offsets = np.arange(raw.shape[0] + 1, dtype=np.int64) * raw.shape[1]
    elif raw.ndim != 1:
        raise ValueError(f"y_true must be 1-D (or 2-D, one query per row), got shape {raw.shape}")
    y = _checked_labels(raw)
    n = y.size
    perm = None
    if offsets is not None:
        query_ids = np.arange(offsets.size - 1) if known_ids is None else known_ids
    elif qid is not None and group is not None:
        raise ValueError("give either qid or group, not both")
    elif group is not None:
        offsets = _offsets_from_group(group, n)
        query_ids = np.arange(offsets.size - 1)
    elif qid is None:
        offsets, query_ids = np.array([0, n], dtype=np.int64), np.zeros(1, dtype=np.int64)
    else:
        offsets, query_ids, perm = _group_by_qid(qid, n)
    keep = np.diff(offsets) > 0
    if not keep.all():  # empty groups carry no ranking: drop them
        offsets = np.concatenate(([0], offsets[1:][keep]))
        query_ids = query_ids[keep]
    if perm is not None:
        y = y[perm]
    return GroupedLabels(y, offsets, query_ids, perm, _grouped_docid(docid, n, perm),
                         raw.shape)


def _grouped_docid(docid: Any, n: int, perm: np.ndarray | None) -> np.ndarray | None:
    if docid is None:
        return None
    d = np.asarray(docid).ravel()
    if d.size != n:
        raise ValueError(f"length mismatch: docid has {d.size} rows, y_true has {n}")
    return d if perm is None else d[perm]
