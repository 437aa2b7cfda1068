"""`Evaluator` and `evaluate`: ranking metrics per query and their means, under a convention."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..data.ranking_data import contiguous_order, group_offsets_from_qid
from . import kernels as K
from .conventions import Convention, get_convention
from .parsing import MetricSpec, parse_metric_specs

_EMPTY_VALUE = {"one": 1.0, "zero": 0.0, "skip": np.nan}
_LINEAR_ONLY = ("map", "mrr", "err")


def _first_bad(mask: np.ndarray, rows: np.ndarray | None) -> int:
    i = int(np.flatnonzero(mask)[0])
    return int(rows[i]) if rows is not None else i


def compute_gains(labels: np.ndarray, conv: Convention, rows: np.ndarray | None = None,
                  ) -> np.ndarray:
    """Gain (n,) float64 of every label under ``conv``; ValueError for labels it forbids.

    ``rows`` maps positions back to the caller's row numbers for the error messages.
    """
    name = f"convention '{conv.name}'"
    if conv.integer_labels:
        bad = labels != np.round(labels)
        if bad.any():
            i = _first_bad(bad, rows)
            raise ValueError(f"{name} needs integer labels; row {i} has label "
                             f"{labels[np.flatnonzero(bad)[0]]!r}")
    table = conv.gain_table()
    if table is not None:
        top = table.size - 1
        whole = labels == np.round(labels)
        inside = whole & (labels >= 0) & (labels <= top)
        if not inside.all():
            j = int(np.flatnonzero(~inside)[0])
            if conv.out_of_range == "error":
                raise ValueError(f"label {labels[j]:g} at row {_first_bad(~inside, rows)} is "
                                 f"outside the gain table of {name} (labels 0..{top})")
        idx = np.where(inside, labels, 0).astype(np.int64)
        return np.where(inside, table[idx], 0.0)
    negative = labels < 0
    too_big = labels > conv.max_label if conv.max_label is not None else np.zeros_like(negative)
    if conv.out_of_range == "error":
        if negative.any():
            raise ValueError(f"negative label {labels[np.flatnonzero(negative)[0]]:g} at row "
                             f"{_first_bad(negative, rows)}: {name} forbids negative labels")
        if too_big.any():
            raise ValueError(f"label {labels[np.flatnonzero(too_big)[0]]:g} at row "
                             f"{_first_bad(too_big, rows)} is above the largest label "
                             f"{conv.max_label:g} of {name}")
    if conv.gain == "exp":
        gains = np.exp2(labels) - 1.0
    else:
        gains = labels.astype(np.float64, copy=True)
    gains[negative | too_big] = 0.0
    return gains


def _as_1d(values: Any, name: str) -> np.ndarray:
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


class Evaluator:
    """Metrics of many score vectors against fixed labels (precomputes ideal rankings).

    Parameters
    ----------
    y_true : labels (n_rows,), a 2-D array (n_queries, n_docs) with one query per row
        (scikit-learn style), or a `RankingData` (its labels, queries and docids).
    qid : query id per row (n_rows,); rows of a query need not be contiguous (they are
        grouped stably, queries in order of first appearance). None: one query, or the rows of
        a 2-D ``y_true``, or ``group``.
    metrics : metric names (`parse_metrics` syntax), e.g. ``"ndcg@1,3,5,10,map"``.
    convention : a preset name (see `PRESETS`) or a `Convention`.
    group : LightGBM-style group sizes (n_queries,), instead of ``qid``.
    docid : per-row document ids, used only by ``ties="reverse"`` (trec_eval docno order).

    Calling the evaluator with scores (n_rows,) returns ``{metric: mean over queries}``;
    `per_query` also returns the per-query values (NaN for queries the convention skips).
    """

    def __init__(self, y_true: Any, qid: Any = None, metrics: str | Iterable[str] = ("ndcg@10",),
                 convention: str | Convention | None = "default", *, group: Any = None,
                 docid: Any = None) -> None:
        self.convention = get_convention(convention)
        self.specs: list[MetricSpec] = parse_metric_specs(metrics)
        self.metrics = [s.name for s in self.specs]
        conv = self.convention
        if conv.ties == "average":
            bad = [s.name for s in self.specs if s.kind in _LINEAR_ONLY]
            if bad:
                raise ValueError(f"ties='average' ({conv.name}) is defined for ndcg, dcg, "
                                 f"precision and recall only, not {', '.join(bad)}; use a "
                                 "convention with stable, pessimistic or optimistic ties")
        offsets = None
        known_ids = None
        if hasattr(y_true, "group_offsets") and hasattr(y_true, "y"):  # RankingData
            data = y_true
            if qid is not None or group is not None:
                raise ValueError("give qid/group only with label arrays, not with RankingData")
            y_true, offsets = data.y, np.asarray(data.group_offsets, dtype=np.int64)
            if docid is None:
                docid = getattr(data, "docid", None)
            known_ids = np.asarray(data.query_ids)
        y = _as_1d(y_true, "y_true")
        self._input_shape: tuple[int, ...] = y.shape
        if y.ndim == 2:
            if qid is not None or group is not None:
                raise ValueError("a 2-D y_true holds one query per row; do not pass qid/group")
            offsets = np.arange(y.shape[0] + 1, dtype=np.int64) * y.shape[1]
            y = y.ravel()
        elif y.ndim != 1:
            raise ValueError(f"y_true must be 1-D (or 2-D, one query per row), got shape {y.shape}")
        y = y.astype(np.float64)
        n = y.size
        if n == 0:
            raise ValueError("y_true is empty: nothing to evaluate")
        if not np.isfinite(y).all():
            raise ValueError(f"y_true has a non-finite label at row {_first_bad(~np.isfinite(y), None)}")
        self._perm: np.ndarray | None = None
        self.query_ids: np.ndarray
        if offsets is None:
            if qid is not None and group is not None:
                raise ValueError("give either qid or group, not both")
            if group is not None:
                sizes = np.asarray(group, dtype=np.int64).ravel()
                if sizes.size == 0 or sizes.min() < 0 or sizes.sum() != n:
                    raise ValueError(f"group sizes must be >= 0 and sum to the {n} rows "
                                     f"(they sum to {int(sizes.sum()) if sizes.size else 0})")
                offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
                self.query_ids = np.arange(sizes.size)
            elif qid is None:
                offsets = np.array([0, n], dtype=np.int64)
                self.query_ids = np.zeros(1, dtype=np.int64)
            else:
                q = np.asarray(qid).ravel()
                if q.size != n:
                    raise ValueError(f"length mismatch: qid has {q.size} rows, y_true has {n}")
                order, _ = contiguous_order(q)
                if order is not None:
                    self._perm = order
                    q = q[order]
                offsets = group_offsets_from_qid(q)
                self.query_ids = q[offsets[:-1]]
        else:
            self.query_ids = np.arange(offsets.size - 1) if known_ids is None else known_ids
        keep = np.diff(offsets) > 0
        if not keep.all():  # empty groups carry no ranking: drop them
            offsets = np.concatenate(([0], offsets[1:][keep]))
            self.query_ids = self.query_ids[keep]
        rows = self._perm
        if rows is not None:
            y = y[rows]
        self.n_rows = n
        self.offsets = offsets
        self.sizes = np.diff(offsets)
        self.n_queries = int(self.sizes.size)
        self.qidx, self.pos = K.positions(offsets)
        self.labels = y
        self.gains = compute_gains(y, conv, rows)
        rel = y > conv.relevance_threshold
        if conv.relevance_max is not None:
            rel &= y <= conv.relevance_max
        self.relevant = rel.astype(np.float64)
        self.n_relevant = K.segment_sum(self.qidx, self.relevant, self.n_queries)
        self.discounts = conv.discounts(int(self.sizes.max()))
        self._tiebreak: np.ndarray | None = None
        if conv.ties == "reverse":
            if docid is not None:
                d = np.asarray(docid).ravel()
                if d.size != n:
                    raise ValueError(f"length mismatch: docid has {d.size} rows, y_true has {n}")
                if rows is not None:
                    d = d[rows]
                _, rank = np.unique(d, return_inverse=True)
                self._tiebreak = -rank.astype(np.int64)
            else:
                self._tiebreak = -np.arange(n, dtype=np.int64)
        elif conv.ties == "pessimistic":
            self._tiebreak = y
        elif conv.ties == "optimistic":
            self._tiebreak = -y
        dcg_ks = sorted({s.k for s in self.specs if s.kind == "ndcg"}, key=lambda k: k or 0)
        self._ideal = K.ideal_dcg(offsets, self.qidx, self.pos, y, self.gains, self.discounts,
                                  dcg_ks)
        if any(s.kind == "err" for s in self.specs):
            gmax = conv.err_max_grade if conv.err_max_grade is not None else max(y.max(), 1.0)
            grade = np.clip(y, 0.0, gmax)
            self._err_r = (np.exp2(grade) - 1.0) / np.exp2(gmax)

    # ------------------------------------------------------------------ scoring
    def _check_scores(self, y_score: Any) -> np.ndarray:
        s = _as_1d(y_score, "y_score")
        if s.shape != self._input_shape and not (s.ndim == 1 and s.size == self.n_rows
                                                  and len(self._input_shape) == 1):
            raise ValueError(f"length mismatch: y_score has shape {s.shape}, y_true has "
                             f"{self._input_shape}")
        s = s.astype(np.float64).ravel()
        finite = np.isfinite(s)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            kind = "NaN" if np.isnan(s[i]) else "an infinite value"
            raise ValueError(f"y_score has {kind} at row {i}")
        if self._perm is not None:
            s = s[self._perm]
        if self.convention.score_dtype == "float32":
            s = s.astype(np.float32).astype(np.float64)
        return s

    def per_query(self, y_score: Any) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """``(means, per_query)``: per_query maps metric -> (n_queries,) float64 in query order
        (order of first appearance of each qid; see ``query_ids``), NaN where skipped."""
        s = self._check_scores(y_score)
        conv = self.convention
        qidx, pos, nq = self.qidx, self.pos, self.n_queries
        order = K.rank_order(qidx, s, self._tiebreak)
        gains = self.gains[order]
        rel = self.relevant[order]
        if conv.ties == "average":
            block = K.tie_blocks(qidx, s[order])
            gains = K.block_mean(block, gains)
            rel = K.block_mean(block, rel)
        disc = self.discounts[pos]
        need_hits = any(sp.kind in ("map", "mrr") for sp in self.specs)
        hits = K.segment_cumsum(self.offsets, qidx, rel) if need_hits else None
        contrib = gains * disc
        default_empty = _EMPTY_VALUE[conv.empty]
        out: dict[str, np.ndarray] = {}
        for spec in self.specs:
            k = spec.k
            empty = 0.0 if spec.minus else default_empty
            mask = None if k is None else pos < k
            if spec.kind in ("ndcg", "dcg"):
                dcg = K.segment_sum(qidx, contrib, nq, mask)
                if spec.kind == "ndcg":
                    value = K.normalise(dcg, self._ideal[k], empty)
                else:
                    value = dcg
                if k is not None and conv.short_list == "zero":
                    value = np.where(self.sizes < k, 0.0, value)
            elif spec.kind == "map":
                prec = rel * hits / (pos + 1.0)
                num = K.segment_sum(qidx, prec, nq, mask)
                den = self.n_relevant
                if k is not None and conv.map_denominator == "min":
                    den = np.minimum(den, k)
                value = K.normalise(num, den, empty)
            elif spec.kind == "mrr":
                first = (rel > 0) & (hits == 1.0)
                if mask is not None:
                    first &= mask
                rr = K.segment_sum(qidx, 1.0 / (pos + 1.0), nq, first)
                value = K.normalise(rr, (self.n_relevant > 0).astype(np.float64), empty)
            elif spec.kind == "precision":
                value = K.segment_sum(qidx, rel, nq, mask) / float(k)
            elif spec.kind == "recall":
                value = K.normalise(K.segment_sum(qidx, rel, nq, mask), self.n_relevant, empty)
            elif spec.kind == "err":
                value = self._err(order, mask)
            else:  # pragma: no cover - parse_metric_specs guards this
                raise ValueError(f"unsupported metric {spec.name}")
            out[spec.name] = value
        return {name: _mean(v) for name, v in out.items()}, out

    def _err(self, order: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Expected reciprocal rank (Chapelle et al. 2009) per query."""
        qidx, pos, offsets = self.qidx, self.pos, self.offsets
        r = self._err_r[order]
        if mask is not None:
            qidx, pos, r = qidx[mask], pos[mask], r[mask]
            sizes = np.minimum(self.sizes, int(pos.max()) + 1 if pos.size else 0)
            offsets = np.concatenate(([0], np.cumsum(sizes)))
        log_stay = np.log1p(-r)
        before = K.segment_cumsum(offsets, qidx, log_stay) - log_stay
        return K.segment_sum(qidx, r * np.exp(before) / (pos + 1.0), self.n_queries)

    def __call__(self, y_score: Any) -> dict[str, float]:
        """``{metric: mean over queries}`` for scores (n_rows,) in the caller's row order."""
        return self.per_query(y_score)[0]

    def __repr__(self) -> str:
        return (f"Evaluator({self.n_queries} queries, {self.n_rows} rows, "
                f"metrics={self.metrics}, convention={self.convention.name!r})")


def _mean(values: np.ndarray) -> float:
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def evaluate(y_true: Any, y_score: Any, qid: Any = None,
             metrics: str | Iterable[str] = ("ndcg@10",), *,
             convention: str | Convention | None = "default", per_query: bool = False,
             group: Any = None, docid: Any = None) -> Any:
    """Ranking metrics of ``y_score`` against ``y_true``, averaged over queries.

    ``y_true``/``y_score``/``qid`` are 1-D arrays of equal length (rows of a query grouped by
    qid; they need not be contiguous), or ``y_true`` is a `RankingData` and ``y_score`` its
    scores, or both are 2-D (n_queries, n_docs). Returns ``{metric: mean}``; with
    ``per_query=True`` returns ``(means, {metric: (n_queries,) ndarray})`` in the order of
    first appearance of each query (NaN for queries the convention skips). See `Evaluator`.
    """
    evaluator = Evaluator(y_true, qid, metrics, convention, group=group, docid=docid)
    means, values = evaluator.per_query(y_score)
    return (means, values) if per_query else means
