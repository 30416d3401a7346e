"""Padding layers: constant, zero, reflection, replication and circular."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import _functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


class _PadNd(Module):
    """Pads the last `_dims` dimensions with F.pad's `_mode`."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = (padding,) * (2 * self._dims) if isinstance(padding, int) else \
            tuple(padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _pad_class(name: str, base: type, dims: int, mode: str, doc: str) -> type:
    return type(name, (base,), {"_dims": dims, "_mode": mode, "__doc__": doc,
                                "__module__": __name__})


ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd, 1, "constant",
                           "Pads the last dimension with a constant value.")


ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd, 2, "constant",
                           "Pads the last two dimensions with a constant value.")


ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd, 3, "constant",
                           "Pads the last three dimensions with a constant value.")


ZeroPad1d = _pad_class("ZeroPad1d", _ZeroPadNd, 1, "constant",
                       "Pads the last dimension with zeros.")


ZeroPad2d = _pad_class("ZeroPad2d", _ZeroPadNd, 2, "constant",
                       "Pads the last two dimensions with zeros.")


ZeroPad3d = _pad_class("ZeroPad3d", _ZeroPadNd, 3, "constant",
                       "Pads the last three dimensions with zeros.")


ReflectionPad1d = _pad_class("ReflectionPad1d", _PadNd, 1, "reflect",
                             "Pads the last dimension with its reflection.")


ReflectionPad2d = _pad_class("ReflectionPad2d", _PadNd, 2, "reflect",
                             "Pads the last two dimensions with their reflection.")


ReflectionPad3d = _pad_class("ReflectionPad3d", _PadNd, 3, "reflect",
                             "Pads the last three dimensions with their reflection.")


ReplicationPad1d = _pad_class("ReplicationPad1d", _PadNd, 1, "replicate",
                              "Pads the last dimension by repeating its edge values.")


ReplicationPad2d = _pad_class("ReplicationPad2d", _PadNd, 2, "replicate",
                              "Pads the last two dimensions by repeating their edge values.")


ReplicationPad3d = _pad_class("ReplicationPad3d", _PadNd, 3, "replicate",
                              "Pads the last three dimensions by repeating their edge values.")


CircularPad1d = _pad_class("CircularPad1d", _PadNd, 1, "circular",
                           "Pads the last dimension circularly.")


CircularPad2d = _pad_class("CircularPad2d", _PadNd, 2, "circular",
                           "Pads the last two dimensions circularly.")


CircularPad3d = _pad_class("CircularPad3d", _PadNd, 3, "circular",
                           "Pads the last three dimensions circularly.")
