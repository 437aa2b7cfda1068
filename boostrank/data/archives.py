"""Unpacking dataset archives: zip and tar with the standard library, RAR with a tool.

Nothing an archive names is run: members are only written as files under the destination,
and RAR archives are handed to an external extractor found on ``PATH`` (never to a program
the archive names).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath

__all__ = ["RAR_TOOLS", "archive_kind", "unpack_archive"]


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


def _check_member(target: Path, name: str) -> None:
    """Refuse a member with an absolute path or one that would land outside ``target``."""
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() \
            or PureWindowsPath(name).drive:
        raise ValueError(f"archive member {name!r} has an absolute path (refused)")
    dest = (target / name).resolve()
    if dest != target and target not in dest.parents:
        raise ValueError(f"archive member {name!r} would be written outside {target}")


def _extract_zip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            _check_member(target, info.filename)
        zf.extractall(target)


def _extract_tar(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for member in members:
            _check_member(target, member.name)
        if hasattr(tarfile, "data_filter"):  # also refuses links outside and device files
            tf.extractall(target, filter="data")
            return
        for member in members:  # pragma: no cover - old Pythons without filters
            if member.issym() or member.islnk() or member.isdev():
                raise ValueError(f"archive member {member.name!r} is a link or device")
        tf.extractall(target, members=members)  # pragma: no cover


#: external RAR extractors tried in order: (program, arguments builder)
RAR_TOOLS: tuple[tuple[str, Callable[[str, Path, Path], list[str]]], ...] = (
    ("unrar", lambda exe, a, t: [exe, "x", "-o+", "-idq", str(a), str(t) + os.sep]),
    ("7z", lambda exe, a, t: [exe, "x", "-y", f"-o{t}", str(a)]),
    ("7za", lambda exe, a, t: [exe, "x", "-y", f"-o{t}", str(a)]),
    ("bsdtar", lambda exe, a, t: [exe, "-xf", str(a), "-C", str(t)]),
    ("unar", lambda exe, a, t: [exe, "-quiet", "-force-overwrite", "-o", str(t), str(a)]),
)


def _extract_rar(archive: Path, target: Path, hint: str) -> None:
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
        f"`brew install p7zip`){hint}"
    )


def unpack_archive(archive: str | os.PathLike, target: str | os.PathLike, *,
                   rar_hint: str = "") -> Path:
    """Unpack a zip, tar(.gz/.bz2/.xz) or RAR archive into ``target`` (created if needed).

    Zip and tar members with an absolute path (``/etc/x``, ``C:\\x``) or a ``..`` path that
    would land outside ``target`` are refused: a ValueError naming the member, raised before
    anything is written. Tar links pointing outside ``target`` and device files are refused
    too (tarfile's ``data`` filter). RAR archives go to the first of `RAR_TOOLS` found on
    ``PATH``; ``rar_hint`` ends the error when none is.

    Raises ValueError for a corrupt or unrecognized archive (naming it), RuntimeError when a
    RAR archive cannot be unpacked.
    """
    archive, target = Path(archive), Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    kind = archive_kind(archive)
    if kind == "rar":
        _extract_rar(archive, target, rar_hint)
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
    except tarfile.TarError as exc:  # FilterError: links outside, device files
        raise ValueError(f"{archive}: unsafe member refused ({exc})") from exc
    return target
