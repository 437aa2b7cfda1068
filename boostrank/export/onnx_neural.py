"""``onnx`` and ``torch`` for the neural rankers: the scorer with its preprocessing inside.

`PreprocessedScorer` wraps the fitted ``model_`` (an ``MLPScorer``, or a
``neural.ensemble.ScorerEnsemble`` of them for ``ensemble_size > 1``) behind the fitted feature
preprocessing (``preprocessor_``: ``standard``, ``log1p``, ``thermometer`` or ``none``; NaN -> 0
and clipping included), so ``module(x)`` equals ``model.predict(x)`` up to float32 rounding.
``query_minmax`` depends on the other documents of the query and cannot be exported.
"""

from __future__ import annotations

import copy
import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .common import ExportResult
from .errors import ExportError
from .onnx_lib import ONNX_OPSET, import_onnx, set_metadata

EXPORTABLE_PREPROCESSING = ("standard", "log1p", "thermometer", "none")
TORCH_FORMAT = "boostrank-torch-scorer"


def float32_edges(edges: Any) -> np.ndarray:
    """The thermometer edges as float32, each rounded down to the largest float32 <= it, so
    that ``x > edge32`` equals ``x > edge`` for every float32 ``x`` (rounding to nearest could
    land an edge on a feature value and flip its indicator)."""
    exact = np.asarray(edges, dtype=np.float64)
    rounded = exact.astype(np.float32)
    above = rounded.astype(np.float64) > exact
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def preprocessed_scorer(model: Any) -> Any:
    """A CPU ``torch.nn.Module`` in eval mode: float32 ``[n, n_features]`` -> scores ``[n]``."""
    import torch

    pre = model.preprocessor_
    if getattr(model, "scorer", "mlp") != "mlp":
        raise ExportError(
            f"scorer={model.scorer!r} scores each document from the whole list of its query; "
            "the exported graphs score one document at a time (input [n, n_features]), so "
            "only MLP rankers (scorer='mlp') can be exported. Keep the model file (save / "
            "load) to score with it")
    if pre.method not in EXPORTABLE_PREPROCESSING:
        why = {"query_minmax": "normalises each feature within its query, which a "
                               "per-document graph cannot do"}.get(
            pre.method, "is not built into the exported graphs")
        raise ExportError(
            f"preprocessing={pre.method!r} {why}; exportable preprocessing: "
            f"{', '.join(EXPORTABLE_PREPROCESSING)}. Refit with one of them")
    scorer = copy.deepcopy(model.model_).to("cpu").eval()

    class PreprocessedScorer(torch.nn.Module):
        """``scorer(clip(nan_to_0(transform(x))))`` with the fitted statistics as buffers."""

        def __init__(self) -> None:
            super().__init__()
            scale = np.asarray(pre.scale_, dtype=np.float64)
            mean = np.asarray(pre.mean_, dtype=np.float64)
            self.method = pre.method
            self.clip = float(pre.clip)
            self.register_buffer("inv_scale", torch.tensor(1.0 / scale, dtype=torch.float32))
            self.register_buffer("offset", torch.tensor(mean / scale, dtype=torch.float32))
            counts = np.asarray(pre.edge_counts_, dtype=np.int64)
            # thermometer: edge e compares feature feature_of_edge[e] with edges[e]
            self.register_buffer("feature_of_edge", torch.from_numpy(
                np.repeat(np.arange(counts.size, dtype=np.int64), counts)))
            self.register_buffer("edges", torch.from_numpy(float32_edges(pre.edges_)))
            self.scorer = scorer

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.method == "log1p":
                x = torch.sign(x) * torch.log1p(torch.abs(x))
            elif self.method == "thermometer":  # [x, x_j > edge (per edge), x == 0]
                above = torch.index_select(x, 1, self.feature_of_edge) > self.edges
                x = torch.cat([x, above.to(x.dtype), (x == 0).to(x.dtype)], dim=1)
            if self.method != "none":
                x = x * self.inv_scale - self.offset
            x = torch.where(torch.isnan(x), torch.zeros_like(x), x)
            x = torch.clamp(x, -self.clip, self.clip)
            return self.scorer(x)

    return PreprocessedScorer().eval()


def export_onnx_neural(model: Any, names: list[str], path: Path
                       ) -> tuple[dict[Path, bytes], ExportResult]:
    """``torch.onnx.export`` of `preprocessed_scorer` (input ``input``, output ``score``)."""
    import torch

    onnx = import_onnx()
    module = preprocessed_scorer(model)
    buffer = io.BytesIO()
    example = torch.zeros(2, int(model.n_features_in_), dtype=torch.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(module, (example,), buffer, dynamo=False, input_names=["input"],
                          output_names=["score"], opset_version=ONNX_OPSET,
                          dynamic_axes={"input": {0: "n"}, "score": {0: "n"}})
    proto = onnx.load_from_string(buffer.getvalue())
    set_metadata(proto, {"feature_names": json.dumps(names), "source": type(model).__name__,
                         "preprocessing": model.preprocessor_.method})
    return {path: proto.SerializeToString()}, ExportResult(
        "onnx", {"model": path}, names, None,
        "the fitted preprocessing and the network in one float32 graph; scores equal predict "
        "within float32 rounding (1e-5)")


def export_torch(model: Any, names: list[str], path: Path
                 ) -> tuple[dict[Path, bytes], ExportResult]:
    """``torch.save`` of the scorer's weights, architecture and fitted preprocessing (loadable
    with ``torch.load(path, weights_only=True)``; `load_torch_scorer` rebuilds the module)."""
    import torch

    from neural.scorer import scorer_outputs

    preprocessed_scorer(model)  # refuses query-level preprocessing
    pre = model.preprocessor_
    payload = {
        "format": TORCH_FORMAT, "feature_names": list(names),
        "architecture": {"n_features": int(model.n_features_in_),
                         "n_inputs": int(pre.n_outputs_),
                         "hidden_sizes": [int(s) for s in np.atleast_1d(model.hidden_sizes)],
                         "activation": model.activation, "dropout": float(model.dropout),
                         "norm": model.norm,
                         "ensemble_size": int(getattr(model, "ensemble_size", 1)),
                         "n_outputs": scorer_outputs(model.model_)},
        "preprocessing": {"method": pre.method, "clip": float(pre.clip),
                          "mean": torch.tensor(np.asarray(pre.mean_, dtype=np.float64)),
                          "scale": torch.tensor(np.asarray(pre.scale_, dtype=np.float64)),
                          "edges": torch.tensor(np.asarray(pre.edges_, dtype=np.float64)),
                          "edge_counts": torch.tensor(np.asarray(pre.edge_counts_,
                                                                 dtype=np.int64))},
        "state_dict": {k: v.detach().cpu() for k, v in model.model_.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return {path: buffer.getvalue()}, ExportResult(
        "torch", {"model": path}, names, None,
        "the best epoch's weights and the fitted preprocessing; load_torch_scorer(path) gives a "
        "module equal to predict up to float32 rounding")


def load_torch_scorer(path: str | Path) -> Any:
    """Rebuild the `preprocessed_scorer` module from a ``format='torch'`` export."""
    import torch

    from neural.ensemble import ScorerEnsemble
    from neural.preprocessing import FeaturePreprocessor
    from neural.scorer import build_scorer

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != TORCH_FORMAT:
        raise ExportError(f"{path} is not a boostrank torch export")
    arch = payload["architecture"]

    def mlp() -> Any:
        # n_inputs: the network's width after preprocessing (the thermometer widens it)
        width = arch.get("n_inputs", arch["n_features"])
        return build_scorer("mlp", width, hidden_sizes=tuple(arch["hidden_sizes"]),
                            activation=arch["activation"], dropout=arch["dropout"],
                            norm=arch["norm"], n_outputs=int(arch.get("n_outputs", 1)))

    size = int(arch.get("ensemble_size", 1))  # exports before ensembles hold one network
    scorer = mlp() if size == 1 else ScorerEnsemble([mlp() for _ in range(size)])
    scorer.load_state_dict(payload["state_dict"])
    pre_state = payload["preprocessing"]
    pre = FeaturePreprocessor.from_state(
        {"method": pre_state["method"], "clip": pre_state["clip"],
         "n_features": arch["n_features"]},
        {name: pre_state[name].numpy() for name in ("mean", "scale", "edges", "edge_counts")
         if name in pre_state})  # (exports before the thermometer hold no edges)

    class _Fitted:  # the two public attributes preprocessed_scorer reads
        model_ = scorer
        preprocessor_ = pre

    return preprocessed_scorer(_Fitted())
