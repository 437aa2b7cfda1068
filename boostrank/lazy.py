"""Lazy attribute loading for package facades.

A facade lists ``name -> "module:attribute"``; the module is imported on first access only,
so ``import boostrank`` stays fast and never imports torch, optuna or the booster libraries.
Used by the facades of ``boostrank``, ``boostrank.boosters``, ``boostrank.export`` and
``neural``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, str],
                 submodules: Iterable[str] = ()) -> Callable[[str], Any]:
    """Build a module-level ``__getattr__`` that resolves names listed in ``table``.

    Parameters
    ----------
    package : str
        The facade's ``__name__``.
    table : mapping of str to str
        Public name -> ``"relative.module:attribute"`` (relative to ``package``).
    submodules : iterable of str
        Submodule names that resolve to the submodule itself (``package.name``).
    """
    submodules = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name, package)
        return getattr(module, attribute or name)

    return __getattr__


def lazy_facade(package: str, table: Mapping[str, str], *, extra: Iterable[str] = (),
                submodules: Iterable[str] = ()) -> tuple[list[str], Callable, Callable]:
    """``(__all__, __getattr__, __dir__)`` of a lazy package facade.

    Parameters
    ----------
    package : str
        The facade's ``__name__``.
    table : mapping of str to str
        Public name -> ``"relative.module:attribute"``.
    extra : iterable of str
        Names defined in the facade itself, listed in ``__all__`` too (e.g. ``__version__``).
    submodules : iterable of str
        Submodules reachable as attributes and listed by ``dir()``.
    """
    submodules = tuple(submodules)
    public = sorted(table) + list(extra)

    def __dir__() -> list[str]:
        return public + list(submodules)

    return public, lazy_getattr(package, table, submodules), __dir__
