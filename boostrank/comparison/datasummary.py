"""Dataset statistics for reports: queries, documents, features, labels, list lengths, and
the checksum of the file a split was loaded from."""

from __future__ import annotations

from pathlib import Path
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


def source_summary(data: Any) -> dict[str, Any]:
    """`dataset_summary` plus ``"sha256"``: the SHA-256 (64 hex digits) of the file named by
    ``data.source``, hashed now (call it right after loading, before training: the report
    then names the bytes that were used even if the file changes later); None when the data
    did not come from a regular file (in-memory arrays, a cache folder)."""
    from ..report.provenance import sha256_file

    summary = dataset_summary(data)
    source = summary["source"]
    summary["sha256"] = sha256_file(source) if source and Path(source).is_file() else None
    return summary
