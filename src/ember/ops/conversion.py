"""dtype and device conversion."""

from __future__ import annotations

import builtins
from typing import Any

from .. import _dtypes
from .._formats import in_format, is_in_format, preserve_format
from .._tensor import Tensor, check_device, device
from .._transform_hooks import transform_ops
from ..autograd import _cuts
from ..autograd.grad_mode import state as _mode
from ._core import (
    PASSTHROUGH,
    attach,
    check_tensor,
    declare,
    linear_jvp,
    node_class,
    quiet,
    wrap,
)

__all__ = ["to", "type_as", "float", "double", "half", "bfloat16", "long", "int", "short",
           "char", "byte", "bool", "cpu", "cuda", "pin_memory", "is_pinned", "conj",
           "conj_physical", "conj_physical_", "resolve_conj", "resolve_neg", "real", "imag",
           "is_signed", "is_nonzero"]

_builtin_bool = builtins.bool

# The cast back to the input's dtype is the engine's (meta), as for every op.
ToCopyBackward0 = node_class("ToCopyBackward0", lambda m, g: g)


def _parse(args: tuple, kwargs: dict) -> tuple:
    """(dtype, whether the device names an index): torch copies onto `cpu:0` though the
    data is already on the CPU."""
    dtype = kwargs.get("dtype")
    devices = [kwargs["device"]] if kwargs.get("device") is not None else []
    if args and isinstance(args[0], (builtins.float, _builtin_bool)):
        # torch reads a number first as `to(Tensor other)` with the number as a 0-dim tensor
        # (of dtype double or bool), whose dtype it converts to.
        dtype = _dtypes.bool if isinstance(args[0], _builtin_bool) else _dtypes.float64
        args = args[1:]
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


@declare(jvp=linear_jvp("to"), vmap=PASSTHROUGH)
def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Performs Tensor dtype and/or device conversion; returns self when nothing changes."""
    dtype, indexed = _parse(args, kwargs)
    copy = kwargs.get("copy", False)
    fmt = kwargs.get("memory_format")
    x = input._data
    if (dtype is None or dtype.np == x.dtype) and not indexed and (
            fmt is None or fmt is preserve_format or is_in_format(x, fmt)):
        if not copy:
            return input
        from .shape import clone

        return clone(input, memory_format=fmt)
    target = x.dtype if dtype is None else dtype.np
    if fmt is not None:
        # The copy in the asked order; astype keeps that order.
        x = in_format(x, fmt)
    out = wrap(quiet(x.astype, target, copy=fmt is None))
    if _cuts.recorder is not None and out._data.dtype.kind != "f":
        _cuts.note(input, f"a cast to {_dtypes.FROM_NUMPY[out._data.dtype]}")
    if input._rg and _mode.enabled and out._data.dtype.kind == "f":
        attach(ToCopyBackward0, out, (input,), meta=[(x.shape, x.dtype)])
    return out


@declare(jvp=linear_jvp("type_as"), vmap=PASSTHROUGH)
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """Returns this tensor cast to the type of the given tensor."""
    return to(input, other.dtype)


def _caster(dt: _dtypes.dtype, name: str):
    def method(self: Tensor, memory_format: Any = None) -> Tensor:
        return to(self, dt)

    method.__doc__ = f"self.{name}() is equivalent to self.to({dt!r})."
    method.__name__ = name
    jvp = linear_jvp(name) if dt.is_floating_point else None
    return declare(jvp=jvp, vmap=PASSTHROUGH)(method)


float = _caster(_dtypes.float32, "float")
double = _caster(_dtypes.float64, "double")
half = _caster(_dtypes.float16, "half")
bfloat16 = _caster(_dtypes.bfloat16, "bfloat16")
long = _caster(_dtypes.int64, "long")
int = _caster(_dtypes.int32, "int")
short = _caster(_dtypes.int16, "short")
char = _caster(_dtypes.int8, "char")
byte = _caster(_dtypes.uint8, "byte")
bool = _caster(_dtypes.bool, "bool")


@declare(jvp=linear_jvp("cpu"), vmap=PASSTHROUGH)
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


_NO_CUDA = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two "
    "shared libraries: a CPU library and a CUDA library; this error has occurred because you "
    "are trying to use some CUDA functionality, but the CUDA library has not been loaded by "
    "the dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't "
    "directly use any symbols from the CUDA library! One common culprit is a lack of "
    "-Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
    "library dependencies if you don't depend on any of their symbols.  You can check if "
    "this has occurred by using ldd on your binary to see if there is a dependency on "
    "*_cuda.so library.")


def tensor_type(self: Tensor, dtype: Any = None, non_blocking: _builtin_bool = False,
                **kwargs: Any) -> Any:
    """Returns the type if dtype is not provided, else casts this object to the specified
    type. If this is already of the correct type, no copy is performed and the original
    object is returned."""
    from .._legacy_types import BY_NAME, tensortype

    if dtype is None:
        return "torch." + self.dtype._legacy + "Tensor"
    if isinstance(dtype, str):
        if dtype.startswith("torch.cuda."):
            raise RuntimeError(_NO_CUDA)
        if dtype not in BY_NAME:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = BY_NAME[dtype].dtype
    elif isinstance(dtype, tensortype):
        dtype = dtype.dtype
    elif not isinstance(dtype, _dtypes.dtype):
        raise TypeError("dtype must be a type, str, or dtype object")
    return to(self, dtype)


# ember's tensors are real: conjugation and the lazy conjugate and negative bits have nothing
# to do, and torch returns the tensor itself.
def conj(input: Tensor) -> Tensor:
    """Returns a view of input with a flipped conjugate bit: input itself for a real
    tensor."""
    return input


def conj_physical(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the element-wise conjugate of the given input tensor: input itself for a
    real tensor."""
    return input


def conj_physical_(input: Tensor) -> Tensor:
    """In-place version of conj_physical()."""
    return input


def resolve_conj(input: Tensor) -> Tensor:
    """Returns a new tensor with materialized conjugation if input's conjugate bit is set,
    else input."""
    return input


def real(input: Tensor) -> Tensor:
    """Returns the real values of input: input itself for a real tensor."""
    return input


def imag(input: Tensor) -> Tensor:
    """Returns the imaginary values of input, which a real tensor does not have."""
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def resolve_neg(input: Tensor) -> Tensor:
    """Returns a new tensor with materialized negation if input's negative bit is set, else
    input."""
    return input


def is_signed(input: Tensor) -> _builtin_bool:
    """Returns True if the data type of input is a signed type."""
    check_tensor(input, fn="is_signed")
    return input._data.dtype.kind in "if"


def is_nonzero(input: Tensor) -> _builtin_bool:
    """Returns True if input, a tensor of one element, is not zero after type conversions."""
    check_tensor(input, fn="is_nonzero")
    x = input._data
    if x.size != 1:
        raise RuntimeError("Boolean value of Tensor with " + (
            "no values" if not x.size else "more than one value") + " is ambiguous")
    return _builtin_bool(x.reshape(-1)[0] != 0)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())

