"""``ranklib``: RankLib's LambdaMART ensemble text, the LTR plugin's ``model/ranklib`` type.

RankLib (and the plugin's copy of it) numbers features from 1 in feature-set order, parses
thresholds and outputs with ``Float.parseFloat``, goes left when ``value <= threshold`` and sums
``output * weight`` in float32 from 0. It has no missing value: NaN compares false and goes
right, so only models whose NaN side is right everywhere reproduce NaN rows (the export reports
how many splits send NaN left).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from . import ltr_plugin
from .common import leaves_with_base, require_plain_trees
from .numbers import f32_text, previous_f32
from .strict import to_strict
from .trees import Tree, TreeEnsemble

MODEL_TYPE = "model/ranklib"


def ranklib_text(ensemble: TreeEnsemble) -> tuple[str, int]:
    """The ensemble text and the number of splits whose missing side is left."""
    strict = to_strict(ensemble)
    leaves = leaves_with_base(strict, float32=True)
    nan_left = sum(int(np.sum(tree.missing_left[tree.left >= 0])) for tree in strict.trees)
    n_leaves = sum(int(np.sum(tree.left < 0)) for tree in strict.trees)
    lines = ["## LambdaMART", f"## No. of trees = {len(strict.trees)}",
             f"## No. of leaves = {n_leaves}", "## No. of threshold candidates = -1",
             "## Learning rate = 1.0", "## Stop early = 0", "", "<ensemble>"]
    for k, (tree, values) in enumerate(zip(strict.trees, leaves, strict=True)):
        lines.append(f'\t<tree id="{k + 1}" weight="1.0">')
        _split(tree, values, 0, "\t\t", lines, None)
        lines.append("\t</tree>")
    lines.append("</ensemble>")
    return "\n".join(lines) + "\n", nan_left


def _split(tree: Tree, values: np.ndarray, index: int, indent: str, lines: list[str],
           pos: str | None) -> None:
    opening = f'{indent}<split pos="{pos}">' if pos else f"{indent}<split>"
    lines.append(opening)
    if tree.left[index] < 0:
        lines.append(f"{indent}\t<output> {f32_text(values[index])} </output>")
    else:
        lines.append(f"{indent}\t<feature> {int(tree.feature[index]) + 1} </feature>")
        lines.append(f"{indent}\t<threshold> "
                     f"{f32_text(previous_f32(tree.threshold[index]))} </threshold>")
        _split(tree, values, int(tree.left[index]), indent + "\t", lines, "left")
        _split(tree, values, int(tree.right[index]), indent + "\t", lines, "right")
    lines.append(f"{indent}</split>")


def ranklib_model(ensemble: TreeEnsemble, names: list[str]) -> ltr_plugin.PluginModel:
    """RankLib's text as the plugin's ``model/ranklib`` (features numbered in ``names`` order)."""
    require_plain_trees(ensemble, "RankLib's LambdaMART format")
    text, nan_left = ranklib_text(ensemble)
    exactness = ("same tree paths as predict for every float32 feature value; scores differ "
                 "only by float32 rounding")
    if nan_left:
        exactness += (f"; RankLib has no missing value: NaN goes right at the {nan_left} "
                      "splits that send it left (use xgboost-json for missing values)")
    return ltr_plugin.PluginModel("ranklib", MODEL_TYPE, text, len(ensemble.trees), exactness,
                                  {"nan_left_splits": nan_left})


export_ranklib = partial(ltr_plugin.export_for_plugin, ranklib_model)
export_ranklib.__doc__ = ("``export_ranklib(ensemble, names, path, **options)``: RankLib text "
                          "at ``path`` plus the plugin's feature-set and ``_createmodel`` "
                          "bodies (`ltr_plugin.export_for_plugin`).")
