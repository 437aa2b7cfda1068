"""scikit-learn-style neural rankers: an MLP scorer trained with a list loss.

`NeuralRanker(loss=...)` is the general estimator; `RankNet`, `ListNet`, `LambdaRankNet`,
`ListMLENet` and `ApproxNDCGNet` fix the loss and expose its parameters by name. They follow
`boostrank.estimator.BaseRanker`'s contract: ``fit(X, y, qid=...)`` or ``fit(train,
eval_set=vali)``, ``predict``, ``score``, ``save``/``load``, pickling and ``clone``.

Fitted attributes: ``model_`` (the `MLPScorer`), ``preprocessor_``, ``history_`` (per epoch:
``epoch``, ``train_loss``, ``train_time`` and ``eval_time`` in seconds), ``evals_result_``
(``{set: {eval_metric: [value per epoch]}}``), ``best_score_``, ``best_epoch_`` (1-based
epoch whose weights were kept), ``n_epochs_run_``, ``device_``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state

from boostrank.boosters._params import resolve_n_jobs
from boostrank.data.ranking_data import RankingData, as_ranking_data, contiguous_order
from boostrank.estimator import BaseRanker, EvalStep, TrainingCallback, run_callbacks

from .batching import ListBatcher
from .losses import canonical_loss_name, get_loss
from .preprocessing import METHODS, FeaturePreprocessor
from .scorer import MLPScorer, check_scorer_params
from .training import EvalTarget, resolve_device, score_rows, train_ranker

#: losses whose batches are [lists, len, len] pair tensors (batch size capped by pairs)
PAIRWISE_LOSSES = ("ranknet", "lambdarank", "approxndcg")
#: cap on lists * len**2 per batch for pairwise losses (about 64 MiB per float32 pair tensor)
MAX_PAIRS_PER_BATCH = 1 << 24


def _as_sizes(hidden_sizes: Any) -> tuple[int, ...]:
    if isinstance(hidden_sizes, (int, np.integer)):
        return (int(hidden_sizes),)
    return tuple(hidden_sizes)


def _n_threads(n_jobs: int | None) -> int:
    """Torch CPU threads for ``n_jobs`` (scikit-learn meaning, as the boosters; None: 1)."""
    return resolve_n_jobs(n_jobs) or 1


@contextlib.contextmanager
def _torch_threads(n_jobs: int | None) -> Iterator[None]:
    """Run torch's CPU kernels with ``n_jobs`` threads, restoring the setting afterwards."""
    wanted, previous = _n_threads(n_jobs), torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)


@contextlib.contextmanager
def _seeded(seed: int, device: torch.device, deterministic: bool) -> Iterator[None]:
    """Seed torch inside a forked RNG state (the caller's global RNG is left untouched) and
    turn on deterministic algorithms for the duration."""
    devices = [device.index or 0] if device.type == "cuda" else []
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=devices, device_type="cuda"):
        torch.manual_seed(seed)
        if deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous, warn_only=previous_warn)


class NeuralRanker(BaseRanker):
    """An MLP scoring each document, trained on whole query lists with a ranking loss.

    Parameters
    ----------
    loss : ``"ranknet"``, ``"lambdarank"``, ``"listnet"``, ``"listmle"`` or ``"approxndcg"``
        (see `neural.losses`).
    loss_params : keyword arguments of the loss (e.g. ``{"sigma": 2.0}``), or None.
    hidden_sizes : widths of the hidden layers (an int means one layer).
    activation : hidden activation (``relu``, ``elu``, ``gelu``, ``tanh``, ...).
    dropout : dropout probability after each hidden layer.
    norm : None, ``"batch"`` or ``"layer"`` normalisation in each hidden layer.
    preprocessing : ``"standard"`` (default), ``"log1p"`` (signed log1p then standardise, as in
        DASALC), ``"query_minmax"`` (per-query min-max, as LETOR's QueryLevelNorm; `predict`
        then needs ``qid``/``group``) or ``"none"``. Fitted on the training set, stored in the
        model.
    learning_rate, weight_decay : Adam's step size and L2 penalty.
    n_epochs : maximum number of passes over the training queries.
    batch_size : queries per batch (batches hold queries of similar length).
    max_list_length : if set, each epoch samples at most this many documents per query.
    early_stopping_rounds : stop after this many epochs without improvement of
        ``eval_metric`` on the first eval set (None: run all epochs). With an eval set the best
        epoch's weights are always restored.
    eval_metric : the metric watched on eval sets (any `boostrank.metrics` name).
    eval_convention : the evaluator convention for ``eval_metric``.
    device : ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:n]"``.
    mixed_precision : ``"auto"`` (bfloat16 autocast on GPU only), True or False.
    random_state : int for reproducible training (bit-identical on CPU), None for fresh
        randomness, or a ``numpy.random.RandomState``.
    verbose : show a tqdm progress bar over epochs.
    n_jobs : CPU threads torch may use during fit and predict (scikit-learn meaning: None is
        1, -1 all cores). One thread is usually fastest for the small per-step tensors of
        ranking, and immune to oversubscription on shared machines.
    """

    def __init__(
        self,
        loss: str = "ranknet",
        loss_params: dict[str, Any] | None = None,
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.loss = loss
        self.loss_params = loss_params
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------- loss
    def _loss_spec(self) -> tuple[str | Any, dict[str, Any]]:
        """(loss name or module, loss parameters) used for training."""
        return self.loss, dict(self.loss_params or {})

    def _loss_name(self) -> str:
        name, _ = self._loss_spec()
        return canonical_loss_name(name) if isinstance(name, str) else type(name).__name__.lower()

    # ----------------------------------------------------------------- validation
    def _validate_params_ranker(self) -> None:
        check_scorer_params(_as_sizes(self.hidden_sizes), self.activation, self.dropout,
                            self.norm)
        if self.preprocessing not in METHODS:
            raise ValueError(f"preprocessing must be one of {METHODS}, got "
                             f"{self.preprocessing!r}")
        for name, value, low in (("learning_rate", self.learning_rate, 0.0),
                                 ("weight_decay", self.weight_decay, None)):
            if not isinstance(value, (int, float)) or (low is not None and not value > low) or (
                    low is None and value < 0):
                bound = "> 0" if low is not None else ">= 0"
                raise ValueError(f"{name} must be a number {bound}, got {value!r}")
        for name, value, allow_none in (("n_epochs", self.n_epochs, False),
                                        ("batch_size", self.batch_size, False),
                                        ("max_list_length", self.max_list_length, True),
                                        ("early_stopping_rounds", self.early_stopping_rounds,
                                         True)):
            if value is None and allow_none:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive int"
                                 f"{' or None' if allow_none else ''}, got {value!r}")
        if self.mixed_precision not in ("auto", True, False):
            raise ValueError(f"mixed_precision must be 'auto', True or False, got "
                             f"{self.mixed_precision!r}")
        resolve_device(self.device)
        _n_threads(self.n_jobs)
        from boostrank.metrics import parse_metrics

        try:
            names = parse_metrics(self.eval_metric)
        except ValueError as exc:
            raise ValueError(f"eval_metric: {exc}") from None
        if len(names) != 1:
            raise ValueError(f"eval_metric must name one metric, got {self.eval_metric!r}")
        name, params = self._loss_spec()
        get_loss(name, **params)  # raises ValueError naming the loss or its bad parameter

    def _feature_dtype(self) -> Any:
        return np.float64

    # ----------------------------------------------------------------- fit
    def _fit(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
             sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        try:
            with _torch_threads(self.n_jobs):
                self._fit_impl(train, eval_sets, sample_weight, callbacks)
        except BaseException:
            self._forget_fit()
            raise

    def _forget_fit(self) -> None:
        for attr in ("n_features_in_", "feature_names_in_", "model_", "preprocessor_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _fit_impl(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
                  sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        from boostrank.metrics import Evaluator

        if train.n_rows == 0:
            raise ValueError("cannot fit on an empty training set")
        device = resolve_device(self.device)
        # [torch.distributed hook, neural/distributed.py] under torchrun: join the job, train
        # this rank's block of queries with DDP, evaluate on shards with all-reduced metrics
        from .distributed import setup as _distributed_setup

        ddp = _distributed_setup(device)
        if ddp is not None:
            device = ddp.device
        amp = device.type == "cuda" if self.mixed_precision == "auto" else bool(
            self.mixed_precision)
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        query_weights = _query_weights(sample_weight, train.group_offsets)

        preprocessor = FeaturePreprocessor(self.preprocessing)
        Z = preprocessor.fit_transform(train.X, train.group_offsets)
        name, params = self._loss_spec()
        loss_name = self._loss_name()
        if loss_name == "listmle" and params.get("ties", "stable") == "random":
            params.setdefault("generator", torch.Generator(device=device).manual_seed(seed))

        # CPU runs are bit-reproducible; on CUDA, deterministic mode would need
        # CUBLAS_WORKSPACE_CONFIG and slower kernels, so it is left to the user there.
        with _seeded(seed, device, deterministic=device.type == "cpu"):
            model = MLPScorer(train.n_features, _as_sizes(self.hidden_sizes), self.activation,
                              float(self.dropout), self.norm).to(device)
            loss_module = get_loss(name, **params)
            train_Z, train_y, offsets, weights = Z, train.y, train.group_offsets, query_weights
            batch_size = int(self.batch_size)
            if ddp is not None:  # [torch.distributed hook] this rank's queries, global batch
                train_Z, train_y, offsets, weights = ddp.shard_training(
                    Z, train.y, train.group_offsets, query_weights)
                batch_size = ddp.local_batch_size(batch_size)
            X_t = torch.from_numpy(train_Z).to(device)
            # (a copy: labels of a memory-mapped RankingData are read-only)
            y_t = torch.tensor(np.asarray(train_y, dtype=np.float32), device=device)
            pairwise = loss_name in PAIRWISE_LOSSES
            batcher = ListBatcher(
                X_t, y_t, offsets, batch_size=batch_size,
                max_list_length=self.max_list_length,
                max_elements=MAX_PAIRS_PER_BATCH if pairwise else None,
                element_power=2 if pairwise else 1, query_weights=weights)
            if ddp is not None:  # [torch.distributed hook] same step count on every rank
                batcher = ddp.equal_steps(batcher)
            targets = []
            for set_name, data in eval_sets:
                if ddp is not None:  # [torch.distributed hook] sharded, all-reduced metric
                    targets.append(ddp.eval_target(
                        set_name, preprocessor.transform(data.X, data.group_offsets), data,
                        self.eval_metric, self.eval_convention))
                    continue
                evaluator = Evaluator(data.y, data.qid, [self.eval_metric],
                                      convention=self.eval_convention)
                canonical = evaluator.metrics[0]
                eval_X = torch.from_numpy(
                    preprocessor.transform(data.X, data.group_offsets)).to(device)
                targets.append(EvalTarget(set_name, eval_X, _renamed(
                    evaluator, canonical, self.eval_metric)))

            self.model_, self.preprocessor_, self.device_ = model, preprocessor, device

            def on_epoch(epoch: int, evals: dict[str, dict[str, float]], loss: float) -> bool:
                if not callbacks or not evals:
                    return False
                return run_callbacks(callbacks, EvalStep(
                    step=epoch, evals=evals, estimator=self, extra={"train_loss": loss}))

            result = train_ranker(
                model if ddp is None else ddp.wrap(model),  # [torch.distributed hook]
                loss_module, batcher, n_epochs=int(self.n_epochs),
                learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay), eval_targets=targets,
                eval_metric=self.eval_metric, early_stopping_rounds=self.early_stopping_rounds,
                on_epoch=on_epoch, rng=np.random.default_rng(seed), amp=amp,
                verbose=self.verbose, desc=type(self).__name__)
        model.eval()
        self.history_ = result.history
        self.evals_result_ = result.evals_result
        self.best_epoch_ = result.best_epoch
        self.best_score_ = result.best_score
        self.n_epochs_run_ = result.n_epochs_run
        self._amp = amp

    def save(self, path: str | os.PathLike) -> Any:
        """Write the model file (see `BaseRanker.save`); under torchrun only rank 0 writes,
        the other ranks return the path without writing. [torch.distributed hook]"""
        from pathlib import Path

        from .distributed import is_main_process

        if not is_main_process():
            return Path(path)
        return super().save(path)

    # ----------------------------------------------------------------- predict / score
    def predict(self, X: Any, *, qid: Any = None, group: Any = None) -> np.ndarray:
        """Scores (n_rows,) float64 in the caller's row order; higher is more relevant.

        ``qid`` (n_rows,) or ``group`` (query sizes) are needed only with
        ``preprocessing="query_minmax"`` (a `RankingData` carries its own queries).
        """
        self._check_fitted()
        offsets, order = None, None
        if isinstance(X, RankingData):
            offsets = X.group_offsets
        elif qid is not None or group is not None:
            if group is not None:
                sizes = np.asarray(group, dtype=np.int64).ravel()
                offsets = np.concatenate([[0], np.cumsum(sizes)])
            else:
                qid = np.asarray(qid).ravel()
                order, _ = contiguous_order(qid)
                from boostrank.data.ranking_data import group_offsets_from_qid

                offsets = group_offsets_from_qid(qid if order is None else qid[order])
        features = self._check_predict_features(X)
        n_rows = features.shape[0]
        if offsets is not None and int(offsets[-1]) != n_rows:
            raise ValueError(f"qid/group describe {int(offsets[-1])} rows, X has {n_rows}")
        if order is not None:
            features = features[order]
        scores = self._predict_grouped(features, offsets)
        if order is not None:
            out = np.empty_like(scores)
            out[order] = scores
            scores = out
        return scores

    def _predict_grouped(self, features: Any, offsets: np.ndarray | None) -> np.ndarray:
        if self.preprocessor_.needs_groups and offsets is None:
            raise ValueError(
                "this model uses preprocessing='query_minmax': pass qid= or group= (or a "
                "RankingData) to predict"
            )
        Z = self.preprocessor_.transform(features, offsets)
        device = next(self.model_.parameters()).device
        with _torch_threads(getattr(self, "n_jobs", None)):
            return score_rows(self.model_, torch.from_numpy(Z).to(device),
                              amp=getattr(self, "_amp", False) and device.type == "cuda")

    def _predict(self, X: Any) -> np.ndarray:
        return self._predict_grouped(X, None)

    def score(self, X: Any, y: Any = None, *, qid: Any = None, group: Any = None,
              sample_weight: Any = None) -> float:
        """Mean NDCG@10 over queries by the common evaluator's default convention."""
        from boostrank.metrics import evaluate

        if sample_weight is not None:
            raise ValueError("score does not take sample_weight (NDCG is a mean over queries)")
        data, _ = as_ranking_data(X, y, qid, group=group)
        scores = self.predict(data)
        result = evaluate(data.y, scores, data.qid, metrics=(self.score_metric,),
                          convention="default")
        return float(result[self.score_metric])

    # ----------------------------------------------------------------- persistence
    def _payload(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        buffer = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in self.model_.state_dict().items()}, buffer)
        pre_meta, arrays = self.preprocessor_.state()
        npz = io.BytesIO()
        np.savez(npz, **arrays)
        meta = {"preprocessing": pre_meta, "best_epoch": int(self.best_epoch_),
                "n_epochs_run": int(self.n_epochs_run_), "history": self.history_,
                "evals_result": self.evals_result_, "best_score": self.best_score_}
        return ({"model.pt": buffer.getvalue(), "preprocessing.npz": npz.getvalue(),
                 "preprocessing.json": json.dumps(pre_meta).encode()}, meta)

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        state = torch.load(io.BytesIO(files["model.pt"]), map_location="cpu", weights_only=True)
        self._restore_state(state, json.loads(files["preprocessing.json"]),
                            dict(np.load(io.BytesIO(files["preprocessing.npz"]))))
        self.best_epoch_ = int(meta["best_epoch"])
        self.n_epochs_run_ = int(meta["n_epochs_run"])
        self.history_ = meta["history"]
        self.evals_result_ = meta["evals_result"]
        self.best_score_ = meta["best_score"]

    def _restore_state(self, state: dict[str, torch.Tensor], pre_meta: dict[str, Any],
                       arrays: dict[str, np.ndarray]) -> None:
        model = MLPScorer(int(self.n_features_in_), _as_sizes(self.hidden_sizes),
                          self.activation, float(self.dropout), self.norm)
        model.load_state_dict(state)
        model.eval()
        self.model_ = model
        self.preprocessor_ = FeaturePreprocessor.from_state(pre_meta, arrays)
        self.device_ = torch.device("cpu")
        self._amp = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if "model_" in state:
            buffer = io.BytesIO()
            torch.save({k: v.detach().cpu() for k, v in self.model_.state_dict().items()},
                       buffer)
            state["model_"] = buffer.getvalue()
            state["device_"] = "cpu"
            state["_amp"] = False
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        model_bytes = state.get("model_")
        if isinstance(model_bytes, bytes):
            weights = torch.load(io.BytesIO(model_bytes), map_location="cpu", weights_only=True)
            state = dict(state)
            del state["model_"]
            super().__setstate__(state)
            model = MLPScorer(int(self.n_features_in_), _as_sizes(self.hidden_sizes),
                              self.activation, float(self.dropout), self.norm)
            model.load_state_dict(weights)
            model.eval()
            self.model_ = model
            self.device_ = torch.device("cpu")
        else:
            super().__setstate__(state)


def _renamed(evaluator: Any, canonical: str, requested: str):
    """Wrap an evaluator so its result is keyed by the metric name the user asked for."""

    def evaluate(scores: np.ndarray) -> dict[str, float]:
        return {requested: float(evaluator(scores)[canonical])}

    return evaluate


def _query_weights(sample_weight: np.ndarray | None, offsets: np.ndarray) -> np.ndarray | None:
    """Per-row weights that are constant within each query -> (n_queries,) weights."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and >= 0")
    sizes = np.diff(offsets)
    starts = offsets[:-1][sizes > 0]
    if starts.size == 0:
        return np.zeros(len(sizes))
    lo = np.minimum.reduceat(weights, starts)
    hi = np.maximum.reduceat(weights, starts)
    if not np.array_equal(lo, hi):
        bad = int(np.flatnonzero(lo != hi)[0])
        raise ValueError(
            "sample_weight must be constant within each query (neural losses weight whole "
            f"lists); query #{bad} has weights from {lo[bad]} to {hi[bad]}"
        )
    out = np.zeros(len(sizes))
    out[sizes > 0] = lo
    return out


class RankNet(NeuralRanker):
    """RankNet (Burges et al., 2005): pairwise logistic loss over pairs with different labels.

    ``sigma``: steepness of the pairwise logistic. Other parameters: see `NeuralRanker`.
    """

    def __init__(
        self,
        sigma: float = 1.0,
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.sigma = sigma

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return "ranknet", {"sigma": self.sigma}


class LambdaRankNet(NeuralRanker):
    """RankNet loss weighted by LambdaRank's |ΔNDCG| of swapping each pair.

    ``sigma``: steepness of the pairwise logistic; ``ndcg_at``: truncation k of the |ΔNDCG|
    (None: whole list). Other parameters: see `NeuralRanker`.
    """

    def __init__(
        self,
        sigma: float = 1.0,
        ndcg_at: int | None = None,
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.sigma = sigma
        self.ndcg_at = ndcg_at

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return "lambdarank", {"sigma": self.sigma, "k": self.ndcg_at}


class ListNet(NeuralRanker):
    """ListNet (Cao et al., 2007): top-one cross entropy of label and score softmaxes.

    ``label_transform``: ``"identity"`` or ``"exp2"`` (2^l - 1) before the label softmax;
    ``temperature`` divides the transformed labels. Other parameters: see `NeuralRanker`.
    """

    def __init__(
        self,
        label_transform: str = "identity",
        temperature: float = 1.0,
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.label_transform = label_transform
        self.temperature = temperature

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return "listnet", {"label_transform": self.label_transform, "temperature": self.temperature}


class ListMLENet(NeuralRanker):
    """ListMLE (Xia et al., 2008): Plackett–Luce likelihood of the label order.

    ``ties``: ``"random"`` (equal labels shuffled every step, seeded by ``random_state``) or
    ``"stable"``. Other parameters: see `NeuralRanker`.
    """

    def __init__(
        self,
        ties: str = "random",
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.ties = ties

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return "listmle", {"ties": self.ties}


class ApproxNDCGNet(NeuralRanker):
    """ApproxNDCG (Qin et al., 2010): NDCG with sigmoid-smoothed ranks.

    ``alpha``: sharpness of the rank approximation. Other parameters: see `NeuralRanker`.
    """

    def __init__(
        self,
        alpha: float = 1.0,
        hidden_sizes: tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        n_epochs: int = 100,
        batch_size: int = 32,
        max_list_length: int | None = None,
        early_stopping_rounds: int | None = 10,
        eval_metric: str = "ndcg@10",
        eval_convention: str = "default",
        device: str = "auto",
        mixed_precision: str | bool = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.max_list_length = max_list_length
        self.early_stopping_rounds = early_stopping_rounds
        self.eval_metric = eval_metric
        self.eval_convention = eval_convention
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.alpha = alpha

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return "approxndcg", {"alpha": self.alpha}
