"""Click models: how a simulated user clicks on a ranked list of graded documents.

Every model works on a batch of *slates* (one impression of one query each) in a padded
layout ``[n_slates, list_len]``, ordered by the rank at which the documents were shown
(column 0 is rank 1). Padding never reaches a click decision: padded cells are never clicked
(allRank's ``MaskedRemainMasked`` wrapper is built in).

Relevance probability of a grade ``g`` (the models ``pbm``, ``cascade`` and ``dcm``), as in
the unbiased learning-to-rank literature (Chapelle et al. 2009; Ai et al. 2018)::

    r(g) = noise + (1 - noise) * (2**g - 1) / (2**max_grade - 1)

``noise`` is the probability that an examined document of grade 0 is clicked; with
``noise=0`` a grade-0 document is never clicked and a top-grade one always is (when examined).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
from scipy.spatial.distance import cdist


@dataclass
class Slates:
    """A batch of impressions in the padded, rank-ordered layout.

    Attributes
    ----------
    labels : ndarray of shape (n_slates, list_len), float64
        Graded label of the document shown at each rank (0 in padding).
    mask : ndarray of shape (n_slates, list_len), bool
        True where a document was shown.
    features : callable or None
        ``features(slate_index) -> ndarray (n_shown, n_features)``: the shown documents'
        feature rows in rank order (needed by ``diverse`` and ``duplicate_aware`` only).
    max_grade : float
        The highest grade of the data set (the top of the relevance-probability scale).
    """

    labels: np.ndarray
    mask: np.ndarray
    features: Callable[[int], np.ndarray] | None = None
    max_grade: float = 4.0

    @property
    def ranks(self) -> np.ndarray:
        """1-based rank of each column, shape (list_len,)."""
        return np.arange(1, self.labels.shape[1] + 1, dtype=np.float64)


def relevance_probability(labels: np.ndarray, max_grade: float, noise: float) -> np.ndarray:
    """``r(g) = noise + (1 - noise) (2^g - 1) / (2^max_grade - 1)``, same shape as ``labels``."""
    if max_grade <= 0:
        return np.full(labels.shape, noise, dtype=np.float64)
    scaled = (np.exp2(np.clip(labels, 0.0, max_grade)) - 1.0) / (np.exp2(max_grade) - 1.0)
    return noise + (1.0 - noise) * scaled


def rank_examination(list_len: int, eta: float) -> np.ndarray:
    """Examination probability ``(1 / rank)**eta`` of ranks 1..list_len, shape (list_len,)."""
    return (1.0 / np.arange(1, list_len + 1, dtype=np.float64)) ** eta


def _check_probability(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value!r}")
    return value


def _check_non_negative(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return value


class ClickModel:
    """Base class: ``click(slates, rng) -> clicks`` (bool, the shape of ``slates.labels``)."""

    #: the short name used by `simulate_clicks(click_model=...)`
    name: ClassVar[str] = ""
    #: whether the model needs the documents' features (`Slates.features`)
    needs_features: ClassVar[bool] = False

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        """Draw clicks for every slate; padded cells are never clicked."""
        raise NotImplementedError

    def examination(self, list_len: int) -> np.ndarray | None:
        """Examination probability per rank (list_len,), when the model defines one."""
        return None


@dataclass
class PositionBasedModel(ClickModel):
    """Position-based model (PBM): ``P(click) = (1 / rank)**eta * r(grade)``.

    Parameters
    ----------
    eta : float, default 1.0
        Severity of the position bias (0: no bias).
    noise : float, default 0.1
        Click probability of an examined grade-0 document.
    """

    eta: float = 1.0
    noise: float = 0.1
    name: ClassVar[str] = "pbm"

    def __post_init__(self) -> None:
        self.eta = _check_non_negative("eta", self.eta)
        self.noise = _check_probability("noise", self.noise)

    def examination(self, list_len: int) -> np.ndarray:
        return rank_examination(list_len, self.eta)

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        examined = rng.random(slates.labels.shape) < self.examination(slates.labels.shape[1])
        attracted = rng.random(slates.labels.shape) < relevance_probability(
            slates.labels, slates.max_grade, self.noise)
        return examined & attracted & slates.mask


@dataclass
class CascadeModel(ClickModel):
    """Cascade model (Craswell et al. 2008): the user scans from the top, clicks an examined
    document with probability ``r(grade)`` and stops after the first click.

    Parameters
    ----------
    noise : float, default 0.1
        Click probability of an examined grade-0 document.
    """

    noise: float = 0.1
    name: ClassVar[str] = "cascade"

    def __post_init__(self) -> None:
        self.noise = _check_probability("noise", self.noise)

    def continuation_after_click(self, list_len: int) -> np.ndarray:
        """Probability to go on scanning after a click at each rank (0: stop)."""
        return np.zeros(list_len)

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        attraction = relevance_probability(slates.labels, slates.max_grade, self.noise)
        go_on = self.continuation_after_click(slates.labels.shape[1])
        clicks = np.zeros(slates.labels.shape, dtype=bool)
        browsing = np.ones(slates.labels.shape[0], dtype=bool)
        for rank in range(slates.labels.shape[1]):
            shown = browsing & slates.mask[:, rank]
            clicked = shown & (rng.random(shown.shape) < attraction[:, rank])
            clicks[:, rank] = clicked
            stays = rng.random(shown.shape) < go_on[rank]
            browsing = shown & (~clicked | stays)
        return clicks


@dataclass
class DependentClickModel(CascadeModel):
    """Dependent click model (DCM, Guo et al. 2009): a cascade in which the user goes on after
    a click at rank ``k`` with probability ``continuation[k]`` (after a non-click always).

    Parameters
    ----------
    noise : float, default 0.1
        Click probability of an examined grade-0 document (from `CascadeModel`).
    continuation : float or sequence of float, default 0.5
        Probability to continue after a click, one value or one per rank (the last value
        repeats for deeper ranks).
    """

    continuation: Any = 0.5
    name: ClassVar[str] = "dcm"

    def __post_init__(self) -> None:
        super().__post_init__()
        values = np.atleast_1d(np.asarray(self.continuation, dtype=np.float64))
        if values.size == 0 or values.ndim != 1 or np.any((values < 0) | (values > 1)):
            raise ValueError("continuation must be a probability in [0, 1] or a sequence of "
                             f"them (one per rank); got {self.continuation!r}")
        self.continuation = values

    def continuation_after_click(self, list_len: int) -> np.ndarray:
        values = self.continuation[:list_len]
        return np.concatenate([values, np.full(max(list_len - values.size, 0), values[-1])])


@dataclass
class ThresholdCascadeModel(ClickModel):
    """allRank's cascade model (``BaseCascadeModel``): a document at rank ``k`` is observed
    with probability ``(1 / k)**eta`` and clicked when observed and its grade is at least
    ``threshold``; several clicks per slate are possible.

    Parameters
    ----------
    eta : float, default 1.0
        Severity of the position bias.
    threshold : float, default 1.0
        Lowest clicked grade (inclusive).
    """

    eta: float = 1.0
    threshold: float = 1.0
    name: ClassVar[str] = "threshold"

    def __post_init__(self) -> None:
        self.eta = _check_non_negative("eta", self.eta)
        self.threshold = float(self.threshold)

    def examination(self, list_len: int) -> np.ndarray:
        return rank_examination(list_len, self.eta)

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        observed = rng.random(slates.labels.shape) < self.examination(slates.labels.shape[1])
        return observed & (slates.labels >= self.threshold) & slates.mask


@dataclass
class RandomClickModel(ClickModel):
    """allRank's random model: ``n_clicks`` shown documents clicked uniformly at random
    (all of them when fewer are shown).

    Parameters
    ----------
    n_clicks : int, default 1
    """

    n_clicks: int = 1
    name: ClassVar[str] = "random"

    def __post_init__(self) -> None:
        if int(self.n_clicks) != self.n_clicks or self.n_clicks < 0:
            raise ValueError(f"n_clicks must be an integer >= 0; got {self.n_clicks!r}")
        self.n_clicks = int(self.n_clicks)

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        keys = np.where(slates.mask, rng.random(slates.labels.shape), np.inf)
        order = np.argsort(keys, axis=1, kind="stable")
        chosen = np.zeros(slates.labels.shape, dtype=bool)
        take = min(self.n_clicks, slates.labels.shape[1])
        np.put_along_axis(chosen, order[:, :take], True, axis=1)
        return chosen & slates.mask


@dataclass
class FixedClickModel(ClickModel):
    """allRank's fixed model: clicks at the given 1-based ranks (ranks not shown are skipped).

    Parameters
    ----------
    click_ranks : sequence of int, default (1,)
    """

    click_ranks: tuple[int, ...] = field(default=(1,))
    name: ClassVar[str] = "fixed"

    def __post_init__(self) -> None:
        ranks = np.atleast_1d(np.asarray(self.click_ranks))
        if ranks.size and (not np.issubdtype(ranks.dtype, np.integer) or ranks.min() < 1):
            raise ValueError(f"click_ranks must be 1-based integer ranks; got {self.click_ranks!r}")
        self.click_ranks = tuple(int(r) for r in ranks)

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        clicks = np.zeros(slates.labels.shape, dtype=bool)
        ranks = [r - 1 for r in self.click_ranks if r <= slates.labels.shape[1]]
        clicks[:, ranks] = True
        return clicks & slates.mask


def _pairwise_upper(points: np.ndarray, metric: str) -> np.ndarray:
    distances = cdist(points, points, metric=metric)
    return distances[np.triu_indices(points.shape[0], k=1)]


@dataclass
class FeatureFilterModel(ClickModel):
    """Base of the models that drop some of an ``inner`` model's clicks by the distances
    between the shown documents' feature rows (`Slates.features`).

    A subclass sets `kept_clicks`; `click` calls it on every slate with more than
    ``filtered_above`` clicks.

    Parameters
    ----------
    inner : ClickModel, default PositionBasedModel()
        The model whose clicks are filtered.
    """

    inner: ClickModel = field(default_factory=lambda: PositionBasedModel())
    needs_features: ClassVar[bool] = True
    #: slates with at most this many clicks are left as they are
    filtered_above: ClassVar[int] = 0

    def click(self, slates: Slates, rng: np.random.Generator) -> np.ndarray:
        clicks = self.inner.click(slates, rng)
        for index in np.flatnonzero(clicks.sum(axis=1) > self.filtered_above):
            points = slates.features(index)
            shown = slice(0, points.shape[0])
            clicks[index, shown] = self.kept_clicks(points, clicks[index, shown])
        return clicks

    def kept_clicks(self, points: np.ndarray, clicked: np.ndarray) -> np.ndarray:
        """The clicks kept on one slate: ``points`` (n_shown, n_features) in rank order,
        ``clicked`` (n_shown,) bool; returns (n_shown,) bool."""
        raise NotImplementedError


@dataclass
class DuplicateAwareClickModel(FeatureFilterModel):
    """allRank's duplicate-aware model: the inner model's clicks, except on a document whose
    distance to a document shown above it is at most ``duplicate_margin`` (a near duplicate).

    Parameters
    ----------
    inner : ClickModel, default PositionBasedModel()
    duplicate_margin : float, default 0.0
        Distances ``<=`` this mark a duplicate (0: exact duplicates only).
    metric : str, default "euclidean"
        Any metric of `scipy.spatial.distance.cdist`.
    """

    duplicate_margin: float = 0.0
    metric: str = "euclidean"
    name: ClassVar[str] = "duplicate_aware"

    def __post_init__(self) -> None:
        self.duplicate_margin = _check_non_negative("duplicate_margin", self.duplicate_margin)

    def kept_clicks(self, points: np.ndarray, clicked: np.ndarray) -> np.ndarray:
        distances = cdist(points, points, metric=self.metric)
        above = np.tril(np.ones_like(distances, dtype=bool), k=-1)
        duplicate = ((distances <= self.duplicate_margin) & above).any(axis=1)
        return clicked & ~duplicate


@dataclass
class DiverseClicksModel(FeatureFilterModel):
    """allRank's diverse-clicks model (Seq2Slate): the inner model's clicks from the top,
    dropping a click on a document closer than the ``q_percentile`` quantile of the slate's
    pairwise distances to a document already clicked.

    Parameters
    ----------
    inner : ClickModel, default ThresholdCascadeModel(eta=0, threshold=1)
    q_percentile : float, default 0.5
    metric : str, default "euclidean"
    """

    inner: ClickModel = field(default_factory=lambda: ThresholdCascadeModel(eta=0.0))
    q_percentile: float = 0.5
    metric: str = "euclidean"
    name: ClassVar[str] = "diverse"
    filtered_above: ClassVar[int] = 1  # a single click is always kept

    def __post_init__(self) -> None:
        self.q_percentile = _check_probability("q_percentile", self.q_percentile)

    def kept_clicks(self, points: np.ndarray, clicked: np.ndarray) -> np.ndarray:
        pairs = _pairwise_upper(points, self.metric)
        margin = np.quantile(pairs, self.q_percentile) if pairs.size else 0.0
        kept_clicks = clicked.copy()
        kept: list[int] = []
        for rank in np.flatnonzero(clicked):
            if kept and cdist(points[[rank]], points[kept], metric=self.metric).min() <= margin:
                kept_clicks[rank] = False
            else:
                kept.append(rank)
        return kept_clicks


CLICK_MODELS: dict[str, type[ClickModel]] = {
    cls.name: cls
    for cls in (PositionBasedModel, CascadeModel, DependentClickModel, ThresholdCascadeModel,
                RandomClickModel, FixedClickModel, DuplicateAwareClickModel, DiverseClicksModel)
}


def get_click_model(click_model: str | ClickModel, **params: Any) -> ClickModel:
    """A click model from its short name and parameters, or a `ClickModel` as is.

    Parameters
    ----------
    click_model : str or ClickModel
        One of `CLICK_MODELS` (``pbm``, ``cascade``, ``dcm``, ``threshold``, ``random``,
        ``fixed``, ``duplicate_aware``, ``diverse``) or an instance.
    **params
        The model's parameters (see each class). ``inner`` may be a short name.

    Raises
    ------
    ValueError
        For an unknown name or a parameter the model does not take (the message lists both).
    """
    if isinstance(click_model, ClickModel):
        if params:
            raise ValueError("pass parameters either in the ClickModel instance or as keywords, "
                             f"not both (got {sorted(params)})")
        return click_model
    cls = CLICK_MODELS.get(str(click_model).strip().lower())
    if cls is None:
        raise ValueError(f"click_model must be one of {sorted(CLICK_MODELS)}; got {click_model!r}")
    allowed = sorted(f.name for f in fields(cls))
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"click model {cls.name!r} takes {allowed}; got unknown {unknown}")
    if isinstance(params.get("inner"), str):
        params["inner"] = get_click_model(params["inner"])
    return cls(**params)
