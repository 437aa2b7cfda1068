"""``categorical_features``: which columns the boosters split on as categories.

LightGBM receives the column indices as ``categorical_feature``; XGBoost receives
``feature_types`` with ``"c"`` for those columns (``enable_categorical=True``). Both read a
category as a non-negative integer code held in a float column (NaN: missing): any other
value in a categorical column is an error naming the column, the row and the value (LightGBM
would silently turn a negative code into "missing" and truncate a fractional one). The
constructor parameter is saved with the model, so a loaded model predicts with the same
categorical columns.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_CATEGORY", "categorical_spec", "resolve_categorical", "check_categorical_values"]

#: largest category code accepted (LightGBM and XGBoost store codes as 32-bit integers)
MAX_CATEGORY = 2**31 - 2


def categorical_spec(value: Any) -> bool:
    """Constraint check of the parameter: a sequence of column names or of indices >= 0."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError("not a list of column names or indices")
    kinds = set()
    for item in value:
        if isinstance(item, str):
            kinds.add("name")
        elif isinstance(item, numbers.Integral) and not isinstance(item, (bool, np.bool_)):
            if item < 0:
                raise ValueError(f"column index {item} is negative")
            kinds.add("index")
        else:
            raise ValueError(f"{item!r} is neither a column name nor an integer index")
    if len(kinds) > 1:
        raise ValueError("mixes column names and indices; give one kind")
    if len(set(value)) != len(value):
        raise ValueError("names a column twice")
    return True


def resolve_categorical(spec: Sequence[Any] | None, n_features: int,
                        feature_names: Sequence[str] | None) -> tuple[int, ...]:
    """Sorted column indices of ``categorical_features`` for data of ``n_features`` columns.

    Raises
    ------
    ValueError
        An index >= ``n_features``, or a name that is not a column (or names without column
        names in the data); the message lists what is allowed.
    """
    if spec is None or len(spec) == 0:
        return ()
    if isinstance(spec, np.ndarray):
        spec = spec.tolist()
    indices = []
    names = None if feature_names is None else [str(n) for n in feature_names]
    for item in spec:
        if isinstance(item, str):
            if names is None:
                raise ValueError(f"categorical_features names column {item!r}, but the training "
                                 "data has no column names (give a DataFrame, or column "
                                 "indices)")
            if item not in names:
                shown = ", ".join(repr(n) for n in names[:20])
                more = f", ... ({len(names)} columns)" if len(names) > 20 else ""
                raise ValueError(f"categorical_features names column {item!r}, which the "
                                 f"training data does not have; its columns: {shown}{more}")
            indices.append(names.index(item))
        else:
            if int(item) >= n_features:
                raise ValueError(f"categorical_features index {int(item)} is out of range: the "
                                 f"training data has {n_features} columns (0..{n_features - 1})")
            indices.append(int(item))
    return tuple(sorted(indices))


def check_categorical_values(X: Any, indices: Sequence[int], *, where: str = "X",
                             names: Sequence[str] | None = None,
                             qid: np.ndarray | None = None) -> None:
    """Every value of a categorical column is NaN or an integer code in 0..`MAX_CATEGORY`.

    Parameters
    ----------
    X : ndarray or CSR matrix (n_rows, n_features)
    indices : the categorical column indices.
    where : how ``X`` is called in the message.
    names : column names, for the message.
    qid : ndarray (n_rows,), optional
        Query id per row: the message names the query of the first bad value.

    Raises
    ------
    ValueError
        Naming ``where``, the column, the first bad value (and its query) and how many.
    """
    for j in indices:
        if sp.issparse(X):
            column = sp.coo_matrix(X[:, [j]])
            rows, values = column.row, column.data
        else:
            values = np.asarray(X[:, j])
            rows = np.arange(values.size)
        present = ~np.isnan(values)
        bad = present & ((values < 0) | (values > MAX_CATEGORY) | (values != np.round(values)))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            label = f"column {j}" if names is None else f"column {j} ({names[j]!r})"
            query = "" if qid is None else f" in query qid={qid[int(rows[k])]}"
            raise ValueError(
                f"{where}: categorical {label} holds {float(values[k])!r}{query} "
                f"({int(bad.sum())} such values); a categorical column must hold integer "
                f"category codes 0..{MAX_CATEGORY} (NaN: missing). Encode the categories, e.g. "
                f"with pandas.factorize or sklearn.preprocessing.OrdinalEncoder")
