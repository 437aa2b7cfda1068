"""Neural rankers: quality beside LightGBM, training-step speed beside allRank 1.4.3.

Part 1, quality (``--dataset``, default ``mq2008``): test NDCG@1/3/5/10 of the neural
models named by ``--models`` (classes of `neural`, default ``RankNet,ListNet``; e.g.
``AttentionNeuralNDCG,AttentionListNet,AttentionLambdaLoss``) and of raw
``lightgbm.LGBMRanker`` (lambdarank defaults, early stopping on the validation set) and of
LightGBM as ``boostrank compare`` fits it (``LightGBM-compare``), all in the same run, with
each neural model's gap to both. Datasets: ``mq2008`` (five
folds of ``--mq2008 ROOT``, LETOR 4.0 convention), ``sample`` (``data/sample``, default
convention), ``generated`` (``boostrank.data.make_ranking`` with ``--generated-queries``
queries of 20-120 documents, 136 features, split 60/20/20 by query). ``--preprocessing``
and ``--input-noise`` are passed to every neural model, and so are the parameters of
``--params`` (JSON, e.g. ``'{"dropout": 0.1, "weight_decay": 0.0001}'``, or
``'{"ensemble_size": 5}'`` for a seed ensemble, `neural.ensemble`); every model's
validation NDCG@10 is printed next to its test figure, so that a choice among runs is made on
validation.

Part 2, training epochs and loss steps of the five original losses (``make_ranking``, 2,000
queries of 20-250 documents; 64 lists x 240 documents for the loss-only step), ours and
allRank's on the same batches.

Part 3, loss steps (forward + backward) on 64 lists x 120 documents (half of the lists with
100 real documents) for NeuralNDCG (standard, transposed, and stochastic with allRank's 32
Gumbel samples), every LambdaLoss weighing scheme and the multi-output ordinal loss (no speed
goal: a check of the values), against allRank's ``neuralNDCG`` / ``lambdaLoss`` / ``ordinal``
on identical tensors, with the loss values side by side. Goals: NeuralNDCG at least 3x
faster, every LambdaLoss scheme at least as fast.

Part 4, the attention scorer's forward + backward (64 lists x 120 documents x 136 features,
d_model 64, 2 layers, 4 heads, d_ff 128, dropout 0.1) against allRank's context-aware
transformer of the same size (FCModel projection + ``make_transformer`` + OutputLayer).
Goal: no slower.

allRank is not a dependency: install it in the benchmark's own environment with
``python -m venv /path/benchenv && /path/benchenv/bin/pip install torch numpy && /path/benchenv
/bin/pip install allRank==1.4.3 --no-deps`` (then run this script with that Python, with the
repository's requirements, or pass ``--allrank-path /path/benchenv/lib/python3.X/site-packages``).
Its unused imports (torchvision, gcsfs, attrs, pkg_resources) are stubbed through
``sys.modules`` before ``allrank.models`` is imported; when it still does not import, the
allRank columns are skipped with a message saying why. ``--device cuda`` runs parts 2-4 on a
GPU.

Usage: ``python benchmarks/bench_neural.py [--skip-quality] [--dataset mq2008|sample|generated]
[--models RankNet,ListNet] [--skip-speed] [--skip-loss-steps] [--skip-attention]
[--device cpu] [--threads 1] [--epochs 2] [--queries 2000] [--repeats 20]
[--step-repeats 10]``
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import json
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
from neural.attention import AttentionScorer  # noqa: E402
from neural.batching import ListBatcher  # noqa: E402
from neural.losses import (  # noqa: E402
    LOSS_FUNCTIONS,
    WEIGHING_SCHEMES,
    get_loss,
    lambdaloss_loss,
    neuralndcg_loss,
    ordinal_loss,
)
from neural.preprocessing import FeaturePreprocessor  # noqa: E402
from neural.scorer import MLPScorer  # noqa: E402

METRICS = ["ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10"]


# ----------------------------------------------------------------------------- allRank
def import_allrank(module: str = "allrank.models.losses"):
    """An allRank module, with stubs for its unused torchvision/gcsfs/attrs/pkg_resources
    imports.

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
        attr.asdict = lambda obj, **kw: dict(vars(obj))
        sys.modules["attr"] = attr
    if missing("pkg_resources"):  # removed from recent setuptools; allRank only imports it
        pkg = types.ModuleType("pkg_resources")
        pkg.Requirement = type("Requirement", (), {"parse": staticmethod(lambda spec: spec)})
        pkg.resource_filename = lambda *a, **kw: ""
        sys.modules["pkg_resources"] = pkg
    try:
        return importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - report any import failure and go on
        print(f"allRank does not import ({type(exc).__name__}: {exc}); skipping its columns")
        return None


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
def quality_splits(args):
    """``(label, convention, [(train, valid, test), ...])`` of ``args.dataset``."""
    if args.dataset == "mq2008":
        if not (args.mq2008 / "Fold1" / "train.txt").is_file():
            return None
        folds = [load_letor_fold(args.mq2008, fold=f) for f in range(1, 6)]
        return f"MQ2008, five folds, root {args.mq2008}", "letor", folds
    if args.dataset == "sample":
        root = REPO / "data" / "sample"
        if not (root / "train.txt").is_file():
            return None
        return f"data/sample ({root})", "default", [load_letor_fold(root)]
    data = make_ranking(args.generated_queries, (20, 120), 136, random_state=0)
    n = data.n_queries
    cut1, cut2 = int(0.6 * n), int(0.8 * n)
    split = (data.queries(slice(0, cut1)), data.queries(slice(cut1, cut2)),
             data.queries(slice(cut2, n)))
    return f"generated, {n} queries (make_ranking)", "default", [split]


def _lightgbm_model(train, valid, threads: int = 1):
    import lightgbm as lgb

    ranker = lgb.LGBMRanker(objective="lambdarank", n_estimators=1000, random_state=0,
                            n_jobs=threads, verbose=-1)
    ranker.fit(train.X, train.y, group=train.group_sizes,
               eval_X=(valid.X,), eval_y=(valid.y,), eval_group=[valid.group_sizes], eval_at=[10],
               callbacks=[lgb.early_stopping(50, verbose=False)])
    return ranker


def _compare_lightgbm_model(train, valid, threads: int = 1):
    """LightGBM as ``boostrank compare`` fits it (`boostrank.registry` ``lightgbm`` with its
    defaults, early stopping on the validation split): the reference of the issue's goals."""
    from boostrank.registry import get_model_class

    return get_model_class("lightgbm")(random_state=0, n_jobs=threads).fit(
        train, eval_set=valid)


def _predict(model, part) -> np.ndarray:
    if hasattr(model, "booster_"):  # lightgbm's LGBMRanker
        return model.predict(part.X)
    return model.predict(part.X, qid=part.qid)


def _json_object(text: str) -> dict:
    """``--params``: parsed once, before anything runs (argparse reports a bad value)."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _neural_model(name: str, args, train, valid):
    model = getattr(neural, name)(random_state=0, preprocessing=args.preprocessing,
                                  input_noise=args.input_noise, **args.params)
    model.fit(train, eval_set=valid)
    return model


def bench_quality(args) -> None:
    found = quality_splits(args)
    if found is None:
        print(f"dataset {args.dataset!r} not found; skipping part 1")
        return
    label, convention, folds = found
    peers = {"LightGBM": _lightgbm_model, "LightGBM-compare": _compare_lightgbm_model}
    names = list(peers) + [m.strip() for m in args.models.split(",") if m.strip()]
    print(f"\n== Quality: {label}; test NDCG ({convention} convention)")
    results: dict[str, list[list[float]]] = {name: [] for name in names}
    seconds = dict.fromkeys(names, 0.0)
    for index, (train, valid, test) in enumerate(folds, start=1):
        for name in names:
            started = time.perf_counter()
            model = (peers[name](train, valid, args.threads) if name in peers
                     else _neural_model(name, args, train, valid))
            elapsed = time.perf_counter() - started
            seconds[name] += elapsed
            r = evaluate(test.y, _predict(model, test), test.qid, metrics=METRICS,
                         convention=convention)
            on_valid = evaluate(valid.y, _predict(model, valid), valid.qid,
                                metrics=("ndcg@10",), convention=convention)["ndcg@10"]
            results[name].append([r[m] for m in METRICS])
            print(f"    fold {index} {name}: test NDCG@10 {r['ndcg@10']:.4f}, validation "
                  f"{on_valid:.4f} ({elapsed:.0f} s)", flush=True)
        print(f"  fold {index}: " + "  ".join(
            f"{name} {vals[-1][3]:.4f}" for name, vals in results.items()), flush=True)
    width = max(12, max(len(n) for n in names) + 2)
    print(f"{'model':<{width}}" + "".join(f"{m:>10}" for m in METRICS)
          + f"{'seconds':>10}{'gap %':>8}")
    peer = np.mean(results["LightGBM"], axis=0)[3]
    for name, vals in results.items():
        mean = np.mean(vals, axis=0)
        gap = 100.0 * (peer - mean[3]) / peer if peer else float("nan")
        print(f"{name:<{width}}" + "".join(f"{v:>10.4f}" for v in mean)
              + f"{seconds[name]:>10.1f}{gap:>8.2f}")
    compare_peer = np.mean(results["LightGBM-compare"], axis=0)[3]
    for name in names[len(peers):]:
        mean = np.mean(results[name], axis=0)[3]
        print(f"{name}: {mean:.4f} NDCG@10, {mean - peer:+.4f} against LightGBM ({peer:.4f}), "
              f"{mean - compare_peer:+.4f} against LightGBM-compare ({compare_peer:.4f})")
    print("(gap %: NDCG@10 below LightGBM's, in percent of LightGBM's. LightGBM: LGBMRanker, "
          "1,000 trees, early stopping after 50 rounds; LightGBM-compare: boostrank's lightgbm "
          "model with its defaults, as boostrank compare fits it)")


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


def _loss_step_seconds(fn, scores, labels, mask, device, allrank: bool) -> float:
    s = scores.detach().clone().requires_grad_(True)
    _sync(device)
    started = time.perf_counter()
    out = fn(s, labels.masked_fill(~mask, -1.0)) if allrank else fn(s, labels, mask)
    out.backward()
    _sync(device)
    return time.perf_counter() - started


def alternating_median_ms(steps) -> list[float]:
    """Median ms of each ``(timed_step, repeats)`` of ``steps``: ``timed_step()`` runs one
    step and returns its seconds. The steps take turns, round after round, while each still
    has repeats left, so that drift in the machine's speed falls on all of them; the first
    round is a warm-up and is not counted."""
    seconds: list[list[float]] = [[] for _ in steps]
    for round_ in range(max(repeats for _, repeats in steps) + 1):
        for times, (timed_step, repeats) in zip(seconds, steps, strict=True):
            if round_ <= repeats:
                times.append(timed_step())
    return [1000 * statistics.median(times[1:]) for times in seconds]


def _paired_loss_ms(ours, theirs, scores, labels, mask, device, repeats: int,
                    their_repeats: int) -> tuple[float, float | None]:
    """Median ms of a forward + backward step of ``ours`` (``repeats`` times) and of allRank's
    ``theirs`` (``their_repeats`` times; None: not timed), alternating."""
    steps = [(lambda: _loss_step_seconds(ours, scores, labels, mask, device, False), repeats)]
    if theirs is not None:
        steps.append((lambda: _loss_step_seconds(theirs, scores, labels, mask, device, True),
                      their_repeats))
    timings = alternating_median_ms(steps)
    return timings[0], (timings[1] if theirs is not None else None)


def bench_speed(args) -> None:
    device = torch.device(args.device)
    print(f"\n== Training-step speed on a generated MSLR-shaped set ({args.queries} queries of "
          f"20-250 documents, 136 features), device {device}, torch threads "
          f"{torch.get_num_threads()}")
    data = make_ranking(args.queries, (20, 250), 136, random_state=0)
    Z = FeaturePreprocessor("standard").fit_transform(data.X)
    X = torch.from_numpy(Z).to(device)
    y = torch.as_tensor(data.y, dtype=torch.float32, device=device)
    mod = import_allrank()
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
    functional = LOSS_FUNCTIONS
    for name in names:
        ours, other = _paired_loss_ms(
            functools.partial(functional[name], **params.get(name, {})), theirs.get(name),
            scores, labels, mask, device, args.repeats, max(2, args.repeats // 4))
        line = f"{name:<11}{ours:>10.2f}"
        if other is not None:
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


# ----------------------------------------------------------------------------- part 3
def allrank_scheme(scheme: str) -> str | None:
    """allRank's spelling of a weighing scheme (None for plain RankNet)."""
    if scheme == "rankNet":
        return None
    return ("ndcgLoss2PP" if scheme == "ndcgLoss2++" else scheme) + "_scheme"


def step_tensors(device: torch.device, batch: int = 64, length: int = 120):
    """Fixed scores, labels 0-4 and a mask (every other list has 100 real documents)."""
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(batch, length, generator=gen).to(device)
    labels = torch.randint(0, 5, (batch, length), generator=gen).float().to(device)
    mask = torch.ones(batch, length, dtype=torch.bool, device=device)
    mask[::2, 100:] = False
    return scores, labels, mask


def _value(fn, scores, labels, mask, allrank: bool) -> float:
    with torch.no_grad():
        out = fn(scores, labels.masked_fill(~mask, -1.0)) if allrank else fn(scores, labels,
                                                                                mask)
    return float(out)


def bench_loss_steps(args) -> None:
    device = torch.device(args.device)
    mod = import_allrank()
    scores, labels, mask = step_tensors(device)
    cases = [("neuralndcg", functools.partial(neuralndcg_loss),
              mod.neuralNDCG if mod else None, 3.0),
             ("neuralndcg_transposed", functools.partial(neuralndcg_loss, transposed=True),
              mod.neuralNDCG_transposed if mod else None, 3.0)]
    for scheme in WEIGHING_SCHEMES:
        ours = functools.partial(lambdaloss_loss, weighing_scheme=scheme, reduction="sum")
        theirs = (functools.partial(mod.lambdaLoss, weighing_scheme=allrank_scheme(scheme))
                  if mod else None)
        cases.append((f"lambdaloss {scheme}", ours, theirs, 1.0))
    # allRank's multi-output ordinal, its probabilities from the same threshold logits
    # (s - (t - 1/2), t = 1..4, for labels 0-4), on the lists without padding: allRank 1.4.3
    # hands its padding marker -1 to BCELoss as a target, which current PyTorch refuses
    cuts = torch.arange(1, 5, dtype=scores.dtype, device=device) - 0.5
    full = mask.all(dim=1)
    cases.append(("ordinal multi-output, unpadded lists",
                  lambda s, y, m: ordinal_loss(s[full].unsqueeze(2) - cuts, y[full], m[full],
                                               multi_output=True),
                  (lambda s, y: mod.ordinal(torch.sigmoid(s[full].unsqueeze(2) - cuts),
                                            y[full], 4)) if mod else None, None))
    # last: its 32 copies take the most time and memory by far
    cases.append(("neuralndcg stochastic, 32 samples",
                  functools.partial(neuralndcg_loss, stochastic=True,
                                    generator=torch.Generator(device=device).manual_seed(0)),
                  functools.partial(mod.neuralNDCG, stochastic=True) if mod else None, 3.0))
    print(f"\n== Loss steps, forward + backward, 64 lists x 120 documents, device {device} "
          f"(median ms of {args.step_repeats})")
    print(f"{'loss':<38}{'ours ms':>9}{'allRank ms':>12}{'speed-up':>10}{'goal':>7}"
          f"{'ours value':>14}{'allRank value':>15}")
    for name, ours, theirs, goal in cases:
        ours_ms, their_ms = _paired_loss_ms(ours, theirs, scores, labels, mask, device,
                                            args.step_repeats, max(2, args.step_repeats // 2))
        line = f"{name:<38}{ours_ms:>9.2f}"
        value = _value(ours, scores, labels, mask, False)
        goal_text = f"{goal:>6g}x" if goal is not None else f"{'-':>7}"
        if their_ms is None:
            print(line + f"{'-':>12}{'-':>10}{goal_text}{value:>14.6g}", flush=True)
            continue
        ratio = their_ms / ours_ms
        verdict = "" if goal is None else ("met" if ratio >= goal else "MISSED")
        print(line + f"{their_ms:>12.2f}{ratio:>9.2f}x{goal_text}"
              f"{value:>14.6g}{_value(theirs, scores, labels, mask, True):>15.6g}  {verdict}",
              flush=True)
    print("(ordinal: 4 thresholds, on the 32 lists without padding: allRank's BCELoss refuses "
          "its padding marker -1 as a target.")
    print(" values: ours with reduction='sum' for LambdaLoss, allRank's default; they differ "
          "only where allRank's eps clamps cap a pair's loss, see docs/neural.md. The "
          "stochastic values come from different Gumbel draws; allRank also shifts the scores "
          "by the batch's minimum, ours by each list's, and masks its copies with other "
          "lists' masks when lengths differ, see docs/neural.md)")


# ----------------------------------------------------------------------------- part 4
def _allrank_transformer(n_features: int, d_model: int, n_layers: int, n_heads: int,
                         d_ff: int, dropout: float):
    model_mod = import_allrank("allrank.models.model")
    transformer_mod = import_allrank("allrank.models.transformer")
    if model_mod is None or transformer_mod is None:
        return None
    encoder = transformer_mod.make_transformer(N=n_layers, d_ff=d_ff, h=n_heads,
                                               dropout=dropout, n_features=d_model,
                                               positional_encoding=None)
    projection = model_mod.FCModel([d_model], False, None, 0.0, n_features)
    model = model_mod.LTRModel(projection, encoder, model_mod.OutputLayer(d_model, 1))
    for parameter in model.parameters():
        if parameter.dim() > 1:
            torch.nn.init.xavier_uniform_(parameter)
    return model


def _one_step_seconds(forward, params, device) -> float:
    for p in params:
        p.grad = None
    _sync(device)
    started = time.perf_counter()
    forward().sum().backward()
    _sync(device)
    return time.perf_counter() - started


def bench_attention(args) -> None:
    device = torch.device(args.device)
    size = {"d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 128, "dropout": 0.1}
    torch.manual_seed(0)
    x = torch.randn(64, 120, 136, device=device)
    _, _, mask = step_tensors(device)
    ours = AttentionScorer(136, **size).to(device).train()
    print(f"\n== Attention scorer, forward + backward, 64 lists x 120 documents x 136 "
          f"features, {size}, device {device} (median ms of {args.step_repeats}, the two "
          f"models' steps alternating)")
    models = [(lambda: ours(x, mask), list(ours.parameters()))]
    theirs = _allrank_transformer(136, **size)
    if theirs is not None:
        theirs = theirs.to(device).train()
        indices = torch.arange(120, device=device).expand(64, -1)
        models.append((lambda: theirs.score(x, ~mask, indices), list(theirs.parameters())))
    timings = alternating_median_ms([
        (functools.partial(_one_step_seconds, forward, params, device), args.step_repeats)
        for forward, params in models])
    line = f"ours {timings[0]:.2f} ms ({sum(p.numel() for p in ours.parameters()):,} parameters)"
    if theirs is None:
        print(line + "; allRank's transformer not importable")
        return
    ours_ms, their_ms = timings
    verdict = "met" if their_ms >= ours_ms else "MISSED"
    print(line + f"; allRank {their_ms:.2f} ms "
          f"({sum(p.numel() for p in theirs.parameters()):,} parameters); allRank/ours "
          f"{their_ms / ours_ms:.2f}x (goal >= 1x: {verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mq2008", type=Path, default=REPO.parent / "shared" / "data" / "MQ2008")
    parser.add_argument("--skip-quality", "--skip-mq2008", dest="skip_quality",
                        action="store_true")
    parser.add_argument("--dataset", choices=("mq2008", "sample", "generated"),
                        default="mq2008", help="quality dataset (part 1)")
    parser.add_argument("--models", default="RankNet,ListNet",
                        help="comma-separated neural classes for part 1, e.g. "
                             "AttentionNeuralNDCG,AttentionListNet,AttentionLambdaLoss")
    parser.add_argument("--preprocessing", default="standard",
                        help="preprocessing of the neural models in part 1 (e.g. log1p)")
    parser.add_argument("--params", type=_json_object, default={},
                        help="JSON object of further parameters of the neural models in part 1")
    parser.add_argument("--input-noise", type=float, default=0.0,
                        help="Gaussian input noise of the neural models in part 1")
    parser.add_argument("--generated-queries", type=int, default=10_000)
    parser.add_argument("--skip-speed", action="store_true", help="skip part 2")
    parser.add_argument("--skip-loss-steps", action="store_true", help="skip part 3")
    parser.add_argument("--skip-attention", action="store_true", help="skip part 4")
    parser.add_argument("--step-repeats", type=int, default=10)
    parser.add_argument("--allrank-path", type=Path, default=None,
                        help="a site-packages folder holding allRank (e.g. a separate venv's)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:n] for the speed part")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads of torch (ours and allRank alike) and of "
                             "LightGBM's n_jobs in part 1 (default 1)")
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
    if args.allrank_path is not None:
        sys.path.append(str(args.allrank_path))
    if not args.skip_quality:
        bench_quality(args)
    if not args.skip_speed:
        bench_speed(args)
    if not args.skip_loss_steps:
        bench_loss_steps(args)
    if not args.skip_attention:
        bench_attention(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
