"""``vespa``: XGBoost JSON for Vespa's ``xgboost(...)`` rank feature, and a rank profile.

Vespa's importer rounds each ``split_condition`` to float32, compares the (double) feature with
``<``, turns a split whose ``missing`` branch is ``yes`` into ``!(f >= t)`` (NaN goes yes) and
adds the leaves in double precision; it does not add a base score. Every model (LightGBM too)
is written in the strict float32 form with the base score folded into the first tree, so
Vespa follows predict's tree paths for every float32 feature value and NaN.
"""

from __future__ import annotations

import json
from pathlib import Path

from .common import ExportResult, require_plain_trees
from .files import companion
from .names import VESPA_FEATURE, check_names
from .trees import TreeEnsemble
from .xgboost_json import xgboost_dump_trees


def export_vespa(ensemble: TreeEnsemble, names: list[str], path: Path, *,
                 rank_profile: str | None = None) -> tuple[dict[Path, bytes], ExportResult]:
    """Model JSON at ``path`` (put it in the application package's ``models/``) and a
    ``.rank-profile.sd`` snippet using it."""
    require_plain_trees(ensemble, "Vespa's xgboost() feature")
    check_names(names, "Vespa", lambda n: bool(VESPA_FEATURE.match(n)),
                "each split must name a rank feature such as attribute(price), query(q) or "
                "fieldMatch(title).completeness")
    trees = xgboost_dump_trees(ensemble, names, float32_leaves=ensemble.source == "xgboost")
    profile = rank_profile or path.stem.replace("-", "_")
    snippet = (f"rank-profile {profile} inherits default {{\n"
               f"    first-phase {{\n"
               f"        expression: xgboost(\"{path.name}\")\n"
               f"    }}\n}}\n")
    paths = {"model": path, "rank_profile": companion(path, ".rank-profile.sd")}
    files = {paths["model"]: json.dumps(trees).encode(), paths["rank_profile"]: snippet.encode()}
    return files, ExportResult(
        "vespa", paths, names, len(trees),
        "same tree paths as predict for every float32 feature value and NaN; Vespa adds the "
        "leaves in double precision (leaf values of a LightGBM model are written as doubles)",
        {"upload": f"copy the model file to models/{path.name} of the application package"})
