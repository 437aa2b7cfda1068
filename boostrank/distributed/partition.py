"""Split ranking data into partitions for data-parallel training, never splitting a query.

Two kinds of input:

- a `RankingData` in memory: `partition_queries` cuts it into contiguous blocks of whole
  queries with about the same number of rows each;
- LibSVM files given by the user: `normalize_file_partitions` reads the user's layout (one file
  per partition, or a list of files per partition) and `check_disjoint_queries` verifies that no
  query id appears in two files, raising `PartitionError` naming the qid and both files.

`encode_partition_qids` then gives every query a global, dense, increasing code in partition
order (partition 0's queries first), which is what both engines want: XGBoost needs qid
non-decreasing within each worker's concatenated partitions, LightGBM needs group sizes aligned
with each partition's rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.ranking_data import RankingData

PathLike = str | os.PathLike


class PartitionError(ValueError):
    """Partitions that would split a query (a qid found in two files or partitions)."""


@dataclass(frozen=True)
class PartitionSummary:
    """What the client needs to know about one partition (small; the rows stay on a worker).

    ``files``: the source files (empty for in-memory data); ``query_ids``: (n_queries,) int64
    qid of each query in partition order; ``file_of_query``: (n_queries,) int64 index into
    ``files`` of the file each query came from (zeros for in-memory data);
    ``n_rows`` / ``n_features``: shape of the partition's X; ``sparse``: X is CSR;
    ``group_sizes``: (n_queries,) int64 rows per query; ``labels``: sorted distinct labels
    (for the label checks the client runs before training).
    """

    files: tuple[str, ...]
    query_ids: np.ndarray
    file_of_query: np.ndarray
    n_rows: int
    n_features: int
    sparse: bool
    group_sizes: np.ndarray
    labels: np.ndarray

    @property
    def n_queries(self) -> int:
        """Queries in the partition."""
        return int(self.query_ids.size)


def partition_queries(data: RankingData, n_partitions: int) -> list[RankingData]:
    """Cut ``data`` into at most ``n_partitions`` blocks of whole, consecutive queries.

    Blocks are balanced by rows: block ``k`` ends at the first query boundary at or after
    ``(k + 1) * n_rows / n_partitions``. Fewer blocks come back when there are fewer queries
    than ``n_partitions`` (or when one query is larger than a block); none is empty.

    Parameters
    ----------
    data : RankingData
        The rows to cut (every per-row column, ``position`` included, follows its rows).
    n_partitions : int >= 1
        The most blocks wanted.

    Returns
    -------
    list of RankingData
        Concatenating them gives back ``data`` row for row.

    Raises
    ------
    TypeError, ValueError
        ``n_partitions`` not an int >= 1, or ``data`` without queries.
    """
    if isinstance(n_partitions, bool) or not isinstance(n_partitions, (int, np.integer)):
        raise TypeError(f"n_partitions must be an int, got {type(n_partitions).__name__}")
    if n_partitions < 1:
        raise ValueError(f"n_partitions must be >= 1, got {n_partitions}")
    if data.n_queries == 0:
        raise ValueError("cannot partition a dataset with no queries")
    cuts = query_cuts(data.group_offsets, int(n_partitions))
    bounds = zip(cuts[:-1], cuts[1:], strict=True)
    return [data.queries(slice(int(a), int(b))) for a, b in bounds]


def query_cuts(group_offsets: np.ndarray, n_partitions: int) -> np.ndarray:
    """Query indices ``[0, c_1, ..., n_queries]`` cutting queries into row-balanced blocks.

    ``group_offsets``: (n_queries + 1,) row offsets of the queries.
    """
    offsets = np.asarray(group_offsets, dtype=np.int64)
    n_queries = offsets.size - 1
    n_rows = int(offsets[-1])
    targets = np.arange(1, n_partitions, dtype=np.float64) * n_rows / n_partitions
    # index of the first query boundary at or after each target
    inner = np.searchsorted(offsets, targets, side="left")
    inner = inner[(inner > 0) & (inner < n_queries)]
    return np.unique(np.concatenate(([0], inner, [n_queries]))).astype(np.int64)


def normalize_file_partitions(
    files: PathLike | Sequence[PathLike | Sequence[PathLike]],
) -> list[tuple[str, ...]]:
    """The user's file layout as one tuple of paths per partition.

    ``files``: one path (one partition), a list of paths (one partition each), or a list whose
    items are lists of paths (the files of one partition, concatenated in order).
    """
    if isinstance(files, (str, os.PathLike)):
        files = [files]
    if not isinstance(files, Sequence) or len(files) == 0:
        raise ValueError("files: give at least one LibSVM file (a path or a list of paths)")
    layout: list[tuple[str, ...]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(files):
        group = [item] if isinstance(item, (str, os.PathLike)) else list(item)
        if not group:
            raise ValueError(f"files[{index}] is an empty list of files")
        paths = []
        for path in group:
            if not isinstance(path, (str, os.PathLike)):
                raise TypeError(f"files[{index}]: expected a path, got {type(path).__name__}")
            name = os.fspath(path)
            key = str(Path(name).resolve())
            if key in seen:
                raise PartitionError(
                    f"file {name} is given twice (partitions {seen[key]} and {index}); "
                    "each file must belong to one partition"
                )
            seen[key] = index
            paths.append(name)
        layout.append(tuple(paths))
    return layout


def check_disjoint_queries(summaries: Sequence[PartitionSummary]) -> None:
    """Raise `PartitionError` when one qid appears in two files or two partitions.

    Parameters
    ----------
    summaries : sequence of PartitionSummary
        One per partition, in partition order.

    Raises
    ------
    PartitionError
        Naming the qid and both files (or both partitions for in-memory data), e.g.
        ``query 17 is spread over two files: a.txt and b.txt``.
    """
    qids: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    names: list[str] = []
    for p, summary in enumerate(summaries):
        if summary.files:
            file_ids = len(names) + summary.file_of_query
            names.extend(summary.files)
        else:
            file_ids = np.full(summary.n_queries, len(names), dtype=np.int64)
            names.append(f"partition {p}")
        qids.append(np.asarray(summary.query_ids, dtype=np.int64))
        owners.append(np.asarray(file_ids, dtype=np.int64))
    if not qids:
        return
    all_qids = np.concatenate(qids)
    all_owners = np.concatenate(owners)
    # a file can hold a qid only once (its loader regroups rows), so any repeat of a qid is
    # a query spread over two owners
    order = np.argsort(all_qids, kind="stable")
    sorted_qids = all_qids[order]
    repeats = np.flatnonzero(sorted_qids[1:] == sorted_qids[:-1])
    if repeats.size == 0:
        return
    first, second = order[repeats[0]], order[repeats[0] + 1]
    qid = int(all_qids[first])
    a, b = names[all_owners[first]], names[all_owners[second]]
    n_bad = np.unique(sorted_qids[repeats]).size
    more = f" ({n_bad - 1} more queries are split too)" if n_bad > 1 else ""
    where = "files" if not a.startswith("partition ") else "partitions"
    raise PartitionError(
        f"query {qid} is spread over two {where}: {a} and {b}{more}; the rows of a query "
        "must all be in one file so that no query is split across partitions"
    )


def encode_partition_qids(summaries: Sequence[PartitionSummary]) -> list[int]:
    """First global query code of each partition (codes are dense and increasing).

    Partition ``p`` numbers its queries ``base[p], base[p] + 1, ...`` so that the
    concatenation of any subset of partitions, taken in partition order, has non-decreasing
    qids (XGBoost's requirement), and no two partitions share a code.
    """
    base, total = [], 0
    for summary in summaries:
        base.append(total)
        total += summary.n_queries
    return base


def summarize(data: RankingData, files: Sequence[str] = (),
              file_of_query: np.ndarray | None = None) -> PartitionSummary:
    """The `PartitionSummary` of one partition held in ``data``."""
    return PartitionSummary(
        files=tuple(files),
        query_ids=np.asarray(data.query_ids, dtype=np.int64),
        file_of_query=(np.zeros(data.n_queries, dtype=np.int64) if file_of_query is None
                       else np.asarray(file_of_query, dtype=np.int64)),
        n_rows=data.n_rows,
        n_features=data.n_features,
        sparse=data.is_sparse,
        group_sizes=np.asarray(data.group_sizes, dtype=np.int64),
        labels=np.unique(data.y),
    )


def load_file_partition(files: Sequence[str], **load_kwargs: object
                        ) -> tuple[RankingData, PartitionSummary]:
    """Read the LibSVM files of one partition (in order) and concatenate them.

    Runs where the files are (on a Dask worker for distributed training). A qid found in two
    of these files raises `PartitionError` naming both. ``load_kwargs`` go to
    `boostrank.data.load_libsvm`. Returns the data and its summary.
    """
    from ..data import load_libsvm

    parts = [load_libsvm(path, **load_kwargs) for path in files]
    n_features = max(part.n_features for part in parts)
    parts = [part.pad_features(n_features) for part in parts]
    file_of_query = np.concatenate([np.full(part.n_queries, i, dtype=np.int64)
                                    for i, part in enumerate(parts)])
    data = parts[0] if len(parts) == 1 else RankingData.concat(parts)
    summary = summarize(data, files, file_of_query)
    check_disjoint_queries([summary])
    return data, summary
