"""The boostrank model file: one zip holding ``meta.json`` plus the backend's native files.

``meta.json`` keys: ``format`` (``"boostrank-model"``), ``version``, ``class`` (the estimator
class as ``"module:QualName"``; only boostrank's registered classes are ever resolved from it,
see `boostrank.registry.resolve_class_path`), ``model`` (the class's short registry name, or
null; preferred over ``class`` when registered), ``params`` (constructor parameters, see
`jsonable_params`), ``n_features_in``, ``feature_names_in``, ``boostrank_version`` and
``extra`` (what the estimator needs to restore its fitted state).

Every problem with a file is a `ModelFileError` (a ``ValueError``) naming the file and what is
wrong, so that the command line prints it as one line.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MODEL_FORMAT", "MODEL_FORMAT_VERSION", "ModelFileError", "jsonable_params",
    "params_from_json", "write_model_file", "read_model_file", "require_key", "require_member",
]

MODEL_FORMAT = "boostrank-model"
MODEL_FORMAT_VERSION = 1
#: keys every ``meta.json`` must hold
REQUIRED_KEYS = ("format", "version", "class", "params", "n_features_in")
#: largest ``meta.json`` read (a model's metadata is a few kB; this bounds a crafted file)
MAX_META_BYTES = 64 * 2**20


class ModelFileError(ValueError):
    """A model file that cannot be loaded: its message names the file and the problem."""


def jsonable_params(value: Any) -> Any:
    """Estimator parameters -> JSON-compatible values (inverse: `params_from_json`).

    Tuples become ``{"__tuple__": [...]}`` so that they load back as tuples; NumPy scalars and
    arrays become Python numbers and lists. Anything else raises ``TypeError``.
    """
    if isinstance(value, dict):
        return {str(k): jsonable_params(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [jsonable_params(v) for v in value]}
    if isinstance(value, list):
        return [jsonable_params(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save parameter value {value!r} of type {type(value).__name__}")


def params_from_json(value: Any) -> Any:
    """The inverse of `jsonable_params` (tagged tuples come back as tuples)."""
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(params_from_json(v) for v in value["__tuple__"])
        return {k: params_from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [params_from_json(v) for v in value]
    return value


def write_model_file(path: str | os.PathLike, meta: dict[str, Any],
                     files: dict[str, bytes]) -> Path:
    """Write ``meta`` (as ``meta.json``) and the native ``files`` into the zip ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta, indent=1))
        for name, content in files.items():
            archive.writestr(name, content)
    return path


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Read a model file: ``(meta, files)`` with every required key checked.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ModelFileError
        When it is not a boostrank model file (not a zip, no or bad ``meta.json``, a missing
        key, another format or version).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a boostrank model file")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "meta.json" not in names:
                raise ModelFileError(f"{path} is not a boostrank model file (no meta.json)")
            if archive.getinfo("meta.json").file_size > MAX_META_BYTES:
                raise ModelFileError(f"{path}: meta.json is larger than {MAX_META_BYTES} bytes")
            raw_meta = archive.read("meta.json")
            files = {n: archive.read(n) for n in names if n != "meta.json"}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ModelFileError(f"{path} is not a boostrank model file ({exc})") from None
    try:
        meta = json.loads(raw_meta)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: meta.json is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: meta.json must hold a JSON object")
    for key in REQUIRED_KEYS:
        require_key(meta, key, path)
    if meta["format"] != MODEL_FORMAT:
        raise ModelFileError(f"{path} is not a boostrank model file (format "
                             f"{meta['format']!r}, expected {MODEL_FORMAT!r})")
    if meta["version"] != MODEL_FORMAT_VERSION:
        raise ModelFileError(f"{path}: model file version {meta['version']!r} is not "
                             f"supported (this boostrank reads version {MODEL_FORMAT_VERSION})")
    return meta, files


def require_key(mapping: dict[str, Any], key: str, path: Any, where: str = "meta.json") -> Any:
    """``mapping[key]``, or a `ModelFileError` naming the file, ``where`` and the key."""
    if key not in mapping:
        raise ModelFileError(f"{path}: {where} has no {key!r} key (the file is damaged or was "
                             "not written by boostrank)")
    return mapping[key]


def require_member(files: dict[str, bytes], name: str, what: str = "") -> bytes:
    """The content of member ``name`` of a model file, or a `ModelFileError` naming it.

    For an estimator's ``_restore_payload(files, meta)``: `BaseRanker.load` adds the file's
    path to the message. ``what`` says what the member holds (``"LightGBM model"``).
    """
    if name not in files:
        raise ModelFileError(f"the model file has no {name}" + (f" ({what})" if what else ""))
    return files[name]
