"""Tuning LightGBM LambdaMART: stored studies at in-memory speed, and honest tuning against
Optuna's own LightGBMTunerCV (issue 16).

Part 1, storage (``data/sample`` by default): the same study (TPE, same seed, same trial
budget, median pruner, default LightGBM space) with in-memory, SQLite and PostgreSQL storage
(`tuning.buffered_storage` for both databases, as `tune` uses), one worker. Prints wall
times, ratios to in memory and whether the trials are the same.
Goal: SQLite and PostgreSQL within 1.3x of in memory.

Part 2, workers: a fixed budget of trials on one shared storage (SQLite file, PostgreSQL when
a server can be started) by one worker process, then split over two worker processes started
together. Goal: two workers finish the budget faster than one.

Part 3, honest tuning (MQ2008, ``--root``): for each fold and seed, on the fold's train+vali
with the same 5 query-group folds: ``tuning.tune`` (``cv=5``, refit on train+vali for the
mean kept rounds; ``select="significant"``: the default configuration unless the best trial
beats it on the out-of-fold queries beyond the luck of the best of the study's trials, a max-t
test, `tuning.selection`) against its own default
configuration (refitted the same way), the same study's best-validation trial
(``select="best"``) and Optuna's ``LightGBMTunerCV``
(stepwise, same folds; our budget is the number of trials it ran, refit for its CV-best
rounds). Test NDCG@10 (LETOR 4.0 convention) per fold and seed, tuned - default with its
paired t-test over the test queries, and the means. Goals: tuned ours >= default and >= the
peer on the mean, never significantly worse than the default on a fold.

Run (full size, alone on an idle machine)::

    python benchmarks/bench_tuning.py --trials 30 --budget 40 --folds 5 --seeds 0,1,2

Smoke size: ``--trials 6 --budget 4 --folds 1 --seeds 0 --peer-time-budget 30
--cv 3``. ``--skip-storage`` / ``--skip-workers`` / ``--skip-peer`` leave a part out.
Part 3 needs ``optuna-integration`` (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.3


def _model(**params):
    from boostrank.boosters.lightgbm_ranker import LightGBMLambdaMART

    base = dict(n_estimators=300, n_jobs=1, random_state=0)
    base.update(params)
    return LightGBMLambdaMART(**base)


def _timed_study(train, valid, storage, *, trials: int, seed: int, study_name=None):
    from tuning import tune

    started = time.perf_counter()
    result = tune(_model(), train, valid, n_trials=trials, random_state=seed, storage=storage,
                  study_name=study_name, refit=False)
    return result, time.perf_counter() - started


# ---------------------------------------------------------------------- part 1: storage
def _postgres():
    """A throw-away PostgreSQL server (tests/postgres_server.py), or None with the reason."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from postgres_server import PostgresServer, PostgresUnavailable
    except ImportError as exc:
        return None, f"tests/postgres_server.py not importable ({exc})"
    try:
        return PostgresServer().start(), ""
    except PostgresUnavailable as exc:
        return None, str(exc)


def part_storage(train, valid, trials: int, seed: int, server, folder: Path) -> None:
    print(f"\nPart 1: one worker, {trials} trials, TPE seed {seed}, median pruner")
    storages = {"in memory": None, "sqlite": f"sqlite:///{folder / 'part1.db'}"}
    if server is not None:
        storages["postgresql"] = server.create_database("part1")
    rows = {}
    for label, storage in storages.items():
        result, seconds = _timed_study(train, valid, storage, trials=trials, seed=seed,
                                       study_name="part1" if storage else None)
        rows[label] = (seconds, result)
    base_seconds, base = rows["in memory"]
    print(f"{'storage':12}{'wall s':>9}{'ratio':>8}{'best value':>12}  same trials")
    for label, (seconds, result) in rows.items():
        same = (result.trials["value"].fillna(-1).tolist()
                == base.trials["value"].fillna(-1).tolist())
        print(f"{label:12}{seconds:9.2f}{seconds / base_seconds:8.2f}{result.best_value:12.5f}"
              f"  {'yes' if same else 'NO'}")
    for label, (seconds, _) in rows.items():
        if label != "in memory":
            ratio = seconds / base_seconds
            print(f"goal {label} <= {GOAL_RATIO}x in memory: "
                  f"{'met' if ratio <= GOAL_RATIO else 'NOT met'} ({ratio:.2f}x)")


# ---------------------------------------------------------------------- part 2: workers
def _spawn(url: str, study: str, trials: int, seed: int, train: Path, valid: Path):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    return subprocess.Popen(
        [sys.executable, __file__, "--worker", url, study, str(trials), str(seed),
         str(train), str(valid)], env=env, cwd=REPO)


def _run_workers(url: str, study: str, splits: list[int], train: Path, valid: Path) -> float:
    started = time.perf_counter()
    # all workers start together: creating the study and its schema is safe under races
    # (tuning.storage retries the loser of a schema race; Optuna loads a study made meanwhile)
    workers = [_spawn(url, study, n, i, train, valid) for i, n in enumerate(splits)]
    codes = [w.wait() for w in workers]
    if any(codes):
        raise RuntimeError(f"a worker failed (exit codes {codes})")
    return time.perf_counter() - started


def part_workers(budget: int, train: Path, valid: Path, server, folder: Path) -> None:
    print(f"\nPart 2: a budget of {budget} trials on one storage, 1 worker vs 2 workers")
    urls = {"sqlite": lambda tag: f"sqlite:///{folder / f'part2-{tag}.db'}"}
    if server is not None:
        urls["postgresql"] = lambda tag: server.create_database(f"part2_{tag}")
    for label, make_url in urls.items():
        one = _run_workers(make_url("one"), "budget", [budget], train, valid)
        half = budget // 2
        two = _run_workers(make_url("two"), "budget", [budget - half, half], train, valid)
        print(f"{label:12} 1 worker {one:7.1f} s, 2 workers {two:7.1f} s, ratio "
              f"{two / one:.2f} (goal < 1: {'met' if two < one else 'NOT met'})")


def worker_main(argv: list[str]) -> None:
    """One worker process of part 2 (argv: url study n_trials seed train valid)."""
    url, study, trials, seed, train, valid = argv
    from tuning import tune

    tune(_model(), train, valid, n_trials=int(trials), random_state=int(seed), storage=url,
         study_name=study, refit=False)


# ---------------------------------------------------------------------- part 3: the peer
def _letor_ndcg10(model_or_booster, data) -> np.ndarray:
    from boostrank.metrics import evaluate

    if hasattr(model_or_booster, "get_params"):  # ours: give the queries
        scores = model_or_booster.predict(data.X, qid=data.qid)
    else:  # a lightgbm Booster
        scores = model_or_booster.predict(data.X)
    scores = np.asarray(scores, dtype=np.float64)
    _, values = evaluate(data.y, scores, data.qid, metrics=("ndcg@10",), convention="letor",
                         per_query=True)
    return np.asarray(values["ndcg@10"], dtype=np.float64)


def _peer(data, cv: int, seed: int, time_budget: int | None):
    """Optuna's LightGBMTunerCV on the same query-group folds; the refitted booster and the
    number of trials it ran."""
    import lightgbm as lgb
    import optuna
    from optuna_integration.lightgbm import LightGBMTunerCV
    from sklearn.model_selection import GroupKFold

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the peer logs every trial
    dataset = lgb.Dataset(data.X, data.y, group=data.group_sizes, free_raw_data=False)
    params = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "verbosity": -1,
              "num_threads": 1, "seed": seed, "deterministic": True}
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    tuner = LightGBMTunerCV(params, dataset, num_boost_round=300, folds=GroupKFold(cv),
                            callbacks=[lgb.early_stopping(50, verbose=False)],
                            time_budget=time_budget, study=study, show_progress_bar=False,
                            optuna_seed=seed)
    tuner.run()
    best = {**params, **tuner.best_params}
    history = lgb.cv(best, dataset, num_boost_round=300, folds=GroupKFold(cv),
                     callbacks=[lgb.early_stopping(50, verbose=False)])
    rounds = len(next(iter(history.values())))
    return lgb.train(best, dataset, num_boost_round=rounds), len(study.trials)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from boostrank.metrics.stats import paired_ttest

    keep = ~(np.isnan(a) | np.isnan(b))
    return float(np.mean(a[keep] - b[keep])), paired_ttest(a[keep], b[keep])[1]


def _refit_best_trial(result, model, whole):
    """The study's best-validation trial refitted as `tune` refits ``model`` (train+vali, the
    rounds its CV kept, the study's settings): the ``select="best"`` answer of the study."""
    from tuning.refit import refit_data, refit_estimator, refit_params

    fit_on, eval_on, fixed = refit_data("train+valid", whole, None)
    params = refit_params(result.study.best_trial, model.get_params(deep=False),
                          result.extra["settings"], fixed_rounds=fixed)
    return refit_estimator(model, params, fit_on, eval_on)


def part_peer(root: Path, folds: int, seeds: list[int], cv: int,
              time_budget: int | None) -> None:
    from boostrank.data import RankingData, load_letor_fold
    from tuning import tune

    print(f"\nPart 3: MQ2008 {folds} fold(s) x seeds {seeds}; tuning by {cv}-fold query CV "
          f"on train+vali; test NDCG@10 (letor convention). ours = tune(select='significant')"
          f" (the default unless the best trial beats it on the out-of-fold queries beyond the "
          f"luck of the best of its trials: max-t test, p<0.05); "
          f"best = the same study's best-validation trial (select='best')")
    print(f"{'fold':>4}{'seed':>5}{'trials':>7}{'default':>9}{'ours':>8}{'best':>8}{'peer':>8}"
          f"{'ours-def':>10}{'p':>7}{'best-def':>10}{'p':>7}{'peer-def':>10}{'p':>7}  kept")
    table = []
    for fold in range(1, folds + 1):
        train, vali, test = load_letor_fold(root, fold, prefer_cache=False)
        whole = RankingData.concat([train, vali])
        for seed in seeds:
            booster, n_trials = _peer(whole, cv, seed, time_budget)
            peer = _letor_ndcg10(booster, test)
            # the default configuration, refitted like the best one (train+vali, the rounds
            # its CV kept), comes with the result when a test set is given
            model = _model(early_stopping_rounds=50)
            result = tune(model, whole, None, test=test, cv=cv, n_trials=n_trials,
                          random_state=seed, select="significant")
            ours = _letor_ndcg10(result.best_estimator, test)
            default = _letor_ndcg10(result.default_estimator, test)
            best = (ours if result.selection.chosen_trial == result.selection.best_trial
                    else _letor_ndcg10(_refit_best_trial(result, model, whole), test))
            diffs = [_paired(x, default) for x in (ours, best, peer)]
            table.append((np.nanmean(default), np.nanmean(ours), np.nanmean(best),
                          np.nanmean(peer), diffs[0][0] < 0 and diffs[0][1] < 0.05,
                          diffs[1][0] < 0 and diffs[1][1] < 0.05))
            cells = "".join(f"{d:+10.4f}{p:7.3f}" for d, p in diffs)
            print(f"{fold:4d}{seed:5d}{n_trials:7d}{np.nanmean(default):9.4f}"
                  f"{np.nanmean(ours):8.4f}{np.nanmean(best):8.4f}{np.nanmean(peer):8.4f}"
                  f"{cells}  {'default' if result.selection.kept_default else 'tuned'}",
                  flush=True)
    means = np.mean([row[:4] for row in table], axis=0)
    worse, worse_best = sum(row[4] for row in table), sum(row[5] for row in table)
    print(f"mean: default {means[0]:.4f}, ours {means[1]:.4f}, best {means[2]:.4f}, "
          f"peer {means[3]:.4f}")
    print(f"goal ours >= default: {'met' if means[1] >= means[0] else 'NOT met'}; ours >= "
          f"peer: {'met' if means[1] >= means[3] else 'NOT met'}; significantly worse than "
          f"the default on {worse} fold/seed run(s) (goal 0: {'met' if not worse else 'NOT met'})"
          f"; select='best' for reference: {means[2]:.4f}, significantly worse on "
          f"{worse_best} run(s)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=REPO / "data" / "sample",
                        help="folder with train.txt / vali.txt for parts 1 and 2")
    parser.add_argument("--root", type=Path, default=REPO.parent / "shared" / "data" / "MQ2008",
                        help="MQ2008 root (Fold1..Fold5) for part 3")
    parser.add_argument("--trials", type=int, default=30, help="trials of part 1")
    parser.add_argument("--budget", type=int, default=40, help="trial budget of part 2")
    parser.add_argument("--seed", type=int, default=0, help="TPE seed of part 1")
    parser.add_argument("--folds", type=int, default=5, help="MQ2008 folds of part 3 (1-5)")
    parser.add_argument("--seeds", default="0,1,2", help="seeds of part 3, comma-separated")
    parser.add_argument("--cv", type=int, default=5, help="query-group CV folds of part 3")
    parser.add_argument("--peer-time-budget", type=int, default=None,
                        help="seconds for LightGBMTunerCV (smoke runs); default unlimited")
    parser.add_argument("--skip-storage", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()

    from boostrank.data import load_libsvm

    train_path, valid_path = args.sample / "train.txt", args.sample / "vali.txt"
    server, reason = (None, "") if args.skip_storage and args.skip_workers else _postgres()
    if server is None and reason:
        print(f"PostgreSQL left out: {reason}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if not args.skip_storage:
                train = load_libsvm(train_path)
                valid = load_libsvm(valid_path, n_features=train.n_features)
                part_storage(train, valid, args.trials, args.seed, server, Path(tmp))
            if not args.skip_workers:
                part_workers(args.budget, train_path, valid_path, server, Path(tmp))
    finally:
        if server is not None:
            server.stop()
    if not args.skip_peer:
        if not (args.root / "Fold1").is_dir():
            print(f"Part 3 left out: no MQ2008 folds under {args.root}")
            return
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
        part_peer(args.root, args.folds, seeds, args.cv, args.peer_time_budget)


if __name__ == "__main__":
    main()
