"""dtype and device conversion."""

from __future__ import annotations

import builtins
from typing import Any

from .. import _dtypes
from .._tensor import Tensor, device
from ..autograd.grad_mode import state as _mode
from ._core import attach, node_class, quiet, wrap

__all__ = ["to", "type_as", "float", "double", "half", "long", "int", "short", "char",
           "byte", "bool", "cpu"]

_builtin_bool = builtins.bool

# The cast back to the input's dtype is the engine's (meta), as for every op.
ToCopyBackward0 = node_class("ToCopyBackward0", lambda m, g: g)


def _parse(args: tuple, kwargs: dict) -> Any:
    dtype = kwargs.get("dtype")
    for a in args:
        if isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, device)):
            device(a)
        elif a is not None and not isinstance(a, _builtin_bool):
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    if "device" in kwargs and kwargs["device"] is not None:
        device(kwargs["device"])
    return dtype


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Performs Tensor dtype and/or device conversion; returns self when nothing changes."""
    dtype = _parse(args, kwargs)
    copy = kwargs.get("copy", False)
    x = input._data
    if dtype is None or dtype.np == x.dtype:
        if not copy:
            return input
        from .shape import clone

        return clone(input)
    out = wrap(quiet(x.astype, dtype.np))
    if input._rg and _mode.enabled and dtype.is_floating_point:
        attach(ToCopyBackward0, out, (input,), meta=[(x.shape, x.dtype)])
    return out


def type_as(input: Tensor, other: Tensor) -> Tensor:
    """Returns this tensor cast to the type of the given tensor."""
    return to(input, other.dtype)


def _caster(dt: _dtypes.dtype, name: str):
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dt)

    method.__doc__ = f"self.{name}() is equivalent to self.to({dt!r})."
    method.__name__ = name
    return method


float = _caster(_dtypes.float32, "float")
double = _caster(_dtypes.float64, "double")
half = _caster(_dtypes.float16, "half")
long = _caster(_dtypes.int64, "long")
int = _caster(_dtypes.int32, "int")
short = _caster(_dtypes.int16, "short")
char = _caster(_dtypes.int8, "char")
byte = _caster(_dtypes.uint8, "byte")
bool = _caster(_dtypes.bool, "bool")


def cpu(input: Tensor, memory_format: Any = None) -> Tensor:
    """Returns this tensor in CPU memory: itself, since ember tensors live there."""
    return input
