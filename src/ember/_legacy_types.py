"""torch's legacy tensor types: `torch.FloatTensor`, `torch.LongTensor` and their siblings,
callable as constructors and usable as `isinstance` targets, and the type strings
`Tensor.type()` speaks in."""

from __future__ import annotations

from typing import Any

from . import _dtypes
from ._tensor import Tensor

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class tensortype(type):
    """The metaclass of the legacy tensor types: an instance check asks for a CPU tensor of
    the type's dtype, and a call builds one with torch's legacy `new()`."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args: Any, **kwargs: Any) -> Tensor:
        from .ops.creation import legacy_new

        return legacy_new(cls.dtype, args, kwargs)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_type(dt: _dtypes.dtype) -> tensortype:
    name = dt._legacy + "Tensor"
    return tensortype(name, (), {"dtype": dt, "is_cuda": False, "is_sparse": False,
                                 "__module__": "torch",
                                 "__doc__": f"A legacy constructor of {dt!r} tensors."})


FloatTensor = _legacy_type(_dtypes.float32)
DoubleTensor = _legacy_type(_dtypes.float64)
HalfTensor = _legacy_type(_dtypes.float16)
LongTensor = _legacy_type(_dtypes.int64)
IntTensor = _legacy_type(_dtypes.int32)
ShortTensor = _legacy_type(_dtypes.int16)
CharTensor = _legacy_type(_dtypes.int8)
ByteTensor = _legacy_type(_dtypes.uint8)
BoolTensor = _legacy_type(_dtypes.bool)

BY_NAME = {"torch." + t.__name__: t for t in (
    FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor,
    ByteTensor, BoolTensor)}
