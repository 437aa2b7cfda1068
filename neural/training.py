"""The training loop: Adam over length-bucketed list batches, per-epoch evaluation, early stopping.

`train_ranker` is backend plumbing for `neural.NeuralRanker`; it can also drive any
``nn.Module`` scorer with any list loss of `neural.losses`. A *pointwise* scorer maps
features ``[n_docs, n_features] -> [n_docs]`` and runs on the packed rows of a batch; a
*listwise* scorer (``listwise=True``, e.g. the attention scorer) maps the padded layout
``(x [lists, len, n_features], mask [lists, len]) -> [lists, len]``.
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

from boostrank.early_stopping import EarlyStopping

from .batching import ListBatch, ListBatcher

#: rows scored per forward pass at evaluation / prediction time
PREDICT_CHUNK = 1 << 16
#: cap on lists * len**2 per forward pass of a listwise scorer at evaluation / prediction time
LISTWISE_PREDICT_PAIRS = 1 << 22


@dataclass
class EvalTarget:
    """A validation set: preprocessed features on the device and a scorer of predictions.

    ``X``: [n_rows, n_features] with rows grouped by query; ``evaluate(scores (n_rows,)
    float64) -> {metric: value}`` (the common evaluator); ``group_offsets``: (n_queries + 1,)
    query boundaries of ``X``, needed by listwise scorers.
    """

    name: str
    X: torch.Tensor
    evaluate: Callable[[np.ndarray], dict[str, float]]
    group_offsets: np.ndarray | None = None


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
def score_rows(model: nn.Module, X: torch.Tensor, *, amp: bool = False,
               group_offsets: np.ndarray | None = None, listwise: bool = False) -> np.ndarray:
    """Scores (n_rows,) float64 of ``model`` (eval mode) on features [n_rows, n_features].

    A pointwise model scores chunks of `PREDICT_CHUNK` rows; a listwise model (``listwise``)
    scores whole queries (``group_offsets`` (n_queries + 1,) required), padded in batches of
    at most `LISTWISE_PREDICT_PAIRS` attention pairs.
    """
    was_training = model.training
    model.eval()
    try:
        if listwise:
            return _score_lists(model, X, group_offsets, amp)
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


def _score_lists(model: nn.Module, X: torch.Tensor, group_offsets: np.ndarray | None,
                 amp: bool) -> np.ndarray:
    if group_offsets is None:
        raise ValueError("a listwise scorer needs the query structure (group_offsets)")
    # (a single query too long for the scorer's attention memory cap is refused by the
    # scorer itself, naming the list length: neural.attention.MAX_ATTENTION_ELEMENTS)
    out = torch.zeros(X.shape[0], dtype=torch.float32, device=X.device)
    labels = torch.zeros(X.shape[0], dtype=torch.float32, device=X.device)
    batcher = ListBatcher(X, labels, group_offsets, batch_size=4096,
                          max_elements=LISTWISE_PREDICT_PAIRS, element_power=2)
    for batch in batcher.epoch(np.random.default_rng(0)):
        out[batch.rows] = forward_batch(model, X, batch, listwise=True, amp=amp)[batch.mask]
    return out.cpu().numpy().astype(np.float64)


def forward_batch(model: nn.Module, X: torch.Tensor, batch: ListBatch, *, listwise: bool,
                  amp: bool = False, input_noise: float = 0.0) -> torch.Tensor:
    """Scores [n_lists, list_len] float32 of one batch (padding holds 0 or the model's output).

    ``input_noise`` > 0 adds Gaussian noise of that standard deviation to the (preprocessed)
    features first, drawn from torch's global RNG (DASALC's augmentation, training only).
    """
    features = X[batch.rows]
    if input_noise > 0:
        features = features + input_noise * torch.randn_like(features)
    with torch.autocast(device_type=X.device.type, dtype=torch.bfloat16, enabled=amp):
        if listwise:
            return model(batch.pad(features), batch.mask).float()
        packed = model(features)
    return batch.pad(packed.float())


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@dataclass
class TrainOptions:
    """How `train_ranker` trains (see its docstring for each field)."""

    n_epochs: int
    learning_rate: float
    weight_decay: float = 0.0
    eval_metric: str = "ndcg@10"
    early_stopping_rounds: int | None = None
    amp: bool = False
    listwise: bool = False
    input_noise: float = 0.0
    verbose: bool | int = False
    desc: str = "training"


def _train_epoch(model: nn.Module, loss_fn: Callable[..., torch.Tensor], batcher: ListBatcher,
                 optimizer: torch.optim.Optimizer, rng: np.random.Generator,
                 options: TrainOptions) -> float:
    """One pass over ``batcher``; the mean training loss per list."""
    model.train()
    total = torch.zeros((), dtype=torch.float32, device=batcher.device)
    n_lists = 0
    for batch in batcher.epoch(rng):
        scores = forward_batch(model, batcher.X, batch, listwise=options.listwise,
                               amp=options.amp, input_noise=options.input_noise)
        loss = loss_fn(scores, batch.labels, batch.mask, batch.weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach() * batch.n_lists
        n_lists += batch.n_lists
    return float(total.item()) / max(n_lists, 1)


def evaluate_targets(model: nn.Module, targets: Sequence[EvalTarget], *, amp: bool = False,
                     listwise: bool = False) -> dict[str, dict[str, float]]:
    """``{target name: {metric: value}}`` of ``model`` (eval mode) on each of ``targets``."""
    evals = {}
    for target in targets:
        scores = score_rows(model, target.X, amp=amp, listwise=listwise,
                            group_offsets=target.group_offsets)
        evals[target.name] = {k: float(v) for k, v in target.evaluate(scores).items()}
    return evals


def train_ranker(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    batcher: ListBatcher,
    options: TrainOptions,
    *,
    eval_targets: Sequence[EvalTarget] = (),
    on_epoch: Callable[[int, dict[str, dict[str, float]], float], bool] | None = None,
    rng: np.random.Generator | None = None,
) -> TrainResult:
    """Train ``model`` with Adam for up to ``options.n_epochs`` epochs over ``batcher``.

    Each step scores a batch (`forward_batch`) and calls ``loss_fn(scores, labels, mask,
    weights)``. After every epoch each of ``eval_targets`` is scored and evaluated;
    ``on_epoch(epoch0, evals, train_loss)`` is then called (exceptions propagate; True stops
    training). Early stopping (`boostrank.early_stopping.EarlyStopping`, one rule for every
    model family: a NaN never improves) watches ``options.eval_metric`` (higher is better) on
    the first eval target: training stops after ``early_stopping_rounds`` epochs without
    improvement and the best epoch's weights are restored. ``amp`` runs the network under
    bfloat16 autocast (GPU); losses run in float32.
    """
    rng = rng if rng is not None else np.random.default_rng()
    optimizer = torch.optim.Adam(model.parameters(), lr=options.learning_rate,
                                 weight_decay=options.weight_decay)
    metric = options.eval_metric
    history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "train_time": [],
                                       "eval_time": []}
    evals_result = {t.name: {metric: []} for t in eval_targets}
    tracker = EarlyStopping(options.early_stopping_rounds)
    watch = eval_targets[0].name if eval_targets else None
    best_state, stopped_early = None, False
    progress = _progress(options)
    try:
        for epoch in range(options.n_epochs):
            started = time.perf_counter()
            train_loss = _train_epoch(model, loss_fn, batcher, optimizer, rng, options)
            train_time = time.perf_counter() - started
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss became {train_loss} at epoch {epoch + 1}; lower "
                    "learning_rate or check the features/labels for extreme values")
            started = time.perf_counter()
            evals = evaluate_targets(model, eval_targets, amp=options.amp,
                                     listwise=options.listwise)
            for name, values in evals.items():
                evals_result[name][metric].append(values[metric])
            for key, value in (("epoch", epoch + 1), ("train_loss", train_loss),
                               ("train_time", train_time),
                               ("eval_time", time.perf_counter() - started)):
                history[key].append(value)
            stop_early = False
            if watch is not None:
                stop_early = tracker.update(evals[watch][metric])
                if tracker.best_step == epoch:
                    best_state = _snapshot(model)
            _show(progress, train_loss, evals.get(watch), metric, tracker)
            if on_epoch is not None and on_epoch(epoch, evals, train_loss):
                break
            if stop_early:
                stopped_early = True
                break
    finally:
        if progress is not None:
            progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    epochs_run = len(history["epoch"])
    best_epoch = tracker.best_iteration if best_state is not None else epochs_run
    best_score = {name: {metric: result[metric][best_epoch - 1]}
                  for name, result in evals_result.items() if best_epoch > 0}
    return TrainResult(history, evals_result, best_epoch, best_score, epochs_run,
                       stopped_early)


def _progress(options: TrainOptions) -> Any:
    if not options.verbose:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=options.n_epochs, desc=options.desc, unit="epoch", leave=True)


def _show(progress: Any, train_loss: float, watched: dict[str, float] | None, metric: str,
          tracker: EarlyStopping) -> None:
    if progress is None:
        return
    postfix = {"loss": f"{train_loss:.4g}"}
    if watched is not None:
        postfix[metric] = f"{watched[metric]:.4f}"
        postfix["best"] = tracker.best_iteration
    progress.set_postfix(postfix, refresh=False)
    progress.update(1)
