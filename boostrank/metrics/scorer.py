"""scikit-learn scorers for ranking metrics: `make_scorer("ndcg@5", convention=...)`.

A ranking metric needs to know which rows form a query, which scikit-learn's model selection
(`GridSearchCV`, `cross_val_score`, `cross_validate`, a `Pipeline` inside them) passes to a
scorer only through *metadata routing*::

    import sklearn
    from sklearn.model_selection import GridSearchCV, GroupKFold

    sklearn.set_config(enable_metadata_routing=True)
    model = boostrank.LightGBMLambdaMART().set_fit_request(qid=True)
    search = GridSearchCV(model, {"learning_rate": [0.05, 0.1]}, cv=GroupKFold(5),
                          scoring=boostrank.metrics.make_scorer("ndcg@5"))
    search.fit(X, y, qid=qid, groups=qid)

Building a scorer with routing disabled is a `RuntimeError` that says so (a search would
otherwise collect NaN scores). The scorer requests ``qid`` for its ``score`` call by default (as ``set_score_request(qid=True)``
would); ``groups=qid`` keeps every query inside one fold (`GroupKFold`). The scorer scores
the evaluated rows with ``estimator.predict(X)`` (``predict(X, qid=qid)`` when the estimator's
``predict`` names a ``qid`` parameter) and returns the metric's mean over the queries,
computed by `boostrank.metrics.evaluate` under ``convention``. Every ranking metric is
"greater is better".
"""

from __future__ import annotations

import inspect
from typing import Any

from .conventions import Convention, get_convention
from .evaluator import evaluate
from .parsing import parse_metric_specs

_ROUTING_HINT = ("scikit-learn passes qid to a scorer only with metadata routing: call "
                 "sklearn.set_config(enable_metadata_routing=True), request qid for the "
                 "scorer with set_score_request(qid=True) (the default of "
                 "boostrank.metrics.make_scorer) and pass qid=... to fit, e.g. "
                 "GridSearchCV(...).fit(X, y, qid=qid, groups=qid) or "
                 "cross_val_score(..., params={'qid': qid, 'groups': qid})")


class RankingScorer:
    """A scikit-learn scorer of one ranking metric (build it with `make_scorer`).

    Parameters
    ----------
    metric : str
        One metric name in `parse_metrics` syntax, e.g. ``"ndcg@5"`` or ``"map"``.
    convention : str or Convention, default "default"
        The evaluation convention (a preset name or a `Convention`).

    Attributes
    ----------
    metric : str
        The canonical metric name (``"NDCG@5"`` -> ``"ndcg@5"``).
    convention : str or Convention
        As given.
    """

    def __init__(self, metric: str, convention: str | Convention | None = "default") -> None:
        if not isinstance(metric, str):
            raise TypeError(f"metric must be a metric name such as 'ndcg@10', got "
                            f"{type(metric).__name__}")
        specs = parse_metric_specs(metric)
        if len(specs) != 1:
            names = ", ".join(s.name for s in specs)
            raise ValueError(f"a scorer returns one number: give one metric, not {names!r} "
                             "(pass a dict of scorers to scoring= for several)")
        get_convention(convention)  # fail now, not inside a search
        _require_routing()
        self.metric = specs[0].name
        self.convention = convention
        self._qid_request: bool | str | None = True

    # ------------------------------------------------------------------ metadata routing
    def set_score_request(self, *, qid: bool | str | None = True) -> RankingScorer:
        """Request (or not) ``qid`` for the scorer's call, as scikit-learn scorers do.

        Parameters
        ----------
        qid : bool, str or None, default True
            True: route the ``qid`` given to ``fit`` of the search; a str: route the metadata
            of that name; False or None: do not request it (the scorer then fails).

        Returns
        -------
        RankingScorer
            ``self``.
        """
        if not (qid is None or isinstance(qid, (bool, str))):
            raise ValueError(f"qid must be True, False, None or an alias name, got {qid!r}")
        self._qid_request = qid
        return self

    def get_metadata_routing(self) -> Any:
        """The metadata request of the scorer (scikit-learn's routing protocol).

        Returns
        -------
        sklearn.utils.metadata_routing.MetadataRequest
            ``score`` requests ``qid`` (unless `set_score_request` said otherwise).
        """
        from sklearn.utils.metadata_routing import MetadataRequest

        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="qid", alias=self._qid_request)
        return request

    # ------------------------------------------------------------------ scoring
    def __call__(self, estimator: Any, X: Any, y_true: Any, qid: Any = None,
                 **kwargs: Any) -> float:
        """Mean of the metric over the queries of ``X``.

        Parameters
        ----------
        estimator : fitted estimator
            Anything with ``predict(X)`` returning one score per row.
        X : array-like or sparse matrix of shape (n_rows, n_features)
            The evaluated rows.
        y_true : array-like of shape (n_rows,)
            Their graded relevance labels.
        qid : array-like of shape (n_rows,)
            Query id per row (routed by scikit-learn; see the module docstring).
        **kwargs
            Other routed metadata; refused (ranking metrics take none).

        Returns
        -------
        float
            Mean over queries; greater is better.

        Raises
        ------
        ValueError
            When ``qid`` is missing (the message says how to route it) or other metadata is
            given.
        """
        if kwargs:
            raise ValueError(f"{self!r} takes only qid as metadata, got "
                             f"{', '.join(sorted(kwargs))}")
        if qid is None:
            raise ValueError(f"{self!r} needs the query ids of the evaluated rows and got "
                             f"none; {_ROUTING_HINT}")
        if _predict_takes_qid(estimator):
            scores = estimator.predict(X, qid=qid)
        else:
            scores = estimator.predict(X)
        result = evaluate(y_true, scores, qid, metrics=(self.metric,),
                          convention=self.convention)
        return float(result[self.metric])

    def __repr__(self) -> str:
        conv = self.convention
        shown = conv.name if isinstance(conv, Convention) else conv
        return f"make_scorer({self.metric!r}, convention={shown!r})"


def _require_routing() -> None:
    """Refuse to build a scorer scikit-learn could not give ``qid`` to: without routing a
    search would only collect NaN scores (scikit-learn turns scorer errors into warnings)."""
    import sklearn

    if not sklearn.get_config().get("enable_metadata_routing", False):
        raise RuntimeError("boostrank.metrics.make_scorer requests qid through scikit-learn's "
                           "metadata routing, which is disabled: call "
                           "sklearn.set_config(enable_metadata_routing=True) first (the scorer "
                           "then requests qid as set_score_request(qid=True) does), and pass "
                           "qid=... to fit of the search")


def _predict_takes_qid(estimator: Any) -> bool:
    """Whether ``estimator.predict`` names a ``qid`` parameter (query-level preprocessing);
    foreign estimators and pipelines are called with ``predict(X)``."""
    try:
        parameters = inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):
        return False
    return "qid" in parameters


def make_scorer(metric: str = "ndcg@10", *,
                convention: str | Convention | None = "default") -> RankingScorer:
    """A scikit-learn scorer of a ranking metric that requests ``qid`` through routing.

    Parameters
    ----------
    metric : str, default "ndcg@10"
        One metric in `parse_metrics` syntax (``"ndcg@5"``, ``"map"``, ``"precision@10"``,
        ``"ndcg@10-"``...).
    convention : str or Convention, default "default"
        The evaluation convention: a preset name (``"default"``, ``"lightgbm"``,
        ``"xgboost"``, ``"trec"``, ``"trec10"``, ``"letor"``, ``"sklearn"``) or a
        `Convention`.

    Returns
    -------
    RankingScorer
        Pass it as ``scoring=`` to `GridSearchCV`, `cross_val_score`, `cross_validate`...
        with ``sklearn.set_config(enable_metadata_routing=True)``.

    Raises
    ------
    RuntimeError
        When metadata routing is disabled (the message says how to enable it).
    ValueError
        For an unknown or multiple metric, or an unknown convention.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> sklearn.set_config(enable_metadata_routing=True)  # doctest: +SKIP
    >>> model = LightGBMLambdaMART().set_fit_request(qid=True)  # doctest: +SKIP
    >>> cross_val_score(model, X, y, cv=GroupKFold(5), scoring=make_scorer("ndcg@5"),
    ...                 params={"qid": qid, "groups": qid})  # doctest: +SKIP
    """
    return RankingScorer(metric, convention)
