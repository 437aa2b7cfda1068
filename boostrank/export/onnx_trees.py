"""``onnx`` for the boosters: an ``ai.onnx.ml`` ``TreeEnsembleRegressor`` graph.

Input ``input``: float32 ``[n, n_features]`` in the model's feature order; output ``score``:
float32 ``[n]``. The trees are the strict float32 form (`boostrank.export.strict`): every node
is ``BRANCH_LT`` on a float32 threshold and NaN follows ``nodes_missing_value_tracks_true``,
so a runtime follows predict's tree paths for every float32 value and NaN; leaves are float32
and the base score is the ensemble's ``base_values``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .common import ExportResult, require_plain_trees
from .numbers import f32
from .onnx_lib import ONNX_ML_OPSET, ONNX_OPSET, import_onnx, set_metadata
from .strict import to_strict
from .trees import TreeEnsemble


def tree_ensemble_graph(ensemble: TreeEnsemble) -> Any:
    """The ONNX ``ModelProto`` of ``ensemble`` (see the module docstring)."""
    onnx = import_onnx()
    helper = onnx.helper
    strict = to_strict(ensemble)
    nodes: dict[str, list[Any]] = {key: [] for key in (
        "treeids", "nodeids", "featureids", "values", "modes", "truenodeids", "falsenodeids",
        "missing_value_tracks_true")}
    targets: dict[str, list[Any]] = {"treeids": [], "nodeids": [], "ids": [], "weights": []}
    for k, tree in enumerate(strict.trees):
        for i in range(tree.n_nodes):
            leaf = bool(tree.left[i] < 0)
            nodes["treeids"].append(k)
            nodes["nodeids"].append(i)
            nodes["featureids"].append(0 if leaf else int(tree.feature[i]))
            nodes["values"].append(0.0 if leaf else f32(tree.threshold[i]))
            nodes["modes"].append("LEAF" if leaf else "BRANCH_LT")
            nodes["truenodeids"].append(0 if leaf else int(tree.left[i]))
            nodes["falsenodeids"].append(0 if leaf else int(tree.right[i]))
            nodes["missing_value_tracks_true"].append(int(not leaf and tree.missing_left[i]))
            if leaf:
                targets["treeids"].append(k)
                targets["nodeids"].append(i)
                targets["ids"].append(0)
                targets["weights"].append(f32(tree.value[i]))
    ensemble_node = helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["score_column"], domain="ai.onnx.ml",
        n_targets=1, aggregate_function="SUM", post_transform="NONE",
        base_values=[f32(strict.base_score)],
        **{f"nodes_{key}": value for key, value in nodes.items()},
        **{f"target_{key}": value for key, value in targets.items()})
    shape = helper.make_tensor("flat", onnx.TensorProto.INT64, [1], [-1])
    reshape = helper.make_node("Reshape", ["score_column", "flat"], ["score"])
    graph = helper.make_graph(
        [ensemble_node, reshape], "boostrank_trees",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                       [None, strict.n_features])],
        [helper.make_tensor_value_info("score", onnx.TensorProto.FLOAT, [None])],
        initializer=[shape])
    model = helper.make_model(graph, producer_name="boostrank", opset_imports=[
        helper.make_opsetid("", ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", ONNX_ML_OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def export_onnx_trees(ensemble: TreeEnsemble, names: list[str], path: Path
                      ) -> tuple[dict[Path, bytes], ExportResult]:
    """The ONNX file at ``path``; feature names and source in ``metadata_props``."""
    require_plain_trees(ensemble, "onnx")
    model = tree_ensemble_graph(ensemble)
    set_metadata(model, {"feature_names": json.dumps(names), "source": ensemble.source,
                         "n_trees": str(len(ensemble.trees))})
    return {path: model.SerializeToString()}, ExportResult(
        "onnx", {"model": path}, names, len(ensemble.trees),
        "same tree paths as predict for every float32 feature value and NaN; scores differ by "
        "float32 rounding of leaves and sums (within 1e-5 relative)")
