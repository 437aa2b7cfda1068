"""Pruner names -> Optuna pruners, and the steps at which a trial reports to its pruner.

A trial reports its intermediate value only at the steps its pruner decides on
(`ReportSchedule`), plus its last step, and keeps its full per-round / per-epoch curve in
one user attribute written at the end (`tuning.objective.CURVE_ATTR`). With a persistent
storage every report is a database write, so reporting every boosting round made a stored
study several times slower than an in-memory one for the same trials.

- ``median``: `MedianPruner` deciding every ``report_every`` steps after the warm-up
  (``interval_steps=report_every``); the trial reports at exactly those steps. It is a
  `tuning.snapshot_pruner.SnapshotMedianPruner`, which reads the completed trials once per
  trial instead of at every check point (the same decisions with one worker).
- ``successive_halving`` / ``hyperband``: rungs at ``min_resource * 3**k`` steps; the trial
  reports at the rungs (the pruner decides nothing in between, so the decisions are those of
  reporting every step).
- an Optuna pruner object: its check points are not known, so the trial reports every
  ``report_every`` steps (default every step).
- ``none``: nothing is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PRUNERS", "ReportSchedule", "make_pruner", "make_pruning"]

#: names accepted by `make_pruner`
PRUNERS = ("none", "median", "hyperband", "successive_halving")
#: steps between two median-pruner decisions when ``report_every`` is not given
DEFAULT_REPORT_EVERY = {"rounds": 10, "epochs": 1}
_REDUCTION_FACTOR = 3


@dataclass(frozen=True)
class ReportSchedule:
    """Steps (0-based rounds / epochs) at which a trial reports to the pruner.

    ``kind``: ``"never"``, ``"every"`` (``start``, ``start + every``, ...) or ``"geometric"``
    (``start * factor**k``, the rungs of successive halving).
    """

    kind: str
    start: int = 0
    every: int = 1
    factor: int = _REDUCTION_FACTOR

    def reports_at(self, step: int) -> bool:
        """Whether the trial reports (and asks the pruner) after step ``step``."""
        if self.kind == "never" or step < self.start:
            return False
        if self.kind == "every":
            return (step - self.start) % self.every == 0
        rung = max(1, self.start)
        while rung < step:
            rung *= self.factor
        return rung == step

    @property
    def active(self) -> bool:
        return self.kind != "never"


def _check_report_every(report_every: Any) -> int | None:
    if report_every is None:
        return None
    if isinstance(report_every, bool) or not isinstance(report_every, int) or report_every < 1:
        raise ValueError(f"report_every must be a positive integer (steps between reports "
                         f"to the pruner) or None, got {report_every!r}")
    return report_every


def make_pruning(pruner: Any = "median", *, warmup_steps: int = 10, unit: str = "rounds",
                 report_every: int | None = None,
                 n_startup_trials: int = 5) -> tuple[Any, ReportSchedule]:
    """``(optuna pruner, ReportSchedule)`` for a pruner name or object (module docstring).

    ``warmup_steps``: steps of a trial before it may be pruned; ``unit``: ``"rounds"``
    (boosters) or ``"epochs"`` (neural models), which sets the default ``report_every``.
    """
    import optuna

    every = _check_report_every(report_every)
    if unit not in DEFAULT_REPORT_EVERY:
        raise ValueError(f"unit must be one of {sorted(DEFAULT_REPORT_EVERY)}, got {unit!r}")
    if isinstance(pruner, optuna.pruners.BasePruner):
        if isinstance(pruner, optuna.pruners.NopPruner):
            return pruner, ReportSchedule("never")
        return pruner, ReportSchedule("every", 0, every or 1)
    key = _pruner_key(pruner)
    if warmup_steps < 0:
        raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}")
    if key == "none":
        return optuna.pruners.NopPruner(), ReportSchedule("never")
    if key == "median":
        from .snapshot_pruner import SnapshotMedianPruner

        every = every or DEFAULT_REPORT_EVERY[unit]
        return (SnapshotMedianPruner(n_startup_trials=n_startup_trials,
                                     n_warmup_steps=int(warmup_steps), interval_steps=every),
                ReportSchedule("every", int(warmup_steps), every))
    min_resource = max(1, int(warmup_steps))
    if key == "hyperband":
        made = optuna.pruners.HyperbandPruner(min_resource=min_resource,
                                              reduction_factor=_REDUCTION_FACTOR)
    else:
        made = optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource,
                                                      reduction_factor=_REDUCTION_FACTOR)
    if every is not None:
        return made, ReportSchedule("every", 0, every)
    return made, ReportSchedule("geometric", min_resource, 1, _REDUCTION_FACTOR)


def _pruner_key(pruner: Any) -> str:
    if pruner is None:
        return "none"
    if not isinstance(pruner, str):
        raise TypeError(
            f"pruner must be one of {', '.join(PRUNERS)} or an optuna pruner, "
            f"got {type(pruner).__name__}"
        )
    key = pruner.strip().lower().replace("-", "_")
    aliases = {"nop": "none", "off": "none", "no": "none", "sha": "successive_halving",
               "asha": "successive_halving"}
    key = aliases.get(key, key)
    if key not in PRUNERS:
        raise ValueError(f"unknown pruner {pruner!r}; known pruners: {', '.join(PRUNERS)}")
    return key


def make_pruner(pruner: Any = "median", *, warmup_steps: int = 10,
                n_startup_trials: int = 5, report_every: int | None = None) -> Any:
    """An Optuna pruner from a name, or a pruner object (returned as is); see `make_pruning`.

    ``none`` (or None): `NopPruner`; ``median``: `MedianPruner` waiting for
    ``n_startup_trials`` finished trials and ``warmup_steps`` steps, deciding every
    ``report_every`` steps (default 10); ``hyperband`` / ``successive_halving``: minimum
    resource ``warmup_steps``, reduction factor 3.
    """
    return make_pruning(pruner, warmup_steps=warmup_steps, report_every=report_every,
                        n_startup_trials=n_startup_trials)[0]
