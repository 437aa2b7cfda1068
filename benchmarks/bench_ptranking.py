"""Our PT-Ranking losses beside PT-Ranking 0.0.5's own code: values, gradients, step time.

On the tensors of ``bench_neural.py``'s loss steps (64 lists x 120 documents, labels 0-4,
every other list with 100 real documents), forward + backward, ours and PT-Ranking's taking
turns:

- ``wassrank``: PT-Ranking's ``WassRank`` with its ``WassLossSta`` transport layer
  (``Y_WassersteinLossStab``, the default mode of its repository's current ``WassRank``;
  explicit grouping cost, ``lam=0.1``, 20 Sinkhorn rounds, ``gain_base=4``,
  ``non_rele_gap=100``, ``var_penalty=e``), which takes one query per call: it runs over the
  64 lists one by one, ours on the padded batch at once. Values and gradients are compared
  list by list, on labels 0-2 (MQ2008's grades) and 0-4 (MSLR's), over the lists where
  PT-Ranking's are finite (the line says how many).
- ``listnet`` with ``stochastic=True``: PT-Ranking's ``STListNet`` on the lists without
  padding (it has no mask), both drawing their Gumbel noise from PyTorch's global generator
  seeded alike, so the draws are the same.
- ``rankcosine``: PT-Ranking's ``RankCosine`` on the lists without padding. It returns
  ``sum((1 - cos) / 0.5)``, four times the batch sum of our ``(1 - cos) / 2``: the comparison
  is made with that factor.

PT-Ranking is not a dependency: ``pip download ptranking==0.0.5 --no-deps`` and unpack the
wheel, or ``pip install --no-deps ptranking==0.0.5 --target DIR``, then pass
``--ptranking-path DIR`` (it needs only torch and numpy). Its training methods also step an
optimizer: a stub that does nothing stands in for it, and the losses are read before that.

Everything runs on the CPU (PT-Ranking's cost matrices are CPU tensors unless its trainer is
built for a GPU).

Usage: ``python benchmarks/bench_ptranking.py --ptranking-path DIR [--step-repeats 10]
[--threads 1]``
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_neural import alternating_median_ms, step_tensors  # noqa: E402

from neural.losses import listnet_loss, rankcosine_loss, wassrank_loss  # noqa: E402

#: PT-Ranking's default WassRank parameters (its ``WassRankParameter.default_para_dict``)
WASS_PARAMS = dict(mode="WassLossSta", sh_itr=20, lam=0.1, smooth_type="ST",
                   norm_type="BothST", cost_type="eg", non_rele_gap=100, var_penalty=math.e,
                   gain_base=4)


class _NoOptimizer:
    """Stands in for the optimizer PT-Ranking's ``inner_train`` steps."""

    def zero_grad(self) -> None:
        pass

    def step(self) -> None:
        pass


def import_ptranking() -> dict | None:
    """PT-Ranking's modules used here, or None (printing why) when it does not import."""
    names = {"cost": "ptranking.ltr_adhoc.listwise.wassrank.wasserstein_cost_mat",
             "layer": "ptranking.ltr_adhoc.listwise.wassrank.wasserstein_loss_layer",
             "stlistnet": "ptranking.ltr_adhoc.listwise.st_listnet",
             "rankcosine": "ptranking.ltr_adhoc.listwise.rank_cosine"}
    try:
        return {key: importlib.import_module(name) for key, name in names.items()}
    except Exception as exc:  # noqa: BLE001 - report any import failure and stop
        print(f"PT-Ranking does not import ({type(exc).__name__}: {exc}); pass "
              "--ptranking-path to a folder holding ptranking 0.0.5 (pip install --no-deps "
              "ptranking==0.0.5 --target DIR)")
        return None


def _trainer(cls, **attributes):
    """A PT-Ranking ranker without its scoring network: just what ``inner_train`` reads."""
    trainer = object.__new__(cls)
    trainer.__dict__.update(optimizer=_NoOptimizer(), gpu=False, device=None, **attributes)
    return trainer


def ptranking_wassrank(pt: dict, scores: torch.Tensor, labels: torch.Tensor,
                       mask: torch.Tensor) -> tuple[list[float], torch.Tensor]:
    """PT-Ranking's WassRank, one list at a time: per-list values and the gradient of their
    sum with respect to ``scores`` [batch, list]."""
    scores = scores.detach().clone().requires_grad_(True)
    values = []
    for b in range(scores.shape[0]):
        n = int(mask[b].sum())
        preds, stds = scores[b:b + 1, :n], labels[b:b + 1, :n]
        cost = pt["cost"].get_explicit_cost_mat(stds, wass_para_dict=WASS_PARAMS)
        std_hists, pred_hists = pt["cost"].get_normalized_histograms(
            batch_std_labels=stds, batch_preds=preds, wass_para_dict=WASS_PARAMS, TL_AF="None")
        (value,) = pt["layer"].Y_WassersteinLossStab.apply(
            pred_hists, std_hists, torch.squeeze(cost, dim=0), WASS_PARAMS["lam"],
            WASS_PARAMS["sh_itr"])
        value.backward()
        values.append(float(value.detach()))
    return values, scores.grad


def _ours_wassrank(scores, labels, mask) -> tuple[list[float], torch.Tensor]:
    scores = scores.detach().clone().requires_grad_(True)
    per_list = wassrank_loss(scores, labels, mask, reduction="none")
    per_list.sum().backward()
    return per_list.detach().tolist(), scores.grad


def _seeded_step(loss, scores, labels, *, backpropagates: bool = False,
                 seed: int = 0) -> tuple[float, torch.Tensor]:
    """``loss(scores, labels)`` and its gradient, the global generator seeded first;
    ``backpropagates``: ``loss`` runs the backward pass itself (PT-Ranking's
    ``inner_train``)."""
    scores = scores.detach().clone().requires_grad_(True)
    torch.manual_seed(seed)
    value = loss(scores, labels)
    if not backpropagates:
        value.backward()
    return float(value.detach()), scores.grad


def _timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _row(name: str, ours_ms: float, their_ms: float, value_gap: float, grad_gap: float) -> str:
    return (f"{name:<26}{ours_ms:>10.2f}{their_ms:>15.2f}{their_ms / ours_ms:>10.2f}x"
            f"{value_gap:>16.2e}{grad_gap:>16.2e}")


def _wassrank_row(pt: dict, scores, labels, mask, grades: str, repeats: int) -> None:
    """Time both WassRanks on the batch and compare them on the lists where PT-Ranking's
    value and gradient are finite (its linear-domain Sinkhorn can overflow to NaN)."""
    theirs_values, theirs_grad = ptranking_wassrank(pt, scores, labels, mask)
    ours_values, ours_grad = _ours_wassrank(scores, labels, mask)
    finite = [b for b, value in enumerate(theirs_values)
              if math.isfinite(value) and bool(torch.isfinite(theirs_grad[b]).all())]
    value_gap = max((abs(ours_values[b] - theirs_values[b]) for b in finite), default=math.nan)
    grad_gap = max((float((ours_grad[b] - theirs_grad[b]).abs().max()) for b in finite),
                   default=math.nan)
    ours_ms, their_ms = alternating_median_ms([
        (lambda: _timed(lambda: _ours_wassrank(scores, labels, mask)), repeats),
        (lambda: _timed(lambda: ptranking_wassrank(pt, scores, labels, mask)), repeats)])
    print(_row(f"wassrank, labels {grades}", ours_ms, their_ms, value_gap, grad_gap)
          + f"   PT-Ranking finite on {len(finite)} of {len(theirs_values)} lists", flush=True)


def bench(pt: dict, repeats: int) -> None:
    scores, labels, mask = step_tensors(torch.device("cpu"))
    full = mask.all(dim=1)
    whole_scores, whole_labels = scores[full], labels[full]
    print(f"\n== PT-Ranking 0.0.5 beside ours, forward + backward, CPU "
          f"(median ms of {repeats}; gaps: largest absolute difference)")
    print(f"{'loss':<26}{'ours ms':>10}{'PT-Ranking ms':>15}{'speed-up':>11}"
          f"{'value gap':>16}{'gradient gap':>16}")

    for grades, grade_labels in (("0-2", labels.remainder(3)), ("0-4", labels)):
        _wassrank_row(pt, scores, grade_labels, mask, grades, repeats)
    cases = [
        ("listnet stochastic", _trainer(pt["stlistnet"].STListNet, temperature=1.0),
         lambda s, y: listnet_loss(s, y, None, stochastic=True, reduction="sum"), 1.0),
        ("rankcosine", _trainer(pt["rankcosine"].RankCosine),
         lambda s, y: rankcosine_loss(s, y, None, reduction="sum"), 4.0),
    ]
    for name, trainer, ours, factor in cases:
        their_value, their_grad = _seeded_step(trainer.inner_train, whole_scores, whole_labels,
                                               backpropagates=True)
        our_value, our_grad = _seeded_step(lambda s, y, f=ours, k=factor: k * f(s, y),
                                           whole_scores, whole_labels)
        ours_ms, their_ms = alternating_median_ms([
            (lambda f=ours: _timed(lambda: _seeded_step(f, whole_scores, whole_labels)),
             repeats),
            (lambda t=trainer: _timed(lambda: _seeded_step(
                t.inner_train, whole_scores, whole_labels, backpropagates=True)), repeats)])
        print(_row(f"{name} ({len(whole_scores)} lists)", ours_ms, their_ms,
                   abs(our_value - their_value), float((our_grad - their_grad).abs().max())),
              flush=True)
    print("(gaps over the lists where PT-Ranking is finite. wassrank: 64 lists, PT-Ranking one "
          "query per call, as its trainer; its Sinkhorn runs on exp(-C / lam), which "
          "underflows for costs of hundreds, and its log(K v) then becomes NaN. "
          "rankcosine: ours x 4, PT-Ranking's sum((1 - cos) / 0.5) against our (1 - cos) / 2. "
          "listnet stochastic: the same Gumbel draws from the global generator)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ptranking-path", type=Path, default=None,
                        help="a folder holding the ptranking 0.0.5 package")
    parser.add_argument("--step-repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.ptranking_path is not None:
        sys.path.append(str(args.ptranking_path))
    pt = import_ptranking()
    if pt is None:
        return 1
    bench(pt, args.step_repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
