"""Lazy attribute loading for package facades.

A facade lists ``name -> "module:attribute"``; the module is imported on first access only,
so ``import boostrank`` stays fast and never imports torch, optuna or the booster libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """Build a module-level ``__getattr__`` that resolves names listed in ``table``.

    ``table`` maps a public name to ``"relative.module:attribute"`` (relative to ``package``).
    """

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name, package)
        return getattr(module, attribute or name)

    return __getattr__
