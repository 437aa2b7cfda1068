"""The user's feature names of a fitted model, an optional renaming, and per-target checks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import ExportError


def model_feature_names(model: Any) -> list[str]:
    """The names the user trained with (``feature_names_in_``), else ``f0, f1, ...``."""
    names = getattr(model, "feature_names_in_", None)
    n = int(model.n_features_in_)
    if names is None:
        return [f"f{i}" for i in range(n)]
    return [str(name) for name in names]


def resolve_feature_names(model: Any, mapping: Mapping[str, str] | Sequence[str] | None
                          ) -> list[str]:
    """Names to export, in model order: the model's own, renamed by ``mapping``.

    ``mapping``: None; a sequence of ``n_features_in_`` new names; or a dict ``{old: new}``
    renaming some of them (unknown keys are an error).
    """
    names = model_feature_names(model)
    if mapping is None:
        result = names
    elif isinstance(mapping, Mapping):
        unknown = [key for key in mapping if key not in names]
        if unknown:
            raise ExportError(f"feature_names: {unknown[0]!r} is not a feature of this model "
                              f"(its features: {_preview(names)})")
        result = [str(mapping.get(name, name)) for name in names]
    else:
        result = [str(name) for name in mapping]
        if len(result) != len(names):
            raise ExportError(f"feature_names has {len(result)} names; the model has "
                              f"{len(names)} features")
    seen: dict[str, int] = {}
    for i, name in enumerate(result):
        if not name:
            raise ExportError(f"feature_names: feature {i} has an empty name")
        if name in seen:
            raise ExportError(f"feature_names: {name!r} names features {seen[name]} and {i}; "
                              "exported feature names must be unique")
        seen[name] = i
    return result


def check_names(names: list[str], target: str, is_valid: Callable[[str], bool], rule: str
                ) -> None:
    """Raise `ExportError` naming every feature name ``target`` refuses, and the way out."""
    bad = [name for name in names if not is_valid(name)]
    if bad:
        raise ExportError(
            f"{target} refuses the feature name(s) {_preview(bad)}: {rule}. Rename them with "
            f"feature_names={{{bad[0]!r}: 'new_name', ...}} (or a list of all names in "
            "model order)")


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


VESPA_FEATURE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_.,\"' ]*\))?(\.[A-Za-z0-9_.]+)?$")
