"""`EarlyStopping`: the one early-stopping rule of the boosters and the neural rankers.

Feed it the watched metric after every step (boosting round or epoch) with `update`; it says
when to stop and which step to keep.

Rules (the same for every model family):

- a value improves on the best when it is greater than ``best_value + min_delta`` (smaller than
  ``best_value - min_delta`` with ``maximize=False``); the first finite value always improves;
- **a NaN value never counts as an improvement** (it never becomes the best, and the patience
  counter keeps running through it);
- ``update`` returns True once ``rounds`` steps in a row brought no improvement (counted from the
  start while no finite value has been seen); ``rounds=None`` never stops;
- the kept model is the one of ``best_step``; ``best_iteration`` is the **number of steps kept**
  (``best_step + 1``: boosting rounds or epochs), the meaning of every estimator's
  ``best_iteration_``. When no finite value was ever seen, every step run is kept.
"""

from __future__ import annotations

import math

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Track a metric step by step and decide when training should stop.

    Parameters
    ----------
    rounds : int or None
        Patience: stop after this many steps without improvement (None: never stop).
    min_delta : float, default 0.0
        The smallest change that counts as an improvement (>= 0).
    maximize : bool, default True
        Whether larger metric values are better.

    Attributes
    ----------
    best_step : int or None
        0-based step of the best value so far (None until a finite value is seen).
    best_value : float
        The best value so far (NaN until a finite value is seen).
    n_steps : int
        Steps recorded so far.
    """

    def __init__(self, rounds: int | None = None, *, min_delta: float = 0.0,
                 maximize: bool = True) -> None:
        if rounds is not None and (isinstance(rounds, bool) or not isinstance(rounds, int)
                                   or rounds < 1):
            raise ValueError(f"rounds must be an integer >= 1 or None; got {rounds!r}")
        if not (isinstance(min_delta, (int, float)) and math.isfinite(min_delta)
                and min_delta >= 0):
            raise ValueError(f"min_delta must be a finite number >= 0; got {min_delta!r}")
        self.rounds = rounds
        self.min_delta = float(min_delta)
        self.maximize = bool(maximize)
        self.best_step: int | None = None
        self.best_value = math.nan
        self.n_steps = 0

    def improves(self, value: float) -> bool:
        """Whether ``value`` would beat the best so far (NaN never does)."""
        value = float(value)
        if math.isnan(value):
            return False
        if self.best_step is None:
            return True
        if self.maximize:
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def update(self, value: float) -> bool:
        """Record the metric of the next step; True when training should stop after it."""
        if self.improves(value):
            self.best_step, self.best_value = self.n_steps, float(value)
        self.n_steps += 1
        return self.should_stop

    @property
    def steps_since_best(self) -> int:
        """Steps recorded after the best one (all steps when there is no best yet)."""
        return self.n_steps - (0 if self.best_step is None else self.best_step + 1)

    @property
    def should_stop(self) -> bool:
        """True once ``rounds`` steps in a row brought no improvement."""
        return self.rounds is not None and self.steps_since_best >= self.rounds

    @property
    def best_iteration(self) -> int:
        """Number of steps to keep: ``best_step + 1``, or every step run when no best."""
        return self.n_steps if self.best_step is None else self.best_step + 1

    def __repr__(self) -> str:
        return (f"EarlyStopping(rounds={self.rounds}, min_delta={self.min_delta}, "
                f"maximize={self.maximize}, best_step={self.best_step}, "
                f"best_value={self.best_value}, n_steps={self.n_steps})")
