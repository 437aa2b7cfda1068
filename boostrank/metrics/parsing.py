"""Metric strings: ``"ndcg@1,3,5,10,map"`` -> canonical names and parsed specs.

Grammar (case-insensitive, comma separated): ``NAME``, ``NAME@K`` or ``NAME@K-``; a bare
number after a metric with a cutoff repeats that metric at another cutoff (``ndcg@1,3,5``).
The ``-`` suffix (XGBoost's ``ndcg@10-``) makes a query with no relevant document score 0
whatever the convention says. Aliases: ``p``/``prec``/``p_k`` -> precision, ``recip_rank``/``rr``
-> mrr, ``ap`` -> map, ``ndcg_cut_10``/``ndcg_cut.10`` -> ndcg@10, ``P_5`` -> precision@5.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: canonical metric kinds and whether a cutoff is required
KINDS = {
    "ndcg": False,
    "dcg": False,
    "map": False,
    "mrr": False,
    "err": False,
    "precision": True,
    "recall": True,
}
ALIASES = {
    "p": "precision",
    "prec": "precision",
    "precision": "precision",
    "r": "recall",
    "recall": "recall",
    "recip_rank": "mrr",
    "rr": "mrr",
    "mrr": "mrr",
    "ap": "map",
    "map": "map",
    "map_cut": "map",
    "ndcg": "ndcg",
    "ndcg_cut": "ndcg",
    "dcg": "dcg",
    "dcg_cut": "dcg",
    "err": "err",
}

#: the largest cutoff accepted (any k at least the longest list means the whole list)
MAX_CUTOFF = 2**31 - 1

_TOKEN = re.compile(r"^([a-z_]+?)(?:(?:@|_|\.)(\d+))?(-)?$")


@dataclass(frozen=True)
class MetricSpec:
    """One parsed metric: ``kind`` (see `KINDS`), cutoff ``k`` (None = whole list), and
    ``minus`` (the ``-`` suffix: empty queries score 0)."""

    kind: str
    k: int | None = None
    minus: bool = False

    @property
    def name(self) -> str:
        """Canonical name, e.g. ``ndcg@10``, ``ndcg@10-``, ``map``, ``precision@5``."""
        return self.kind + (f"@{self.k}" if self.k is not None else "") + ("-" if self.minus else "")


def _known() -> str:
    return "ndcg[@k], dcg[@k], map[@k], mrr[@k], err[@k], precision@k, recall@k"


def check_cutoff(digits: str, token: str, where: str = "") -> int:
    """The cutoff written ``digits`` in metric ``token``, checked against 1..`MAX_CUTOFF`.

    Parameters
    ----------
    digits : str
        Decimal digits of the cutoff.
    token : str
        The metric as written, for the error message.
    where : str, default ""
        Where the metric was given (e.g. `` in 'ndcg@1,3'``), for the error message.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        Naming the metric and the allowed range when the cutoff is outside it.
    """
    k = int(digits)
    if not 1 <= k <= MAX_CUTOFF:
        raise ValueError(f"metric {token!r}{where}: the cutoff k must be between 1 and "
                         f"{MAX_CUTOFF:,} (got {digits})")
    return k


def parse_metric(token: str, *, source: str | None = None) -> MetricSpec:
    """Parse one metric name such as ``"NDCG@10"``, ``"ndcg@10-"``, ``"P@5"`` or ``"map"``.

    Parameters
    ----------
    token : str
        One metric name (see the module docstring for the grammar and aliases).
    source : str, optional
        The whole string it came from, named in error messages.

    Returns
    -------
    MetricSpec

    Raises
    ------
    ValueError
        For an unknown name, a cutoff outside 1..`MAX_CUTOFF`, or precision / recall
        without a cutoff.
    """
    text = token.strip().lower()
    where = f" in {source!r}" if source is not None and source != token else ""
    match = _TOKEN.match(text)
    kind = ALIASES.get(match.group(1)) if match else None
    if match is None or kind is None:
        raise ValueError(f"unknown metric {token!r}{where}; known: {_known()}")
    k = None if match.group(2) is None else check_cutoff(match.group(2), token, where)
    if k is None and KINDS[kind]:
        raise ValueError(f"metric {token!r}{where} needs a cutoff, e.g. {kind}@10")
    return MetricSpec(kind, k, bool(match.group(3)))


def parse_metric_specs(metrics: str | Iterable[str]) -> list[MetricSpec]:
    """Parse a metric string or a sequence of them into unique specs.

    Parameters
    ----------
    metrics : str or iterable of str
        E.g. ``"ndcg@1,3,5,10,map"`` or ``["ndcg@10", "map"]``.

    Returns
    -------
    list of MetricSpec
        In first-seen order, without duplicates.

    Raises
    ------
    ValueError
        For an empty list, an empty or unknown name, or a bad cutoff.
    """
    items: list[tuple[str, str]] = []
    if isinstance(metrics, str):
        items = [(part, metrics) for part in metrics.split(",")]
    else:
        for entry in metrics:
            if not isinstance(entry, str):
                raise ValueError(f"metric names must be strings, got {entry!r}")
            items.extend((part, entry) for part in entry.split(","))
    specs: list[MetricSpec] = []
    previous: MetricSpec | None = None
    for part, source in items:
        token = part.strip()
        if not token:
            raise ValueError(f"empty metric name in {source!r}")
        repeat = re.fullmatch(r"(\d+)(-)?", token)
        if repeat is not None:
            if previous is None or previous.k is None:
                raise ValueError(f"cutoff {token!r} in {source!r} does not follow a metric@k")
            k = check_cutoff(repeat.group(1), f"{previous.kind}@{token}", f" in {source!r}")
            spec = MetricSpec(previous.kind, k, bool(repeat.group(2)) or previous.minus)
        else:
            spec = parse_metric(token, source=source)
        previous = spec
        if spec not in specs:
            specs.append(spec)
    if not specs:
        raise ValueError("no metric given")
    return specs


def parse_metrics(metrics: str | Iterable[str]) -> list[str]:
    """Canonical metric names.

    Parameters
    ----------
    metrics : str or iterable of str
        As for `parse_metric_specs`.

    Returns
    -------
    list of str
        E.g. ``parse_metrics("ndcg@1,3,5,10,map")`` ->
        ``["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "map"]``.
    """
    return [spec.name for spec in parse_metric_specs(metrics)]
