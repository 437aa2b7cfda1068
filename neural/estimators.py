"""Named neural rankers: `NeuralRanker` with a fixed loss (and scorer), by their paper names.

Each class fixes ``loss`` (and, for the attention models, ``scorer``) and exposes the loss's
keywords as its own parameters (``RankNet(sigma=2.0)``); every other parameter is
`NeuralRanker`'s, with the same meaning and default. scikit-learn sees real parameters:
`NeuralRanker.get_params` collects them from the ``__init__`` of each class of the hierarchy,
so `get_params`, `set_params`, `clone`, `save`/`load` and the tuning spaces work as for any
estimator.

==========================  =======================  ==========================================
class                       registry name            loss (scorer)
==========================  =======================  ==========================================
`RankNet`                   ``ranknet``              ``ranknet`` (mlp)
`LambdaRankNet`             ``lambdarank_nn``        ``lambdarank`` (mlp)
`ListNet`                   ``listnet``              ``listnet`` (mlp)
`ListMLENet`                ``listmle``              ``listmle`` (mlp)
`ApproxNDCGNet`             ``approxndcg``           ``approxndcg`` (mlp)
`WassRankNet`               ``wassrank``             ``wassrank`` (mlp)
`AttentionNeuralNDCG`       ``attention_neuralndcg`` ``neuralndcg`` (attention)
`AttentionListNet`          ``attention_listnet``    ``listnet`` (attention)
`AttentionLambdaLoss`       ``attention_lambdaloss`` ``lambdaloss`` (attention)
`AttentionRankNet`          ``attention_ranknet``    ``ranknet`` (attention)
`DASALCRanker`              ``attention_dasalc``     ``softmax`` (dasalc)
==========================  =======================  ==========================================
"""

from __future__ import annotations

from typing import Any, ClassVar

from boostrank.metrics.gains import resolve_gain

from .losses.gumbel import DEFAULT_SAMPLES
from .losses.wassrank import DEFAULT_TIE_COST
from .parameters import LOSS_KEYWORD_CONSTRAINTS
from .ranker import NeuralRanker

__all__ = [
    "NeuralRanker", "NamedNeuralRanker", "AttentionRanker", "RankNet", "LambdaRankNet",
    "ListNet", "ListMLENet", "ApproxNDCGNet", "WassRankNet", "AttentionNeuralNDCG", "AttentionListNet",
    "AttentionLambdaLoss", "AttentionRankNet", "DASALCRanker", "REGISTRY_NAMES",
]


def _fixed(loss: str, scorer: str = "mlp") -> dict[str, Any]:
    return {"loss": loss, "loss_params": None, "scorer": scorer, "scorer_params": None}


class NamedNeuralRanker(NeuralRanker):
    """Base of the named rankers: `fixed_params` set the loss and scorer; `loss_keywords`
    maps the class's own parameters to the loss's keyword names."""

    #: estimator parameter -> loss keyword
    loss_keywords: ClassVar[dict[str, str]] = {}
    #: estimator parameters passed to the scorer as ``scorer_params``
    scorer_keywords: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        super().__init__(**self.fixed_params, **params)

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        return self.fixed_params["loss"], {
            keyword: getattr(self, name) for name, keyword in self.loss_keywords.items()}

    def _scorer_spec(self) -> tuple[str, dict[str, Any]]:
        return self.fixed_params["scorer"], {
            name: getattr(self, name) for name in self.scorer_keywords}


class RankNet(NamedNeuralRanker):
    """RankNet (Burges et al., 2005): pairwise logistic loss over pairs with different labels.

    Parameters
    ----------
    sigma : float > 0, default 1.0
        Steepness of the pairwise logistic.
    **params
        Any other `NeuralRanker` parameter (not ``loss``/``scorer``).
    """

    fixed_params = _fixed("ranknet")
    loss_keywords = {"sigma": "sigma"}

    def __init__(self, sigma: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self.sigma = sigma


class LambdaRankNet(NamedNeuralRanker):
    """RankNet loss weighted by LambdaRank's |ΔNDCG| of swapping each pair.

    Parameters
    ----------
    sigma : float > 0, default 1.0
        Steepness of the pairwise logistic.
    ndcg_at : int >= 1 or None
        Truncation k of the |ΔNDCG| (None: whole list).
    **params
        Any other `NeuralRanker` parameter.
    """

    fixed_params = _fixed("lambdarank")
    loss_keywords = {"sigma": "sigma", "ndcg_at": "k"}
    parameter_constraints = {**NeuralRanker.parameter_constraints,
                             "ndcg_at": LOSS_KEYWORD_CONSTRAINTS["k"]}

    def __init__(self, sigma: float = 1.0, ndcg_at: int | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.sigma = sigma
        self.ndcg_at = ndcg_at


class _ListNetKeywords:
    """ListNet's keywords; its ``label_transform`` is a gain name (`boostrank.metrics.gains`)."""

    loss_keywords: ClassVar[dict[str, str]] = {
        name: name for name in ("label_transform", "temperature", "stochastic", "n_samples",
                                "gumbel_temperature")}

    def _loss_spec(self) -> tuple[str, dict[str, Any]]:
        name, params = super()._loss_spec()
        params["label_transform"] = resolve_gain(params["label_transform"],
                                                 param="label_transform")
        return name, params

    def _set_listnet_keywords(self, label_transform: str, temperature: float,
                              stochastic: bool, n_samples: int,
                              gumbel_temperature: float) -> None:
        self.label_transform = label_transform
        self.temperature = temperature
        self.stochastic = stochastic
        self.n_samples = n_samples
        self.gumbel_temperature = gumbel_temperature


class ListNet(_ListNetKeywords, NamedNeuralRanker):
    """ListNet (Cao et al., 2007): top-one cross entropy of label and score softmaxes.

    Parameters
    ----------
    label_transform : {"linear", "exponential"}, default "linear"
        Gain applied to the labels before their softmax (``linear``: the label, as in allRank;
        ``exponential``: 2^l - 1). The older ``"identity"`` / ``"exp2"`` are deprecated aliases.
    temperature : float > 0, default 1.0
        Divides the gains before the softmax.
    stochastic : bool, default False
        STListNet (PT-Ranking's; Bruch et al., WSDM 2020): the score softmax is taken over
        Gumbel-perturbed scores ``(s + G) / gumbel_temperature``, drawn from a generator
        seeded by ``random_state``, and averaged over ``n_samples`` copies of each list.
    n_samples : int >= 1, default 1
        Perturbed copies per list and step (stochastic variant only; PT-Ranking draws one).
    gumbel_temperature : float > 0, default 1.0
        Divides the perturbed scores (stochastic variant only; PT-Ranking's ``temperature``).
    **params
        Any other `NeuralRanker` parameter.
    """

    fixed_params = _fixed("listnet")

    def __init__(self, label_transform: str = "linear", temperature: float = 1.0,
                 stochastic: bool = False, n_samples: int = DEFAULT_SAMPLES["listnet"],
                 gumbel_temperature: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self._set_listnet_keywords(label_transform, temperature, stochastic, n_samples,
                                   gumbel_temperature)


class ListMLENet(NamedNeuralRanker):
    """ListMLE (Xia et al., 2008): Plackett-Luce likelihood of the label order.

    Parameters
    ----------
    ties : {"random", "stable"}, default "random"
        Equal labels shuffled every step (seeded by ``random_state``) or kept in row order.
    **params
        Any other `NeuralRanker` parameter.
    """

    fixed_params = _fixed("listmle")
    loss_keywords = {"ties": "ties"}

    def __init__(self, ties: str = "random", **params: Any) -> None:
        super().__init__(**params)
        self.ties = ties


class ApproxNDCGNet(NamedNeuralRanker):
    """ApproxNDCG (Qin et al., 2010): NDCG with sigmoid-smoothed ranks.

    Parameters
    ----------
    alpha : float > 0, default 1.0
        Sharpness of the rank approximation.
    stochastic : bool, default False
        Gumbel-ApproxNDCG (TF-Ranking's ``GumbelApproxNDCGLoss``): the loss averaged over
        ``n_samples`` Gumbel-softmax samples of each list at ``gumbel_temperature``, the
        noise drawn from a generator seeded by ``random_state``. Training memory per list
        grows ``n_samples`` times, so batches hold that many times fewer list elements.
    n_samples : int >= 1, default 8
        Samples per list (stochastic variant only; TF-Ranking's ``sample_size``).
    gumbel_temperature : float > 0, default 1.0
        Temperature of the Gumbel softmax (stochastic variant only).
    **params
        Any other `NeuralRanker` parameter.
    """

    fixed_params = _fixed("approxndcg")
    loss_keywords = {"alpha": "alpha", "stochastic": "stochastic", "n_samples": "n_samples",
                     "gumbel_temperature": "gumbel_temperature"}

    def __init__(self, alpha: float = 1.0, stochastic: bool = False,
                 n_samples: int = DEFAULT_SAMPLES["approxndcg"],
                 gumbel_temperature: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self.alpha = alpha
        self.stochastic = stochastic
        self.n_samples = n_samples
        self.gumbel_temperature = gumbel_temperature


class WassRankNet(NamedNeuralRanker):
    """WassRank (Yu et al., WSDM 2019): entropic optimal transport from the score softmax to
    the label softmax, PT-Ranking's definition (`neural.losses.wassrank_loss`).

    Parameters
    ----------
    regularization : float > 0, default 0.1
        Entropic regularisation of the transport (PT-Ranking's ``lam``).
    n_iter : int >= 1, default 20
        Sinkhorn rounds per step (PT-Ranking's ``sh_itr``).
    gain_base : float > 1, default 4.0
        Base of the gains ``gain_base^y - 1`` of the transport cost.
    relevance_gap : float >= 0, default 100.0
        Extra cost between a relevant and a non-relevant document (``non_rele_gap``).
    tie_cost : float >= 0, default e
        Cost between two documents of the same grade (``var_penalty``).
    **params
        Any other `NeuralRanker` parameter.

    Notes
    -----
    The gradient is WassRank's dual potential, not the derivative of the reported transport
    cost, so the training loss need not fall while the validation metric rises.
    """

    fixed_params = _fixed("wassrank")
    loss_keywords = {"regularization": "regularization", "n_iter": "n_iter",
                     "gain_base": "gain_base", "relevance_gap": "relevance_gap",
                     "tie_cost": "tie_cost"}

    def __init__(self, regularization: float = 0.1, n_iter: int = 20, gain_base: float = 4.0,
                 relevance_gap: float = 100.0, tie_cost: float = DEFAULT_TIE_COST,
                 **params: Any) -> None:
        super().__init__(**params)
        self.regularization = regularization
        self.n_iter = n_iter
        self.gain_base = gain_base
        self.relevance_gap = relevance_gap
        self.tie_cost = tie_cost


class AttentionRanker(NamedNeuralRanker):
    """Base of the attention models: the listwise self-attention scorer's parameters.

    Parameters
    ----------
    d_model : int, default 64
        Width of the encoder (``n_heads`` must divide it).
    n_layers : int, default 2
        Encoder layers.
    n_heads : int, default 4
        Attention heads per layer.
    d_ff : int, default 128
        Width of each layer's feed-forward block.
    positional : {None, "learned", "fixed"}
        Positional encoding of the documents' input order (None: scores do not depend on it).
    input_layers : tuple of int, default ()
        Widths of a per-document feed-forward stack (Linear, ELU, dropout) before the encoder,
        allRank's ``fc_model``; empty projects the features directly. On MQ2008 ``(256, 128)``
        (the MLP rankers' layers) raised the mean single-network validation NDCG@10 of
        attention + ``ranknet`` from 0.2288 to 0.2331 (docs/neural.md).
    dropout : float, default 0.3
        Dropout inside the encoder.
    weight_decay : float >= 0, default 0.01
        Adam's L2 penalty. The attention scorer sees whole lists and memorises small training
        sets quickly (on ``data/sample``, 300 queries, training NDCG@10 reaches 0.98 while
        validation peaks at epoch 9 without it); 0.01 with dropout 0.3 raised validation
        NDCG@10 from 0.759 to 0.798 there.
    batch_size : int, default 16
        Queries per batch.
    n_epochs : int, default 200
        Maximum number of epochs (with early stopping on the first eval set).
    early_stopping_rounds : int or None, default 20
        Epochs without improvement before stopping.
    **params
        Any other `NeuralRanker` parameter (``hidden_sizes``/``activation``/``norm`` are
        unused by this scorer).

    Notes
    -----
    These training defaults differ from `NeuralRanker`'s (dropout 0.2, no weight decay,
    batch 32, 100 epochs, patience 10); they were chosen on the validation split of
    ``data/sample``.
    """

    scorer_keywords = ("d_model", "n_layers", "n_heads", "d_ff", "positional", "input_layers")

    def __init__(self, d_model: int = 64, n_layers: int = 2, n_heads: int = 4,
                 d_ff: int = 128, positional: str | None = None,
                 input_layers: tuple[int, ...] = (), dropout: float = 0.3,
                 weight_decay: float = 1e-2, batch_size: int = 16, n_epochs: int = 200,
                 early_stopping_rounds: int | None = 20, **params: Any) -> None:
        super().__init__(dropout=dropout, weight_decay=weight_decay, batch_size=batch_size,
                         n_epochs=n_epochs, early_stopping_rounds=early_stopping_rounds,
                         **params)
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.d_ff = d_ff
        self.positional = positional
        self.input_layers = input_layers


class AttentionNeuralNDCG(AttentionRanker):
    """Listwise self-attention scorer trained with NeuralNDCG (Pobrotyn & Białobrzeski, 2021).

    Parameters
    ----------
    temperature : float > 0, default 1.0
        NeuralSort temperature (NDCG is recovered as it goes to 0).
    k : int >= 1 or None
        NDCG truncation (None: whole list).
    stochastic : bool, default False
        Gumbel-NeuralNDCG (allRank's ``stochastic=True``): the loss averaged over
        ``n_samples`` Gumbel-perturbed copies of each list, noise scale ``beta``. The noise is
        drawn from a generator seeded by ``random_state``; training memory per list grows
        ``n_samples`` times, so batches hold that many times fewer documents.
    n_samples : int >= 1, default 32
        Perturbed copies per list (stochastic variant only).
    beta : float > 0, default 0.1
        Scale of the Gumbel noise (stochastic variant only).
    **params
        The attention parameters of `AttentionRanker` and any other `NeuralRanker` one.
    """

    fixed_params = _fixed("neuralndcg", "attention")
    loss_keywords = {"temperature": "temperature", "k": "k", "stochastic": "stochastic",
                     "n_samples": "n_samples", "beta": "beta"}

    def __init__(self, temperature: float = 1.0, k: int | None = None,
                 stochastic: bool = False, n_samples: int = DEFAULT_SAMPLES["neuralndcg"],
                 beta: float = 0.1,
                 **params: Any) -> None:
        super().__init__(**params)
        self.temperature = temperature
        self.k = k
        self.stochastic = stochastic
        self.n_samples = n_samples
        self.beta = beta


class AttentionListNet(_ListNetKeywords, AttentionRanker):
    """Listwise self-attention scorer trained with ListNet (allRank's context-aware setup).

    Parameters
    ----------
    label_transform : {"linear", "exponential"}, default "linear"
        Gain of the labels before their softmax (see `ListNet`).
    temperature : float > 0, default 1.0
        Divides the gains before the softmax.
    stochastic : bool, default False
        STListNet, averaged over ``n_samples`` (default 1) Gumbel-perturbed copies of each
        list at ``gumbel_temperature`` (default 1.0); see `ListNet`.
    n_samples : int >= 1, default 1
    gumbel_temperature : float > 0, default 1.0
    **params
        The attention parameters of `AttentionRanker` and any other `NeuralRanker` one.
    """

    fixed_params = _fixed("listnet", "attention")

    def __init__(self, label_transform: str = "linear", temperature: float = 1.0,
                 stochastic: bool = False, n_samples: int = DEFAULT_SAMPLES["listnet"],
                 gumbel_temperature: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self._set_listnet_keywords(label_transform, temperature, stochastic, n_samples,
                                   gumbel_temperature)


class AttentionLambdaLoss(AttentionRanker):
    """Listwise self-attention scorer trained with LambdaLoss (Wang et al., 2018).

    Parameters
    ----------
    weighing_scheme : str, default "ndcgLoss2++"
        The LambdaLoss weighing scheme (see `neural.losses`).
    k : int >= 1 or None
        Truncation of the weights (None: whole list).
    sigma : float > 0, default 1.0
        Steepness of the pairwise logistic.
    **params
        The attention parameters of `AttentionRanker` and any other `NeuralRanker` one.
    """

    fixed_params = _fixed("lambdaloss", "attention")
    loss_keywords = {"weighing_scheme": "weighing_scheme", "k": "k", "sigma": "sigma"}

    def __init__(self, weighing_scheme: str = "ndcgLoss2++", k: int | None = None,
                 sigma: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self.weighing_scheme = weighing_scheme
        self.k = k
        self.sigma = sigma


class AttentionRankNet(AttentionRanker):
    """Listwise self-attention scorer trained with the RankNet loss.

    Parameters
    ----------
    sigma : float > 0, default 1.0
        Steepness of the pairwise logistic.
    **params
        The attention parameters of `AttentionRanker` and any other `NeuralRanker` one.

    Notes
    -----
    On MQ2008 (5 folds, LETOR convention) ``AttentionRankNet(input_layers=(256, 128),
    d_model=128, d_ff=256, eval_convention="letor", ensemble_size=10)`` is the strongest
    attention configuration measured: test NDCG@10 0.2319 (docs/neural.md, "Seed ensembles").
    """

    fixed_params = _fixed("ranknet", "attention")
    loss_keywords = {"sigma": "sigma"}

    def __init__(self, sigma: float = 1.0, **params: Any) -> None:
        super().__init__(**params)
        self.sigma = sigma


class DASALCRanker(NamedNeuralRanker):
    """DASALC (Qin et al., ICLR 2021): DASALC's scorer, inputs and loss, as TF-Ranking's
    ``research/dasalc.py`` trains it.

    The scorer is `neural.dasalc.DASALCScorer` (a per-document tower crossed with listwise
    self-attention); the inputs go through the ``log1p`` transform and, in training, Gaussian
    noise; the loss is TF-Ranking's softmax cross entropy (``softmax``). The defaults are
    TF-Ranking's for Web30K; docs/neural.md gives the settings measured on MQ2008.

    Parameters
    ----------
    temperature : float > 0, default 1.0
        Divides the scores before the softmax (``softmax`` loss).
    hidden_size : int, default 512
        Width of the per-document tower and of the latent cross.
    tower_layers : int >= 0, default 2
        Hidden blocks (Linear, ReLU, BatchNorm, dropout) of the tower.
    n_layers : int, default 4
        Self-attention layers of the document-interaction branch.
    n_heads : int, default 2
        Attention heads per layer.
    head_size : int, default 100
        Dimensions per head, and width of the interaction branch.
    dropout : float, default 0.4
        Dropout of the tower, the attention layers and the latent cross.
    input_noise : float >= 0, default 1.5
        Standard deviation of the Gaussian noise added to the preprocessed features in
        training (TF-Ranking: 1.5 on Web30K, 4.5 on Yahoo, 0.2 on Istella).
    preprocessing : str, default "log1p"
        ``sign(x) log(1 + |x|)`` then standardisation (`neural.preprocessing`).
    batch_size : int, default 128
        Queries per batch.
    **params
        Any other `NeuralRanker` parameter (``hidden_sizes``/``activation``/``norm`` are
        unused by this scorer).
    """

    fixed_params = _fixed("softmax", "dasalc")
    loss_keywords = {"temperature": "temperature"}
    scorer_keywords = ("hidden_size", "tower_layers", "n_layers", "n_heads", "head_size")

    def __init__(self, temperature: float = 1.0, hidden_size: int = 512,
                 tower_layers: int = 2, n_layers: int = 4, n_heads: int = 2,
                 head_size: int = 100, dropout: float = 0.4, input_noise: float = 1.5,
                 preprocessing: str = "log1p", batch_size: int = 128,
                 **params: Any) -> None:
        super().__init__(dropout=dropout, input_noise=input_noise,
                         preprocessing=preprocessing, batch_size=batch_size, **params)
        self.temperature = temperature
        self.hidden_size = hidden_size
        self.tower_layers = tower_layers
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.head_size = head_size


#: registry name -> class name, the entries `boostrank.registry.MODELS` needs
REGISTRY_NAMES: dict[str, str] = {
    "ranknet": "RankNet",
    "listnet": "ListNet",
    "lambdarank_nn": "LambdaRankNet",
    "listmle": "ListMLENet",
    "approxndcg": "ApproxNDCGNet",
    "wassrank": "WassRankNet",
    "attention_neuralndcg": "AttentionNeuralNDCG",
    "attention_listnet": "AttentionListNet",
    "attention_lambdaloss": "AttentionLambdaLoss",
    "attention_ranknet": "AttentionRankNet",
    "attention_dasalc": "DASALCRanker",
}
