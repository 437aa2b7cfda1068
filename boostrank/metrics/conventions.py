"""Evaluation conventions: every choice that makes ranking tools disagree, made explicit.

A `Convention` fixes the gain of a label, the position discount, how tied scores are ordered,
what a query with no relevant document scores, what NDCG@k means when a list has fewer than k
documents, and which labels count as relevant for the binary metrics (MAP, MRR, precision,
recall). Named presets reproduce other tools exactly; see `PRESETS` and ``docs/conventions.md``:

``default`` / ``lightgbm``
    LightGBM's own ``ndcg@k`` and ``map@k`` rules: gain 2^l - 1 for integer labels 0..30,
    discount 1/log2(r + 1), ties in input order (stable), a query whose ideal DCG is 0 (no
    relevant document) scores 1, k capped at the list length, relevant = label > 0.5, MAP@k
    divides by min(#relevant, k). ``default`` is these rules so that the boosters' early
    stopping curves and every report of the toolkit read the same number.
``xgboost``
    XGBoost's ``ndcg@k``, ``map@k`` and ``pre@k``: as LightGBM with labels 0..31; the metric
    suffix ``-`` (``ndcg@10-``) scores empty queries 0 instead of 1; plain ``ndcg`` and
    ``map`` are truncated at 32; precision@k of a list shorter than k divides by the list
    length. (XGBoost refuses ``map`` and ``pre`` on labels other than 0 and 1; here labels
    above 0.5 count as relevant.)
``trec``
    pytrec_eval and trec_eval up to 9.0.8 (``ndcg_cut.k``, ``map``, ``recip_rank``, ``P.k``):
    linear gain (labels <= 0 give nothing), run scores rounded to float32 before ranking, ties
    by docno descending (row order descending when no docids are given), empty queries score
    0, relevant = label >= 1.
``trec10``
    trec_eval 10.0: as ``trec`` but run scores compared as float64 (scores equal in float32
    only are not ties there).
``letor``
    The official LETOR 4.0 ``Eval-Score-4.0.pl``: gain table {0: 0, 1: 1, 2: 3} (other labels
    give 0), discount 1 at ranks 1 and 2 then 1/log2(r), NDCG@k = 0 for a list shorter than k,
    P@k counts missing positions as irrelevant, relevant = labels 1 and 2, empty queries 0.
``sklearn``
    ``sklearn.metrics.ndcg_score``: linear gain (negative labels are an error), ties averaged
    (McSherry & Najork), empty queries score 0.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .gains import EXPONENTIAL, GAIN_NAMES, LINEAR, resolve_gain

#: the named gains of a `Convention` (the one vocabulary of `boostrank.metrics.gains`)
GAINS = GAIN_NAMES
DISCOUNTS = ("log2", "letor")
TIES = ("stable", "reverse", "pessimistic", "optimistic", "average")
EMPTY = ("one", "zero", "skip")
SHORT = ("cap", "zero")
OUT_OF_RANGE = ("error", "zero")
MAP_DENOMINATORS = ("min", "all")
SCORE_DTYPES = ("float64", "float32")
PRECISION_DENOMINATORS = ("k", "min")
_CHOICES = (("discount", DISCOUNTS), ("ties", TIES), ("empty", EMPTY), ("short_list", SHORT),
            ("out_of_range", OUT_OF_RANGE), ("map_denominator", MAP_DENOMINATORS),
            ("score_dtype", SCORE_DTYPES), ("precision_denominator", PRECISION_DENOMINATORS))


def gain_table_from(gain: Any) -> tuple[float, ...]:
    """A gain table as a tuple of floats indexed by integer label.

    Parameters
    ----------
    gain : dict or sequence of float
        ``{label: gain}`` with non-negative integer labels (missing labels get gain 0), or
        the gains of labels 0, 1, 2, ... in order.

    Returns
    -------
    tuple of float
        The gain of labels 0..max.

    Raises
    ------
    ValueError
        For an empty table, non-integer or negative labels, or non-finite gains.
    """
    if isinstance(gain, dict):
        if not gain or any(int(k) != k or k < 0 for k in gain):
            raise ValueError("a gain table dict needs non-negative integer labels as keys")
        table = [0.0] * (int(max(gain)) + 1)
        for k, v in gain.items():
            table[int(k)] = float(v)
        gain = table
    try:
        values = tuple(float(v) for v in gain)
    except (TypeError, ValueError):
        raise ValueError(f"gain must be one of {', '.join(map(repr, GAINS))} or a gain table "
                         f"(a sequence or dict of numbers); got {gain!r}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise ValueError("a gain table must be a non-empty sequence of finite numbers")
    return values


@dataclass(frozen=True)
class Convention:
    """How labels and scores become metric values (immutable; see the module docstring).

    Parameters
    ----------
    name : str
        Label printed in reports.
    gain : {"exponential", "linear"} or tuple of float
        ``"exponential"`` (2^l - 1), ``"linear"`` (l) or a gain table indexed by integer label
        (a dict ``{label: gain}`` is accepted). The old spelling ``"exp"`` is accepted with a
        `DeprecationWarning` (see `boostrank.metrics.gains.resolve_gain`).
    discount : {"log2", "letor"}
        ``"log2"`` (1/log2(r + 1) at 1-based rank r) or ``"letor"`` (1 for r <= 2, then
        1/log2(r)).
    ties : {"stable", "reverse", "pessimistic", "optimistic", "average"}
        Order of documents with equal scores: input order, docid descending (or later rows
        first without docids: trec_eval), less relevant first, more relevant first, or the
        expected value over the orders of each tied block (McSherry & Najork 2008; every
        metric but err).
    empty : {"one", "zero", "skip"}
        Value of ndcg / map / mrr / recall for a query with no relevant document (ideal DCG
        0); ``"skip"`` gives NaN, left out of the mean.
    short_list : {"cap", "zero"}
        ndcg@k / dcg@k of a list shorter than k: k capped at the list length, or 0.
    relevance_threshold, relevance_max : float
        A document is relevant for the binary metrics when ``relevance_threshold < label``
        (and ``label <= relevance_max`` when given).
    max_label : float or None
        Largest label allowed with exponential or linear gain; labels above it are handled
        by ``out_of_range``.
    integer_labels : bool
        Labels must be whole numbers.
    out_of_range : {"error", "zero"}
        ValueError, or gain 0, for negative labels and labels above ``max_label`` / the gain
        table.
    map_denominator : {"min", "all"}
        map@k divides by min(#relevant, k) (LightGBM, XGBoost) or by #relevant (trec_eval).
    score_dtype : {"float64", "float32"}
        ``"float32"`` rounds scores before ranking (pytrec_eval, trec_eval <= 9.0.8).
    err_max_grade : float or None
        The grade g_max of ERR's stop probability (2^l - 1) / 2^g_max; None uses the largest
        label of the evaluated data.
    full_list_cutoff : int or None
        The cutoff of ``ndcg``, ``dcg`` and ``map`` written without ``@k`` (None: the whole
        list; XGBoost: 32).
    precision_denominator : {"k", "min"}
        precision@k divides by k (trec_eval, LightGBM, LETOR: missing positions count as
        irrelevant) or by min(k, list length) (XGBoost's ``pre@k``).
    """

    name: str = "custom"
    gain: Any = EXPONENTIAL
    discount: str = "log2"
    ties: str = "stable"
    empty: str = "one"
    short_list: str = "cap"
    relevance_threshold: float = 0.5
    relevance_max: float | None = None
    max_label: float | None = None
    integer_labels: bool = False
    out_of_range: str = "error"
    map_denominator: str = "min"
    score_dtype: str = "float64"
    err_max_grade: float | None = None
    full_list_cutoff: int | None = None
    precision_denominator: str = "k"

    def __post_init__(self) -> None:
        if isinstance(self.gain, str):
            gain: Any = resolve_gain(self.gain, param="gain")
        else:
            gain = gain_table_from(self.gain)
        object.__setattr__(self, "gain", gain)
        for field, allowed in _CHOICES:
            value = getattr(self, field)
            if value not in allowed:
                raise ValueError(f"unknown {field} {value!r}; expected one of {allowed}")
        cutoff = self.full_list_cutoff
        if cutoff is not None and (int(cutoff) != cutoff or cutoff < 1):
            raise ValueError(f"full_list_cutoff must be a positive integer, got {cutoff!r}")

    # ------------------------------------------------------------------ helpers
    def replace(self, **changes: Any) -> Convention:
        """A copy with some fields changed.

        Parameters
        ----------
        **changes
            Field values (see the class docstring); ``name`` becomes ``"<name>+custom"``
            unless given.

        Returns
        -------
        Convention
        """
        changes.setdefault("name", f"{self.name}+custom" if self.name != "custom" else "custom")
        return dataclasses.replace(self, **changes)

    def gain_table(self) -> np.ndarray | None:
        """The gain table as float64 (n_labels,), or None for exponential / linear gain."""
        return None if isinstance(self.gain, str) else np.asarray(self.gain, dtype=np.float64)

    def discounts(self, n: int) -> np.ndarray:
        """Discount of the 0-based positions 0..n-1.

        Parameters
        ----------
        n : int
            Number of positions.

        Returns
        -------
        ndarray of shape (n,), float64
        """
        pos = np.arange(n, dtype=np.float64)
        if self.discount == "log2":
            return 1.0 / np.log2(pos + 2.0)
        out = np.ones(n, dtype=np.float64)
        if n > 2:  # Eval-Score-4.0.pl: log(2) / log(iPos + 1) for 0-based iPos >= 2
            out[2:] = np.log(2.0) / np.log(pos[2:] + 1.0)
        return out

    def describe(self) -> str:
        """One line naming every choice, printed in reports."""
        if isinstance(self.gain, str):
            gain = "2^l-1" if self.gain == EXPONENTIAL else "linear l"
            if self.gain == LINEAR and self.out_of_range == "zero":
                gain += " (l<=0 -> 0)"
        else:
            gain = "table {" + ", ".join(f"{i}:{g:g}" for i, g in enumerate(self.gain)) + "}"
        disc = "1/log2(r+1)" if self.discount == "log2" else "1 for r<=2 then 1/log2(r)"
        ties = {
            "stable": "input order",
            "reverse": "docid descending",
            "pessimistic": "pessimistic",
            "optimistic": "optimistic",
            "average": "averaged (McSherry-Najork)",
        }[self.ties]
        if self.score_dtype == "float32":
            ties += " on float32 scores"
        empty = {"one": "score 1", "zero": "score 0", "skip": "skipped"}[self.empty]
        short = "k capped at list length" if self.short_list == "cap" else "NDCG@k=0 if list < k"
        rel = f"label > {self.relevance_threshold:g}"
        if self.relevance_max is not None:
            rel += f" and <= {self.relevance_max:g}"
        extra = ""
        if self.full_list_cutoff is not None:
            extra = f", ndcg / map without @k = @{self.full_list_cutoff}"
        if self.precision_denominator == "min":
            extra += ", precision@k divides by min(k, list length)"
        name = f"'{self.name}'"
        if self.name == "default" and self == dataclasses.replace(PRESETS["lightgbm"],
                                                                  name="default"):
            name += " (LightGBM's rules)"
        return (f"convention {name}: gain {gain}, discount {disc}, ties {ties}, "
                f"no-relevant queries {empty}, {short}, relevant: {rel}{extra}")

    def __str__(self) -> str:
        return self.describe()


PRESETS: dict[str, Convention] = {
    "lightgbm": Convention(name="lightgbm", gain=EXPONENTIAL, max_label=30,
                           integer_labels=True),
    "xgboost": Convention(name="xgboost", gain=EXPONENTIAL, max_label=31, integer_labels=True,
                          full_list_cutoff=32, precision_denominator="min"),
    "trec": Convention(name="trec", gain=LINEAR, ties="reverse", empty="zero",
                       out_of_range="zero", integer_labels=True, map_denominator="all",
                       score_dtype="float32"),
    "trec10": Convention(name="trec10", gain=LINEAR, ties="reverse", empty="zero",
                         out_of_range="zero", integer_labels=True, map_denominator="all",
                         score_dtype="float64"),
    "letor": Convention(name="letor", gain=(0.0, 1.0, 3.0), discount="letor", empty="zero",
                        short_list="zero", relevance_max=2.0, out_of_range="zero",
                        map_denominator="all"),
    "sklearn": Convention(name="sklearn", gain=LINEAR, ties="average", empty="zero"),
}
PRESETS["default"] = dataclasses.replace(PRESETS["lightgbm"], name="default")


def get_convention(convention: str | Convention | None = "default") -> Convention:
    """The `Convention` a caller names.

    Parameters
    ----------
    convention : str, Convention or None, default "default"
        A preset name of `PRESETS` (case-insensitive), a `Convention` (returned as is), or
        None (the default convention).

    Returns
    -------
    Convention

    Raises
    ------
    ValueError
        For an unknown preset name (the message lists the presets).
    TypeError
        For anything else.
    """
    if convention is None:
        return PRESETS["default"]
    if isinstance(convention, Convention):
        return convention
    if isinstance(convention, str):
        key = convention.strip().lower()
        if key in PRESETS:
            return PRESETS[key]
        raise ValueError(f"unknown convention {convention!r}; presets: {', '.join(sorted(PRESETS))}")
    raise TypeError(f"convention must be a preset name or a Convention, not {type(convention).__name__}")
