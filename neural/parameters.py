"""Declared constraints of the neural rankers' parameters, and the loss / scorer checks.

`NEURAL_CONSTRAINTS` lists, in `boostrank.params` style, what every shared `NeuralRanker`
parameter accepts; `LOSS_KEYWORD_CONSTRAINTS` what the loss keywords common to several losses
accept (``k``, ``temperature``, ``sigma``...). `check_loss` and `check_scorer` validate the
combination before any training, each with one error naming the parameter.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from boostrank.validation import (
    InstanceOf,
    Interval,
    Options,
    Satisfies,
    check_n_jobs,
    check_random_state,
    validate_params,
)

from .losses import canonical_loss_name, get_loss
from .preprocessing import METHODS
from .scorer import (
    ACTIVATIONS,
    DROPOUT,
    MLP_TAKES_NO_SCORER_PARAMS,
    NORMS,
    SCORERS,
    check_listwise_params,
    check_scorer_params,
)
from .training import resolve_device


def _one_metric(value: Any) -> bool:
    from boostrank.metrics import parse_metrics

    if not isinstance(value, str):
        raise TypeError("eval_metric must be a metric name string")
    if len(parse_metrics(value)) != 1:
        raise ValueError(f"name one metric, not {value!r}")
    return True


def _hidden_sizes(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Integral):
        value = (value,)
    check_scorer_params(tuple(value), "relu", 0.0, None)
    return True


def _device(value: Any) -> bool:
    resolve_device(value)
    return True


def _true(check: Any) -> Any:
    def run(value: Any) -> bool:
        check(value)
        return True

    return run


POSITIVE_INT = Interval(Integral, 1, None)

#: constraints of the parameters every `NeuralRanker` has
NEURAL_CONSTRAINTS: dict[str, list[Any]] = {
    "loss_params": [InstanceOf(dict, description="a dict of loss keywords"), None],
    "scorer": [Options(SCORERS)],
    "scorer_params": [InstanceOf(dict, description="a dict of scorer keywords"), None],
    "hidden_sizes": [Satisfies(_hidden_sizes, "a positive int or a sequence of positive ints")],
    "activation": [Options(ACTIVATIONS)],
    "dropout": [DROPOUT],
    "norm": [Options([n for n in NORMS if n is not None]), None],
    "preprocessing": [Options(METHODS)],
    "input_noise": [Interval(Real, 0.0, None)],
    "learning_rate": [Interval(Real, 0.0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0.0, None)],
    "n_epochs": [POSITIVE_INT],
    "batch_size": [POSITIVE_INT],
    "max_list_length": [POSITIVE_INT, None],
    "early_stopping_rounds": [POSITIVE_INT, None],
    "eval_metric": [Satisfies(_one_metric, "one metric name (e.g. 'ndcg@10')")],
    "device": [Satisfies(_device, "'auto', 'cpu' or 'cuda[:index]' (available)")],
    "mixed_precision": [Options(["auto", True, False])],
    "random_state": [Satisfies(_true(check_random_state),
                               "None, an int seed or a numpy RandomState")],
    "verbose": [InstanceOf(bool, int, description="a bool or an int")],
    "n_jobs": [Satisfies(_true(check_n_jobs), "None, a positive int or -1, -2, ...")],
    "ensemble_size": [POSITIVE_INT],
}

#: constraints of loss keywords several losses share (checked before the loss is built)
LOSS_KEYWORD_CONSTRAINTS: dict[str, list[Any]] = {
    "k": [POSITIVE_INT, None],
    "temperature": [Interval(Real, 0.0, None, closed="neither")],
    "sigma": [Interval(Real, 0.0, None, closed="neither")],
    "alpha": [Interval(Real, 0.0, None, closed="neither")],
    "margin": [Interval(Real, 0.0, None)],
}


def loss_keywords(name: str) -> frozenset[str] | None:
    """The keyword parameters loss ``name`` accepts, or None when the losses do not say."""
    from . import losses

    table = getattr(losses, "LOSS_PARAMS", None)
    if table is None:
        return None
    return frozenset(table.get(canonical_loss_name(name), frozenset()))


def check_loss(loss: Any, params: dict[str, Any], *, owner: str) -> None:
    """Validate a loss name and its keywords; one ValueError naming the bad one.

    Parameters
    ----------
    loss : str or torch.nn.Module
        A loss name of `neural.losses.get_loss`, or a loss module (taken as is).
    params : dict
        Keyword parameters for the loss (``loss_params``, or the named parameters of a named
        estimator mapped to the loss's keywords).
    owner : str
        The estimator class name, starting the message.
    """
    if not isinstance(loss, str):
        get_loss(loss, **params)
        return
    allowed = loss_keywords(loss)
    key = canonical_loss_name(loss)
    if allowed is not None:
        unknown = sorted(set(params) - allowed - {"reduction"})
        if unknown and key in _known_losses():
            raise ValueError(f"{owner}: loss {key!r} does not take {unknown}; its parameters: "
                             f"{sorted(allowed) or 'none'}")
    validate_params(LOSS_KEYWORD_CONSTRAINTS, params, f"{owner} (loss {key!r})")
    get_loss(loss, **params)  # unknown names and bad values raise ValueError naming them


def _known_losses() -> set[str]:
    from .losses import LOSSES

    return set(LOSSES)


def check_scorer(scorer: str, scorer_params: dict[str, Any] | None, *, owner: str) -> None:
    """Validate ``scorer_params`` for ``scorer`` (MLP: none; a listwise scorer: its
    keywords, `neural.scorer.check_listwise_params`)."""
    if scorer == "mlp":
        if scorer_params:
            raise ValueError(f"{owner}: {MLP_TAKES_NO_SCORER_PARAMS}")
        return
    try:
        check_listwise_params(scorer, scorer_params or {})
    except ValueError as exc:
        raise ValueError(f"{owner}: {exc}") from None
