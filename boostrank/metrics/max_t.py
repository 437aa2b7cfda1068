"""Is the best of many systems better than a baseline, or only the luckiest of them?

A tuning study compares dozens of configurations with the default one on the same validation
queries and keeps the best. A paired test of that best one against the default ignores that it
was picked as the maximum of many: with 30 configurations no better than the default, the
best of them passes a 5 % paired t-test far more often than 5 % of the time.

`max_t_test` is the single-step max-t test of Westfall and Young (Resampling-Based Multiple
Testing, 1993, ch. 2), with sign flips as the resampling: under the null hypothesis that no
candidate differs from the baseline and each query's differences are symmetric about 0, the
sign of query q's differences can be flipped, for every candidate at once (which keeps the
correlation between candidates). The p-value of a candidate is the share of sign patterns
whose *largest* candidate t-statistic reaches the candidate's observed one; it controls the
family-wise error over all candidates, whichever of them is then selected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .stats import _CHUNK_CELLS  # sign matrices are built in chunks of about this many cells

__all__ = ["max_t_test"]

_MAX_EXACT_QUERIES = 20


def max_t_test(candidates: Any, baseline: Any, *, index: int | None = None,
               n_resamples: int = 10000, random_state: int = 0) -> tuple[float, float]:
    """One-sided max-t sign-flip test: does candidate ``index`` beat ``baseline``, given that
    it may have been chosen as the best of all ``candidates``?

    Parameters
    ----------
    candidates : array-like of shape (n_candidates, n_queries)
        Per-query metric values of every candidate compared with the baseline (the whole
        family the tested one was chosen from, itself included).
    baseline : array-like of shape (n_queries,)
        Per-query values of the baseline on the same queries.
    index : int, optional
        Row of the candidate tested; default the row with the largest t-statistic.
    n_resamples : int, default 10000
        Random sign patterns drawn, in chunks (memory bounded). When all ``2**n_queries``
        patterns number at most ``n_resamples`` (and n_queries <= 20) they are enumerated and
        the p-value is exact.
    random_state : int, default 0
        Seed of the sign patterns (the same seed gives the same p-value).

    Returns
    -------
    t, p : float
        The tested candidate's paired t-statistic (mean difference over its standard error;
        0 for identical values) and its family-wise p-value,
        ``(1 + #{max_c t*_c >= t}) / (1 + n_resamples)`` (exact: ``#{...} / 2**n_queries``).
        Queries where the baseline or any candidate is NaN are left out; fewer than two
        queries left give ``(0.0, 1.0)``.
    """
    differences = _differences(candidates, baseline)
    n_candidates = differences.shape[0]
    if index is not None and (isinstance(index, bool) or not isinstance(index, (int, np.integer))
                              or not 0 <= index < n_candidates):
        raise ValueError(f"index must be a row of candidates (0..{n_candidates - 1}), "
                         f"got {index!r}")
    n_queries = differences.shape[1]
    if n_queries < 2:
        return 0.0, 1.0
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    sum_squares = np.einsum("cq,cq->c", differences, differences)
    observed_all = _t_statistics(differences.mean(axis=1)[None, :], sum_squares, n_queries)[0]
    index = int(np.argmax(observed_all)) if index is None else int(index)
    observed = float(observed_all[index])
    threshold = observed - 1e-9 * max(1.0, abs(observed)) if np.isfinite(observed) else observed
    if n_queries <= _MAX_EXACT_QUERIES and 2 ** n_queries <= n_resamples:
        patterns = (np.arange(2 ** n_queries)[:, None] >> np.arange(n_queries)[None, :]) & 1
        maxima = _max_statistics(1 - 2 * patterns, differences, sum_squares)
        return observed, float(np.count_nonzero(maxima >= threshold) / 2 ** n_queries)
    rng = np.random.default_rng(int(random_state))
    chunk = max(1, _CHUNK_CELLS // max(n_queries, n_candidates))
    reached = done = 0
    while done < n_resamples:
        rows = min(chunk, int(n_resamples) - done)
        signs = rng.integers(0, 2, size=(rows, n_queries), dtype=np.int8) * 2 - 1
        reached += int(np.count_nonzero(
            _max_statistics(signs, differences, sum_squares) >= threshold))
        done += rows
    return observed, float((reached + 1) / (int(n_resamples) + 1))


def _differences(candidates: Any, baseline: Any) -> np.ndarray:
    """(n_candidates, n_kept_queries) differences candidate - baseline, NaN queries left out."""
    table = np.asarray(candidates, dtype=np.float64)
    base = np.asarray(baseline, dtype=np.float64).ravel()
    if table.ndim == 1:
        table = table[None, :]
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError(f"candidates must have shape (n_candidates, n_queries), got "
                         f"{np.shape(candidates)}")
    if table.shape[1] != base.size:
        raise ValueError(f"length mismatch: candidates have {table.shape[1]} queries, "
                         f"baseline has {base.size}")
    if np.isinf(table).any() or np.isinf(base).any():
        raise ValueError("per-query values must be finite (or NaN for skipped queries)")
    keep = ~(np.isnan(base) | np.isnan(table).any(axis=0))
    return table[:, keep] - base[keep]


def _max_statistics(signs: np.ndarray, differences: np.ndarray,
                    sum_squares: np.ndarray) -> np.ndarray:
    """(n_patterns,) the largest candidate t-statistic under each sign pattern."""
    n_queries = differences.shape[1]
    means = (signs.astype(np.float64) @ differences.T) / n_queries
    return _t_statistics(means, sum_squares, n_queries).max(axis=1)


def _t_statistics(means: np.ndarray, sum_squares: np.ndarray, n_queries: int) -> np.ndarray:
    """Paired t-statistics from the means (patterns, candidates) and the sums of squared
    differences (candidates,), which sign flips leave unchanged."""
    variance = (sum_squares[None, :] - n_queries * means ** 2) / (n_queries - 1)
    scale = 1e-12 * np.maximum(sum_squares[None, :] / n_queries, 1e-300)
    degenerate = variance <= scale  # all differences equal (possibly all zero)
    error = np.sqrt(np.where(degenerate, 1.0, variance) / n_queries)
    t = np.where(degenerate, 0.0, means / error)
    constant = degenerate & (np.abs(means) > 0)
    return np.where(constant, np.copysign(np.inf, means), t)
