"""Checks of `tuning.tune`'s arguments, all done before a study is created or touched.

Each function turns one argument into what the study needs, or raises one ``ValueError`` /
``TypeError`` naming the argument and what it accepts. The CLI calls the same functions
(`resolve_metric`, `resolve_convention`) to fail on a typo before loading data.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from boostrank.data.ranking_data import RankingData

__all__ = [
    "REFIT_CHOICES",
    "check_budget",
    "check_refit",
    "check_verbose",
    "data_fingerprint",
    "load_splits",
    "validate_estimator",
    "metric_label",
    "query_folds",
    "resolve_convention",
    "resolve_metric",
    "resolve_model",
]

#: accepted values of ``tune(refit=...)`` besides True / False
REFIT_CHOICES = ("train", "train+valid")

_METRIC_LABELS = {"ndcg": "NDCG", "dcg": "DCG", "map": "MAP", "mrr": "MRR", "err": "ERR",
                  "precision": "Precision", "recall": "Recall"}


def resolve_model(model: Any) -> tuple[Any, str]:
    """A short registry name or an estimator instance -> ``(estimator, display name)``."""
    if isinstance(model, str):
        from boostrank.registry import get_model_class

        return get_model_class(model)(), model.strip().lower()
    if isinstance(model, type):
        raise TypeError(
            f"model must be a short name or an estimator instance, got the class "
            f"{model.__name__}; pass {model.__name__}()"
        )
    for attr in ("fit", "predict", "get_params", "set_params"):
        if not callable(getattr(model, attr, None)):
            raise TypeError(
                f"model must be a short name (lightgbm, xgboost, ranknet, listnet, ...) or an "
                f"estimator instance with {attr}(); got {type(model).__name__}"
            )
    return model, type(model).__name__


def resolve_metric(metric: Any) -> str:
    """The one metric a study maximises, in canonical form (``"NDCG@10"`` -> ``"ndcg@10"``).

    Raises ``TypeError`` for a non-string, ``ValueError`` for an unknown metric or for a list
    of several (a study optimises exactly one).
    """
    from boostrank.metrics import parse_metrics

    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string such as 'ndcg@10', got {type(metric).__name__}")
    names = parse_metrics(metric)
    if len(names) != 1:
        raise ValueError(
            f"metric {metric!r} names {len(names)} metrics ({', '.join(names)}); a study "
            "optimises exactly one"
        )
    return names[0]


def resolve_convention(convention: Any) -> tuple[Any, str]:
    """``convention`` -> ``(value to give the estimators, display name)``.

    A preset name stays a name (it travels into the estimators' parameters); a
    `boostrank.metrics` convention object is kept as is. ``ValueError`` for an unknown name.
    """
    from boostrank.metrics import get_convention

    resolved = get_convention(convention)
    name = getattr(resolved, "name", str(convention))
    return (convention if isinstance(convention, str) else resolved), str(name)


def metric_label(metric: str, convention: str, *, cv: int | None = None) -> str:
    """How studies and plots name their objective: ``"NDCG@10 (validation, default
    convention)"``, or ``"(5-fold CV mean, ...)"`` with cross-validation."""
    base, at, cutoff = metric.partition("@")
    label = _METRIC_LABELS.get(base, base.upper()) + (f"@{cutoff}" if at else "")
    where = "validation" if cv is None else f"{cv}-fold CV mean"
    return f"{label} ({where}, {convention} convention)"


def check_budget(n_trials: Any, timeout: Any) -> None:
    """``n_trials``: a positive integer or None; ``timeout``: positive seconds or None; not
    both None."""
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(
            n_trials, (int, np.integer)) or n_trials < 1):
        raise ValueError(f"n_trials must be a positive integer (trials this call runs) or "
                         f"None (run until timeout), got {n_trials!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(
            timeout, (int, float)) or not timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    if n_trials is None and timeout is None:
        raise ValueError("give n_trials or timeout (or both); otherwise the study never ends")


def check_verbose(verbose: Any) -> int | None:
    """``verbose``: None (leave Optuna's logging as it is), 0 (warnings only) or 1 (one line
    per trial from Optuna)."""
    if verbose is not None and (isinstance(verbose, bool) or verbose not in (0, 1, 2)):
        raise ValueError(f"verbose must be 0, 1, 2 or None, got {verbose!r}")
    return verbose


def check_refit(refit: Any, *, has_valid: bool, cv: bool) -> str | None:
    """``refit`` -> None (no refit), ``"train"`` or ``"train+valid"`` (`tuning.refit`).

    True means ``"train"`` (early stopping on ``valid``) without cross-validation, and
    ``"train+valid"`` (all the data the folds were made of) with ``cv``.
    """
    if refit is False or refit is None:
        return None
    if refit is True:
        return "train+valid" if cv and has_valid else "train"
    if isinstance(refit, str) and refit.strip().lower() in REFIT_CHOICES:
        choice = refit.strip().lower()
        if choice == "train+valid" and not has_valid:
            raise ValueError("refit='train+valid' needs a validation set (valid=...)")
        return choice
    raise ValueError(f"refit must be True, False, 'train' or 'train+valid', got {refit!r}")


def validate_estimator(estimator: Any) -> None:
    """Check the base estimator's constructor parameters before any trial (``ValueError``
    naming the parameter), as its ``fit`` would."""
    check = getattr(estimator, "validate_params", None)
    if not callable(check):
        # boostrank's estimators: declared constraints + backend rules (public check_params)
        check = getattr(estimator, "check_params", None)
    if callable(check):
        check()


def load_splits(train: Any, valid: Any, test: Any) -> tuple[RankingData, RankingData | None,
                                                              RankingData | None]:
    """``train`` / ``valid`` / ``test`` (paths, ``(X, y, qid)`` or `RankingData`; valid and
    test optional) -> `RankingData`, valid and test as wide as train
    (`boostrank.validation.load_split`)."""
    from boostrank.validation import load_split

    train_data = load_split(train, name="train")
    width = train_data.n_features
    valid_data = None if valid is None else load_split(valid, name="valid", n_features=width)
    test_data = None if test is None else load_split(test, name="test", n_features=width)
    return train_data, valid_data, test_data


def query_folds(data: RankingData, k: int) -> list[tuple[RankingData, RankingData]]:
    """``k`` (train, valid) splits of ``data`` by `GroupKFold` over query groups.

    Every query's rows stay together in one part; queries keep their order inside each part.
    """
    from sklearn.model_selection import GroupKFold

    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"cv must be an integer >= 2 (number of folds), got {k!r}")
    if k > data.n_queries:
        raise ValueError(f"cv={k} folds need at least {k} queries; the data has "
                         f"{data.n_queries}")
    groups = np.repeat(np.arange(data.n_queries), data.group_sizes)
    folds = []
    for train_rows, valid_rows in GroupKFold(n_splits=int(k)).split(
            np.zeros((data.n_rows, 1)), groups=groups):
        folds.append((data.queries(np.unique(groups[train_rows])),
                      data.queries(np.unique(groups[valid_rows]))))
    return folds


def data_fingerprint(data: RankingData | None) -> str | None:
    """A short hash of a dataset's shape, labels and query sizes (to recognise it on resume)."""
    if data is None:
        return None
    digest = hashlib.sha1()
    digest.update(np.asarray([data.n_rows, data.n_features, data.n_queries]).tobytes())
    digest.update(np.ascontiguousarray(data.y, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(data.group_offsets, dtype=np.int64).tobytes())
    return digest.hexdigest()[:16]
