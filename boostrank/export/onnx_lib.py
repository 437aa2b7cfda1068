"""The one place the optional ``onnx`` package is imported."""

from __future__ import annotations

from typing import Any

from .errors import ExportError

#: opsets of the written graphs (default domain, ai.onnx.ml)
ONNX_OPSET = 17
ONNX_ML_OPSET = 3


def import_onnx() -> Any:
    """``onnx``, or an `ExportError` saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ExportError("format='onnx' needs the onnx package: pip install 'boostrank[export]' "
                          "(or pip install onnx)") from None
    return onnx


def set_metadata(model: Any, values: dict[str, str]) -> None:
    """Store ``values`` as the model's ``metadata_props``."""
    onnx = import_onnx()
    onnx.helper.set_model_props(model, values)
