"""A synthetic learning-to-rank generator whose labels trees can learn and a linear model cannot.

`make_ranking` draws queries of documents with LETOR-like features in [0, 1] and graded labels
``0 .. relevance_levels - 1`` from a hidden *teacher*: a non-linear function of the features
(step thresholds, an AND of two thresholds, an XOR-like product, a bump, a small linear part)
plus per-query effects:

- a query-level shift of the feature distribution (queries differ, as in real data);
- a per-query *context* feature (constant within a query, like a query-length feature) that
  flips the sign of one feature's effect: for half of the queries more is better, for the
  other half less is, which no linear scorer can express;
- a per-query offset of the latent relevance, so some queries have many relevant documents
  and some none (as in MQ2008 and MSLR).

The latent relevance is standardized on a fixed reference sample, ``noise`` standard
deviations of Gaussian noise are added, and the result is cut into graded labels at fixed
quantiles (about half the documents are 0, each next grade half as frequent as the previous).
The teacher and the label thresholds depend only on ``random_state``, ``n_features``,
``relevance_levels`` and ``sparsity``, never on the number of queries.

To get train / validation / test sets from one distribution, generate once and split by
query::

    data = make_ranking(500, (5, 40), 30, random_state=0)
    train, vali, test = data.queries(slice(0, 300)), data.queries(slice(300, 400)), \
        data.queries(slice(400, 500))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .ranking_data import RankingData

#: queries x documents of the reference sample that fixes standardization and label cut-offs
_REF_QUERIES = 400
_REF_DOCS = 25
_N_FACTORS = 3


@dataclass(frozen=True)
class _Teacher:
    """Hidden parameters of the relevance function (drawn once per seed)."""

    n_features: int
    mixing: np.ndarray          # (_N_FACTORS, n_features) shared-factor loadings
    context: int                # index of the per-query context feature
    steps: np.ndarray           # (3, 3): feature, threshold, weight of the step terms
    and_term: np.ndarray        # (5,): feature a, threshold a, feature b, threshold b, weight
    xor_term: np.ndarray        # (3,): feature c, feature d, weight
    bump: np.ndarray            # (3,): feature, centre, weight
    switch: np.ndarray          # (2,): feature, weight (sign flipped by the context feature)
    linear: np.ndarray          # (2, 2): feature, weight
    sparsity: float


def _draw_teacher(rng: np.random.Generator, n_features: int, sparsity: float) -> _Teacher:
    n_informative = min(n_features, 10)
    informative = rng.permutation(n_features)[:n_informative]
    # roles cycle through the informative features (reused when there are few features)
    roles = np.resize(informative, 13)
    context = int(roles[0])
    non_context = [int(f) for f in roles[1:] if f != context] or [context]
    pick = np.resize(np.array(non_context), 12)
    steps = np.column_stack([pick[0:3], rng.uniform(0.45, 0.8, 3), rng.uniform(0.6, 1.0, 3)])
    and_term = np.array([pick[3], rng.uniform(0.4, 0.6), pick[4], rng.uniform(0.4, 0.6),
                         rng.uniform(1.2, 1.6)])
    xor_term = np.array([pick[5], pick[6], rng.uniform(5.0, 7.0)])
    bump = np.array([pick[7], rng.uniform(0.35, 0.65), rng.uniform(1.0, 1.4)])
    switch = np.array([pick[8], rng.uniform(2.5, 3.5)])
    linear = np.column_stack([pick[9:11], rng.uniform(0.2, 0.4, 2)])
    mixing = rng.normal(0.0, 0.6 / np.sqrt(_N_FACTORS), size=(_N_FACTORS, n_features))
    return _Teacher(n_features, mixing, context, steps, and_term, xor_term, bump, switch,
                    linear, sparsity)


def _features(teacher: _Teacher, sizes: np.ndarray, rng: np.random.Generator,
              decimals: int | None) -> np.ndarray:
    """Features (n_rows, n_features) in [0, 1] for queries of ``sizes`` documents."""
    n_queries, n_rows, n_features = sizes.size, int(sizes.sum()), teacher.n_features
    query_of_row = np.repeat(np.arange(n_queries), sizes)
    shift = rng.normal(0.0, 0.5, size=(n_queries, n_features))
    factors = rng.normal(size=(n_rows, _N_FACTORS))
    z = shift[query_of_row] + 0.8 * rng.normal(size=(n_rows, n_features)) + factors @ teacher.mixing
    from scipy.special import ndtr  # imported here: scipy.special alone costs ~0.2 s

    X = ndtr(z)  # standard normal CDF: values in (0, 1), like query-level-normalized LETOR
    X[:, teacher.context] = rng.uniform(size=n_queries)[query_of_row]
    if teacher.sparsity > 0:
        missing = rng.uniform(size=(n_rows, n_features)) < teacher.sparsity
        missing[:, teacher.context] = False
        X[missing] = 0.0
    if decimals is not None:
        X = np.round(X, decimals)
    return X


def _relevance(teacher: _Teacher, X: np.ndarray) -> np.ndarray:
    """The noise-free teacher score (n_rows,) of each document."""
    col = lambda f: X[:, int(f)]  # noqa: E731
    score = np.zeros(X.shape[0])
    for feature, threshold, weight in teacher.steps:
        score += weight * (col(feature) > threshold)
    fa, ta, fb, tb, w = teacher.and_term
    score += w * ((col(fa) > ta) & (col(fb) > tb))
    fc, fd, w = teacher.xor_term
    score += w * (col(fc) - 0.5) * (col(fd) - 0.5)
    fe, centre, w = teacher.bump
    score += w * np.exp(-(((col(fe) - centre) / 0.12) ** 2))
    fs, w = teacher.switch
    sign = np.where(col(teacher.context) > 0.5, 1.0, -1.0)
    score += w * sign * (col(fs) - 0.5)
    for feature, weight in teacher.linear:
        score += weight * col(feature)
    return score


def _label_cutoffs(relevance_levels: int) -> np.ndarray:
    """Cumulative quantiles (relevance_levels - 1,): grade g is half as frequent as g - 1."""
    weights = 0.5 ** np.arange(relevance_levels)
    return np.cumsum(weights / weights.sum())[:-1]


def _check_sizes(n_queries: Any, docs_per_query: Any) -> tuple[int, int, int]:
    if isinstance(n_queries, bool) or not isinstance(n_queries, (int, np.integer)) or n_queries < 1:
        raise ValueError(f"n_queries must be a positive int, got {n_queries!r}")
    if isinstance(docs_per_query, (int, np.integer)) and not isinstance(docs_per_query, bool):
        low = high = int(docs_per_query)
    else:
        try:
            low, high = (int(v) for v in docs_per_query)
        except (TypeError, ValueError):
            raise ValueError(
                f"docs_per_query must be an int or a (min, max) pair, got {docs_per_query!r}"
            ) from None
    if low < 1 or high < low:
        raise ValueError(
            f"docs_per_query must satisfy 1 <= min <= max, got {docs_per_query!r}"
        )
    return int(n_queries), low, high


def _check_model(n_features: Any, relevance_levels: Any, noise: Any, sparsity: Any,
                 decimals: Any) -> tuple[int, float, float]:
    """Validate the generator's parameters; return ``(n_features, noise, sparsity)``."""
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
        raise ValueError(f"n_features must be a positive int, got {n_features!r}")
    if isinstance(relevance_levels, bool) or not isinstance(relevance_levels, (int, np.integer)) \
            or relevance_levels < 2:
        raise ValueError(f"relevance_levels must be an int >= 2, got {relevance_levels!r}")
    noise = _as_float("noise", noise)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    sparsity = _as_float("sparsity", sparsity)
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    if decimals is not None and (not isinstance(decimals, (int, np.integer)) or decimals < 1):
        raise ValueError(f"decimals must be None or an int >= 1, got {decimals!r}")
    return int(n_features), noise, sparsity


def make_ranking(
    n_queries: int,
    docs_per_query: int | tuple[int, int],
    n_features: int,
    *,
    relevance_levels: int = 5,
    noise: float = 0.5,
    sparsity: float = 0.0,
    decimals: int | None = None,
    sparse: bool = False,
    random_state: int | np.random.SeedSequence | None = None,
    seed: int | np.random.SeedSequence | None = None,
) -> RankingData:
    """Generate a learning-to-rank dataset with a non-linear, query-dependent relevance.

    Parameters
    ----------
    n_queries : number of queries (>= 1).
    docs_per_query : documents per query: an int, or ``(min, max)`` (inclusive) to draw each
        query's size uniformly.
    n_features : number of features (>= 1); at most 10 of them are informative, the others
        are correlated distractors (they share latent factors with the informative ones).
    relevance_levels : number of graded labels (>= 2): labels are ``0 .. relevance_levels-1``.
    noise : standard deviation of the Gaussian noise added to the standardized teacher score
        (>= 0). 0 makes labels a deterministic function of the features (up to the per-query
        offset, which does not change the order inside a query).
    sparsity : fraction of feature values (in [0, 1)) set to exactly 0, as missing features
        are in LibSVM files; the teacher sees the zeros too.
    decimals : round the features to this many decimals (smaller text files); the labels are
        computed from the rounded values, so they stay consistent with what is stored.
    sparse : return ``X`` as a ``scipy.sparse.csr_matrix`` instead of a dense array.
    random_state : int or SeedSequence; the same value and arguments give identical data
        (None draws fresh entropy).
    seed : deprecated alias of ``random_state`` (DeprecationWarning); the same value gives
        the same data as ``random_state``.

    Returns
    -------
    RankingData with ``X`` (n_rows, n_features) float64 in [0, 1], ``y`` float64 labels,
    ``qid`` 1..n_queries (contiguous), ``docid`` like ``"D12-3"`` (query 12, document 3).
    """
    from ..validation import resolve_seed_alias

    random_state = resolve_seed_alias(random_state, seed, owner="make_ranking")
    n_queries, low, high = _check_sizes(n_queries, docs_per_query)
    n_features, noise, sparsity = _check_model(n_features, relevance_levels, noise, sparsity,
                                               decimals)

    seq = (random_state if isinstance(random_state, np.random.SeedSequence)
           else np.random.SeedSequence(random_state))
    teacher_seq, reference_seq, sample_seq = seq.spawn(3)
    teacher = _draw_teacher(np.random.default_rng(teacher_seq), n_features, float(sparsity))

    # Standardization and label cut-offs from a fixed reference sample: independent of
    # n_queries, so any number of queries follows the same label distribution.
    ref_rng = np.random.default_rng(reference_seq)
    ref_sizes = np.full(_REF_QUERIES, _REF_DOCS)
    ref_score = _relevance(teacher, _features(teacher, ref_sizes, ref_rng, decimals))
    centre, scale = ref_score.mean(), ref_score.std()
    scale = scale if scale > 0 else 1.0
    ref_latent = _latent(ref_score, centre, scale, ref_sizes, noise, ref_rng)
    cutoffs = np.quantile(ref_latent, _label_cutoffs(int(relevance_levels)))

    rng = np.random.default_rng(sample_seq)
    sizes = rng.integers(low, high + 1, size=n_queries)
    X = _features(teacher, sizes, rng, decimals)
    latent = _latent(_relevance(teacher, X), centre, scale, sizes, noise, rng)
    y = np.searchsorted(cutoffs, latent, side="right").astype(np.float64)

    qid = np.repeat(np.arange(1, n_queries + 1, dtype=np.int64), sizes)
    offsets = np.zeros(n_queries + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    position = np.arange(qid.size) - np.repeat(offsets[:-1], sizes)
    docid = np.char.add(np.char.add(np.char.add("D", qid.astype(str)), "-"), position.astype(str))
    return RankingData(sp.csr_matrix(X) if sparse else X, y, qid, group_offsets=offsets,
                       docid=docid)


def _as_float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _latent(score: np.ndarray, centre: float, scale: float, sizes: np.ndarray, noise: float,
            rng: np.random.Generator) -> np.ndarray:
    """Standardized teacher score + per-query offset + ``noise`` * N(0, 1) per document."""
    offset = rng.normal(0.0, 0.5, size=sizes.size)
    return (score - centre) / scale + np.repeat(offset, sizes) + noise * rng.normal(size=score.size)


__all__ = ["make_ranking"]
