"""Serving speed of exported models: onnxruntime on the exported ONNX graph against the
model's own ``predict``, in rows per second, at batch sizes 1, 100 and 100,000.

Models: a LightGBM LambdaMART of ``--trees`` trees (default 500, no early stopping) and a
RankNet (default MLP, standard preprocessing), both trained on generated data
(``boostrank.data.make_ranking``, 136 features). For each model and batch size it prints
predict's rows/s, onnxruntime's rows/s and their ratio (onnxruntime / predict), measured in
the same run: each figure is the best of ``--repeats`` timings of as many calls as fit in
about ``--budget`` seconds. Both sides use one thread (``--threads``).

Usage: ``python benchmarks/bench_export.py [--trees 500] [--threads 1] [--repeats 3]
[--budget 0.5] [--max-batch 100000]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from boostrank.boosters import LightGBMLambdaMART  # noqa: E402
from boostrank.data import make_ranking  # noqa: E402
from boostrank.export import export_model  # noqa: E402


def rows_per_second(function, X: np.ndarray, repeats: int, budget: float) -> float:
    """Best rows/s over ``repeats`` timings, each of enough calls to fill ``budget`` s."""
    start = time.perf_counter()
    function(X)
    single = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(budget / single))
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function(X)
        elapsed = time.perf_counter() - start
        best = max(best, calls * X.shape[0] / elapsed)
    return best


def compare(name: str, model, X: np.ndarray, args: argparse.Namespace) -> None:
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as folder:
        path = export_model(model, Path(folder) / "model.onnx", "onnx").path
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    X32 = X.astype(np.float32)
    X64 = X.astype(np.float64)
    check = session.run(["score"], {"input": X32[:1000]})[0]
    gap = float(np.max(np.abs(check - model.predict(X64[:1000]))))
    print(f"\n{name}: max |onnxruntime - predict| on 1000 rows = {gap:.2e}")
    print(f"{'batch':>8}  {'predict rows/s':>15}  {'onnxruntime rows/s':>19}  {'ratio':>7}")
    for batch in (1, 100, args.max_batch):
        rows = min(batch, X.shape[0])
        ours = rows_per_second(model.predict, X64[:rows], args.repeats, args.budget)
        theirs = rows_per_second(lambda A: session.run(["score"], {"input": A}),
                                 X32[:rows], args.repeats, args.budget)
        print(f"{rows:>8}  {ours:>15,.0f}  {theirs:>19,.0f}  {theirs / ours:>7.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget", type=float, default=0.5)
    parser.add_argument("--max-batch", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000, help="training queries")
    parser.add_argument("--epochs", type=int, default=5, help="RankNet epochs")
    args = parser.parse_args(argv)

    train = make_ranking(args.queries, 40, 136, random_state=0)
    n_rows = max(args.max_batch, 1000)
    test = make_ranking(n_rows // 40 + 1, 40, 136, random_state=1)
    X = np.asarray(test.X)[:n_rows]
    print(f"training data: {train.n_rows} rows x {train.n_features} features; "
          f"scoring rows: {X.shape[0]}; threads: {args.threads}")

    lgbm = LightGBMLambdaMART(n_estimators=args.trees, early_stopping_rounds=None,
                              random_state=0, n_jobs=args.threads).fit(train)
    compare(f"LightGBM LambdaMART, {lgbm.best_iteration_} trees", lgbm, X, args)

    import neural

    ranknet = neural.RankNet(n_epochs=args.epochs, device="cpu", random_state=0,
                             n_jobs=args.threads).fit(train)
    compare("RankNet (256, 128), standard preprocessing", ranknet, X, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
