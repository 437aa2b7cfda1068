"""`Evaluator` and `evaluate`: ranking metrics per query and their means, under a convention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import kernels as K
from .conventions import Convention, get_convention
from .grouping import GroupedLabels, as_numeric_1d, group_labels
from .labels import compute_gains
from .parsing import MetricSpec, parse_metric_specs

_EMPTY_VALUE = {"one": 1.0, "zero": 0.0, "skip": np.nan}
_NO_AVERAGE_TIES = ("err",)
_CUTOFF_KINDS = ("ndcg", "dcg", "precision", "recall")
_FULL_LIST_KINDS = ("ndcg", "dcg", "map")  # kinds a convention's full_list_cutoff truncates


def metric_plan(specs: list[MetricSpec], conv: Convention) -> list[tuple[str, MetricSpec]]:
    """What is computed for each requested metric.

    Parameters
    ----------
    specs : list of MetricSpec
        The requested metrics.
    conv : Convention
        Its ``full_list_cutoff`` turns ``ndcg`` / ``dcg`` / ``map`` without ``@k`` into
        ``@cutoff`` (XGBoost: 32).

    Returns
    -------
    list of (str, MetricSpec)
        ``(requested name, spec computed)`` per metric.

    Raises
    ------
    ValueError
        When the convention's tie rule is not defined for a requested metric.
    """
    if conv.ties == "average":
        bad = [s.name for s in specs if s.kind in _NO_AVERAGE_TIES]
        if bad:
            raise ValueError(f"ties='average' ({conv.name}) is not defined for "
                             f"{', '.join(bad)}; use a convention with stable, "
                             "pessimistic or optimistic ties")
    cut = conv.full_list_cutoff
    return [(s.name, MetricSpec(s.kind, cut, s.minus)
             if s.k is None and cut is not None and s.kind in _FULL_LIST_KINDS else s)
            for s in specs]


@dataclass
class _Ranked:
    """One call's ranking and what the metrics share: ``order`` (n_rows,) int64, tie blocks
    (``ties="average"`` only), ranked gains of all rows (lazy) and of the top rows, ranked
    relevance of the top rows; the AP/RR hits and top DCG terms are filled on first use."""

    order: np.ndarray
    block: np.ndarray | None
    full_gain: np.ndarray | None
    top_gain: np.ndarray
    top_rel: np.ndarray
    hits: tuple | None = None
    top_dcg_terms: np.ndarray | None = None


class Evaluator:
    """Metrics of many score vectors against fixed labels (precomputes ideal rankings).

    Parameters
    ----------
    y_true : array-like of shape (n_rows,) or (n_queries, n_docs), or RankingData
        Labels; a 2-D array holds one query per row (scikit-learn style); a `RankingData`
        brings its labels, queries and docids.
    qid : array-like of shape (n_rows,), optional
        Query id per row; rows of a query need not be contiguous (they are grouped stably,
        queries in order of first appearance). None: one query, the rows of a 2-D ``y_true``,
        or ``group``.
    metrics : str or iterable of str, default ("ndcg@10",)
        Metric names (`parse_metrics` syntax), e.g. ``"ndcg@1,3,5,10,map"``.
    convention : str or Convention, default "default"
        A preset name (see `PRESETS`) or a `Convention`.
    group : array-like of shape (n_queries,), optional
        LightGBM-style group sizes, instead of ``qid``.
    docid : array-like of shape (n_rows,), optional
        Per-row document ids, used only by ``ties="reverse"`` (trec_eval docno order).
    label_advice : str, optional
        What the error for a label above the convention's largest label tells the user to
        change; estimators pass their own parameter (e.g. ``"use gain='linear'"``).

    Notes
    -----
    Calling the evaluator with scores (n_rows,) returns ``{metric: mean over queries}``;
    `per_query` also returns the per-query values (NaN for queries the convention skips).
    """

    def __init__(self, y_true: Any, qid: Any = None, metrics: str | Iterable[str] = ("ndcg@10",),
                 convention: str | Convention | None = "default", *, group: Any = None,
                 docid: Any = None, label_advice: str | None = None) -> None:
        self.convention = get_convention(convention)
        self.specs: list[MetricSpec] = parse_metric_specs(metrics)
        self.metrics = [s.name for s in self.specs]
        self._plan = metric_plan(self.specs, self.convention)
        grouped = group_labels(y_true, qid, group, docid)
        self._set_layout(grouped)
        self.gains = compute_gains(self.labels, self.convention, self._perm,
                                   label_advice=label_advice)
        self._set_relevance()
        self._set_tiebreak(grouped.docid)
        self._set_top_rows()
        self._ideal = self._ideal_dcgs()
        if any(s.kind == "err" for s in self.specs):
            conv, y = self.convention, self.labels
            gmax = conv.err_max_grade if conv.err_max_grade is not None else max(y.max(), 1.0)
            self._err_r = (np.exp2(np.clip(y, 0.0, gmax)) - 1.0) / np.exp2(gmax)

    # ------------------------------------------------------------------ set-up steps
    def _set_layout(self, grouped: GroupedLabels) -> None:
        """Query blocks, positions and discounts of the grouped rows."""
        self._input_shape: tuple[int, ...] = grouped.input_shape
        self._perm: np.ndarray | None = grouped.perm
        self.query_ids: np.ndarray = grouped.query_ids
        self.labels = grouped.labels
        self.n_rows = int(self.labels.size)
        self.offsets = grouped.offsets
        self.sizes = np.diff(self.offsets)
        self.n_queries = int(self.sizes.size)
        self.qidx, self.pos = K.positions(self.offsets)
        self._max_size = int(self.sizes.max())
        self.discounts = self.convention.discounts(self._max_size)

    def _set_relevance(self) -> None:
        """Binary relevance of every row and the number of relevant rows per query."""
        conv, y = self.convention, self.labels
        rel = y > conv.relevance_threshold
        if conv.relevance_max is not None:
            rel &= y <= conv.relevance_max
        self.relevant = rel
        self.n_relevant = np.bincount(self.qidx, weights=rel, minlength=self.n_queries)

    def _set_tiebreak(self, docid: np.ndarray | None) -> None:
        """The tie-break key of the convention and the score-independent sort-key layout."""
        conv, max_size = self.convention, self._max_size
        self._tiebreak: np.ndarray | None = None
        self._tiebreak_max = 0
        if conv.ties == "reverse" and docid is not None:
            uniq, rank = np.unique(docid, return_inverse=True)
            self._tiebreak = (uniq.size - 1 - rank.astype(np.int64)) * max_size + self.pos
            self._tiebreak_max = uniq.size * max_size - 1
        elif conv.ties in ("pessimistic", "optimistic"):
            desc, n_levels = K.dense_rank_desc(self.labels)  # best label 0
            level = (n_levels - 1 - desc) if conv.ties == "pessimistic" else desc
            self._tiebreak = level * max_size + self.pos
            self._tiebreak_max = n_levels * max_size - 1
        self._rank_layout = K.rank_key_layout(self.offsets, self.qidx, self.pos,
                                              tiebreak=self._tiebreak,
                                              tiebreak_max=self._tiebreak_max,
                                              reverse=conv.ties == "reverse")

    def _set_top_rows(self) -> None:
        """The top rows of every query, which serve all cutoff metrics (few when k is small),
        and the rows of the top that each cutoff keeps (reused by every call)."""
        ks = [s.k for _, s in self._plan if s.kind in _CUTOFF_KINDS]
        top = None
        if ks and None not in ks and max(ks) < self._max_size:
            top = np.flatnonzero(self.pos < max(ks))
        self._top: np.ndarray | None = top
        self._top_q = self.qidx if top is None else self.qidx[top]
        self._top_pos = self.pos if top is None else self.pos[top]
        self._top_disc = self.discounts[self._top_pos]
        self._top_keep = {k: self._top_pos < k for k in set(ks) if k is not None}
        self._top_q_at = {k: self._top_q[keep] for k, keep in self._top_keep.items()}

    def _ideal_dcgs(self) -> dict:
        """Ideal DCG per query (n_queries,) for every NDCG cutoff (None: the whole list)."""
        ndcg_ks = list(dict.fromkeys(s.k for _, s in self._plan if s.kind == "ndcg"))
        if not ndcg_ks:
            return {}
        conv = self.convention
        by_level = K.ideal_dcg_by_level(self.qidx, self.labels, self.n_queries,
                                        lambda v: compute_gains(v, conv, warn=False),
                                        self.discounts, self.sizes, ndcg_ks)
        return by_level if by_level is not None else self._ideal_by_sort(ndcg_ks)

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
        s = as_numeric_1d(y_score, "y_score")
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
        """The ranking under the convention's tie rule.

        Parameters
        ----------
        y_score : array-like of shape (n_rows,)
            Scores in the caller's row order.

        Returns
        -------
        ndarray of shape (n_rows,), int64
            Position i of the grouped rows holds the grouped row index ranked there.
        """
        s = self._check_scores(y_score)
        return self._rank(s)

    def _rank(self, s: np.ndarray) -> np.ndarray:
        return K.rank_order(self.offsets, self.qidx, self.pos, s, tiebreak=self._tiebreak,
                            tiebreak_max=self._tiebreak_max,
                            reverse=self.convention.ties == "reverse",
                            layout=self._rank_layout)

    def per_query(self, y_score: Any) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Means and per-query values of every metric.

        Parameters
        ----------
        y_score : array-like of shape (n_rows,) or (n_queries, n_docs)
            Scores in the caller's row order (the shape of ``y_true``).

        Returns
        -------
        means : dict of str to float
            Mean over the queries that count.
        per_query : dict of str to ndarray of shape (n_queries,), float64
            In query order (order of first appearance of each qid; see ``query_ids``), NaN
            where the convention skips a query.
        """
        ranked = self._ranked(self._check_scores(y_score))
        default_empty = _EMPTY_VALUE[self.convention.empty]
        out: dict[str, np.ndarray] = {}
        for name, spec in self._plan:
            empty = 0.0 if spec.minus else default_empty
            if spec.kind in ("ndcg", "dcg"):
                value = self._dcg_values(spec, ranked, empty)
            elif spec.kind == "precision":
                value = self._top_sum(ranked.top_rel, spec.k) / self._precision_den(spec.k)
            elif spec.kind == "recall":
                found = self._top_sum(ranked.top_rel, spec.k)
                value = K.normalise(found, self.n_relevant, empty)
            elif spec.kind in ("map", "mrr"):
                value = self._map_mrr_values(spec, ranked, empty)
            elif spec.kind == "err":
                value = self._err(ranked.order, None if spec.k is None else self.pos < spec.k)
            else:  # pragma: no cover - parse_metric_specs guards this
                raise ValueError(f"unsupported metric {spec.name}")
            out[name] = value
        return {name: _mean(v) for name, v in out.items()}, out

    def _ranked(self, s: np.ndarray) -> _Ranked:
        """The ranking of checked scores and the ranked gains / relevance it serves."""
        order = self._rank(s)
        top = self._top
        if self.convention.ties != "average":
            top_order = order if top is None else order[top]
            return _Ranked(order, None, None, self.gains[top_order], self.relevant[top_order])
        block = K.tie_blocks(self.qidx, s[order])  # expected gain / relevance per tied block
        full_gain = K.block_mean(block, self.gains[order])
        full_rel = K.block_mean(block, self.relevant[order].astype(np.float64))
        return _Ranked(order, block, full_gain, full_gain if top is None else full_gain[top],
                       full_rel if top is None else full_rel[top])

    def _dcg_values(self, spec: MetricSpec, ranked: _Ranked, empty: float) -> np.ndarray:
        """DCG or NDCG per query (n_queries,) at ``spec.k`` (None: the whole list)."""
        k = spec.k
        if k is None:
            if ranked.full_gain is None:
                ranked.full_gain = self.gains[ranked.order]
            dcg = K.segment_sum(self.qidx, ranked.full_gain * self.discounts[self.pos],
                                self.n_queries)
        else:
            if ranked.top_dcg_terms is None:
                ranked.top_dcg_terms = ranked.top_gain * self._top_disc
            dcg = self._top_sum(ranked.top_dcg_terms, k)
        value = K.normalise(dcg, self._ideal[k], empty) if spec.kind == "ndcg" else dcg
        if k is not None and self.convention.short_list == "zero":
            value[self.sizes < k] = 0.0
        return value

    def _map_mrr_values(self, spec: MetricSpec, ranked: _Ranked, empty: float) -> np.ndarray:
        """Average precision or reciprocal rank per query (n_queries,), expected values over
        the orders of tied blocks under ``ties="average"``."""
        k, nq = spec.k, self.n_queries
        rel_sorted = self.relevant[ranked.order]
        if ranked.block is not None:
            if ranked.hits is None:
                ranked.hits = K.tie_aware_hits(self.offsets, self.qidx, self.pos, ranked.block,
                                               rel_sorted)
            ap_terms, rr_terms = ranked.hits
            keep = None if k is None else self.pos < k
            if spec.kind == "map":
                num = K.segment_sum(self.qidx, ap_terms, nq, keep)
                return K.normalise(num, self._map_den(k), empty)
            rr = K.segment_sum(self.qidx, rr_terms, nq, keep)
            return K.normalise(rr, np.minimum(self.n_relevant, 1.0), empty)
        if ranked.hits is None:
            ranked.hits = K.relevant_hits(self.qidx, self.pos, rel_sorted, self.n_relevant)
        rq, rpos, rhits = ranked.hits
        keep = None if k is None else rpos < k
        if spec.kind == "map":
            num = K.segment_sum(rq, rhits / (rpos + 1.0), nq, keep)
            return K.normalise(num, self._map_den(k), empty)
        first = rhits == 1 if keep is None else (rhits == 1) & keep
        rr = K.segment_sum(rq, 1.0 / (rpos + 1.0), nq, first)
        return K.normalise(rr, np.minimum(self.n_relevant, 1.0), empty)

    def _precision_den(self, k: int) -> float | np.ndarray:
        """precision@k denominator: k, or min(k, list length) per query (XGBoost's pre@k)."""
        if self.convention.precision_denominator == "min":
            return np.minimum(self.sizes, k).astype(np.float64)
        return float(k)

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
        """Mean of every metric over the queries (the ``means`` of `per_query`).

        Parameters
        ----------
        y_score : array-like, the shape of ``y_true``
            Scores to evaluate, higher is better.

        Returns
        -------
        dict of str to float
        """
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

    Parameters
    ----------
    y_true : array-like of shape (n_rows,) or (n_queries, n_docs), or RankingData
        Graded relevance labels (a 2-D array: one query per row; a `RankingData` brings its
        queries and docids).
    y_score : array-like of the shape of ``y_true`` (n_rows,)
        Scores, higher is better, in the row order of ``y_true``.
    qid : array-like of shape (n_rows,), optional
        Query id per row; rows of a query need not be contiguous.
    metrics : str or iterable of str, default ("ndcg@10",)
        Metric names, e.g. ``"ndcg@1,3,5,10,map"`` (see `parse_metrics`).
    convention : str or Convention, default "default"
        A preset name (see `PRESETS` and ``docs/conventions.md``) or a `Convention`.
    per_query : bool, default False
        Also return the per-query values.
    group : array-like of shape (n_queries,), optional
        Group sizes instead of ``qid``.
    docid : array-like of shape (n_rows,), optional
        Document ids (trec_eval's tie order under ``ties="reverse"``).

    Returns
    -------
    dict of str to float, or (dict, dict of str to ndarray of shape (n_queries,))
        ``{metric: mean over queries}``; with ``per_query=True`` also ``{metric: values}`` in
        the order of first appearance of each query (NaN for queries the convention skips).

    Raises
    ------
    ValueError
        For bad input (lengths, NaN, labels the convention forbids, unknown metrics), with
        the row or the parameter named.
    """
    evaluator = Evaluator(y_true, qid, metrics, convention, group=group, docid=docid)
    means, values = evaluator.per_query(y_score)
    return (means, values) if per_query else means
