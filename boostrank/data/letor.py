"""LETOR fold layout: ``FoldN/{train,vali,test}.txt`` trees, as MQ2007/MQ2008 and MSLR ship them.

A *LETOR root* is a folder that holds either

- fold folders ``Fold1``, ``Fold2``, ... (MQ2007, MQ2008, MSLR-WEB10K/30K), each with the
  three split files ``train``, ``vali`` and ``test``; or
- the three split files directly (a *flat* root, as Istella-S ships ``sample/``): it counts as
  a single fold numbered 1.

Each split may be stored as text (``train.txt``, or compressed ``train.txt.gz`` / ``.bz2`` /
``.xz``; ``valid``/``validation`` are accepted for ``vali``) or as a binary cache folder written
by `RankingData.save` (``train.cache/``). A cache is preferred when it is not older than the
text next to it, since it reloads far faster than parsing.

If the given root holds neither, a single nested LETOR root a few levels down is used
(so ``load_letor_fold("~/data/MQ2008")`` works whether the archive unpacked to
``MQ2008/Fold1`` or ``MQ2008/MQ2008/Fold1``).

`resolve_letor_fold` is the one implementation of this rule (root, fold -> the three split
paths); `load_letor_fold` and the ``compare --letor`` command use it, `letor_split_path` applies
the same rule to one split.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .ranking_data import RankingData

#: split name -> accepted file stems, in order of preference
SPLIT_STEMS: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "vali": ("vali", "valid", "validation"),
    "test": ("test",),
}
#: text suffixes tried for each stem, in order of preference
TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".txt.gz", ".txt.bz2", ".txt.xz")
#: suffix of a binary cache folder (`RankingData.save`) for a split
CACHE_SUFFIX = ".cache"

_FOLD_RE = re.compile(r"^fold(\d+)$", re.IGNORECASE)


# ---------------------------------------------------------------------------- layout discovery
def _fold_dirs(root: Path) -> dict[int, Path]:
    """``{n: root/FoldN}`` for the fold folders directly under ``root`` (case-insensitive)."""
    folds: dict[int, Path] = {}
    try:
        entries = list(root.iterdir())
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return folds
    for entry in entries:
        match = _FOLD_RE.match(entry.name)
        if match and entry.is_dir():
            folds.setdefault(int(match.group(1)), entry)
    return folds


def _split_candidates(folder: Path, split: str) -> Iterator[tuple[str, Path]]:
    """``(kind, path)`` candidates for ``split`` in ``folder``: caches first, then text."""
    for stem in SPLIT_STEMS[split]:
        yield "cache", folder / f"{stem}{CACHE_SUFFIX}"
    for stem in SPLIT_STEMS[split]:
        for suffix in TEXT_SUFFIXES:
            yield "text", folder / f"{stem}{suffix}"


def _has_splits(folder: Path) -> bool:
    """True when ``folder`` holds at least a train split (text or cache)."""
    return any(
        (path / "meta.json").is_file() if kind == "cache" else path.is_file()
        for kind, path in _split_candidates(folder, "train")
    )


def _is_letor_root(folder: Path) -> bool:
    return bool(_fold_dirs(folder)) or _has_splits(folder)


def _letor_roots_below(path: Path, max_depth: int) -> list[Path]:
    """The LETOR roots at the shallowest depth (<= ``max_depth``) at or below ``path``."""
    level = [path]
    for _ in range(max_depth + 1):
        found = [p for p in level if p.is_dir() and _is_letor_root(p)]
        if found:
            return found
        nxt: list[Path] = []
        for p in level:
            try:
                nxt.extend(sorted(c for c in p.iterdir()
                                  if c.is_dir() and not c.name.startswith((".", "__MACOSX"))))
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                continue
        level = nxt
        if not level:
            break
    return []


def find_letor_root(path: str | os.PathLike, max_depth: int = 3) -> Path | None:
    """The shallowest LETOR root at or below ``path`` (breadth-first, ``max_depth`` levels).

    Returns None when there is none, or when several folders at the same depth qualify
    (ambiguous: the caller must say which one).
    """
    found = _letor_roots_below(Path(path), max_depth)
    return found[0] if len(found) == 1 else None


def _resolve_root(root: str | os.PathLike) -> Path:
    root = Path(root).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"LETOR root {root} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(
            f"LETOR root {root} is not a folder (expected FoldN/{{train,vali,test}}.txt inside)"
        )
    if _is_letor_root(root):
        return root
    found = _letor_roots_below(root, 3)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise FileNotFoundError(
            f"{root} holds several LETOR datasets; pass one of: "
            + ", ".join(str(p) for p in found[:8])
        )
    raise FileNotFoundError(
        f"{root} is not a LETOR root: no Fold1, Fold2, ... folders and no "
        "train/vali/test files in it (nor in a folder below it)"
    )


def letor_folds(root: str | os.PathLike) -> list[int]:
    """The fold numbers available under ``root``, sorted (``[1]`` for a flat root).

    A fold counts when its folder exists; its split files are checked when loading.
    Raises FileNotFoundError when ``root`` does not exist or is not a LETOR root.
    """
    resolved = _resolve_root(root)
    folds = _fold_dirs(resolved)
    if folds:
        return sorted(folds)
    return [1]


def _fold_folder(root: Path, fold: int) -> Path:
    folds = _fold_dirs(root)
    if folds:
        if fold not in folds:
            raise FileNotFoundError(
                f"fold {fold} not found under {root}: no folder Fold{fold} "
                f"(available folds: {', '.join(map(str, sorted(folds)))})"
            )
        return folds[fold]
    if fold != 1:
        raise FileNotFoundError(
            f"{root} holds a single split (train/vali/test without FoldN folders), "
            f"so only fold 1 exists, not fold {fold}"
        )
    return root


def letor_split_path(root: str | os.PathLike, fold: int, split: str,
                     *, prefer_cache: bool = True) -> Path:
    """The file (or cache folder) that holds ``split`` of ``fold`` under ``root``.

    A cache ``<split>.cache/`` is chosen when ``prefer_cache`` and it is at least as new as
    the text file beside it (or there is no text). Raises FileNotFoundError naming the folder
    and every name tried.
    """
    if split not in SPLIT_STEMS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLIT_STEMS)}")
    folder = _fold_folder(_resolve_root(root), _check_fold(fold))
    return _pick(folder, split, prefer_cache=prefer_cache)


def resolve_letor_fold(root: str | os.PathLike, fold: int = 1, *,
                       prefer_cache: bool = True) -> dict[str, Path]:
    """The one rule for what a LETOR root is: ``{"train": path, "vali": path, "test": path}``.

    Parameters
    ----------
    root : a folder with ``Fold1 .. FoldN/`` (MQ2007/MQ2008/MSLR), or a *flat* root holding
        the three split files directly (Istella-S, as `fetch_dataset` returns it), which is
        fold 1; a single LETOR root nested up to 3 levels below is found too.
    fold : fold number, 1-based.
    prefer_cache : choose a fresh ``<split>.cache/`` binary cache over the text.

    Returns
    -------
    dict split -> Path of the text file (``.txt``, ``.txt.gz``, ``.txt.bz2``, ``.txt.xz``;
    ``valid``/``validation`` are accepted for ``vali``) or cache folder.

    Raises
    ------
    FileNotFoundError naming the missing root, fold or split (and the names tried);
    NotADirectoryError when ``root`` is a file; TypeError / ValueError for a bad ``fold``.
    """
    folder = _fold_folder(_resolve_root(root), _check_fold(fold))
    return {split: _pick(folder, split, prefer_cache=prefer_cache) for split in SPLIT_STEMS}


def _check_fold(fold: Any) -> int:
    if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)):
        raise TypeError(f"fold must be an int (1, 2, ...), got {fold!r}")
    if fold < 1:
        raise ValueError(f"fold must be >= 1 (folds are numbered from 1), got {fold}")
    return int(fold)


def _pick(folder: Path, split: str, *, prefer_cache: bool) -> Path:
    caches, texts = [], []
    for kind, path in _split_candidates(folder, split):
        if kind == "cache":
            if (path / "meta.json").is_file():
                caches.append(path)
        elif path.is_file():
            texts.append(path)
    text = texts[0] if texts else None
    if caches and (prefer_cache or text is None):
        cache = caches[0]
        if text is None or _mtime(cache / "meta.json") >= _mtime(text):
            return cache
    if text is not None:
        return text
    tried = [p.name + ("/" if kind == "cache" else "")
             for kind, p in _split_candidates(folder, split)]
    raise FileNotFoundError(
        f"{folder}: no {split} split found (looked for {', '.join(tried)})"
    )


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


# ---------------------------------------------------------------------------- loading
def _load_split(path: Path, load_kwargs: dict[str, Any]) -> RankingData:
    if path.is_dir():
        data = RankingData.load(path)
        return _apply_kwargs_to_cache(data, load_kwargs)
    from .libsvm import load_libsvm  # the text parser (imported lazily: light module import)

    return load_libsvm(path, **load_kwargs)


def _apply_kwargs_to_cache(data: RankingData, kwargs: dict[str, Any]) -> RankingData:
    """Give cached data the dtype / density / width that ``load_libsvm(**kwargs)`` would."""
    sparse = kwargs.get("sparse", "auto")
    if sparse is True and not data.is_sparse:
        data = data.to_sparse()
    elif sparse is False and data.is_sparse:
        data = data.to_dense()
    dtype = kwargs.get("dtype")
    if dtype is not None and np.dtype(dtype) != data.X.dtype:
        data = data._replace_X(data.X.astype(dtype))
    n_features = kwargs.get("n_features")
    if n_features is not None:
        data = _with_n_features(data, int(n_features))
    if kwargs.get("keep_comments") is False and (data.docid is not None or data.comment is not None):
        data = data._replace_X(data.X, docid=None, comment=None)
    return data


def _with_n_features(data: RankingData, n_features: int) -> RankingData:
    """Pad X with all-zero columns up to ``n_features`` (LibSVM: a missing feature is 0)."""
    return data.pad_features(n_features)


def _cache_path(cache_dir: Path, root: Path, fold_folder: Path, split: str) -> Path:
    relative = fold_folder.relative_to(root) if fold_folder != root else Path()
    return cache_dir / relative / f"{split}{CACHE_SUFFIX}"


def load_letor_fold(
    root: str | os.PathLike,
    fold: int = 1,
    *,
    prefer_cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    **load_kwargs: Any,
) -> tuple[RankingData, RankingData, RankingData]:
    """Load ``(train, vali, test)`` of one fold of a LETOR-layout dataset.

    Parameters
    ----------
    root : folder holding ``Fold1``, ``Fold2``, ... (or the three split files directly, which
        counts as fold 1). A single nested LETOR root below it is found automatically. The
        rule is `resolve_letor_fold`'s.
    fold : fold number, 1-based (MQ2007/MQ2008/MSLR have folds 1..5).
    prefer_cache : read a ``<split>.cache/`` binary cache (written by `RankingData.save` or
        ``boostrank data convert``) instead of the text when it is not older than the text.
    cache_dir : optional folder for binary caches of this dataset, mirroring the fold layout
        (``cache_dir/FoldN/train.cache``). A fresh cache there is read instead of the text;
        otherwise the text is parsed once and the cache written, so later loads are fast.
        Use it for read-only data folders.
    **load_kwargs : passed to `boostrank.data.load_libsvm` (``dtype``, ``sparse``,
        ``n_features``, ``zero_based``, ``keep_comments``, ...). Applied to caches as well
        where they matter (``dtype``, ``sparse``, ``n_features``, ``keep_comments``).

    Returns
    -------
    (train, vali, test) : three `RankingData` with the same number of features (a split
        whose highest feature index is lower than another's is padded with zero columns by
        `RankingData.pad_features`, as LibSVM semantics say a missing feature is 0).

    Raises
    ------
    FileNotFoundError naming the missing root, fold folder or split file (and the names tried).
    """
    paths = resolve_letor_fold(root, fold, prefer_cache=prefer_cache)
    resolved = _resolve_root(root)
    folder = _fold_folder(resolved, _check_fold(fold))
    cache_root = None if cache_dir is None else Path(cache_dir).expanduser()
    splits: list[RankingData] = []
    for split, path in paths.items():
        cached = None if cache_root is None else _cache_path(cache_root, resolved, folder, split)
        if cached is not None and (cached / "meta.json").is_file() and (
            path.is_dir() or _mtime(cached / "meta.json") >= _mtime(path)
        ):
            data = _load_split(cached, load_kwargs)
        else:
            data = _load_split(path, load_kwargs)
            if cached is not None and not path.is_dir():
                data.save(cached)
        splits.append(data)
    width = max(d.n_features for d in splits)
    train, vali, test = (_with_n_features(d, width) for d in splits)
    return train, vali, test


__all__ = [
    "load_letor_fold",
    "resolve_letor_fold",
    "letor_folds",
    "letor_split_path",
    "find_letor_root",
    "SPLIT_STEMS",
    "TEXT_SUFFIXES",
    "CACHE_SUFFIX",
]
