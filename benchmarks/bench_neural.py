"""Neural rankers: quality on MQ2008 beside LightGBM, and training-step speed beside allRank.

Part 1 (``--mq2008 ROOT``, default ../shared/data/MQ2008): five folds, NDCG@1/3/5/10 under
the LETOR 4.0 convention on each fold's test set for `neural.RankNet` and `neural.ListNet`
with default hyperparameters (early stopping on the fold's validation set), and for raw
``lightgbm.LGBMRanker`` (lambdarank defaults, early stopping on the same validation set),
all in the same run.

Part 2: a generated MSLR-shaped set (``boostrank.data.make_ranking``: 2,000 queries of 20-250
documents, 136 features). The same length-bucketed batches (32 queries each) and the same
MLP (the estimators' default) are trained for one epoch per loss with our losses and with
allRank 1.4.3's loss functions (``pip install --no-deps allRank==1.4.3``; skipped with a
message when it does not import); printed: seconds per epoch, documents per second and the
allRank/ours ratio. A loss-only step (64 lists x 240 documents, forward + backward) is timed
too. ``--device cuda`` runs part 2 on a GPU.

Usage: ``python benchmarks/bench_neural.py [--skip-mq2008] [--skip-speed] [--device cpu]
[--threads 1] [--epochs 2] [--queries 2000]``
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import statistics
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import neural  # noqa: E402
from boostrank.data import load_letor_fold, make_ranking  # noqa: E402
from boostrank.metrics import evaluate  # noqa: E402
from neural.batching import ListBatcher  # noqa: E402
from neural.losses import (  # noqa: E402
    approxndcg_loss,
    get_loss,
    lambdarank_loss,
    listmle_loss,
    listnet_loss,
    ranknet_loss,
)
from neural.preprocessing import FeaturePreprocessor  # noqa: E402
from neural.scorer import MLPScorer  # noqa: E402

METRICS = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"]


# ----------------------------------------------------------------------------- allRank
def import_allrank_losses():
    """allRank's loss module, with stub modules for its unused torchvision/gcsfs/attrs imports.

    Returns None (and prints why) when allRank is not installed or does not import.
    """
    def missing(name: str) -> bool:
        if name in sys.modules:
            return False
        try:
            return importlib.util.find_spec(name) is None
        except (ValueError, ModuleNotFoundError):
            return True

    if missing("allrank"):
        print("allRank not installed: pip install --no-deps allRank==1.4.3 "
              "(and 'setuptools<70' for pkg_resources); skipping the allRank columns")
        return None
    if missing("torchvision"):
        tv, tr = types.ModuleType("torchvision"), types.ModuleType("torchvision.transforms")
        tr.Compose = object
        tv.transforms = tr
        sys.modules.update({"torchvision": tv, "torchvision.transforms": tr})
    if missing("gcsfs"):
        sys.modules["gcsfs"] = types.ModuleType("gcsfs")
    if missing("attr"):
        attr = types.ModuleType("attr")
        attr.attrs = lambda cls=None, **kw: cls if cls is not None else (lambda c: c)
        attr.attrib = lambda *a, **kw: None
        sys.modules["attr"] = attr
    try:
        import allrank.models.losses as losses
    except Exception as exc:  # noqa: BLE001 - report any import failure and go on
        print(f"allRank does not import ({type(exc).__name__}: {exc}); skipping its columns")
        return None
    return losses


def allrank_losses(mod):
    """Our loss name -> allRank callable(y_pred, y_true) with padding marked by y_true == -1."""
    return {
        "ranknet": mod.rankNet,
        "lambdarank": lambda p, t: mod.lambdaLoss(p, t, weighing_scheme="lambdaRank_scheme"),
        "listnet": mod.listNet,
        "listmle": mod.listMLE,
        "approxndcg": mod.approxNDCGLoss,
    }


# ----------------------------------------------------------------------------- part 1
def bench_mq2008(root: Path) -> None:
    import lightgbm as lgb

    print(f"\n== MQ2008, five folds, test NDCG (LETOR 4.0 convention), root {root}")
    results: dict[str, list[list[float]]] = {"LightGBM": [], "RankNet": [], "ListNet": []}
    seconds = dict.fromkeys(results, 0.0)
    for fold in range(1, 6):
        train, valid, test = load_letor_fold(root, fold=fold)
        started = time.perf_counter()
        ranker = lgb.LGBMRanker(objective="lambdarank", n_estimators=1000, random_state=0,
                                verbose=-1)
        ranker.fit(train.X, train.y, group=train.group_sizes,
                   eval_X=(valid.X,), eval_y=(valid.y,), eval_group=[valid.group_sizes],
                   eval_at=[10], callbacks=[lgb.early_stopping(50, verbose=False)])
        pred = ranker.predict(test.X)
        seconds["LightGBM"] += time.perf_counter() - started
        r = evaluate(test.y, pred, test.qid, metrics=METRICS, convention="letor")
        results["LightGBM"].append([r[m] for m in METRICS])
        for cls in (neural.RankNet, neural.ListNet):
            started = time.perf_counter()
            model = cls(random_state=0).fit(train, eval_set=valid)
            pred = model.predict(test.X)
            seconds[cls.__name__] += time.perf_counter() - started
            r = evaluate(test.y, pred, test.qid, metrics=METRICS, convention="letor")
            results[cls.__name__].append([r[m] for m in METRICS])
        print(f"  fold {fold}: " + "  ".join(
            f"{name} {vals[-1][3]:.4f}" for name, vals in results.items()))
    print(f"{'model':<10}" + "".join(f"{m:>10}" for m in METRICS) + f"{'seconds':>10}")
    means = {}
    for name, vals in results.items():
        means[name] = np.mean(vals, axis=0)
        print(f"{name:<10}" + "".join(f"{v:>10.4f}" for v in means[name])
              + f"{seconds[name]:>10.1f}")
    for name in ("RankNet", "ListNet"):
        ratio = means[name][3] / means["LightGBM"][3]
        goal = "meets" if means[name][3] >= 0.225 else "MISSES"
        print(f"{name}: NDCG@10 {means[name][3]:.4f} vs LightGBM {means['LightGBM'][3]:.4f} "
              f"(ratio {ratio:.3f}); {goal} the 0.225 goal")


# ----------------------------------------------------------------------------- part 2
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _fixed_batches(batcher: ListBatcher, seed: int) -> list:
    return list(batcher.epoch(np.random.default_rng(seed)))


def _train_epoch(batches, X, loss_fn, n_features, device, seed, allrank: bool) -> float:
    torch.manual_seed(seed)
    model = MLPScorer(n_features, (256, 128), "elu", 0.2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    _sync(device)
    started = time.perf_counter()
    for batch in batches:
        scores = batch.pad(model(X[batch.rows]))
        if allrank:
            loss = loss_fn(scores, batch.labels.masked_fill(~batch.mask, -1.0))
        else:
            loss = loss_fn(scores, batch.labels, batch.mask, batch.weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    return time.perf_counter() - started


def _loss_step_ms(fn, scores, labels, mask, device, allrank: bool, repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):
        s = scores.detach().clone().requires_grad_(True)
        _sync(device)
        started = time.perf_counter()
        if allrank:
            out = fn(s, labels.masked_fill(~mask, -1.0))
        else:
            out = fn(s, labels, mask)
        out.backward()
        _sync(device)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times[1:])


def bench_speed(args) -> None:
    device = torch.device(args.device)
    print(f"\n== Training-step speed on a generated MSLR-shaped set ({args.queries} queries of "
          f"20-250 documents, 136 features), device {device}, torch threads "
          f"{torch.get_num_threads()}")
    data = make_ranking(args.queries, (20, 250), 136, seed=0)
    Z = FeaturePreprocessor("standard").fit_transform(data.X)
    X = torch.from_numpy(Z).to(device)
    y = torch.as_tensor(data.y, dtype=torch.float32, device=device)
    mod = import_allrank_losses()
    theirs = allrank_losses(mod) if mod is not None else {}
    names = ["ranknet", "lambdarank", "listnet", "listmle", "approxndcg"]
    params = {"listmle": {"ties": "random",
                          "generator": torch.Generator(device=device).manual_seed(0)}}
    header = (f"{'loss':<11}{'ours s/epoch':>13}{'ours docs/s':>13}{'allRank s/epoch':>17}"
              f"{'allRank docs/s':>16}{'allRank/ours':>14}")
    print(header)
    rows = {}
    for name in names:
        pairwise = name in ("ranknet", "lambdarank", "approxndcg")
        batcher = ListBatcher(X, y, data.group_offsets, batch_size=32,
                              max_elements=(1 << 24) if pairwise else None,
                              element_power=2 if pairwise else 1)
        batches = _fixed_batches(batcher, seed=0)
        loss = get_loss(name, **params.get(name, {}))
        ours_times, their_times = [], []
        for _ in range(args.epochs):  # alternate the two, keep each one's fastest epoch
            ours_times.append(_train_epoch(batches, X, loss, data.n_features, device, 0,
                                           False))
            if name in theirs:
                their_times.append(_train_epoch(batches, X, theirs[name], data.n_features,
                                                device, 0, True))
        ours = min(ours_times)
        line = f"{name:<11}{ours:>13.3f}{data.n_rows / ours:>13,.0f}"
        if their_times:
            other = min(their_times)
            line += f"{other:>17.3f}{data.n_rows / other:>16,.0f}{other / ours:>13.2f}x"
            rows[name] = (ours, other)
        print(line, flush=True)
    if rows:
        print("(an epoch = MLP forward/backward + loss + Adam on every batch; the MLP part is "
              "identical for both, so it bounds these ratios)")
    print("\nLoss only, forward + backward, 64 lists x 240 documents (median ms):")
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(64, 240, generator=gen).to(device)
    labels = torch.randint(0, 5, (64, 240), generator=gen).float().to(device)
    mask = torch.ones(64, 240, dtype=torch.bool, device=device)
    mask[::2, 200:] = False
    print(f"{'loss':<11}{'ours ms':>10}{'allRank ms':>12}{'allRank/ours':>14}")
    loss_ratio = {}
    functional = {"ranknet": ranknet_loss, "lambdarank": lambdarank_loss,
                  "listnet": listnet_loss, "listmle": listmle_loss,
                  "approxndcg": approxndcg_loss}
    for name in names:
        ours = _loss_step_ms(functools.partial(functional[name], **params.get(name, {})),
                             scores, labels, mask, device, False, args.repeats)
        line = f"{name:<11}{ours:>10.2f}"
        if name in theirs:
            other = _loss_step_ms(theirs[name], scores, labels, mask, device, True,
                                  max(2, args.repeats // 4))
            line += f"{other:>12.2f}{other / ours:>13.1f}x"
            loss_ratio[name] = other / ours
        print(line, flush=True)
    for name, label, goal in (("ranknet", "RankNet", 5.0), ("listnet", "ListNet", 1.0)):
        if name not in loss_ratio:
            continue
        step = loss_ratio[name]
        epoch = rows[name][1] / rows[name][0] if name in rows else float("nan")
        verdict = "met" if step >= goal * 0.95 else "MISSED"
        print(f"{label}: loss+backward step {step:.1f}x allRank's speed, whole training epoch "
              f"{epoch:.2f}x (goal {goal:g}x on the step: {verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mq2008", type=Path, default=REPO.parent / "shared" / "data" / "MQ2008")
    parser.add_argument("--skip-mq2008", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:n] for the speed part")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (same for ours and allRank; default 1)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs timed per loss, alternating ours and allRank's "
                             "(the fastest of each is reported)")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("--device cuda requested but CUDA is not available here", file=sys.stderr)
        return 2
    if not args.skip_mq2008:
        if (args.mq2008 / "Fold1" / "train.txt").is_file():
            bench_mq2008(args.mq2008)
        else:
            print(f"MQ2008 not found at {args.mq2008}; skipping part 1")
    if not args.skip_speed:
        bench_speed(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
