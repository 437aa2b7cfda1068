"""The binary cache of a `RankingData`: a folder with one ``.npy`` per array and ``meta.json``.

Nothing in a cache is executed or imported: arrays are read with ``allow_pickle=False`` and
``meta.json`` is plain JSON; a truncated or inconsistent cache is a `DataFormatError` naming
the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .errors import DataFormatError

if TYPE_CHECKING:
    from .ranking_data import RankingData

__all__ = ["CACHE_FORMAT", "CACHE_VERSION", "save_cache", "load_cache"]

CACHE_FORMAT = "boostrank-cache"
CACHE_VERSION = 1
#: optional per-row columns stored in a cache (each its own ``<name>.npy``)
_ROW_COLUMNS = ("docid", "comment", "source_row", "position")


def save_cache(data: RankingData, path: str | os.PathLike) -> Path:
    """Write ``data`` to the cache folder ``path`` (created if needed); return the path."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "y": data.y, "qid": data.qid, "group_offsets": data.group_offsets,
    }
    if data.is_sparse:
        X = data.X
        X.sort_indices()
        arrays.update(X_data=X.data, X_indices=X.indices, X_indptr=X.indptr)
    else:
        arrays["X"] = np.ascontiguousarray(data.X)
    for name in _ROW_COLUMNS:
        value = getattr(data, name)
        if value is not None:
            arrays[name] = value.astype(str) if value.dtype == object else value
    for name, array in arrays.items():
        np.save(path / f"{name}.npy", array, allow_pickle=False)
    meta = {
        "format": CACHE_FORMAT,
        "version": CACHE_VERSION,
        "sparse": data.is_sparse,
        "shape": list(data.X.shape),
        "feature_names": data.feature_names,
        "source": data.source,
        "arrays": sorted(arrays),
    }
    (path / "meta.json").write_text(json.dumps(meta, indent=1))
    return path


def _read_meta(path: Path) -> dict[str, Any]:
    meta_path = path / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{path} is not a boostrank cache (no meta.json)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(meta_path, None, f"not valid JSON ({exc}); write the cache "
                              "again") from None
    if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT \
            or meta.get("version") != CACHE_VERSION:
        found = meta.get("format") if isinstance(meta, dict) else None
        version = meta.get("version") if isinstance(meta, dict) else None
        raise DataFormatError(path, None, f"unsupported cache format {found!r} version "
                              f"{version!r} (expected {CACHE_FORMAT!r} {CACHE_VERSION})")
    names = meta.get("arrays")
    if not isinstance(names, list) or not all(isinstance(n, str) and n.isidentifier()
                                              for n in names):
        raise DataFormatError(meta_path, None, "'arrays' must list array names")
    return meta


def _read_array(path: Path, name: str, mmap: bool) -> np.ndarray:
    file = path / f"{name}.npy"
    try:
        return np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise DataFormatError(file, None, "missing: the cache is incomplete; write it "
                              "again") from None
    except (ValueError, EOFError, OSError) as exc:
        raise DataFormatError(file, None, f"corrupt or truncated cache array ({exc}); write "
                              "the cache again") from None


def load_cache(path: str | os.PathLike, *, mmap: bool = True) -> RankingData:
    """Load a cache written by `save_cache`; arrays are memory-mapped read-only when ``mmap``.

    Raises FileNotFoundError when ``path`` has no ``meta.json``, `DataFormatError` naming the
    file for an unsupported, truncated, corrupt or inconsistent cache.
    """
    from .ranking_data import RankingData

    path = Path(path)
    meta = _read_meta(path)
    arrays = {name: _read_array(path, name, mmap) for name in meta["arrays"]}
    try:
        if meta.get("sparse"):
            X = sp.csr_matrix((arrays["X_data"], arrays["X_indices"], arrays["X_indptr"]),
                              shape=tuple(meta["shape"]))
        else:
            X = arrays["X"]
        return RankingData(
            X, arrays["y"], arrays["qid"], group_offsets=arrays["group_offsets"],
            feature_names=meta.get("feature_names"), source=meta.get("source"),
            **{name: arrays.get(name) for name in _ROW_COLUMNS},
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise DataFormatError(path, None, f"inconsistent cache ({exc}); write it "
                              "again") from None
