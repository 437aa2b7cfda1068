"""Opening data files: compression by content, a UTF-8 byte-order mark, line-aligned chunks.

`open_binary` decompresses gzip / bzip2 / xz (recognized by their first bytes), skips a
UTF-8 BOM and turns a truncated or corrupt compressed stream into one `LibSVMFormatError`
naming the file (instead of a bare ``EOFError`` / ``BadGzipFile``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import LibSVMFormatError

__all__ = ["COMPRESSED_SUFFIXES", "CHUNK_BYTES", "compression_of", "open_binary",
           "skip_bom", "iter_chunks", "open_text_for_write"]

#: file name suffixes of compressed files (used to find sidecars next to the plain name)
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".lzma")
#: bytes read per chunk (a chunk grows when a single line is longer)
CHUNK_BYTES = 16 << 20
UTF8_BOM = b"\xef\xbb\xbf"
#: what a damaged compressed stream raises while it is read (BadGzipFile is an OSError)
_STREAM_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}


def compression_of(path: str | os.PathLike) -> str | None:
    """``"gzip"``, ``"bzip2"``, ``"xz"`` or None (plain), from the file's first bytes.

    A ``.lzma`` name (the legacy format has no reliable magic bytes) counts as xz/lzma.
    """
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00" or str(path).endswith(".lzma"):
        return "xz"
    return None


def skip_bom(f: IO[bytes]) -> None:
    """Move ``f`` past a UTF-8 byte-order mark at its current position, if there is one."""
    start = f.tell()
    if f.read(len(UTF8_BOM)) != UTF8_BOM:
        f.seek(start)


@contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary reading (decompressed, past a UTF-8 BOM).

    Raises `LibSVMFormatError` naming the file when a compressed stream is truncated or
    corrupt, wherever in the ``with`` block the damage is read.
    """
    kind = compression_of(path)
    try:
        with (_OPENERS[kind](path, "rb") if kind else open(path, "rb")) as f:
            skip_bom(f)
            yield f
    except _STREAM_ERRORS as exc:
        if kind is None or isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise LibSVMFormatError(
            path, None, f"truncated or corrupt {kind} data ({exc}); download or write the "
            "file again") from None


def iter_chunks(f: IO[bytes], chunk_bytes: int | None = None) -> Iterator[memoryview]:
    """Yield views of line-aligned chunks of ``f`` (each ends with a newline except the last).

    ``chunk_bytes`` defaults to `CHUNK_BYTES`. A view is valid only until the next chunk is
    requested.
    """
    size = int(CHUNK_BYTES if chunk_bytes is None else chunk_bytes)
    if isinstance(f, io.BufferedReader):  # a plain file: no bigger buffer than what is left
        try:
            size = min(size, os.fstat(f.fileno()).st_size - f.tell() + 1)
        except (OSError, ValueError):
            pass
    buf = bytearray(max(size, 1))
    view = memoryview(buf)
    fill = 0
    while True:
        eof = False
        while fill < len(buf):
            n = f.readinto(view[fill:])
            if not n:
                eof = True
                break
            fill += n
        if eof:
            if fill:
                yield view[:fill]
            return
        cut = buf.rfind(b"\n", 0, fill)
        if cut < 0:  # one line longer than the buffer: grow it
            bigger = bytearray(2 * len(buf))
            bigger[:fill] = view[:fill]
            buf, view = bigger, memoryview(bigger)
            continue
        yield view[: cut + 1]
        rest = fill - cut - 1
        buf[:rest] = buf[cut + 1 : fill]
        fill = rest


def open_text_for_write(path: Path) -> IO[str]:
    """Open ``path`` for UTF-8 text writing with LF newlines, compressed by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")
    if suffix == ".bz2":
        return bz2.open(path, "wt", encoding="utf-8", newline="\n")
    if suffix in (".xz", ".lzma"):
        return lzma.open(path, "wt", encoding="utf-8", newline="\n")
    return open(path, "w", encoding="utf-8", newline="\n")
