"""Dataset statistics for reports: queries, documents, features, labels, list lengths."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data.summary import docs_per_query, label_histogram


def dataset_summary(data: Any) -> dict[str, Any]:
    """Statistics of one `RankingData` split, as plain JSON-ready values.

    Keys: ``queries``, ``documents``, ``features``, ``label_histogram`` (label -> row count,
    labels as strings sorted numerically), ``docs_per_query`` (min / median / mean / max),
    ``queries_without_relevant`` (queries whose labels are all <= 0), ``sparse`` and ``source``.
    """
    sizes = np.asarray(data.group_sizes, dtype=np.int64)
    y = np.asarray(data.y, dtype=np.float64)
    histogram = label_histogram(y)
    offsets = np.asarray(data.group_offsets, dtype=np.int64)
    nonempty = sizes > 0
    if y.size and nonempty.any():
        query_max = np.maximum.reduceat(y, offsets[:-1][nonempty])
        without_relevant = int(np.count_nonzero(query_max <= 0)) + int(np.count_nonzero(~nonempty))
    else:
        without_relevant = int(sizes.size)
    return {
        "queries": int(data.n_queries),
        "documents": int(data.n_rows),
        "features": int(data.n_features),
        "label_histogram": histogram,
        "docs_per_query": docs_per_query(sizes),
        "queries_without_relevant": without_relevant,
        "sparse": bool(getattr(data, "is_sparse", False)),
        "source": getattr(data, "source", None),
    }
