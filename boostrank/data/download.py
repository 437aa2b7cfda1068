"""Resumable HTTP download of a dataset archive, mirror URLs and checksums.

`download` continues a partial ``<file>.part`` with an HTTP ``Range`` request and retries a
dropped connection; `resolve_url` turns a ``mirror=`` argument into the archive URL;
`verify_file` checks size and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException
from pathlib import Path
from typing import Any

from .registry import Dataset

__all__ = ["MIRROR_ENV", "USER_AGENT", "CHUNK", "ChecksumError", "DownloadError",
           "archive_name", "resolve_url", "download", "sha256_of", "verify_file"]

MIRROR_ENV = "BOOSTRANK_DATASETS_MIRROR"
USER_AGENT = "boostrank-fetch/0.1 (+https://pypi.org/project/boostrank/)"
CHUNK = 1 << 20
_ARCHIVE_EXT = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".rar")


class ChecksumError(ValueError):
    """The downloaded archive's size or SHA-256 differs from what was expected."""


class DownloadError(OSError):
    """The archive could not be downloaded (HTTP error, connection lost too many times)."""


# ---------------------------------------------------------------------------- URLs
def _is_url(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text))


def _url_basename(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def archive_name(dataset: Dataset, url: str) -> str:
    """File name to store the archive under: the URL's own name when it is an archive name
    (a repacked mirror copy keeps its extension), else the dataset's official ``filename``."""
    basename = _url_basename(url)
    if basename.lower().endswith(_ARCHIVE_EXT) and "/" not in basename \
            and basename not in (".", ".."):
        return basename
    return dataset.filename


def resolve_url(dataset: Dataset, mirror: str | os.PathLike | None = None) -> tuple[str, bool]:
    """The archive URL to fetch and whether the registered size/sha256 apply to it.

    ``mirror`` (else ``$BOOSTRANK_DATASETS_MIRROR``, else the official URL) may be a base URL
    (``<mirror>/<filename>``), a template with ``{name}``/``{filename}``, a full archive URL
    or a local folder (or ``file://`` URL).
    """
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV) or None
    if mirror is None:
        return dataset.url, True
    mirror = os.fspath(mirror)
    if "{" in mirror:
        url = mirror.format(name=dataset.name, filename=dataset.filename)
    elif urllib.parse.urlsplit(mirror).path.lower().endswith(_ARCHIVE_EXT):
        url = mirror
    else:
        url = mirror.rstrip("/\\") + "/" + (
            urllib.parse.quote(dataset.filename) if _is_url(mirror) else dataset.filename
        )
    if not _is_url(url):
        url = Path(url).expanduser().resolve().as_uri()
    return url, _url_basename(url) == dataset.filename


# ---------------------------------------------------------------------------- download
def _progress_bar(total: int | None, initial: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="B", unit_scale=True,
                unit_divisor=1024, disable=not enabled, leave=True)


def _parse_content_range(value: str | None) -> tuple[int, int | None] | None:
    """``(start, total)`` from ``Content-Range: bytes start-end/total`` (total may be ``*``)."""
    if not value:
        return None
    match = re.match(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)", value)
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), total


def _range_complete(exc: urllib.error.HTTPError, offset: int) -> bool:
    """After HTTP 416 on a resume: True when the part file already holds the whole file."""
    match = re.search(r"/(\d+)\s*$", exc.headers.get("Content-Range") or "")
    return bool(match) and int(match.group(1)) == offset


def download(
    url: str,
    path: str | os.PathLike,
    *,
    expected_size: int | None = None,
    progress: bool = True,
    retries: int = 3,
    timeout: float = 60.0,
    backoff: float = 1.0,
) -> Path:
    """Download ``url`` to ``path``, resuming from ``path + '.part'`` when it exists.

    A partial file is continued with ``Range: bytes=<n>-``; a server that ignores the range
    (status 200) makes the download restart from zero. A connection lost mid-way is resumed
    up to ``retries`` times (waiting ``backoff * 2**attempt`` seconds). The file appears at
    ``path`` only once complete. Returns ``path``; raises `DownloadError`.
    """
    path = Path(path)
    part = path.with_name(path.name + ".part")
    path.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        if expected_size is not None and offset > expected_size:
            part.unlink()  # longer than the real file: cannot be a prefix of it
            offset = 0
        if expected_size is not None and offset == expected_size and offset > 0:
            break
        try:
            done = _download_once(url, part, offset, progress=progress, timeout=timeout,
                                  desc=path.name)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset > 0:
                if _range_complete(exc, offset):
                    break
                part.unlink()  # Range not satisfiable and not complete: not a prefix
                failures += 1
                if failures > retries:
                    raise DownloadError(f"{url}: server refused to resume (HTTP 416)") from exc
                continue
            if exc.code >= 500 and failures < retries:
                failures += 1
                time.sleep(backoff * 2 ** (failures - 1))
                continue
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, HTTPException, ConnectionError, TimeoutError) as exc:
            failures += 1
            if failures > retries:
                reason = getattr(exc, "reason", exc)
                raise DownloadError(f"{url}: download failed after {retries} retries "
                                    f"({reason}); run again to resume from {part}") from exc
            time.sleep(backoff * 2 ** (failures - 1))
            continue
        if done:
            break
        failures += 1  # stream ended early without an exception: resume
        if failures > retries:
            raise DownloadError(f"{url}: connection kept closing early; run again to resume "
                                f"from {part}")
    os.replace(part, path)
    return path


def _download_once(url: str, part: Path, offset: int, *, progress: bool, timeout: float,
                   desc: str) -> bool:
    """One HTTP request appending to ``part``; True when the body arrived complete."""
    headers = {"User-Agent": USER_AGENT}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", None)
        content_range = _parse_content_range(response.headers.get("Content-Range"))
        if offset > 0 and status == 206 and content_range is not None:
            if content_range[0] != offset:
                raise HTTPException(f"server resumed at byte {content_range[0]}, not {offset}")
            mode, start = "ab", offset
        else:
            mode, start = "wb", 0  # server ignored the range (or file:// URL): start over
        length = response.headers.get("Content-Length")
        body = int(length) if length is not None and length.isdigit() else None
        total = None if body is None else start + body
        if content_range is not None and content_range[1] is not None:
            total = content_range[1]
        received = 0
        with open(part, mode) as out, _progress_bar(total, start, desc, progress) as bar:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    return body is None or received >= body


# ---------------------------------------------------------------------------- checksums
def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, *, size: int | None = None,
                sha256: str | None = None) -> str:
    """Check ``path``'s size and SHA-256 (each when given); return the actual SHA-256.

    Raises `ChecksumError` naming the file, the expected and the actual values.
    """
    path = Path(path)
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ChecksumError(f"{path}: size {actual_size} bytes, expected {size}")
    actual = sha256_of(path)
    if sha256 is not None and actual.lower() != sha256.lower():
        raise ChecksumError(f"{path}: SHA-256 {actual}, expected {sha256.lower()}")
    return actual
