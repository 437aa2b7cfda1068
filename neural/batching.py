"""Length-bucketed batches of whole queries, kept on the training device.

The dataset (features and labels) is moved to the device once. Each epoch, queries are
grouped into batches of similar length (geometric length buckets, shuffled inside each
bucket), so padding stays small even when lists range from 1 to thousands of documents.
A batch is described by two index tensors built for the whole epoch at once with NumPy:

- ``rows`` [n_docs_in_batch]: which dataset rows the batch holds (packed, no padding), and
- ``pos`` [n_docs_in_batch]: where each of them sits in the flattened ``[n_lists, list_len]``
  padded layout.

The network scores the packed rows; `ListBatch.pad` scatters scores into the padded layout
for the loss. No Python work per query happens inside the training step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

#: ratio between consecutive length buckets (padding waste per batch is below this factor)
BUCKET_RATIO = 1.25


@dataclass
class ListBatch:
    """One training batch: ``n_lists`` queries padded to ``list_len`` documents.

    ``rows``/``pos``: [n_docs] int64 device tensors (see the module doc); ``labels``:
    [n_lists, list_len] float32 (0 in padding); ``mask``: [n_lists, list_len] bool;
    ``weights``: [n_lists] per-list weights or None.
    """

    rows: torch.Tensor
    pos: torch.Tensor
    n_lists: int
    list_len: int
    labels: torch.Tensor
    mask: torch.Tensor
    weights: torch.Tensor | None

    def pad(self, values: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        """Packed per-document values -> the padded layout (differentiable).

        ``values`` [n_docs] gives [n_lists, list_len]; [n_docs, *rest] (e.g. features for a
        listwise scorer) gives [n_lists, list_len, *rest]. Padding holds ``fill``.
        """
        if values.dim() == 1:
            out = values.new_full((self.n_lists * self.list_len,), fill)
            return out.scatter(0, self.pos, values).view(self.n_lists, self.list_len)
        rest = tuple(values.shape[1:])
        out = values.new_full((self.n_lists * self.list_len, *rest), fill)
        return out.index_copy(0, self.pos, values).view(self.n_lists, self.list_len, *rest)

    def unpad(self, padded: torch.Tensor) -> torch.Tensor:
        """Padded [n_lists, list_len] values -> packed [n_docs], in the order of ``rows``."""
        return padded.reshape(-1)[self.pos]


def _segment_indices(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n), vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.cumsum(lengths) - lengths
    return np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)


class ListBatcher:
    """Batches of whole queries for list losses.

    Parameters
    ----------
    X : torch.Tensor [n_rows, n_features]
        Float features already on the training device.
    y : torch.Tensor [n_rows]
        Float labels on the same device.
    group_offsets : ndarray (n_queries + 1,) int64
        Rows of query q are ``offsets[q]:offsets[q+1]``.
    batch_size : int, default 32
        Maximum number of queries per batch.
    max_list_length : int, optional
        When set, each epoch keeps a fresh random sample of at most this many documents of
        every longer query.
    max_elements : int, optional
        Cap on ``n_lists * list_len ** element_power`` per batch (a single query over the cap
        still forms its own batch). With ``element_power=2`` this bounds the pair tensors of
        pairwise losses and the attention matrices of a listwise scorer.
    element_power : int, default 1
        1 for list losses, 2 for pairwise losses and listwise scorers.
    query_weights : ndarray (n_queries,), optional
        Weight of each query.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, group_offsets: np.ndarray, *,
                 batch_size: int = 32, max_list_length: int | None = None,
                 max_elements: int | None = None, element_power: int = 1,
                 query_weights: np.ndarray | None = None) -> None:
        self.X, self.y = X, y
        self.device = X.device
        offsets = np.asarray(group_offsets, dtype=np.int64)
        sizes = np.diff(offsets)
        keep = sizes > 0
        self.starts = offsets[:-1][keep]
        self.sizes = sizes[keep]
        self.batch_size = int(batch_size)
        self.max_list_length = None if max_list_length is None else int(max_list_length)
        self.max_elements = max_elements
        self.element_power = int(element_power)
        self.query_weights = (None if query_weights is None
                              else torch.as_tensor(np.asarray(query_weights)[keep],
                                                   dtype=torch.float32, device=self.device))
        self._query_of_row = np.repeat(np.arange(len(self.sizes)), self.sizes)

    @property
    def n_queries(self) -> int:
        return len(self.sizes)

    def _sample_rows(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Rows used this epoch: ``(starts, lengths, kept)`` per query.

        Without sampling ``kept`` is None and ``starts`` index the dataset rows; otherwise
        ``kept`` lists the sampled rows grouped by query and ``starts`` index into it.
        """
        limit = self.max_list_length
        if limit is None or int(self.sizes.max(initial=0)) <= limit:
            return self.starts, self.sizes, None
        # Random order inside each query, then keep the first `limit` of each.
        keys = rng.random(len(self._query_of_row))
        order = np.lexsort((keys, self._query_of_row))
        rows = _segment_indices(self.starts, self.sizes)[order]
        rank = np.arange(len(rows)) - np.repeat(np.cumsum(self.sizes) - self.sizes, self.sizes)
        kept = rows[rank < limit]
        lengths = np.minimum(self.sizes, limit)
        return np.cumsum(lengths) - lengths, lengths, kept

    def _plan(self, lengths: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """Split queries into batches of similar length; returns query indices per batch."""
        bucket = np.floor(np.log(np.maximum(lengths, 1)) / np.log(BUCKET_RATIO))
        order = np.lexsort((rng.random(len(lengths)), bucket))
        batches = []
        i, n = 0, len(order)
        power = self.element_power
        while i < n:
            end = min(i + self.batch_size, n)
            if self.max_elements is not None:
                longest = np.maximum.accumulate(lengths[order[i:end]]).astype(np.float64)
                cost = np.arange(1, end - i + 1) * longest ** power
                end = i + max(1, int(np.searchsorted(cost, self.max_elements, side="right")))
            batches.append(order[i:end])
            i = end
        return [batches[j] for j in rng.permutation(len(batches))]

    def epoch(self, rng: np.random.Generator) -> Iterator[ListBatch]:
        """The batches of one epoch, in random order (shuffling drawn from ``rng``)."""
        starts, lengths, sampled = self._sample_rows(rng)
        base = self.starts if sampled is None else starts
        plan = self._plan(lengths, rng)
        if not plan:
            return
        query_seq = np.concatenate(plan)
        n_per_batch = np.array([len(b) for b in plan])
        batch_of_query = np.repeat(np.arange(len(plan)), n_per_batch)
        slot = np.arange(len(query_seq)) - np.repeat(np.cumsum(n_per_batch) - n_per_batch,
                                                     n_per_batch)
        seq_lengths = lengths[query_seq]
        list_len = np.maximum.reduceat(seq_lengths, np.cumsum(n_per_batch) - n_per_batch)
        idx = _segment_indices(base[query_seq], seq_lengths)
        rows = idx if sampled is None else sampled[idx]
        within = idx - np.repeat(base[query_seq], seq_lengths)
        pos = (np.repeat(slot * list_len[batch_of_query], seq_lengths) + within)
        docs_per_batch = np.add.reduceat(seq_lengths, np.cumsum(n_per_batch) - n_per_batch)
        bounds = np.concatenate([[0], np.cumsum(docs_per_batch)])
        rows_t = torch.from_numpy(rows.astype(np.int64)).to(self.device)
        pos_t = torch.from_numpy(pos.astype(np.int64)).to(self.device)
        query_t = (torch.from_numpy(query_seq.astype(np.int64)).to(self.device)
                   if self.query_weights is not None else None)
        q_bounds = np.concatenate([[0], np.cumsum(n_per_batch)])
        for b in range(len(plan)):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            n_lists, width = int(n_per_batch[b]), int(list_len[b])
            batch_rows, batch_pos = rows_t[lo:hi], pos_t[lo:hi]
            flat = n_lists * width
            labels = self.y.new_zeros(flat).index_put_((batch_pos,), self.y[batch_rows])
            mask = torch.zeros(flat, dtype=torch.bool, device=self.device)
            mask.index_fill_(0, batch_pos, True)
            weights = (None if query_t is None
                       else self.query_weights[query_t[q_bounds[b]:q_bounds[b + 1]]])
            yield ListBatch(batch_rows, batch_pos, n_lists, width,
                            labels.view(n_lists, width), mask.view(n_lists, width), weights)
