"""Speed and memory of LibSVM ingestion against scikit-learn (issue 2).

Generates an MSLR-WEB-shaped LETOR file (136 features, labels 0..4, about 120 documents per
query, integer counts and 6-decimal ratios like the real files; about 200 MB by default) and
prints, from one run:

- scikit-learn ``load_svmlight_file(query_id=True)`` time, ours (float64) and the ratio
  (goal >= 20x), plus a check that the float64 values, labels and qids are identical;
- ours with the default float32 X;
- the peak memory of our parse against the bytes of the arrays it returns (goal <= 2.5x),
  measured with tracemalloc and as the growth of a child process' peak RSS;
- reloading the binary cache (``RankingData.save``/``load``) against our text parse (goal >=
  10x), both memory-mapped and read fully into memory.

Run: ``python benchmarks/bench_ingest.py [--size-mb 200] [--skip-sklearn] [--keep FILE]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from boostrank.data.libsvm import CHUNK_BYTES, load_libsvm, native_available
from boostrank.data.libsvm_native import n_parts
from boostrank.data.ranking_data import RankingData

N_FEATURES = 136


def make_pool(rng: np.random.Generator, n_rows: int) -> list[str]:
    """Feature text of ``n_rows`` distinct documents, shaped like MSLR-WEB rows."""
    kinds = rng.integers(0, 3, size=N_FEATURES)  # 0: small count, 1: ratio, 2: large value
    cols = []
    for kind in kinds:
        if kind == 0:
            col = rng.poisson(3.0, size=n_rows).astype(np.float64)
        elif kind == 1:
            col = np.round(rng.random(n_rows), 6)
        else:
            col = np.round(rng.lognormal(6, 2, size=n_rows), int(rng.integers(0, 7)))
        col[rng.random(n_rows) < 0.3] = 0.0
        cols.append(col)
    values = np.stack(cols, axis=1)
    pool = []
    for row in values.tolist():
        parts = []
        for j, v in enumerate(row, 1):
            text = repr(v)
            parts.append(f"{j}:{text[:-2] if text.endswith('.0') else text}")
        pool.append(" ".join(parts))
    return pool


def generate(path: Path, size_mb: float, random_state: int = 0) -> None:
    """Write about ``size_mb`` MB of LETOR text to ``path``."""
    rng = np.random.default_rng(random_state)
    pool = make_pool(rng, 3000)
    target = int(size_mb * 1e6)
    written, qid = 0, 0
    with open(path, "w") as out:
        while written < target:
            lines = []
            for _ in range(50):
                qid += 1
                n_docs = int(rng.integers(20, 220))
                labels = rng.choice(5, size=n_docs, p=[0.5, 0.3, 0.13, 0.05, 0.02])
                rows = rng.integers(0, len(pool), size=n_docs)
                pairs = zip(labels.tolist(), rows.tolist(), strict=True)
                lines.extend(f"{lab} qid:{qid} {pool[r]}\n" for lab, r in pairs)
            block = "".join(lines)
            out.write(block)
            written += len(block)


def array_bytes(data: RankingData) -> int:
    """Bytes of the arrays a load returns (X, y, qid, group_offsets, source_row)."""
    X = data.X
    total = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if data.is_sparse else X.nbytes
    for name in ("y", "qid", "group_offsets", "source_row"):
        value = getattr(data, name)
        total += 0 if value is None else value.nbytes
    return int(total)


def timed(fn, repeat: int = 1):
    """Best wall time, best CPU time (all threads of this process) and the last result."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return best, best_cpu, out


CHILD = """
import resource, sys, numpy as np
from boostrank.data.libsvm import load_libsvm

def status_kb(key):
    # Linux /proc/self/status entry in kB: VmHWM (the peak resident set, which clear_refs
    # can reset) or VmRSS (the current one); the peak from getrusage elsewhere
    try:
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak to the current resident set
except OSError:
    pass
before = status_kb("VmRSS")
data = load_libsvm(sys.argv[1], dtype=np.float64)
print((status_kb("VmHWM") - before) * 1024)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=200.0, help="file size (default 200)")
    parser.add_argument("--skip-sklearn", action="store_true", help="do not time scikit-learn")
    parser.add_argument("--keep", metavar="FILE", help="generate into (or reuse) this file")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(tmp.name) / "mslr_like.txt"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.size_mb)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
    size_mb = path.stat().st_size / 1e6
    engine = "C extension" if native_available() else "pure Python (extension not built)"
    print(f"file: {size_mb:.0f} MB, {N_FEATURES} features; our parser: {engine}")

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs; parser threads: "
          f"{n_parts(CHUNK_BYTES)} (wall times suffer on a busy machine; CPU "
          "times are the work done)")
    print("ours: best of 5 runs (the file in the page cache); scikit-learn: one run")
    ours_t, ours_cpu, ours = timed(lambda: load_libsvm(path, dtype=np.float64), repeat=5)
    print(f"ours float64:           {ours_t:8.2f} s wall ({size_mb / ours_t:7.1f} MB/s), "
          f"{ours_cpu:6.2f} s CPU  "
          f"{ours.n_rows} rows, {ours.n_queries} queries, X {ours.X.dtype} "
          f"{'CSR' if ours.is_sparse else 'dense'}")
    ours32_t, ours32_cpu, ours32 = timed(lambda: load_libsvm(path), repeat=5)
    print(f"ours float32 (default): {ours32_t:8.2f} s wall ({size_mb / ours32_t:7.1f} MB/s), "
          f"{ours32_cpu:6.2f} s CPU")
    del ours32

    if not args.skip_sklearn:
        from sklearn.datasets import load_svmlight_file

        sk_t, sk_cpu, (X_ref, y_ref, q_ref) = timed(
            lambda: load_svmlight_file(str(path), query_id=True, dtype=np.float64))
        print(f"scikit-learn:           {sk_t:8.2f} s wall ({size_mb / sk_t:7.1f} MB/s), "
              f"{sk_cpu:6.2f} s CPU")
        print(f"ratio sklearn / ours:   {sk_t / ours_t:8.1f}x wall, {sk_cpu / ours_cpu:.1f}x CPU "
              "(goal >= 20x)")
        X_ours = ours.X.toarray() if ours.is_sparse else ours.X
        same = (X_ref.shape == X_ours.shape and np.array_equal(X_ref.toarray(), X_ours)
                and np.array_equal(y_ref, ours.y) and np.array_equal(q_ref, ours.qid))
        print(f"identical float64 values, labels, qids: {same}")
        del X_ref, y_ref, q_ref, X_ours

    returned = array_bytes(ours)
    del ours
    tracemalloc.start()
    data = load_libsvm(path, dtype=np.float64)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"returned arrays:        {returned / 1e6:8.1f} MB")
    print(f"peak traced (tracemalloc): {peak / 1e6:8.1f} MB = {peak / returned:.2f}x "
          "the returned arrays (goal <= 2.5x)")
    rss = int(subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                             capture_output=True, text=True).stdout.strip())
    print(f"peak RSS growth of a child process: {rss / 1e6:8.1f} MB = {rss / returned:.2f}x")

    with tempfile.TemporaryDirectory() as cache_dir:
        cache = data.save(Path(cache_dir) / "cache")
        del data
        mmap_t, _, _ = timed(lambda: RankingData.load(cache), repeat=3)
        full_t, _, _ = timed(lambda: RankingData.load(cache, mmap=False), repeat=3)
        print(f"cache reload, memory-mapped:  {mmap_t * 1e3:8.2f} ms = "
              f"{ours_t / mmap_t:9.0f}x faster than our text parse (goal >= 10x)")
        print(f"cache reload, read in full:   {full_t * 1e3:8.2f} ms = "
              f"{ours_t / full_t:9.1f}x faster than our text parse")
    if os.environ.get("BENCH_KEEP_TMP"):
        print(f"kept {tmp.name}")
    else:
        tmp.cleanup()


if __name__ == "__main__":
    main()
