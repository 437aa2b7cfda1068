"""The Optuna objective: build an estimator from a trial, fit it, score it on validation.

Every trial fits a clone of the base estimator with the sampled parameters, watching the tuning
metric on the validation set (``eval_metric=metric``, ``eval_convention=convention``): early
stopping and pruning see the same number the study maximises. Boosters call the pruning
callback after every boosting round and neural models after every epoch (the estimator
``callbacks`` protocol, `boostrank.estimator.EvalStep`); the callback reports the value to the
trial at the pruner's check points only (`tuning.pruners.ReportSchedule`, plus the last step),
keeps the full curve in memory and stores it once at the end (`CURVE_ATTR`), and raises
``optuna.TrialPruned`` when the pruner says so, which Optuna records as PRUNED (never as a
failure). With early stopping (the default spaces always use it) the
reported value is the best so far, the score the trial would get if it stopped now, since the
model keeps its best round / epoch.

The objective value is the metric of the fitted model's predictions on the validation set,
computed by the common evaluator (`boostrank.metrics.evaluate`). Every metric the evaluator
knows (NDCG, DCG, MAP, MRR, ERR, precision, recall) is better when higher, so studies always
maximise.

With cross-validation (``folds``), each fold is fitted on the other folds' queries and scored
on its own; the value is the mean over folds, reported after each fold (step = fold index) for
pruning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from boostrank.data.ranking_data import RankingData
from boostrank.estimator import EvalStep
from boostrank.model_io import jsonable_params

from .pruners import ReportSchedule
from .selection import QUERY_SCORES_ATTR
from .spaces import SearchSpace, suggest

__all__ = [
    "CURVE_ATTR",
    "DEFAULT_TRIAL_ATTR",
    "KEEPS_BEST_ATTR",
    "PARAMS_ATTR",
    "PruningCallback",
    "RankingObjective",
    "predict_scores",
    "score_predictions",
    "score_with_queries",
]

#: user attribute marking the trial that evaluates the base estimator's own configuration
DEFAULT_TRIAL_ATTR = "boostrank:default"
#: user attribute holding the estimator parameters a trial set (JSON form)
PARAMS_ATTR = "boostrank:params"
#: user attributes with what the fit kept
BEST_ITERATION_ATTR = "boostrank:best_iteration"
BEST_EPOCH_ATTR = "boostrank:best_epoch"
FOLD_SCORES_ATTR = "boostrank:fold_scores"
#: user attribute: boosting rounds / epochs trained (summed over folds; where pruned for PRUNED)
STEPS_RUN_ATTR = "boostrank:steps_run"
#: user attribute: the validation metric after every round / epoch (the full curve, raw values)
CURVE_ATTR = "boostrank:curve"
#: user attribute: True when the model keeps its best round / epoch (early stopping), so the
#: values reported to the pruner are the running best of the curve
KEEPS_BEST_ATTR = "boostrank:keeps_best"
#: user attribute: seconds the trial spent fitting and scoring
FIT_SECONDS_ATTR = "boostrank:fit_seconds"


class PruningCallback:
    """Estimator training callback: record ``metric`` on ``eval_name``, report it to the trial
    at the ``schedule``'s steps, and prune if the pruner says so.

    Called with an `EvalStep` after every boosting round / epoch. Every value goes into
    ``curve`` (the full per-step curve, written once at the end as the trial's `CURVE_ATTR`);
    only the steps of ``schedule`` (`tuning.pruners.ReportSchedule`) are reported to the
    storage. ``can_prune=False`` only reports (the default configuration's trial is never
    pruned, so the study always has its value).

    ``report_best=True`` reports the best value so far instead of the current one: with early
    stopping the fitted model keeps its best round / epoch, so the best value so far is what
    the trial would score if it stopped now. The reported curves are then monotone and the
    pruner compares like with like (a trial past its peak is not judged by a noisy dip).
    """

    def __init__(self, trial: Any, metric: str, schedule: ReportSchedule,
                 eval_name: str = "valid_0", can_prune: bool = True,
                 report_best: bool = False) -> None:
        self.trial = trial
        self.metric = metric
        self.schedule = schedule
        self.eval_name = eval_name
        self.can_prune = can_prune
        self.report_best = report_best
        self.curve: list[float] = []
        self.last_reported: int | None = None
        self._best = -np.inf

    def __call__(self, step: EvalStep) -> None:
        import optuna

        value = self._value(step)
        self.curve.append(value)
        if not np.isfinite(value):
            return
        self._best = max(self._best, value)
        position = int(step.step)
        if self.schedule.reports_at(position):
            self._report(position)
            if self.can_prune and self.trial.should_prune():
                self.trial.set_user_attr(STEPS_RUN_ATTR, position + 1)
                raise optuna.TrialPruned(
                    f"pruned at step {position} with {self.metric}={self.reported_value:.6g}"
                )

    def finish(self) -> None:
        """Report the last step (when the schedule skipped it), so the trial's last step is
        the number of steps it ran (Hyperband sizes its brackets from it)."""
        last = len(self.curve) - 1
        if self.schedule.active and last >= 0 and self.last_reported != last \
                and np.isfinite(self._best):
            self._report(last)

    @property
    def reported_value(self) -> float:
        return float(self._best if self.report_best else self.curve[-1])

    def _report(self, position: int) -> None:
        self.trial.report(self.reported_value, position)
        self.last_reported = position

    def _value(self, step: EvalStep) -> float:
        evals = step.evals.get(self.eval_name)
        if evals is None:
            raise RuntimeError(
                f"{type(step.estimator).__name__} reported no evaluation for eval set "
                f"{self.eval_name!r} (reported: {sorted(step.evals)})"
            )
        if self.metric not in evals:
            raise RuntimeError(
                f"{type(step.estimator).__name__} did not report {self.metric!r} on "
                f"{self.eval_name!r} (reported: {sorted(evals)}); is eval_metric set?"
            )
        return float(evals[self.metric])


def predict_scores(model: Any, data: RankingData) -> np.ndarray:
    """Scores of ``model`` for ``data``'s rows, given its queries (``predict(X, qid=...)``:
    query-level preprocessing of the neural models uses them; boosters ignore them)."""
    return np.asarray(model.predict(data.X, qid=data.qid), dtype=np.float64)


def score_predictions(data: RankingData, scores: np.ndarray, metric: str,
                      convention: Any, *, per_query: bool = False) -> Any:
    """Mean ``metric`` over the queries of ``data`` for ``scores`` (common evaluator), or with
    ``per_query`` the per-query values, shape (n_queries,)."""
    mean, values = score_with_queries(data, scores, metric, convention)
    return values if per_query else mean


def score_with_queries(data: RankingData, scores: np.ndarray, metric: str,
                       convention: Any) -> tuple[float, np.ndarray]:
    """``(mean, per-query values (n_queries,))`` of ``metric`` from one evaluation."""
    from boostrank.metrics import evaluate

    means, values = evaluate(data.y, np.asarray(scores, dtype=np.float64), data.qid,
                             metrics=(metric,), convention=convention, per_query=True)
    return float(means[metric]), np.asarray(values[metric], dtype=np.float64)


class RankingObjective:
    """Callable ``trial -> float`` for `optuna.Study.optimize` (see the module docstring).

    ``estimator``: the base estimator (never fitted itself; each trial fits a clone);
    ``space``: a resolved `SearchSpace` or callable (`tuning.spaces.resolve_space`);
    ``space_names``: the parameters the space sets; ``train`` / ``valid``: `RankingData`;
    ``folds``: optional list of ``(train_part, valid_part)`` replacing train/valid;
    ``settings``: estimator parameters applied to every trial, the default one included
    (``eval_metric``, ``eval_convention``, ``random_state``); ``schedule``: the steps at which
    a trial reports to the pruner (`tuning.pruners.ReportSchedule`; never: no pruning);
    ``keep_query_scores``: store each completed trial's per-query validation values (the
    out-of-fold queries, in fold order, with ``folds``) as `tuning.selection.QUERY_SCORES_ATTR`.
    """

    def __init__(
        self,
        estimator: Any,
        space: SearchSpace | Callable[[Any], Any],
        space_names: Sequence[str],
        train: RankingData,
        valid: RankingData | None,
        *,
        metric: str,
        convention: Any,
        schedule: ReportSchedule,
        folds: Sequence[tuple[RankingData, RankingData]] | None = None,
        settings: dict[str, Any] | None = None,
        keep_query_scores: bool = False,
    ) -> None:
        self.estimator = estimator
        self.keep_query_scores = bool(keep_query_scores)
        self.space = space
        self.space_names = list(space_names)
        self.train = train
        self.valid = valid
        self.metric = metric
        self.convention = convention
        self.schedule = schedule
        self.folds = folds
        self.settings = dict(settings or {})
        self.base_params = estimator.get_params(deep=False)
        self._valid_names = set(self.base_params)
        self.fixed = space.fixed_params(self.base_params) if isinstance(space, SearchSpace) else {}

    # ------------------------------------------------------------------ parameters
    def trial_params(self, trial: Any) -> dict[str, Any]:
        """Estimator parameters this trial sets (sampled + fixed); {} for the default trial."""
        if trial.user_attrs.get(DEFAULT_TRIAL_ATTR):
            if isinstance(self.space, SearchSpace):
                # the enqueued values are the estimator's own: suggest them so the sampler
                # learns from this trial, but build the estimator from its own parameters
                enqueued = self.space.encode_defaults(self.base_params)
                for name in enqueued:
                    suggest(trial, name, self.space.distributions[name])
            return {}
        if isinstance(self.space, SearchSpace):
            return {**self.fixed, **self.space.sample(trial)}
        params = dict(self.space(trial))
        unknown = [n for n in params if n not in self._valid_names]
        if unknown:
            raise ValueError(
                f"the search space returned parameter(s) {unknown} that "
                f"{type(self.estimator).__name__} does not have"
            )
        return params

    def recorded_params(self, changed: dict[str, Any]) -> dict[str, Any]:
        """Estimator parameters to report for a trial: the space's ones, then the changes."""
        params = {n: self.base_params[n] for n in self.space_names if n in self.base_params}
        params.update(changed)
        return params

    def build(self, params: dict[str, Any]) -> Any:
        """A fresh, unfitted clone of the base estimator with ``settings`` and ``params``."""
        from sklearn.base import clone

        model = clone(self.estimator)
        model.set_params(**{**self.settings, **params})
        return model

    # ------------------------------------------------------------------ the objective
    def __call__(self, trial: Any) -> float:
        changed = self.trial_params(trial)
        can_prune = not trial.user_attrs.get(DEFAULT_TRIAL_ATTR, False)
        trial.set_user_attr(PARAMS_ATTR, jsonable_params(self.recorded_params(changed)))
        started = time.perf_counter()
        if self.folds is None:
            value = self._split_value(trial, changed, can_prune)
        else:
            value = self._cv_value(trial, changed, can_prune)
        trial.set_user_attr(FIT_SECONDS_ATTR, round(time.perf_counter() - started, 4))
        if not np.isfinite(value):
            raise ValueError(
                f"validation {self.metric} is not finite ({value}); no query of the validation "
                "set counts under this convention?"
            )
        return value

    def _split_value(self, trial: Any, changed: dict[str, Any], can_prune: bool) -> float:
        """Fit on train, watch and score on valid; the full curve is stored once at the end."""
        assert self.valid is not None
        model = self.build(changed)
        keeps_best = bool(model.get_params(deep=False).get("early_stopping_rounds"))
        callback = PruningCallback(trial, self.metric, self.schedule, can_prune=can_prune,
                                   report_best=keeps_best)
        try:
            value, kept, per_query = self._fit_and_score(model, self.train, self.valid,
                                                         [callback])
        finally:
            if callback.curve:
                trial.set_user_attr(CURVE_ATTR, callback.curve)
                trial.set_user_attr(KEEPS_BEST_ATTR, keeps_best)
        callback.finish()
        _record_kept(trial, kept)
        trial.set_user_attr(STEPS_RUN_ATTR, kept.get("steps_run", 0))
        if per_query is not None:
            trial.set_user_attr(QUERY_SCORES_ATTR, _json_floats(per_query))
        return value

    def _cv_value(self, trial: Any, changed: dict[str, Any], can_prune: bool) -> float:
        """Mean over the folds, reported after each fold (step = fold index) for pruning."""
        import optuna

        scores, kept_all, per_query_all = [], [], []
        for index, (fold_train, fold_valid) in enumerate(self.folds or ()):
            score, kept, per_query = self._fit_and_score(self.build(changed), fold_train,
                                                         fold_valid, [])
            scores.append(score)
            kept_all.append(kept)
            if per_query is not None:
                per_query_all.append(per_query)
            steps_run = sum(k.get("steps_run", 0) for k in kept_all)
            if self.schedule.active and np.isfinite(score):
                trial.report(float(np.mean(scores)), index)
                if can_prune and trial.should_prune():
                    trial.set_user_attr(STEPS_RUN_ATTR, steps_run)
                    raise optuna.TrialPruned(f"pruned after fold {index + 1}")
        trial.set_user_attr(FOLD_SCORES_ATTR, [float(s) for s in scores])
        _record_kept(trial, kept_all)
        trial.set_user_attr(STEPS_RUN_ATTR, steps_run)
        if per_query_all:
            trial.set_user_attr(QUERY_SCORES_ATTR, _json_floats(np.concatenate(per_query_all)))
        return float(np.mean(scores))

    def _fit_and_score(self, model: Any, train: RankingData, valid: RankingData,
                       callbacks: list) -> tuple[float, dict[str, int], np.ndarray | None]:
        """(validation value, what the fit kept, per-query values or None)."""
        model.fit(train, eval_set=valid, callbacks=callbacks)
        value, per_query = score_with_queries(valid, predict_scores(model, valid), self.metric,
                                              self.convention)
        kept = {}
        curve = (getattr(model, "evals_result_", None) or {}).get("valid_0", {}).get(self.metric)
        if curve is not None:
            kept["steps_run"] = len(curve)
        for attr in ("best_iteration_", "best_epoch_"):
            kept_value = getattr(model, attr, None)
            if kept_value is not None:
                kept[attr] = int(kept_value)
        return value, kept, per_query if self.keep_query_scores else None


def _json_floats(values: np.ndarray) -> list[float | None]:
    """Per-query values as a JSON-safe list (NaN, a query that does not count: None)."""
    return [None if not np.isfinite(v) else round(float(v), 8) for v in values]


def _record_kept(trial: Any, kept: dict[str, int] | list[dict[str, int]]) -> None:
    """Store best_iteration_ / best_epoch_ (one value, or one per fold) as user attributes."""
    keys = {"best_iteration_": BEST_ITERATION_ATTR, "best_epoch_": BEST_EPOCH_ATTR}
    for attr, key in keys.items():
        if isinstance(kept, dict):
            if attr in kept:
                trial.set_user_attr(key, kept[attr])
        else:
            values = [k[attr] for k in kept if attr in k]
            if values:
                trial.set_user_attr(key, values)
