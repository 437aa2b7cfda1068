"""Input validation shared by every estimator, `compare`, tuning and the CLI.

The one place (like scikit-learn's ``utils/validation.py``) that turns what a user passes into
what the models train on:

- `check_features`: a feature matrix (ndarray / CSR / DataFrame) -> float ndarray or CSR;
- `check_labels`, `check_relevance_labels`: numeric finite labels; graded / binary labels;
- `check_qid`: integer query ids (an error names ``qid``);
- `to_ranking_data`: ``(X, y, qid | group)`` or a `RankingData` -> rows grouped by query, the
  row order used to regroup them, the per-row weights in that order; `restore_order` maps
  grouped-order values back to the caller's rows;
- `check_sample_weight`, `per_query_weights`: per-row weights; one weight per query;
- `check_non_empty`: at least one row and one feature to train on;
- `load_split`: a split given as a path, an ``(X, y, qid)`` tuple or a `RankingData`;
- `check_random_state`, `check_n_jobs`, `check_verbose`: the rules of those common parameters.

The declarative constructor-parameter constraints live in `boostrank.params` (re-exported
here: `Interval`, `Options`, `validate_params`, ...).
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .data.ranking_data import RankingData, check_position
from .params import (
    Constraint,
    InstanceOf,
    Interval,
    InvalidParameterError,
    Options,
    Satisfies,
    describe_constraints,
    validate_params,
)

__all__ = [
    "check_features", "check_labels", "check_relevance_labels", "check_qid",
    "to_ranking_data", "restore_order", "check_sample_weight", "per_query_weights",
    "check_non_empty", "load_split", "check_random_state", "check_n_jobs", "check_verbose",
    "feature_names_of",
    # re-exported from boostrank.params
    "Constraint", "Interval", "Options", "InstanceOf", "Satisfies", "InvalidParameterError",
    "validate_params", "describe_constraints",
]

#: largest seed accepted by ``random_state`` (LightGBM, XGBoost and torch all take it)
MAX_SEED = 2**31 - 1


# ---------------------------------------------------------------------- features and labels
def feature_names_of(X: Any) -> list[str] | None:
    """Column names of a DataFrame (as str) or of a `RankingData`; None for arrays."""
    if isinstance(X, RankingData):
        return X.feature_names
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    return [str(c) for c in columns]


def check_features(X: Any, *, dtype: Any = None, allow_nan: bool = True, name: str = "X") -> Any:
    """Validate a feature matrix.

    Parameters
    ----------
    X : ndarray, scipy sparse matrix, pandas DataFrame or `RankingData` (its ``X``)
        Shape (n_rows, n_features).
    dtype : float dtype or None
        Target dtype; None keeps float32 / float64 and turns anything else into float64.
    allow_nan : bool, default True
        NaN is a missing value when True, an error otherwise. Infinite values are always an
        error.
    name : str
        How the matrix is called in error messages.

    Returns
    -------
    ndarray (n_rows, n_features) or ``scipy.sparse.csr_matrix``
        Floating-point features.
    """
    if isinstance(X, RankingData):
        X = X.X
    if hasattr(X, "to_numpy") and hasattr(X, "columns"):
        try:
            X = X.to_numpy(dtype=np.float64 if dtype is None else dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from None
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        target = dtype or (X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        if X.dtype != target:
            X = X.astype(target)
        values = X.data
    else:
        X = _dense_features(X, dtype, name)
        values = X
    if values.size:
        if np.isinf(values).any():
            raise ValueError(f"{name} contains infinite values")
        if not allow_nan and np.isnan(values).any():
            raise ValueError(f"{name} contains NaN")
    return X


def _dense_features(X: Any, dtype: Any, name: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim == 1:
        raise ValueError(f"{name} must be 2-D (n_rows, n_features); got a 1-D array. "
                         "Reshape with X.reshape(-1, 1) for a single feature.")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, n_features), got shape {X.shape}")
    if X.dtype.kind not in "fiub":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from None
    target = dtype or (X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
    return X.astype(target, copy=False)


def check_labels(y: Any, n_rows: int | None = None, *, name: str = "y") -> np.ndarray:
    """Labels as a finite float64 vector (n_rows,); ValueError naming ``name`` otherwise."""
    array = np.asarray(y)
    if array.ndim > 1 and not (array.ndim == 2 and 1 in array.shape):
        raise ValueError(f"{name} must be 1-D (n_rows,), got shape {array.shape}")
    if array.dtype.kind not in "fiub":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must hold numbers (relevance labels); got values of "
                             f"dtype {array.dtype}") from None
    array = array.astype(np.float64, copy=False).ravel()
    if n_rows is not None and array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} entries for {n_rows} rows")
    if array.size and not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name} contains NaN or infinite labels ({name}[{bad}] = {array[bad]})")
    return array


def check_relevance_labels(y: np.ndarray, *, kind: str = "graded", owner: str = "",
                           name: str = "y", hint: str = "") -> None:
    """Labels an objective can train on.

    Parameters
    ----------
    y : ndarray (n_rows,) float64
        Finite labels (see `check_labels`).
    kind : {"graded", "binary", "real"}
        ``graded``: integers >= 0; ``binary``: 0 or 1; ``real``: anything finite.
    owner : str
        Who needs the labels (``"objective='lambdarank'"``), quoted in the message.
    name : str
        How the labels are called in the message.
    hint : str
        Appended to the message for fractional labels (what to do instead).

    Raises
    ------
    ValueError
        Naming the first offending row and its value.
    """
    if kind == "real" or y.size == 0:
        return
    who = f"{owner} needs" if owner else "needs"
    if kind == "binary":
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise ValueError(f"{who} binary relevance labels (0 or 1); {name}[{bad[0]}] = "
                             f"{y[bad[0]]:g}. Binarise the labels or use another objective")
        return
    negative = np.flatnonzero(y < 0)
    if negative.size:
        raise ValueError(f"{who} relevance labels >= 0; {name}[{negative[0]}] = "
                         f"{y[negative[0]]:g}")
    fractional = np.flatnonzero(y != np.round(y))
    if fractional.size:
        raise ValueError(f"{who} integer relevance labels 0, 1, 2, ...; {name}[{fractional[0]}]"
                         f" = {y[fractional[0]]:g}. {hint or 'Round or bin the labels.'}")


def check_qid(qid: Any, n_rows: int, *, name: str = "qid") -> np.ndarray:
    """Query ids (n_rows,) as int64; integral floats are accepted, strings are an error."""
    array = np.asarray(qid).ravel()
    if array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} entries for {n_rows} rows")
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind in "fb" or (array.dtype == object and all(
            isinstance(v, (int, float, np.number)) for v in array[:1000])):
        try:
            as_float = array.astype(np.float64)
        except (TypeError, ValueError):
            as_float = None
        if as_float is not None and np.isfinite(as_float).all() and np.array_equal(
                as_float, np.round(as_float)) and (np.abs(as_float) <= 2.0**53).all():
            return as_float.astype(np.int64)
    first = array[0] if array.size else None
    raise ValueError(f"{name} must hold integer query ids (one per row); got dtype "
                     f"{array.dtype} (first value {first!r}). Map query names to integers, "
                     f"e.g. with pandas.factorize")


# ---------------------------------------------------------------------- grouping
def to_ranking_data(
    X: Any,
    y: Any = None,
    *,
    qid: Any = None,
    group: Any = None,
    sample_weight: Any = None,
    position: Any = None,
    name: str = "X",
    dtype: Any = None,
    allow_nan: bool = True,
) -> tuple[RankingData, np.ndarray | None, np.ndarray | None]:
    """Validate ``(X, y, qid | group)`` or a `RankingData` and group its rows by query.

    Parameters
    ----------
    X : `RankingData`, ndarray (n_rows, n_features), sparse matrix or DataFrame
        With a `RankingData`, ``y``, ``qid`` and ``group`` must be None.
    y : array-like (n_rows,)
        Graded relevance labels (finite numbers).
    qid : array-like (n_rows,) of int, optional
        Query id of each row; the rows of a query need not be contiguous (they are regrouped
        stably, keeping the first-appearance order of the queries).
    group : array-like (n_queries,) of int, optional
        Query sizes (LightGBM style) instead of ``qid``.
    sample_weight : array-like (n_rows,), optional
        Per-row weights (finite, >= 0), in the caller's row order.
    position : array-like (n_rows,) of int >= 1, optional
        The 1-based rank at which each row was shown (click logs), in the caller's row
        order; it becomes ``data.position``. A `RankingData` carries its own ``.position``.
    name : str
        How the data is called in error messages (``"X"``, ``"eval_set valid_0"``...).
    dtype, allow_nan :
        Passed to `check_features`.

    Returns
    -------
    data : RankingData
        Checked features (column names kept as ``feature_names``), rows grouped by query.
    order : ndarray (n_rows,) int64 or None
        ``data.X == X[order]``; None when the rows were already grouped. Use `restore_order`
        to bring values computed on ``data`` back to the caller's order.
    weights : ndarray (n_rows,) float64 or None
        ``sample_weight`` in the grouped order.
    """
    if isinstance(X, RankingData):
        if y is not None or qid is not None or group is not None:
            raise ValueError(f"{name} is a RankingData: do not pass y, qid or group with it")
        if position is not None:
            raise ValueError(f"{name} is a RankingData: its positions are {name}.position; do "
                             "not pass position= with it")
        features = check_features(X.X, dtype=dtype, allow_nan=allow_nan, name=name)
        data = X if features is X.X else _with_features(X, features)
        return data, None, check_sample_weight(sample_weight, data.n_rows)
    if y is None:
        raise ValueError(f"{name}: labels y are required (or pass a RankingData)")
    if qid is None and group is None:
        raise ValueError(f"{name}: query ids are required: pass qid= (one per row) or group= "
                         "(query sizes), or a RankingData")
    if qid is not None and group is not None:
        raise ValueError(f"{name}: give either qid or group, not both")
    names = feature_names_of(X)
    features = check_features(X, dtype=dtype, allow_nan=allow_nan, name=name)
    n_rows = features.shape[0]
    labels = check_labels(y, n_rows, name="y" if name == "X" else f"{name} y")
    if qid is not None:
        qid = check_qid(qid, n_rows, name="qid" if name == "X" else f"{name} qid")
    if position is not None:
        position = check_position(position, n_rows)
    data, order = RankingData.from_arrays_with_order(features, labels, qid, group=group,
                                                     warn=False, feature_names=names,
                                                     position=position)
    weights = check_sample_weight(sample_weight, n_rows)
    if weights is not None and order is not None:
        weights = weights[order]
    return data, order, weights


def _with_features(data: RankingData, features: Any) -> RankingData:
    return RankingData(features, data.y, data.qid, group_offsets=data.group_offsets,
                       docid=data.docid, comment=data.comment, feature_names=data.feature_names,
                       source=data.source, source_row=data.source_row, position=data.position)


def restore_order(values: Any, order: np.ndarray | None) -> np.ndarray:
    """Values (n_rows, ...) in grouped order -> the caller's row order.

    ``order`` is the row order returned by `to_ranking_data` (None: unchanged).
    """
    values = np.asarray(values)
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out


def check_non_empty(data: RankingData, *, name: str = "training set") -> None:
    """At least one row and one feature; ValueError naming ``name`` otherwise."""
    if data.n_rows == 0:
        raise ValueError(f"the {name} is empty (0 rows); fit needs at least one query with "
                         "documents")
    if data.n_features == 0:
        raise ValueError(f"the {name} has 0 features (X has shape ({data.n_rows}, 0)); fit "
                         "needs at least one feature column")


# ---------------------------------------------------------------------- weights
def check_sample_weight(sample_weight: Any, n_rows: int, *,
                        name: str = "sample_weight") -> np.ndarray | None:
    """Per-row weights (n_rows,) float64, finite and >= 0; None passes through."""
    if sample_weight is None:
        return None
    try:
        weights = np.asarray(sample_weight, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers (one weight per row)") from None
    if weights.shape[0] != n_rows:
        raise ValueError(f"{name} has {weights.shape[0]} entries for {n_rows} rows")
    if not np.isfinite(weights).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if (weights < 0).any():
        raise ValueError(f"{name} must be >= 0")
    return weights


def per_query_weights(weights: np.ndarray | None, data: RankingData, *,
                      why: str = "ranking weights are per query") -> np.ndarray | None:
    """Per-row weights constant inside each query -> one weight per query (n_queries,).

    ``weights`` are in ``data``'s (grouped) row order. An empty query gets weight 0. A weight
    that varies inside a query is a ValueError naming the query's qid and ``why``.
    """
    if weights is None:
        return None
    offsets = data.group_offsets
    sizes = np.diff(offsets)
    out = np.zeros(sizes.size, dtype=np.float64)
    filled = sizes > 0
    if not filled.any():
        return out
    starts = offsets[:-1][filled]
    low = np.minimum.reduceat(weights, starts)
    high = np.maximum.reduceat(weights, starts)
    varies = np.flatnonzero(low != high)
    if varies.size:
        q = int(np.flatnonzero(filled)[varies[0]])
        raise ValueError(
            f"{why}, but sample_weight varies inside query qid={int(data.qid[offsets[q]])} "
            f"(from {low[varies[0]]:g} to {high[varies[0]]:g}); give every row of a query the "
            "same weight (the query's weight)"
        )
    out[filled] = low
    return out


# ---------------------------------------------------------------------- splits
def load_split(spec: Any, *, name: str, n_features: int | None = None) -> RankingData:
    """One split (train / valid / test) from any accepted description.

    Parameters
    ----------
    spec : str or PathLike, tuple ``(X, y, qid)`` or `RankingData`
        A path is a LibSVM / LETOR text file (``.gz`` / ``.bz2`` / ``.xz`` too; read by
        `boostrank.data.load_libsvm`) or a `RankingData` cache folder (``RankingData.save``).
    name : str
        The split's name, starting every error message (``"valid: ..."``).
    n_features : int, optional
        The width the split must have. A LibSVM file is read with that width (LibSVM leaves
        trailing zero features out, so a file may stop before the last one); any other input
        must already have it.

    Returns
    -------
    RankingData
        Rows grouped by query.

    Raises
    ------
    FileNotFoundError, ValueError, TypeError
        With a message that starts with ``name``; an error in a file's content is the
        ingestion layer's `boostrank.data.errors.DataFormatError` (a ``ValueError``), which
        names the file, the line and the token.
    """
    if isinstance(spec, (str, os.PathLike)):
        data = _load_split_path(Path(spec), name, n_features)
    elif isinstance(spec, RankingData):
        data = spec
    elif isinstance(spec, (tuple, list)) and len(spec) == 3:
        data, _, _ = to_ranking_data(spec[0], spec[1], qid=spec[2], name=name)
    else:
        raise TypeError(f"{name}: expected a file path, an (X, y, qid) tuple or a RankingData, "
                        f"got {type(spec).__name__}")
    if n_features is not None and data.n_features != n_features:
        raise ValueError(f"{name} has {data.n_features} features, expected {n_features}")
    return data


def _load_split_path(path: Path, name: str, n_features: int | None) -> RankingData:
    if not path.exists():
        raise FileNotFoundError(f"{name}: {path} does not exist")
    if path.is_dir():
        if not (path / "meta.json").is_file():
            raise ValueError(f"{name}: {path} is a folder but not a boostrank cache "
                             "(no meta.json); give a LibSVM file or a RankingData.save folder")
        return RankingData.load(path)
    from .data import load_libsvm

    try:
        return load_libsvm(path, n_features=n_features)
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{name}: cannot read {path}: {exc}") from None


# ---------------------------------------------------------------------- common parameters
def resolve_seed_alias(random_state: Any, seed: Any, *, default: Any = None,
                       owner: str | None = None, stacklevel: int = 3) -> Any:
    """``random_state``, or ``seed`` (its deprecated alias) when that is what was given.

    Parameters
    ----------
    random_state : Any
        The ``random_state`` argument as received.
    seed : Any
        The deprecated ``seed`` argument; None when not given.
    default : Any, default None
        ``random_state``'s default: any other value together with ``seed`` is a ValueError
        (both given).
    owner : str, optional
        The public function or class, named in the messages (``"compare"``).
    stacklevel : int, default 3
        Passed to `warnings.warn` so the warning points at the user's call.

    Returns
    -------
    Any
        ``seed`` when given (with a `DeprecationWarning`), else ``random_state``.
    """
    import warnings

    if seed is None:
        return random_state
    prefix = f"{owner}: " if owner else ""
    if random_state is not default and random_state != default:
        raise ValueError(f"{prefix}give random_state only (seed={seed!r} is its deprecated "
                         "alias), not both")
    message = (f"{owner}(seed=...) is deprecated; use random_state=..." if owner
               else "seed= is deprecated; use random_state=")
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)
    return seed


def check_random_state(random_state: Any, param: str = "random_state") -> int | None:
    """``random_state`` -> an int seed in [0, 2**31 - 1], or None (fresh randomness).

    Accepts None, an int in that range, or a ``numpy.random.RandomState`` / ``Generator``
    (one seed is drawn from it, as scikit-learn does; call this once per fit).
    """
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, MAX_SEED))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, MAX_SEED))
    if Interval(numbers.Integral, 0, MAX_SEED).is_satisfied_by(random_state):
        return int(random_state)
    raise InvalidParameterError(
        f"{param} must be None, an integer in [0, {MAX_SEED}] or a numpy RandomState/Generator; "
        f"got {random_state!r}")


def check_n_jobs(n_jobs: Any, param: str = "n_jobs") -> int | None:
    """``n_jobs`` -> a positive thread count, or None (the library's default).

    scikit-learn's rule: a positive int is that many threads, -1 all cores, -2 all but one,
    ...; 0 is an error.
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) \
            or n_jobs == 0:
        raise InvalidParameterError(
            f"{param} must be a positive integer, a negative integer (-1 = all cores) or None; "
            f"got {n_jobs!r}")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


def check_verbose(verbose: Any, param: str = "verbose") -> int:
    """``verbose`` -> print the eval metrics every N steps (0: silent).

    Accepts a bool (True = every step) or any int; a negative int is silent (LightGBM's
    ``verbose=-1`` habit).
    """
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    if isinstance(verbose, (int, np.integer)):
        return max(0, int(verbose))
    raise InvalidParameterError(f"{param} must be a bool or an integer (0 or negative: silent); "
                                f"got {verbose!r}")
