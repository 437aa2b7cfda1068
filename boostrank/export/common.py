"""What every tree exporter shares: the result type, checks and the base score fold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ExportError
from .trees import TreeEnsemble


@dataclass
class ExportResult:
    """What `export_model` wrote.

    ``format``: the format name; ``paths``: role -> file written (``"model"`` is the main
    file, e.g. ``"featureset"``, ``"createmodel"``, ``"features"``, ``"rank_profile"``);
    ``feature_names``: the exported names in model order; ``n_trees``: trees written;
    ``exactness``: one sentence stating how the exported scores relate to ``predict``;
    ``details``: format-specific figures (e.g. Solr's inexact thresholds).
    """

    format: str
    paths: dict[str, Path]
    feature_names: list[str]
    n_trees: int | None
    exactness: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """The main file."""
        return self.paths["model"]


def require_plain_trees(ensemble: TreeEnsemble, target: str) -> None:
    """Refuse categorical splits and linear trees, which ``target`` cannot express."""
    if ensemble.info.get("categorical"):
        raise ExportError(f"this {ensemble.source} model has categorical splits, which {target} "
                          "cannot express; retrain without categorical_features, or export "
                          f"the native format (format={ensemble.source.lower()!r})")
    if ensemble.info.get("linear"):
        raise ExportError(f"this LightGBM model has linear trees (linear_tree=True), which "
                          f"{target} cannot express; export format='lightgbm' instead")


def check_templates(templates: Mapping[str, Any] | None, names: list[str]) -> dict[str, Any]:
    """Feature ``templates`` as a dict, refusing a key that is not one of the exported ``names``."""
    templates = dict(templates or {})
    unknown = [key for key in templates if key not in names]
    if unknown:
        raise ExportError(f"feature_templates: {unknown[0]!r} is not an exported feature name")
    return templates


def leaves_with_base(ensemble: TreeEnsemble, float32: bool) -> list[np.ndarray]:
    """Leaf values per tree with the base score added to every leaf of the first tree.

    Engines that sum tree outputs from zero then reproduce ``base + tree_0 + ...``. With
    ``float32`` the values are float32 and the fold is one float32 addition, the first step
    XGBoost itself takes.
    """
    values = [tree.value.copy() for tree in ensemble.trees]
    if float32:
        values = [v.astype(np.float32).astype(np.float64) for v in values]
    if ensemble.base_score != 0.0 and values:
        first = ensemble.trees[0]
        leaf = first.left < 0
        if float32:
            values[0][leaf] = (np.float32(ensemble.base_score)
                               + values[0][leaf].astype(np.float32)).astype(np.float64)
        else:
            values[0][leaf] = ensemble.base_score + values[0][leaf]
    return values
