"""The software environment of a run: Python, platform and package versions."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

#: packages whose versions every report shows (all installed ones go to results.json)
KEY_PACKAGES = (
    "boostrank", "numpy", "scipy", "scikit-learn", "lightgbm", "xgboost", "torch", "optuna",
    "pandas", "matplotlib",
)


def package_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def collect_environment() -> dict[str, Any]:
    """Python, platform, CPU count, key package versions and every installed distribution.

    Reads package metadata only: nothing heavy is imported.
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
        "packages": {name: package_version(name) for name in KEY_PACKAGES},
        "all_packages": dict(sorted(everything.items(), key=lambda kv: kv[0].lower())),
    }
