"""Checksums of the input files of a comparison, so that a reader can tell the exact data."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

#: bytes read at a time while hashing (memory stays bounded whatever the file size)
CHUNK_BYTES = 1 << 20


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes as 64 hex digits (read in chunks of `CHUNK_BYTES`).

    Parameters
    ----------
    path : path
        A regular file (compressed files are hashed as stored).

    Returns
    -------
    str
    """
    path = Path(path)
    stat = path.stat()
    return _cached_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _cached_sha256(path: str, size: int, mtime_ns: int) -> str:
    """Hash once per (file, size, modification time): the Markdown, HTML and JSON renderings
    of one result share it."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(result: Any) -> list[dict[str, Any]]:
    """One entry per input file of the comparison (each fold's train / valid / test source).

    Parameters
    ----------
    result : ComparisonResult
        Its folds' dataset statistics name the files (``stats[split]["source"]``); a
        ``"sha256"`` recorded there when the data was loaded is used as is.

    Returns
    -------
    list of dict
        ``{"fold", "split", "path", "bytes", "sha256"}``; ``bytes`` / ``sha256`` are None when
        the file no longer exists (``"missing": True`` then) or the data did not come from
        a file (no entry at all).
    """
    entries = []
    for fold in result.folds:
        for split, stats in fold.stats.items():
            source = stats.get("source")
            if not source:
                continue
            entry: dict[str, Any] = {"fold": fold.name, "split": split, "path": str(source),
                                     "bytes": None, "sha256": stats.get("sha256")}
            path = Path(str(source))
            if path.is_file():
                entry["bytes"] = path.stat().st_size
                if entry["sha256"] is None:
                    entry["sha256"] = sha256_file(path)
            elif entry["sha256"] is None:
                entry["missing"] = True
            entries.append(entry)
    return entries
