"""Past one machine: LambdaMART on a Dask cluster and whole-query data partitioning.

Importing ``boostrank.distributed`` imports neither dask, lightgbm nor xgboost (they are imported
when a model is fitted on a cluster).

- `DaskLightGBMLambdaMART` / `DaskXGBoostLambdaMART`: the boosters trained on a
  ``dask.distributed`` cluster; the fitted model predicts and saves like the single-machine one.
- `partition_queries`, `PartitionError`: cut data into partitions without splitting a query.
- `to_dask_ranking_data`, `DaskRankingData`: put data (in memory or LibSVM files read by the
  workers) on the cluster.

Tuning with many workers needs no code here (one PostgreSQL URL shared by every
``boostrank tune`` process), and neural training under ``torchrun`` lives in
`neural.distributed`; see docs/scaling.md.
"""

from __future__ import annotations

from .dask_boosters import DaskLightGBMLambdaMART, DaskXGBoostLambdaMART
from .dask_data import DaskRankingData, to_dask_ranking_data
from .partition import PartitionError, check_disjoint_queries, partition_queries

__all__ = [
    "DaskLightGBMLambdaMART",
    "DaskRankingData",
    "DaskXGBoostLambdaMART",
    "PartitionError",
    "check_disjoint_queries",
    "partition_queries",
    "to_dask_ranking_data",
]
