"""Benchmark: boostrank's LambdaMART boosters against raw LightGBM / XGBoost, in one run.

For each backend and dataset, trains our estimator with its *default* parameters (early stopping
on the validation set's NDCG@10) and the raw library (``lightgbm.train`` / ``xgboost.train``)
with the identical parameter dict, the same validation set and the same early stopping, then
prints test NDCG@1/3/5/10 of both, whether their predictions are identical, fit times and the
time ratio (ours / raw: the wrapper's overhead).

Datasets:
- LETOR 4.0 MQ2008, all five folds (``--mq2008``, default ``../shared/data/MQ2008``; skipped
  with a message when absent), NDCG by the LETOR convention (``Eval-Score-4.0.pl`` rules);
- a generated MSLR-shaped set (``--rows`` rows, 136 features, ~120 documents per query,
  labels 0-4, split 60/20/20 by query), NDCG by the default convention.

Goals: identical NDCG to the raw library, overhead <= 5% of fit time, and 5-fold MQ2008
NDCG@10 (LETOR convention) >= 0.229 for both backends with our defaults.

Usage::

    python benchmarks/bench_boosters.py                 # everything (a few minutes)
    python benchmarks/bench_boosters.py --rows 50000    # smaller generated set
    python benchmarks/bench_boosters.py --device cuda --backends xgboost --skip-mq2008
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MQ2008 = REPO.parent / "shared" / "data" / "MQ2008"
CUTOFFS = (1, 3, 5, 10)
MQ2008_TARGET = 0.229


# ---------------------------------------------------------------- raw-library runs
def raw_lightgbm(model: Any, train: Any, valid: Any) -> tuple[Any, float, int]:
    """Raw ``lightgbm.train`` with the estimator's exact parameters; (predict fn, fit seconds)."""
    import lightgbm as lgb

    start = time.perf_counter()
    params = dict(model._lgb_params(None))
    # LightGBM's own metric; only ndcg@10 (LightGBM sorts eval_at, and first_metric_only
    # would then watch ndcg@1)
    params.update(metric="ndcg", eval_at=[10])
    dtrain = lgb.Dataset(train.X, train.y, group=train.group_sizes, params=params)
    dvalid = lgb.Dataset(valid.X, valid.y, group=valid.group_sizes, reference=dtrain)
    booster = lgb.train(
        params, dtrain, num_boost_round=model.n_estimators, valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(model.early_stopping_rounds, first_metric_only=True,
                                      verbose=False)],
    )
    seconds = time.perf_counter() - start
    best = booster.best_iteration or booster.current_iteration()
    return (lambda X: booster.predict(X, num_iteration=best)), seconds, best


def raw_xgboost(model: Any, train: Any, valid: Any) -> tuple[Any, float, int]:
    """Raw ``xgboost.train`` with the estimator's exact parameters; (predict fn, fit seconds)."""
    import xgboost as xgb

    start = time.perf_counter()
    params = dict(model._xgb_params("exponential" if model.objective == "rank:ndcg" else None))
    params.pop("disable_default_eval_metric")
    # XGBoost's own metric; early stopping watches the last one (ndcg@10); explicit ndcg@k,
    # never the plain "ndcg" that XGBoost truncates at 32
    params["eval_metric"] = [f"ndcg@{k}" for k in (1, 3, 5, 10)]
    nthread = params.get("nthread", -1)
    dtrain = xgb.DMatrix(train.X, train.y, group=train.group_sizes, nthread=nthread)
    dvalid = xgb.DMatrix(valid.X, valid.y, group=valid.group_sizes, nthread=nthread)
    booster = xgb.train(params, dtrain, num_boost_round=model.n_estimators,
                        evals=[(dvalid, "valid")],
                        early_stopping_rounds=model.early_stopping_rounds, verbose_eval=False)
    seconds = time.perf_counter() - start
    best = booster.best_iteration + 1

    def predict(X: Any) -> np.ndarray:
        return booster.predict(xgb.DMatrix(X, nthread=nthread), iteration_range=(0, best))

    return predict, seconds, best


RAW = {"lightgbm": raw_lightgbm, "xgboost": raw_xgboost}


def make_model(backend: str, args: argparse.Namespace) -> Any:
    from boostrank.boosters import LightGBMLambdaMART, XGBoostLambdaMART

    cls = LightGBMLambdaMART if backend == "lightgbm" else XGBoostLambdaMART
    return cls(random_state=0, n_jobs=args.n_jobs, device=args.device)


# ---------------------------------------------------------------- one comparison
def compare_one(backend: str, train: Any, valid: Any, test: Any, convention: str,
                args: argparse.Namespace, repeats: int) -> dict[str, Any]:
    """Fit ours and raw ``repeats`` times (alternating); keep the fastest fit of each."""
    from boostrank.metrics import evaluate

    metrics = [f"ndcg@{k}" for k in CUTOFFS]
    ours_times, raw_times = [], []
    for repeat in range(max(1, repeats)):
        order = ("ours", "raw") if repeat % 2 == 0 else ("raw", "ours")
        for who in order:
            if who == "ours":
                model = make_model(backend, args)
                start = time.perf_counter()
                model.fit(train, eval_set=valid)
                ours_times.append(time.perf_counter() - start)
            else:
                raw_predict, seconds, raw_best = RAW[backend](make_model(backend, args),
                                                              train, valid)
                raw_times.append(seconds)
    ours_pred = model.predict(test.X)
    raw_pred = raw_predict(test.X)
    return {
        "ours": evaluate(test.y, ours_pred, test.qid, metrics=metrics, convention=convention),
        "raw": evaluate(test.y, raw_pred, test.qid, metrics=metrics, convention=convention),
        "ours_s": min(ours_times), "raw_s": min(raw_times),
        "ours_best": model.best_iteration_, "raw_best": raw_best,
        "max_abs_diff": float(np.max(np.abs(ours_pred - raw_pred))) if test.n_rows else 0.0,
    }


def summarise(name: str, backend: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [f"ndcg@{k}" for k in CUTOFFS]
    ours = {k: float(np.mean([r["ours"][k] for r in runs])) for k in keys}
    raw = {k: float(np.mean([r["raw"][k] for r in runs])) for k in keys}
    ours_s = sum(r["ours_s"] for r in runs)
    raw_s = sum(r["raw_s"] for r in runs)
    identical = all(r["max_abs_diff"] == 0.0 for r in runs)
    print(f"\n{name} / {backend} ({len(runs)} split{'s' if len(runs) > 1 else ''})")
    print(f"  {'':10s}" + "".join(f"{k:>10s}" for k in keys) + f"{'fit s':>10s}  best iter")
    print(f"  {'raw':10s}" + "".join(f"{raw[k]:10.4f}" for k in keys) + f"{raw_s:10.2f}  "
          + ",".join(str(r["raw_best"]) for r in runs))
    print(f"  {'boostrank':10s}" + "".join(f"{ours[k]:10.4f}" for k in keys) + f"{ours_s:10.2f}  "
          + ",".join(str(r["ours_best"]) for r in runs))
    ratio = ours_s / raw_s if raw_s > 0 else float("nan")
    print(f"  {'ratio':10s}" + "".join(f"{ours[k] / raw[k] if raw[k] else float('nan'):10.4f}"
                                       for k in keys) + f"{ratio:10.3f}")
    diff = max(r["max_abs_diff"] for r in runs)
    print(f"  predictions identical to the raw library: {'yes' if identical else 'NO'} "
          f"(max |diff| {diff:.3g}); wrapper overhead {100 * (ratio - 1):+.1f}% of fit time")
    return {"dataset": name, "backend": backend, "ours": ours, "raw": raw, "ours_s": ours_s,
            "raw_s": raw_s, "ratio": ratio, "identical": identical}


# ---------------------------------------------------------------- datasets
def run_mq2008(args: argparse.Namespace, backends: list[str]) -> list[dict[str, Any]]:
    root = Path(args.mq2008)
    if not (root / "Fold1" / "train.txt").is_file():
        print(f"\nMQ2008: skipped, not found at {root} (pass --mq2008 PATH)")
        return []
    from boostrank.data import load_letor_fold

    folds = [int(f) for f in args.folds.split(",")]
    data = {f: load_letor_fold(root, fold=f) for f in folds}
    results = []
    for backend in backends:
        runs = [compare_one(backend, *data[f], "letor", args, args.repeats) for f in folds]
        summary = summarise(f"MQ2008 folds {args.folds} (LETOR convention)", backend, runs)
        goal = summary["ours"]["ndcg@10"]
        status = "met" if goal >= MQ2008_TARGET else "NOT met"
        print(f"  goal NDCG@10 >= {MQ2008_TARGET}: {goal:.4f} ({status})")
        results.append(summary)
    return results


def run_generated(args: argparse.Namespace, backends: list[str]) -> list[dict[str, Any]]:
    from boostrank.data import make_ranking

    n_queries = max(10, args.rows // 120)
    start = time.perf_counter()
    data = make_ranking(n_queries, (40, 200), 136, relevance_levels=5, random_state=0)
    data = data.to_dense(np.float32)
    a, b = int(0.6 * n_queries), int(0.8 * n_queries)
    train, valid, test = data.queries(slice(0, a)), data.queries(slice(a, b)), \
        data.queries(slice(b, n_queries))
    print(f"\ngenerated MSLR-shaped set: {data.n_rows} rows, {n_queries} queries, "
          f"136 features (train {train.n_rows} / vali {valid.n_rows} / test {test.n_rows} rows; "
          f"generated in {time.perf_counter() - start:.1f} s)")
    results = []
    for backend in backends:
        runs = [compare_one(backend, train, valid, test, "default", args,
                            args.generated_repeats)]
        results.append(summarise("generated MSLR-shaped (default convention)", backend, runs))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mq2008", default=str(DEFAULT_MQ2008), help="MQ2008 folder")
    parser.add_argument("--folds", default="1,2,3,4,5", help="MQ2008 folds, e.g. 1,2")
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the generated set")
    parser.add_argument("--backends", default="lightgbm,xgboost")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--n-jobs", type=int, default=None, help="threads (default: all)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="MQ2008: fits of each side per fold; the fastest is kept")
    parser.add_argument("--generated-repeats", type=int, default=1,
                        help="the same for the generated set")
    parser.add_argument("--skip-mq2008", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    parser.add_argument("--json", help="also write the summaries to this JSON file")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(RAW)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {sorted(RAW)}")

    import lightgbm
    import xgboost

    print(f"boostrank boosters vs raw libraries: lightgbm {lightgbm.__version__}, "
          f"xgboost {xgboost.__version__}, {os.cpu_count()} CPUs, n_jobs={args.n_jobs}, "
          f"device={args.device}, repeats={args.repeats}/{args.generated_repeats}")
    if args.device == "cuda" and "lightgbm" in backends:
        from boostrank.boosters.lightgbm_ranker import _device_support

        reason = _device_support("cuda")
        if reason is not None:
            print(f"lightgbm: skipped on cuda ({reason})")
            backends.remove("lightgbm")
    results: list[dict[str, Any]] = []
    if not args.skip_mq2008:
        results += run_mq2008(args, backends)
    if not args.skip_generated:
        results += run_generated(args, backends)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
