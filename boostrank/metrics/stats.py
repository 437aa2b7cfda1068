"""Paired statistics for comparing two systems on the same queries.

Inputs ``a`` and ``b`` are per-query metric values (n_queries,) of two systems on the same
queries, e.g. the ``per_query`` output of `boostrank.metrics.evaluate`. Pairs where either
value is NaN (queries a convention skips) are dropped. Differences are ``a - b``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as _st

_CHUNK_CELLS = 4_000_000  # resampling matrices are built in chunks of about this many cells


def _pairs(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"length mismatch: a has {a.size} values, b has {b.size}")
    if np.isinf(a).any() or np.isinf(b).any():
        raise ValueError("per-query values must be finite (or NaN for skipped queries)")
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 2:
        raise ValueError(f"need at least 2 paired values, got {int(keep.sum())}")
    return a[keep], b[keep]


def _check_resamples(n_resamples: int) -> int:
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    return int(n_resamples)


def _check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(confidence)


def paired_ttest(a: Any, b: Any) -> tuple[float, float]:
    """Two-sided paired t-test of mean(a - b) = 0, as ``scipy.stats.ttest_rel``.

    Parameters
    ----------
    a, b : array-like of shape (n_queries,)
        Per-query values of two systems on the same queries (NaN pairs dropped).

    Returns
    -------
    t, p : float
        Identical systems give ``(0.0, 1.0)``; a constant non-zero difference (up to
        rounding, 1e-12 relative) gives ``(±inf, 0.0)`` where scipy would divide rounding
        noise.
    """
    a, b = _pairs(a, b)
    d = a - b
    scale = float(np.max(np.abs(d)))
    if np.ptp(d) <= 1e-12 * max(scale, 1e-300) or scale == 0.0:
        if scale == 0.0:
            return 0.0, 1.0
        return (float(np.inf) if d.mean() > 0 else float(-np.inf)), 0.0
    result = _st.ttest_rel(a, b)
    return float(result.statistic), float(result.pvalue)


def randomization_test(a: Any, b: Any, *, n_resamples: int = 10000,
                       random_state: int = 0, seed: int | None = None) -> float:
    """Two-sided Fisher randomization (sign-flip permutation) test of mean(a - b) = 0.

    Parameters
    ----------
    a, b : array-like of shape (n_queries,)
        Per-query values of two systems on the same queries (NaN pairs dropped).
    n_resamples : int, default 10000
        Random sign patterns drawn (memory bounded: drawn in chunks).
    random_state : int, default 0
        Seed of the draws (the same seed gives the same p-value).
    seed : int, optional
        Deprecated name of ``random_state``.

    Returns
    -------
    float
        ``(1 + #{|mean*| >= |mean|}) / (1 + n_resamples)``; when all 2^n sign patterns
        number at most ``n_resamples`` they are enumerated and the p-value is exact
        (``#{|mean*| >= |mean|} / 2^n``).
    """
    from ..validation import resolve_seed_alias

    seed = int(resolve_seed_alias(random_state, seed, default=0))
    n_resamples = _check_resamples(n_resamples)
    a, b = _pairs(a, b)
    d = a - b
    n = d.size
    observed = abs(d.sum())
    tol = 1e-12 * max(1.0, np.abs(d).sum())
    if n <= 20 and 2 ** n <= n_resamples:
        patterns = (np.arange(2 ** n)[:, None] >> np.arange(n)[None, :]) & 1
        sums = np.abs((1 - 2 * patterns) @ d)
        return float(np.count_nonzero(sums >= observed - tol) / 2 ** n)
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)
    extreme = 0
    done = 0
    while done < n_resamples:
        m = min(chunk, n_resamples - done)
        signs = rng.integers(0, 2, size=(m, n), dtype=np.int8) * 2 - 1
        extreme += int(np.count_nonzero(np.abs(signs @ d) >= observed - tol))
        done += m
    return float((extreme + 1) / (n_resamples + 1))


def bootstrap_ci(a: Any, b: Any, *, confidence: float = 0.95, n_resamples: int = 10000,
                 random_state: int = 0, seed: int | None = None
                 ) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of mean(a - b) over queries.

    Parameters
    ----------
    a, b : array-like of shape (n_queries,)
        Per-query values of two systems on the same queries (NaN pairs dropped).
    confidence : float, default 0.95
        Strictly between 0 and 1.
    n_resamples : int, default 10000
        Resamples of the queries with replacement (drawn in chunks: memory bounded).
    random_state : int, default 0
        Seed of the resampling.
    seed : int, optional
        Deprecated name of ``random_state``.

    Returns
    -------
    low, high : float
    """
    from ..validation import resolve_seed_alias

    seed = int(resolve_seed_alias(random_state, seed, default=0))
    confidence = _check_confidence(confidence)
    n_resamples = _check_resamples(n_resamples)
    a, b = _pairs(a, b)
    d = a - b
    n = d.size
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)
    means = np.empty(n_resamples)
    done = 0
    while done < n_resamples:
        m = min(chunk, n_resamples - done)
        idx = rng.integers(0, n, size=(m, n))
        means[done:done + m] = d[idx].mean(axis=1)
        done += m
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def mean_ci(values: Any, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean.

    Parameters
    ----------
    values : array-like of shape (n,)
        NaN entries are dropped; at least 2 must remain.
    confidence : float, default 0.95

    Returns
    -------
    low, high : float
    """
    confidence = _check_confidence(confidence)
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    if v.size < 2:
        raise ValueError(f"need at least 2 values for a confidence interval, got {v.size}")
    mean = float(v.mean())
    sem = float(v.std(ddof=1) / np.sqrt(v.size))
    if sem == 0.0:
        return mean, mean
    half = float(_st.t.ppf(0.5 + confidence / 2.0, v.size - 1)) * sem
    return mean - half, mean + half


def holm_bonferroni(pvalues: Any) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values.

    Parameters
    ----------
    pvalues : array-like of shape (m,)
        Raw p-values in [0, 1].

    Returns
    -------
    ndarray of shape (m,)
        Adjusted p-values in the given order (monotone in the raw ones, capped at 1): reject
        hypothesis i at level alpha when ``adjusted[i] <= alpha``.
    """
    p = np.asarray(pvalues, dtype=np.float64).ravel()
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def win_tie_loss(a: Any, b: Any, tol: float = 1e-12) -> tuple[int, int, int]:
    """Queries where ``a`` beats ``b`` by more than ``tol``, ties, and losses.

    Parameters
    ----------
    a, b : array-like of shape (n_queries,)
    tol : float, default 1e-12

    Returns
    -------
    wins, ties, losses : int
    """
    a, b = _pairs(a, b) if np.size(a) >= 2 else (np.asarray(a, float), np.asarray(b, float))
    d = a - b
    wins = int(np.count_nonzero(d > tol))
    losses = int(np.count_nonzero(d < -tol))
    return wins, int(d.size - wins - losses), losses
