"""Data-parallel training of the neural rankers with ``torch.distributed`` (DDP).

Launch the same script on every process with ``torchrun``::

    torchrun --nproc_per_node=4 train.py          # one machine, 4 processes
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --nproc_per_node=8 train.py

``fit`` of every `neural.NeuralRanker` asks `training_strategy` how to train: outside torchrun
(or with ``WORLD_SIZE=1``) it gets `SingleProcess`, which trains on everything in this process;
under torchrun it notices the ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` variables and gets
`DistributedDataParallelStrategy`, which:

- joins the process group (``gloo`` on CPU, ``nccl`` on CUDA, each process on GPU
  ``LOCAL_RANK``), unless the script already did;
- fits the feature preprocessing on the whole training set (every process holds it, so all
  agree), then trains each process on its own block of whole queries (row-balanced, never
  splitting a query) with ``DistributedDataParallel``: gradients are averaged across processes
  every step, and ``batch_size`` stays the *global* number of queries per step (each process
  takes ``ceil(batch_size / world_size)``);
- runs the same number of optimiser steps on every process each epoch (the smallest count over
  processes; the few surplus batches of a larger shard are skipped that epoch, drawn anew each
  epoch), so parameters and optimiser states stay identical without uneven-input joins;
- evaluates each eval set on shards too and all-reduces the per-query metric sums and counts,
  so every process sees the exact global metric: early stopping, the restored best epoch and
  the ``callbacks`` agree everywhere;
- ``save`` writes the file on rank 0 only (other ranks return the path without writing).

Batch normalisation (``norm="batch"``) keeps per-process statistics (buffers are not
broadcast).

Both strategies offer the same methods, so the estimator's training code has no branches:
``shard_training`` (this process's queries), ``local_batch_size``, ``equal_steps`` (the
batcher), ``wrap_model``, ``eval_target`` (an eval set scored here, metric global) and
``is_main``.
"""

from __future__ import annotations

import atexit
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from boostrank.distributed.partition import query_cuts

from .batching import ListBatch, ListBatcher
from .training import EvalTarget

_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


def launched_distributed() -> bool:
    """True when this process was started by torchrun with more than one process."""
    if not all(name in os.environ for name in _ENV):
        return False
    try:
        return int(os.environ["WORLD_SIZE"]) > 1
    except ValueError:
        return False


def is_main_process() -> bool:
    """False only on the non-zero ranks of an initialised process group."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    if launched_distributed():
        return int(os.environ["RANK"]) == 0
    return True


@dataclass
class SingleProcess:
    """Training in this process alone: every method leaves the data and the model as they are.

    Parameters
    ----------
    device : torch.device
        The training device.
    """

    device: torch.device

    def shard_training(
        self, Z: np.ndarray, y: np.ndarray, group_offsets: np.ndarray,
        query_weights: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """The training rows this process trains on: ``(Z, y, group_offsets, query_weights)``.

        ``Z``: (n_rows, n_features) preprocessed features; ``y``: (n_rows,) labels;
        ``group_offsets``: (n_queries + 1,); ``query_weights``: (n_queries,) or None.
        """
        return Z, y, group_offsets, query_weights

    def local_batch_size(self, batch_size: int) -> int:
        """Queries per step in this process for a global ``batch_size``."""
        return int(batch_size)

    def equal_steps(self, batcher: ListBatcher) -> ListBatcher:
        """``batcher`` as every process must run it (here: unchanged)."""
        return batcher

    def wrap_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module the optimiser steps (here: ``model`` itself)."""
        return model

    def is_main(self) -> bool:
        """Whether this process writes files and reports (True here)."""
        return True

    def eval_target(self, name: str, Z: np.ndarray, data: Any, metric: str,
                    convention: Any) -> EvalTarget:
        """An `EvalTarget` scoring eval set ``data`` with ``metric`` (keyed as given).

        ``Z``: (n_rows, n_features) preprocessed features of the whole eval set; ``data``: the
        eval set (`RankingData`), for labels and queries.
        """
        from boostrank.metrics import Evaluator

        evaluator = Evaluator(data.y, data.qid, [metric], convention=convention)
        canonical = evaluator.metrics[0]

        def evaluate(scores: np.ndarray) -> dict[str, float]:
            return {metric: float(evaluator(scores)[canonical])}

        X = torch.from_numpy(np.ascontiguousarray(Z)).to(self.device)
        return EvalTarget(name, X, evaluate, np.asarray(data.group_offsets, dtype=np.int64))


@dataclass
class DistributedDataParallelStrategy(SingleProcess):
    """This process's place in a torchrun job: ``rank`` of ``world_size``, on ``device``.

    Trains its block of whole queries under ``DistributedDataParallel``; see the module doc.
    """

    rank: int = 0
    world_size: int = 1

    # ------------------------------------------------------------------ sharding
    def query_block(self, group_offsets: np.ndarray) -> tuple[int, int]:
        """``(first, stop)`` query indices of this rank's row-balanced block of whole queries.

        Blocks of ranks beyond the number of queries are empty.
        """
        offsets = np.asarray(group_offsets, dtype=np.int64)
        cuts = query_cuts(offsets, self.world_size)
        if self.rank + 1 < cuts.size:
            return int(cuts[self.rank]), int(cuts[self.rank + 1])
        return int(cuts[-1]), int(cuts[-1])

    def shard_training(
        self, Z: np.ndarray, y: np.ndarray, group_offsets: np.ndarray,
        query_weights: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """This rank's training rows: ``(Z, y, group_offsets, query_weights)`` of its block."""
        offsets = np.asarray(group_offsets, dtype=np.int64)
        n_queries = offsets.size - 1
        if n_queries < self.world_size:
            raise ValueError(
                f"distributed training over {self.world_size} processes needs at least "
                f"{self.world_size} training queries, got {n_queries}"
            )
        first, stop = self.query_block(offsets)
        lo, hi = int(offsets[first]), int(offsets[stop])
        weights = None if query_weights is None else np.asarray(query_weights)[first:stop]
        return Z[lo:hi], np.asarray(y)[lo:hi], offsets[first:stop + 1] - lo, weights

    def local_batch_size(self, batch_size: int) -> int:
        """Queries per step on this process for a global ``batch_size``."""
        return max(1, math.ceil(int(batch_size) / self.world_size))

    def equal_steps(self, batcher: ListBatcher) -> ListBatcher:
        """``batcher`` yielding, each epoch, the same number of batches on every rank."""
        return _EqualStepsBatcher(batcher, self)

    def is_main(self) -> bool:
        """True on rank 0 only."""
        return self.rank == 0

    # ------------------------------------------------------------------ model
    def wrap_model(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` in DistributedDataParallel (parameters broadcast from rank 0)."""
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        # no buffer broadcast: it would make every forward a collective, and evaluation
        # forwards differ in number between ranks (shards differ in size)
        return DistributedDataParallel(model, device_ids=device_ids, broadcast_buffers=False)

    # ------------------------------------------------------------------ evaluation
    def eval_target(self, name: str, Z: np.ndarray, data: Any, metric: str,
                    convention: Any) -> EvalTarget:
        """An `EvalTarget` over this rank's block of eval set ``data`` whose ``evaluate``
        returns the global mean of ``metric`` (per-query sums and counts all-reduced)."""
        from boostrank.metrics import Evaluator

        offsets = np.asarray(data.group_offsets, dtype=np.int64)
        first, stop = self.query_block(offsets)
        lo, hi = int(offsets[first]), int(offsets[stop])
        y, qid = np.asarray(data.y)[lo:hi], np.asarray(data.qid)[lo:hi]
        evaluator = Evaluator(y, qid, [metric], convention=convention) if hi > lo else None
        canonical = evaluator.metrics[0] if evaluator is not None else metric
        device = self.device

        def evaluate(scores: np.ndarray) -> dict[str, float]:
            total = torch.zeros(2, dtype=torch.float64,
                                device=device if device.type == "cuda" else "cpu")
            if evaluator is not None:
                values = evaluator.per_query(scores)[1][canonical]
                kept = values[~np.isnan(values)]
                total[0], total[1] = float(kept.sum()), float(kept.size)
            torch.distributed.all_reduce(total)
            value = float(total[0] / total[1]) if total[1] > 0 else float("nan")
            return {metric: value}

        X = torch.from_numpy(np.ascontiguousarray(Z[lo:hi])).to(device)
        return EvalTarget(name, X, evaluate, offsets[first:stop + 1] - lo)


class _EqualStepsBatcher(ListBatcher):
    """A `ListBatcher` view whose epochs hold the smallest batch count over all ranks."""

    def __init__(self, inner: ListBatcher, context: DistributedDataParallelStrategy) -> None:
        self.__dict__.update(inner.__dict__)
        self._inner = inner
        self._context = context

    def epoch(self, rng: np.random.Generator) -> Iterator[ListBatch]:
        batches = list(self._inner.epoch(rng))
        count = torch.tensor([len(batches)], dtype=torch.int64,
                             device=self.device if self.device.type == "cuda" else "cpu")
        torch.distributed.all_reduce(count, op=torch.distributed.ReduceOp.MIN)
        yield from batches[: int(count.item())]


def training_strategy(device: torch.device) -> SingleProcess:
    """How this process trains: `SingleProcess`, or `DistributedDataParallelStrategy` when
    it belongs to a torchrun job (or an initialised process group) of several processes.

    ``device``: the device the estimator resolved; under torchrun a CUDA device becomes
    ``cuda:LOCAL_RANK``. Initialises the default process group (``nccl`` for CUDA, ``gloo``
    otherwise, addresses from torchrun's ``MASTER_ADDR``/``MASTER_PORT``) unless it exists.
    """
    dist = torch.distributed
    if not launched_distributed() and not (dist.is_available() and dist.is_initialized()):
        return SingleProcess(device)
    if not dist.is_available():
        raise RuntimeError("this torch build has no torch.distributed support")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        atexit.register(_shutdown)
    if dist.get_world_size() <= 1:
        return SingleProcess(device)
    return DistributedDataParallelStrategy(device, dist.get_rank(), dist.get_world_size())


def _shutdown() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
