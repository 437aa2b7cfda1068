"""Which models a comparison runs: labels, registry names or estimator templates, overrides.

`resolve_models` turns what the user gave (``"lightgbm,xgboost"``, a list of names or
estimators, or ``{label: name_or_estimator}``) into `ModelSpec` objects, checking names and
parameter overrides before anything is trained; `ModelSpec.build` makes a fresh estimator.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ModelSpec:
    """A model to compare.

    Attributes
    ----------
    label : str
        Name of the model in the report (unique within a comparison).
    name : str or None
        Registry name (`boostrank.get_model_class`), or None for a template.
    template : estimator or None
        An estimator instance to clone, or None for a registry name.
    params : dict
        Constructor overrides applied to every fresh estimator.
    """

    label: str
    name: str | None = None
    template: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def build(self, random_state: int) -> Any:
        """A fresh, unfitted estimator with the overrides and ``random_state`` applied.

        ``random_state`` is set where the estimator has it, unless the overrides (or, for a
        template, the template itself) fix it already.
        """
        if self.template is not None:
            estimator = _fresh_copy(self.template)
            if not hasattr(estimator, "get_params"):
                return estimator
        else:
            from ..registry import get_model_class

            estimator = get_model_class(self.name)()
        params = dict(self.params)
        current = estimator.get_params(deep=False)
        template_fixed = self.template is not None and current.get("random_state") is not None
        if "random_state" in current and not template_fixed:
            params.setdefault("random_state", random_state)
        if params:
            estimator.set_params(**params)
        return estimator


def _fresh_copy(template: Any) -> Any:
    from sklearn.base import clone

    try:
        return clone(template)
    except TypeError:  # not a scikit-learn estimator: copy it as it is
        return copy.deepcopy(template)


def resolve_models(models: Any, params: Mapping[str, Mapping[str, Any]] | None = None
                   ) -> list[ModelSpec]:
    """Normalise ``models`` to a list of `ModelSpec`.

    Parameters
    ----------
    models : str, sequence or mapping
        Comma-separated registry names, a sequence of names / estimators /
        ``(label, model)`` pairs, or a mapping ``{label: name_or_estimator}``. A name ending
        in ``+pb`` (``lightgbm+pb``) is that model with ``position_bias=True``: trained on a
        click log (positions from its ``.position`` sidecar) next to the naive model.
    params : mapping, optional
        ``{label: {parameter: value}}`` constructor overrides.

    Returns
    -------
    list of ModelSpec

    Raises
    ------
    ValueError
        Unknown model names, repeated labels, ``params`` for a model not compared, and
        parameters a model does not have (each error names them and the valid choices).
    """
    items = _labelled_items(models)
    labels = [label for label, _ in items]
    repeated = sorted({lb for lb in labels if labels.count(lb) > 1})
    if repeated:
        raise ValueError(f"model labels must be unique; repeated: {', '.join(repeated)} "
                         "(pass a dict {label: model} to compare variants)")
    overrides = {str(k): dict(v) for k, v in (params or {}).items()}
    unknown = sorted(set(overrides) - set(labels))
    if unknown:
        raise ValueError(f"params given for {', '.join(unknown)}, which is not among the "
                         f"compared models ({', '.join(labels)})")
    specs = [_spec(label, model, overrides.get(label, {})) for label, model in items]
    for spec in specs:
        _check_params(spec)
    return specs


def _labelled_items(models: Any) -> list[tuple[str, Any]]:
    if isinstance(models, str):
        models = [m for m in (p.strip() for p in models.split(",")) if m]
    if isinstance(models, Mapping):
        items = [(str(k), v) for k, v in models.items()]
    else:
        items = []
        for model in models:
            if isinstance(model, str):
                items.append((model.strip().lower(), model))
            elif isinstance(model, tuple) and len(model) == 2 and isinstance(model[0], str):
                items.append((model[0], model[1]))
            else:
                items.append((type(model).__name__.lower(), model))
    if not items:
        raise ValueError("no models to compare")
    return items


#: suffix of a registry name that trains the model with ``position_bias=True`` (``lightgbm+pb``)
POSITION_BIAS_SUFFIX = "+pb"


def _spec(label: str, model: Any, overrides: dict[str, Any]) -> ModelSpec:
    from ..registry import MODELS

    if isinstance(model, str):
        name = model.strip().lower()
        corrected = name.endswith(POSITION_BIAS_SUFFIX)
        if corrected:
            name = name[:-len(POSITION_BIAS_SUFFIX)]
        if name not in MODELS:
            raise ValueError(f"unknown model {model!r}; known models: "
                             f"{', '.join(sorted(MODELS))} (each also as NAME"
                             f"{POSITION_BIAS_SUFFIX}: trained with position_bias=True)")
        if corrected:
            overrides = {"position_bias": True, **overrides}
        return ModelSpec(label, name=name, params=overrides)
    if hasattr(model, "fit") and hasattr(model, "predict"):
        return ModelSpec(label, template=model, params=overrides)
    raise ValueError(f"model {label!r}: expected a registry name or an estimator, "
                     f"got {type(model).__name__}")


def _check_params(spec: ModelSpec) -> None:
    """Overrides must be parameters of the model (``get_params`` names them)."""
    if not spec.params:
        return
    if spec.template is not None:
        if not hasattr(spec.template, "get_params"):
            raise ValueError(f"model {spec.label}: {type(spec.template).__name__} has no "
                             "get_params/set_params, so parameters cannot be overridden")
        estimator = spec.template
    else:
        from ..registry import get_model_class

        estimator = get_model_class(spec.name)()
    valid = set(estimator.get_params(deep=False))
    bad = sorted(set(spec.params) - valid)
    if bad:
        raise ValueError(f"model {spec.label}: {type(estimator).__name__} has no parameter "
                         f"{', '.join(repr(b) for b in bad)}; valid: {', '.join(sorted(valid))}")


def jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with JSON-friendly values (NumPy scalars unwrapped, anything else as repr)."""
    return {str(key): _jsonable_value(value) for key, value in params.items()}


def _jsonable_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable_value(v) for k, v in value.items()}
    return repr(value)
