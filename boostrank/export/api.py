"""`export_model`: write a fitted boostrank model in a serving format.

Formats (`EXPORT_FORMATS` maps each to the model families it accepts):

=================  ==========================================  =============================
format             what is written                             families
=================  ==========================================  =============================
``onnx``           ONNX graph (``ai.onnx.ml`` trees / torch)     lightgbm, xgboost, neural
``xgboost-json``   ES/OpenSearch LTR ``model/xgboost+json``      lightgbm, xgboost
``ranklib``        ES/OpenSearch LTR ``model/ranklib``           lightgbm, xgboost
``solr``           Solr ``MultipleAdditiveTreesModel``           lightgbm, xgboost
``vespa``          XGBoost JSON for Vespa's ``xgboost()``        lightgbm, xgboost
``lightgbm``       LightGBM model text (best iteration)          lightgbm
``xgboost``        XGBoost JSON / UBJ model                      xgboost
``torch``          scorer weights + fitted preprocessing         neural
=================  ==========================================  =============================
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sklearn.exceptions import NotFittedError

from .common import ExportResult
from .errors import ExportError
from .files import write_files
from .names import resolve_feature_names

#: format -> model families it accepts
EXPORT_FORMATS: dict[str, tuple[str, ...]] = {
    "onnx": ("lightgbm", "xgboost", "neural"),
    "xgboost-json": ("lightgbm", "xgboost"),
    "ranklib": ("lightgbm", "xgboost"),
    "solr": ("lightgbm", "xgboost"),
    "vespa": ("lightgbm", "xgboost"),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost",),
    "torch": ("neural",),
}


def model_family(model: Any) -> str:
    """``"lightgbm"``, ``"xgboost"`` or ``"neural"`` for a boostrank estimator."""
    from ..boosters import LightGBMLambdaMART, XGBoostLambdaMART

    if isinstance(model, LightGBMLambdaMART):
        return "lightgbm"
    if isinstance(model, XGBoostLambdaMART):
        return "xgboost"
    if any(cls.__module__.split(".")[0] == "neural" for cls in type(model).__mro__):
        return "neural"
    raise ExportError(f"cannot export a {type(model).__name__}: export_model takes a boostrank "
                      "LightGBMLambdaMART, XGBoostLambdaMART or neural ranker")


def formats_for(family: str) -> list[str]:
    """The formats a model family can be exported to."""
    return [name for name, families in EXPORT_FORMATS.items() if family in families]


def export_model(model: Any, path: str | os.PathLike, format: str, *,
                 feature_names: Mapping[str, str] | Sequence[str] | None = None,
                 **options: Any) -> ExportResult:
    """Write fitted ``model`` to ``path`` in ``format`` (plus the format's companion files).

    Parameters
    ----------
    model : a fitted LightGBMLambdaMART, XGBoostLambdaMART or neural ranker.
    path : the main output file; companions (feature set, upload body, rank profile) are
        written next to it as ``<stem>.<role>.json`` (see each format's docs).
    format : a key of `EXPORT_FORMATS`.
    feature_names : rename features for the target: a list of ``n_features_in_`` names in
        model order, or a dict ``{name: new_name}``. Default: the names the model was trained
        with (``feature_names_in_``), else ``f0, f1, ...``.
    **options : format options (``model_name``, ``featureset``, ``feature_templates``,
        ``feature_params`` for xgboost-json/ranklib; ``model_name``, ``store``,
        ``feature_templates`` for solr; ``rank_profile`` for vespa; ``xgboost_format``).

    Returns
    -------
    ExportResult
        The files written, the exported feature names and the exactness statement.

    Everything exported holds only what ``predict`` uses (the best iteration's trees, the best
    epoch's weights). Nothing is written when an error is raised: files go to temporary names
    and are renamed once all are complete.
    """
    if format not in EXPORT_FORMATS:
        raise ExportError(f"format must be one of {', '.join(EXPORT_FORMATS)}; got {format!r}")
    if not getattr(model, "__sklearn_is_fitted__", lambda: False)():
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call fit() before "
                             "exporting it")
    family = model_family(model)
    if family not in EXPORT_FORMATS[format]:
        raise ExportError(f"this {type(model).__name__} model cannot be exported to {format!r}; "
                          f"its formats are: {', '.join(formats_for(family))}")
    names = resolve_feature_names(model, feature_names)
    writer = _writer(format, family)
    _check_options(format, writer, options)
    files, result = writer(model, names, Path(path), **options)
    write_files(files)
    return result


def _writer(format: str, family: str) -> Callable[..., tuple[dict[Path, bytes], ExportResult]]:
    if family == "neural":
        from .onnx_neural import export_onnx_neural, export_torch

        return {"onnx": export_onnx_neural, "torch": export_torch}[format]
    if format in ("lightgbm", "xgboost"):
        from .native import export_lightgbm, export_xgboost

        return export_lightgbm if format == "lightgbm" else export_xgboost
    from .onnx_trees import export_onnx_trees
    from .ranklib import export_ranklib
    from .solr import export_solr
    from .vespa import export_vespa
    from .xgboost_json import export_xgboost_json

    build = {"onnx": export_onnx_trees, "xgboost-json": export_xgboost_json,
             "ranklib": export_ranklib, "solr": export_solr, "vespa": export_vespa}[format]

    def write_trees(model: Any, names: list[str], path: Path, **options: Any
                    ) -> tuple[dict[Path, bytes], ExportResult]:
        return build(tree_ensemble(model, names), names, path, **options)

    write_trees.options = _option_names(build)  # type: ignore[attr-defined]
    return write_trees


def tree_ensemble(model: Any, names: list[str] | None = None) -> Any:
    """The neutral `TreeEnsemble` of a fitted booster (only the trees predict uses)."""
    from .trees import from_lightgbm, from_xgboost

    family = model_family(model)
    names = names or resolve_feature_names(model, None)
    if family == "lightgbm":
        return from_lightgbm(model.booster_, int(model.best_iteration_), names)
    if family == "xgboost":
        return from_xgboost(model.booster_, names)
    raise ExportError(f"a {type(model).__name__} has no trees")


def _option_names(function: Callable[..., Any]) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY]


def _check_options(format: str, writer: Callable[..., Any], options: dict[str, Any]) -> None:
    allowed = getattr(writer, "options", None) or _option_names(writer)
    unknown = [key for key in options if key not in allowed]
    if unknown:
        raise ExportError(f"format {format!r} has no option {unknown[0]!r}; its options: "
                          f"{', '.join(allowed) if allowed else 'none'} (and feature_names)")
