"""Benchmark: LambdaMART fit time on one machine vs a 2-worker Dask LocalCluster, in one run.

For each backend, trains the single-machine estimator (``LightGBMLambdaMART`` /
``XGBoostLambdaMART``, all cores of this machine) and its Dask counterpart
(``DaskLightGBMLambdaMART`` / ``DaskXGBoostLambdaMART``) on a ``LocalCluster`` of
``--workers`` worker processes on 127.0.0.1 (``--threads`` threads each), with identical
parameters and a fixed number of rounds (no early stopping), on a generated dataset of about
``--rows`` rows. Prints both fit times (the Dask time includes cutting the data into whole-query
partitions and sending them to the workers), their ratio, and the test NDCG@10 of both models.

What to expect: on one machine both sides do the same arithmetic on the same cores, so the
ratio is the price of going distributed (cutting and sending the partitions, synchronising
histograms every tree): about 2x on an idle 2-core
machine (LightGBM 2.19, XGBoost 2.04 at 1M rows), less when the machine is loaded. The point of the
Dask path is data that does not fit one machine's memory and clusters with many machines, where
per-machine work shrinks with the number of workers while the synchronisation cost per tree
stays about constant (it grows with features x bins, not with rows).

Usage::

    python benchmarks/bench_dask.py                    # ~1M rows, both backends
    python benchmarks/bench_dask.py --rows 200000 --backends lightgbm
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="training rows (about)")
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--docs", type=int, default=100, help="documents per query (mean)")
    parser.add_argument("--rounds", type=int, default=100, help="boosting rounds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--backends", default="lightgbm,xgboost")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART
    from boostrank.data import make_ranking
    from boostrank.distributed import DaskLightGBMLambdaMART, DaskXGBoostLambdaMART
    from boostrank.metrics import evaluate

    n_train_queries = max(args.workers, args.rows // args.docs)
    n_test_queries = max(10, n_train_queries // 10)
    low, high = max(1, args.docs // 2), args.docs * 3 // 2
    started = time.perf_counter()
    data = make_ranking(n_train_queries + n_test_queries, (low, high), args.features,
                        random_state=args.seed)
    train = data.queries(slice(0, n_train_queries))
    test = data.queries(slice(n_train_queries, None))
    print(f"data: {train.n_rows:,} training rows, {train.n_queries:,} queries, "
          f"{train.n_features} features; {test.n_rows:,} test rows "
          f"(generated in {time.perf_counter() - started:.1f} s)")
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores; cluster: LocalCluster({args.workers} worker processes x "
          f"{args.threads} threads, 127.0.0.1)")

    common = dict(n_estimators=args.rounds, learning_rate=0.1, random_state=args.seed,
                  early_stopping_rounds=None)
    backends = {
        "lightgbm": (LightGBMLambdaMART, DaskLightGBMLambdaMART),
        "xgboost": (XGBoostLambdaMART, DaskXGBoostLambdaMART),
    }
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads,
                           processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    rows = []
    try:
        for name in [b.strip() for b in args.backends.split(",") if b.strip()]:
            local_cls, dask_cls = backends[name]
            started = time.perf_counter()
            single = local_cls(n_jobs=-1, **common).fit(train)
            t_single = time.perf_counter() - started
            started = time.perf_counter()
            dist = dask_cls(client=client, **common).fit(train)
            t_dask = time.perf_counter() - started
            ndcg = [evaluate(test.y, m.predict(test.X), test.qid)["ndcg@10"]
                    for m in (single, dist)]
            rows.append((name, t_single, t_dask, *ndcg))
            print(f"{name}: one machine {t_single:.2f} s, dask {t_dask:.2f} s, "
                  f"ratio {t_dask / t_single:.2f}", flush=True)
    finally:
        client.close()
        cluster.close()

    print()
    print(f"{'backend':<10} {'one machine (s)':>16} {'dask 2 workers (s)':>19} "
          f"{'ratio dask/one':>15} {'NDCG@10 one':>12} {'NDCG@10 dask':>13}")
    for name, t_single, t_dask, n_single, n_dask in rows:
        print(f"{name:<10} {t_single:>16.2f} {t_dask:>19.2f} {t_dask / t_single:>15.2f} "
              f"{n_single:>12.4f} {n_dask:>13.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
