"""Turn a labelled ranking data set into a simulated click log."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.ranking_data import RankingData
from .models import ClickModel, Slates, get_click_model

#: how many cells of the padded [slates, list_len] layout one simulation chunk holds
CHUNK_CELLS = 1 << 22

OUTPUTS = ("counts", "impressions")


def _generator(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    if random_state is None or (isinstance(random_state, (int, np.integer))
                                and not isinstance(random_state, bool) and random_state >= 0):
        return np.random.default_rng(random_state)
    raise ValueError("random_state must be None, an integer >= 0 or a numpy Generator; "
                     f"got {random_state!r}")


def logged_ranking(data: RankingData, scores: np.ndarray,
                   n_shown: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows shown by a logging ranker, query by query, and their 1-based positions.

    Parameters
    ----------
    data : RankingData
    scores : ndarray of shape (n_rows,)
        The logging ranker's scores (higher is shown first; ties keep the row order).
    n_shown : int or None
        How many top documents of each query are shown (None: all).

    Returns
    -------
    rows : ndarray of shape (n_shown_rows,), int64
        Row indices of ``data``, grouped by query and sorted by rank inside each query.
    positions : ndarray of shape (n_shown_rows,), int64
        The rank at which each of those rows was shown (1-based).
    """
    query_index = np.repeat(np.arange(data.n_queries), data.group_sizes)
    order = np.lexsort((np.arange(data.n_rows), -scores, query_index))
    positions = np.arange(data.n_rows) - np.repeat(data.group_offsets[:-1], data.group_sizes)
    keep = np.ones(data.n_rows, dtype=bool) if n_shown is None else positions < n_shown
    return order[keep].astype(np.int64), positions[keep].astype(np.int64) + 1


def _check_arguments(data: Any, scores: Any, n_shown: Any, n_sessions: Any,
                     output: str, max_clicks: Any) -> np.ndarray:
    if not isinstance(data, RankingData):
        raise ValueError(f"data must be a RankingData; got {type(data).__name__}")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape[0] != data.n_rows:
        raise ValueError(f"scores has {scores.shape[0]} entries for {data.n_rows} rows of data")
    if not np.isfinite(scores).all():
        raise ValueError("scores contains NaN or infinite values")
    for name, value in (("n_shown", n_shown), ("n_sessions", n_sessions),
                        ("max_clicks", max_clicks)):
        if name != "n_sessions" and value is None:
            continue
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
    if data.n_rows and (np.any(data.y < 0) or not np.all(np.isfinite(data.y))):
        raise ValueError("data.y must hold graded labels >= 0 to simulate clicks from")
    return scores


def _padded(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray, width: int) -> tuple:
    """Per-query runs of ``values`` laid out as [n_queries, width] plus the mask."""
    mask = np.arange(width)[None, :] < sizes[:, None]
    cells = np.zeros((sizes.size, width), dtype=values.dtype)
    cells[mask] = values
    return cells, mask


def _simulate_chunk(model: ClickModel, labels: np.ndarray, mask: np.ndarray, n_sessions: int,
                    rng: np.random.Generator, features: Any, max_grade: float,
                    max_clicks: int | None) -> np.ndarray:
    """Clicks [n_sessions, n_queries_in_chunk, width] for one chunk of queries."""
    tiled_labels = np.tile(labels, (n_sessions, 1))
    tiled_mask = np.tile(mask, (n_sessions, 1))
    n_queries = labels.shape[0]
    slate_features = None
    if features is not None:
        def slate_features(index: int) -> np.ndarray:
            return features(index % n_queries)
    clicks = model.click(Slates(tiled_labels, tiled_mask, slate_features, max_grade), rng)
    if max_clicks is not None:
        clicks &= np.cumsum(clicks, axis=1) <= max_clicks
    return clicks.reshape(n_sessions, n_queries, labels.shape[1])


def _dense_rows(data: RankingData, rows: np.ndarray) -> np.ndarray:
    X = data.X[rows]
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)


def _click_matrix(data: RankingData, model: ClickModel, rows: np.ndarray, sizes: np.ndarray,
                  n_sessions: int, rng: np.random.Generator,
                  max_clicks: int | None) -> np.ndarray:
    """Clicks [n_sessions, n_shown_rows] in the order of ``rows``."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    width = int(sizes.max()) if sizes.size else 0
    max_grade = float(data.y.max()) if data.n_rows else 0.0
    per_chunk = max(1, CHUNK_CELLS // max(1, width * n_sessions))
    out = np.zeros((n_sessions, rows.size), dtype=bool)
    for first in range(0, sizes.size, per_chunk):
        q = slice(first, min(first + per_chunk, sizes.size))
        lo, hi = starts[q][0], starts[q][-1] + sizes[q][-1]
        labels, mask = _padded(data.y[rows[lo:hi]], starts[q] - lo, sizes[q], width)
        features = None
        if model.needs_features:
            chunk_starts, chunk_sizes = starts[q], sizes[q]

            def features(i: int, s=chunk_starts, n=chunk_sizes) -> np.ndarray:
                return _dense_rows(data, rows[s[i]: s[i] + n[i]])
        clicks = _simulate_chunk(model, labels, mask, n_sessions, rng, features, max_grade,
                                 max_clicks)
        out[:, lo:hi] = clicks[:, mask]
    return out


def _impression_index(sizes: np.ndarray, n_sessions: int) -> tuple[np.ndarray, np.ndarray]:
    """(cell, session) of each impression row: query-major, then session, then rank."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    block_starts = np.repeat(starts, n_sessions)
    block_sizes = np.repeat(sizes, n_sessions)
    total = int(block_sizes.sum())
    block_offsets = np.concatenate([[0], np.cumsum(block_sizes)[:-1]]).astype(np.int64)
    cell = np.repeat(block_starts - block_offsets, block_sizes) + np.arange(total)
    session = np.repeat(np.tile(np.arange(n_sessions), sizes.size), block_sizes)
    return cell.astype(np.int64), session.astype(np.int64)


def _session_qids(qid: np.ndarray, session: np.ndarray, n_sessions: int) -> np.ndarray:
    if qid.size and (qid.max() > (np.iinfo(np.int64).max - n_sessions) // n_sessions
                     or qid.min() < 0):
        raise ValueError("output='impressions' numbers sessions as qid * n_sessions + session; "
                         "the data's qids are too large (or negative) for that: renumber the "
                         "queries or use output='counts'")
    return qid * n_sessions + session


def simulate_clicks(
    data: RankingData,
    scores: Any,
    click_model: str | ClickModel = "pbm",
    random_state: Any = None,
    *,
    n_shown: int | None = 10,
    n_sessions: int = 1,
    output: str = "counts",
    max_clicks: int | None = None,
    **params: Any,
) -> RankingData:
    """Simulate a click log: a logging ranker shows each query's documents, a click model
    clicks on them from their graded labels.

    Parameters
    ----------
    data : RankingData
        Labelled data (``y`` graded relevance >= 0); its labels drive the clicks.
    scores : array-like of shape (data.n_rows,)
        The logging ranker's scores, in ``data``'s row order.
    click_model : str or ClickModel, default "pbm"
        ``pbm`` (position-based: examination ``(1/rank)**eta``, ``noise``), ``cascade``
        (``noise``), ``dcm`` (``continuation``, ``noise``), and allRank's ``threshold``
        (``eta``, ``threshold``), ``random`` (``n_clicks``), ``fixed`` (``click_ranks``),
        ``duplicate_aware`` (``inner``, ``duplicate_margin``, ``metric``) and ``diverse``
        (``inner``, ``q_percentile``, ``metric``); see `boostrank.clicks.models`.
    random_state : int, numpy Generator or None
        Seed: the same seed gives the same clicks.
    n_shown : int or None, default 10
        Documents shown per query (the logging ranker's top ``n_shown``); None shows all.
        Documents not shown are not in the log.
    n_sessions : int, default 1
        Impressions simulated per query.
    output : {"counts", "impressions"}, default "counts"
        ``"counts"``: one row per shown document, ``y`` = its number of clicks over the
        sessions (0/1 when ``n_sessions=1``). ``"impressions"``: one row per document per
        session, ``y`` in {0, 1}; each session is its own query, with
        ``qid = original_qid * n_sessions + session``.
    max_clicks : int or None
        Keep at most this many clicks per impression (the top ones), as allRank's
        ``MaxClicksModel``.
    **params
        Parameters of the click model.

    Returns
    -------
    RankingData
        The click log: ``X`` the shown documents' features, ``y`` clicks, ``position`` the
        1-based rank shown, ``docid``, ``comment`` and ``feature_names`` kept, ``source_row``
        the row of ``data`` each log row came from (0-based).
    """
    scores = _check_arguments(data, scores, n_shown, n_sessions, output, max_clicks)
    model = get_click_model(click_model, **params)
    rng = _generator(random_state)
    rows, positions = logged_ranking(data, scores, n_shown)
    sizes = np.bincount(np.repeat(np.arange(data.n_queries), data.group_sizes)[rows],
                        minlength=data.n_queries).astype(np.int64)
    clicks = _click_matrix(data, model, rows, sizes, int(n_sessions), rng, max_clicks)
    if output == "counts":
        index, labels, qid = rows, clicks.sum(axis=0).astype(np.float64), data.qid[rows]
        shown = positions
    else:
        cell, session = _impression_index(sizes, int(n_sessions))
        index, shown = rows[cell], positions[cell]
        labels = clicks[session, cell].astype(np.float64)
        qid = _session_qids(data.qid[index], session, int(n_sessions))
    return RankingData(
        data.X[index], labels, qid, position=shown,
        docid=None if data.docid is None else data.docid[index],
        comment=None if data.comment is None else data.comment[index],
        feature_names=data.feature_names, source=data.source, source_row=index,
    )
