"""Native formats trimmed to what ``predict`` uses: ``lightgbm`` text, ``xgboost`` JSON/UBJ.

The LightGBM text holds only the best iteration's trees; the XGBoost booster already holds only
the kept rounds. Both carry the exported feature names (checked against each library's rules
by loading the written model back).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .common import ExportResult
from .errors import ExportError
from .names import check_names

_LIGHTGBM_BAD = re.compile(r'[\s",:\[\]{}]')
_XGBOOST_BAD = re.compile(r"[\[\]<\s,]")


def export_lightgbm(model: Any, names: list[str], path: Path
                    ) -> tuple[dict[Path, bytes], ExportResult]:
    """``model_to_string(num_iteration=best_iteration_)`` with the exported feature names."""
    import lightgbm as lgb

    check_names(names, "LightGBM", lambda n: not _LIGHTGBM_BAD.search(n),
                "LightGBM feature names cannot hold spaces or the characters \" , : [ ] { }")
    text = model.booster_.model_to_string(num_iteration=model.best_iteration_)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("feature_names="):
            lines[i] = "feature_names=" + " ".join(names)
            break
    text = "\n".join(lines)
    booster = lgb.Booster(model_str=text)
    if booster.feature_name() != names:
        raise ExportError("LightGBM did not read the feature names back unchanged; pass "
                          "feature_names= with plain names")
    return {path: text.encode()}, ExportResult(
        "lightgbm", {"model": path}, names, booster.num_trees(),
        "LightGBM's own model text: lightgbm.Booster(model_file=path).predict(X) == predict(X)")


def export_xgboost(model: Any, names: list[str], path: Path, *, xgboost_format: str | None = None
                   ) -> tuple[dict[Path, bytes], ExportResult]:
    """The booster as JSON (``.json``) or UBJSON (``.ubj``) with the exported feature names."""
    fmt = xgboost_format or ("ubj" if path.suffix.lower() == ".ubj" else "json")
    if fmt not in ("json", "ubj"):
        raise ExportError(f"xgboost_format must be 'json' or 'ubj', got {fmt!r}")
    check_names(names, "XGBoost", lambda n: not _XGBOOST_BAD.search(n),
                "XGBoost feature names cannot hold spaces, commas or the characters [ ] <")
    booster = model.booster_.copy()
    booster.feature_names = list(names)
    content = bytes(booster.save_raw(fmt))
    return {path: content}, ExportResult(
        "xgboost", {"model": path}, names, int(booster.num_boosted_rounds()),
        f"XGBoost's own {fmt.upper()} model: xgboost.Booster(model_file=path) predicts as "
        "predict(X)", {"xgboost_format": fmt})
