"""get_loss, LOSS_PARAMS and validate_loss_params: every short name builds, every declared
parameter is accepted by the loss, unknown parameters and bad values get one clear error."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from test_neural_losses import _batch  # noqa: E402

from neural.losses import (  # noqa: E402
    LOSS_FUNCTIONS,
    LOSS_PARAMS,
    LOSSES,
    get_loss,
    validate_loss_params,
)

#: a valid, non-default value of every parameter
EXAMPLE = {
    "sigma": 2.0, "weighting": "delta_gain", "gain": "linear", "k": 3, "reduction": "sum",
    "weighing_scheme": "lambdaRank", "mu": 2.0, "margin": 0.5, "label_transform": "exponential",
    "temperature": 0.5, "ties": "stable", "generator": None, "alpha": 2.0,
    "powered_relevancies": False, "transposed": True, "max_iter": 5, "tol": 0.0,
    "score_scale": 2.0, "n_thresholds": 2, "stochastic": True, "n_samples": 3, "beta": 0.5,
    "log_scores": False, "gumbel_temperature": 0.5, "regularization": 0.5, "n_iter": 4,
    "gain_base": 2.0, "relevance_gap": 3.0, "tie_cost": 0.5, "multi_output": False,
}


def test_every_loss_has_declared_parameters_and_builds():
    assert set(LOSS_PARAMS) == set(LOSSES) == set(LOSS_FUNCTIONS)
    assert {"lambdaloss", "neuralndcg", "rankcosine", "hinge", "rmse", "ordinal",
            "softmax", "wassrank"} <= set(LOSSES)
    scores, labels, mask = _batch(0)
    for name, allowed in LOSS_PARAMS.items():
        params = {p: EXAMPLE[p] for p in allowed}
        if name == "neuralndcg":
            params.pop("gain")  # powered_relevancies=False says the same
        module = get_loss(name, **params)
        torch.manual_seed(0)  # the stochastic NeuralNDCG draws from the global generator
        direct = LOSS_FUNCTIONS[name](scores, labels, mask, **params)
        torch.manual_seed(0)
        assert module(scores, labels, mask).item() == pytest.approx(direct.item()), name


@pytest.mark.parametrize(("name", "params", "match"), [
    ("listnet", {"sigma": 1.0}, "bad parameters for loss 'listnet': it takes no parameter "
                                "'sigma'; allowed: generator, gumbel_temperature, "
                                "label_transform, n_samples, reduction, stochastic, temperature"),
    ("lambdaloss", {"k": 0}, "k must be an integer >= 1"),
    ("lambdaloss", {"k": 2.5}, "k must be an integer >= 1"),
    ("lambdaloss", {"weighing_scheme": "nope"}, "weighing_scheme must be one of rankNet"),
    ("neuralndcg", {"temperature": 0}, "temperature must be a finite number > 0"),
    ("neuralndcg", {"temperature": -1.0}, "temperature"),
    ("listnet", {"temperature": float("nan")}, "temperature"),
    ("ranknet", {"gain": "cubic"}, "gain must be one of 'exponential', 'linear'"),
    ("hinge", {"reduction": "avg"}, "reduction must be one of"),
    ("neuralndcg", {"transposed": "yes"}, "transposed must be True or False"),
    ("neuralndcg", {"stochastic": None}, "stochastic must be True or False"),
    ("neuralndcg", {"log_scores": 1}, "log_scores must be True or False"),
    ("neuralndcg", {"n_samples": 0}, "n_samples must be an integer >= 1, got 0"),
    ("neuralndcg", {"n_samples": None}, "n_samples must be an integer >= 1"),
    ("neuralndcg", {"beta": 0.0}, "beta must be a finite number > 0"),
    ("approxndcg", {"gumbel_temperature": -1.0}, "gumbel_temperature must be a finite number"),
    ("approxndcg", {"stochastic": "on"}, "stochastic must be True or False"),
    ("approxndcg", {"beta": 0.1}, "it takes no parameter 'beta'"),
    ("listnet", {"stochastic": 1}, "stochastic must be True or False"),
    ("ordinal", {"multi_output": None}, "multi_output must be True or False"),
    ("listnet", {"gumbel_temperature": 0}, "gumbel_temperature must be a finite number > 0"),
    ("listnet", {"n_samples": 2.5}, "n_samples must be an integer >= 1"),
    ("wassrank", {"gain_base": 1.0}, "gain_base must be a finite number > 1, got 1.0"),
    ("wassrank", {"regularization": 0}, "regularization must be a finite number > 0"),
    ("wassrank", {"n_iter": 0}, "n_iter must be an integer >= 1, got 0"),
    ("wassrank", {"relevance_gap": -1.0}, "relevance_gap must be a finite number >= 0"),
    ("wassrank", {"temperature": 1.0}, "it takes no parameter 'temperature'"),
    ("pointwise", {}, "unknown loss 'pointwise'; known losses: approxndcg"),
])
def test_bad_parameters_get_one_clear_error(name, params, match):
    with pytest.raises(ValueError, match=match):
        validate_loss_params(name, params)
    with pytest.raises(ValueError, match=match):
        get_loss(name, **params)


def test_old_gain_spellings_are_deprecated_aliases_resolved_once():
    with pytest.warns(DeprecationWarning, match="label_transform='exp2' is deprecated"):
        module = get_loss("ListNet", label_transform="exp2")
    assert module.params["label_transform"] == "exponential"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores, labels, mask = _batch(1)
        module(scores, labels, mask)  # no warning at each step
    with pytest.warns(DeprecationWarning):
        assert validate_loss_params("lambdarank", {"gain": "exp2"}) == {"gain": "exponential"}
    assert validate_loss_params("listnet", {"label_transform": "linear"}) == \
        {"label_transform": "linear"}


def test_loss_module_instance_passes_through():
    module = get_loss("hinge")
    assert get_loss(module) is module
    with pytest.raises(ValueError, match="cannot be combined"):
        get_loss(module, margin=1.0)


def _numeric_cases():
    from neural.losses._common import NUMERIC_CHECKS

    return [(loss, param) for param in NUMERIC_CHECKS for loss in sorted(LOSS_PARAMS)
            if param in LOSS_PARAMS[loss]]


@pytest.mark.parametrize(("loss", "param"), _numeric_cases())
def test_every_numeric_parameter_is_checked_by_the_function_and_the_module(loss, param):
    scores, labels, mask = _batch()
    message = f"{param} must be (a finite number|an integer)"
    with pytest.raises(ValueError, match=message):
        LOSS_FUNCTIONS[loss](scores, labels, mask, **{param: -1})
    with pytest.raises(ValueError, match=f"bad parameters for loss {loss!r}: .*{message}"):
        get_loss(loss, **{param: -1})
