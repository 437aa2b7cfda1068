"""Errors of the ingestion layer: each names the file and, where it applies, line and token."""

from __future__ import annotations

from typing import Any

__all__ = ["DataFormatError", "LibSVMFormatError"]


class DataFormatError(ValueError):
    """A data file (text, compressed stream, sidecar or binary cache) cannot be read.

    The message is one line: ``<path>[, line <n>]: <reason>[ (token '<t>')]``.

    Attributes
    ----------
    path : str, the file (or cache folder) at fault.
    line : int or None, the 1-based line number where it applies.
    reason : str, what is wrong and, where there is one, the way out.
    token : str or None, the offending token.
    """

    def __init__(self, path: Any, line: int | None, reason: str, token: str | None = None):
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.token = token
        where = self.path if line is None else f"{self.path}, line {line}"
        message = f"{where}: {reason}"
        if token is not None:
            message += f" (token {token!r})"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.reason, self.token))


class LibSVMFormatError(DataFormatError):
    """Malformed LibSVM/SVMlight input (or sidecar); names the file, the line and the token."""
