"""`NeuralRanker`: a scorer network (MLP or listwise attention) trained with a list loss.

It follows `boostrank.estimator.BaseRanker`'s contract: ``fit(X, y, qid=...)`` or
``fit(train, eval_set=vali)``, ``predict(X, *, qid=None)``, ``score``, ``save``/``load``,
pickling and ``clone``. The named estimators of `neural.estimators` (``RankNet``,
``ListNet``, ``AttentionNeuralNDCG``...) are subclasses that fix the loss (and scorer) and
expose the loss's keywords as parameters.

Fitted attributes: ``model_`` (the scorer module), ``preprocessor_``, ``history_`` (per
epoch: ``epoch``, ``train_loss``, ``train_time`` and ``eval_time`` in seconds),
``evals_result_`` (``{set: {eval_metric: [value per epoch]}}``), ``best_score_``,
``best_epoch_`` = ``best_iteration_`` (number of epochs kept: the 1-based epoch whose weights
were restored), ``n_epochs_run_``, ``device_``.
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from boostrank.data.ranking_data import RankingData, contiguous_order, group_offsets_from_qid
from boostrank.estimator import BaseRanker, EvalStep, TrainingCallback, run_callbacks
from boostrank.validation import (
    check_n_jobs,
    check_qid,
    check_random_state,
    check_relevance_labels,
    per_query_weights,
    restore_order,
)

from . import persistence
from .batching import ListBatcher
from .ensemble import ScorerEnsemble, member_seeds, standardising_stats
from .losses import LOSS_PARAMS, canonical_loss_name, get_loss
from .losses.gumbel import matrix_copies
from .parameters import NEURAL_CONSTRAINTS, check_loss, check_scorer
from .position_bias import (
    POSITION_BIAS_CONSTRAINTS,
    plan_position_training,
    resolve_position_bias,
)
from .preprocessing import FeaturePreprocessor
from .runtime import seeded, torch_threads
from .scorer import attention_heads, build_scorer, is_listwise
from .training import (
    TrainOptions,
    evaluate_targets,
    resolve_device,
    score_rows,
    train_ranker,
)

#: losses whose work grows with list_len**2 per list: batches are sized by lists * len**2
PAIRWISE_LOSSES = frozenset({"ranknet", "lambdarank", "approxndcg", "lambdaloss",
                             "neuralndcg", "hinge"})
#: losses holding a whole [len, len] matrix per list (the pairwise losses form their pairs in
#: bounded blocks, `neural.losses.pairs`, so they need no such cap)
QUADRATIC_MEMORY_LOSSES = frozenset({"neuralndcg", "approxndcg"})
#: cap on lists * len**2 per batch for pairwise losses and attention (about 64 MiB in float32)
MAX_PAIRS_PER_BATCH = 1 << 24
#: longest list trained whole under attention or a `QUADRATIC_MEMORY_LOSSES` loss: longer
#: queries are sampled down to this many documents each epoch (as ``max_list_length`` does)
MAX_QUADRATIC_LIST_LENGTH = 4096
#: losses defined for real-valued (fractional) labels; every other loss needs integers >= 0
REAL_LABEL_LOSSES = frozenset({"rmse", "listnet", "rankcosine"})


@dataclass
class _MemberRun:
    """What every member of one fit trains on (``Z``: the fitted preprocessing's output)."""

    strategy: Any
    Z: np.ndarray
    train: RankingData
    eval_sets: list[tuple[str, RankingData]]
    weights: np.ndarray | None
    plan: Any
    targets: list[Any] | None = None  # eval targets, built by the first member


def _as_sizes(hidden_sizes: Any) -> tuple[int, ...]:
    if isinstance(hidden_sizes, (int, np.integer)):
        return (int(hidden_sizes),)
    return tuple(hidden_sizes)


class NeuralRanker(BaseRanker):
    """A neural scorer trained on whole query lists with a ranking loss.

    Parameters
    ----------
    loss : str or torch.nn.Module, default "ranknet"
        A loss name of `neural.losses.get_loss` (``ranknet``, ``lambdarank``, ``listnet``,
        ``listmle``, ``approxndcg`` and the newer ``lambdaloss``, ``neuralndcg``,
        ``rankcosine``, ``wassrank``, ``hinge``, ``rmse``, ``ordinal``, ``softmax``) or a
        loss module.
    loss_params : dict or None
        Keyword parameters of the loss (e.g. ``{"sigma": 2.0}``); a keyword the loss does not
        take is an error before training.
    scorer : {"mlp", "attention", "dasalc"}, default "mlp"
        ``mlp`` scores each document alone; ``attention`` is the listwise self-attention
        scorer (`neural.attention.AttentionScorer`) that sees every document of the list;
        ``dasalc`` is DASALC's scorer (`neural.dasalc.DASALCScorer`), a per-document tower
        crossed with listwise self-attention.
    scorer_params : dict or None
        For ``scorer="attention"``: ``d_model``, ``n_layers``, ``n_heads`` (must divide
        ``d_model``), ``d_ff``, ``positional`` (None, ``"learned"``, ``"fixed"``), ``max_len``,
        ``input_layers`` (widths of per-document layers before the encoder, default none).
        For ``scorer="dasalc"``: ``hidden_size``, ``tower_layers``, ``n_layers``, ``n_heads``,
        ``head_size``.
    hidden_sizes : int or tuple of int, default (256, 128)
        MLP hidden widths (an int means one layer).
    activation : str, default "elu"
        MLP hidden activation (``relu``, ``elu``, ``gelu``, ``tanh``, ...).
    dropout : float in [0, 1), default 0.2
        Dropout probability (after each MLP hidden layer; inside the attention layers; in
        DASALC's tower, attention and latent cross).
    norm : {None, "batch", "layer"}
        MLP normalisation in each hidden layer.
    preprocessing : {"standard", "log1p", "query_minmax", "thermometer", "none"}, default "standard"
        Feature transform fitted on the training set and stored in the model. ``log1p`` is
        DASALC's signed log then standardisation; ``query_minmax`` is LETOR's QueryLevelNorm
        (`predict` then needs ``qid``); ``thermometer`` adds, per feature, indicators of its
        training quantiles and of ``x == 0`` (`neural.preprocessing`; about 17x the columns).
    input_noise : float >= 0, default 0.0
        Standard deviation of Gaussian noise added to the preprocessed features of every
        training batch (DASALC's augmentation; never at evaluation or prediction).
    learning_rate, weight_decay : float
        Adam's step size (> 0) and L2 penalty (>= 0).
    n_epochs : int, default 100
        Maximum number of passes over the training queries.
    batch_size : int, default 32
        Queries per batch (batches hold queries of similar length).
    max_list_length : int or None
        If set, each epoch samples at most this many documents per query. The attention
        scorer and the losses holding a whole [len, len] matrix (``neuralndcg``,
        ``approxndcg``) always sample queries longer than `MAX_QUADRATIC_LIST_LENGTH` (4096)
        documents down to that length (a warning says so), bounding memory; the pairwise
        losses bound theirs by forming pairs in blocks.
    early_stopping_rounds : int or None, default 10
        Stop after this many epochs without improvement of ``eval_metric`` on the first eval
        set (`boostrank.early_stopping.EarlyStopping`). With an eval set the best epoch's
        weights are always restored.
    eval_metric : str, default "ndcg@10"
        The metric watched on eval sets (any `boostrank.metrics` name).
    eval_convention : str, default "default"
        The evaluator convention for ``eval_metric``.
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:n]"``.
    mixed_precision : {"auto", True, False}
        bfloat16 autocast (``auto``: on GPU only).
    random_state : int, RandomState or None
        Seed for reproducible training (bit-identical on CPU); None: fresh randomness.
    verbose : bool
        Show a tqdm progress bar over epochs.
    n_jobs : int or None
        CPU threads torch may use during fit and predict (scikit-learn meaning: None is 1,
        -1 all cores).
    position_bias : {False, True, "dla", "learned", "ipw"}, default False
        Learn from a click log corrected for position bias (`neural.position_bias`), with the
        training rows' display positions (``RankingData.position`` or ``fit(...,
        position=...)``). True: ``"dla"`` for ``loss="softmax"`` / ``"rmse"``, ``"learned"``
        for the other losses. ``"dla"``: the dual learning algorithm (a per-position
        propensity learned jointly with the ranker, each weighting the other's loss).
        ``"learned"``: a learned bias per position added to the training logits and dropped
        at prediction (any loss). ``"ipw"``: inverse propensity weighting of the clicks
        (``loss="softmax"`` or ``"rmse"``) with ``propensities``, or propensities estimated
        first by a ``"dla"`` fit. ``predict`` never needs positions; ``propensities_``
        reports the propensities used or learned.
    propensities : array-like (n_positions,) or None
        For ``position_bias="ipw"``: the examination propensity of each rank,
        ``propensities[r - 1]`` for rank ``r`` (normalised so rank 1 is 1).
    ensemble_size : int >= 1, default 1
        Train this many networks with the seeds ``random_state``, ``random_state + 1``, ...
        (each with its own early stopping) and score with the mean of their scores, each
        standardised by its mean and standard deviation on the training rows
        (`neural.ensemble`; DASALC-ens). Member 0 is the model ``ensemble_size=1`` trains;
        ``history_``, ``evals_result_`` and ``best_epoch_`` describe it, ``best_score_`` is the
        ensemble's own value on each eval set, and
        ``ensemble_best_epochs_`` lists every member's best epoch; ``fit``'s callbacks (tuning's
        pruning among them) see member 0's epochs. Costs ``ensemble_size``
        times the training and prediction time. Not combined with ``position_bias``.

    Notes
    -----
    Labels must be integers >= 0 (as for the boosters), except for the losses of
    `REAL_LABEL_LOSSES` (``rmse``, ``listnet``, ``rankcosine``), which are defined for any
    real labels >= 0.
    """

    #: parameters a named subclass fixes (they are then not constructor parameters)
    fixed_params: ClassVar[dict[str, Any]] = {}
    #: declared constraints of the shared parameters (``loss`` and the loss / scorer keywords
    #: are checked by `neural.parameters.check_loss` / `check_scorer`)
    parameter_constraints: ClassVar[dict[str, list[Any]]] = {**NEURAL_CONSTRAINTS,
                                                             **POSITION_BIAS_CONSTRAINTS}

    def __init__(
        self,
        loss: str | torch.nn.Module = "ranknet",
        loss_params: dict[str, Any] | None = None,
        scorer: str = "mlp",
        scorer_params: dict[str, Any] | None = None,
        hidden_sizes: int | tuple[int, ...] = (256, 128),
        activation: str = "elu",
        dropout: float = 0.2,
        norm: str | None = None,
        preprocessing: str = "standard",
        input_noise: float = 0.0,
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
        position_bias: bool | str = False,
        propensities: Any = None,
        ensemble_size: int = 1,
    ) -> None:
        self.loss = loss
        self.loss_params = loss_params
        self.scorer = scorer
        self.scorer_params = scorer_params
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.norm = norm
        self.preprocessing = preprocessing
        self.input_noise = input_noise
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
        self.position_bias = position_bias
        self.propensities = propensities
        self.ensemble_size = ensemble_size

    # ----------------------------------------------------------------- parameters
    @classmethod
    def parameter_defaults(cls) -> dict[str, Any]:
        """Every constructor parameter of ``cls`` and its default, in signature order.

        Collected from the ``__init__`` of each class from ``cls`` up to `NeuralRanker` (the
        nearest default wins), less the `fixed_params` of a named subclass. This is what
        `get_params`, `clone`, `save` and the tuning spaces see.
        """
        defaults: dict[str, Any] = {}
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is not None:
                for p in inspect.signature(init).parameters.values():
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                        defaults.setdefault(p.name, p.default)
            if klass is NeuralRanker:
                break
        return {k: v for k, v in defaults.items() if k not in cls.fixed_params}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters (scikit-learn's contract; see `parameter_defaults`)."""
        return {name: getattr(self, name) for name in sorted(self.parameter_defaults())}

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:  # noqa: N803 (scikit-learn's name)
        defaults = self.parameter_defaults()
        changed = []
        for name, value in self.get_params().items():
            default = defaults[name]
            same = value is default or (type(value) is type(default) and value == default)
            if not same:
                changed.append(f"{name}={value!r}")
        text = f"{type(self).__name__}({', '.join(changed)})"
        return text if len(text) <= N_CHAR_MAX else text[:N_CHAR_MAX - 4] + "...)"

    def _loss_spec(self) -> tuple[str | torch.nn.Module, dict[str, Any]]:
        """(loss name or module, loss keywords) used for training."""
        return self.loss, dict(self.loss_params or {})

    def _scorer_spec(self) -> tuple[str, dict[str, Any]]:
        """(scorer name, scorer keywords) used for training."""
        return self.scorer, dict(self.scorer_params or {})

    def _loss_name(self) -> str:
        name, _ = self._loss_spec()
        return canonical_loss_name(name) if isinstance(name, str) else type(name).__name__.lower()

    def _resolve_params(self) -> None:
        """Cross-parameter checks after `parameter_constraints` (`BaseRanker.fit` runs both
        before any training): the loss and its keywords, the scorer and its keywords."""
        owner = type(self).__name__
        if not isinstance(self.loss, (str, torch.nn.Module)):
            raise ValueError(f"{owner}: loss must be a loss name or a torch.nn.Module; got "
                             f"{self.loss!r}")
        check_scorer(*self._scorer_spec(), owner=owner)
        check_loss(*self._loss_spec(), owner=owner)
        resolve_position_bias(self.position_bias, self._loss_name(), owner)
        self._check_threshold_outputs(owner)
        if self.ensemble_size > 1 and self.position_bias:
            raise ValueError(f"{owner}: ensemble_size={self.ensemble_size} with position_bias="
                             f"{self.position_bias!r} is not supported (each member would learn "
                             "its own propensities); use ensemble_size=1 with position_bias")

    def _multi_output_ordinal(self) -> dict[str, Any] | None:
        """The loss keywords when the loss is ``ordinal`` with ``multi_output=True`` (allRank's
        form, one scorer output per threshold), else None."""
        params = self._loss_spec()[1]
        if self._loss_name() == "ordinal" and params.get("multi_output", False):
            return params
        return None

    def _threshold_outputs(self) -> int:
        """Outputs per document of the scorer: ``n_thresholds`` for the multi-output ordinal
        loss, else 1."""
        params = self._multi_output_ordinal()
        return 1 if params is None else int(params["n_thresholds"])

    def _check_threshold_outputs(self, owner: str) -> None:
        params = self._multi_output_ordinal()
        if params is None:
            return
        if params.get("n_thresholds") is None:
            raise ValueError(f"{owner}: loss 'ordinal' with multi_output=True needs "
                             "n_thresholds (the scorer's outputs per document: the number of "
                             "grades above 0, e.g. 2 for labels 0-2)")
        if self.position_bias:
            raise ValueError(f"{owner}: position_bias={self.position_bias!r} is not supported "
                             "with the multi-output ordinal loss (its position term adds to one "
                             "score per document); use multi_output=False")

    def _check_labels(self, y: np.ndarray, *, where: str) -> None:
        super()._check_labels(y, where=where)
        loss = self._loss_name()
        if loss in REAL_LABEL_LOSSES:
            if y.size and (y < 0).any():
                bad = int(np.flatnonzero(y < 0)[0])
                raise ValueError(f"loss={loss!r} needs relevance labels >= 0; "
                                 f"{where}[{bad}] = {y[bad]:g}")
            return
        check_relevance_labels(y, owner=f"loss={loss!r}", name=where,
                               hint=f"Round or bin the labels, or use one of the losses "
                                    f"{sorted(REAL_LABEL_LOSSES)}.")
        self._warn_merged_grades(y, where)

    def _warn_merged_grades(self, y: np.ndarray, where: str) -> None:
        """Warn when ``ordinal``'s thresholds cannot tell the highest labels of ``y`` apart."""
        n_thresholds = self._loss_spec()[1].get("n_thresholds")
        if self._loss_name() != "ordinal" or n_thresholds is None or not y.size:
            return
        top = float(np.max(y))
        if top > n_thresholds:
            warnings.warn(
                f"{type(self).__name__}: loss 'ordinal' with n_thresholds={n_thresholds} "
                f"treats every label above {n_thresholds} as {n_thresholds}, and {where} goes "
                f"up to {top:g}; set n_thresholds={int(np.ceil(top))} to keep those grades "
                "apart", UserWarning, stacklevel=4)

    def _feature_dtype(self) -> Any:
        return np.float64

    def _n_threads(self) -> int:
        return check_n_jobs(getattr(self, "n_jobs", None)) or 1

    def _build_model(self, n_features: int) -> torch.nn.Module:
        """The fitted model's architecture: one scorer, or a `ScorerEnsemble` of
        ``ensemble_size`` scorers (what `load` fills with the saved weights)."""
        if self.ensemble_size > 1:
            return ScorerEnsemble([self._build_scorer(n_features)
                                   for _ in range(self.ensemble_size)])
        return self._build_scorer(n_features)

    def _build_scorer(self, n_features: int) -> torch.nn.Module:
        scorer, scorer_params = self._scorer_spec()
        return build_scorer(scorer, n_features, hidden_sizes=_as_sizes(self.hidden_sizes),
                            activation=self.activation, dropout=float(self.dropout),
                            norm=self.norm, scorer_params=scorer_params,
                            n_outputs=self._threshold_outputs())

    # ----------------------------------------------------------------- fit
    def _fit(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
             sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        _check_callbacks(callbacks)
        try:
            with torch_threads(self._n_threads()):
                self._fit_impl(train, eval_sets, sample_weight, callbacks)
        except BaseException:
            for attr in ("n_features_in_", "feature_names_in_", "model_", "preprocessor_",
                         "propensities_"):
                if hasattr(self, attr):
                    delattr(self, attr)
            raise

    def _fit_impl(self, train: RankingData, eval_sets: list[tuple[str, RankingData]],
                  sample_weight: np.ndarray | None, callbacks: list[TrainingCallback]) -> None:
        from .distributed import training_strategy

        strategy = training_strategy(resolve_device(self.device))
        device = strategy.device
        amp = (device.type == "cuda" if self.mixed_precision == "auto"
               else bool(self.mixed_precision))
        seed = check_random_state(self.random_state)
        if seed is None:
            seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        plan = plan_position_training(self, train, eval_sets, sample_weight)
        if plan is not None:
            train = plan.training_data(train)
        weights = per_query_weights(sample_weight, train,
                                    why="neural losses weight whole lists")
        preprocessor = FeaturePreprocessor(self.preprocessing)
        Z = preprocessor.fit_transform(train.X, train.group_offsets)
        self.preprocessor_, self.device_, self._amp = preprocessor, device, amp
        run = _MemberRun(strategy, Z, train, eval_sets, weights, plan)
        members, results = [], []
        for index, member_seed in enumerate(member_seeds(seed, self.ensemble_size)):
            # callbacks (pruning, logging) follow member 0, the model history_ describes
            model, result = self._train_member(run, member_seed, callbacks if index == 0 else [])
            members.append(model)
            results.append(result)
        if plan is not None:
            self.model_, self.propensities_ = plan.finish(members[0])
        elif len(members) == 1:
            self.model_ = members[0]
        else:
            self.model_ = self._ensemble(members, run)
        result = results[0]
        self.history_ = result.history
        self.evals_result_ = result.evals_result
        self.best_epoch_ = self.best_iteration_ = result.best_epoch
        # an ensemble's best score is its own, on the eval sets its members were watched on
        self.best_score_ = (result.best_score if len(members) == 1 else evaluate_targets(
            self.model_, run.targets or [], amp=self._amp,
            listwise=is_listwise(self._scorer_spec()[0])))
        self.n_epochs_run_ = result.n_epochs_run
        self.ensemble_best_epochs_ = [int(r.best_epoch) for r in results]

    def _train_member(self, run: _MemberRun, seed: int, callbacks: list[TrainingCallback]
                      ) -> tuple[torch.nn.Module, Any]:
        """Train one network with ``seed``; returns it (eval mode) and its training result."""
        device, preprocessor, Z = run.strategy.device, self.preprocessor_, run.Z
        # CPU runs are bit-reproducible; on CUDA, deterministic mode would need
        # CUBLAS_WORKSPACE_CONFIG and slower kernels, so it is left to the user there.
        with seeded(seed, device, deterministic=device.type == "cpu"):
            model = self._build_scorer(preprocessor.n_outputs_).to(device)
            if run.plan is not None:
                model = run.plan.wrap(model, preprocessor.n_outputs_).to(device)
                Z = run.plan.training_features(Z)
            loss_module = self._build_loss(device, seed)
            if run.plan is not None:
                loss_module = run.plan.wrap_loss(loss_module)
            batcher = self._batcher(run.strategy, Z, run.train, run.weights)
            if run.targets is None:  # (the members share them)
                run.targets = [run.strategy.eval_target(
                    name, preprocessor.transform(d.X, d.group_offsets), d, self.eval_metric,
                    self.eval_convention) for name, d in run.eval_sets]
            self.model_ = model
            options = TrainOptions(
                n_epochs=int(self.n_epochs), learning_rate=float(self.learning_rate),
                weight_decay=float(self.weight_decay), eval_metric=self.eval_metric,
                early_stopping_rounds=self.early_stopping_rounds, amp=self._amp,
                listwise=is_listwise(self._scorer_spec()[0]),
                input_noise=float(self.input_noise), verbose=self.verbose,
                desc=type(self).__name__)
            result = train_ranker(run.strategy.wrap_model(model), loss_module, batcher,
                                  options, eval_targets=run.targets,
                                  on_epoch=self._epoch_hook(callbacks),
                                  rng=np.random.default_rng(seed))
        model.eval()
        return model, result

    def _ensemble(self, members: list[torch.nn.Module], run: _MemberRun) -> ScorerEnsemble:
        """`ScorerEnsemble` of the trained members, standardised on the training rows."""
        X = torch.from_numpy(run.Z).to(run.strategy.device)
        listwise = is_listwise(self._scorer_spec()[0])
        stats = [standardising_stats(score_rows(
            member, X, amp=self._amp,
            group_offsets=run.train.group_offsets, listwise=listwise)) for member in members]
        ensemble = ScorerEnsemble(members, [m for m, _ in stats], [s for _, s in stats])
        return ensemble.to(run.strategy.device).eval()

    def _build_loss(self, device: torch.device, seed: int) -> torch.nn.Module:
        name, params = self._loss_spec()
        if "generator" in LOSS_PARAMS.get(self._loss_name(), ()):
            # every loss that can draw random numbers takes one; it is used only when the
            # loss does draw (random ties, Gumbel copies)
            params.setdefault("generator", torch.Generator(device=device).manual_seed(seed))
        return get_loss(name, **params)

    def _batcher(self, strategy: Any, Z: np.ndarray, train: RankingData,
                 weights: np.ndarray | None) -> ListBatcher:
        scorer, scorer_params = self._scorer_spec()
        listwise = is_listwise(scorer)
        quadratic = self._loss_name() in PAIRWISE_LOSSES or listwise
        whole_matrix = self._loss_name() in QUADRATIC_MEMORY_LOSSES or listwise
        max_elements, cap = MAX_PAIRS_PER_BATCH, MAX_QUADRATIC_LIST_LENGTH
        if listwise:  # the attention matrices hold lists * heads * len**2 elements
            from .attention import MAX_ATTENTION_ELEMENTS

            max_elements = min(max_elements,
                               MAX_ATTENTION_ELEMENTS // attention_heads(scorer, scorer_params))
            cap = min(cap, math.isqrt(max_elements))
        copies = matrix_copies(self._loss_name(), self._loss_spec()[1])
        if copies > 1:  # a stochastic loss scores n_samples copies of every list
            max_elements //= copies
            cap = min(cap, math.isqrt(max_elements))
        max_len = self.max_list_length
        longest = int(np.diff(train.group_offsets).max(initial=0))
        if whole_matrix and longest > cap and (max_len is None or max_len > cap):
            warnings.warn(
                f"{type(self).__name__}: the longest training query has {longest} documents; "
                f"its memory grows with the square of the list length, so each epoch samples "
                f"{cap} documents of every longer query (set max_list_length to choose the "
                "sample size)", UserWarning, stacklevel=5)
            max_len = cap
        if listwise:
            self._check_positional_length(min(longest, max_len or longest))
        Z, y, offsets, weights = strategy.shard_training(Z, train.y, train.group_offsets,
                                                         weights)
        device = strategy.device
        X_t = torch.from_numpy(Z).to(device)
        # (a copy: labels of a memory-mapped RankingData are read-only)
        y_t = torch.tensor(np.asarray(y, dtype=np.float32), device=device)
        batcher = ListBatcher(
            X_t, y_t, offsets, batch_size=strategy.local_batch_size(self.batch_size),
            max_list_length=max_len,
            max_elements=max_elements if quadratic else None,
            element_power=2 if quadratic else 1, query_weights=weights)
        return strategy.equal_steps(batcher)

    def _check_positional_length(self, length: int) -> None:
        scorer_params = self._scorer_spec()[1]
        limit = scorer_params.get("max_len", 512)
        if scorer_params.get("positional") is not None and length > limit:
            raise ValueError(
                f"{type(self).__name__}: training lists have up to {length} documents, more "
                f"than max_len={limit} of the positional encoding; raise max_len or set "
                f"max_list_length <= {limit}")

    def _epoch_hook(self, callbacks: list[TrainingCallback]) -> Any:
        def on_epoch(epoch: int, evals: dict[str, dict[str, float]], loss: float) -> bool:
            if not callbacks or not evals:
                return False
            return run_callbacks(callbacks, EvalStep(
                step=epoch, evals=evals, estimator=self, extra={"train_loss": loss}))

        return on_epoch

    def save(self, path: str | os.PathLike) -> Path:
        """Write the model file (see `BaseRanker.save`); under torchrun only rank 0 writes,
        the other ranks return the path without writing."""
        from .distributed import is_main_process

        if not is_main_process():
            return Path(path)
        return super().save(path)

    # ----------------------------------------------------------------- predict / score
    def predict(self, X: Any, *, qid: Any = None, group: Any = None) -> np.ndarray:
        """Scores (n_rows,) float64 in the caller's row order; higher is more relevant.

        Parameters
        ----------
        X : ndarray (n_rows, n_features), sparse matrix, DataFrame or `RankingData`
            The documents to score (a `RankingData` carries its own queries).
        qid : array-like (n_rows,), optional
            Query id of each row. Needed by query-level preprocessing
            (``preprocessing="query_minmax"``) and by the listwise attention scorer; ignored
            otherwise.
        group : array-like (n_queries,), optional
            Query sizes instead of ``qid``.
        """
        self._check_fitted()
        if qid is not None and group is not None:
            raise ValueError("predict: give either qid or group, not both")
        offsets, order = None, None
        if isinstance(X, RankingData):
            offsets = X.group_offsets
        elif group is not None:
            offsets = np.concatenate([[0], np.cumsum(np.asarray(group, dtype=np.int64))])
        features = self._check_predict_features(X)
        n_rows = features.shape[0]
        if qid is not None and group is None and offsets is None:
            qid = check_qid(qid, n_rows)
            order, _ = contiguous_order(qid)
            offsets = group_offsets_from_qid(qid if order is None else qid[order])
        if offsets is not None and int(offsets[-1]) != n_rows:
            raise ValueError(f"qid/group describe {int(offsets[-1])} rows, X has {n_rows}")
        if order is not None:
            features = features[order]
        return restore_order(self._predict_grouped(features, offsets), order)

    def _predict_grouped(self, features: Any, offsets: np.ndarray | None) -> np.ndarray:
        listwise = is_listwise(self._scorer_spec()[0])
        if offsets is None and (self.preprocessor_.needs_groups or listwise):
            why = ("preprocessing='query_minmax' normalises within each query"
                   if self.preprocessor_.needs_groups
                   else f"scorer={self._scorer_spec()[0]!r} scores whole queries")
            raise ValueError(f"{type(self).__name__}.predict needs qid= (one query id per "
                             f"row): {why}")
        Z = self.preprocessor_.transform(features, offsets)
        device = next(self.model_.parameters()).device
        with torch_threads(self._n_threads()):
            return score_rows(self.model_, torch.from_numpy(Z).to(device), listwise=listwise,
                              group_offsets=offsets,
                              amp=getattr(self, "_amp", False) and device.type == "cuda")

    def _predict(self, X: Any) -> np.ndarray:
        return self._predict_grouped(X, None)

    # ----------------------------------------------------------------- persistence
    def _payload(self) -> tuple[dict[str, bytes], dict[str, Any]]:
        files = {persistence.WEIGHTS_FILE: persistence.weights_to_bytes(self.model_),
                 **persistence.preprocessing_to_files(self.preprocessor_)}
        meta = {"preprocessing": self.preprocessor_.state()[0],
                **persistence.training_summary(self)}
        if getattr(self, "propensities_", None) is not None:
            meta["propensities"] = [float(p) for p in self.propensities_]
        return files, meta

    def _restore_payload(self, files: dict[str, bytes], meta: dict[str, Any]) -> None:
        self.preprocessor_ = persistence.preprocessing_from_files(files)
        self._restore_model(persistence.weights_from_files(files))
        persistence.restore_training_summary(self, meta)
        if meta.get("propensities") is not None:
            self.propensities_ = np.asarray(meta["propensities"], dtype=np.float64)

    def _restore_model(self, state: dict[str, torch.Tensor]) -> None:
        model = self._build_model(int(self.preprocessor_.n_outputs_))
        model.load_state_dict(state)
        model.eval()
        self.model_ = model
        self.device_ = torch.device("cpu")
        self._amp = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        if "model_" in state:
            state["model_"] = persistence.weights_to_bytes(self.model_)
            state["device_"] = "cpu"
            state["_amp"] = False
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        model_bytes = state.get("model_")
        if not isinstance(model_bytes, bytes):
            super().__setstate__(state)
            return
        state = {k: v for k, v in state.items() if k != "model_"}
        super().__setstate__(state)
        self._restore_model(persistence.weights_from_bytes(model_bytes))


def _check_callbacks(callbacks: list[Any]) -> None:
    """Neural rankers call functions of an `EvalStep`; a booster's callback is refused."""
    from boostrank.boosters.callbacks import callback_backend

    for i, callback in enumerate(callbacks):
        backend = callback_backend(callback)
        if backend is not None or not callable(callback):
            what = f"a {backend} callback" if backend else "not callable"
            raise TypeError(f"callbacks[{i}] ({type(callback).__name__}) is {what}; neural "
                            "rankers take functions of an EvalStep (called after each epoch)")
