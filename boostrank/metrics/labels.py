"""Labels -> gains under a `Convention`, with one clear error for the labels it forbids."""

from __future__ import annotations

import warnings

import numpy as np

from .conventions import Convention
from .gains import EXPONENTIAL, gain_values

#: advice of the large-label error when the caller does not give its own
DEFAULT_LABEL_ADVICE = ("use a convention with linear gain, e.g. convention='trec' or "
                        "Convention(gain='linear')")


def first_row(mask: np.ndarray, rows: np.ndarray | None) -> int:
    """The caller's row number of the first True entry of ``mask``.

    Parameters
    ----------
    mask : ndarray of shape (n,), bool
        At least one entry is True.
    rows : ndarray of shape (n,), int64, or None
        Caller's row number of each position (None: positions are row numbers).

    Returns
    -------
    int
    """
    i = int(np.flatnonzero(mask)[0])
    return int(rows[i]) if rows is not None else i


def _check_integer(labels: np.ndarray, name: str, rows: np.ndarray | None) -> None:
    bad = labels != np.round(labels)
    if bad.any():
        raise ValueError(f"{name} needs integer labels; row {first_row(bad, rows)} has label "
                         f"{labels[np.flatnonzero(bad)[0]]!r}")


def _table_gains(labels: np.ndarray, conv: Convention, table: np.ndarray,
                 rows: np.ndarray | None, warn: bool) -> np.ndarray:
    name = f"convention '{conv.name}'"
    top = table.size - 1
    inside = (labels == np.round(labels)) & (labels >= 0) & (labels <= top)
    if not inside.all():
        j = int(np.flatnonzero(~inside)[0])
        if conv.out_of_range == "error":
            raise ValueError(f"label {labels[j]:g} at row {first_row(~inside, rows)} is "
                             f"outside the gain table of {name} (labels 0..{top})")
        above = labels > top
        if warn and above.any():  # not a silent drop: say which labels count for nothing
            distinct = np.unique(labels[above])
            values = ", ".join(f"{v:g}" for v in distinct[:5])
            warnings.warn(
                f"{name} gives gain 0 to labels above {top} (its gain table covers 0..{top}, "
                f"as the tool it reproduces does): {int(above.sum())} rows with labels "
                f"{values}{', ...' if distinct.size > 5 else ''} count as irrelevant; use "
                f"convention='default' or 'trec' for graded labels above {top}",
                UserWarning, stacklevel=4)
    idx = np.where(inside, labels, 0).astype(np.int64)
    return np.where(inside, table[idx], 0.0)


def compute_gains(labels: np.ndarray, conv: Convention, rows: np.ndarray | None = None,
                  *, warn: bool = True, label_advice: str | None = None) -> np.ndarray:
    """Gain of every label under ``conv``.

    Parameters
    ----------
    labels : ndarray of shape (n,), float64
        Graded relevance labels.
    conv : Convention
        Gain rule, label range and what happens outside it.
    rows : ndarray of shape (n,), int64, optional
        Maps positions back to the caller's row numbers for the error messages.
    warn : bool, default True
        Warn when labels above a gain table get gain 0.
    label_advice : str, optional
        What the error for a label above ``conv.max_label`` tells the user to change (e.g.
        an estimator's ``"use gain='linear'"``); default: a convention with linear gain.

    Returns
    -------
    ndarray of shape (n,), float64

    Raises
    ------
    ValueError
        For labels the convention forbids (non-integer, negative, above its largest label),
        naming the row and the label.
    """
    name = f"convention '{conv.name}'"
    if conv.integer_labels:
        _check_integer(labels, name, rows)
    table = conv.gain_table()
    if table is not None:
        return _table_gains(labels, conv, table, rows, warn)
    negative = labels < 0
    too_big = labels > conv.max_label if conv.max_label is not None else np.zeros_like(negative)
    if conv.out_of_range == "error":
        if negative.any():
            raise ValueError(f"negative label {labels[np.flatnonzero(negative)[0]]:g} at row "
                             f"{first_row(negative, rows)}: {name} forbids negative labels")
        if too_big.any():
            rule = "exponential gain 2^l - 1" if conv.gain == EXPONENTIAL else "linear gain"
            raise ValueError(f"label {labels[np.flatnonzero(too_big)[0]]:g} at row "
                             f"{first_row(too_big, rows)} is above the largest label "
                             f"{conv.max_label:g} of {name} ({rule}); "
                             f"{label_advice or DEFAULT_LABEL_ADVICE}")
    gains = gain_values(labels, conv.gain)
    gains[negative | too_big] = 0.0
    return gains
