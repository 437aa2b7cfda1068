"""Past one machine: LambdaMART on a Dask cluster and whole-query data partitioning.

Loaded lazily: importing ``boostrank.distributed`` imports neither dask, lightgbm nor xgboost.

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

from .._lazy import lazy_getattr

_PUBLIC = {
    "DaskLightGBMLambdaMART": ".dask_boosters:DaskLightGBMLambdaMART",
    "DaskXGBoostLambdaMART": ".dask_boosters:DaskXGBoostLambdaMART",
    "DaskRankingData": ".dask_data:DaskRankingData",
    "to_dask_ranking_data": ".dask_data:to_dask_ranking_data",
    "PartitionError": ".partition:PartitionError",
    "partition_queries": ".partition:partition_queries",
    "check_disjoint_queries": ".partition:check_disjoint_queries",
}

__all__ = sorted(_PUBLIC)
__getattr__ = lazy_getattr(__name__, _PUBLIC)


def __dir__() -> list[str]:
    return __all__
