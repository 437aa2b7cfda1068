"""All-or-nothing writing of the exported files: temporary files, then renames."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_files(files: dict[Path, bytes]) -> None:
    """Write every ``path -> content``; on any failure no target path is created or changed.

    Each file goes to a temporary name in its own folder first; the renames happen only once
    all of them are written (a rename within one folder is atomic).
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((Path(temp), path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        for temp, path in temps:
            os.replace(temp, path)
    finally:
        for temp, _ in temps:
            if temp.exists():
                temp.unlink()


def companion(path: Path, suffix: str) -> Path:
    """``model.json`` + ``.featureset.json`` -> ``model.featureset.json`` (same folder)."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(stem + suffix)
