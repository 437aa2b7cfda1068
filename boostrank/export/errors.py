"""The one exception type of the exporters."""

from __future__ import annotations


class ExportError(ValueError):
    """A model cannot be exported as asked (format, feature names, unsupported splits...).

    A ``ValueError``, so the command line reports it as one line; nothing is written at the
    output path when it is raised.
    """
