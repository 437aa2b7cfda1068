"""The seed of a comparison: ``random_state``, with ``seed`` as its deprecated alias.

A comparison is always seeded (the report names the seed it ran with), so ``random_state`` is
an int that defaults to 0. ``seed=`` (the old keyword) still works with a DeprecationWarning.
"""

from __future__ import annotations

from typing import Any

#: default ``random_state`` of a comparison
DEFAULT_RANDOM_STATE = 0


def resolve_random_state(random_state: Any, seed: Any, *, where: str,
                         stacklevel: int = 3) -> int:
    """``random_state`` as an int seed in [0, 2**31 - 1], or the deprecated ``seed``.

    Parameters
    ----------
    random_state : int
        The seed (default 0); a numpy ``RandomState`` / ``Generator`` gives one drawn seed.
    seed : int or None
        Deprecated alias of ``random_state`` (DeprecationWarning). Giving both, with
        ``random_state`` other than its default 0, is a ValueError.
    where : str
        Name of the function, for the messages (``"compare"``).
    stacklevel : int
        Passed to `warnings.warn`, so the warning points at the user's call.

    Returns
    -------
    int
    """
    from ..validation import check_random_state, resolve_seed_alias

    random_state = resolve_seed_alias(random_state, seed, default=DEFAULT_RANDOM_STATE,
                                      owner=where, stacklevel=stacklevel + 1)
    value = check_random_state(random_state)
    if value is None:
        raise ValueError(f"{where}: random_state must be an integer (the report records the "
                         "seed of the run), got None")
    return value
