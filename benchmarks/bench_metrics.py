"""Speed of the common evaluator against pytrec_eval and ranx (issue 3).

1,000,000 rows in 10,000 queries of 1 to 500 documents, labels 0..4, scores distinct in
float32; metrics ndcg@1,3,5,10, map, mrr. Prints, from one run:

- pytrec_eval end to end: building its dict inputs plus evaluating;
- ranx warm: evaluating prebuilt Qrels/Run after a first (JIT-compiling) call;
- ours end to end (``evaluate``, from arrays) and with a prebuilt ``Evaluator``;

the ratios, and a check that the values agree under the matching (``trec``) convention.

Run: ``python benchmarks/bench_metrics.py [--rows N] [--queries Q] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from boostrank.metrics import Evaluator, evaluate

METRICS = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "map", "mrr"]
TREC_MEASURES = {"ndcg_cut.1,3,5,10", "map", "recip_rank"}
TREC_KEYS = {"ndcg@1": "ndcg_cut_1", "ndcg@3": "ndcg_cut_3", "ndcg@5": "ndcg_cut_5",
             "ndcg@10": "ndcg_cut_10", "map": "map", "mrr": "recip_rank"}


def make_data(n_rows: int, n_queries: int, seed: int = 0):
    """Labels, scores and qids (n_rows,) with query sizes in [1, 500] summing to n_rows."""
    rng = np.random.default_rng(seed)
    mean = n_rows / n_queries
    sizes = np.clip(np.round(rng.exponential(mean, n_queries)), 1, 500).astype(np.int64)
    sizes[0], sizes[1] = 1, 500
    while sizes.sum() != n_rows:  # nudge random queries until the total is exact
        diff = n_rows - int(sizes.sum())
        idx = rng.integers(2, n_queries, size=min(abs(diff), n_queries))
        step = np.sign(diff)
        sizes[idx] = np.clip(sizes[idx] + step, 1, 500)
    qid = np.repeat(np.arange(n_queries, dtype=np.int64), sizes)
    y = rng.choice(5, size=n_rows, p=[0.55, 0.25, 0.12, 0.05, 0.03]).astype(np.float64)
    noisy = y + rng.normal(0.0, 1.5, n_rows)  # informative but imperfect scores
    scores = np.empty(n_rows)
    scores[np.argsort(noisy)] = np.arange(n_rows) / n_rows  # distinct, even in float32
    return y, scores, qid, sizes


def best_of(repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def time_ours(y, scores, qid, repeat: int):
    """Print and return ``(seconds end to end, (means, per_query))`` of our evaluator."""
    t_ours, ours = best_of(repeat, lambda: evaluate(
        y, scores, qid, METRICS, convention="trec", per_query=True))
    evaluator = Evaluator(y, qid, METRICS, convention="trec")
    t_eval, _ = best_of(repeat, lambda: evaluator(scores))
    t_default, _ = best_of(repeat, lambda: evaluate(y, scores, qid, METRICS))
    print(f"ours  evaluate() end to end        {t_ours:8.3f} s")
    print(f"ours  prebuilt Evaluator call       {t_eval:8.3f} s")
    print(f"ours  evaluate(), default convention {t_default:7.3f} s")
    return t_ours, ours


def time_pytrec(y, scores, qid, docs, repeat: int, t_ours: float):
    """Print the time of pytrec_eval (building its dicts + evaluating); return its output."""
    import pytrec_eval

    qids = qid.astype(str).tolist()
    labels = y.astype(int).tolist()
    score_list = scores.tolist()

    def run_trec():
        qrels: dict = {}
        run: dict = {}
        for q, d, label, s in zip(qids, docs, labels, score_list, strict=True):
            qrels.setdefault(q, {})[d] = label
            run.setdefault(q, {})[d] = s
        return pytrec_eval.RelevanceEvaluator(qrels, TREC_MEASURES).evaluate(run)

    t_trec, trec = best_of(repeat, run_trec)
    print(f"pytrec_eval  build + evaluate        {t_trec:8.3f} s   ratio {t_trec / t_ours:6.1f}x")
    return trec


def time_ranx(y, scores, qid, docs, repeat: int, t_ours: float):
    """Print the warm time of ranx; return its means (None when ranx is not installed)."""
    try:
        import pandas as pd
        from ranx import Qrels, Run
        from ranx import evaluate as ranx_evaluate
    except ImportError:  # pragma: no cover
        print("ranx not installed")
        return None
    q_col = pd.Series(qid.astype(str).tolist(), dtype=object)
    d_col = pd.Series(docs, dtype=object)
    frame = pd.DataFrame({"q_id": q_col, "doc_id": d_col, "score": y.astype(int)})
    qrels_r = Qrels.from_df(frame, q_id_col="q_id", doc_id_col="doc_id", score_col="score")
    run_r = Run.from_df(pd.DataFrame({"q_id": q_col, "doc_id": d_col, "score": scores}),
                        q_id_col="q_id", doc_id_col="doc_id", score_col="score")
    t0 = time.perf_counter()
    ranx_evaluate(qrels_r, run_r, METRICS, make_comparable=True)
    t_first = time.perf_counter() - t0
    t_ranx, ranx_scores = best_of(repeat, lambda: ranx_evaluate(
        qrels_r, run_r, METRICS, make_comparable=True))
    print(f"ranx  warm (first call {t_first:.1f} s)     {t_ranx:8.3f} s   "
          f"ratio {t_ranx / t_ours:6.1f}x")
    return ranx_scores


def print_agreement(qid, ours, trec, ranx_scores) -> None:
    """Largest per-query difference to pytrec_eval, and the means next to ranx's."""
    means, per_query = ours
    worst = 0.0
    for name in METRICS:
        expected = np.array([trec[str(q)][TREC_KEYS[name]] for q in np.unique(qid)])
        worst = max(worst, float(np.max(np.abs(per_query[name] - expected))))
        if ranx_scores is not None:
            print(f"  {name:8s} ours {means[name]:.12f}  pytrec {expected.mean():.12f}  "
                  f"ranx {ranx_scores[name]:.12f}  "
                  f"|ours-ranx| {abs(ranx_scores[name] - means[name]):.1e}")
    print(f"max per-query |ours - pytrec_eval| = {worst:.2e}  "
          f"({'identical' if worst < 1e-9 else 'DIFFERENT'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of R timings (default 3)")
    args = parser.parse_args()
    y, scores, qid, sizes = make_data(args.rows, args.queries)
    assert np.unique(scores.astype(np.float32)).size == scores.size, "scores tie in float32"
    print(f"{args.rows} rows, {args.queries} queries (sizes {sizes.min()}..{sizes.max()}), "
          f"metrics {','.join(METRICS)}; best of {args.repeat}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    t_ours, ours = time_ours(y, scores, qid, args.repeat)
    docs = np.char.add("d", np.arange(args.rows).astype(str)).tolist()
    trec = time_pytrec(y, scores, qid, docs, args.repeat, t_ours)
    ranx_scores = time_ranx(y, scores, qid, docs, args.repeat, t_ours)
    print_agreement(qid, ours, trec, ranx_scores)


if __name__ == "__main__":
    main()
