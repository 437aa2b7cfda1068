"""Reference scorers of each engine, written from that engine's documented evaluation rules,
used by the export tests; and tests pinning each rule on a hand-written model.

- Elasticsearch/OpenSearch LTR ``model/xgboost+json`` (NaiveAdditiveDecisionTree): float32
  features and thresholds (``Float`` parsing); ``yes`` (children[0]) when ``threshold > x``; NaN
  takes the ``missing`` branch; leaves summed in float32 from 0; objective identity.
- RankLib LambdaMART (and the plugin's copy): feature ids from 1; ``x <= threshold`` goes left;
  ``s += output * weight`` in float32 from 0; NaN compares false (goes right).
- Solr MultipleAdditiveTreesModel: ``threshold = Float.parseFloat(t) + 1e-6f``; ``x <= threshold``
  goes left; ``score += weight * value`` in float32 from 0.
- Vespa xgboost(): ``split_condition`` rounded to float32 then used as double; a node whose
  ``missing`` is ``yes`` becomes ``!(x >= t)``, others ``x < t``; leaves added in double.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import numpy as np

F32 = np.float32


# ------------------------------------------------------------ what every engine does alike
def _route(node: Any, rows: np.ndarray, out: np.ndarray, step: Callable[..., Any]) -> None:
    """Fill ``out[rows]`` with the leaf each row reaches from ``node``.

    ``step(node, rows)`` is one engine's rule: the leaf value at a leaf, else ``(first child,
    second child, goes_first)`` with ``goes_first`` a bool mask over ``rows``.
    """
    if not rows.size:
        return
    taken = step(node, rows)
    if not isinstance(taken, tuple):
        out[rows] = taken
        return
    first, second, goes_first = taken
    _route(first, rows[goes_first], out, step)
    _route(second, rows[~goes_first], out, step)


def _float32_sums(weighted_trees: list[tuple[Any, Any]], n_rows: int, dtype: type,
                  step: Callable[..., Any]) -> tuple[np.ndarray, np.ndarray]:
    """(``s += float32(weight * leaf)`` in float32 from 0, the float64 sum of the same terms)
    over ``(root, weight)`` pairs; leaves are read as ``dtype``."""
    total32 = np.zeros(n_rows, dtype=F32)
    total64 = np.zeros(n_rows)
    for root, weight in weighted_trees:
        leaf = np.empty(n_rows, dtype=dtype)
        _route(root, np.arange(n_rows), leaf, step)
        total32 = (total32 + (leaf * weight).astype(F32)).astype(F32)
        total64 += leaf * np.float64(weight)
    return total32.astype(np.float64), total64


# ------------------------------------------------------------------------ ES / OpenSearch
def score_es_xgboost(definition: str, feature_order: list[str], X: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(float32 engine scores, float64 sums of the same leaves) for rows ``X`` (float32)."""
    col = {name: i for i, name in enumerate(feature_order)}
    X = np.asarray(X, dtype=F32)

    def step(node: dict[str, Any], rows: np.ndarray) -> Any:
        if "leaf" in node:
            return F32(node["leaf"])
        yes, no = node["children"]
        assert yes["nodeid"] == node["yes"] and no["nodeid"] == node["no"]
        x = X[rows, col[node["split"]]]
        with np.errstate(invalid="ignore"):
            left = np.where(np.isnan(x), node["missing"] == node["yes"],
                            F32(node["split_condition"]) > x)
        return yes, no, left

    trees = [(tree, F32(1)) for tree in json.loads(definition)]
    return _float32_sums(trees, X.shape[0], F32, step)


# --------------------------------------------------------------------------------- RankLib
def score_ranklib(text: str, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith("##"))
    root = ET.fromstring(body)
    X = np.asarray(X, dtype=F32)

    def step(split: ET.Element, rows: np.ndarray) -> Any:
        output = split.find("output")
        if output is not None:
            return F32(output.text.strip())
        fid = int(split.find("feature").text.strip())
        threshold = F32(split.find("threshold").text.strip())
        children = {s.get("pos"): s for s in split.findall("split")}
        with np.errstate(invalid="ignore"):
            left = X[rows, fid - 1] <= threshold
        return children["left"], children["right"], left

    trees = [(tree.find("split"), F32(tree.get("weight"))) for tree in root.findall("tree")]
    return _float32_sums(trees, X.shape[0], F32, step)


# ------------------------------------------------------------------------------------ Solr
SOLR_SLACK = F32(1e-6)


def score_solr(model: dict[str, Any], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    col = {feature["name"]: i for i, feature in enumerate(model["features"])}
    X = np.asarray(X, dtype=F32)

    def step(node: dict[str, Any], rows: np.ndarray) -> Any:
        if "feature" not in node:
            return F32(node["value"])
        assert isinstance(node["threshold"], str) and isinstance(node.get("left"), dict)
        threshold = F32(F32(node["threshold"]) + SOLR_SLACK)
        with np.errstate(invalid="ignore"):
            left = X[rows, col[node["feature"]]] <= threshold
        return node["left"], node["right"], left

    trees = [(tree["root"], F32(tree["weight"])) for tree in model["params"]["trees"]]
    return _float32_sums(trees, X.shape[0], F32, step)


# ----------------------------------------------------------------------------------- Vespa
def score_vespa(trees: list[dict[str, Any]], feature_order: list[str], X: np.ndarray
                ) -> np.ndarray:
    col = {name: i for i, name in enumerate(feature_order)}
    X = np.asarray(X, dtype=np.float64)

    def step(node: dict[str, Any], rows: np.ndarray) -> Any:
        if "leaf" in node:
            return float(node["leaf"])
        by_id = {child["nodeid"]: child for child in node["children"]}
        t = float(F32(node["split_condition"]))
        x = X[rows, col[node["split"]]]
        with np.errstate(invalid="ignore"):
            yes = ~(x >= t) if node["missing"] == node["yes"] else x < t
        return by_id[node["yes"]], by_id[node["no"]], yes

    total = np.zeros(X.shape[0])
    for tree in trees:
        leaf = np.empty(X.shape[0])
        _route(tree, np.arange(X.shape[0]), leaf, step)
        total += leaf
    return total


# ---------------------------------------------------------------------- the rules themselves
def test_es_rule_is_strict_less_than_with_missing_branch():
    tree = {"nodeid": 0, "depth": 0, "split": "a", "split_condition": 0.5, "yes": 1, "no": 2,
            "missing": 2, "children": [{"nodeid": 1, "leaf": 1.0}, {"nodeid": 2, "leaf": 2.0}]}
    X = np.array([[0.25], [0.5], [np.nan]], dtype=F32)
    scores, _ = score_es_xgboost(json.dumps([tree]), ["a"], X)
    assert scores.tolist() == [1.0, 2.0, 2.0]


def test_solr_rule_adds_its_slack_before_comparing():
    model = {"features": [{"name": "a"}], "params": {"trees": [{"weight": "1", "root": {
        "feature": "a", "threshold": "0.5", "left": {"value": "1"}, "right": {"value": "2"}}}]}}
    just_above = float(F32(0.5) + F32(5e-7))
    scores, _ = score_solr(model, np.array([[0.5], [just_above], [0.5000011]]))
    assert scores.tolist() == [1.0, 1.0, 2.0]


def test_ranklib_rule_is_less_or_equal_and_nan_goes_right():
    text = ("## LambdaMART\n<ensemble>\n<tree id=\"1\" weight=\"0.5\">\n<split>\n"
            "<feature> 1 </feature>\n<threshold> 0.5 </threshold>\n"
            "<split pos=\"left\">\n<output> 2.0 </output>\n</split>\n"
            "<split pos=\"right\">\n<output> 4.0 </output>\n</split>\n</split>\n</tree>\n"
            "</ensemble>\n")
    scores, _ = score_ranklib(text, np.array([[0.5], [0.6], [np.nan]]))
    assert scores.tolist() == [1.0, 2.0, 2.0]


def test_vespa_rule_sends_nan_to_yes_only_when_missing_is_yes():
    def tree(missing: int) -> dict[str, Any]:
        return {"nodeid": 0, "split": "a", "split_condition": 0.5, "yes": 1, "no": 2,
                "missing": missing, "children": [{"nodeid": 1, "leaf": 1.0},
                                                 {"nodeid": 2, "leaf": 2.0}]}

    X = np.array([[np.nan], [0.5]])
    assert score_vespa([tree(1)], ["a"], X).tolist() == [1.0, 2.0]
    assert score_vespa([tree(2)], ["a"], X).tolist() == [2.0, 2.0]
