"""torch.onnx: importable, so that programs which export at the end still run; exporting
raises, as ember records no graph that ONNX could describe."""

from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export"]


def export(model: Any, args: Any = (), f: Any = None, **kwargs: Any) -> Any:
    """Exports a model into ONNX format; raises, as ember cannot export to ONNX."""
    raise NotImplementedError(
        "ember cannot export to ONNX: torch.onnx.export traces the model with torch's "
        "compiler, which ember does not have; export the model with torch itself")


def is_in_onnx_export() -> bool:
    """Returns whether it is in the middle of ONNX export: never, in ember."""
    return False
