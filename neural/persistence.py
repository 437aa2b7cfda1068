"""The fitted state of a neural ranker as bytes: what `save` writes and `pickle` carries.

Weights go through ``torch.save`` of a plain state dict and are read back with
``torch.load(weights_only=True)`` (no pickled code); the preprocessing is JSON plus ``.npz``
arrays (``allow_pickle=False``). `BaseRanker.save`/`load` frame these files in the model zip.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
import torch

from boostrank.model_io import ModelFileError, require_member

from .preprocessing import FeaturePreprocessor

WEIGHTS_FILE = "model.pt"
#: ANSI colour / style escape sequences (PyTorch colours parts of its unpickling errors)
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def weights_to_bytes(model: torch.nn.Module) -> bytes:
    """``model``'s state dict (moved to the CPU) as ``torch.save`` bytes."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def weights_from_bytes(content: bytes) -> dict[str, torch.Tensor]:
    """A state dict from `weights_to_bytes` output (tensors only; pickled objects refused).

    Raises `boostrank.model_io.ModelFileError` (a ValueError) for anything else.
    """
    try:
        return torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError/RuntimeError for bad payloads
        raise ModelFileError(f"{WEIGHTS_FILE} is not a plain tensor state dict: "
                             f"{_plain_text(exc)}") from None


def _plain_text(exc: BaseException) -> str:
    """First line of ``exc``'s message without ANSI escape codes."""
    text = _ANSI_ESCAPE.sub("", str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def weights_from_files(files: dict[str, bytes]) -> dict[str, torch.Tensor]:
    """The state dict stored in a model file's `WEIGHTS_FILE` member."""
    return weights_from_bytes(require_member(files, WEIGHTS_FILE, "network weights"))


def preprocessing_to_files(preprocessor: FeaturePreprocessor) -> dict[str, bytes]:
    """The fitted preprocessor as ``{file name: bytes}`` (JSON meta plus ``.npz`` arrays)."""
    meta, arrays = preprocessor.state()
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    return {"preprocessing.json": json.dumps(meta).encode(), "preprocessing.npz": npz.getvalue()}


def preprocessing_from_files(files: dict[str, bytes]) -> FeaturePreprocessor:
    """The preprocessor written by `preprocessing_to_files`."""
    meta = json.loads(require_member(files, "preprocessing.json", "feature preprocessing"))
    content = require_member(files, "preprocessing.npz", "feature preprocessing arrays")
    with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
        return FeaturePreprocessor.from_state(meta, dict(arrays))


def training_summary(estimator: Any) -> dict[str, Any]:
    """The fitted training record saved next to the weights (JSON-able)."""
    return {"best_epoch": int(estimator.best_epoch_),
            "n_epochs_run": int(estimator.n_epochs_run_), "history": estimator.history_,
            "evals_result": estimator.evals_result_, "best_score": estimator.best_score_,
            "ensemble_best_epochs": [int(e) for e in estimator.ensemble_best_epochs_]}


def restore_training_summary(estimator: Any, meta: dict[str, Any]) -> None:
    """Set the attributes `training_summary` recorded on ``estimator``."""
    estimator.best_epoch_ = estimator.best_iteration_ = int(meta["best_epoch"])
    estimator.n_epochs_run_ = int(meta["n_epochs_run"])
    estimator.history_ = meta["history"]
    estimator.evals_result_ = meta["evals_result"]
    estimator.best_score_ = meta["best_score"]
    # (models saved before ensembles were one network)
    estimator.ensemble_best_epochs_ = [int(e) for e in
                                       meta.get("ensemble_best_epochs", [meta["best_epoch"]])]
