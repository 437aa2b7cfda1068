"""Convert any `TreeEnsemble` to the strict float32 rule ``x < t`` with a NaN-only missing side.

Search engines and ONNX runtimes compare float32 features with float32 thresholds and know one
missing value (NaN). LightGBM compares ``x <= t`` in double precision and has three missing
types. For a float32 feature value ``x`` (every value such an engine can hold) the conversion is
exact:

- ``x <= t``  is  ``x < t'`` with ``t'`` the smallest float32 above ``t`` (`strict_threshold`);
- missing type ``nan``: NaN takes ``default_left``, as in LightGBM;
- missing type ``none``: LightGBM reads NaN as 0.0, so NaN takes the side of 0.0;
- LightGBM's predictor reads every ``|x| <= 1e-35`` as 0.0; with missing type ``zero`` that
  band takes ``default_left``. Where the band's side differs from what ``x <= t`` gives its
  neighbours, the split becomes a small chain of strict splits (the band, then the threshold)
  whose ends are copies of the original children.

XGBoost models already follow the strict rule; they pass through unchanged.
"""

from __future__ import annotations

import numpy as np

from .trees import (
    LIGHTGBM_ZERO_THRESHOLD,
    MISSING_NAN,
    MISSING_NONE,
    MISSING_ZERO,
    Tree,
    TreeEnsemble,
    tree_from_rows,
)

_INF32 = np.float32(np.inf)


def strict_threshold(t: float) -> float:
    """The smallest float32 strictly above ``t``: for float32 ``x``, ``x <= t`` iff ``x < t'``."""
    f = np.float32(t)
    if np.isinf(f) and f > 0:
        return float(f)
    if float(f) <= t:
        f = np.nextafter(f, _INF32)
    return float(f)


def to_strict(ensemble: TreeEnsemble) -> TreeEnsemble:
    """The same model under the strict float32 ``<`` rule (exact for float32 features)."""
    if ensemble.decision == "<":
        return ensemble
    trees = [_strict_tree(tree) for tree in ensemble.trees]
    info = dict(ensemble.info, converted_from="<=")
    return TreeEnsemble(trees, "<", ensemble.base_score, ensemble.n_features,
                        list(ensemble.feature_names), ensemble.source, info)


def _strict_tree(tree: Tree) -> Tree:
    rows: list[list[object]] = []

    def new_row() -> int:
        rows.append([-1, 0.0, -1, -1, False, MISSING_NAN, 0.0])
        return len(rows) - 1

    def copy(node: int) -> int:
        index = new_row()
        if tree.left[node] < 0:
            rows[index][6] = float(tree.value[node])
            return index
        feature, t = int(tree.feature[node]), float(tree.threshold[node])
        kind, default_left = int(tree.missing[node]), bool(tree.missing_left[node])
        pieces = _intervals(t, kind, default_left)
        if len(pieces) == 1:  # the split never separates anything: keep the one side
            rows.pop()
            return copy(int(tree.left[node] if pieces[0][1] else tree.right[node]))
        nan_left = default_left if kind != MISSING_NONE else 0.0 <= t
        _chain(index, feature, pieces, nan_left, int(tree.left[node]), int(tree.right[node]))
        return index

    def _chain(index: int, feature: int, pieces: list[tuple[float, bool]], nan_left: bool,
               left_child: int, right_child: int) -> None:
        # pieces: [(upper cut, goes_left), ..., (inf, goes_left)] alternating sides
        cut, side = pieces[0]
        rest = pieces[1:]
        rows[index][0], rows[index][1] = feature, cut
        first = copy(left_child if side else right_child)
        if len(rest) == 1:
            second = copy(left_child if rest[0][1] else right_child)
        else:
            second = new_row()
            _chain(second, feature, rest, nan_left, left_child, right_child)
        rows[index][2], rows[index][3] = first, second
        rows[index][4] = side == nan_left

    copy(0)
    return tree_from_rows(rows)


def _intervals(t: float, kind: int, default_left: bool) -> list[tuple[float, bool]]:
    """The float32 line cut into alternating sides: [(upper cut, goes_left), ...].

    Each piece holds the float32 values ``x`` with ``previous cut <= x < cut``; the last cut is
    +inf.
    """
    zero = LIGHTGBM_ZERO_THRESHOLD
    cuts = sorted(c for c in {strict_threshold(t), -zero, strict_threshold(zero)}
                  if np.isfinite(c))

    def side(x: float) -> bool:
        if -zero <= x <= zero:  # LightGBM's predictor reads these as 0.0
            return default_left if kind == MISSING_ZERO else 0.0 <= t
        return x <= t

    points = [float(np.nextafter(np.float32(cuts[0]), -_INF32))] + cuts if cuts else [0.0]
    uppers = cuts + [float("inf")]
    pieces: list[tuple[float, bool]] = []
    for x, upper in zip(points, uppers, strict=True):
        goes_left = side(x)
        if pieces and pieces[-1][1] == goes_left:
            pieces[-1] = (upper, goes_left)
        else:
            pieces.append((upper, goes_left))
    return pieces
