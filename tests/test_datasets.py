"""The dataset registry and the downloader, exercised for real over HTTP on 127.0.0.1.

A small threaded ``http.server`` serves archives (zip and tar.gz) made in a temporary folder
from ``../shared/data/MQ2008`` (or from a tiny generated fold tree when it is absent). It
honours ``Range`` requests, logs every request, and can drop the first connection half-way
or ignore ranges, so resuming, restarting and idempotence are checked end to end.
"""

from __future__ import annotations

import dataclasses
import filecmp
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from boostrank.data import archives
from boostrank.data import datasets as ds
from boostrank.data.datasets import (
    DATASETS,
    ChecksumError,
    DownloadError,
    fetch_dataset,
    get_dataset,
    resolve_url,
)

SPLITS = ("train", "vali", "test")
MQ2008_ROOT = Path(os.environ.get("BOOSTRANK_SHARED_DATA",
                                  Path(__file__).resolve().parents[2] / "shared" / "data")) / "MQ2008"


# ---------------------------------------------------------------------------- local server
class _Server:
    """Serves ``files`` (URL path -> bytes) with Range support; records requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.log: list[dict] = []
        self.truncate_next = 0      # number of upcoming responses to cut in half
        self.ignore_range = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):  # noqa: N802 (http.server API)
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                rng = self.headers.get("Range")
                server.log.append({"path": path, "range": rng})
                body = server.files.get(path)
                if body is None:
                    self.send_error(404, "not found")
                    return
                start, status = 0, 200
                match = re.fullmatch(r"bytes=(\d+)-", rng or "")
                if match and not server.ignore_range:
                    start = int(match.group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                payload = body[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if server.truncate_next > 0:
                    server.truncate_next -= 1
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


# ---------------------------------------------------------------------------- archives
@pytest.fixture(scope="session")
def source_tree(tmp_path_factory) -> Path:
    """An MQ2008-shaped fold tree: the real one when present, else a tiny generated one."""
    if (MQ2008_ROOT / "Fold5" / "test.txt").is_file():
        return MQ2008_ROOT
    root = tmp_path_factory.mktemp("tiny") / "MQ2008"
    for fold in range(1, 6):
        for i, split in enumerate(SPLITS):
            path = root / f"Fold{fold}" / f"{split}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [f"{(q + d) % 3} qid:{100 * fold + 10 * i + q} 1:{d / 10:g} 2:0.5 "
                     f"#docid = d{q}-{d}" for q in range(3) for d in range(4)]
            path.write_text("\n".join(lines) + "\n")
    return root


def _members(tree: Path) -> list[tuple[Path, str]]:
    return [(p, f"MQ2008/{p.relative_to(tree).as_posix()}")
            for p in sorted(tree.rglob("*.txt"))]


@pytest.fixture(scope="session")
def zip_bytes(source_tree) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for path, arcname in _members(source_tree):
            zf.write(path, arcname)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def targz_bytes(source_tree) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tf:
        for path, arcname in _members(source_tree):
            tf.add(path, arcname)
    return buffer.getvalue()


def _same_tree(root: Path, source: Path) -> None:
    for split_file in DATASETS["MQ2008"].files:
        assert filecmp.cmp(root / split_file, source / split_file, shallow=False), split_file


# ---------------------------------------------------------------------------- registry
def test_registry_entries_are_complete():
    assert set(DATASETS) == {"MQ2007", "MQ2008", "MSLR-WEB10K", "MSLR-WEB30K", "Istella-S"}
    for name, d in DATASETS.items():
        assert d.name == name
        assert d.url.startswith(("http://", "https://"))
        assert d.homepage.startswith("https://")
        assert d.archive_format in {"rar", "zip", "tar.gz"}
        assert d.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", d.sha256)
        assert d.size is None or d.size > 0
        assert (d.sha256 is None and d.size is None) or d.checksum_source
        assert d.n_queries > 0 and d.n_rows > d.n_queries and d.n_features > 0
        assert d.labels[0] == 0 and d.labels[1] in (2, 4)
        assert d.layout in {"folds", "flat"}
    assert len(DATASETS["MSLR-WEB30K"].files) == 15
    assert DATASETS["MSLR-WEB30K"].files[:3] == ("Fold1/train.txt", "Fold1/vali.txt",
                                                  "Fold1/test.txt")
    assert DATASETS["Istella-S"].files == ("train.txt", "vali.txt", "test.txt")
    assert DATASETS["MQ2008"].archive_needs_external_tool
    assert not DATASETS["MSLR-WEB10K"].archive_needs_external_tool
    # the shared MQ2008 README's figures
    assert (DATASETS["MQ2008"].n_queries, DATASETS["MQ2008"].n_rows) == (784, 15211)


@pytest.mark.parametrize("alias,expected", [
    ("mq2008", "MQ2008"), ("MSLR_WEB10K", "MSLR-WEB10K"), ("mslr-web30k", "MSLR-WEB30K"),
    ("istella-s", "Istella-S"), ("Istella_S", "Istella-S"), ("web10k", "MSLR-WEB10K"),
])
def test_get_dataset_aliases(alias, expected):
    assert get_dataset(alias).name == expected


def test_get_dataset_unknown_lists_known_names():
    with pytest.raises(KeyError, match="MSLR-WEB10K"):
        get_dataset("yahoo-set1")
    with pytest.raises(KeyError):
        fetch_dataset("nope", "/nonexistent")


def test_resolve_url_forms(monkeypatch, tmp_path):
    d = DATASETS["MSLR-WEB10K"]
    monkeypatch.delenv(ds.MIRROR_ENV, raising=False)
    assert resolve_url(d) == (d.url, True)
    assert resolve_url(d, "https://m.example/ltr/") == (
        "https://m.example/ltr/MSLR-WEB10K.zip", True)
    assert resolve_url(d, "https://m.example/{name}.tar.gz") == (
        "https://m.example/MSLR-WEB10K.tar.gz", False)
    assert resolve_url(d, "https://m.example/x/web10k.zip") == (
        "https://m.example/x/web10k.zip", False)
    url, applies = resolve_url(d, tmp_path)
    assert url == (tmp_path / "MSLR-WEB10K.zip").as_uri() and applies
    monkeypatch.setenv(ds.MIRROR_ENV, "https://env.example/data")
    assert resolve_url(d) == ("https://env.example/data/MSLR-WEB10K.zip", True)
    # an explicit mirror wins over the environment
    assert resolve_url(d, "https://m.example")[0] == "https://m.example/MSLR-WEB10K.zip"
    assert ds.archive_name(d, d.url) == "MSLR-WEB10K.zip"  # official URL ends in /content
    assert ds.archive_name(d, "https://m.example/a/b.tar.gz") == "b.tar.gz"


# ---------------------------------------------------------------------------- fetching
def test_fetch_zip_then_idempotent(server, zip_bytes, source_tree, tmp_path):
    server.files["/mirror/MQ2008.zip"] = zip_bytes
    url = server.base + "/mirror/MQ2008.zip"
    root = fetch_dataset("MQ2008", tmp_path, url, progress=False)
    assert root == tmp_path / "MQ2008"
    _same_tree(root, source_tree)
    marker = json.loads((tmp_path / "MQ2008" / ds.MARKER_NAME).read_text())
    assert marker["sha256"] == hashlib.sha256(zip_bytes).hexdigest()
    assert marker["url"] == url and marker["size"] == len(zip_bytes)
    assert (tmp_path / "MQ2008.zip").read_bytes() == zip_bytes
    assert len(server.log) == 1 and server.log[0]["range"] is None
    # second call: no network at all, same answer
    assert fetch_dataset("MQ2008", tmp_path, url, progress=False) == root
    assert len(server.log) == 1
    # force: downloads and unpacks again
    assert fetch_dataset("MQ2008", tmp_path, url, progress=False, force=True) == root
    assert len(server.log) == 2
    _same_tree(root, source_tree)
    assert not list(tmp_path.glob(".MQ2008.*"))  # no staging folder left behind


def test_fetch_targz_via_env_template(server, targz_bytes, source_tree, tmp_path, monkeypatch):
    server.files["/ltr/MQ2008.tar.gz"] = targz_bytes
    monkeypatch.setenv(ds.MIRROR_ENV, server.base + "/ltr/{name}.tar.gz")
    sha = hashlib.sha256(targz_bytes).hexdigest()
    root = fetch_dataset("mq2008", tmp_path / "data", progress=False, sha256=sha,
                         keep_archive=False)
    _same_tree(root, source_tree)
    assert not (tmp_path / "data" / "MQ2008.tar.gz").exists()
    assert fetch_dataset("MQ2008", tmp_path / "data", progress=False) == root
    assert len(server.log) == 1


def test_resume_partial_download_with_range(server, zip_bytes, source_tree, tmp_path):
    server.files["/MQ2008.zip"] = zip_bytes
    cut = len(zip_bytes) * 2 // 5
    (tmp_path / "MQ2008.zip.part").write_bytes(zip_bytes[:cut])
    root = fetch_dataset("MQ2008", tmp_path, server.base + "/MQ2008.zip", progress=True,
                         sha256=hashlib.sha256(zip_bytes).hexdigest())
    assert server.log == [{"path": "/MQ2008.zip", "range": f"bytes={cut}-"}]
    assert (tmp_path / "MQ2008.zip").read_bytes() == zip_bytes
    assert not (tmp_path / "MQ2008.zip.part").exists()
    _same_tree(root, source_tree)


def test_dropped_connection_is_resumed(server, zip_bytes, tmp_path):
    server.files["/MQ2008.zip"] = zip_bytes
    server.truncate_next = 1
    ds.download(server.base + "/MQ2008.zip", tmp_path / "a.zip", progress=False, backoff=0)
    assert (tmp_path / "a.zip").read_bytes() == zip_bytes
    assert [r["range"] for r in server.log] == [None, f"bytes={len(zip_bytes) // 2}-"]


def test_server_ignoring_range_restarts_cleanly(server, zip_bytes, tmp_path):
    server.files["/MQ2008.zip"] = zip_bytes
    server.ignore_range = True
    (tmp_path / "a.zip.part").write_bytes(b"garbage that is not a prefix")
    ds.download(server.base + "/MQ2008.zip", tmp_path / "a.zip", progress=False)
    assert (tmp_path / "a.zip").read_bytes() == zip_bytes
    assert server.log[0]["range"] == "bytes=28-"


def test_complete_part_file_gets_416_and_is_kept(server, zip_bytes, tmp_path):
    server.files["/MQ2008.zip"] = zip_bytes
    (tmp_path / "a.zip.part").write_bytes(zip_bytes)
    ds.download(server.base + "/MQ2008.zip", tmp_path / "a.zip", progress=False)
    assert (tmp_path / "a.zip").read_bytes() == zip_bytes
    assert len(server.log) == 1


def test_checksum_mismatch_is_an_error_and_deletes_the_archive(server, zip_bytes, tmp_path):
    server.files["/MQ2008.zip"] = zip_bytes
    with pytest.raises(ChecksumError, match="SHA-256") as info:
        fetch_dataset("MQ2008", tmp_path, server.base + "/MQ2008.zip", progress=False,
                      sha256="0" * 64)
    assert "0" * 64 in str(info.value) and hashlib.sha256(zip_bytes).hexdigest() in str(info.value)
    assert not (tmp_path / "MQ2008.zip").exists()
    assert not (tmp_path / "MQ2008").exists()
    # a retry with the right checksum downloads again and succeeds
    fetch_dataset("MQ2008", tmp_path, server.base + "/MQ2008.zip", progress=False,
                  sha256=hashlib.sha256(zip_bytes).hexdigest())
    assert (tmp_path / "MQ2008" / ds.MARKER_NAME).is_file()


def test_registered_checksum_and_size_apply_to_faithful_mirrors(server, zip_bytes, tmp_path,
                                                               monkeypatch):
    good = dataclasses.replace(DATASETS["MQ2008"], filename="MQ2008.zip",
                               archive_format="zip", size=len(zip_bytes),
                               sha256=hashlib.sha256(zip_bytes).hexdigest())
    server.files["/m/MQ2008.zip"] = zip_bytes
    monkeypatch.setitem(DATASETS, "MQ2008", good)
    assert fetch_dataset("MQ2008", tmp_path / "ok", server.base + "/m", progress=False).is_dir()

    monkeypatch.setitem(DATASETS, "MQ2008", dataclasses.replace(good, sha256="f" * 64))
    with pytest.raises(ChecksumError, match="f" * 64):
        fetch_dataset("MQ2008", tmp_path / "bad", server.base + "/m", progress=False)

    monkeypatch.setitem(DATASETS, "MQ2008",
                        dataclasses.replace(good, size=len(zip_bytes) + 1, sha256=None))
    with pytest.raises(ChecksumError, match="size"):
        fetch_dataset("MQ2008", tmp_path / "bad2", server.base + "/m", progress=False)


def test_malformed_sha256_argument(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        fetch_dataset("MQ2008", tmp_path, "http://127.0.0.1:9/MQ2008.zip", sha256="abc")


def test_http_404_is_a_download_error(server, tmp_path):
    with pytest.raises(DownloadError, match="404"):
        fetch_dataset("MQ2008", tmp_path, server.base + "/missing/MQ2008.zip", progress=False)
    assert not (tmp_path / "MQ2008").exists()


def test_archive_without_expected_layout(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("MQ2008/Fold1/train.txt", "1 qid:1 1:0.5\n")
    server.files["/MQ2008.zip"] = buffer.getvalue()
    with pytest.raises(FileNotFoundError, match="Fold1/vali.txt"):
        fetch_dataset("MQ2008", tmp_path, server.base + "/MQ2008.zip", progress=False)
    assert not (tmp_path / "MQ2008").exists()
    assert not list(tmp_path.glob(".MQ2008.*"))


def test_zip_slip_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escaped.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        ds.unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_rar_without_a_tool_explains_what_to_install(server, tmp_path, monkeypatch):
    server.files["/MQ2008.rar"] = b"Rar!\x1a\x07\x00" + b"\x00" * 64
    monkeypatch.setattr(archives, "RAR_TOOLS", (("definitely-not-installed-rar-tool", None),))
    with pytest.raises(RuntimeError, match="RAR archive.*mirror"):
        fetch_dataset("MQ2008", tmp_path, server.base, progress=False)
    assert (tmp_path / "MQ2008.rar").is_file()  # kept for a retry with a tool installed
    assert ds.archive_kind(tmp_path / "MQ2008.rar") == "rar"


_FAKE_RAR_TOOL = """
import io, sys, zipfile
data = open(sys.argv[1], "rb").read()
if not data.startswith(b"Rar!"):
    sys.exit("not rar")
zipfile.ZipFile(io.BytesIO(data[7:])).extractall(sys.argv[2])
"""


def test_rar_goes_through_the_external_tool(server, zip_bytes, source_tree, tmp_path,
                                             monkeypatch):
    # a stand-in "unrar": RAR magic followed by a zip, unpacked by a child Python process
    tool = (sys.executable, lambda exe, a, t: [exe, "-c", _FAKE_RAR_TOOL, str(a), str(t)])
    monkeypatch.setattr(archives, "RAR_TOOLS", (tool,))
    server.files["/MQ2008.rar"] = b"Rar!\x1a\x07\x00" + zip_bytes
    root = fetch_dataset("MQ2008", tmp_path, server.base, progress=False)
    assert root == tmp_path / "MQ2008"
    _same_tree(root, source_tree)
    # a failing tool: its message is passed on
    server.files["/broken/MQ2008.rar"] = b"Rar!\x1a\x07\x00garbage"
    with pytest.raises(RuntimeError, match="failed to unpack"):
        fetch_dataset("MQ2008", tmp_path / "b", server.base + "/broken", progress=False)


def test_corrupt_and_unsafe_tar(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "evil.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="outside|unsafe"):
        ds.unpack_archive(tmp_path / "evil.tar.gz", tmp_path / "out")
    truncated = tmp_path / "cut.zip"
    with zipfile.ZipFile(truncated, "w") as zf:
        zf.writestr("a.txt", "x" * 1000)
    truncated.write_bytes(truncated.read_bytes()[:-30])
    with pytest.raises(ValueError, match="corrupt zip"):
        ds.unpack_archive(truncated, tmp_path / "out2")


def test_not_an_archive(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"<html>login page</html>")
    assert ds.archive_kind(path) == "unknown"
    with pytest.raises(ValueError, match="not a zip, tar or RAR"):
        ds.unpack_archive(path, tmp_path / "out")


def test_local_folder_mirror(zip_bytes, source_tree, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "MQ2008.zip").write_bytes(zip_bytes)
    root = fetch_dataset("MQ2008", tmp_path / "dest", str(mirror) + "/{name}.zip",
                         progress=False)
    _same_tree(root, source_tree)


def test_fetched_fold_loads(server, zip_bytes, tmp_path, mq2008_root):
    pytest.importorskip("boostrank.data.libsvm")
    from boostrank.data import load_letor_fold

    server.files["/MQ2008.zip"] = zip_bytes
    root = fetch_dataset("MQ2008", tmp_path, server.base + "/MQ2008.zip", progress=False)
    train, vali, test = load_letor_fold(root, 1)
    assert (train.n_queries, train.n_rows) == (471, 9630)
    assert (test.n_queries, test.n_rows) == (156, 2874)
    assert vali.n_queries == 157
