"""Statistics of a ranking dataset shared by ``boostrank data info`` and the compare report."""

from __future__ import annotations

from typing import Any

import numpy as np


def label_key(value: float) -> str:
    """A label as text: whole numbers without a decimal point (``2``), others by ``repr``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def label_histogram(y: Any) -> dict[str, int]:
    """Rows per label value (n_rows,) -> ``{label text: count}``, labels ascending."""
    values, counts = np.unique(np.asarray(y, dtype=np.float64), return_counts=True)
    return {label_key(v): int(c) for v, c in zip(values.tolist(), counts.tolist(), strict=True)}


def docs_per_query(sizes: Any) -> dict[str, float]:
    """Documents per query from the query sizes (n_queries,): min, median, mean and max
    (0 for a dataset without queries)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    return {
        "min": int(sizes.min()) if sizes.size else 0,
        "median": float(np.median(sizes)) if sizes.size else 0.0,
        "mean": float(sizes.mean()) if sizes.size else 0.0,
        "max": int(sizes.max()) if sizes.size else 0,
    }
