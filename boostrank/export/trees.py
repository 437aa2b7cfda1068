"""A neutral tree ensemble parsed from a LightGBM or XGBoost booster, and its evaluator.

Every tree exporter starts from `TreeEnsemble`: the trees that ``predict`` uses (the best
iteration only), the backend's split rule, the base score and the feature names.

Split rules (read from the backends' sources):

- LightGBM (``decision="<="``): a value goes left when ``x <= threshold`` (double precision);
  the predictor first reads every ``|x| <= 1e-35`` as 0.0 (it drops them from the row).
  Each split has a missing type: ``none`` (NaN is read as 0.0 and compared), ``zero`` (NaN and
  every ``|x| <= 1e-35`` take the ``default_left`` side) or ``nan`` (NaN takes the
  ``default_left`` side; zero is compared).
- XGBoost (``decision="<"``): features are rounded to float32; a value goes left when
  ``x < threshold`` (float32 threshold); NaN (and an entry absent from a sparse row) takes the
  ``default_left`` side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ExportError

MISSING_NONE, MISSING_ZERO, MISSING_NAN = 0, 1, 2
_MISSING_TYPES = {"None": MISSING_NONE, "Zero": MISSING_ZERO, "NaN": MISSING_NAN}
#: LightGBM's kZeroThreshold (1e-35f as a double): |x| <= this is "zero" for missing_type Zero
LIGHTGBM_ZERO_THRESHOLD = float(np.float32(1e-35))


@dataclass
class Tree:
    """One binary tree as flat arrays indexed by node (root 0); leaves have ``left == -1``.

    ``feature``: int (n_nodes,), -1 at leaves; ``threshold``: float64 (n_nodes,);
    ``left``/``right``: child node ids; ``missing_left``: bool, the side a missing value
    takes; ``missing``: uint8 missing type (MISSING_NONE / ZERO / NAN); ``value``: float64
    leaf outputs (0 at splits).
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    missing: np.ndarray
    value: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.feature.shape[0])

    def is_leaf(self, node: int) -> bool:
        return bool(self.left[node] < 0)


@dataclass
class TreeEnsemble:
    """Trees whose outputs add up (plus ``base_score``) to the model's raw score.

    ``decision``: ``"<="`` (LightGBM rule, float64) or ``"<"`` (strict float32 rule, XGBoost and
    every converted model); ``source``: ``"lightgbm"`` or ``"xgboost"``; ``feature_names``:
    the names in model order (n_features,).
    """

    trees: list[Tree]
    decision: str
    base_score: float
    n_features: int
    feature_names: list[str]
    source: str
    info: dict[str, Any] = field(default_factory=dict)

    def leaf_outputs(self, X: Any) -> np.ndarray:
        """Output of the leaf each row reaches in each tree: (n_rows, n_trees) float64.

        ``X``: (n_rows, n_features) dense features; for the strict ``"<"`` rule they are
        rounded to float32 first (as XGBoost and the float32 engines do).
        """
        X = np.asarray(X, dtype=np.float64)
        if self.decision == "<":
            X = X.astype(np.float32).astype(np.float64)
        out = np.empty((X.shape[0], len(self.trees)), dtype=np.float64)
        for k, tree in enumerate(self.trees):
            out[:, k] = tree.value[self._route(tree, X)]
        return out

    def predict(self, X: Any, *, float32_sum: bool = False) -> np.ndarray:
        """Raw scores (n_rows,) float64: ``base_score`` plus every tree's leaf output.

        ``float32_sum``: accumulate in float32, tree by tree, starting from the base score (as
        XGBoost does) instead of float64.
        """
        leaves = self.leaf_outputs(X)
        if not float32_sum:
            return self.base_score + leaves.sum(axis=1)
        total = np.full(leaves.shape[0], np.float32(self.base_score), dtype=np.float32)
        for k in range(leaves.shape[1]):
            total = total + leaves[:, k].astype(np.float32)
        return total.astype(np.float64)

    def _route(self, tree: Tree, X: np.ndarray) -> np.ndarray:
        node = np.zeros(X.shape[0], dtype=np.int64)
        active = np.flatnonzero(tree.left[node] >= 0)
        while active.size:
            at = node[active]
            x = X[active, tree.feature[at]]
            node[active] = np.where(self._goes_left(tree, at, x), tree.left[at], tree.right[at])
            active = active[tree.left[node[active]] >= 0]
        return node

    def _goes_left(self, tree: Tree, at: np.ndarray, x: np.ndarray) -> np.ndarray:
        nan = np.isnan(x)
        threshold = tree.threshold[at]
        if self.decision == "<":
            with np.errstate(invalid="ignore"):
                return np.where(nan, tree.missing_left[at], x < threshold)
        kind = tree.missing[at]
        # LightGBM's predictor drops |x| <= 1e-35 from a row (it becomes 0.0), then reads NaN
        # as 0.0 unless the split's missing type is NaN
        x = np.where(np.abs(x) <= LIGHTGBM_ZERO_THRESHOLD, 0.0, x)
        x = np.where(nan & (kind != MISSING_NAN), 0.0, x)
        is_missing = ((kind == MISSING_ZERO) & (np.abs(x) <= LIGHTGBM_ZERO_THRESHOLD)) | (
            (kind == MISSING_NAN) & np.isnan(x))
        with np.errstate(invalid="ignore"):
            return np.where(is_missing, tree.missing_left[at], x <= threshold)


# ---------------------------------------------------------------------------------- LightGBM
def from_lightgbm(booster: Any, num_iteration: int | None, feature_names: list[str]
                  ) -> TreeEnsemble:
    """Parse ``booster.dump_model(num_iteration)`` (only the trees ``predict`` uses).

    Raises `ExportError` for multiclass models; categorical splits and linear trees are kept
    as flags in ``info`` (``categorical``, ``linear``) for each exporter to refuse.
    """
    dump = booster.dump_model(num_iteration=num_iteration or None)
    if int(dump.get("num_tree_per_iteration", 1)) != 1:
        raise ExportError("a LightGBM model with several trees per iteration (multiclass) "
                          "cannot be exported as one ranking score")
    info = {"categorical": False, "linear": False}
    trees = [_lightgbm_tree(entry["tree_structure"], info) for entry in dump["tree_info"]]
    return TreeEnsemble(trees, "<=", 0.0, int(dump["max_feature_idx"]) + 1,
                        list(feature_names), "lightgbm", info)


def _lightgbm_tree(root: dict[str, Any], info: dict[str, bool]) -> Tree:
    rows: list[list[Any]] = []

    def visit(node: dict[str, Any]) -> int:
        index = len(rows)
        rows.append([-1, 0.0, -1, -1, False, MISSING_NONE, 0.0])
        if "split_feature" not in node:
            if "leaf_coeff" in node and node.get("leaf_coeff"):
                info["linear"] = True
            rows[index][6] = float(node["leaf_value"])
            return index
        if node["decision_type"] != "<=":
            info["categorical"] = True
            threshold = np.nan
        else:
            threshold = float(node["threshold"])
        left = visit(node["left_child"])
        right = visit(node["right_child"])
        rows[index] = [int(node["split_feature"]), threshold, left, right,
                       bool(node["default_left"]), _MISSING_TYPES[node["missing_type"]], 0.0]
        return index

    visit(root)
    return tree_from_rows(rows)


def tree_from_rows(rows: list[list[Any]]) -> Tree:
    """A `Tree` from one row per node: [feature, threshold, left, right, missing_left,
    missing type, value]."""
    cols = list(zip(*rows, strict=True))
    return Tree(feature=np.asarray(cols[0], dtype=np.int64),
                threshold=np.asarray(cols[1], dtype=np.float64),
                left=np.asarray(cols[2], dtype=np.int64),
                right=np.asarray(cols[3], dtype=np.int64),
                missing_left=np.asarray(cols[4], dtype=bool),
                missing=np.asarray(cols[5], dtype=np.uint8),
                value=np.asarray(cols[6], dtype=np.float64))


# ----------------------------------------------------------------------------------- XGBoost
def from_xgboost(booster: Any, feature_names: list[str]) -> TreeEnsemble:
    """Parse ``booster.save_raw('json')`` (the booster already holds only the kept rounds)."""
    model = json.loads(bytes(booster.save_raw("json")))
    learner = model["learner"]
    gbm = learner["gradient_booster"]
    if gbm.get("name") != "gbtree":
        raise ExportError(f"only XGBoost 'gbtree' models can be exported, this one is "
                          f"{gbm.get('name')!r} (dart drops trees at training time)")
    params = learner["learner_model_param"]
    if int(params.get("num_target", 1) or 1) != 1 or int(params.get("num_class", 0) or 0) > 1:
        raise ExportError("a multi-output XGBoost model cannot be exported as one score")
    base = str(params["base_score"]).strip("[]").split(",")[0]
    objective = learner.get("objective", {}).get("name", "")
    if not objective.startswith("rank:") and objective not in ("reg:squarederror", "reg:linear"):
        raise ExportError(f"XGBoost objective {objective!r} transforms its output; only "
                          "ranking and squared-error models export as raw scores")
    info = {"categorical": False, "linear": False, "objective": objective}
    trees = []
    for raw in gbm["model"]["trees"]:
        if any(int(t) != 0 for t in raw.get("split_type", [])):
            info["categorical"] = True
        trees.append(_xgboost_tree(raw))
    n_features = int(params["num_feature"])
    return TreeEnsemble(trees, "<", float(np.float32(float(base))), n_features,
                        list(feature_names), "xgboost", info)


def _xgboost_tree(raw: dict[str, Any]) -> Tree:
    left = np.asarray(raw["left_children"], dtype=np.int64)
    right = np.asarray(raw["right_children"], dtype=np.int64)
    cond = np.asarray(raw["split_conditions"], dtype=np.float32).astype(np.float64)
    leaf = left < 0
    return Tree(feature=np.where(leaf, -1, np.asarray(raw["split_indices"], dtype=np.int64)),
                threshold=np.where(leaf, 0.0, cond),
                left=left, right=right,
                missing_left=np.asarray(raw["default_left"], dtype=bool),
                missing=np.full(left.shape, MISSING_NAN, dtype=np.uint8),
                value=np.where(leaf, cond, 0.0))
