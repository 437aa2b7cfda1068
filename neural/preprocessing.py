"""Feature preprocessing fitted on the training set and stored inside the model.

Methods (``FeaturePreprocessor(method=...)``):

- ``"standard"`` (default): ``(x - mean) / std`` per feature, statistics of the training rows.
- ``"log1p"``: the signed log transform of DASALC (Qin et al., ICLR 2021),
  ``sign(x) * log1p(|x|)``, followed by standardisation fitted on the transformed training set.
- ``"query_minmax"``: LETOR's QueryLevelNorm, ``(x - min_q) / (max_q - min_q)`` within each
  query (needs the query structure at transform time; stateless).
- ``"thermometer"``: the standardised features followed, for each feature, by the indicators
  ``x > edge`` for the 15 inner quantiles of its non-zero training values (repeated edges
  merged) and the indicator ``x == 0``, all standardised. A piecewise (thermometer) encoding
  of numerical features (Gorishniy et al., "On Embeddings for Numerical Features in Tabular
  Deep Learning", NeurIPS 2022): it hands the network the thresholds and the "feature absent"
  state that trees find by themselves. The width grows to about 17x the feature count; a
  transform whose output would exceed `MAX_EXPANDED_ELEMENTS` values is refused.
- ``"none"``: features are used as given (only NaN replaced and values clipped).

Robustness: statistics are computed in float64 on features pre-scaled by their largest
absolute value, so values up to float64's range never overflow; constant features get a scale
of 1 (they map to 0); NaN features map to the training mean (0 after standardisation); the
output is clipped to ``±clip`` and returned as float32, so no NaN or inf ever reaches the
network.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

METHODS = ("standard", "log1p", "query_minmax", "thermometer", "none")
#: quantile bins per feature of ``thermometer`` (15 inner edges)
THERMOMETER_BINS = 16
#: largest output (rows x columns) a ``thermometer`` transform may produce: 2**28 float32
#: values, 1 GiB
MAX_EXPANDED_ELEMENTS = 1 << 28


def _dense(X: Any) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X.toarray(), dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


def signed_log1p(X: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)`` elementwise (NaN stays NaN)."""
    return np.sign(X) * np.log1p(np.abs(X))


def query_minmax(X: np.ndarray, group_offsets: np.ndarray) -> np.ndarray:
    """Per-query min-max scaling to [0, 1]; a feature constant within a query maps to 0.

    ``X``: (n_rows, n_features) float64 with rows grouped by query; ``group_offsets``:
    (n_queries + 1,) int64. NaN values are ignored for min/max and stay NaN.
    """
    offsets = np.asarray(group_offsets, dtype=np.int64)
    if X.shape[0] == 0:
        return X.copy()
    # min-max is scale invariant: divide by each feature's magnitude so spans cannot overflow.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        magnitude = np.nanmax(np.abs(X), axis=0)
    magnitude = np.where(np.isfinite(magnitude) & (magnitude > 0), magnitude, 1.0)
    X = X / magnitude
    starts = offsets[:-1][np.diff(offsets) > 0]
    sizes = np.diff(np.append(starts, X.shape[0]))
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduceat(X, starts, axis=0)
        hi = np.fmax.reduceat(X, starts, axis=0)
    lo = np.where(np.isnan(lo), 0.0, lo)
    span = np.where(np.isnan(hi), 0.0, hi) - lo
    span = np.where(np.isfinite(span) & (span > 0), span, 0.0)
    safe = np.where(span > 0, span, 1.0)
    out = (X - np.repeat(lo, sizes, axis=0)) / np.repeat(safe, sizes, axis=0)
    out[np.repeat(span == 0, sizes, axis=0)] = 0.0
    return out


def thermometer_edges(X: np.ndarray, n_bins: int = THERMOMETER_BINS
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature cut points of the thermometer encoding: the ``n_bins - 1`` inner quantiles
    of each feature's finite non-zero values in ``X`` (n_rows, n_features), repeated values
    merged. Returns ``(edges, counts)``: all edges concatenated feature by feature (float64)
    and the number of edges of each feature (int64, (n_features,))."""
    levels = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    edges, counts = [], []
    for column in X.T:
        values = column[np.isfinite(column) & (column != 0)]
        found = np.unique(np.quantile(values, levels)) if values.size else np.empty(0)
        edges.append(found)
        counts.append(found.size)
    return (np.concatenate(edges) if edges else np.empty(0),
            np.asarray(counts, dtype=np.int64))


def thermometer_expand(X: np.ndarray, edges: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``[X, x_j > edge for every edge of feature j, x == 0]``: (n_rows, 2 * n_features +
    counts.sum()) float64. NaN stays NaN in the first block and gives 0 indicators."""
    n_rows, n_features = X.shape
    width = 2 * n_features + int(counts.sum())
    out = np.empty((n_rows, width), dtype=np.float64)
    out[:, :n_features] = X
    start, column = 0, n_features
    with np.errstate(invalid="ignore"):
        for feature, count in enumerate(counts):
            block = edges[start:start + count]
            out[:, column:column + count] = X[:, [feature]] > block[None, :]
            start, column = start + count, column + count
        out[:, column:] = X == 0
    return out


def standard_stats(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, scale)`` per column of ``Z`` (n_rows, n_columns), ignoring non-finite values,
    computed on columns pre-scaled by their largest magnitude so they never overflow; a
    constant column gets scale 1."""
    finite = np.isfinite(Z)
    magnitude = np.max(np.abs(np.where(finite, Z, 0.0)), axis=0)
    magnitude = np.where(magnitude > 0, magnitude, 1.0)
    Zs = np.where(finite, Z / magnitude, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(Zs, axis=0)
        std = np.nanstd(Zs, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std), std, 0.0)
    return mean * magnitude, np.where(std > 1e-12, std * magnitude, 1.0)


class FeaturePreprocessor:
    """Fit on training features, transform any features the same way (float32 output).

    Args:
        method: one of ``"standard"``, ``"log1p"``, ``"query_minmax"``, ``"none"``.
        clip: absolute bound of the transformed values (applied after the transform).

    Fitted attributes: ``mean_`` and ``scale_`` (n_outputs,) float64 (for ``standard``,
    ``log1p`` and ``thermometer``; zeros/ones otherwise), ``n_features_``, and for
    ``thermometer`` ``edges_`` / ``edge_counts_`` (`thermometer_edges`). ``n_outputs_``: the
    width of the transformed features (``n_features_`` except for ``thermometer``).
    """

    def __init__(self, method: str = "standard", clip: float = 1e4) -> None:
        if method not in METHODS:
            raise ValueError(f"preprocessing must be one of {METHODS}, got {method!r}")
        if not clip > 0:
            raise ValueError(f"preprocessing clip must be > 0, got {clip}")
        self.method = method
        self.clip = float(clip)

    @property
    def needs_groups(self) -> bool:
        """True when `transform` needs the query structure (``query_minmax``)."""
        return self.method == "query_minmax"

    def fit(self, X: Any, group_offsets: np.ndarray | None = None) -> FeaturePreprocessor:
        """Learn the statistics from training features ``X`` (n_rows, n_features)."""
        X = _dense(X)
        n_features = X.shape[1]
        self.n_features_ = n_features
        self.edges_, self.edge_counts_ = np.empty(0), np.zeros(n_features, dtype=np.int64)
        if self.method == "thermometer":
            self.edges_, self.edge_counts_ = thermometer_edges(X)
            self._check_expanded_size(X.shape[0])
        self.mean_ = np.zeros(self.n_outputs_)
        self.scale_ = np.ones(self.n_outputs_)
        if self.method in ("standard", "log1p", "thermometer") and X.shape[0]:
            self.mean_, self.scale_ = standard_stats(self._expanded(X))
        return self

    @property
    def n_outputs_(self) -> int:
        """Columns of the transformed features."""
        if self.method != "thermometer":
            return int(self.n_features_)
        return 2 * int(self.n_features_) + int(self.edge_counts_.sum())

    def _expanded(self, X: np.ndarray) -> np.ndarray:
        """The features before standardisation: signed log, thermometer columns or as is."""
        if self.method == "log1p":
            return signed_log1p(X)
        if self.method == "thermometer":
            return thermometer_expand(X, self.edges_, self.edge_counts_)
        return X

    def _check_expanded_size(self, n_rows: int) -> None:
        if n_rows * self.n_outputs_ > MAX_EXPANDED_ELEMENTS:
            raise ValueError(
                f"preprocessing='thermometer' turns {self.n_features_} features into "
                f"{self.n_outputs_} columns; {n_rows:,} rows x {self.n_outputs_} is more than "
                f"{MAX_EXPANDED_ELEMENTS:,} values (1 GiB): use preprocessing='standard' or "
                "'log1p', or transform fewer rows at a time")

    def transform(self, X: Any, group_offsets: np.ndarray | None = None) -> np.ndarray:
        """Transformed features (n_rows, n_features) float32, finite everywhere.

        ``group_offsets`` (n_queries + 1,) is required by ``query_minmax``.
        """
        if not hasattr(self, "mean_"):
            raise RuntimeError("FeaturePreprocessor is not fitted")
        X = _dense(X)
        if X.shape[1] != self.n_features_:
            raise ValueError(f"expected {self.n_features_} features, got {X.shape[1]}")
        if self.method == "query_minmax":
            if group_offsets is None:
                raise ValueError(
                    "preprocessing='query_minmax' normalises within each query: pass qid= or "
                    "group= (or a RankingData) to predict"
                )
            Z = query_minmax(X, group_offsets)
        elif self.method in ("log1p", "thermometer"):
            if self.method == "thermometer":
                self._check_expanded_size(X.shape[0])
            Z = (self._expanded(X) - self.mean_) / self.scale_
        elif self.method == "standard":
            # Divide first so that huge values and means do not overflow the difference.
            Z = X / self.scale_ - self.mean_ / self.scale_
        else:
            Z = X
        Z = np.where(np.isnan(Z), 0.0, Z)
        np.clip(Z, -self.clip, self.clip, out=Z)
        return Z.astype(np.float32)

    def fit_transform(self, X: Any, group_offsets: np.ndarray | None = None) -> np.ndarray:
        return self.fit(X, group_offsets).transform(X, group_offsets)

    # ----------------------------------------------------------------- persistence
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """``(json_meta, arrays)`` describing the fitted preprocessor."""
        return ({"method": self.method, "clip": self.clip, "n_features": int(self.n_features_)},
                {"mean": self.mean_, "scale": self.scale_, "edges": self.edges_,
                 "edge_counts": self.edge_counts_})

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> FeaturePreprocessor:
        pre = cls(meta["method"], meta["clip"])
        pre.n_features_ = int(meta["n_features"])
        pre.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        pre.scale_ = np.asarray(arrays["scale"], dtype=np.float64)
        # models saved before the thermometer encoding have no edges
        pre.edges_ = np.asarray(arrays.get("edges", np.empty(0)), dtype=np.float64)
        pre.edge_counts_ = np.asarray(arrays.get("edge_counts", np.zeros(pre.n_features_)),
                                      dtype=np.int64)
        if pre.mean_.shape != (pre.n_outputs_,):
            raise ValueError(f"preprocessing state: {pre.mean_.size} statistics for "
                             f"{pre.n_outputs_} transformed columns")
        return pre
