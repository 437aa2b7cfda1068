"""Gumbel noise for the stochastic variants of the listwise losses.

`neuralndcg_loss` (allRank's Gumbel-NeuralNDCG), `approxndcg_loss` (TF-Ranking's
Gumbel-ApproxNDCG) and `listnet_loss` (PT-Ranking's STListNet) can average their loss over
``n_samples`` copies of every list, each copy's
scores perturbed by standard Gumbel noise ``-log(-log(U + eps) + eps)``, ``U`` uniform on
[0, 1). The noise is drawn as one ``[n_samples, batch, list]`` tensor from a
``torch.Generator`` (the estimators seed it from ``random_state``), and copy ``i`` of list
``b`` becomes row ``i * batch + b`` of the batch the loss then scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

#: default copies per list of each stochastic loss: allRank's 32, TF-Ranking's 8, PT-Ranking's 1
DEFAULT_SAMPLES = {"neuralndcg": 32, "approxndcg": 8, "listnet": 1}
#: the stochastic losses whose copies each form [list, list] matrices (ListNet's do not)
MATRIX_LOSSES = frozenset({"neuralndcg", "approxndcg"})


def gumbel_noise(n_samples: int, scores: torch.Tensor, eps: float,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard Gumbel noise [n_samples, batch, list] in the dtype and device of ``scores``
    [batch, list], with ``eps`` inside both logarithms."""
    uniform = torch.rand((n_samples, *scores.shape), generator=generator, dtype=scores.dtype,
                         device=scores.device)
    return -torch.log(-torch.log(uniform + eps) + eps)


def repeat_lists(n_samples: int, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Each [batch, list] tensor repeated ``n_samples`` times along the batch, copy-major
    (row ``i * batch + b`` is list ``b``), the layout of the perturbed copies."""
    return tuple(t.repeat(n_samples, 1) for t in tensors)


def mean_over_copies(per_copy: torch.Tensor, n_samples: int) -> torch.Tensor:
    """[n_samples * batch] values, copy-major, averaged to [batch]."""
    return per_copy.reshape(n_samples, -1).mean(dim=0)


def matrix_copies(loss: str, params: Mapping[str, Any]) -> int:
    """The factor by which loss ``loss`` with keyword ``params`` multiplies its [list, list]
    matrices: ``n_samples`` (or the loss's default) for a matrix loss (`MATRIX_LOSSES`) with
    ``stochastic`` set, else 1 (ListNet's copies form no such matrix)."""
    if loss not in MATRIX_LOSSES or not params.get("stochastic", False):
        return 1
    return int(params.get("n_samples", DEFAULT_SAMPLES[loss]))
