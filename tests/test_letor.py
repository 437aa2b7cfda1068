"""LETOR fold layout: MQ2008 for real, plus small generated trees for every layout and error."""

from __future__ import annotations

import bz2
import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("boostrank.data.libsvm")

from boostrank.data import RankingData  # noqa: E402
from boostrank.data.letor import (  # noqa: E402
    find_letor_root,
    letor_folds,
    letor_split_path,
    load_letor_fold,
    resolve_letor_fold,
)

SPLITS = ("train", "vali", "test")


def _count(path: Path) -> tuple[int, int]:
    """Brute-force (n_queries, n_rows) of a LETOR text file."""
    qids = [re.search(r"qid:(\S+)", line).group(1)
            for line in path.read_text().splitlines() if line.strip()]
    return len(set(qids)), len(qids)


# ---------------------------------------------------------------------------- MQ2008
def test_mq2008_fold1_counts(mq2008_root):
    train, vali, test = load_letor_fold(mq2008_root, 1)
    assert (train.n_queries, train.n_rows) == (471, 9630)
    assert vali.n_queries == 157
    assert (test.n_queries, test.n_rows) == (156, 2874)
    for data, split in zip((train, vali, test), SPLITS, strict=True):
        assert (data.n_queries, data.n_rows) == _count(mq2008_root / "Fold1" / f"{split}.txt")
        assert data.n_features == 46
        assert set(np.unique(data.y)) == {0.0, 1.0, 2.0}
        assert data.docid is not None and data.docid[0].startswith("GX")
        assert Path(data.source).name == f"{split}.txt"


def test_mq2008_folds_and_partitions(mq2008_root):
    assert letor_folds(mq2008_root) == [1, 2, 3, 4, 5]
    _, vali1, test1 = load_letor_fold(mq2008_root, fold=1)
    train2, vali2, test2 = load_letor_fold(mq2008_root, fold=2)
    # Fold2's vali is S5, Fold1's test (see the MQ2008 README's table)
    np.testing.assert_array_equal(np.asarray(vali2.X), np.asarray(test1.X))
    np.testing.assert_array_equal(vali2.y, test1.y)
    np.testing.assert_array_equal(vali2.qid, test1.qid)
    # the three splits of a fold partition the 784 queries / 15,211 rows
    qids = np.concatenate([d.query_ids for d in (train2, vali2, test2)])
    assert qids.size == np.unique(qids).size == 784
    assert sum(d.n_rows for d in (train2, vali2, test2)) == 15211


def test_mq2008_matches_sklearn(mq2008_root):
    from sklearn.datasets import load_svmlight_file

    _, _, test = load_letor_fold(mq2008_root, 1, dtype=np.float64)
    X, y, qid = load_svmlight_file(str(mq2008_root / "Fold1" / "test.txt"), query_id=True,
                                   dtype=np.float64)
    np.testing.assert_array_equal(np.asarray(test.X.todense() if test.is_sparse else test.X),
                                  X.toarray())
    np.testing.assert_array_equal(test.y, y)
    np.testing.assert_array_equal(test.qid, qid)


def test_mq2008_nested_root_is_found(mq2008_root, tmp_path):
    outer = tmp_path / "downloads"
    outer.mkdir()
    (outer / "MQ2008").symlink_to(mq2008_root, target_is_directory=True)
    assert find_letor_root(outer) == outer / "MQ2008"
    assert letor_folds(outer) == [1, 2, 3, 4, 5]
    assert letor_split_path(outer, 4, "test") == outer / "MQ2008" / "Fold4" / "test.txt"


def test_mq2008_cache_dir_roundtrip(mq2008_root, tmp_path):
    first = load_letor_fold(mq2008_root, 3, cache_dir=tmp_path)
    assert (tmp_path / "Fold3" / "train.cache" / "meta.json").is_file()
    second = load_letor_fold(mq2008_root, 3, cache_dir=tmp_path)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(np.asarray(a.X.todense() if a.is_sparse else a.X),
                                      np.asarray(b.X.todense() if b.is_sparse else b.X))
        np.testing.assert_array_equal(a.y, b.y)
        np.testing.assert_array_equal(a.qid, b.qid)
        np.testing.assert_array_equal(a.docid, b.docid)


# ---------------------------------------------------------------------------- generated trees
def _lines(seed: int, n_queries: int = 4, max_feature: int = 5) -> str:
    rng = np.random.default_rng(seed)
    out = []
    for q in range(n_queries):
        for d in range(3 + q % 3):
            feats = " ".join(f"{j}:{rng.uniform():.4f}" for j in range(1, max_feature + 1))
            out.append(f"{int(rng.integers(0, 3))} qid:{100 * seed + q} {feats} "
                       f"#docid = S{seed}Q{q}D{d}")
    return "\n".join(out) + "\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(text.encode()))
    else:
        path.write_text(text)


@pytest.fixture
def tree(tmp_path) -> Path:
    """A three-fold LETOR tree with plain text files."""
    root = tmp_path / "DS"
    for fold in (1, 2, 3):
        for i, split in enumerate(SPLITS):
            _write(root / f"Fold{fold}" / f"{split}.txt", _lines(10 * fold + i))
    return root


def test_generated_tree_loads(tree):
    assert letor_folds(tree) == [1, 2, 3]
    train, vali, test = load_letor_fold(tree, 2)
    assert (train.n_queries, train.n_rows) == _count(tree / "Fold2" / "train.txt")
    assert test.docid[0] == "S22Q0D0"
    assert all(d.n_features == 5 for d in (train, vali, test))


def test_compressed_variants_equal_plain(tree, tmp_path):
    root = tmp_path / "Z"
    for split, suffix in zip(SPLITS, (".txt.gz", ".txt.bz2", ".txt"), strict=True):
        _write(root / "Fold1" / f"{split}{suffix}", (tree / "Fold1" / f"{split}.txt").read_text())
    plain = load_letor_fold(tree, 1)
    packed = load_letor_fold(root, 1)
    assert letor_split_path(root, 1, "train").name == "train.txt.gz"
    for a, b in zip(plain, packed, strict=True):
        np.testing.assert_array_equal(np.asarray(a.X.todense() if a.is_sparse else a.X),
                                      np.asarray(b.X.todense() if b.is_sparse else b.X))
        np.testing.assert_array_equal(a.y, b.y)


def test_flat_layout_is_fold_one(tmp_path):
    root = tmp_path / "istella" / "sample"
    for i, split in enumerate(("train", "valid", "test")):  # "valid" accepted for vali
        _write(root / f"{split}.txt", _lines(i))
    assert letor_folds(root) == [1]
    train, vali, test = load_letor_fold(root)
    assert vali.docid[0] == "S1Q0D0"
    # found from the parent too (a single LETOR root below it)
    assert letor_folds(tmp_path / "istella") == [1]
    with pytest.raises(FileNotFoundError, match="only fold 1"):
        load_letor_fold(root, 2)


def test_resolve_letor_fold_one_rule_for_every_layout(tree, tmp_path):
    assert resolve_letor_fold(tree, 3) == {s: tree / "Fold3" / f"{s}.txt" for s in SPLITS}
    flat = tmp_path / "istella" / "flat"  # as fetch_dataset returns Istella-S: no FoldN, .txt.gz
    for i, name in enumerate(("train.txt.gz", "valid.txt.gz", "test.txt.gz")):
        _write(flat / name, _lines(i))
    paths = resolve_letor_fold(flat)
    assert [p.name for p in paths.values()] == ["train.txt.gz", "valid.txt.gz", "test.txt.gz"]
    assert resolve_letor_fold(tmp_path / "istella") == paths  # a single root below is found
    loaded = load_letor_fold(flat)
    assert [d.source for d in loaded] == [str(p) for p in paths.values()]
    with pytest.raises(FileNotFoundError, match="only fold 1"):
        resolve_letor_fold(flat, 2)
    (flat / "test.txt.gz").unlink()
    with pytest.raises(FileNotFoundError, match="no test split found"):
        resolve_letor_fold(flat)


def test_nested_root(tree, tmp_path):
    outer = tmp_path / "download"
    outer.mkdir()
    os.rename(tree, outer / "DS")
    assert find_letor_root(outer) == outer / "DS"
    assert load_letor_fold(outer, 1)[0].n_rows == _count(outer / "DS" / "Fold1" / "train.txt")[1]


def test_features_padded_to_widest_split(tmp_path):
    root = tmp_path / "W"
    _write(root / "Fold1" / "train.txt", _lines(1, max_feature=6))
    _write(root / "Fold1" / "vali.txt", _lines(2, max_feature=4))
    _write(root / "Fold1" / "test.txt", _lines(3, max_feature=3))
    train, vali, test = load_letor_fold(root, 1)
    assert train.n_features == vali.n_features == test.n_features == 6
    X = np.asarray(test.X.todense() if test.is_sparse else test.X)
    assert np.all(X[:, 3:] == 0)


def test_load_kwargs_pass_through(tree):
    train, _, _ = load_letor_fold(tree, 1, dtype=np.float64, sparse=False)
    assert train.X.dtype == np.float64 and isinstance(train.X, np.ndarray)
    train, _, _ = load_letor_fold(tree, 1, sparse=True)
    assert train.is_sparse


def test_binary_cache_next_to_text_is_preferred_when_fresh(tree):
    fold = tree / "Fold1"
    text_train = load_letor_fold(tree, 1)[0]
    marked = RankingData(np.asarray(text_train.X.todense() if text_train.is_sparse
                                    else text_train.X),
                         text_train.y + 10, text_train.qid)
    marked.save(fold / "train.cache")
    assert letor_split_path(tree, 1, "train").name == "train.cache"
    assert load_letor_fold(tree, 1)[0].y.min() >= 10
    assert load_letor_fold(tree, 1, prefer_cache=False)[0].y.max() <= 2
    # a cache older than its text is stale: the text wins
    old = (fold / "train.txt").stat().st_mtime - 100
    os.utime(fold / "train.cache" / "meta.json", (old, old))
    assert load_letor_fold(tree, 1)[0].y.max() <= 2
    # with no text left, the cache is used whatever its age
    (fold / "train.txt").unlink()
    assert load_letor_fold(tree, 1)[0].y.min() >= 10


def test_cache_dir_is_written_then_read(tree, tmp_path):
    cache = tmp_path / "cache"
    first = load_letor_fold(tree, 3, cache_dir=cache)
    for split in SPLITS:
        assert (cache / "Fold3" / f"{split}.cache" / "meta.json").is_file()
    # overwrite one cache with marked labels: the next load must read it
    marked = RankingData(np.asarray(first[1].X.todense() if first[1].is_sparse else first[1].X),
                         first[1].y + 7, first[1].qid)
    marked.save(cache / "Fold3" / "vali.cache")
    again = load_letor_fold(tree, 3, cache_dir=cache)
    assert again[1].y.min() >= 7
    np.testing.assert_array_equal(again[0].y, first[0].y)


# ---------------------------------------------------------------------------- errors
def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope"))):
        load_letor_fold(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        letor_folds(tmp_path / "nope")


def test_root_is_a_file(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("0 qid:1 1:1\n")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        load_letor_fold(path)


def test_not_a_letor_root(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="not a LETOR root.*Fold1"):
        load_letor_fold(tmp_path / "empty")


def test_several_datasets_below_root_is_ambiguous(tmp_path):
    for name in ("A", "B"):
        _write(tmp_path / "all" / name / "Fold1" / "train.txt", _lines(1))
    with pytest.raises(FileNotFoundError, match="several LETOR datasets"):
        letor_folds(tmp_path / "all")
    assert find_letor_root(tmp_path / "all") is None
    assert letor_folds(tmp_path / "all" / "B") == [1]


def test_missing_fold_lists_available(tree):
    with pytest.raises(FileNotFoundError, match=r"Fold7.*available folds: 1, 2, 3"):
        load_letor_fold(tree, 7)


def test_missing_split_names_folder_and_tried_files(tree):
    (tree / "Fold2" / "vali.txt").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_letor_fold(tree, 2)
    message = str(info.value)
    assert str(tree / "Fold2") in message and "no vali split" in message
    assert "vali.txt.gz" in message and "valid.txt" in message


@pytest.mark.parametrize("fold,error", [(0, ValueError), (-1, ValueError), ("1", TypeError),
                                        (1.0, TypeError), (True, TypeError)])
def test_bad_fold_argument(tree, fold, error):
    with pytest.raises(error, match="fold"):
        load_letor_fold(tree, fold)


def test_unknown_split_name(tree):
    with pytest.raises(ValueError, match="unknown split"):
        letor_split_path(tree, 1, "validation")
