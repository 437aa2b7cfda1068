"""Display positions (``RankingData.position``) survive every round trip, and
`RankingData.pad_features` follows its one naming rule."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from boostrank.data import (
    LibSVMFormatError,
    RankingData,
    libsvm,
    load_letor_fold,
    load_libsvm,
    save_libsvm,
)
from boostrank.data.ranking_data import as_ranking_data

ENGINES = ["c", "python"] if libsvm.native_available() else ["python"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def clicked(n_queries: int = 5, seed: int = 0, sparse: bool = False) -> RankingData:
    """Queries of 2..6 documents, each shown at ranks 1..n in a shuffled order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 7, size=n_queries)
    qid = np.repeat(np.arange(10, 10 + n_queries), sizes)
    position = np.concatenate([rng.permutation(s) + 1 for s in sizes])
    X = np.round(rng.random((qid.size, 4)), 3)
    docid = np.array([f"d{i}" for i in range(qid.size)])
    return RankingData(sp.csr_matrix(X) if sparse else X, rng.integers(0, 3, qid.size), qid,
                       docid=docid, position=position)


def same(a: RankingData, b: RankingData) -> None:
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.qid, b.qid)
    np.testing.assert_array_equal(a.docid, b.docid)


# ---------------------------------------------------------------------------- in memory
def test_position_is_validated() -> None:
    X, y, qid = np.zeros((3, 1)), [0, 1, 0], [1, 1, 1]
    assert RankingData(X, y, qid, position=[1.0, 2.0, 3.0]).position.dtype == np.int64
    with pytest.raises(ValueError, match=r"position must hold integers.*row 1 has 2.5"):
        RankingData(X, y, qid, position=[1, 2.5, 3])
    with pytest.raises(ValueError, match=r"position must be >= 1.*row 2 has 0"):
        RankingData(X, y, qid, position=[1, 2, 0])
    with pytest.raises(ValueError, match="position has 2 rows but X has 3"):
        RankingData(X, y, qid, position=[1, 2])
    with pytest.raises(ValueError, match="position must hold integers"):
        RankingData(X, y, qid, position=["a", "b", "c"])


def test_slicing_concat_density_and_padding_carry_positions() -> None:
    data = clicked()
    part = data.queries([3, 0])
    rows = data.query_rows([3, 0])
    np.testing.assert_array_equal(part.position, data.position[rows])
    np.testing.assert_array_equal(data.queries(slice(1, 3)).position,
                                  data.position[data.query_rows([1, 2])])
    both = RankingData.concat([data.queries([0, 1]), data.queries([2, 3, 4])])
    same(both, data)
    for other in (data.to_sparse(), data.to_sparse().to_dense(), data.pad_features(7)):
        same(other, data)
    with pytest.raises(ValueError, match="position is set on some parts"):
        RankingData.concat([data.queries([0]), RankingData(np.zeros((2, 4)), [0, 1], [1, 1])])


def test_regrouping_reorders_positions() -> None:
    X = np.arange(5.0)[:, None]
    qid = [2, 1, 2, 1, 3]
    position = [1, 1, 2, 2, 1]
    data, order = RankingData.from_arrays_with_order(X, np.zeros(5), qid, position=position,
                                                     warn=False)
    assert order.tolist() == [0, 2, 1, 3, 4]
    assert data.position.tolist() == [1, 2, 1, 2, 1]
    again, order2 = as_ranking_data(X, np.zeros(5), qid, position=position)
    np.testing.assert_array_equal(order2, order)
    same(again, data)
    with pytest.raises(ValueError, match="do not pass y, qid, group or position"):
        as_ranking_data(data, position=position)


def test_binary_cache_round_trip(tmp_path: Path) -> None:
    for sparse in (False, True):
        data = clicked(sparse=sparse)
        back = RankingData.load(data.save(tmp_path / f"c{sparse}"))
        same(back, data)
        assert back.position.dtype == np.int64


# ---------------------------------------------------------------------------- text + sidecar
@pytest.mark.parametrize("name", ["d.txt", "d.txt.gz"])
def test_save_and_load_libsvm_with_position_sidecar(tmp_path: Path, engine: str,
                                                    name: str) -> None:
    data = clicked(seed=3)
    path = save_libsvm(data, tmp_path / name)
    sidecar = tmp_path / (name + ".position")
    assert sidecar.read_text().split() == [str(p) for p in data.position.tolist()]
    same(load_libsvm(path, engine=engine), data)
    # written without positions: a stale sidecar goes away, so reloading gives the same data
    plain = RankingData(data.X, data.y, data.qid, docid=data.docid)
    save_libsvm(plain, path)
    assert not sidecar.exists() and load_libsvm(path, engine=engine).position is None


def test_position_file_argument_and_compressed_data(tmp_path: Path, engine: str) -> None:
    data_file = tmp_path / "train.txt.gz"
    data_file.write_bytes(gzip.compress(b"1 qid:1 1:1\n0 qid:1 1:2\n1 qid:2 1:3\n"))
    (tmp_path / "train.txt.position").write_text("2\n1\n1\n")  # next to the plain name
    assert load_libsvm(data_file, engine=engine).position.tolist() == [2, 1, 1]
    explicit = tmp_path / "pos.txt"
    explicit.write_text("3\n\n4\n5\n")  # blank lines are skipped
    assert load_libsvm(data_file, engine=engine,
                       position_file=explicit).position.tolist() == [3, 4, 5]
    with pytest.raises(FileNotFoundError, match="no such position file"):
        load_libsvm(data_file, position_file=tmp_path / "missing.position")


def test_positions_follow_regrouped_rows(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "split.txt"
    path.write_text("1 qid:1 1:1\n0 qid:2 1:2\n0 qid:1 1:3\n1 qid:2 1:4\n")
    (tmp_path / "split.txt.position").write_text("1\n1\n2\n2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_libsvm(path, engine=engine)
    assert data.source_row.tolist() == [1, 3, 2, 4]
    assert data.position.tolist() == [1, 2, 1, 2]


@pytest.mark.parametrize("text,line,token,reason", [
    pytest.param("1\n2.5\n1\n", 2, "2.5", "position is not a positive integer", id="fraction"),
    pytest.param("1\n0\n1\n", 2, "0", "position is zero", id="zero"),
    pytest.param("1\n-1\n1\n", 2, "-1", "not a positive integer", id="negative"),
    pytest.param("1\nx\n1\n", 2, "x", "not a positive integer", id="text"),
    pytest.param("1\n2\n", 2, "2", "2 positions but the data file has 3 rows", id="few"),
    pytest.param("1\n2\n3\n4\n", 4, "4", "more positions than the 3 rows", id="many"),
    pytest.param("", 1, "", "0 positions but the data file has 3 rows", id="empty"),
])
def test_bad_position_sidecar_names_file_line_token(tmp_path: Path, engine: str, text: str,
                                                    line: int, token: str,
                                                    reason: str) -> None:
    path = tmp_path / "d.txt"
    path.write_text("1 qid:1 1:1\n0 qid:1 1:2\n1 qid:2 1:3\n")
    sidecar = tmp_path / "d.txt.position"
    sidecar.write_text(text)
    with pytest.raises(LibSVMFormatError, match=reason) as info:
        load_libsvm(path, engine=engine)
    assert (info.value.path, info.value.line, info.value.token) == (str(sidecar), line, token)


def test_letor_fold_and_its_cache_carry_positions(tmp_path: Path) -> None:
    fold = tmp_path / "DS" / "Fold1"
    fold.mkdir(parents=True)
    parts = {"train": clicked(4, 1), "vali": clicked(3, 2), "test": clicked(3, 4)}
    for split, data in parts.items():
        save_libsvm(data, fold / f"{split}.txt")
    cache_dir = tmp_path / "cache"
    first = load_letor_fold(tmp_path / "DS", 1, cache_dir=cache_dir)
    assert (cache_dir / "Fold1" / "train.cache" / "position.npy").is_file()
    second = load_letor_fold(tmp_path / "DS", 1, cache_dir=cache_dir, sparse=True)
    for got, again, want in zip(first, second, parts.values(), strict=True):
        same(got, want)
        same(again, want)


# ---------------------------------------------------------------------------- pad_features
def test_pad_features_dense_csr_and_names() -> None:
    X = np.array([[1.0, 2.0], [3.0, 0.0]], dtype=np.float32)
    named = RankingData(X, [0, 1], [1, 1], feature_names=["a", "b"])
    wide = named.pad_features(4)
    assert wide.feature_names == ["a", "b", "f2", "f3"]
    assert wide.X.dtype == np.float32 and not wide.is_sparse
    np.testing.assert_array_equal(wide.X, np.hstack([X, np.zeros((2, 2), np.float32)]))
    csr = named.to_sparse().pad_features(5)
    assert csr.is_sparse and csr.X.shape == (2, 5) and csr.X.nnz == 3
    np.testing.assert_array_equal(csr.X.toarray()[:, :2], X)
    assert named.pad_features(2) is named
    assert RankingData(X, [0, 1], [1, 1]).pad_features(3).feature_names is None
    with pytest.raises(ValueError, match="never drops columns"):
        named.pad_features(1)
    with pytest.raises(ValueError, match="already name other features"):
        RankingData(X, [0, 1], [1, 1], feature_names=["f2", "x"]).pad_features(3)
    with pytest.raises(TypeError, match="n_features must be an int"):
        named.pad_features(3.0)
