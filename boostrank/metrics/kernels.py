"""Vectorised metric kernels over all queries at once (no Python loop per query).

Layout: rows are grouped by query; ``offsets`` (n_queries + 1,) int64 delimits the queries,
``qidx`` (n_rows,) gives each row's query index and ``pos`` (n_rows,) its 0-based position
inside the query. A ranking is a permutation ``order`` of the rows that keeps the query blocks
in place and sorts each block by score (see `rank_order`); the ranked arrays (gains, relevance)
are then reduced per query with ``np.bincount`` (sequential double sums, the same summation
order as LightGBM / trec_eval, hence identical results to ~1e-15).
"""

from __future__ import annotations

import numpy as np


def positions(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(qidx, pos)``: query index and 0-based in-query position of every row, int64 (n,)."""
    sizes = np.diff(offsets)
    n = int(offsets[-1])
    qidx = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    pos = np.arange(n, dtype=np.int64) - offsets[:-1][qidx]
    return qidx, pos


def rank_order(qidx: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray | None = None,
               ) -> np.ndarray:
    """Row permutation sorting each query by score descending.

    Equal scores are ordered by ``tiebreak`` ascending (when given), then by row (stable).
    ``qidx`` must be non-decreasing. Returns int64 (n,).
    """
    neg = -scores
    keys = (neg, qidx) if tiebreak is None else (tiebreak, neg, qidx)
    return np.lexsort(keys)


def tie_blocks(qidx: np.ndarray, sorted_scores: np.ndarray) -> np.ndarray:
    """Block id (n,) of runs of equal score inside a query, for ranked scores."""
    n = sorted_scores.size
    flag = np.empty(n, dtype=bool)
    if n:
        flag[0] = True
        np.not_equal(sorted_scores[1:], sorted_scores[:-1], out=flag[1:])
        flag[1:] |= qidx[1:] != qidx[:-1]
    return np.cumsum(flag) - 1


def block_mean(block: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Replace each value by the mean over its block (McSherry-Najork tie averaging)."""
    counts = np.bincount(block)
    sums = np.bincount(block, weights=values, minlength=counts.size)
    return (sums / counts)[block]


def segment_sum(qidx: np.ndarray, values: np.ndarray, n_queries: int,
                mask: np.ndarray | None = None) -> np.ndarray:
    """Per-query sum (n_queries,) float64 of ``values`` (optionally only where ``mask``)."""
    if mask is not None:
        qidx = qidx[mask]
        values = values[mask]
    return np.bincount(qidx, weights=values, minlength=n_queries)


def segment_cumsum(offsets: np.ndarray, qidx: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarting at every query (n,) float64."""
    total = np.cumsum(values, dtype=np.float64)
    base = np.concatenate(([0.0], total))[offsets[:-1]]
    return total - base[qidx]


def normalise(num: np.ndarray, den: np.ndarray, empty_value: float) -> np.ndarray:
    """``num / den`` where ``den > 0``, else ``empty_value`` (1, 0 or NaN)."""
    out = np.full(num.shape, empty_value, dtype=np.float64)
    ok = den > 0
    np.divide(num, den, out=out, where=ok)
    return out


def ideal_dcg(offsets: np.ndarray, qidx: np.ndarray, pos: np.ndarray, labels: np.ndarray,
              gains: np.ndarray, discounts: np.ndarray, ks: list[int | None]) -> dict:
    """Ideal DCG per query for each cutoff in ``ks`` (None = whole list): labels sorted
    descending inside each query (ties in label keep input order). Returns {k: (n_queries,)}."""
    order = np.lexsort((-labels, qidx))
    contrib = gains[order] * discounts[pos]
    nq = offsets.size - 1
    return {k: segment_sum(qidx, contrib, nq, None if k is None else pos < k) for k in ks}
