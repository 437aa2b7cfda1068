"""Which trial a study hands back: the best validation value, or the default configuration
unless the best trial beats it beyond noise.

``select="best"`` (Optuna's rule) returns the trial with the best validation value. Out of
30 trials whose true quality is the same, the best validation value is the luckiest draw, and
on a small data set (MQ2008: a few hundred queries per fold) the tuned configuration often
scores below the default on test although it won on validation.

``select="significant"`` keeps the study's default-configuration trial unless the best trial
beats it on the validation queries (the out-of-fold queries with ``cv``) beyond what the best
of the study's trials would reach by luck: a one-sided max-t sign-flip test at level ``alpha``
(0.05) over every completed trial that was compared with the default
(`boostrank.metrics.max_t.max_t_test`, Westfall and Young's correction for picking the maximum
of many). A plain paired t-test of the best trial against the default ignores that it was
picked as the maximum: with 30 trials no better than the default, the best of them passes it
far more often than 5 % of the time (see ``tests/test_metrics_max_t.py``). The test uses the
trials' per-query values (`QUERY_SCORES_ATTR`, stored by the objective when this rule is on).
Without a completed default trial the rule is ``best``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

__all__ = ["QUERY_SCORES_ATTR", "SELECT_RULES", "Selection", "check_query_scores", "check_select",
           "select_trial"]

#: user attribute: the trial's metric on each validation (out-of-fold) query, NaN where the
#: query does not count under the convention; stored with ``select="significant"``
QUERY_SCORES_ATTR = "boostrank:query_scores"
#: the rules `select_trial` knows
SELECT_RULES = ("best", "significant")
#: default significance level of ``select="significant"``
DEFAULT_ALPHA = 0.05


def check_select(select: Any, alpha: Any = DEFAULT_ALPHA) -> tuple[str, float]:
    """``(rule, alpha)`` checked; ValueError naming the parameter and the allowed values."""
    if not isinstance(select, str) or select not in SELECT_RULES:
        raise ValueError(f"select must be one of {', '.join(SELECT_RULES)}, got {select!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"select_alpha must be a number in (0, 1), got {alpha!r}")
    return select, float(alpha)


def check_query_scores(default: Any) -> None:
    """Before a resumed study runs more trials: ``select="significant"`` needs the per-query
    validation values of its default trial (a study started with ``select="best"`` has none)."""
    if default is not None and QUERY_SCORES_ATTR not in default.user_attrs:
        raise ValueError(
            f"select='significant' compares the best trial with the default one on the "
            f"validation queries, but the default trial ({default.number}) of this study was "
            "run without per-query scores (the study was started with select='best'); resume "
            "it with select='best' or start a new study")


@dataclass(frozen=True)
class Selection:
    """How the returned trial was chosen.

    ``rule``: ``"best"`` or ``"significant"``; ``best_trial``: number of the trial with the
    best validation value; ``chosen_trial``: number of the trial returned; ``kept_default``:
    the default configuration was returned (it has the best validation value, or the best
    trial did not beat it significantly); ``gain``: mean per-query validation gain of the best trial over the default
    (None when not compared); ``p_value``: the max-t test of that gain (family-wise, over the
    ``n_compared`` trials); ``n_queries``: queries compared; ``alpha``: the level.
    ``n_compared``: completed trials the best one was picked from (the family of the max-t
    test, the best one included).
    """

    rule: str
    best_trial: int
    chosen_trial: int
    kept_default: bool = False
    gain: float | None = None
    p_value: float | None = None
    n_queries: int | None = None
    alpha: float = DEFAULT_ALPHA
    n_compared: int | None = None

    def verdict(self) -> str:
        """One plain sentence on the choice."""
        if self.gain is None and self.kept_default:
            return (f"kept the default configuration (trial {self.chosen_trial}): it has the best "
                    "validation value of the study")
        if self.gain is None:
            return f"selected trial {self.chosen_trial} (best validation value)"
        family = self.n_compared or 1
        comparison = (f"validation gain of trial {self.best_trial} over the default "
                      f"{self.gain:+.4f} over {self.n_queries} queries, max-t sign-flip test "
                      f"over the best of {family} trial{'s' if family != 1 else ''} "
                      f"p={self.p_value:.3g}")
        if self.kept_default:
            return (f"kept the default configuration (trial {self.chosen_trial}): {comparison},"
                    f" not significant at {self.alpha:g}")
        return f"selected trial {self.chosen_trial}: {comparison}, significant at {self.alpha:g}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict()}


def select_trial(best: Any, default: Any, rule: str, alpha: float = DEFAULT_ALPHA,
                 candidates: Sequence[Any] = (), random_state: int = 0
                 ) -> tuple[Any, Selection]:
    """The trial to return and how it was chosen (module docstring).

    ``best``: the study's best trial; ``default``: its completed default-configuration trial or
    None; ``candidates``: the completed trials the best one was picked from (those with
    per-query values; the default is left out, the best one is always in); ``random_state``
    seeds the sign patterns of the test.
    """
    from boostrank.metrics.max_t import max_t_test

    plain = Selection(rule=rule, best_trial=int(best.number), chosen_trial=int(best.number),
                      alpha=alpha)
    if rule == "best" or default is None:
        return best, plain
    if default.number == best.number:
        return best, replace(plain, kept_default=True)
    family = [best] + [t for t in candidates if t.number not in (best.number, default.number)
                       and QUERY_SCORES_ATTR in t.user_attrs]
    baseline = _query_scores(default, best)
    table = np.vstack([_query_scores(trial, default, len(baseline)) for trial in family])
    keep = ~(np.isnan(baseline) | np.isnan(table).any(axis=0))
    gain = float(np.mean(table[0, keep] - baseline[keep])) if keep.any() else 0.0
    _, p_value = max_t_test(table, baseline, index=0, random_state=random_state)
    significant = gain > 0 and p_value < alpha
    chosen = best if significant else default
    return chosen, Selection(rule=rule, best_trial=int(best.number),
                             chosen_trial=int(chosen.number), kept_default=not significant,
                             gain=gain, p_value=float(p_value), n_queries=int(keep.sum()),
                             alpha=alpha, n_compared=len(family))


def _query_scores(trial: Any, other: Any, length: int | None = None) -> np.ndarray:
    """A trial's stored per-query values (NaN for queries that do not count)."""
    scores = trial.user_attrs.get(QUERY_SCORES_ATTR)
    if scores is None or (length is not None and len(scores) != length):
        raise ValueError(
            "select='significant' needs the per-query validation scores of the default and the "
            f"compared trials ({QUERY_SCORES_ATTR}), on the same queries; trials "
            f"{other.number} and {trial.number} of this study do not have them (a study "
            "resumed from an older run?)")
    return np.asarray(scores, dtype=np.float64)  # None (a query that does not count): NaN
