"""Bad inputs to the ingestion layer: each gives one clear error naming the file (line, token)
and the way out, before any large allocation, and never a traceback from deep inside."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from boostrank.data import (
    DataFormatError,
    LibSVMFormatError,
    RankingData,
    archives,
    libsvm,
    load_letor_fold,
    load_libsvm,
)

ENGINES = ["c", "python"] if libsvm.native_available() else ["python"]
TEXT = "".join(f"{q % 3} qid:{q // 4} 1:{q / 7:.6f} 2:{q * 0.5} 3:1 #docid = d{q}\n"
               for q in range(400))
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------------------- huge index
def test_huge_feature_index_is_refused_before_allocating(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path / "big.txt", "1 qid:1 2147483646:1\n")
    for sparse in ("auto", False, True):
        tracemalloc.start()
        try:
            with pytest.raises(LibSVMFormatError) as info:
                load_libsvm(path, engine=engine, sparse=sparse)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        err = info.value
        assert (err.path, err.line, err.token) == (str(path), 1, "2147483646:1")
        assert "max_features=1048576" in str(err) and "n_features=" in str(err)
        assert peak < 32 << 20, peak  # nothing near the 8 GiB a dense X would take


def test_huge_index_ways_out(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path / "big.txt", "0 qid:1 1:2\n1 qid:1 2147483646:1\n")
    wide = load_libsvm(path, engine=engine, max_features=None)  # CSR: two entries stored
    assert wide.is_sparse and wide.X.shape == (2, 2147483646) and wide.X.nnz == 2
    with pytest.raises(LibSVMFormatError, match="beyond n_features=10") as info:
        load_libsvm(path, engine=engine, n_features=10)
    assert (info.value.line, info.value.token) == (2, "2147483646:1")
    # the first offending token is named, not the largest one
    path2 = write(tmp_path / "b2.txt", "0 qid:1 1:2\n0 qid:1 2000000:1\n1 qid:1 3000000:1\n")
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(path2, engine=engine)
    assert (info.value.line, info.value.token) == (2, "2000000:1")


def test_huge_dense_matrix_is_refused(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path / "wide.txt", "0 qid:1 1:1\n1 qid:1 300000000:1\n")
    tracemalloc.start()
    try:
        with pytest.raises(LibSVMFormatError, match="sparse=True") as info:
            load_libsvm(path, engine=engine, sparse=False, max_features=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "GiB" in str(info.value) and info.value.path == str(path)
    assert peak < 32 << 20


def test_max_features_is_validated() -> None:
    with pytest.raises(ValueError, match="max_features must be None or an int"):
        load_libsvm(io.BytesIO(b"1 qid:1 1:1\n"), max_features=0)


def test_huge_index_in_a_letor_tree(tmp_path: Path) -> None:
    root = tmp_path / "DS" / "Fold1"
    write(root / "train.txt", "1 qid:1 1:1\n")
    write(root / "vali.txt", "1 qid:2 2147483646:1\n")
    write(root / "test.txt", "1 qid:3 1:1\n")
    with pytest.raises(LibSVMFormatError) as info:
        load_letor_fold(tmp_path / "DS", 1)
    assert info.value.path.endswith("vali.txt") and info.value.line == 1


# ---------------------------------------------------------------------------- damaged streams
@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_truncated_compressed_file_names_the_file(tmp_path: Path, engine: str,
                                                  suffix: str) -> None:
    packed = COMPRESSORS[suffix](TEXT.encode())
    good = write(tmp_path / f"good.txt{suffix}", packed)
    assert load_libsvm(good, engine=engine).n_rows == 400
    cut = write(tmp_path / f"cut.txt{suffix}", packed[: len(packed) // 2])
    with pytest.raises(LibSVMFormatError, match="truncated or corrupt") as info:
        load_libsvm(cut, engine=engine)
    assert info.value.path == str(cut) and "\n" not in str(info.value)


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_corrupt_compressed_file_names_the_file(tmp_path: Path, engine: str,
                                                suffix: str) -> None:
    packed = bytearray(COMPRESSORS[suffix](TEXT.encode()))
    middle = len(packed) // 2
    packed[middle : middle + 16] = b"\x00" * 16
    bad = write(tmp_path / f"bad.txt{suffix}", bytes(packed))
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(bad, engine=engine)
    assert info.value.path == str(bad)


def test_truncated_gzip_in_a_letor_tree_and_sidecar(tmp_path: Path) -> None:
    root = tmp_path / "DS" / "Fold1"
    for split in ("train", "vali", "test"):
        write(root / f"{split}.txt.gz", gzip.compress(TEXT.encode()))
    packed = (root / "test.txt.gz").read_bytes()
    write(root / "test.txt.gz", packed[:-20])
    with pytest.raises(LibSVMFormatError, match="truncated or corrupt gzip") as info:
        load_letor_fold(tmp_path / "DS", 1)
    assert info.value.path.endswith("test.txt.gz")
    data = write(tmp_path / "nq.txt", "1 1:1\n0 1:2\n")
    sidecar = write(tmp_path / "nq.txt.query", gzip.compress(b"1\n1\n")[:-6])
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(data)
    assert info.value.path == str(sidecar)


def test_damaged_binary_cache_names_the_file(tmp_path: Path) -> None:
    data = RankingData(np.arange(12.0).reshape(6, 2), np.zeros(6), [1, 1, 2, 2, 3, 3])
    cache = data.save(tmp_path / "c")
    raw = (cache / "X.npy").read_bytes()
    (cache / "X.npy").write_bytes(raw[:-10])
    with pytest.raises(DataFormatError) as info:
        RankingData.load(cache)
    assert info.value.path == str(cache / "X.npy") and "truncated" in str(info.value)
    (cache / "X.npy").write_bytes(raw)
    (cache / "meta.json").write_text("{not json")
    with pytest.raises(DataFormatError, match="not valid JSON"):
        RankingData.load(cache)


def test_cache_never_unpickles(tmp_path: Path) -> None:
    """A crafted cache with a pickled object array is refused, nothing in it runs."""
    data = RankingData(np.ones((2, 1)), [0, 1], [1, 1])
    cache = data.save(tmp_path / "c")
    np.save(cache / "docid.npy", np.array([object(), object()], dtype=object),
            allow_pickle=True)
    meta = json.loads((cache / "meta.json").read_text())
    meta["arrays"] = sorted(set(meta["arrays"]) | {"docid"})
    (cache / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match="docid.npy"):
        RankingData.load(cache)
    meta["arrays"].append("../../evil")
    (cache / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match="array names"):
        RankingData.load(cache)


# ---------------------------------------------------------------------------- BOM, qid
def test_utf8_bom_is_stripped(tmp_path: Path, engine: str) -> None:
    plain = load_libsvm(write(tmp_path / "a.txt", TEXT), engine=engine)
    bom = b"\xef\xbb\xbf" + TEXT.encode()
    for name, payload in (("b.txt", bom), ("b.txt.gz", gzip.compress(bom))):
        data = load_libsvm(write(tmp_path / name, payload), engine=engine)
        np.testing.assert_array_equal(data.X, plain.X)
        np.testing.assert_array_equal(data.y, plain.y)
        np.testing.assert_array_equal(data.source_row, plain.source_row)
    from_handle = load_libsvm(io.BytesIO(bom), engine=engine)
    np.testing.assert_array_equal(from_handle.qid, plain.qid)
    # a BOM anywhere else is still an error naming the token
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(write(tmp_path / "c.txt", TEXT + "\ufeff1 qid:9 1:1\n"), engine=engine)
    assert info.value.line == 401


def test_string_qid_names_qid_file_line_token(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path / "s.txt", "1 qid:1 1:1\n0 qid:abc 1:0.5\n")
    with pytest.raises(LibSVMFormatError, match="qid") as info:
        load_libsvm(path, engine=engine)
    assert (info.value.path, info.value.line, info.value.token) == (str(path), 2, "qid:abc")


def test_string_qid_in_arrays_names_qid() -> None:
    with pytest.raises(ValueError, match=r"qid must hold integers .*row 0 has 'a'"):
        RankingData.from_arrays(np.zeros((2, 1)), [0, 1], np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"qid must hold integers .*row 1 has 1.5"):
        RankingData.from_arrays(np.zeros((2, 1)), [0, 1], np.array([1.0, 1.5]))
    data = RankingData.from_arrays(np.zeros((2, 1)), [0, 1], np.array([3.0, 3.0]))
    assert data.qid.dtype == np.int64 and data.qid.tolist() == [3, 3]


# ---------------------------------------------------------------------------- archives
def _tar_with(tmp_path: Path, member: str) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 1
        tf.addfile(ok, io.BytesIO(b"x"))
        info = tarfile.TarInfo(member)
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    return write(tmp_path / "a.tar.gz", buffer.getvalue())


def test_absolute_tar_member_is_refused_as_documented(tmp_path: Path) -> None:
    assert "absolute path" in archives.unpack_archive.__doc__
    archive = _tar_with(tmp_path, "/tmp/boostrank-absolute-member.txt")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="absolute path") as info:
        archives.unpack_archive(archive, out)
    assert "/tmp/boostrank-absolute-member.txt" in str(info.value)
    assert not (out / "ok.txt").exists() and not (out / "tmp").exists()  # nothing written


def test_absolute_zip_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", "x")
        zf.writestr(zipfile.ZipInfo("/etc/boostrank-evil.txt"), "x")
    with pytest.raises(ValueError, match="absolute path|outside"):
        archives.unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "ok.txt").exists()
