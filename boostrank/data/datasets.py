"""Public learning-to-rank datasets: `fetch_dataset` downloads, verifies and unpacks one.

The jobs live in their own modules: the registry (`boostrank.data.registry`), the
resumable download, mirrors and checksums (`boostrank.data.download`) and archive unpacking
(`boostrank.data.archives`); this module ties them together and re-exports their names.

``DATASETS`` describes MQ2007, MQ2008 (LETOR 4.0), MSLR-WEB10K, MSLR-WEB30K and Istella-S:
where the publisher serves them, the archive format, the file layout, their size and
(where one has been published) the archive's SHA-256. `fetch_dataset` downloads one with a
progress bar, resumes an interrupted download with an HTTP ``Range`` request, verifies size
and checksum, unpacks it and records completion in a marker file, so a second call returns
at once without touching the network::

    from boostrank.data import fetch_dataset, load_letor_fold
    root = fetch_dataset("MSLR-WEB10K", "~/ltr-data")
    train, vali, test = load_letor_fold(root, fold=1)

Archive formats. Zip and tar (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``) are
unpacked with the standard library. LETOR 4.0 (MQ2007, MQ2008) is officially published only as
RAR, which Python cannot unpack by itself: `fetch_dataset` then runs the first external tool it
finds among ``unrar``, ``7z``/``7za``, ``bsdtar`` and ``unar``, and otherwise stops with an
error that says so (the downloaded archive is kept). Alternatively point ``mirror=`` (or the
``BOOSTRANK_DATASETS_MIRROR`` environment variable) at a copy repacked as zip or tar.gz. The
archive type is recognized from its first bytes, not its name.

Mirrors. ``mirror`` may be

- a base URL: the archive is fetched from ``<mirror>/<Dataset.filename>``;
- a URL template with ``{name}`` and/or ``{filename}`` (``https://host/ltr/{name}.zip``);
- a full URL of the archive itself (its path ends with an archive extension);
- a local folder (or ``file://`` URL), used like a base URL.

Registered checksums and sizes belong to the official archive; they are checked whenever the
archive comes from the official URL or under its official file name (a faithful mirror). A
repacked archive under another name cannot match them; pass ``sha256=`` to check it anyway.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from .archives import RAR_TOOLS, archive_kind, unpack_archive
from .download import (
    MIRROR_ENV,
    USER_AGENT,
    ChecksumError,
    DownloadError,
    archive_name,
    download,
    resolve_url,
    sha256_of,
    verify_file,
)
from .registry import DATASETS, Dataset, get_dataset

MARKER_NAME = ".boostrank-dataset.json"
_RAR_HINT = (" and run fetch_dataset again (the archive is kept), or fetch a zip/tar.gz copy "
             f"with mirror=... or ${MIRROR_ENV}")


def _letor_root_in(folder: Path, dataset: Dataset) -> Path:
    """The LETOR root inside the unpacked ``folder`` (registry hint first, then a search)."""
    from .letor import find_letor_root

    hinted = folder / dataset.root if dataset.root else folder
    if all((hinted / f).is_file() for f in dataset.files):
        return hinted
    found = find_letor_root(folder)
    return found if found is not None else hinted


def _hoist_single_folder(folder: Path) -> None:
    """If ``folder`` holds exactly one sub-folder and nothing else, move its contents up
    (``MQ2008.rar`` holds ``MQ2008/Fold1...``: this gives ``dest/MQ2008/Fold1``)."""
    entries = [e for e in folder.iterdir() if e.name != "__MACOSX"]
    if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
        return
    inner = entries[0]
    temporary = folder / (".hoist-" + inner.name)
    inner.rename(temporary)
    for child in temporary.iterdir():
        child.rename(folder / child.name)
    temporary.rmdir()


def _missing_files(root: Path, dataset: Dataset) -> list[str]:
    missing = []
    for rel in dataset.files:
        base = root / rel
        candidates = [base] + [base.with_name(base.name + s) for s in (".gz", ".bz2", ".xz")]
        if not any(c.is_file() for c in candidates):
            missing.append(rel)
    return missing


def _completed_root(out_dir: Path, dataset: Dataset) -> Path | None:
    """The root recorded by an earlier complete fetch, when its files are all there."""
    marker = out_dir / MARKER_NAME
    if not marker.is_file():
        return None
    try:
        info = json.loads(marker.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # a damaged marker: fetch again
    root = out_dir / str(info.get("root", ""))
    return None if _missing_files(root, dataset) else root


def _unpack_into(archive: Path, url: str, actual_sha: str, dataset: Dataset,
                 out_dir: Path) -> Path:
    """Unpack in a staging folder, check the layout, write the marker, move it in place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{dataset.name}.", dir=out_dir.parent))
    try:
        unpack_archive(archive, staging, rar_hint=_RAR_HINT)
        _hoist_single_folder(staging)
        root = _letor_root_in(staging, dataset)
        missing = _missing_files(root, dataset)
        if missing:
            raise FileNotFoundError(
                f"{archive} (from {url}) does not hold the expected {dataset.name} layout: "
                f"missing {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}"
            )
        relative_root = root.relative_to(staging).as_posix() if root != staging else ""
        info = {
            "name": dataset.name, "url": url, "archive": archive.name, "sha256": actual_sha,
            "size": archive.stat().st_size, "root": relative_root,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staging / MARKER_NAME).write_text(json.dumps(info, indent=1))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir / relative_root


def fetch_dataset(
    name: str | Dataset,
    dest: str | os.PathLike,
    mirror: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    force: bool = False,
    sha256: str | None = None,
    keep_archive: bool = True,
    retries: int = 3,
    timeout: float = 60.0,
) -> Path:
    """Download, verify and unpack a public dataset; return its LETOR root folder.

    Parameters
    ----------
    name : a key of `DATASETS` (``"MQ2008"``, ``"MSLR-WEB10K"``, ...; case-insensitive) or
        a `Dataset`.
    dest : folder for the archive (``dest/<archive name>``) and the unpacked data
        (``dest/<name>/``); created if needed.
    mirror : where to download from instead of the official URL (base URL, URL template with
        ``{name}``/``{filename}``, full archive URL or local folder); default
        ``$BOOSTRANK_DATASETS_MIRROR``, else the official URL.
    progress : show a tqdm progress bar while downloading.
    force : download and unpack again even when a previous fetch completed (a kept archive
        is deleted and downloaded anew).
    sha256 : expected SHA-256 of the archive, overriding the registry (needed to verify a
        repacked mirror copy). When None the registered checksum is used where it applies.
    keep_archive : keep the archive in ``dest`` after unpacking. If the marker is lost, a later
        call re-unpacks a kept archive (after verifying it) instead of downloading again.
    retries, timeout : network retries when a connection drops (each resumes where the last
        stopped) and the socket timeout in seconds.

    Returns
    -------
    Path of the folder holding ``Fold1..FoldN`` (or the flat ``train/vali/test`` files), ready
    for `boostrank.data.load_letor_fold` and `boostrank.data.letor.resolve_letor_fold`.

    Idempotent: a marker file ``dest/<name>/.boostrank-dataset.json`` records a completed
    fetch; later calls return at once without network access. An interrupted download leaves
    ``dest/<archive name>.part`` and the next call resumes it with an HTTP Range request.

    Raises
    ------
    ChecksumError when size or SHA-256 differ (the bad archive is deleted so a retry starts
    clean); DownloadError on HTTP/network failure; RuntimeError when a RAR archive cannot be
    unpacked for lack of a tool; FileNotFoundError when the archive lacks expected files.
    """
    dataset = get_dataset(name)
    if sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
        raise ValueError(f"sha256 must be 64 hexadecimal digits, got {sha256!r}")
    dest = Path(dest).expanduser()
    out_dir = dest / dataset.name
    done = None if force else _completed_root(out_dir, dataset)
    if done is not None:
        return done
    url, registered_applies = resolve_url(dataset, mirror)
    expected_sha = sha256 or (dataset.sha256 if registered_applies else None)
    expected_size = dataset.size if registered_applies and sha256 is None else None
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / archive_name(dataset, url)
    if archive.exists() and force:
        archive.unlink()
    if not archive.exists():
        download(url, archive, expected_size=expected_size, progress=progress,
                 retries=retries, timeout=timeout)
    try:
        actual_sha = verify_file(archive, size=expected_size, sha256=expected_sha)
    except ChecksumError as exc:
        archive.unlink()
        raise ChecksumError(f"{exc} (downloaded from {url}; the file was deleted)") from None
    root = _unpack_into(archive, url, actual_sha, dataset, out_dir)
    if not keep_archive:
        archive.unlink()
    return root


__all__ = [
    "Dataset",
    "DATASETS",
    "ChecksumError",
    "DownloadError",
    "MIRROR_ENV",
    "MARKER_NAME",
    "RAR_TOOLS",
    "USER_AGENT",
    "archive_kind",
    "archive_name",
    "download",
    "fetch_dataset",
    "get_dataset",
    "resolve_url",
    "sha256_of",
    "unpack_archive",
    "verify_file",
]
