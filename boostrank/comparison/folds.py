"""The folds a comparison runs on: fold specs (``"1-5"``), LETOR roots, split preparation.

A LETOR root is what `boostrank.data.load_letor_fold` reads (``Fold1..FoldK`` folders or a
flat root holding the three splits, text, compressed text or binary caches); `letor_fold_loaders`
checks the requested folds against that one rule before any model is trained and loads each fold
only when its turn comes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

FoldData = tuple[Any, Any, Any]


def parse_folds(spec: str | int) -> list[int]:
    """Fold numbers from a spec: ``"1-5"`` -> [1, 2, 3, 4, 5]; ``"1,3,5"``, ``"2"``, ``"1-2,4"``.

    Raises
    ------
    ValueError
        A malformed spec, a decreasing range, or a fold named twice.
    """
    text = str(spec).strip()
    numbers: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)", part)
        if not match:
            raise ValueError(f"bad fold spec {text!r}: use e.g. 1-5 or 1,3,5")
        if match.group(3):
            numbers.append(int(match.group(3)))
        else:
            low, high = int(match.group(1)), int(match.group(2))
            if high < low:
                raise ValueError(f"bad fold range {part!r}: {high} < {low}")
            numbers.extend(range(low, high + 1))
    if not numbers:
        raise ValueError(f"bad fold spec {text!r}: no fold numbers")
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"fold spec {text!r} names a fold twice")
    return numbers


def letor_fold_loaders(root: str | os.PathLike, folds: str | Sequence[int] | None = None
                       ) -> list[tuple[str, Callable[[], FoldData]]]:
    """``[("Fold<k>", load), ...]`` for the requested folds of the LETOR root ``root``.

    Parameters
    ----------
    root : path
        A LETOR root as `boostrank.data.load_letor_fold` reads it.
    folds : str, sequence of int or None
        Fold numbers or a spec such as ``"1-5"``; None: every fold the root has.

    Returns
    -------
    list of (name, loader)
        ``loader()`` returns ``(train, vali, test)`` of that fold.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        The root, a fold or one of its splits is missing (checked for every fold at once).
    """
    from ..data.letor import letor_folds, load_letor_fold, resolve_letor_fold

    if folds is None:
        numbers = letor_folds(root)
    else:
        numbers = parse_folds(folds) if isinstance(folds, str) else [int(f) for f in folds]
    for number in numbers:
        resolve_letor_fold(root, number)  # raises naming the folder and the names tried

    def loader(number: int) -> Callable[[], FoldData]:
        return lambda: load_letor_fold(root, fold=number)

    return [(f"Fold{number}", loader(number)) for number in numbers]


def prepare_split(train: Any, valid: Any, test: Any) -> tuple[Any, Any, Any]:
    """The three splits as `RankingData` with the features of ``train``.

    Parameters
    ----------
    train, test : RankingData, ``(X, y, qid)`` tuple or LibSVM file path
    valid : same, or None

    Returns
    -------
    (train, valid, test) : RankingData (``valid`` may be None)

    Raises
    ------
    ValueError
        A split with more features than ``train``, or with fewer and no zero value (a sparse
        LibSVM file that never writes its last features is widened with zero columns: a
        missing feature is 0; a dense split without a single zero is a different feature set).
    """
    from ..validation import load_split

    reference = load_split(train, name="train")
    splits = {"valid": valid, "test": test}
    loaded = {}
    for split, spec in splits.items():
        if spec is None and split == "valid":
            loaded[split] = None
            continue
        data = load_split(spec, name=split)
        if data.n_features < reference.n_features and _has_zeros(data.X):
            data = data.pad_features(reference.n_features)
        if data.n_features != reference.n_features:
            raise ValueError(
                f"{_describe(data, split)} has {data.n_features} features but "
                f"{_describe(reference, 'train')} has {reference.n_features}; "
                "train, valid and test must have the same features"
            )
        loaded[split] = data
    return reference, loaded["valid"], loaded["test"]


def _has_zeros(X: Any) -> bool:
    import scipy.sparse as sp

    if sp.issparse(X):
        return X.nnz < X.shape[0] * X.shape[1] or bool((X.data == 0).any())
    return bool((np.asarray(X) == 0).any())


def _describe(data: Any, split: str) -> str:
    source = getattr(data, "source", None)
    return f"{split} ({source})" if source else split


def file_order(data: Any) -> np.ndarray | None:
    """Row permutation putting ``data``'s rows back in the order of its file's lines.

    ``data.source_row`` (n_rows,) is the file line of each (query-grouped) row; None when it is
    absent or the rows already are in file order.
    """
    rows = getattr(data, "source_row", None)
    if rows is None:
        return None
    rows = np.asarray(rows)
    if rows.size < 2 or np.all(rows[1:] > rows[:-1]):
        return None
    return np.argsort(rows, kind="stable")
