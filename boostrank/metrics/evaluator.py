"""`Evaluator` and `evaluate`: ranking metrics per query and their means, under a convention."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..data.ranking_data import contiguous_order, group_offsets_from_qid
from . import kernels as K
from .conventions import Convention, get_convention
from .parsing import MetricSpec, parse_metric_specs

_EMPTY_VALUE = {"one": 1.0, "zero": 0.0, "skip": np.nan}
_NO_AVERAGE_TIES = ("err",)


def _first_bad(mask: np.ndarray, rows: np.ndarray | None) -> int:
    i = int(np.flatnonzero(mask)[0])
    return int(rows[i]) if rows is not None else i


def compute_gains(labels: np.ndarray, conv: Convention, rows: np.ndarray | None = None,
                  *, warn: bool = True) -> np.ndarray:
    """Gain (n,) float64 of every label under ``conv``; ValueError for labels it forbids.

    ``rows`` maps positions back to the caller's row numbers for the error messages; ``warn``:
    warn when labels above a gain table get gain 0.
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
            above = labels > top
            if warn and above.any():  # not a silent drop: say which labels count for nothing
                values = ", ".join(f"{v:g}" for v in np.unique(labels[above])[:5])
                warnings.warn(
                    f"{name} gives gain 0 to labels above {top} (its gain table covers 0..{top}"
                    f", as the tool it reproduces does): {int(above.sum())} rows with labels "
                    f"{values}{', ...' if np.unique(labels[above]).size > 5 else ''} count as "
                    "irrelevant; use convention='default' or 'trec' for graded labels above "
                    f"{top}", UserWarning, stacklevel=3)
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
                             f"{conv.max_label:g} of {name} (exponential gain 2^l - 1); use a "
                             "convention with linear gain, e.g. convention='trec' or "
                             "Convention(gain='linear')")
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
        # what is computed for each requested name (XGBoost: "ndcg" means ndcg@32)
        cut = conv.full_list_cutoff
        self._plan = [(s.name, MetricSpec(s.kind, cut, s.minus)
                       if s.k is None and cut is not None and s.kind in ("ndcg", "dcg") else s)
                      for s in self.specs]
        if conv.ties == "average":
            bad = [s.name for s in self.specs if s.kind in _NO_AVERAGE_TIES]
            if bad:
                raise ValueError(f"ties='average' ({conv.name}) is not defined for "
                                 f"{', '.join(bad)}; use a convention with stable, "
                                 "pessimistic or optimistic ties")
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
        y = np.asarray(y, dtype=np.float64)
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
        self.relevant = rel
        self.n_relevant = np.bincount(self.qidx, weights=rel, minlength=self.n_queries)
        max_size = int(self.sizes.max())
        self.discounts = conv.discounts(max_size)
        self._tiebreak: np.ndarray | None = None
        self._tiebreak_max = 0
        if conv.ties == "reverse" and docid is not None:
            d = np.asarray(docid).ravel()
            if d.size != n:
                raise ValueError(f"length mismatch: docid has {d.size} rows, y_true has {n}")
            if rows is not None:
                d = d[rows]
            uniq, rank = np.unique(d, return_inverse=True)
            self._tiebreak = (uniq.size - 1 - rank.astype(np.int64)) * max_size + self.pos
            self._tiebreak_max = uniq.size * max_size - 1
        elif conv.ties in ("pessimistic", "optimistic"):
            desc, n_levels = K.dense_rank_desc(y)  # best label 0
            level = (n_levels - 1 - desc) if conv.ties == "pessimistic" else desc
            self._tiebreak = level * max_size + self.pos
            self._tiebreak_max = n_levels * max_size - 1
        # the top rows of every query serve all cutoff metrics (few rows when k is small)
        ks = [s.k for _, s in self._plan if s.kind in ("ndcg", "dcg", "precision", "recall")]
        self._top: np.ndarray | None = None
        if ks and None not in ks and max(ks) < max_size:
            self._top = np.flatnonzero(self.pos < max(ks))
        top = self._top
        self._top_q = self.qidx if top is None else self.qidx[top]
        self._top_pos = self.pos if top is None else self.pos[top]
        self._top_disc = self.discounts[self._top_pos]
        # rows of the top that each cutoff keeps, and their queries (reused by every call)
        self._top_keep = {k: self._top_pos < k for k in set(ks) if k is not None}
        self._top_q_at = {k: self._top_q[keep] for k, keep in self._top_keep.items()}
        # the score-independent part of the sort key (reused by every call)
        self._rank_layout = K.rank_key_layout(offsets, self.qidx, self.pos,
                                              tiebreak=self._tiebreak,
                                              tiebreak_max=self._tiebreak_max,
                                              reverse=conv.ties == "reverse")
        # ideal rankings: labels sorted decreasingly inside every query
        ndcg_ks = list(dict.fromkeys(s.k for _, s in self._plan if s.kind == "ndcg"))
        self._ideal = {}
        if ndcg_ks:
            by_level = K.ideal_dcg_by_level(self.qidx, y, self.n_queries,
                                            lambda v: compute_gains(v, conv, warn=False),
                                            self.discounts, self.sizes, ndcg_ks)
            self._ideal = by_level if by_level is not None else self._ideal_by_sort(ndcg_ks)
        if any(s.kind == "err" for s in self.specs):
            gmax = conv.err_max_grade if conv.err_max_grade is not None else max(y.max(), 1.0)
            grade = np.clip(y, 0.0, gmax)
            self._err_r = (np.exp2(grade) - 1.0) / np.exp2(gmax)

    def _ideal_by_sort(self, ks: list[int | None]) -> dict:
        """Ideal DCG per query and cutoff by sorting the labels (any real-valued labels)."""
        ideal = K.rank_order(self.offsets, self.qidx, self.pos, self.labels)
        out = {}
        if None in ks:
            contrib = self.gains[ideal] * self.discounts[self.pos]
            out[None] = K.segment_sum(self.qidx, contrib, self.n_queries)
        top = self._top
        contrib = self.gains[ideal if top is None else ideal[top]] * self._top_disc
        for k in ks:
            if k is not None:
                out[k] = self._top_sum(contrib, k)
        return out

    def _top_sum(self, values: np.ndarray, k: int) -> np.ndarray:
        """Per-query sum (n_queries,) of ``values`` (one per top row) over the first k ranks."""
        return np.bincount(self._top_q_at[k], weights=values[self._top_keep[k]],
                           minlength=self.n_queries)

    # ------------------------------------------------------------------ scoring
    def _check_scores(self, y_score: Any) -> np.ndarray:
        s = _as_1d(y_score, "y_score")
        if s.shape != self._input_shape and not (s.ndim == 1 and s.size == self.n_rows
                                                  and len(self._input_shape) == 1):
            raise ValueError(f"length mismatch: y_score has shape {s.shape}, y_true has "
                             f"{self._input_shape}")
        s = np.asarray(s, dtype=np.float64).ravel()
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

    def rank(self, y_score: Any) -> np.ndarray:
        """The ranking (n_rows,) int64 under the convention's tie rule: position i of the
        grouped rows holds the grouped row index ranked there."""
        s = self._check_scores(y_score)
        return self._rank(s)

    def _rank(self, s: np.ndarray) -> np.ndarray:
        return K.rank_order(self.offsets, self.qidx, self.pos, s, tiebreak=self._tiebreak,
                            tiebreak_max=self._tiebreak_max,
                            reverse=self.convention.ties == "reverse",
                            layout=self._rank_layout)

    def per_query(self, y_score: Any) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """``(means, per_query)``: per_query maps metric -> (n_queries,) float64 in query order
        (order of first appearance of each qid; see ``query_ids``), NaN where skipped."""
        s = self._check_scores(y_score)
        conv = self.convention
        nq = self.n_queries
        order = self._rank(s)
        top = self._top
        block = None
        if conv.ties == "average":  # expected gain / relevance over each tied block
            block = K.tie_blocks(self.qidx, s[order])
            full_gain = K.block_mean(block, self.gains[order])
            full_rel = K.block_mean(block, self.relevant[order].astype(np.float64))
            top_gain = full_gain if top is None else full_gain[top]
            top_rel = full_rel if top is None else full_rel[top]
        else:
            top_order = order if top is None else order[top]
            full_gain = full_rel = None
            top_gain = self.gains[top_order]
            top_rel = self.relevant[top_order]
        hits = None
        top_dcg_terms = None
        default_empty = _EMPTY_VALUE[conv.empty]
        out: dict[str, np.ndarray] = {}
        for name, spec in self._plan:
            k = spec.k
            empty = 0.0 if spec.minus else default_empty
            if spec.kind in ("ndcg", "dcg"):
                if k is None:
                    if full_gain is None:
                        full_gain = self.gains[order]
                    dcg = K.segment_sum(self.qidx, full_gain * self.discounts[self.pos], nq)
                else:
                    if top_dcg_terms is None:
                        top_dcg_terms = top_gain * self._top_disc
                    dcg = self._top_sum(top_dcg_terms, k)
                value = K.normalise(dcg, self._ideal[k], empty) if spec.kind == "ndcg" else dcg
                if k is not None and conv.short_list == "zero":
                    value[self.sizes < k] = 0.0
            elif spec.kind in ("precision", "recall"):
                found = self._top_sum(top_rel, k)
                if spec.kind == "precision":
                    value = found / float(k)
                else:
                    value = K.normalise(found, self.n_relevant, empty)
            elif spec.kind in ("map", "mrr") and block is not None:
                if hits is None:  # expected values over the orders of tied blocks
                    hits = K.tie_aware_hits(self.offsets, self.qidx, self.pos, block,
                                            self.relevant[order])
                ap_terms, rr_terms = hits
                keep = None if k is None else self.pos < k
                if spec.kind == "map":
                    num = K.segment_sum(self.qidx, ap_terms, nq, keep)
                    value = K.normalise(num, self._map_den(k), empty)
                else:
                    rr = K.segment_sum(self.qidx, rr_terms, nq, keep)
                    value = K.normalise(rr, np.minimum(self.n_relevant, 1.0), empty)
            elif spec.kind in ("map", "mrr"):
                if hits is None:
                    hits = K.relevant_hits(self.qidx, self.pos, self.relevant[order],
                                           self.n_relevant)
                rq, rpos, rhits = hits
                keep = None if k is None else rpos < k
                if spec.kind == "map":
                    num = K.segment_sum(rq, rhits / (rpos + 1.0), nq, keep)
                    value = K.normalise(num, self._map_den(k), empty)
                else:
                    first = rhits == 1 if keep is None else (rhits == 1) & keep
                    rr = K.segment_sum(rq, 1.0 / (rpos + 1.0), nq, first)
                    value = K.normalise(rr, np.minimum(self.n_relevant, 1.0), empty)
            elif spec.kind == "err":
                value = self._err(order, None if k is None else self.pos < k)
            else:  # pragma: no cover - parse_metric_specs guards this
                raise ValueError(f"unsupported metric {spec.name}")
            out[name] = value
        return {name: _mean(v) for name, v in out.items()}, out

    def _map_den(self, k: int | None) -> np.ndarray:
        """AP denominator per query: #relevant, or min(#relevant, k) (LightGBM's map@k)."""
        if k is not None and self.convention.map_denominator == "min":
            return np.minimum(self.n_relevant, k)
        return self.n_relevant

    def _err(self, order: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Expected reciprocal rank (Chapelle et al. 2009) per query."""
        r = self._err_r[order]
        qidx, pos, offsets = self.qidx, self.pos, self.offsets
        if mask is not None:
            qidx, pos, r = qidx[mask], pos[mask], r[mask]
            kept = np.bincount(qidx, minlength=self.n_queries)
            offsets = np.concatenate(([0], np.cumsum(kept)))
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
    """Mean over the queries that count (NaN marks a skipped query)."""
    # np.add.reduce / n is what ndarray.mean computes, without its per-call overhead
    mean = float(np.add.reduce(values)) / values.size if values.size else float("nan")
    if not np.isnan(mean):  # no skipped query (the common case: one reduction)
        return mean
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
