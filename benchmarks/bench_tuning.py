"""Tuning LightGBM LambdaMART on MQ2008 with and without pruning (issue 6).

Part 1 (Fold1): the same study (TPE, same seed, same trial budget, default LightGBM space,
``n_estimators`` cap with early stopping) run twice in one process, with the median pruner and
without pruning. Prints for each: wall time, best validation NDCG@10 (the tuned metric, default
convention), test NDCG@10 under the LETOR 4.0 convention of the refitted best model, boosting
rounds trained over all trials (a cost measure immune to the machine's load); then the ratios
and the difference of best validation values.

Goal: pruning reaches a best validation value within 0.002 of the unpruned one in at most half
the time.

Part 2 (5 folds): for each fold, the untuned default LightGBMLambdaMART (early stopping on the
fold's validation set) against the tuned one (pruned study maximising validation NDCG@10 under
the default convention); test NDCG@10, LETOR convention; mean over folds. The studies run with
several TPE seeds (``--fold-seeds``, default 0,1,2), since one seed's tuned model is one noisy
draw on 157 validation queries; each seed gets a paired significance test over the 784 test
queries.

Goal: the tuned mean (over folds and seeds) beats the untuned default.

Run: ``python benchmarks/bench_tuning.py [--root PATH] [--trials N] [--folds K]
[--cv-trials N] [--fold-seeds 0,1,2] [--skip-folds]``; the data root defaults to
``../shared/data/MQ2008``.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np


def _letor_ndcg10(model, data, per_query: bool = False):
    """Test NDCG@10 (LETOR convention): the mean, or the per-query values."""
    from boostrank.metrics import evaluate

    scores = model.predict(data.X)
    means, values = evaluate(data.y, scores, data.qid, metrics=("ndcg@10",),
                             convention="letor", per_query=True)
    return np.asarray(values["ndcg@10"], dtype=np.float64) if per_query else means["ndcg@10"]


def _model(n_jobs: int):
    from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART

    return LightGBMLambdaMART(n_jobs=n_jobs, random_state=0)


def _study(train, vali, *, trials: int, pruner: str, seed: int, n_jobs: int,
           convention: str = "default", cv: int | None = None):
    from tuning import tune

    started = time.perf_counter()
    result = tune(_model(n_jobs), train, vali, n_trials=trials, pruner=pruner, seed=seed,
                  convention=convention, cv=cv)
    return result, time.perf_counter() - started


def part_pruning(root: Path, trials: int, seed: int, n_jobs: int) -> None:
    from boostrank.data import load_letor_fold

    train, vali, test = load_letor_fold(root, 1, prefer_cache=False)
    print(f"MQ2008 Fold1: train {train.n_queries} queries / {train.n_rows} rows, "
          f"vali {vali.n_queries}, test {test.n_queries}; {trials} trials, TPE seed {seed}")
    rows = {}
    for label, pruner in (("no pruning", "none"), ("median pruner", "median")):
        result, seconds = _study(train, vali, trials=trials, pruner=pruner, seed=seed,
                                 n_jobs=n_jobs)
        rounds = int(result.trials["steps_run"].sum())
        rows[label] = (seconds, result.best_value, _letor_ndcg10(result.best_estimator, test),
                       result.n_pruned, rounds)
    print(f"{'':16}{'wall s':>9}{'rounds':>8}{'best vali ndcg@10':>19}"
          f"{'test ndcg@10 (letor)':>22}{'pruned':>8}")
    for label, (seconds, best, test_value, pruned, rounds) in rows.items():
        print(f"{label:16}{seconds:9.1f}{rounds:8d}{best:19.4f}{test_value:22.4f}{pruned:8d}")
    (t_full, v_full, _, _, r_full), (t_pruned, v_pruned, _, _, r_pruned) = rows.values()
    ratio = t_pruned / t_full
    gap = v_full - v_pruned
    print(f"time ratio pruned/unpruned: {ratio:.2f} (goal <= 0.50: "
          f"{'met' if ratio <= 0.5 else 'NOT met'}); boosting rounds trained ratio "
          f"{r_pruned / r_full:.2f} (the noise-free cost)")
    print(f"best vali gap unpruned - pruned: {gap:+.4f} (goal <= 0.002: "
          f"{'met' if gap <= 0.002 else 'NOT met'})")


def part_folds(root: Path, folds: int, trials: int, seeds: list[int], n_jobs: int,
               convention: str, cv: int | None) -> None:
    """Untuned default vs tuned, test NDCG@10 (LETOR convention) per fold; the study is run
    with each of ``seeds`` (the tuned result of one seed is one noisy draw), the goal is judged
    on the mean over seeds."""
    from boostrank.data import load_letor_fold
    from boostrank.metrics.stats import bootstrap_ci, paired_ttest, randomization_test

    target = (f"{cv}-fold query-group CV on train" if cv else "the validation split")
    print(f"\n5-fold check ({folds} fold(s), {trials} trials each, median pruner, NDCG@10 "
          f"({convention} convention) on {target}, refit with early stopping on vali; TPE "
          f"seeds {', '.join(map(str, seeds))}): test NDCG@10, LETOR convention")
    data = [load_letor_fold(root, fold, prefer_cache=False) for fold in range(1, folds + 1)]
    per_query_u = [_letor_ndcg10(_model(n_jobs).fit(train, eval_set=vali), test, True)
                   for train, vali, test in data]
    mean_u = float(np.mean([np.mean(v) for v in per_query_u]))
    print(f"  untuned default: {mean_u:.4f}  (per fold "
          f"{', '.join(f'{np.mean(v):.4f}' for v in per_query_u)})")
    tuned_means = []
    for seed in seeds:
        per_query_t, seconds = [], 0.0
        for train, vali, test in data:
            result, took = _study(train, vali, trials=trials, pruner="median", seed=seed,
                                  n_jobs=n_jobs, convention=convention, cv=cv)
            seconds += took
            per_query_t.append(_letor_ndcg10(result.best_estimator, test, True))
        tuned_means.append(float(np.mean([np.mean(v) for v in per_query_t])))
        a, b = np.concatenate(per_query_t), np.concatenate(per_query_u)
        _, p_t = paired_ttest(a, b)
        p_r = randomization_test(a, b, seed=0)
        low, high = bootstrap_ci(a, b, seed=0)
        print(f"  tuned, seed {seed}: {tuned_means[-1]:.4f}  (per fold "
              f"{', '.join(f'{np.mean(v):.4f}' for v in per_query_t)}; {seconds:.0f} s); "
              f"tuned - default over {a.size} queries {float(np.mean(a - b)):+.4f} "
              f"[{low:+.4f}, {high:+.4f}], t-test p={p_t:.3f}, randomization p={p_r:.3f}")
    mean_t = float(np.mean(tuned_means))
    print(f"mean over seeds: default {mean_u:.4f}  tuned {mean_t:.4f}  ratio "
          f"{mean_t / mean_u:.4f} (goal tuned > default: "
          f"{'met' if mean_t > mean_u else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_root = Path(__file__).resolve().parents[2] / "shared" / "data" / "MQ2008"
    parser.add_argument("--root", type=Path, default=default_root)
    parser.add_argument("--trials", type=int, default=40, help="trial budget of part 1")
    parser.add_argument("--folds", type=int, default=5, help="folds of part 2 (1-5)")
    parser.add_argument("--cv-trials", type=int, default=30, help="trials per fold, part 2")
    parser.add_argument("--seed", type=int, default=0, help="TPE seed of part 1")
    parser.add_argument("--fold-seeds", default="0,1,2",
                        help="TPE seeds of part 2, comma-separated (default 0,1,2)")
    parser.add_argument("--jobs", type=int, default=1, help="LightGBM threads per fit")
    parser.add_argument("--skip-folds", action="store_true", help="only part 1")
    parser.add_argument("--skip-pruning", action="store_true", help="only part 2")
    parser.add_argument("--fold-cv", type=int, default=0,
                        help="part 2: score each trial by K-fold query-group CV on train (less "
                             "noisy than 157 validation queries); 0 (default): on vali")
    parser.add_argument("--fold-convention", default="default",
                        help="convention of the validation metric tuned in part 2 (default: "
                             "the library's, as in part 1; 'letor' scores every query with "
                             "fewer than 10 documents 0, so it selects on fewer queries)")
    args = parser.parse_args()
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    if not (args.root / "Fold1").is_dir():
        raise SystemExit(f"MQ2008 not found at {args.root}; pass --root")
    if not args.skip_pruning:
        part_pruning(args.root, args.trials, args.seed, args.jobs)
    if not args.skip_folds:
        seeds = [int(x) for x in args.fold_seeds.split(",") if x.strip()]
        part_folds(args.root, args.folds, args.cv_trials, seeds, args.jobs,
                   args.fold_convention, args.fold_cv or None)


if __name__ == "__main__":
    main()
