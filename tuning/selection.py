"""Which trial a study hands back: the best validation value, or the default configuration
unless the best trial beats it beyond noise.

``select="best"`` (Optuna's rule) returns the trial with the best validation value. Out of
30 trials whose true quality is the same, the best validation value is the luckiest draw, and
on a small data set (MQ2008: a few hundred queries per fold) the tuned configuration often
scores below the default on test although it won on validation.

``select="significant"`` keeps the study's default-configuration trial unless the best trial
beats it on the validation queries (the out-of-fold queries with ``cv``) by a paired t-test
over those queries at level ``alpha`` (0.05), with a positive mean gain. The test compares the
two trials' per-query values (`QUERY_SCORES_ATTR`, stored by the objective when this rule is
on); it does not correct for the best trial being the maximum of many, so it is a minimum bar
against luck, not a guarantee. Without a completed default trial the rule is ``best``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    the default configuration was returned because the best trial did not beat it
    significantly; ``gain``: mean per-query validation gain of the best trial over the default
    (None when not compared); ``p_value``: paired t-test of that gain; ``n_queries``: queries
    compared; ``alpha``: the level.
    """

    rule: str
    best_trial: int
    chosen_trial: int
    kept_default: bool = False
    gain: float | None = None
    p_value: float | None = None
    n_queries: int | None = None
    alpha: float = DEFAULT_ALPHA

    def verdict(self) -> str:
        """One plain sentence on the choice."""
        if self.gain is None:
            return f"selected trial {self.chosen_trial} (best validation value)"
        comparison = (f"validation gain of trial {self.best_trial} over the default "
                      f"{self.gain:+.4f} over {self.n_queries} queries, paired t-test "
                      f"p={self.p_value:.3g}")
        if self.kept_default:
            return (f"kept the default configuration (trial {self.chosen_trial}): {comparison},"
                    f" not significant at {self.alpha:g}")
        return f"selected trial {self.chosen_trial}: {comparison}, significant at {self.alpha:g}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict()}


def select_trial(best: Any, default: Any, rule: str,
                 alpha: float = DEFAULT_ALPHA) -> tuple[Any, Selection]:
    """The trial to return and how it was chosen (module docstring).

    ``best``: the study's best trial; ``default``: its completed default-configuration trial or
    None.
    """
    from boostrank.metrics.stats import paired_ttest

    plain = Selection(rule=rule, best_trial=int(best.number), chosen_trial=int(best.number),
                      alpha=alpha)
    if rule == "best" or default is None or default.number == best.number:
        return best, plain
    best_scores = best.user_attrs.get(QUERY_SCORES_ATTR)
    default_scores = default.user_attrs.get(QUERY_SCORES_ATTR)
    if best_scores is None or default_scores is None or len(best_scores) != len(default_scores):
        raise ValueError(
            "select='significant' needs the per-query validation scores of the default and the "
            f"best trial ({QUERY_SCORES_ATTR}); trials {default.number} and {best.number} of "
            "this study were run without them (a study resumed from an older run?)")
    a = np.asarray(best_scores, dtype=np.float64)
    b = np.asarray(default_scores, dtype=np.float64)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    gain = float(np.mean(a - b)) if a.size else 0.0
    p_value = float(paired_ttest(a, b)[1]) if a.size >= 2 else 1.0
    if not np.isfinite(p_value):  # identical per-query values: no evidence of a gain
        p_value = 1.0
    significant = gain > 0 and p_value < alpha
    chosen = best if significant else default
    return chosen, Selection(rule=rule, best_trial=int(best.number),
                             chosen_trial=int(chosen.number), kept_default=not significant,
                             gain=gain, p_value=p_value, n_queries=int(a.size), alpha=alpha)
