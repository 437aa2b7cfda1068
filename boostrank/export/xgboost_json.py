"""``xgboost-json``: the Elasticsearch / OpenSearch LTR plugin's ``model/xgboost+json`` type.

The plugin (``NaiveAdditiveDecisionTree``) reads float32 features and float32 thresholds, goes
to ``yes`` when ``value < split_condition``, to the ``missing`` branch when the value is NaN,
and adds the float32 leaf outputs from 0 (objective ``reg:linear``: identity). The model is
written in the strict float32 form (`boostrank.export.strict`), so a LightGBM model's
``<=`` splits and missing rules are reproduced exactly; the base score is folded into the
first tree's leaves.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from . import ltr_plugin
from .common import leaves_with_base, require_plain_trees
from .numbers import f32_text
from .strict import to_strict
from .trees import Tree, TreeEnsemble

MODEL_TYPE = "model/xgboost+json"


def xgboost_dump_trees(ensemble: TreeEnsemble, names: list[str], *, float32_leaves: bool
                       ) -> list[dict[str, Any]]:
    """The trees as XGBoost's ``get_dump(dump_format='json')`` objects, split on ``names``."""
    strict = to_strict(ensemble)
    leaves = leaves_with_base(strict, float32=float32_leaves)
    return [_dump_tree(tree, values, names, float32_leaves)
            for tree, values in zip(strict.trees, leaves, strict=True)]


def _dump_tree(tree: Tree, values: Any, names: list[str], float32_leaves: bool
               ) -> dict[str, Any]:
    def node(index: int, depth: int) -> dict[str, Any]:
        if tree.left[index] < 0:
            value = float(values[index])
            return {"nodeid": index, "leaf": float(f32_text(value)) if float32_leaves
                    else value}
        yes, no = int(tree.left[index]), int(tree.right[index])
        return {"nodeid": index, "depth": depth, "split": names[int(tree.feature[index])],
                "split_condition": float(f32_text(tree.threshold[index])), "yes": yes,
                "no": no, "missing": yes if tree.missing_left[index] else no,
                "children": [node(yes, depth + 1), node(no, depth + 1)]}

    return node(0, 0)


def xgboost_json_model(ensemble: TreeEnsemble, names: list[str]) -> ltr_plugin.PluginModel:
    """The trees as the plugin's ``model/xgboost+json`` definition, split on ``names``."""
    require_plain_trees(ensemble, "the LTR plugin's model/xgboost+json")
    trees = xgboost_dump_trees(ensemble, names, float32_leaves=True)
    return ltr_plugin.PluginModel(
        "xgboost-json", MODEL_TYPE, json.dumps(trees), len(trees),
        "same tree paths as predict for every float32 feature value and NaN (the missing "
        "branch); scores differ only by float32 rounding of leaves and sums")


export_xgboost_json = partial(ltr_plugin.export_for_plugin, xgboost_json_model)
export_xgboost_json.__doc__ = ("``export_xgboost_json(ensemble, names, path, **options)``: the "
                               "model definition at ``path`` plus the plugin's feature-set and "
                               "``_createmodel`` bodies (`ltr_plugin.export_for_plugin`).")
