"""The environment of a run: Python, platform, CPU / GPU models, package versions and the
boostrank git commit (when it runs from a git checkout)."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

#: packages whose versions every report shows (all installed ones go to results.json)
KEY_PACKAGES = (
    "boostrank", "numpy", "scipy", "scikit-learn", "lightgbm", "xgboost", "torch", "optuna",
    "pandas", "matplotlib",
)
#: seconds a helper command (git, nvidia-smi, sysctl) may take before it is given up
COMMAND_TIMEOUT_S = 5.0


def package_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _run(command: list[str], cwd: str | None = None) -> str | None:
    """stdout of ``command`` (stripped), or None when it is missing, fails or times out."""
    if shutil.which(command[0]) is None:
        return None
    try:
        proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit(package_dir: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The git commit of the boostrank source tree, when boostrank runs from a checkout.

    Parameters
    ----------
    package_dir : path, optional
        The ``boostrank`` package folder (default: this installation's).

    Returns
    -------
    dict or None
        ``{"commit": 40 hex digits, "dirty": bool}`` (dirty: tracked files differ from the
        commit); None when the package is not a tracked part of a git work tree (an installed
        wheel, no git).
    """
    here = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    init = here / "__init__.py"
    cwd = str(here)
    if _run(["git", "ls-files", "--error-unmatch", str(init)], cwd=cwd) is None:
        return None  # not tracked: e.g. an installed copy inside some other repository
    commit = _run(["git", "rev-parse", "HEAD"], cwd=cwd)
    if commit is None or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    status = _run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=cwd)
    return {"commit": commit, "dirty": bool(status)}


def cpu_model() -> str | None:
    """The CPU's model name (e.g. ``"AMD EPYC 7763 64-Core Processor"``), or None."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        try:
            text = cpuinfo.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        match = re.search(r"^(?:model name|Hardware|Processor)\s*:\s*(.+)$", text, re.M)
        if match:
            return match.group(1).strip()
    if sys.platform == "darwin":
        brand = _run(["sysctl", "-n", "machdep.cpu.brand_string"])
        if brand:
            return brand
    return platform.processor() or None


def gpu_models() -> list[str]:
    """Names of the visible NVIDIA GPUs (from an already imported torch, else
    ``nvidia-smi``); empty when there is none. Never imports torch."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        except Exception:  # noqa: BLE001 - a broken CUDA set-up must not break a report
            pass
    listing = _run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"])
    return [line.strip() for line in listing.splitlines() if line.strip()] if listing else []


def collect_environment() -> dict[str, Any]:
    """Python, platform, CPU / GPU models, key package versions, the boostrank commit and
    every installed distribution.

    Returns
    -------
    dict
        Keys ``python``, ``implementation``, ``platform``, ``machine``, ``cpu_count``,
        ``cpu_model``, ``gpus`` (list of names), ``boostrank_version``, ``boostrank_git``
        (`git_commit` or None), ``packages`` (`KEY_PACKAGES` -> version or None) and
        ``all_packages``. Reads package metadata only: nothing heavy is imported.
    """
    everything: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            everything.setdefault(str(name), str(dist.version))
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "gpus": gpu_models(),
        "boostrank_version": package_version("boostrank"),
        "boostrank_git": git_commit(),
        "packages": {name: package_version(name) for name in KEY_PACKAGES},
        "all_packages": dict(sorted(everything.items(), key=lambda kv: kv[0].lower())),
    }
