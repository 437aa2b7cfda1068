"""Ranking data spread over a Dask cluster: one `RankingData` per partition, on the workers.

`to_dask_ranking_data(client, data)` accepts

- a `RankingData` (cut into row-balanced blocks of whole queries, then scattered),
- a list of `RankingData` partitions (checked: no qid in two partitions),
- LibSVM file(s): a path, a list of paths (one partition each), or a list of lists of paths
  (the files of one partition). The files are read *on the workers* (they must see the same
  paths, e.g. a shared file system); a query spread over two files is a `PartitionError`
  naming the qid and both files, raised before any training.

`DaskRankingData.to_arrays()` then gives the row-partitioned dask arrays both engines take:
features, labels, dense global query codes (non-decreasing in partition order, for
``xgboost.dask``) and per-partition group sizes aligned with the feature chunks (for
``lightgbm.dask``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..data.ranking_data import RankingData
from .partition import (
    PartitionSummary,
    check_disjoint_queries,
    encode_partition_qids,
    load_file_partition,
    normalize_file_partitions,
    partition_queries,
    summarize,
)


@dataclass
class DaskArrays:
    """Row-partitioned dask arrays of one dataset (partition ``p`` is chunk ``p`` of each).

    ``X``: (n_rows, n_features) dense or CSR chunks; ``y``: (n_rows,) float64 labels;
    ``qid``: (n_rows,) int64 dense global query codes; ``group``: (n_queries,) int64 query
    sizes, chunked like ``X`` by partition; ``weight``: (n_rows,) float64 or None.
    """

    X: Any
    y: Any
    qid: Any
    group: Any
    weight: Any = None


@dataclass
class DaskRankingData:
    """A ranking dataset whose partitions live on Dask workers.

    ``parts``: futures of one `RankingData` per partition (each holds whole queries);
    ``summaries``: their `PartitionSummary` (qids, shape) on the client; ``weights``: futures of
    per-row weights (n_rows_p,) per partition, or None.
    """

    client: Any
    parts: list
    summaries: list[PartitionSummary]
    weights: list | None = None

    @property
    def n_partitions(self) -> int:
        """Number of partitions (futures on the workers)."""
        return len(self.parts)

    @property
    def n_rows(self) -> int:
        """Rows over all partitions."""
        return int(sum(s.n_rows for s in self.summaries))

    @property
    def n_queries(self) -> int:
        """Queries over all partitions."""
        return int(sum(s.n_queries for s in self.summaries))

    @property
    def n_features(self) -> int:
        """Width of X (the widest partition; narrower ones are padded with zeros)."""
        return int(max(s.n_features for s in self.summaries))

    @property
    def sparse(self) -> bool:
        """True when every partition holds CSR features (kept sparse for the engines)."""
        return all(s.sparse for s in self.summaries)

    def to_arrays(self, dtype: Any = None) -> DaskArrays:
        """The dask arrays both engines take (see `DaskArrays`); ``dtype`` casts X."""
        import dask.array as da

        client = self.client
        n_features, sparse = self.n_features, self.sparse
        bases = encode_partition_qids(self.summaries)
        X_chunks, y_chunks, q_chunks, g_chunks, w_chunks = [], [], [], [], []
        for p, (part, summary) in enumerate(zip(self.parts, self.summaries, strict=True)):
            packed = client.submit(_partition_arrays, part, bases[p], n_features, sparse, dtype,
                                   pure=False)
            X_dtype = np.dtype(dtype) if dtype is not None else None
            if X_dtype is None:
                X_dtype = client.submit(_item, packed, "dtype", pure=False).result()
            meta = sp.csr_matrix((0, 0), dtype=X_dtype) if sparse else np.empty((0, 0), X_dtype)
            X_chunks.append(da.from_delayed(client.submit(_item, packed, "X", pure=False),
                                            shape=(summary.n_rows, n_features), dtype=X_dtype,
                                            meta=meta))
            y_chunks.append(da.from_delayed(client.submit(_item, packed, "y", pure=False),
                                            shape=(summary.n_rows,), dtype=np.float64))
            q_chunks.append(da.from_delayed(client.submit(_item, packed, "qid", pure=False),
                                            shape=(summary.n_rows,), dtype=np.int64))
            g_chunks.append(da.from_delayed(client.submit(_item, packed, "group", pure=False),
                                            shape=(summary.n_queries,), dtype=np.int64))
            if self.weights is not None:
                w_chunks.append(da.from_delayed(self.weights[p], shape=(summary.n_rows,),
                                                dtype=np.float64))
        return DaskArrays(
            X=da.concatenate(X_chunks, axis=0),
            y=da.concatenate(y_chunks),
            qid=da.concatenate(q_chunks),
            group=da.concatenate(g_chunks),
            weight=da.concatenate(w_chunks) if w_chunks else None,
        )

    def gather(self) -> RankingData:
        """All partitions concatenated on the client (for small data: eval sets, tests)."""
        parts = self.client.gather(self.parts)
        n_features = self.n_features
        return RankingData.concat([p.pad_features(n_features) for p in parts])


def to_dask_ranking_data(
    client: Any,
    data: Any,
    *,
    n_partitions: int | None = None,
    sample_weight: np.ndarray | None = None,
    load_kwargs: dict[str, Any] | None = None,
) -> DaskRankingData:
    """Put ``data`` on the cluster as whole-query partitions (see the module docstring).

    Parameters
    ----------
    client : distributed.Client
    data : RankingData, list of RankingData, LibSVM path(s) or DaskRankingData
        In-memory data is cut by `partition_queries`; a list is taken as the partitions; file
        paths (one per partition, or a list of files per partition) are read by the workers.
    n_partitions : int, optional
        In-memory data only; default: the number of workers.
    sample_weight : ndarray (n_rows,), optional
        Per-row weights of an in-memory `RankingData`.
    load_kwargs : dict, optional
        Passed to `boostrank.data.load_libsvm` on the workers.

    Returns
    -------
    DaskRankingData

    Raises
    ------
    PartitionError
        A query found in two files or partitions.
    TypeError, ValueError
        An input of another kind, or options that do not apply to it.
    """
    if isinstance(data, DaskRankingData):
        if sample_weight is not None:
            raise ValueError("sample_weight cannot be given with a DaskRankingData")
        return data
    if is_file_layout(data):
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported for LibSVM file input")
        if n_partitions is not None:
            raise ValueError("n_partitions applies to in-memory data; with files, each file "
                             "(or list of files) is one partition")
        return _load_files(client, normalize_file_partitions(data), load_kwargs or {})
    if isinstance(data, RankingData):
        n = n_partitions if n_partitions is not None else max(1, _n_workers(client))
        parts = partition_queries(data, n)
    elif isinstance(data, Sequence) and data and all(isinstance(p, RankingData) for p in data):
        if n_partitions is not None:
            raise ValueError("n_partitions cannot be given with a list of partitions")
        parts = list(data)
    else:
        raise TypeError(
            "expected a RankingData, a list of RankingData partitions, or LibSVM file path(s); "
            f"got {type(data).__name__}"
        )
    summaries = [summarize(p) for p in parts]
    check_disjoint_queries(summaries)
    weights = None
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64).ravel()
        total = sum(p.n_rows for p in parts)
        if sample_weight.shape[0] != total:
            raise ValueError(f"sample_weight has {sample_weight.shape[0]} entries for "
                             f"{total} rows")
        bounds = np.cumsum([0] + [p.n_rows for p in parts])
        pieces = [sample_weight[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        weights = client.scatter(pieces, hash=False)
    # hash=False: unique keys, so releasing an earlier scatter of equal data cannot drop these
    futures = client.scatter(parts, hash=False)
    return DaskRankingData(client, list(futures), summaries, weights)


def _load_files(client: Any, layout: list[tuple[str, ...]],
                load_kwargs: dict[str, Any]) -> DaskRankingData:
    from distributed import wait

    loaded = [client.submit(load_file_partition, files, pure=False, **load_kwargs)
              for files in layout]
    wait(loaded)
    summaries = client.gather([client.submit(_item, f, 1, pure=False) for f in loaded])
    check_disjoint_queries(summaries)
    parts = [client.submit(_item, f, 0, pure=False) for f in loaded]
    return DaskRankingData(client, parts, list(summaries))


def is_file_layout(data: Any) -> bool:
    """True when ``data`` is LibSVM file path(s): one path, a list of paths, or a list of lists
    of paths (the files of each partition)."""
    if isinstance(data, (str, os.PathLike)):
        return True
    if isinstance(data, Sequence) and not isinstance(data, RankingData) and data:
        return all(isinstance(item, (str, os.PathLike)) or (
            isinstance(item, Sequence) and not isinstance(item, str) and item
            and all(isinstance(p, (str, os.PathLike)) for p in item)) for item in data)
    return False


def _n_workers(client: Any) -> int:
    """Number of workers of the client's cluster (newer ``distributed`` lists only 5 unless
    asked for all with ``n_workers=-1``)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:
        info = client.scheduler_info()
    return len(info.get("workers", {}))


# ---------------------------------------------------------------------- worker-side functions
def _item(container: Any, key: Any) -> Any:
    return container[key]


def _partition_arrays(part: RankingData, base: int, n_features: int, sparse: bool,
                      dtype: Any) -> dict[str, Any]:
    """On a worker: one partition as engine-ready arrays (see `DaskArrays`)."""
    part = part.pad_features(n_features)
    X = part.X
    if sparse:
        X = sp.csr_matrix(X)
    elif sp.issparse(X):
        X = X.toarray()  # LibSVM semantics: an absent feature is 0
    else:
        X = np.asarray(X)
    if dtype is not None:
        X = X.astype(dtype, copy=False)
    codes = np.repeat(np.arange(base, base + part.n_queries, dtype=np.int64), part.group_sizes)
    return {"X": X, "y": np.asarray(part.y, dtype=np.float64), "qid": codes,
            "group": np.asarray(part.group_sizes, dtype=np.int64), "dtype": X.dtype}
