"""Request bodies of the Elasticsearch / OpenSearch Learning-to-Rank plugin (o19s).

``POST _ltr/_featureset/<featureset>`` creates the feature set (the features in model order);
``POST _ltr/_featureset/<featureset>/_createmodel`` uploads the model against it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import ExportResult, check_templates
from .files import companion
from .trees import TreeEnsemble


@dataclass
class PluginModel:
    """A model for the plugin, before its files are written.

    ``format``: the export format name; ``model_type``: the plugin's model type (e.g.
    ``"model/ranklib"``); ``definition``: the text uploaded as the model definition;
    ``n_trees``; ``exactness`` and ``details`` as in `ExportResult`.
    """

    format: str
    model_type: str
    definition: str
    n_trees: int
    exactness: str
    details: dict[str, Any] = field(default_factory=dict)


def featureset_body(featureset: str, names: list[str],
                    templates: Mapping[str, Any] | None = None,
                    params: Sequence[str] = ("keywords",)) -> dict[str, Any]:
    """The feature-set request body; ``templates`` maps a feature name to its query template.

    A feature without a template gets ``{"match": {<name>: "{{keywords}}"}}``: a match query
    on the field of that name (replace it by the query that logged the feature at training).
    """
    templates = check_templates(templates, names)
    features = []
    for name in names:
        template = templates.get(name, {"match": {name: "{{" + str(params[0]) + "}}"}}
                                 if params else {"match_all": {}})
        features.append({"name": name, "params": list(params),
                         "template_language": "mustache", "template": template})
    return {"featureset": {"name": featureset, "features": features}}


def createmodel_body(model_name: str, model_type: str, definition: Any) -> dict[str, Any]:
    """The ``_createmodel`` body; ``definition`` is sent as a string (the plugin parses it)."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return {"model": {"name": model_name, "model": {"type": model_type, "definition": text}}}


def upload_notes(featureset: str) -> str:
    return (f"create the feature set: POST _ltr/_featureset/{featureset} with the "
            f".featureset.json body; upload the model: POST _ltr/_featureset/{featureset}/"
            "_createmodel with the .createmodel.json body")


def plugin_files(path: Path, names: list[str], model_type: str, definition: str, *,
                 model_name: str | None, featureset: str | None,
                 feature_templates: Mapping[str, Any] | None, feature_params: Sequence[str]
                 ) -> tuple[dict[str, Path], dict[Path, bytes], str]:
    """The three files of an LTR plugin export: the model ``definition`` at ``path``, the
    feature-set body and the ``_createmodel`` body next to it.

    ``model_name`` defaults to the file stem, ``featureset`` to ``<model_name>_features``.
    Returns ``(role -> path, path -> content, featureset name)``.
    """
    model_name = model_name or path.stem
    featureset = featureset or f"{model_name}_features"
    paths = {"model": path, "featureset": companion(path, ".featureset.json"),
             "createmodel": companion(path, ".createmodel.json")}
    files = {
        paths["model"]: definition.encode(),
        paths["featureset"]: json.dumps(featureset_body(
            featureset, names, feature_templates, feature_params), indent=1).encode(),
        paths["createmodel"]: json.dumps(createmodel_body(
            model_name, model_type, definition)).encode(),
    }
    return paths, files, featureset


def export_for_plugin(build: Callable[[TreeEnsemble, list[str]], PluginModel],
                      ensemble: TreeEnsemble, names: list[str], path: Path, *,
                      model_name: str | None = None, featureset: str | None = None,
                      feature_templates: dict[str, Any] | None = None,
                      feature_params: tuple[str, ...] = ("keywords",)
                      ) -> tuple[dict[Path, bytes], ExportResult]:
    """The model ``build(ensemble, names)`` at ``path`` plus the plugin's feature-set and
    ``_createmodel`` bodies (see `plugin_files` for the options)."""
    model = build(ensemble, names)
    paths, files, featureset = plugin_files(
        path, names, model.model_type, model.definition, model_name=model_name,
        featureset=featureset, feature_templates=feature_templates,
        feature_params=feature_params)
    return files, ExportResult(model.format, paths, names, model.n_trees, model.exactness,
                               {**model.details, "upload": upload_notes(featureset)})
