"""Search spaces: which estimator parameters a study tunes, and over which ranges.

A space is one of:

- a `SearchSpace` (the default spaces below are SearchSpace objects);
- a dict ``{parameter name: optuna distribution}`` (``optuna.distributions.FloatDistribution``,
  ``IntDistribution`` or ``CategoricalDistribution``); each name must be a constructor parameter
  of the estimator;
- a callable ``trial -> dict`` of estimator parameters (it calls ``trial.suggest_*`` itself).

Default spaces (see `describe`):

``lightgbm`` (`lightgbm_space`)
    ``learning_rate`` 0.01-0.3 (log), ``num_leaves`` 7-255 (log), ``min_child_samples`` 5-100
    (log), ``colsample_bytree`` (feature fraction) 0.5-1, ``subsample`` (bagging fraction) 0.5-1
    with ``subsample_freq=1``, ``reg_alpha`` / ``reg_lambda`` (L1/L2) 1e-8-10 (log). Number of
    rounds: early stopping on the validation metric with the estimator's ``n_estimators`` as the
    cap (``early_stopping_rounds`` 50 unless the estimator sets one).
``xgboost`` (`xgboost_space`)
    ``learning_rate`` 0.01-0.3 (log), ``max_depth`` 3-10, ``min_child_weight`` 1e-3-10 (log),
    ``colsample_bytree`` 0.5-1, ``subsample`` 0.5-1, ``reg_alpha`` / ``reg_lambda`` 1e-8-10
    (log); rounds by early stopping as for LightGBM.
``neural`` (`neural_space`)
    ``learning_rate`` 1e-4-0.03 (log), ``hidden_sizes`` one of (64,), (128,), (256,), (128, 64),
    (256, 128), (256, 128, 64), ``dropout`` 0-0.5, ``weight_decay`` 1e-8-1e-2 (log),
    ``batch_size`` 16, 32, 64 or 128 and the loss options the model has (``sigma`` for the
    pairwise losses, ``temperature`` and ``label_transform`` (linear or exponential gain) for
    ListNet); epochs by early stopping (5 epochs unless set) with ``n_epochs`` as the cap.
``attention`` (`attention_space`, the ``attention_*`` models)
    ``learning_rate`` 1e-4-3e-3 (log), ``d_model`` 32, 64 or 128, ``n_heads`` 1, 2 or 4,
    ``n_layers`` 1-3, ``d_ff`` 64, 128 or 256, ``input_layers`` none, (128,) or (256, 128),
    ``dropout`` 0-0.5, ``weight_decay`` 1e-6-0.1
    (log; the defaults 0.3 / 0.01 sit inside), ``batch_size`` 16, 32 or 64, ``temperature`` 0.1-2 (log), ``input_noise`` 0-0.3,
    ``preprocessing`` standard or log1p; epochs by early stopping as for ``neural``.
``dasalc`` (`dasalc_space`, the ``attention_dasalc`` model)
    ``learning_rate`` 1e-4-3e-3 (log), ``hidden_size`` 128, 256 or 512, ``tower_layers`` 1-3,
    ``n_layers`` 1-4, ``n_heads`` 1, 2 or 4, ``head_size`` 32, 64 or 100, ``dropout`` 0-0.6,
    ``input_noise`` 0-2 (TF-Ranking used 0.2-4.5 on the large web sets), ``weight_decay``
    1e-8-1e-2 (log), ``batch_size`` 16, 32, 64 or 128, ``temperature`` 0.5-2; epochs by early
    stopping as for ``neural``.

A default space keeps only the entries the estimator has (``get_params()``), so one neural space
serves every neural model. Parameters the space does not name keep the estimator's values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Codec",
    "SPACE_OF_MODEL",
    "SearchSpace",
    "SpaceLike",
    "default_space",
    "describe",
    "lightgbm_space",
    "neural_space",
    "attention_space",
    "dasalc_space",
    "resolve_space",
    "suggest",
    "xgboost_space",
]


@dataclass(frozen=True)
class Codec:
    """Maps a trial value (what Optuna stores) to an estimator value and back.

    Optuna's categorical choices must be None, bool, int, float or str, so a tuple parameter
    such as ``hidden_sizes=(128, 64)`` is stored as the string ``"128-64"``.
    """

    decode: Callable[[Any], Any]
    encode: Callable[[Any], Any]


def _sizes_to_str(value: Any) -> str:
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    return "-".join(str(int(v)) for v in value)


def _str_to_sizes(value: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(value).split("-") if part)


HIDDEN_SIZES = Codec(decode=_str_to_sizes, encode=_sizes_to_str)


@dataclass
class SearchSpace:
    """A search space: Optuna distributions per parameter, codecs, and fixed parameters.

    ``distributions``: trial parameter name -> optuna distribution; the name is the estimator
    parameter it sets. ``codecs``: name -> `Codec` for values Optuna cannot store directly.
    ``fixed``: estimator parameters set in every sampled trial (not in the default
    configuration's trial): a dict, or a callable ``base_params -> dict`` that sees the
    estimator's current parameters (used to add early stopping when the estimator has none).
    ``name`` / ``notes``: for `describe`.
    """

    distributions: dict[str, Any]
    codecs: dict[str, Codec] = field(default_factory=dict)
    fixed: Mapping[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None
    name: str = "custom"
    notes: str = ""

    @property
    def param_names(self) -> list[str]:
        """Estimator parameters this space samples (not counting fixed ones)."""
        return list(self.distributions)

    def fixed_params(self, base_params: Mapping[str, Any]) -> dict[str, Any]:
        """Fixed estimator parameters given the estimator's current ``base_params``."""
        if self.fixed is None:
            return {}
        if callable(self.fixed):
            return dict(self.fixed(dict(base_params)))
        return dict(self.fixed)

    def sample(self, trial: Any) -> dict[str, Any]:
        """Suggest every parameter on ``trial``; return estimator parameters (decoded)."""
        params = {}
        for name, distribution in self.distributions.items():
            value = suggest(trial, name, distribution)
            codec = self.codecs.get(name)
            params[name] = codec.decode(value) if codec else value
        return params

    def encode_defaults(self, base_params: Mapping[str, Any]) -> dict[str, Any]:
        """The estimator's current values as trial values, for those inside the space.

        Values a distribution does not contain (e.g. ``reg_alpha=0`` for a log range starting at
        1e-8) are left out: the default configuration's trial then keeps the estimator's value
        for them without recording it as a sampled parameter.
        """
        encoded = {}
        for name, distribution in self.distributions.items():
            if name not in base_params:
                continue
            value = base_params[name]
            codec = self.codecs.get(name)
            try:
                value = codec.encode(value) if codec else value
                internal = distribution.to_internal_repr(value)
            except (TypeError, ValueError):
                continue
            if distribution._contains(internal):
                encoded[name] = value
        return encoded

    def restricted_to(self, names: set[str]) -> SearchSpace:
        """A copy keeping only the entries whose parameter is in ``names``."""
        return SearchSpace(
            distributions={k: v for k, v in self.distributions.items() if k in names},
            codecs={k: v for k, v in self.codecs.items() if k in names},
            fixed=self.fixed,
            name=self.name,
            notes=self.notes,
        )


SpaceLike = SearchSpace | Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]


def suggest(trial: Any, name: str, distribution: Any) -> Any:
    """Call the ``trial.suggest_*`` method matching an optuna ``distribution``."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(name, distribution.low, distribution.high,
                                   log=distribution.log, step=distribution.step)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(name, distribution.low, distribution.high,
                                 log=distribution.log, step=distribution.step)
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, list(distribution.choices))
    raise TypeError(
        f"search space entry {name!r}: expected an optuna FloatDistribution, IntDistribution "
        f"or CategoricalDistribution, got {type(distribution).__name__}"
    )


# ---------------------------------------------------------------------- default spaces
def _rounds_by_early_stopping(base: dict[str, Any]) -> dict[str, Any]:
    """Booster rounds: early stopping (50 rounds unless set) with ``n_estimators`` as the cap."""
    fixed: dict[str, Any] = {}
    if "early_stopping_rounds" in base and not base.get("early_stopping_rounds"):
        fixed["early_stopping_rounds"] = 50
    return fixed


def _lightgbm_fixed(base: dict[str, Any]) -> dict[str, Any]:
    fixed = _rounds_by_early_stopping(base)
    if "subsample_freq" in base and not base.get("subsample_freq"):
        fixed["subsample_freq"] = 1  # bagging fraction only acts with a bagging frequency
    return fixed


def _epochs_by_early_stopping(base: dict[str, Any]) -> dict[str, Any]:
    """Neural epochs: early stopping (5 epochs unless set) with ``n_epochs`` as the cap."""
    if "early_stopping_rounds" in base and not base.get("early_stopping_rounds"):
        return {"early_stopping_rounds": 5}
    return {}


def _booster_space(tree_shape: dict[str, Any], **options: Any) -> SearchSpace:
    """A booster's space: the learning rate, feature and row sampling and L1/L2 ranges both
    boosters share, around the library's own ``tree_shape`` distributions."""
    from optuna.distributions import FloatDistribution

    return SearchSpace(
        {
            "learning_rate": FloatDistribution(0.01, 0.3, log=True),
            **tree_shape,
            "colsample_bytree": FloatDistribution(0.5, 1.0),
            "subsample": FloatDistribution(0.5, 1.0),
            "reg_alpha": FloatDistribution(1e-8, 10.0, log=True),
            "reg_lambda": FloatDistribution(1e-8, 10.0, log=True),
        },
        **options,
    )


def lightgbm_space() -> SearchSpace:
    """Default space for `LightGBMLambdaMART` (see the module docstring)."""
    from optuna.distributions import IntDistribution

    return _booster_space(
        {"num_leaves": IntDistribution(7, 255, log=True),
         "min_child_samples": IntDistribution(5, 100, log=True)},
        fixed=_lightgbm_fixed,
        name="lightgbm",
        notes="rounds: early stopping (50 rounds unless set), n_estimators is the cap; "
              "subsample_freq=1 so the bagging fraction acts",
    )


def xgboost_space() -> SearchSpace:
    """Default space for `XGBoostLambdaMART` (see the module docstring)."""
    from optuna.distributions import FloatDistribution, IntDistribution

    return _booster_space(
        {"max_depth": IntDistribution(3, 10),
         "min_child_weight": FloatDistribution(1e-3, 10.0, log=True)},
        fixed=_rounds_by_early_stopping,
        name="xgboost",
        notes="rounds: early stopping (50 rounds unless set), n_estimators is the cap",
    )


#: the note of the neural spaces, whose epoch count `_epochs_by_early_stopping` sets
EPOCHS_BY_EARLY_STOPPING = "epochs: early stopping on the validation metric, the epoch count is the cap"


def neural_space() -> SearchSpace:
    """Default space for the neural rankers (entries a model lacks are dropped)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    return SearchSpace(
        {
            "learning_rate": FloatDistribution(1e-4, 3e-2, log=True),
            "hidden_sizes": CategoricalDistribution(
                ["64", "128", "256", "128-64", "256-128", "256-128-64"]
            ),
            "dropout": FloatDistribution(0.0, 0.5),
            "weight_decay": FloatDistribution(1e-8, 1e-2, log=True),
            "batch_size": CategoricalDistribution([16, 32, 64, 128]),
            "sigma": FloatDistribution(0.5, 2.0),
            "temperature": FloatDistribution(0.5, 2.0),
            "label_transform": CategoricalDistribution(["linear", "exponential"]),
        },
        codecs={"hidden_sizes": HIDDEN_SIZES},
        fixed=_epochs_by_early_stopping,
        name="neural",
        notes=EPOCHS_BY_EARLY_STOPPING,
    )


def attention_space() -> SearchSpace:
    """Default space for the listwise self-attention rankers (``attention_*`` models): the
    encoder's size (every ``n_heads`` choice divides every ``d_model`` choice), the loss's
    temperature and the DASALC inputs (``log1p`` transform, Gaussian input noise)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    return SearchSpace(
        {
            "learning_rate": FloatDistribution(1e-4, 3e-3, log=True),
            "d_model": CategoricalDistribution([32, 64, 128]),
            "n_heads": CategoricalDistribution([1, 2, 4]),
            "n_layers": IntDistribution(1, 3),
            "d_ff": CategoricalDistribution([64, 128, 256]),
            "input_layers": CategoricalDistribution(["", "128", "256-128"]),
            "dropout": FloatDistribution(0.0, 0.5),
            "weight_decay": FloatDistribution(1e-6, 1e-1, log=True),
            "batch_size": CategoricalDistribution([16, 32, 64]),
            "temperature": FloatDistribution(0.1, 2.0, log=True),
            "input_noise": FloatDistribution(0.0, 0.3),
            "preprocessing": CategoricalDistribution(["standard", "log1p"]),
        },
        codecs={"input_layers": HIDDEN_SIZES},
        fixed=_epochs_by_early_stopping,
        name="attention",
        notes=EPOCHS_BY_EARLY_STOPPING,
    )


def dasalc_space() -> SearchSpace:
    """Default space for `neural.DASALCRanker` (``attention_dasalc``): the tower's and the
    interaction branch's sizes, the regularisers (dropout, input noise, weight decay) and the
    softmax temperature (see the module docstring)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    return SearchSpace(
        {
            "learning_rate": FloatDistribution(1e-4, 3e-3, log=True),
            "hidden_size": CategoricalDistribution([128, 256, 512]),
            "tower_layers": IntDistribution(1, 3),
            "n_layers": IntDistribution(1, 4),
            "n_heads": CategoricalDistribution([1, 2, 4]),
            "head_size": CategoricalDistribution([32, 64, 100]),
            "dropout": FloatDistribution(0.0, 0.6),
            "input_noise": FloatDistribution(0.0, 2.0),
            "weight_decay": FloatDistribution(1e-8, 1e-2, log=True),
            "batch_size": CategoricalDistribution([16, 32, 64, 128]),
            "temperature": FloatDistribution(0.5, 2.0),
        },
        fixed=_epochs_by_early_stopping,
        name="dasalc",
        notes=EPOCHS_BY_EARLY_STOPPING,
    )


#: registered model name (`boostrank.registry.MODELS`) -> default space name
SPACE_OF_MODEL = {
    "lightgbm": "lightgbm",
    "xgboost": "xgboost",
    "ranknet": "neural",
    "listnet": "neural",
    "lambdarank_nn": "neural",
    "listmle": "neural",
    "approxndcg": "neural",
    "wassrank": "neural",
    "attention_neuralndcg": "attention",
    "attention_listnet": "attention",
    "attention_lambdaloss": "attention",
    "attention_ranknet": "attention",
    "attention_dasalc": "dasalc",
}


def _family(estimator: Any) -> str:
    """The default space of ``estimator``'s registered class, or of its nearest registered
    base class (a subclass such as the Dask boosters inherits its parent's space)."""
    from boostrank.registry import MODELS, class_path

    registered = {path: name for name, path in MODELS.items()}
    for cls in type(estimator).__mro__:
        name = registered.get(class_path(cls))
        if name in SPACE_OF_MODEL:
            return SPACE_OF_MODEL[name]
    raise ValueError(
        f"no default search space for {type(estimator).__name__}; pass space= (a dict of "
        "optuna distributions or a callable trial -> params)"
    )


_DEFAULTS: dict[str, Callable[[], SearchSpace]] = {
    "lightgbm": lightgbm_space,
    "xgboost": xgboost_space,
    "neural": neural_space,
    "attention": attention_space,
    "dasalc": dasalc_space,
}


def default_space(estimator: Any) -> SearchSpace:
    """The default space of ``estimator``'s family, restricted to the parameters it has."""
    space = _DEFAULTS[_family(estimator)]()
    restricted = space.restricted_to(set(estimator.get_params(deep=False)))
    if not restricted.distributions:
        raise ValueError(
            f"the default {space.name} space shares no parameter with "
            f"{type(estimator).__name__}; pass space="
        )
    return restricted


def resolve_space(space: SpaceLike | None,
                  estimator: Any) -> tuple[SearchSpace | Callable, list[str]]:
    """Validate ``space`` against ``estimator`` before any trial runs.

    Returns ``(space, names)``: a `SearchSpace` (the default one when ``space`` is None, or one
    built from a dict) or the user's callable after a dry run on a throw-away trial, and the
    estimator parameters it samples. Raises ``ValueError`` naming any parameter the estimator
    lacks, ``TypeError`` for malformed entries.
    """
    valid = set(estimator.get_params(deep=False))
    if space is None:
        resolved = default_space(estimator)
        return resolved, resolved.param_names
    if isinstance(space, SearchSpace):
        resolved = space
    elif isinstance(space, Mapping):
        resolved = SearchSpace(dict(space))
    elif callable(space):
        return space, _check_callable(space, estimator, valid)
    else:
        raise TypeError(
            "space must be a dict of optuna distributions, a callable trial -> params or a "
            f"SearchSpace, got {type(space).__name__}"
        )
    if not resolved.distributions:
        raise ValueError("the search space is empty")
    _check_names(resolved.param_names, estimator, valid, what="the search space")
    from optuna.distributions import BaseDistribution

    for name, distribution in resolved.distributions.items():
        if not isinstance(distribution, BaseDistribution):
            raise TypeError(
                f"search space entry {name!r}: expected an optuna distribution "
                f"(FloatDistribution, IntDistribution, CategoricalDistribution), got "
                f"{type(distribution).__name__}"
            )
    fixed = resolved.fixed_params(estimator.get_params(deep=False))
    _check_names(list(fixed), estimator, valid, what="the fixed parameters of the space")
    return resolved, resolved.param_names


def _check_names(names: list[str], estimator: Any, valid: set[str], *, what: str) -> None:
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(
            f"{what} names parameter(s) {', '.join(map(repr, unknown))} that "
            f"{type(estimator).__name__} does not have; its parameters are: "
            f"{', '.join(sorted(valid))}"
        )


def _check_callable(space: Callable, estimator: Any, valid: set[str]) -> list[str]:
    """Dry-run a callable space on a throw-away in-memory trial and check its result."""
    import optuna

    scratch = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = scratch.ask()
    params = space(trial)
    if not isinstance(params, Mapping):
        raise TypeError(
            f"the callable space must return a dict of estimator parameters, got "
            f"{type(params).__name__}"
        )
    _check_names(list(params), estimator, valid, what="the callable search space")
    return list(params)


def describe(space: SearchSpace | Mapping[str, Any] | None = None) -> str:
    """Human-readable listing of a space (all default spaces when ``space`` is None)."""
    if space is None:
        return "\n\n".join(describe(factory()) for factory in _DEFAULTS.values())
    if isinstance(space, Mapping):
        space = SearchSpace(dict(space))
    lines = [f"{space.name} search space:"]
    for name, distribution in space.distributions.items():
        lines.append(f"  {name}: {_describe_distribution(distribution)}")
    if space.notes:
        lines.append(f"  ({space.notes})")
    return "\n".join(lines)


def _describe_distribution(distribution: Any) -> str:
    choices = getattr(distribution, "choices", None)
    if choices is not None:
        return "one of " + ", ".join(map(str, choices))
    scale = " (log)" if getattr(distribution, "log", False) else ""
    step = getattr(distribution, "step", None)
    step_text = f" step {step}" if step not in (None, 1) else ""
    return f"{distribution.low} .. {distribution.high}{scale}{step_text}"
