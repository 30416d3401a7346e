"""dtype and device conversion."""

from __future__ import annotations

import builtins
from typing import Any

from .. import _dtypes
from .._tensor import Tensor, check_device, device
from ..autograd import _cuts
from ..autograd.grad_mode import state as _mode
from ._core import attach, node_class, wrap

__all__ = ["to", "type_as", "float", "double", "half", "long", "int", "short", "char",
           "byte", "bool", "cpu", "cuda", "pin_memory", "is_pinned"]

_builtin_bool = builtins.bool

ToCopyBackward0 = node_class("ToCopyBackward0", lambda m, g, dt: m.cast(g, dt))


def _parse(args: tuple, kwargs: dict) -> tuple:
    """(dtype, whether the device names an index): torch copies onto `cpu:0` though the
    data is already on the CPU."""
    dtype = kwargs.get("dtype")
    devices = [kwargs["device"]] if kwargs.get("device") is not None else []
    for a in args:
        if isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, device)) or (isinstance(a, builtins.int)
                                               and not isinstance(a, _builtin_bool)):
            devices.append(a)
        elif a is not None and not isinstance(a, _builtin_bool):
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    for d in devices:
        check_device(d)
    indexed = any(device(d).index is not None for d in devices)
    return dtype, indexed


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Performs Tensor dtype and/or device conversion; returns self when nothing changes."""
    dtype, indexed = _parse(args, kwargs)
    copy = kwargs.get("copy", False)
    x = input._data
    if (dtype is None or dtype.np == x.dtype) and not indexed:
        if not copy:
            return input
        from .shape import clone

        return clone(input)
    target = x.dtype if dtype is None else dtype.np
    out = wrap(x.astype(target))
    if _cuts.recorder is not None and out._data.dtype.kind != "f":
        _cuts.note(input, f"a cast to {_dtypes.FROM_NUMPY[out._data.dtype]}")
    if input._rg and _mode.enabled and out._data.dtype.kind == "f":
        attach(ToCopyBackward0, out, (input,), (), (x.dtype,))
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


def cuda(input: Tensor, device: Any = None, non_blocking: _builtin_bool = False,
         memory_format: Any = None) -> Tensor:
    """Returns a copy of this tensor in CUDA memory; a CPU-only build raises, as ember
    does."""
    check_device("cuda" if device is None else device)
    return input


def pin_memory(input: Tensor, device: Any = None) -> Tensor:
    """Copies the tensor to pinned memory, which needs an accelerator (and ember has
    none)."""
    raise RuntimeError("Cannot access accelerator device when none is available.")


def is_pinned(input: Tensor, device: Any = None) -> _builtin_bool:
    """Returns True if this tensor resides in pinned memory: never, without an
    accelerator."""
    return False
