"""Export fitted rankers to serving formats: ONNX, Elasticsearch/OpenSearch LTR (xgboost+json,
ranklib), Solr LTR, Vespa, and trimmed native files.

``export_model(model, path, format, feature_names=None, **options)`` writes the files and
returns an `ExportResult`; `EXPORT_FORMATS` lists the formats and the families each accepts.
``onnx`` needs the optional ``onnx`` package (``pip install 'boostrank[export]'``).
"""

from __future__ import annotations

from ..lazy import lazy_facade

_PUBLIC = {
    "export_model": ".api:export_model",
    "EXPORT_FORMATS": ".api:EXPORT_FORMATS",
    "formats_for": ".api:formats_for",
    "model_family": ".api:model_family",
    "tree_ensemble": ".api:tree_ensemble",
    "ExportResult": ".common:ExportResult",
    "ExportError": ".errors:ExportError",
    "TreeEnsemble": ".trees:TreeEnsemble",
    "to_strict": ".strict:to_strict",
    "preprocessed_scorer": ".onnx_neural:preprocessed_scorer",
    "load_torch_scorer": ".onnx_neural:load_torch_scorer",
}

__all__, __getattr__, __dir__ = lazy_facade(__name__, _PUBLIC)
