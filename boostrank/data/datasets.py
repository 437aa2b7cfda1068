"""Public learning-to-rank datasets: a registry and a resumable, verifying downloader.

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

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

MIRROR_ENV = "BOOSTRANK_DATASETS_MIRROR"
MARKER_NAME = ".boostrank-dataset.json"
USER_AGENT = "boostrank-fetch/0.1 (+https://pypi.org/project/boostrank/)"
CHUNK = 1 << 20
_SPLITS = ("train", "vali", "test")


@dataclass(frozen=True)
class Dataset:
    """One public learning-to-rank dataset.

    Attributes
    ----------
    name : canonical name (the key in `DATASETS`, also the folder `fetch_dataset` creates).
    description : what it is, in one or two sentences.
    homepage : the publisher's page (licence, citation, current download links).
    url : the official download location of the archive.
    filename : the archive's file name (also what a base-URL mirror must serve).
    archive_format : ``"rar"``, ``"zip"`` or ``"tar.gz"`` as published.
    root : folder inside the archive that holds the fold tree (``""`` = the archive's top).
    folds : number of folds; ``layout`` says whether they are ``FoldN/`` folders.
    layout : ``"folds"`` (``FoldN/{train,vali,test}.txt``) or ``"flat"``
        (``{train,vali,test}.txt`` in ``root``, a single split counted as fold 1).
    n_queries, n_rows, n_features : size of the whole dataset (all partitions once).
    labels : (lowest, highest) graded relevance label.
    size : archive size in bytes where published, else None.
    sha256 : archive SHA-256 where published, else None (never guessed).
    checksum_source : who published ``size``/``sha256``.
    license, citation : terms of use and the paper to cite.
    aliases : other accepted spellings of ``name`` (matching ignores case, ``-`` and ``_``).
    """

    name: str
    description: str
    homepage: str
    url: str
    filename: str
    archive_format: str
    root: str
    folds: int
    layout: str
    n_queries: int
    n_rows: int
    n_features: int
    labels: tuple[int, int]
    size: int | None = None
    sha256: str | None = None
    checksum_source: str | None = None
    license: str = ""
    citation: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def files(self) -> tuple[str, ...]:
        """Relative paths (under the LETOR root) of every split file of every fold."""
        if self.layout == "flat":
            return tuple(f"{s}.txt" for s in _SPLITS)
        return tuple(f"Fold{k}/{s}.txt" for k in range(1, self.folds + 1) for s in _SPLITS)

    @property
    def archive_needs_external_tool(self) -> bool:
        """True for RAR archives, which need ``unrar``/``7z``/``bsdtar``/``unar`` to unpack."""
        return self.archive_format == "rar"


_LETOR4_HOME = ("https://www.microsoft.com/en-us/research/project/"
                "letor-learning-rank-information-retrieval/letor-4-0/")
_LETOR4_DATA = "http://research.microsoft.com/en-us/um/beijing/projects/letor/LETOR4.0/Data/"
_LETOR4_CITE = ("Tao Qin and Tie-Yan Liu. Introducing LETOR 4.0 Datasets. "
                "arXiv:1306.2597, 2013.")
_MSLR_HOME = "https://www.microsoft.com/en-us/research/project/mslr/"
_MSLR_CITE = _LETOR4_CITE
_MSLR_LICENSE = "Microsoft Research Data License Agreement (see the homepage)."
_TFDS = "TensorFlow Datasets checksums (tensorflow_datasets/ranking/*/checksums.tsv)"

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="MQ2007",
            description=("LETOR 4.0 supervised ranking set on the TREC 2007 Million Query "
                         "track (Gov2 pages): 5 folds, 46 features, labels 0-2."),
            homepage=_LETOR4_HOME,
            url=_LETOR4_DATA + "MQ2007.rar",
            filename="MQ2007.rar",
            archive_format="rar",
            root="MQ2007",
            folds=5,
            layout="folds",
            n_queries=1692,
            n_rows=69623,
            n_features=46,
            labels=(0, 2),
            license="Free for research use; see the LETOR 4.0 page.",
            citation=_LETOR4_CITE,
            aliases=("letor4-mq2007",),
        ),
        Dataset(
            name="MQ2008",
            description=("LETOR 4.0 supervised ranking set on the TREC 2008 Million Query "
                         "track (Gov2 pages): 5 folds, 46 features, labels 0-2."),
            homepage=_LETOR4_HOME,
            url=_LETOR4_DATA + "MQ2008.rar",
            filename="MQ2008.rar",
            archive_format="rar",
            root="MQ2008",
            folds=5,
            layout="folds",
            n_queries=784,
            n_rows=15211,
            n_features=46,
            labels=(0, 2),
            license="Free for research use; see the LETOR 4.0 page.",
            citation=_LETOR4_CITE,
            aliases=("letor4-mq2008",),
        ),
        Dataset(
            name="MSLR-WEB10K",
            description=("Microsoft Learning to Rank, 10,000-query sample of MSLR-WEB30K "
                         "(Bing): 5 folds, 136 features, labels 0-4."),
            homepage=_MSLR_HOME,
            url="https://api.onedrive.com/v1.0/shares/s!AtsMfWUz5l8nbOIoJ6Ks0bEMp78/root/content",
            filename="MSLR-WEB10K.zip",
            archive_format="zip",
            root="",
            folds=5,
            layout="folds",
            n_queries=10000,
            n_rows=1200192,
            n_features=136,
            labels=(0, 4),
            size=1234144912,
            sha256="2902142ea33f18c59414f654212de5063033b707d5c3939556124b1120d3a0ba",
            checksum_source=_TFDS,
            license=_MSLR_LICENSE,
            citation=_MSLR_CITE,
            aliases=("mslr10k", "web10k"),
        ),
        Dataset(
            name="MSLR-WEB30K",
            description=("Microsoft Learning to Rank (Bing): 31,531 queries, 5 folds, "
                         "136 features, labels 0-4."),
            homepage=_MSLR_HOME,
            url="https://api.onedrive.com/v1.0/shares/s!AtsMfWUz5l8nbXGPBlwD1rnFdBY/root/content",
            filename="MSLR-WEB30K.zip",
            archive_format="zip",
            root="",
            folds=5,
            layout="folds",
            n_queries=31531,
            n_rows=3771125,
            n_features=136,
            labels=(0, 4),
            size=3849406307,
            sha256="08cb7977e1d5cbdeb57a9a2537a0923dbca6d46a76db9a6afc69e043c85341ae",
            checksum_source=_TFDS,
            license=_MSLR_LICENSE,
            citation=_MSLR_CITE,
            aliases=("mslr30k", "web30k"),
        ),
        Dataset(
            name="Istella-S",
            description=("Istella LETOR sample (Istella web search engine): one "
                         "train/vali/test split (60/20/20 of queries), 220 features, "
                         "labels 0-4. Non-commercial licence that must be accepted."),
            homepage="https://istella.ai/datasets/letor-dataset/",
            url="http://library.istella.it/dataset/istella-s-letor.tar.gz",
            filename="istella-s-letor.tar.gz",
            archive_format="tar.gz",
            root="sample",
            folds=1,
            layout="flat",
            n_queries=33018,
            n_rows=3408630,
            n_features=220,
            labels=(0, 4),
            size=472129615,
            sha256="41b21116a3650cc043dbe16f02ee39f4467f9405b37fdbcc9a6a05e230a38981",
            checksum_source=_TFDS,
            license="Istella LETOR Licence Agreement, non-commercial use only "
                    "(istella-letor-LA.txt in the archive).",
            citation=("Domenico Dato, Claudio Lucchese, Franco Maria Nardini, Salvatore "
                      "Orlando, Raffaele Perego, Nicola Tonellotto and Rossano Venturini. "
                      "Fast Ranking with Additive Ensembles of Oblivious and Non-Oblivious "
                      "Regression Trees. ACM TOIS 35(2), 2016."),
            aliases=("istella_s", "istellas", "istella-s-letor"),
        ),
    )
}


class ChecksumError(ValueError):
    """The downloaded archive's size or SHA-256 differs from what was expected."""


class DownloadError(OSError):
    """The archive could not be downloaded (HTTP error, connection lost too many times)."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_\s]", "", name).lower()


def get_dataset(name: str | Dataset) -> Dataset:
    """The registered `Dataset` for ``name`` (case, ``-`` and ``_`` ignored; aliases accepted)."""
    if isinstance(name, Dataset):
        return name
    key = _normalize(str(name))
    for dataset in DATASETS.values():
        if key in {_normalize(dataset.name), *(_normalize(a) for a in dataset.aliases)}:
            return dataset
    raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")


# ---------------------------------------------------------------------------- URLs
_ARCHIVE_EXT = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".rar")


def _is_url(text: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text))


def _url_basename(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def archive_name(dataset: Dataset, url: str) -> str:
    """File name to store the archive under: the URL's own name when it is an archive name
    (a repacked mirror copy keeps its extension), else the dataset's official ``filename``."""
    basename = _url_basename(url)
    if basename.lower().endswith(_ARCHIVE_EXT) and "/" not in basename and basename not in (".", ".."):
        return basename
    return dataset.filename


def resolve_url(dataset: Dataset, mirror: str | os.PathLike | None = None) -> tuple[str, bool]:
    """The archive URL to fetch and whether the registered size/sha256 apply to it.

    ``mirror`` (else ``$BOOSTRANK_DATASETS_MIRROR``, else the official URL): see the module
    docstring for the accepted forms.
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
    basename = _url_basename(url)
    return url, basename == dataset.filename


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
    ``path`` only once complete. Returns ``path``.
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
                # Range not satisfiable: the part file is complete (or not a prefix).
                match = re.search(r"/(\d+)\s*$", exc.headers.get("Content-Range") or "")
                if match and int(match.group(1)) == offset:
                    break
                part.unlink()
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
                raise DownloadError(
                    f"{url}: download failed after {retries} retries ({reason}); "
                    f"run again to resume from {part}"
                ) from exc
            time.sleep(backoff * 2 ** (failures - 1))
            continue
        if done:
            break
        failures += 1  # stream ended early without an exception: resume
        if failures > retries:
            raise DownloadError(
                f"{url}: connection kept closing early; run again to resume from {part}"
            )
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


# ---------------------------------------------------------------------------- unpacking
def archive_kind(path: str | os.PathLike) -> str:
    """``"zip"``, ``"tar"`` (any compression), ``"rar"`` or ``"unknown"``, from the magic bytes."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if tarfile.is_tarfile(path):
        return "tar"
    return "unknown"


def _safe_member(target: Path, name: str) -> Path:
    dest = (target / name).resolve()
    if dest != target and target not in dest.parents:
        raise ValueError(f"archive member {name!r} would be written outside {target}")
    return dest


def _extract_zip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            _safe_member(target, info.filename)
        zf.extractall(target)


def _extract_tar(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(target, filter="data")
            return
        members = []
        for member in tf.getmembers():  # pragma: no cover - old Pythons without filters
            _safe_member(target, member.name)
            if member.issym() or member.islnk() or member.isdev():
                raise ValueError(f"archive member {member.name!r} is a link or device")
            members.append(member)
        tf.extractall(target, members=members)  # pragma: no cover


#: external RAR extractors tried in order: (program, arguments builder)
RAR_TOOLS: tuple[tuple[str, Callable[[str, Path, Path], list[str]]], ...] = (
    ("unrar", lambda exe, a, t: [exe, "x", "-o+", "-idq", str(a), str(t) + os.sep]),
    ("7z", lambda exe, a, t: [exe, "x", "-y", f"-o{t}", str(a)]),
    ("7za", lambda exe, a, t: [exe, "x", "-y", f"-o{t}", str(a)]),
    ("bsdtar", lambda exe, a, t: [exe, "-xf", str(a), "-C", str(t)]),
    ("unar", lambda exe, a, t: [exe, "-quiet", "-force-overwrite", "-o", str(t), str(a)]),
)


def _extract_rar(archive: Path, target: Path) -> None:
    for program, command in RAR_TOOLS:
        exe = shutil.which(program)
        if exe is None:
            continue
        result = subprocess.run(command(exe, archive, target), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed to unpack {archive} (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[:500]}"
            )
        return
    raise RuntimeError(
        f"{archive} is a RAR archive, which Python cannot unpack by itself: install one of "
        f"{', '.join(p for p, _ in RAR_TOOLS)} (e.g. `apt-get install unar` or "
        f"`brew install p7zip`) and run fetch_dataset again (the archive is kept), or fetch "
        f"a zip/tar.gz copy with mirror=... or ${MIRROR_ENV}"
    )


def unpack_archive(archive: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Unpack a zip, tar(.gz/.bz2/.xz) or RAR archive into ``target`` (created if needed).

    Members that would land outside ``target`` (absolute paths, ``..``) are refused.
    """
    archive, target = Path(archive), Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    kind = archive_kind(archive)
    if kind == "rar":
        _extract_rar(archive, target)
        return target
    if kind not in ("zip", "tar"):
        raise ValueError(f"{archive}: not a zip, tar or RAR archive (unrecognized first bytes)")
    try:
        (_extract_zip if kind == "zip" else _extract_tar)(archive, target)
    except (zipfile.BadZipFile, tarfile.ReadError, EOFError, OSError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise ValueError(
            f"{archive}: corrupt {kind} archive ({exc}); fetch again with force=True"
        ) from exc
    except tarfile.TarError as exc:  # FilterError: absolute paths, "..", links outside
        raise ValueError(f"{archive}: unsafe member refused ({exc})") from exc
    return target


# ---------------------------------------------------------------------------- fetch
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
    for `boostrank.data.load_letor_fold`.

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
    marker = out_dir / MARKER_NAME
    if marker.is_file() and not force:
        info = json.loads(marker.read_text())
        root = out_dir / info.get("root", "")
        if not _missing_files(root, dataset):
            return root
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

    staging = Path(tempfile.mkdtemp(prefix=f".{dataset.name}.", dir=dest))
    try:
        unpack_archive(archive, staging)
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
            "name": dataset.name,
            "url": url,
            "archive": archive.name,
            "sha256": actual_sha,
            "size": archive.stat().st_size,
            "root": relative_root,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staging / MARKER_NAME).write_text(json.dumps(info, indent=1))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not keep_archive:
        archive.unlink()
    return out_dir / relative_root


__all__ = [
    "Dataset",
    "DATASETS",
    "ChecksumError",
    "DownloadError",
    "MIRROR_ENV",
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
