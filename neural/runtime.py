"""Process-level settings around a fit or a predict: torch CPU threads and seeded RNG state."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def torch_threads(n_threads: int) -> Iterator[None]:
    """Run torch's CPU kernels with ``n_threads`` threads, restoring the setting afterwards.

    Parameters
    ----------
    n_threads : int
        Number of intra-op threads (>= 1), e.g. from `boostrank.validation.check_n_jobs`.
    """
    wanted, previous = max(1, int(n_threads)), torch.get_num_threads()
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device, deterministic: bool) -> Iterator[None]:
    """Seed torch inside a forked RNG state and optionally use deterministic algorithms.

    The caller's global RNG state (CPU, and the CUDA device when ``device`` is one) is
    restored on exit, as is the deterministic-algorithms setting.

    Parameters
    ----------
    seed : int
        Seed for ``torch.manual_seed``.
    device : torch.device
        The training device (its CUDA RNG is forked too).
    deterministic : bool
        Turn on ``torch.use_deterministic_algorithms(True, warn_only=True)`` meanwhile.
    """
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
