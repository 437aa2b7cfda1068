"""Evaluation conventions: every choice that makes ranking tools disagree, made explicit.

A `Convention` fixes the gain of a label, the position discount, how tied scores are ordered,
what a query with no relevant document scores, what NDCG@k means when a list has fewer than k
documents, and which labels count as relevant for the binary metrics (MAP, MRR, precision,
recall). Named presets reproduce other tools exactly; see `PRESETS`:

``default`` / ``lightgbm``
    LightGBM's own ``ndcg@k`` and ``map@k`` rules: gain 2^l - 1 for integer labels 0..30,
    discount 1/log2(r + 1), ties in input order (stable), a query whose ideal DCG is 0 (no
    relevant document) scores 1, k capped at the list length, relevant = label > 0.5, MAP@k
    divides by min(#relevant, k). ``default`` is these rules so that the boosters' early
    stopping curves and every report of the toolkit read the same number.
``xgboost``
    XGBoost's ``ndcg@k``: as LightGBM with labels 0..31; the metric suffix ``-``
    (``ndcg@10-``) scores empty queries 0 instead of 1; plain ``ndcg`` is truncated at 32.
``trec``
    trec_eval / pytrec_eval ``ndcg_cut.k``, ``map``, ``recip_rank``: linear gain (labels <= 0
    give nothing), scores compared as float32, ties by docno descending (row order descending
    when no docids are given), empty queries score 0, relevant = label >= 1.
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

GAINS = ("exp", "linear")
DISCOUNTS = ("log2", "letor")
TIES = ("stable", "reverse", "pessimistic", "optimistic", "average")
EMPTY = ("one", "zero", "skip")
SHORT = ("cap", "zero")
OUT_OF_RANGE = ("error", "zero")
MAP_DENOMINATORS = ("min", "all")
SCORE_DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class Convention:
    """How labels and scores become metric values (immutable; see module docstring).

    Parameters
    ----------
    name : label printed in reports.
    gain : ``"exp"`` (2^l - 1), ``"linear"`` (l) or a tuple of gains indexed by integer label.
    discount : ``"log2"`` (1/log2(r + 1) at 1-based rank r) or ``"letor"`` (1 for r <= 2,
        then 1/log2(r)).
    ties : order of documents with equal scores: ``"stable"`` (input order), ``"reverse"``
        (docid descending, or later rows first without docids: trec_eval), ``"pessimistic"``
        (less relevant first), ``"optimistic"``, or ``"average"`` (expected value over the
        orders of each tied block, McSherry & Najork 2008; all metrics but err).
    empty : value of ndcg / map / mrr / recall for a query with no relevant document
        (ideal DCG 0): ``"one"``, ``"zero"`` or ``"skip"`` (NaN, left out of the mean).
    short_list : ndcg@k / dcg@k of a list shorter than k: ``"cap"`` (k = list length) or
        ``"zero"``.
    relevance_threshold, relevance_max : a document is relevant for the binary metrics when
        ``relevance_threshold < label`` (and ``label <= relevance_max`` when given).
    max_label : largest label allowed (exp gain); labels above it are handled by out_of_range.
    integer_labels : labels must be whole numbers.
    out_of_range : ``"error"`` (ValueError) or ``"zero"`` (gain 0) for negative labels and
        labels above ``max_label`` / the gain table.
    map_denominator : map@k divides by ``"min"`` (min(#relevant, k), LightGBM) or ``"all"``
        (#relevant, trec_eval map_cut).
    score_dtype : ``"float32"`` rounds scores before ranking (trec_eval's precision).
    err_max_grade : the grade g_max of ERR's stop probability (2^l - 1) / 2^g_max; None uses
        the largest label of the evaluated data.
    full_list_cutoff : the cutoff of ``ndcg`` / ``dcg`` written without ``@k`` (None: the
        whole list; XGBoost: 32).
    """

    name: str = "custom"
    gain: Any = "exp"
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

    def __post_init__(self) -> None:
        gain = self.gain
        if isinstance(gain, str):
            if gain not in GAINS:
                raise ValueError(f"unknown gain {gain!r}; use 'exp', 'linear' or a gain table")
        else:
            if isinstance(gain, dict):
                if not gain or any(int(k) != k or k < 0 for k in gain):
                    raise ValueError("a gain table dict needs non-negative integer labels as keys")
                table = [0.0] * (int(max(gain)) + 1)
                for k, v in gain.items():
                    table[int(k)] = float(v)
                gain = tuple(table)
            else:
                gain = tuple(float(v) for v in gain)
            if not gain or not all(math.isfinite(v) for v in gain):
                raise ValueError("a gain table must be a non-empty sequence of finite numbers")
            object.__setattr__(self, "gain", gain)
        for field, allowed in (("discount", DISCOUNTS), ("ties", TIES), ("empty", EMPTY),
                               ("short_list", SHORT), ("out_of_range", OUT_OF_RANGE),
                               ("map_denominator", MAP_DENOMINATORS),
                               ("score_dtype", SCORE_DTYPES)):
            value = getattr(self, field)
            if value not in allowed:
                raise ValueError(f"unknown {field} {value!r}; expected one of {allowed}")
        cutoff = self.full_list_cutoff
        if cutoff is not None and (int(cutoff) != cutoff or cutoff < 1):
            raise ValueError(f"full_list_cutoff must be a positive integer, got {cutoff!r}")

    # ------------------------------------------------------------------ helpers
    def replace(self, **changes: Any) -> Convention:
        """A copy with some fields changed (``name`` becomes "<name>+custom" unless given)."""
        changes.setdefault("name", f"{self.name}+custom" if self.name != "custom" else "custom")
        return dataclasses.replace(self, **changes)

    def gain_table(self) -> np.ndarray | None:
        """The gain table as float64 (n_labels,), or None for exp / linear gain."""
        return None if isinstance(self.gain, str) else np.asarray(self.gain, dtype=np.float64)

    def discounts(self, n: int) -> np.ndarray:
        """Discount of 0-based positions 0..n-1, float64 (n,)."""
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
            gain = "2^l-1" if self.gain == "exp" else "linear l"
            if self.gain == "linear" and self.out_of_range == "zero":
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
            extra = f", ndcg without @k = ndcg@{self.full_list_cutoff}"
        name = f"'{self.name}'"
        if self.name == "default" and self == dataclasses.replace(PRESETS["lightgbm"],
                                                                  name="default"):
            name += " (LightGBM's rules)"
        return (f"convention {name}: gain {gain}, discount {disc}, ties {ties}, "
                f"no-relevant queries {empty}, {short}, relevant: {rel}{extra}")

    def __str__(self) -> str:
        return self.describe()


PRESETS: dict[str, Convention] = {
    "lightgbm": Convention(name="lightgbm", gain="exp", max_label=30, integer_labels=True),
    "xgboost": Convention(name="xgboost", gain="exp", max_label=31, integer_labels=True,
                          full_list_cutoff=32),
    "trec": Convention(name="trec", gain="linear", ties="reverse", empty="zero",
                       out_of_range="zero", integer_labels=True, map_denominator="all",
                       score_dtype="float32"),
    "letor": Convention(name="letor", gain=(0.0, 1.0, 3.0), discount="letor", empty="zero",
                        short_list="zero", relevance_max=2.0, out_of_range="zero",
                        map_denominator="all"),
    "sklearn": Convention(name="sklearn", gain="linear", ties="average", empty="zero"),
}
PRESETS["default"] = dataclasses.replace(PRESETS["lightgbm"], name="default")


def get_convention(convention: str | Convention | None = "default") -> Convention:
    """A `Convention` from a preset name (case-insensitive), a `Convention`, or None (default)."""
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
