"""Padding layers: constant, zero, reflection, replication and circular."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
    "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _init_padding(self: Module, padding: Any) -> None:
    # The padding layers' constructor: one int for every side of the last `_dims` dimensions,
    # or F.pad's tuple.
    Module.__init__(self)
    # As torch's _ntuple: anything but an iterable is repeated (F.pad then checks it).
    self.padding = tuple(padding) if isinstance(padding, Iterable) else \
        (padding,) * (2 * self._dims)


def _padding_repr(self: Module) -> str:
    return f"{self.padding}"


class _CircularPadNd(Module):
    _dims = 1
    __init__ = _init_padding
    extra_repr = _padding_repr

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "circular")


class _ReflectionPadNd(Module):
    _dims = 1
    __init__ = _init_padding
    extra_repr = _padding_repr

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "reflect")


class _ReplicationPadNd(Module):
    _dims = 1
    __init__ = _init_padding
    extra_repr = _padding_repr

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "replicate")


class _ConstantPadNd(Module):
    _dims = 1

    def __init__(self, padding: Any, value: float) -> None:
        _init_padding(self, padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


def _init_zero_padding(self: _ConstantPadNd, padding: Any) -> None:
    _ConstantPadNd.__init__(self, padding, 0.0)


def _pad_class(name: str, base: type, doc: str, **attrs: Any) -> type:
    return type(name, (base,), {"__doc__": doc, "__module__": __name__, **attrs})


def _zero_pad_class(name: str, base: type, doc: str) -> type:
    # torch's ZeroPadNd is its ConstantPadNd with the value fixed at zero.
    return _pad_class(name, base, doc, __init__=_init_zero_padding, extra_repr=_padding_repr)


ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd,
                           "Pads the last dimension with a constant value.", _dims=1)
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd,
                           "Pads the last two dimensions with a constant value.", _dims=2)
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd,
                           "Pads the last three dimensions with a constant value.", _dims=3)
ZeroPad1d = _zero_pad_class("ZeroPad1d", ConstantPad1d, "Pads the last dimension with zeros.")
ZeroPad2d = _zero_pad_class("ZeroPad2d", ConstantPad2d,
                            "Pads the last two dimensions with zeros.")
ZeroPad3d = _zero_pad_class("ZeroPad3d", ConstantPad3d,
                            "Pads the last three dimensions with zeros.")
ReflectionPad1d = _pad_class("ReflectionPad1d", _ReflectionPadNd,
                             "Pads the last dimension with its reflection.", _dims=1)
ReflectionPad2d = _pad_class("ReflectionPad2d", _ReflectionPadNd,
                             "Pads the last two dimensions with their reflection.", _dims=2)
ReflectionPad3d = _pad_class("ReflectionPad3d", _ReflectionPadNd,
                             "Pads the last three dimensions with their reflection.", _dims=3)
ReplicationPad1d = _pad_class("ReplicationPad1d", _ReplicationPadNd,
                              "Pads the last dimension by repeating its edge values.", _dims=1)
ReplicationPad2d = _pad_class("ReplicationPad2d", _ReplicationPadNd,
                              "Pads the last two dimensions by repeating their edge values.",
                              _dims=2)
ReplicationPad3d = _pad_class("ReplicationPad3d", _ReplicationPadNd,
                              "Pads the last three dimensions by repeating their edge values.",
                              _dims=3)
CircularPad1d = _pad_class("CircularPad1d", _CircularPadNd,
                           "Pads the last dimension circularly.", _dims=1)
CircularPad2d = _pad_class("CircularPad2d", _CircularPadNd,
                           "Pads the last two dimensions circularly.", _dims=2)
CircularPad3d = _pad_class("CircularPad3d", _CircularPadNd,
                           "Pads the last three dimensions circularly.", _dims=3)
