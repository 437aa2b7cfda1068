"""LibSVM/SVMlight/LETOR reading and writing: format features, exact values, bad input.

Every behaviour is checked on both parsers (the compiled one and the pure-Python fallback);
values are compared with scikit-learn's `load_svmlight_file` and with Python's ``float()``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_svmlight_file

from boostrank.data import libsvm, libsvm_native, textio
from boostrank.data.libsvm import LibSVMFormatError, load_libsvm, save_libsvm
from boostrank.data.ranking_data import RankingData

ENGINES = ["c", "python"] if libsvm.native_available() else ["python"]
MQ2008_FILES = [f"Fold{k}/{part}.txt" for k in range(1, 6) for part in ("train", "vali", "test")]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def write(tmp_path: Path, text: str | bytes, name: str = "data.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def load(path: Path, engine: str, **kwargs) -> RankingData:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no unexpected warning in the plain cases
        return load_libsvm(path, engine=engine, **kwargs)


def dense(data: RankingData) -> np.ndarray:
    return data.X.toarray() if sp.issparse(data.X) else np.asarray(data.X)


# ---------------------------------------------------------------------------- real data
@pytest.mark.parametrize("name", MQ2008_FILES)
def test_mq2008_matches_sklearn_exactly(mq2008_root: Path, name: str) -> None:
    path = mq2008_root / name
    X_ref, y_ref, q_ref = load_svmlight_file(str(path), query_id=True, dtype=np.float64)
    data = load_libsvm(path, dtype=np.float64)
    assert data.X.shape == X_ref.shape == (data.n_rows, 46)
    np.testing.assert_array_equal(dense(data), X_ref.toarray())
    np.testing.assert_array_equal(data.y, y_ref)
    np.testing.assert_array_equal(data.qid, q_ref)  # MQ2008 files are grouped already
    np.testing.assert_array_equal(data.source_row, np.arange(1, data.n_rows + 1))
    assert data.docid[0].startswith("GX") and data.comment[0].startswith("docid = ")
    X32 = load_libsvm(path).X
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32, X_ref.toarray().astype(np.float32))


def test_mq2008_python_engine_matches_c(mq2008_root: Path) -> None:
    if "c" not in ENGINES:
        pytest.skip("compiled parser not built")
    path = mq2008_root / "Fold1" / "vali.txt"
    a = load_libsvm(path, dtype=np.float64, engine="c")
    b = load_libsvm(path, dtype=np.float64, engine="python")
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.qid, b.qid)
    np.testing.assert_array_equal(a.docid, b.docid)
    np.testing.assert_array_equal(a.comment, b.comment)


# ---------------------------------------------------------------------------- exact values
def random_number_tokens(rng: np.random.Generator, n: int) -> list[str]:
    """Number spellings of many shapes: short/long mantissas, exponents, subnormals, signs."""
    out = []
    for _ in range(n):
        kind = rng.integers(8)
        sign = rng.choice(["", "-", "+"])
        if kind == 0:
            out.append(sign + repr(abs(float(rng.normal() * 10.0 ** rng.integers(-30, 30)))))
        elif kind == 1:
            out.append(sign + f"{rng.random():.6f}")
        elif kind == 2:
            digits = "".join(rng.choice(list("0123456789"), size=rng.integers(1, 40)))
            out.append(sign + digits[: rng.integers(0, len(digits) + 1)] + "." + digits)
        elif kind == 3:
            out.append(sign + f"{rng.integers(0, 10**6)}e{rng.integers(-330, 310)}")
        elif kind == 4:
            out.append(sign + f"{rng.random():.17e}".replace("e", rng.choice(["e", "E"])))
        elif kind == 5:
            out.append(sign + str(int(rng.integers(0, 2**62))) + "." )
        elif kind == 6:
            out.append(sign + "." + str(int(rng.integers(0, 10**9))).zfill(12))
        else:
            out.append(sign + repr(float(np.float64(rng.random()) * 2.0**-1074 * 2**rng.integers(0, 60))))
    # finite in float32 too (larger values are an error there, see BAD_CASES)
    return [t for t in out if abs(float(t)) < 2.0**128 - 2.0**103]


def test_values_identical_to_float_and_sklearn(tmp_path: Path, engine: str) -> None:
    rng = np.random.default_rng(7)
    tokens = random_number_tokens(rng, 6000)
    n_cols = 20
    tokens = tokens[: len(tokens) // n_cols * n_cols]
    rows = np.array(tokens, dtype=object).reshape(-1, n_cols)
    lines = []
    for r, row in enumerate(rows):
        feats = " ".join(f"{j + 1}:{tok}" for j, tok in enumerate(row))
        lines.append(f"{r % 5} qid:{r // 7} {feats}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    expected = np.array([[float(t) for t in row] for row in rows])
    data = load(path, engine, dtype=np.float64, sparse=False)
    assert dense(data).view(np.uint64).tolist() == expected.view(np.uint64).tolist()
    X_ref, y_ref, q_ref = load_svmlight_file(str(path), query_id=True, dtype=np.float64)
    np.testing.assert_array_equal(dense(data), X_ref.toarray())
    np.testing.assert_array_equal(data.y, y_ref)
    np.testing.assert_array_equal(data.qid, q_ref)
    data32 = load(path, engine, dtype=np.float32, sparse=False)
    assert data32.X.view(np.uint32).tolist() == expected.astype(np.float32).view(np.uint32).tolist()


def test_generated_file_matches_sklearn_sparse(tmp_path: Path, engine: str) -> None:
    rng = np.random.default_rng(3)
    X = sp.random(300, 500, density=0.02, random_state=4, format="csr")
    X.data = np.round(X.data * 1e3 - 500, int(rng.integers(0, 9)))
    y = rng.integers(0, 5, size=300).astype(float)
    qid = np.repeat(np.arange(30), 10)
    from sklearn.datasets import dump_svmlight_file

    path = tmp_path / "gen.txt"
    dump_svmlight_file(X, y, str(path), query_id=qid)
    X_ref, y_ref, q_ref = load_svmlight_file(str(path), query_id=True, dtype=np.float64)
    data = load(path, engine, dtype=np.float64)
    assert sp.issparse(data.X)  # 2% density: auto picks CSR
    np.testing.assert_array_equal(data.X.toarray(), X_ref.toarray())
    np.testing.assert_array_equal(data.y, y_ref)
    np.testing.assert_array_equal(data.qid, q_ref)


# ---------------------------------------------------------------------------- format features
def test_qid_comments_docid_and_source_rows(tmp_path: Path, engine: str) -> None:
    text = (
        "# header comment line\n"
        "2 qid:10 1:0.5 3:1.5 #docid = D1 inc = 1\n"
        "\n"
        "0 qid:10 2:-3 # free text\n"
        "   \n"
        "1 qid:11 1:1e-3\n"
    )
    data = load(write(tmp_path, text), engine, dtype=np.float64)
    assert data.n_rows == 3 and data.n_queries == 2 and data.n_features == 3
    np.testing.assert_array_equal(data.qid, [10, 10, 11])
    np.testing.assert_array_equal(data.y, [2, 0, 1])
    np.testing.assert_array_equal(data.source_row, [2, 4, 6])
    assert data.comment.tolist() == ["docid = D1 inc = 1", "free text", ""]
    assert data.docid.tolist() == ["D1", "", ""]
    np.testing.assert_array_equal(dense(data), [[0.5, 0, 1.5], [0, -3, 0], [1e-3, 0, 0]])
    plain = load(write(tmp_path, text), engine, keep_comments=False)
    assert plain.comment is None and plain.docid is None


def test_crlf_tabs_signs_scientific_negative(tmp_path: Path, engine: str) -> None:
    text = "+1\tqid:1\t1:1E+2\t2:-2.5e-3 \r\n-1 qid:1 1:-0 2:.5\r\n+0 qid:2 2:7.\r\n"
    data = load(write(tmp_path, text), engine, dtype=np.float64)
    np.testing.assert_array_equal(data.y, [1, -1, 0])
    np.testing.assert_array_equal(dense(data), [[100, -0.0025], [-0.0, 0.5], [0, 7]])
    assert np.signbit(dense(data)[1, 0])  # -0 stays negative zero, as float() gives
    assert data.comment is None


def test_last_line_without_newline_and_comment_only_file_tail(tmp_path: Path, engine: str) -> None:
    data = load(write(tmp_path, "1 qid:1 1:1\n0 qid:1 1:2 #c"), engine)
    assert data.n_rows == 2 and data.comment.tolist() == ["", "c"]


def test_features_in_any_order(tmp_path: Path, engine: str) -> None:
    text = "1 qid:1 3:3 1:1 2:2\n0 qid:1 2:20 1:10\n"
    for sparse in (True, False):
        data = load(write(tmp_path, text), engine, sparse=sparse)
        np.testing.assert_array_equal(dense(data), [[1, 2, 3], [10, 20, 0]])
        if sparse:
            assert data.X.has_sorted_indices
            assert data.X.indices.tolist() == [0, 1, 2, 0, 1]


@pytest.mark.parametrize("text,width", [
    ("1 qid:1 2:1 9:1 3:1\n0 qid:1 1:1 4:1\n", 9),   # widest index mid-row
    ("1 qid:1 3:1 0:2 5:1\n0 qid:1 1:1 4:1\n", 6),   # a zero index mid-row: zero-based
    ("1 qid:1 4:1 2:7\n0 qid:1 1:1 3:1\n", 4),
])
def test_unsorted_rows_set_width_and_base(tmp_path: Path, engine: str, text: str,
                                          width: int) -> None:
    data = load(write(tmp_path, text), engine, dtype=np.float64, sparse=False)
    assert data.X.shape == (2, width)
    # brute force (scikit-learn refuses rows whose indices do not ascend)
    rows = [dict(tok.split(":") for tok in line.split()[2:]) for line in text.splitlines()]
    base = 0 if any("0" in row for row in rows) else 1
    expected = np.zeros((2, width))
    for r, row in enumerate(rows):
        for idx, val in row.items():
            expected[r, int(idx) - base] = float(val)
    np.testing.assert_array_equal(data.X, expected)


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_files(tmp_path: Path, engine: str, suffix: str, opener) -> None:
    text = b"1 qid:3 1:0.25 2:4\n0 qid:3 2:1 #docid = X\n"
    path = tmp_path / f"c.txt{suffix}"
    with opener(path, "wb") as f:
        f.write(text)
    data = load(path, engine)
    plain = load(write(tmp_path, text), engine)
    np.testing.assert_array_equal(dense(data), dense(plain))
    assert data.docid.tolist() == ["", "X"]


def test_zero_and_one_based(tmp_path: Path, engine: str) -> None:
    one = write(tmp_path, "1 qid:1 1:1 3:3\n", "one.txt")
    zero = write(tmp_path, "1 qid:1 0:1 2:3\n", "zero.txt")
    np.testing.assert_array_equal(dense(load(one, engine)), [[1, 0, 3]])
    np.testing.assert_array_equal(dense(load(zero, engine)), [[1, 0, 3]])
    np.testing.assert_array_equal(dense(load(one, engine, zero_based=True)), [[0, 1, 0, 3]])
    np.testing.assert_array_equal(dense(load(one, engine, zero_based=False)), [[1, 0, 3]])
    # the same rule as scikit-learn's auto-detection
    X_ref, _ = load_svmlight_file(str(one), zero_based="auto")
    np.testing.assert_array_equal(X_ref.toarray(), [[1, 0, 3]])


def test_n_features_dtype_and_sparse_choice(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "1 qid:1 1:1 2:2\n0 qid:1 2:5\n")
    data = load(path, engine, n_features=5)
    assert data.X.shape == (2, 5) and not data.is_sparse  # 3 of 10 cells written: dense
    wide = load(path, engine, n_features=50)
    assert wide.is_sparse and wide.X.shape == (2, 50)
    np.testing.assert_array_equal(wide.X.toarray()[:, :2], [[1, 2], [0, 5]])
    forced = load(path, engine, sparse=True)
    assert forced.is_sparse and forced.X.dtype == np.float32
    assert load(path, engine, dtype=np.float16).X.dtype == np.float16
    big = write(tmp_path, "1 qid:1 1:1\n0 qid:1 2:1e6\n", "big.txt")
    with pytest.raises(LibSVMFormatError, match="line 2"):
        load_libsvm(big, engine=engine, dtype=np.float16)
    assert np.isinf(load(big, engine, dtype=np.float16, allow_nan=True).X[1, 1])
    assert load(path, engine, sparse=False, dtype=np.float64).X.dtype == np.float64


def test_row_without_features(tmp_path: Path, engine: str) -> None:
    data = load(write(tmp_path, "1 qid:1\n0 qid:1 2:1\n"), engine)
    np.testing.assert_array_equal(dense(data), [[0, 0], [0, 1]])


def test_non_contiguous_qids_are_regrouped_with_warning(tmp_path: Path, engine: str) -> None:
    text = "1 qid:5 1:1\n2 qid:7 1:2\n3 qid:5 1:3\n4 qid:9 1:4\n5 qid:7 1:5\n6 qid:5 1:6\n"
    path = write(tmp_path, text)
    with pytest.warns(UserWarning, match=r"2 queries had their rows split") as record:
        data = load_libsvm(path, engine=engine)
    assert str(path) in str(record[0].message)
    np.testing.assert_array_equal(data.qid, [5, 5, 5, 7, 7, 9])
    np.testing.assert_array_equal(data.y, [1, 3, 6, 2, 5, 4])
    np.testing.assert_array_equal(data.source_row, [1, 3, 6, 2, 5, 4])
    np.testing.assert_array_equal(dense(data)[:, 0], data.y)


@pytest.mark.parametrize("suffix", [".query", ".group"])
def test_sidecar_picked_up_automatically(tmp_path: Path, engine: str, suffix: str) -> None:
    path = write(tmp_path, "1 1:1\n0 1:2\n2 1:3\n1 1:4\n0 1:5\n")
    write(tmp_path, "2\n3\n", path.name + suffix)
    data = load(path, engine)
    np.testing.assert_array_equal(data.group_sizes, [2, 3])
    np.testing.assert_array_equal(data.qid, [0, 0, 1, 1, 1])


def test_sidecar_for_compressed_file_and_explicit(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "t.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write(b"1 1:1\n0 1:2\n2 1:3\n")
    write(tmp_path, "1\n2\n", "t.txt.query")
    np.testing.assert_array_equal(load(path, engine).group_sizes, [1, 2])
    other = write(tmp_path, "3\n", "groups.txt")
    np.testing.assert_array_equal(load(path, engine, query_file=other).group_sizes, [3])


def test_sidecar_ignored_when_file_has_qid(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "1 qid:1 1:1\n0 qid:2 1:2\n")
    write(tmp_path, "2\n", path.name + ".query")
    with pytest.warns(UserWarning, match="ignoring the sidecar"):
        data = load_libsvm(path, engine=engine)
    np.testing.assert_array_equal(data.group_sizes, [1, 1])
    with pytest.raises(ValueError, match="query_file"):
        load_libsvm(path, engine=engine, query_file=tmp_path / (path.name + ".query"))


def test_no_qid_and_no_sidecar_is_one_query(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "1 1:1\n0 1:2\n")
    with pytest.warns(UserWarning, match="all 2 rows form one query"):
        data = load_libsvm(path, engine=engine)
    assert data.n_queries == 1


def test_file_object_input(tmp_path: Path, engine: str) -> None:
    buf = io.BytesIO(b"1 qid:1 1:1\n0 qid:1 1:2\n")
    data = load_libsvm(buf, engine=engine)
    np.testing.assert_array_equal(dense(data)[:, 0], [1, 2])


def test_many_chunks_and_long_lines(tmp_path: Path, engine: str, monkeypatch) -> None:
    rng = np.random.default_rng(0)
    X = np.round(rng.random((400, 30)), 4)
    lines = []
    for i, row in enumerate(X):
        lines.append(f"{i % 3} qid:{i // 10} " + " ".join(f"{j + 1}:{v!r}" for j, v in enumerate(row.tolist())))
        if i % 50 == 0:
            lines.append("")  # blank lines between chunks shift the line numbers
    path = write(tmp_path, "\n".join(lines) + "\n")
    monkeypatch.setattr(textio, "CHUNK_BYTES", 300)  # smaller than one line: buffers grow
    data = load(path, engine, dtype=np.float64)
    np.testing.assert_array_equal(data.X, X)
    expected_rows = [k + 1 for k, line in enumerate(lines) if line]
    np.testing.assert_array_equal(data.source_row, expected_rows)
    # an error in a late chunk still names the right line
    lines[-1] = lines[-1].replace("3:", "3:oops")
    bad = write(tmp_path, "\n".join(lines) + "\n", "bad.txt")
    monkeypatch.setattr(textio, "CHUNK_BYTES", 4096)
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(bad, engine=engine)
    assert info.value.line == len(lines) and info.value.token.startswith("3:oops")


def test_parallel_parts_give_the_same_result(tmp_path: Path, monkeypatch) -> None:
    if "c" not in ENGINES:
        pytest.skip("compiled parser not built")
    rng = np.random.default_rng(1)
    lines = []
    for i in range(300):
        feats = " ".join(f"{j}:{rng.normal():.{rng.integers(1, 25)}g}"
                         for j in sorted(rng.choice(np.arange(1, 60), size=8, replace=False)))
        lines.append(f"{i % 5} qid:{i // 6} {feats}" + (f" #docid = d{i}" if i % 3 else ""))
        if i % 40 == 0:
            lines.append("# comment line")
    path = write(tmp_path, "\n".join(lines) + "\n")
    reference = load(path, "python", dtype=np.float64, sparse=True)
    monkeypatch.setattr(libsvm_native, "PART_MIN_BYTES", 64)
    monkeypatch.setattr(textio, "CHUNK_BYTES", 4096)
    monkeypatch.setenv(libsvm.THREADS_ENV, "7")
    for sparse in (True, False):
        data = load(path, "c", dtype=np.float64, sparse=sparse)
        assert dense(data).tobytes() == dense(reference).tobytes()
        np.testing.assert_array_equal(data.y, reference.y)
        np.testing.assert_array_equal(data.qid, reference.qid)
        np.testing.assert_array_equal(data.source_row, reference.source_row)
        assert data.docid.tolist() == reference.docid.tolist()
    # two bad lines in different parts: the first one in the file is reported
    lines[100] = lines[100].replace("qid:", "qid:x")
    lines[250] = "oops " + lines[250]
    bad = write(tmp_path, "\n".join(lines) + "\n", "bad.txt")
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(bad, engine="c")
    assert info.value.line == 101 and info.value.token.startswith("qid:x")


def test_nan_and_inf_allowed_on_request(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, "nan qid:1 1:inf 2:-Infinity 3:NaN 4:1e999\n")
    data = load(path, engine, allow_nan=True, dtype=np.float64)
    assert np.isnan(data.y[0])
    row = dense(data)[0]
    assert row[0] == np.inf and row[1] == -np.inf and np.isnan(row[2]) and row[3] == np.inf


# ---------------------------------------------------------------------------- bad input
BAD_CASES = [
    # (id, text, kwargs, line, token, reason fragment)
    ("label", "1 qid:1 1:1\nabc qid:1 1:1\n", {}, 2, "abc", "label is not a number"),
    ("label_missing", "1 qid:1 1:1\nqid:1 1:1\n", {}, 2, "qid:1", "label is not a number"),
    ("label_is_feature", "1:2 3:4\n", {}, 1, "1:2", "label is not a number"),
    ("value", "1 qid:1 1:1 2:x1\n", {}, 1, "2:x1", "value is not a number"),
    ("value_hex", "1 qid:1 1:0x10\n", {}, 1, "1:0x10", "value is not a number"),
    ("value_trailing", "1 qid:1 1:1.5abc\n", {}, 1, "1:1.5abc", "value is not a number"),
    ("value_two_colons", "1 qid:1 1:2:3\n", {}, 1, "1:2:3", "value is not a number"),
    ("control_byte", "1 qid:1 1:0.123456789\x01234 2:1\n", {}, 1, "1:0.123456789\x01234",
     "value is not a number"),
    ("no_value", "1 qid:1 1:1\n0 qid:1 1: 2:3\n", {}, 2, "1:", "has no value"),
    ("no_colon", "1 qid:1 5\n", {}, 1, "5", "integer index"),
    ("bad_index", "1 qid:1 a:1\n", {}, 1, "a:1", "integer index"),
    ("float_index", "1 qid:1 1.5:1\n", {}, 1, "1.5:1", "integer index"),
    ("duplicate", "1 qid:1 1:1 2:2 1:3\n", {}, 1, "1:3", "repeated"),
    ("duplicate_sorted_twice", "1 qid:1 2:1 2:2\n", {}, 1, "2:2", "repeated"),
    ("negative_index", "1 qid:1 -1:1\n", {}, 1, "-1:1", "below the index base"),
    ("zero_when_one_based", "1 qid:1 0:1 1:2\n", {"zero_based": False}, 1, "0:1", "below the index base"),
    ("beyond_n_features", "1 qid:1 1:1\n0 qid:1 9:1\n", {"n_features": 3}, 2, "9:1", "beyond n_features"),
    ("index_too_large", "1 qid:1 99999999999:1\n", {}, 1, "99999999999:1", "larger than"),
    ("qid_missing_later", "1 qid:1 1:1\n0 1:1\n", {}, 2, "1:1", "no qid: token"),
    ("qid_appears_later", "1 1:1\n0 qid:4 1:1\n", {}, 2, "qid:4", "has a qid: token"),
    ("qid_not_int", "1 qid:abc 1:1\n", {}, 1, "qid:abc", "qid: needs an integer"),
    ("qid_empty", "1 qid: 1:1\n", {}, 1, "qid:", "qid: needs an integer"),
    ("qid_position", "1 1:1 qid:3\n", {}, 1, "qid:3", "right after the label"),
    ("nan_value", "1 qid:1 1:nan\n", {}, 1, "1:nan", "NaN or infinite"),
    ("inf_value", "1 qid:1 1:1 2:-inf\n", {}, 1, "2:-inf", "NaN or infinite"),
    ("overflow_value", "1 qid:1 1:1e400\n", {}, 1, "1:1e400", "NaN or infinite"),
    ("overflow_float32", "1 qid:1 1:1 2:3.5e38\n", {}, 1, "2:3.5e38", "too large for the dtype"),
    ("nan_label", "0 qid:1 1:1\nNaN qid:1 1:1\n", {}, 2, "NaN", "label is NaN"),
    ("empty", "", {}, 1, "", "no data rows"),
    ("only_comments", "# a\n\n  # b\n", {}, 3, "", "no data rows"),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_names_file_line_token(tmp_path: Path, engine: str, case) -> None:
    _, text, kwargs, line, token, reason = case
    path = write(tmp_path, text)
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(path, engine=engine, **kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.path == str(path) and err.line == line and err.token == token
    assert reason in err.reason
    message = str(err)
    assert str(path) in message and f"line {line}" in message and repr(token) in message


def test_error_pickles(tmp_path: Path) -> None:
    err = LibSVMFormatError("f.txt", 3, "bad", "tok")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.line == 3


@pytest.mark.parametrize("sizes,line,token,reason", [
    ("2\n2\n", 2, "2", "more than the 3 rows"),
    ("1\n1\n", 2, "1", "add up to 2 but the data file has 3 rows"),
    ("1\nx\n", 2, "x", "not a positive integer"),
    ("3\n0\n", 2, "0", "zero"),
    ("", 1, "", "no group sizes"),
])
def test_bad_sidecar(tmp_path: Path, engine: str, sizes: str, line: int, token: str,
                     reason: str) -> None:
    path = write(tmp_path, "1 1:1\n0 1:2\n2 1:3\n")
    side = write(tmp_path, sizes, path.name + ".query")
    with pytest.raises(LibSVMFormatError) as info:
        load_libsvm(path, engine=engine)
    assert info.value.path == str(side) and info.value.line == line
    assert info.value.token == token and reason in info.value.reason


def test_bad_options(tmp_path: Path) -> None:
    path = write(tmp_path, "1 qid:1 1:1\n")
    with pytest.raises(ValueError, match="dtype"):
        load_libsvm(path, dtype=np.int32)
    with pytest.raises(ValueError, match="zero_based"):
        load_libsvm(path, zero_based="yes")
    with pytest.raises(ValueError, match="sparse"):
        load_libsvm(path, sparse="csr")
    with pytest.raises(ValueError, match="n_features"):
        load_libsvm(path, n_features=-1)
    with pytest.raises(ValueError, match="engine"):
        load_libsvm(path, engine="rust")
    with pytest.raises(FileNotFoundError):
        load_libsvm(tmp_path / "missing.txt")


def test_without_the_extension_the_python_parser_is_used(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "1 qid:1 1:0.5\n")
    monkeypatch.setattr(libsvm_native, "_C", None)
    assert libsvm.choose_engine("auto") == "python"
    assert load_libsvm(path).X[0, 0] == np.float32(0.5)
    with pytest.raises(ImportError, match="not built"):
        load_libsvm(path, engine="c")


def test_engine_from_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(libsvm.ENGINE_ENV, "python")
    assert libsvm.choose_engine("auto") == "python"
    monkeypatch.setenv(libsvm.ENGINE_ENV, "bogus")
    with pytest.raises(ValueError):
        libsvm.choose_engine("auto")


# ---------------------------------------------------------------------------- round trips
def random_ranking(rng: np.random.Generator, n_rows: int = 200, n_features: int = 12,
                   dtype=np.float64) -> RankingData:
    X = rng.normal(size=(n_rows, n_features)) * 10.0 ** rng.integers(-8, 8, size=(n_rows, n_features))
    X[rng.random(X.shape) < 0.2] = 0.0
    X = X.astype(dtype)
    info = np.finfo(dtype)
    X[0, 0] = -0.0
    X[1, :4] = [info.tiny / 3, info.max, 1 / 3, -info.smallest_subnormal]
    y = rng.integers(0, 5, size=n_rows).astype(np.float64)
    y[2] = 0.1 + 0.2
    qid = np.sort(rng.integers(0, 30, size=n_rows)) * 1000 - 5
    docid = np.array([f"doc-{i}" for i in range(n_rows)])
    comment = [f"docid = doc-{i} note={i % 7}" if i % 4 else "" for i in range(n_rows)]
    comment[3] = "docid = doc-3 weird # inside, ünïcode"
    comment = np.array(comment)
    return RankingData(X, y, qid, docid=docid, comment=comment)


def assert_same(a: RankingData, b: RankingData) -> None:
    xa, xb = dense(a), dense(b)
    assert xa.dtype == xb.dtype and xa.shape == xb.shape
    assert xa.tobytes() == xb.tobytes()  # bit for bit, -0.0 included
    assert a.y.tobytes() == b.y.tobytes()
    np.testing.assert_array_equal(a.qid, b.qid)
    np.testing.assert_array_equal(a.group_offsets, b.group_offsets)


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_round_trip_float64_bit_for_bit(tmp_path: Path, engine: str, suffix: str) -> None:
    data = random_ranking(np.random.default_rng(11))
    path = save_libsvm(data, tmp_path / f"rt{suffix}")
    back = load(path, engine, dtype=np.float64, sparse=False)
    assert_same(data, back)
    assert back.comment.tolist() == data.comment.tolist()
    # docids come back from the comments that carry them
    assert back.docid.tolist() == [d if c else "" for d, c in zip(data.docid, data.comment, strict=True)]
    if suffix == ".txt":  # writing what was read gives the same bytes
        again = save_libsvm(back, tmp_path / "rt2.txt")
        assert again.read_bytes() == path.read_bytes()


def test_round_trip_float32_and_csr(tmp_path: Path, engine: str) -> None:
    rng = np.random.default_rng(5)
    data32 = random_ranking(rng, dtype=np.float32)
    back = load(save_libsvm(data32, tmp_path / "f32.txt"), engine, sparse=False)
    assert_same(data32, back)
    X = sp.random(150, 40, density=0.05, random_state=1, format="csr")
    X.data = rng.normal(size=X.nnz) * 1e-3
    csr = RankingData(X, rng.integers(0, 3, 150), np.repeat(np.arange(15), 10))
    back = load(save_libsvm(csr, tmp_path / "csr.txt"), engine, dtype=np.float64,
                n_features=40, sparse=True)
    assert_same(csr, back)
    assert back.X.nnz == X.nnz


def test_round_trip_zero_based_and_no_comments(tmp_path: Path, engine: str) -> None:
    data = random_ranking(np.random.default_rng(2))
    path = save_libsvm(data, tmp_path / "z.txt", zero_based=True, comments=False)
    assert "#" not in path.read_text()
    back = load(path, engine, dtype=np.float64, sparse=False, zero_based=True)
    assert_same(data, back)
    assert back.comment is None


def test_saved_text_is_readable_by_sklearn(tmp_path: Path) -> None:
    data = random_ranking(np.random.default_rng(9))
    path = save_libsvm(data, tmp_path / "s.txt")
    X_ref, y_ref, q_ref = load_svmlight_file(str(path), query_id=True, dtype=np.float64)
    # (scipy's toarray adds entries into zeros, so -0.0 compares as a plain zero here)
    np.testing.assert_array_equal(X_ref.toarray(), dense(data))
    np.testing.assert_array_equal(y_ref, data.y)
    np.testing.assert_array_equal(q_ref, data.qid)


def test_binary_cache_round_trip(tmp_path: Path, engine: str) -> None:
    data = load(save_libsvm(random_ranking(np.random.default_rng(4)), tmp_path / "c.txt"),
                engine, dtype=np.float64, sparse=False)
    cache = data.save(tmp_path / "cache")
    back = RankingData.load(cache)
    assert_same(data, back)
    np.testing.assert_array_equal(back.source_row, data.source_row)
    assert back.comment.tolist() == data.comment.tolist()
    assert back.docid.tolist() == data.docid.tolist()
    assert isinstance(back.X, np.memmap) or isinstance(getattr(back.X, "base", None), np.memmap)


def test_save_rejects_non_ranking_data(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        save_libsvm(np.zeros((2, 2)), tmp_path / "x.txt")
