"""Benchmark: learning from simulated clicks, naive vs position-bias-corrected, every family.

The semi-synthetic protocol of the unbiased learning-to-rank papers (Joachims et al. 2017,
Ai et al. 2018, Hu et al. 2019):

1. a weak *logging ranker* (LightGBM trained on ``--logging-fraction`` (1%) of the training
   queries' true labels) ranks every training query;
2. `boostrank.clicks.simulate_clicks` shows each query's top ``--n-shown`` documents
   ``--n-sessions`` times and draws clicks from the true labels with the position-based
   model (examination ``(1/rank)**eta``, click noise ``noise`` on grade-0 documents), for
   every ``eta`` in ``--etas`` and ``noise`` in ``--noises``; the log holds the click counts
   summed over the sessions (``counts``; the boosters then train on the counts with linear
   gain) or one list per session (``impressions``, the form of the papers);
3. for each family (LightGBM, XGBoost, a neural ranker with the softmax loss) the models are
   scored by NDCG@10 on the TRUE labels of the test split: (a) trained on the true labels
   (the ceiling), (b) trained on the clicks naively, (c) trained on the clicks with
   ``position_bias=True``.

Settings are chosen on validation data, never on the test split: the validation queries
(MQ2008's ``vali`` split; 10 % of the generated queries) with their true labels, as in the
semi-synthetic papers. With ``--output select`` (default) every click-trained booster model,
naive and corrected alike, picks the log format (counts or impressions) with the best
validation NDCG@10, and the corrected model also picks the strength of its position term
(XGBoost ``position_bias_norm`` p in ``--bias-norms``, default 0, 0.5, 1: XGBoost takes the
``1/(1+p)``-th power of its bias estimates, so its default p=1 shrinks them towards 1, a
weaker correction; LightGBM ``position_bias_regularization`` in ``--bias-regs``). XGBoost's
corrected model tries each norm without (the estimator's default under ``position_bias=True``)
and with XGBoost's per-query gradient normalization (``lambdarank_normalization``, ``qnorm`` in
the rows; XGBoost's own default), so XGBoost's native Unbiased LambdaMART settings stay among
the candidates. Each printed row names the choices, ``[naive / corrected]``. The boosters train ``--rounds`` rounds, or stop early on the
validation queries with ``--early-stopping N`` (the ceiling too). With ``--oracle-ipw`` the
neural family also reports IPW with the true propensities ``(1/rank)**eta`` (``neural-ipw``,
an oracle). A second reference, ``unbiased-clicks``, is the same family trained (and chosen,
as the naive model) on clicks simulated without position bias (``eta=0``, same noise and
sessions): the most any position-bias correction can reach from these clicks (the rest of
the gap to (a) is the information clicks lack, and the documents never shown).

Printed for every dataset x seed x click setting x family: (a), unbiased-clicks, (b), (c),
the fraction of the (a)-(b) gap that (c) recovers (and of the unbiased-clicks-(b) gap),
and paired significance of (c) vs (b) over the test queries (paired t-test and
randomization test). A summary gives the mean per family over
everything. Goals: (c) recovers at least half of the gap for LightGBM and XGBoost, and
beats (b) for the neural family.

Datasets: LETOR 4.0 MQ2008 (``--mq2008``, default ``../shared/data/MQ2008``, fold
``--fold``; skipped with a message when absent) and a generated set (``make_ranking``).

Usage::

    python benchmarks/bench_clicks.py                        # full run (~7 min, 2 cores)
    python benchmarks/bench_clicks.py --seeds 3 --oracle-ipw # 3 seeds, oracle IPW too
    python benchmarks/bench_clicks.py --seeds 1 --etas 1 --noises 0.1 --families lightgbm
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
DEFAULT_MQ2008 = REPO.parent / "shared" / "data" / "MQ2008"
GOAL_RECOVERED = 0.5
BOOSTERS = ("lightgbm", "xgboost")
OUTPUTS = ("counts", "impressions")


@dataclass
class Sizes:
    """The size flags (see `parse_args`)."""

    rounds: int
    epochs: int
    threads: int
    n_shown: int
    n_sessions: int
    logging_fraction: float
    logging_rounds: int
    output: str
    oracle_ipw: bool
    bias_norms: tuple[float, ...]
    bias_regs: tuple[float, ...]
    early_stopping: int | None


# ---------------------------------------------------------------- data
def load_datasets(args: argparse.Namespace) -> list[tuple[str, Any, Any, Any]]:
    """``[(name, train, valid, test)]`` of the datasets asked for (MQ2008 skipped when absent).

    MQ2008 uses its fold's ``vali`` split; the generated set is split 60/10/30 % by query.
    """
    from boostrank import load_letor_fold, make_ranking

    out = []
    for name in args.datasets:
        if name == "mq2008":
            root = Path(args.mq2008)
            if not (root / f"Fold{args.fold}").exists():
                print(f"[skip] MQ2008: no Fold{args.fold} under {root} (give --mq2008 DIR)")
                continue
            train, valid, test = load_letor_fold(root, args.fold)
            out.append((f"MQ2008/Fold{args.fold}", train, valid, test))
        else:
            data = make_ranking(args.queries, (args.min_docs, args.max_docs), args.features,
                                relevance_levels=5, noise=0.5, random_state=args.data_seed)
            n_train, n_valid = int(0.6 * data.n_queries), int(0.1 * data.n_queries)
            out.append((f"synthetic({data.n_queries}q)", data.queries(slice(0, n_train)),
                        data.queries(slice(n_train, n_train + n_valid)),
                        data.queries(slice(n_train + n_valid, None))))
    return out


def logging_ranker(train: Any, seed: int, sizes: Sizes) -> Any:
    """The weak logging ranker: LightGBM on a fraction of the training queries' labels."""
    from boostrank import LightGBMLambdaMART

    rng = np.random.default_rng(seed)
    n_logging = max(2, int(round(sizes.logging_fraction * train.n_queries)))
    queries = np.sort(rng.choice(train.n_queries, size=n_logging, replace=False))
    ranker = LightGBMLambdaMART(n_estimators=sizes.logging_rounds, num_leaves=7,
                                min_child_samples=5, early_stopping_rounds=None,
                                random_state=seed, n_jobs=sizes.threads)
    return ranker.fit(train.queries(queries))


# ---------------------------------------------------------------- models
def make_model(family: str, seed: int, sizes: Sizes, **extra: Any) -> Any:
    """The estimator of ``family`` with the benchmark's sizes (boosters: ``--rounds`` rounds,
    or early stopping after ``--early-stopping`` rounds without gain on the validation
    queries; neural: ``--epochs`` epochs)."""
    if family == "lightgbm":
        from boostrank import LightGBMLambdaMART

        return LightGBMLambdaMART(n_estimators=sizes.rounds,
                                  early_stopping_rounds=sizes.early_stopping,
                                  random_state=seed, n_jobs=sizes.threads, **extra)
    if family == "xgboost":
        from boostrank import XGBoostLambdaMART

        return XGBoostLambdaMART(n_estimators=sizes.rounds,
                                 early_stopping_rounds=sizes.early_stopping,
                                 random_state=seed, n_jobs=sizes.threads, **extra)
    from neural import NeuralRanker

    return NeuralRanker(loss="softmax", hidden_sizes=(64,), dropout=0.1,
                        n_epochs=sizes.epochs, batch_size=64, learning_rate=2e-3,
                        early_stopping_rounds=None, device="cpu", random_state=seed,
                        n_jobs=sizes.threads, **extra)


def click_params(family: str, output: str) -> dict[str, Any]:
    """Parameters of a model trained on a click log of format ``output``: click counts are
    graded by linear gain (the exponential gain 2^count - 1 of the boosters would let one
    document's clicks dominate its list); impressions hold 0/1 clicks (either gain)."""
    if family in BOOSTERS and output == "counts":
        return {"gain": "linear"}
    return {}


def log_formats(family: str, sizes: Sizes) -> tuple[str, ...]:
    """Click-log formats a click-trained model of ``family`` chooses from on validation
    (``--output select``: both for the boosters, counts for the neural family)."""
    if sizes.output != "select":
        return (sizes.output,)
    return OUTPUTS if family in BOOSTERS else ("counts",)


def correction_grid(family: str, sizes: Sizes) -> list[dict[str, Any]]:
    """The corrected model's candidate settings: the strength of each booster's position
    term (XGBoost ``position_bias_norm``, LightGBM ``position_bias_regularization``)."""
    if family == "xgboost":  # with and without XGBoost's per-query gradient normalization
        return [{"position_bias": True, "position_bias_norm": v, **extra}
                for extra in ({}, {"params": {"lambdarank_normalization": True}})
                for v in sizes.bias_norms]
    if family == "lightgbm":
        return [{"position_bias": True, "position_bias_regularization": v}
                for v in sizes.bias_regs]
    return [{"position_bias": True}]


def _describe(output: str, extra: dict[str, Any]) -> str:
    short = {"position_bias_norm": "norm", "position_bias_regularization": "reg"}
    words = [output[:5]] + [f"{short[k]}={v:g}" for k, v in extra.items() if k in short]
    if extra.get("params", {}).get("lambdarank_normalization"):
        words.append("qnorm")
    return ",".join(words)


def fit(family: str, model: Any, data: Any, valid: Any, sizes: Sizes) -> Any:
    """``model`` fitted on ``data``; a booster's eval set is ``valid`` with early stopping."""
    if sizes.early_stopping and family in BOOSTERS:
        return model.fit(data, eval_set=valid)
    return model.fit(data)


def fit_on_validation(family: str, seed: int, sizes: Sizes, logs: dict[str, Any], valid: Any,
                      grid: list[dict[str, Any]]) -> tuple[Any, str]:
    """Fit one model per click-log format and ``grid`` entry; keep the one with the best
    mean NDCG@10 on the true labels of the validation queries (ties: the first).

    Returns the model and its setting (e.g. ``"impre,norm=0"``).
    """
    best: tuple[float, Any, str] | None = None
    for output in log_formats(family, sizes):
        for extra in grid:
            model = fit(family, make_model(family, seed, sizes,
                                           **click_params(family, output), **extra),
                        logs[output], valid, sizes)
            score = float(np.nanmean(test_ndcg(model, valid)))
            if best is None or score > best[0]:
                best = (score, model, _describe(output, extra))
    assert best is not None
    return best[1], best[2]


def test_ndcg(model: Any, test: Any) -> np.ndarray:
    """Per-query NDCG@10 (n_queries,) of ``model`` on the true labels of ``test``."""
    from boostrank.metrics import evaluate

    scores = model.predict(test, qid=test.qid)
    _, values = evaluate(test.y, scores, test.qid, metrics=("ndcg@10",), per_query=True)
    return np.asarray(values["ndcg@10"], dtype=np.float64)


# ---------------------------------------------------------------- one setting
@dataclass
class References:
    """Per-query test NDCG@10 of the reference models of one family.

    ``ceiling``: trained on the true labels (a); ``unbiased``: trained on clicks simulated
    without position bias (``eta=0``, same noise), the most a position-bias correction can
    reach from clicks.
    """

    ceiling: np.ndarray
    unbiased: dict[float, np.ndarray]


def simulate(train: Any, scores: np.ndarray, seed: int, eta: float, noise: float,
             sizes: Sizes, families: list[str]) -> dict[str, Any]:
    """The PBM click logs of one setting, one per format a family needs (same seed: the
    impressions are the sessions whose sums are the counts)."""
    from boostrank.clicks import simulate_clicks

    outputs = dict.fromkeys(o for f in families for o in log_formats(f, sizes))
    return {output: simulate_clicks(train, scores, "pbm", random_state=seed,
                                    n_shown=sizes.n_shown, n_sessions=sizes.n_sessions,
                                    output=output, eta=eta, noise=noise)
            for output in outputs}


def _recovered(reference: float, naive: float, corrected: float) -> float:
    gap = reference - naive
    return (corrected - naive) / gap if gap > 1e-9 else float("nan")


def compare(label: str, refs: References, noise: float, naive: np.ndarray,
            corrected: np.ndarray) -> dict[str, float]:
    """Print one row (means, recovered fractions, paired tests); return its figures."""
    from boostrank.metrics.stats import paired_ttest, randomization_test

    a, u, b, c = (float(np.nanmean(v)) for v in (refs.ceiling, refs.unbiased[noise], naive,
                                                 corrected))
    recovered, recovered_u = _recovered(a, b, c), _recovered(u, b, c)
    _, p_t = paired_ttest(corrected, naive)
    p_r = randomization_test(corrected, naive, n_resamples=5000, random_state=0)
    print(f"  {label:<26} ceiling {a:.4f}  unbiased-clicks {u:.4f}  naive {b:.4f}  "
          f"corrected {c:.4f}  recovered {_show(recovered)} (of unbiased-clicks gap "
          f"{_show(recovered_u)})  p(t) {p_t:.3g}  p(rand) {p_r:.3g}", flush=True)
    return {"ceiling": a, "unbiased": u, "naive": b, "corrected": c, "recovered": recovered,
            "p_t": p_t, "p_rand": p_r}


def _show(value: float) -> str:
    return "  n/a" if np.isnan(value) else f"{value:5.2f}"


def references(train: Any, valid: Any, test: Any, scores: np.ndarray, seed: int,
               families: list[str], noises: list[float], sizes: Sizes) -> dict[str, References]:
    """The ceiling and the unbiased-clicks model of each family (one seed)."""
    refs = {f: References(test_ndcg(fit(f, make_model(f, seed, sizes), train, valid, sizes),
                                    test), {}) for f in families}
    for noise in noises:
        logs = simulate(train, scores, seed, 0.0, noise, sizes, families)
        for family in families:
            model, _ = fit_on_validation(family, seed, sizes, logs, valid, [{}])
            refs[family].unbiased[noise] = test_ndcg(model, test)
    print(f" seed {seed}: ceilings " + ", ".join(
        f"{f} {np.nanmean(r.ceiling):.4f}" for f, r in refs.items()), flush=True)
    return refs


def run_setting(train: Any, valid: Any, test: Any, scores: np.ndarray, seed: int, eta: float,
                noise: float, refs: dict[str, References],
                sizes: Sizes) -> list[tuple[str, dict[str, float]]]:
    """Simulate one click log; train and score naive and corrected models of each family."""
    logs = simulate(train, scores, seed, eta, noise, sizes, list(refs))
    clicks = next(iter(logs.values()))
    print(f" eta={eta:g} noise={noise:g}: {clicks.n_queries} lists, "
          f"{int(clicks.y.sum())} clicks on {clicks.n_rows} rows", flush=True)
    rows = []
    for family, family_refs in refs.items():
        naive, naive_setting = fit_on_validation(family, seed, sizes, logs, valid, [{}])
        naive_ndcg = test_ndcg(naive, test)
        variants = {family: correction_grid(family, sizes)}
        if family == "neural" and sizes.oracle_ipw:
            ranks = np.arange(1, 1001, dtype=np.float64)
            variants["neural-ipw"] = [{"position_bias": "ipw", "propensities": ranks ** -eta}]
        for name, grid in variants.items():
            model, setting = fit_on_validation(family, seed, sizes, logs, valid, grid)
            figures = compare(f"{name} [{naive_setting} / {setting}]", family_refs, noise,
                              naive_ndcg, test_ndcg(model, test))
            rows.append((name, figures))
    return rows


# ---------------------------------------------------------------- main
def summarise(results: list[tuple[str, dict[str, float]]]) -> None:
    """Mean figures per family over every dataset, seed and click setting; goal check."""
    print("\nSummary (mean over datasets x seeds x click settings)")
    for name in dict.fromkeys(n for n, _ in results):
        rows = [r for n, r in results if n == name]
        a, u, b, c = (float(np.mean([r[k] for r in rows]))
                      for k in ("ceiling", "unbiased", "naive", "corrected"))
        recovered = _recovered(a, b, c)
        significant = sum(1 for r in rows if r["p_t"] < 0.05 and r["corrected"] > r["naive"])
        if name in ("lightgbm", "xgboost"):
            goal = f"goal recovered >= {GOAL_RECOVERED}: " + (
                "met" if recovered >= GOAL_RECOVERED else "NOT met")
        else:
            goal = "goal corrected > naive: " + ("met" if c > b else "NOT met")
        print(f"  {name:<11} ceiling {a:.4f}  unbiased-clicks {u:.4f}  naive {b:.4f}  "
              f"corrected {c:.4f}  recovered {_show(recovered)} of the gap to the ceiling, "
              f"{_show(_recovered(u, b, c))} of the gap to unbiased clicks; significant wins "
              f"{significant}/{len(rows)}  ({goal})")


def floats(text: str) -> tuple[float, ...]:
    """``"0,0.5,1"`` -> ``(0.0, 0.5, 1.0)``."""
    return tuple(float(v) for v in text.split(","))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--datasets", type=lambda s: s.split(","), default=["synthetic", "mq2008"],
        help="comma list of synthetic, mq2008 (default both)")
    add("--mq2008", default=str(DEFAULT_MQ2008), help="MQ2008 root (Fold1..Fold5)")
    add("--fold", type=int, default=1)
    add("--families", type=lambda s: s.split(","), default=["lightgbm", "xgboost", "neural"])
    add("--seeds", type=int, default=1, help="seeds per setting (logging ranker, clicks, "
                                            "models); each adds about 7 minutes")
    add("--etas", type=lambda s: [float(v) for v in s.split(",")], default=[0.5, 1.0, 2.0])
    add("--noises", type=lambda s: [float(v) for v in s.split(",")], default=[0.0, 0.1])
    add("--n-shown", type=int, default=10)
    add("--n-sessions", type=int, default=20, help="impressions simulated per query")
    add("--output", choices=("select", *OUTPUTS), default="select",
        help="click log: one list per session (impressions), click counts summed over the "
             "sessions (counts), or select (default): each booster model picks one of the "
             "two on the validation queries, the neural family uses counts")
    add("--bias-norms", type=floats, default=(0.0, 0.5, 1.0),
        help="XGBoost position_bias_norm values the corrected model picks from on validation")
    add("--bias-regs", type=floats, default=(0.0, 0.1),
        help="LightGBM position_bias_regularization values picked from on validation")
    add("--logging-fraction", type=float, default=0.01)
    add("--logging-rounds", type=int, default=20)
    add("--rounds", type=int, default=100, help="boosting rounds (LightGBM, XGBoost)")
    add("--early-stopping", type=int, default=None,
        help="boosters: stop after this many rounds without gain on the validation queries "
             "(at most --rounds); default: a fixed --rounds")
    add("--epochs", type=int, default=10, help="neural epochs")
    add("--oracle-ipw", action="store_true",
        help="also train the neural ranker with IPW on the true propensities (1/rank)**eta")
    add("--threads", type=int, default=2)
    add("--queries", type=int, default=700,
        help="generated set: queries (60/10/30 % train/validation/test)")
    add("--min-docs", type=int, default=10)
    add("--max-docs", type=int, default=40)
    add("--features", type=int, default=30)
    add("--data-seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = Sizes(args.rounds, args.epochs, args.threads, args.n_shown, args.n_sessions,
                  args.logging_fraction, args.logging_rounds, args.output, args.oracle_ipw,
                  args.bias_norms, args.bias_regs, args.early_stopping)
    started = time.perf_counter()
    results: list[tuple[str, dict[str, float]]] = []
    for name, train, valid, test in load_datasets(args):
        print(f"\n== {name}: train {train.n_queries} queries / {train.n_rows} rows, "
              f"validation {valid.n_queries}, test {test.n_queries} queries", flush=True)
        for seed in range(args.seeds):
            logger = logging_ranker(train, seed, sizes)
            scores = logger.predict(train.X)
            print(f" seed {seed}: logging ranker test NDCG@10 "
                  f"{np.nanmean(test_ndcg(logger, test)):.4f}", flush=True)
            refs = references(train, valid, test, scores, seed, args.families, args.noises,
                              sizes)
            for eta in args.etas:
                for noise in args.noises:
                    results += run_setting(train, valid, test, scores, seed, eta, noise,
                                           refs, sizes)
    if results:
        summarise(results)
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
