"""Query grouping primitives: offsets of contiguous query runs and the order that makes them.

These are the building blocks of `RankingData` and of ``boostrank.validation``: rows of one
query must be contiguous, described by ``group_offsets`` (int64, ``n_queries + 1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["group_offsets_from_sizes", "group_offsets_from_qid", "contiguous_order"]


def group_offsets_from_sizes(sizes: Any) -> np.ndarray:
    """Offsets (n_queries + 1,) int64 from group sizes (n_queries,) (LightGBM ``group``).

    Raises ValueError when a size is negative.
    """
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
