"""The training loop: Adam over length-bucketed list batches, per-epoch evaluation, early stopping.

`train_ranker` is backend plumbing for `neural.estimators.NeuralRanker`; it can also drive any
``nn.Module`` scorer with any list loss of `neural.losses`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .batching import ListBatcher

#: rows scored per forward pass at evaluation / prediction time
PREDICT_CHUNK = 1 << 16


@dataclass
class EvalTarget:
    """A validation set: preprocessed features on the device and a scorer of predictions.

    ``evaluate(scores (n_rows,) float64) -> {metric: value}`` (the common evaluator).
    """

    name: str
    X: torch.Tensor
    evaluate: Callable[[np.ndarray], dict[str, float]]


@dataclass
class TrainResult:
    """What `train_ranker` reports; the model holds the kept (best) weights on return."""

    history: dict[str, list[float]]
    evals_result: dict[str, dict[str, list[float]]]
    best_epoch: int
    best_score: dict[str, dict[str, float]]
    n_epochs_run: int
    stopped_early: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cpu"``/``"cuda[:n]"`` as given.

    Raises ValueError for an unknown name or when CUDA is requested but unavailable.
    """
    if isinstance(device, torch.device):
        return device
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available "
                             "(this torch build or machine has no GPU); use 'cpu' or 'auto'")
        return torch.device(name)
    raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:index]', got {device!r}")


@torch.no_grad()
def score_rows(model: nn.Module, X: torch.Tensor, *, amp: bool = False) -> np.ndarray:
    """Scores (n_rows,) float64 of ``model`` on features [n_rows, n_features] (eval mode)."""
    was_training = model.training
    model.eval()
    try:
        parts = []
        for start in range(0, X.shape[0], PREDICT_CHUNK):
            chunk = X[start:start + PREDICT_CHUNK]
            with torch.autocast(device_type=X.device.type, dtype=torch.bfloat16, enabled=amp):
                parts.append(model(chunk).float())
        if not parts:
            return np.zeros(0, dtype=np.float64)
        return torch.cat(parts).cpu().numpy().astype(np.float64)
    finally:
        model.train(was_training)


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def train_ranker(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    batcher: ListBatcher,
    *,
    n_epochs: int,
    learning_rate: float,
    weight_decay: float = 0.0,
    eval_targets: Sequence[EvalTarget] = (),
    eval_metric: str = "ndcg@10",
    early_stopping_rounds: int | None = None,
    on_epoch: Callable[[int, dict[str, dict[str, float]], float], bool] | None = None,
    rng: np.random.Generator | None = None,
    amp: bool = False,
    verbose: bool | int = False,
    desc: str = "training",
) -> TrainResult:
    """Train ``model`` with Adam for up to ``n_epochs`` epochs over ``batcher``'s batches.

    Each step scores the packed rows of a batch, pads the scores to ``[lists, list_len]`` and
    calls ``loss_fn(scores, labels, mask, weights)``. After every epoch each of
    ``eval_targets`` is scored and evaluated; ``on_epoch(epoch0, evals, train_loss)`` is then
    called (exceptions propagate; True stops training). Early stopping watches
    ``eval_metric`` (higher is better) on the first eval target: training stops after
    ``early_stopping_rounds`` epochs without improvement and the best epoch's weights are
    restored. ``amp`` runs the network under bfloat16 autocast (GPU); losses run in float32.
    """
    rng = rng if rng is not None else np.random.default_rng()
    device = batcher.device
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate,
                                 weight_decay=weight_decay)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_time": [],
                                       "eval_time": []}
    evals_result = {t.name: {eval_metric: []} for t in eval_targets}
    best_value, best_epoch, best_state = -math.inf, 0, None
    stale, stopped_early, epochs_run = 0, False, 0
    watch = eval_targets[0].name if eval_targets else None

    progress = None
    if verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=n_epochs, desc=desc, unit="epoch", leave=bool(verbose))
    try:
        for epoch in range(n_epochs):
            started = time.perf_counter()
            model.train()
            total = torch.zeros((), dtype=torch.float32, device=device)
            n_lists = 0
            for batch in batcher.epoch(rng):
                with torch.autocast(device_type=device.type, dtype=torch.bfloat16,
                                    enabled=amp):
                    packed = model(batcher.X[batch.rows])
                scores = batch.pad(packed.float())
                loss = loss_fn(scores, batch.labels, batch.mask, batch.weights)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach() * batch.n_lists
                n_lists += batch.n_lists
            train_loss = float(total.item()) / max(n_lists, 1)
            train_time = time.perf_counter() - started
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss became {train_loss} at epoch {epoch + 1}; lower "
                    "learning_rate or check the features/labels for extreme values"
                )
            started = time.perf_counter()
            evals = {}
            for target in eval_targets:
                values = target.evaluate(score_rows(model, target.X, amp=amp))
                evals[target.name] = {k: float(v) for k, v in values.items()}
                evals_result[target.name][eval_metric].append(evals[target.name][eval_metric])
            eval_time = time.perf_counter() - started
            epochs_run = epoch + 1
            for key, value in (("epoch", epochs_run), ("train_loss", train_loss),
                               ("train_time", train_time), ("eval_time", eval_time)):
                history[key].append(value)
            improved = False
            if watch is not None:
                value = evals[watch][eval_metric]
                if value > best_value:
                    best_value, best_epoch, best_state = value, epochs_run, _snapshot(model)
                    improved, stale = True, 0
                else:
                    stale += 1
            if progress is not None:
                postfix = {"loss": f"{train_loss:.4g}"}
                if watch is not None:
                    postfix[eval_metric] = f"{evals[watch][eval_metric]:.4f}"
                    postfix["best"] = best_epoch
                progress.set_postfix(postfix, refresh=False)
                progress.update(1)
            stop = bool(on_epoch(epoch, evals, train_loss)) if on_epoch is not None else False
            if stop:
                break
            if (watch is not None and early_stopping_rounds is not None and not improved
                    and stale >= early_stopping_rounds):
                stopped_early = True
                break
    finally:
        if progress is not None:
            progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        best_epoch = epochs_run
    best_score = {name: {eval_metric: result[eval_metric][best_epoch - 1]}
                  for name, result in evals_result.items() if best_epoch > 0}
    return TrainResult(history, evals_result, best_epoch, best_score, epochs_run,
                       stopped_early)
