"""``solr``: Solr LTR's ``MultipleAdditiveTreesModel`` JSON and its feature store JSON.

Solr (``MultipleAdditiveTreesModel``) parses every number with ``Float.parseFloat``, adds
``NODE_SPLIT_SLACK = 1e-6f`` to each threshold, goes left when ``value <= threshold``, and sums
``weight * leaf`` in float32 from 0. A feature that does not match a document takes the
feature's default value (0 unless configured), so Solr never sees a missing value.

Each strict split ``x < t`` (`boostrank.export.strict`) is written as a threshold ``a`` with
``float32(a + 1e-6f)`` the largest float32 below ``t``: exact wherever float32 can hit it,
which is everywhere except for thresholds within about 4e-6 of zero, where float32
``a + 1e-6`` is too coarse (`boostrank.export.numbers.solr_threshold`); the export lists
those gaps in ``details["gaps"]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .common import ExportResult, check_templates, leaves_with_base, require_plain_trees
from .files import companion
from .numbers import f32_text, previous_f32, solr_threshold
from .strict import to_strict
from .trees import Tree, TreeEnsemble

MODEL_CLASS = "org.apache.solr.ltr.model.MultipleAdditiveTreesModel"
DEFAULT_FEATURE_CLASS = "org.apache.solr.ltr.feature.FieldValueFeature"


def export_solr(ensemble: TreeEnsemble, names: list[str], path: Path, *,
                model_name: str | None = None, store: str = "_DEFAULT_",
                feature_templates: dict[str, Any] | None = None
                ) -> tuple[dict[Path, bytes], ExportResult]:
    """Model JSON at ``path`` (PUT to ``/schema/model-store``) and the feature store JSON
    (PUT to ``/schema/feature-store``). ``feature_templates`` maps a feature name to its Solr
    feature ``{"class": ..., "params": {...}}``; others read the field of that name
    (``FieldValueFeature``)."""
    require_plain_trees(ensemble, "Solr's MultipleAdditiveTreesModel")
    strict = to_strict(ensemble)
    leaves = leaves_with_base(strict, float32=True)
    gaps: list[tuple[str, float, float]] = []
    trees = [{"weight": "1.0", "root": _node(tree, values, 0, names, gaps)}
             for tree, values in zip(strict.trees, leaves, strict=True)]
    model_name = model_name or path.stem
    model = {"class": MODEL_CLASS, "name": model_name, "store": store,
             "features": [{"name": name} for name in names], "params": {"trees": trees}}
    paths = {"model": path, "features": companion(path, ".features.json")}
    files = {paths["model"]: json.dumps(model, indent=1).encode(),
             paths["features"]: json.dumps(_feature_store(names, store, feature_templates),
                                           indent=1).encode()}
    widest = max((high - low for _, low, high in gaps), default=0.0)
    details = {"inexact_thresholds": len(gaps), "widest_gap": widest,
               "gaps": sorted(set(gaps)),
               "upload": "PUT the .features.json file to /solr/<collection>/schema/"
                         "feature-store, then the model file to /schema/model-store"}
    exactness = ("same tree paths as predict for every float32 feature value (Solr has no "
                 "missing values); scores differ only by float32 rounding")
    if gaps:
        exactness += (f"; {len(gaps)} thresholds within about 4e-6 of zero cannot be hit "
                      f"through Solr's +1e-6 slack: values within {widest:.3g} below them go "
                      "right (details['gaps'] lists each (feature, low, high])")
    return files, ExportResult("solr", paths, names, len(trees), exactness, details)


def _node(tree: Tree, values: np.ndarray, index: int, names: list[str],
          gaps: list[tuple[str, float, float]]) -> dict[str, Any]:
    if tree.left[index] < 0:
        return {"value": f32_text(values[index])}
    strict = float(tree.threshold[index])
    written, effective = solr_threshold(strict)
    target = previous_f32(strict)
    if effective != target:  # float32 values in (effective, target] go right, not left
        gaps.append((names[int(tree.feature[index])], effective, target))
    return {"feature": names[int(tree.feature[index])], "threshold": f32_text(written),
            "left": _node(tree, values, int(tree.left[index]), names, gaps),
            "right": _node(tree, values, int(tree.right[index]), names, gaps)}


def _feature_store(names: list[str], store: str, templates: dict[str, Any] | None
                   ) -> list[dict[str, Any]]:
    templates = check_templates(templates, names)
    features = []
    for name in names:
        spec = templates.get(name, {"class": DEFAULT_FEATURE_CLASS, "params": {"field": name}})
        features.append({"store": store, "name": name, **spec})
    return features
