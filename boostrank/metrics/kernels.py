"""Vectorised metric kernels over all queries at once (no Python loop per query).

Layout: rows are grouped by query; ``offsets`` (n_queries + 1,) int64 delimits the queries,
``qidx`` (n_rows,) gives each row's query index and ``pos`` (n_rows,) its 0-based position
inside the query. A ranking is a permutation ``order`` of the rows that keeps the query blocks
in place and sorts each block by score (see `rank_order`); the ranked arrays (gains, relevance)
are reduced per query with ``np.bincount`` (sequential double sums, the summation order of
LightGBM and trec_eval, so results agree to ~1e-15).

`rank_order` avoids ``np.lexsort`` (slow, ~0.16 s per million rows): the triple (query,
order-preserving bits of the score, tie-break) is packed into one uint64 key and sorted with
numpy's SIMD sort (~0.01 s per million rows); see its docstring for the exactness argument.
"""

from __future__ import annotations

import numpy as np


def _bits(max_value: int) -> int:
    """Bits needed to store the integers 0..max_value."""
    return max(int(max_value), 0).bit_length()


def positions(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(qidx, pos)``: query index and 0-based in-query position of every row, int64 (n,)."""
    sizes = np.diff(offsets)
    n = int(offsets[-1])
    qidx = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    pos = np.arange(n, dtype=np.int64) - offsets[:-1][qidx]
    return qidx, pos


def dense_rank_desc(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense rank (n,) int64 of ``values`` in decreasing order (largest 0, ties share a rank)
    and the number of distinct values."""
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    order = np.argsort(values)
    ranked = values[order]
    step = np.empty(n, dtype=np.int64)
    step[0] = 0
    np.not_equal(ranked[1:], ranked[:-1], out=step[1:])
    dense = np.cumsum(step, out=step)
    n_distinct = int(dense[-1]) + 1
    np.subtract(n_distinct - 1, dense, out=dense)
    out = np.empty(n, dtype=np.int64)
    out[order] = dense
    return out, n_distinct


def _descending_bits(scores: np.ndarray) -> np.ndarray:
    """uint64 (n,) whose ascending order is the descending order of float64 ``scores``
    (equal floats, including -0.0 and 0.0, give equal integers)."""
    bits = (np.asarray(scores, dtype=np.float64) + 0.0).view(np.int64)  # + 0.0: -0.0 -> 0.0
    bits ^= (bits >> 63) & np.int64(0x7FFFFFFFFFFFFFFF)  # signed int order = float order
    np.invert(bits, out=bits)  # descending
    out = bits.view(np.uint64)
    out ^= np.uint64(1 << 63)  # signed -> unsigned order
    return out


def rank_key_layout(offsets: np.ndarray, qidx: np.ndarray, pos: np.ndarray, *,
                    tiebreak: np.ndarray | None = None, tiebreak_max: int = 0,
                    reverse: bool = False) -> tuple:
    """The score-independent part of `rank_order`'s sort key, to reuse across calls on the
    same queries: ``(max_size, tie-break (n,), tie-break bits, score bits, fixed key bits
    (n,) uint64 or None when the key cannot hold 16 score bits)``."""
    max_size = int(np.max(np.diff(offsets)))
    if tiebreak is None:
        tb = (max_size - 1) - pos if reverse else pos
        bt = _bits(max_size - 1)
    else:
        tb, bt = tiebreak, _bits(tiebreak_max)
    bq = _bits(offsets.size - 2)
    bs = 64 - bq - bt  # leading score bits that fit in the key
    if bs < 16:  # pragma: no cover - needs ~10^9 rows
        return max_size, tb, bt, bs, None
    fixed = np.ascontiguousarray(tb, dtype=np.int64).view(np.uint64).copy()  # non-negative
    fixed |= np.ascontiguousarray(qidx, dtype=np.int64).view(np.uint64) << np.uint64(bs + bt)
    return max_size, tb, bt, bs, fixed


def rank_order(offsets: np.ndarray, qidx: np.ndarray, pos: np.ndarray, scores: np.ndarray,
               *, tiebreak: np.ndarray | None = None, tiebreak_max: int = 0,
               reverse: bool = False, layout: tuple | None = None) -> np.ndarray:
    """Row permutation (n,) int64 sorting each query by score, highest first.

    Equal scores are ordered by in-query position (input order; later rows first when
    ``reverse``), or by ``tiebreak`` ascending when given: non-negative int64 (n,), at most
    ``tiebreak_max`` and unique inside a query (so that the order is fully determined).
    ``qidx`` must be non-decreasing (rows grouped by query).

    One sort of a packed uint64 key (query | leading bits of the score | tie-break) orders
    almost everything; runs that share the leading score bits but differ in the full score
    (rare: 40+ leading bits are kept for typical sizes, and float32-valued scores need only
    35) are re-sorted exactly with ``np.lexsort``. ``layout``: `rank_key_layout` of the same
    arguments, computed once when ranking many score vectors of the same queries.
    """
    n = scores.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if layout is None:
        layout = rank_key_layout(offsets, qidx, pos, tiebreak=tiebreak,
                                 tiebreak_max=tiebreak_max, reverse=reverse)
    max_size, tb, bt, bs, fixed = layout
    if fixed is None:  # pragma: no cover - needs ~10^9 rows
        return np.lexsort((tb, -scores, qidx))
    key = _descending_bits(scores)
    key >>= np.uint64(64 - bs)
    key <<= np.uint64(bt)
    key |= fixed
    if tiebreak is None:
        key.sort()  # the key encodes the row: decode it instead of an argsort (2x faster)
        p = (key & np.uint64((1 << bt) - 1)).view(np.int64)
        if reverse:
            np.subtract(max_size - 1, p, out=p)
        p += offsets[:-1][(key >> np.uint64(bs + bt)).view(np.int64)]
        order = p
    else:
        order = np.argsort(key)
        key = key[order]
    head = key >> np.uint64(bt)
    same = head[1:] == head[:-1]
    ranked = scores[order]
    clash = same & (ranked[1:] != ranked[:-1])
    if clash.any():  # distinct scores sharing their leading bits: order those runs exactly
        run = np.concatenate(([0], np.cumsum(~same)))
        bad = np.zeros(int(run[-1]) + 1, dtype=bool)
        bad[run[1:][clash]] = True
        sub = np.flatnonzero(bad[run])
        rows = order[sub]
        order[sub] = rows[np.lexsort((tb[rows], -scores[rows], run[sub]))]
    return order


def ideal_dcg_by_level(qidx: np.ndarray, labels: np.ndarray, n_queries: int,
                       level_gain, discounts: np.ndarray, sizes: np.ndarray,
                       ks: list[int | None]) -> dict | None:
    """Ideal DCG per query for each cutoff (None = whole list) without sorting, when the
    labels are whole numbers in a small range: positions [start, end) of each label level in
    the ideal ranking follow from per-query counts, and their discounts sum to
    ``D[end] - D[start]`` with ``D`` the cumulative discount. Returns None for other labels.

    ``level_gain(values)`` maps label values (float64 array) to gains.
    """
    top, low = float(labels.max()), float(labels.min())
    n_levels = int(top - low) + 1
    if n_levels > 64 or not np.all(labels == np.round(labels)):
        return None
    level = (top - labels).astype(np.int64)  # 0 = best label
    counts = np.bincount(qidx * n_levels + level, minlength=n_queries * n_levels)
    counts = counts.reshape(n_queries, n_levels)
    end = np.cumsum(counts, axis=1)
    start = end - counts
    gains = level_gain(top - np.arange(n_levels, dtype=np.float64))
    cum = np.concatenate(([0.0], np.cumsum(discounts)))
    out = {}
    for k in ks:
        cap = sizes[:, None] if k is None else k
        a, b = np.minimum(start, cap), np.minimum(end, cap)
        out[k] = ((cum[b] - cum[a]) * gains).sum(axis=1)
    return out


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
    np.divide(num, den, out=out, where=den > 0)
    return out


def relevant_hits(qidx: np.ndarray, pos: np.ndarray, rel_sorted: np.ndarray,
                  n_relevant: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the relevant rows of a ranking (binary ``rel_sorted``): their query index, their
    0-based rank and the number of relevant rows up to and including them (1, 2, ...)."""
    idx = np.flatnonzero(rel_sorted)
    q = qidx[idx]
    first = np.concatenate(([0], np.cumsum(n_relevant.astype(np.int64))))[:-1]
    hits = np.arange(1, idx.size + 1, dtype=np.int64) - first[q]
    return q, pos[idx], hits


def tie_aware_hits(offsets: np.ndarray, qidx: np.ndarray, pos: np.ndarray,
                   block: np.ndarray, rel_sorted: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Expected AP and RR terms per ranked row when tied blocks are in random order.

    For a row at offset j of a tied block of n rows holding r relevant ones, after h relevant
    rows of earlier blocks (McSherry & Najork 2008): ``ap[i] = (r/n)(h + 1 + j(r-1)/(n-1))
    / (pos+1)`` (expected precision at that position times the chance it is relevant), and
    ``rr[i] = P(first relevant at this position) / (pos+1)``, non-zero only in the first block
    with a relevant row: ``C(n-1-j, r-1) / C(n, r)``. Sums over a query (up to a cutoff) give
    the expected AP numerator and the expected reciprocal rank.
    """
    from scipy.special import gammaln

    rel = rel_sorted.astype(np.float64)
    n_blocks = int(block[-1]) + 1 if block.size else 0
    size = np.bincount(block, minlength=n_blocks).astype(np.float64)
    r = np.bincount(block, weights=rel, minlength=n_blocks)
    start = np.cumsum(size) - size
    cum = segment_cumsum(offsets, qidx, rel)
    end_cum = np.zeros(n_blocks)
    end_cum[block] = cum  # the last write of each block is its inclusive total
    h = end_cum - r
    j = np.arange(block.size) - start[block]
    nb, rb, hb = size[block], r[block], h[block]
    rank = pos + 1.0
    ap = (rb / nb) * (hb + 1.0 + j * (rb - 1.0) / np.maximum(nb - 1.0, 1.0)) / rank
    first_block = (hb == 0) & (rb > 0)
    a = nb - 1.0 - j  # C(a, r-1) / C(n, r), zero when a < r - 1
    ok = first_block & (a >= rb - 1.0)
    a_ok, r_ok, n_ok = a[ok], rb[ok], nb[ok]
    log_p = (gammaln(a_ok + 1) - gammaln(r_ok) - gammaln(a_ok - r_ok + 2)
             - gammaln(n_ok + 1) + gammaln(r_ok + 1) + gammaln(n_ok - r_ok + 1))
    rr = np.zeros(block.size)
    rr[ok] = np.exp(log_p) / rank[ok]
    return ap, rr
