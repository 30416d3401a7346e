"""Parameter: a Tensor that a Module registers as one of its parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._version import ZERO_VC, shared_counter

__all__ = ["Parameter", "Buffer"]

_new = object.__new__


def _fill(t: Tensor, data: np.ndarray, requires_grad: bool, vc: list | None = None) -> Tensor:
    t._data = data
    t._rg = requires_grad
    t._fn = None
    t._nr = 0
    t._grad = None
    t._vc = ZERO_VC if vc is None else vc
    t._base = None
    t._acc = None
    t._hooks = None
    return t


class Parameter(Tensor):
    """A kind of Tensor that is to be considered a module parameter: assigned as a Module
    attribute, it is added to the module's parameters."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            arr = np.empty((0,), np.float32)
            vc = None
        else:
            if not isinstance(data, Tensor):
                raise TypeError(f"Parameter.__new__ received an invalid data argument of type "
                                f"{type(data).__name__}")
            arr = data._data
            vc = shared_counter(data)
        if requires_grad and arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return _fill(_new(cls), arr, bool(requires_grad), vc)

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self, tensor_contents=tensor_contents)

    __str__ = __repr__

    @classmethod
    def _deepcopy_of(cls, t: Tensor) -> Parameter:
        return _fill(_new(cls), t._data.copy(), t._rg)

    def __reduce_ex__(self, proto: int):
        return (_rebuild_parameter, (self._data, self._rg))


def zeros_parameter(*shape: int, dtype: Any = None, device: Any = None) -> Parameter:
    """A parameter of zeros in dtype (the default dtype when None), for a layer to
    initialise; on `device` (the default device when None), which must be the CPU, as in a
    CPU-only build of torch."""
    from .. import _dtypes
    from .._arg_parser import check_call
    from .._tensor import check_device
    from ..ops._core import check_new_shape

    # torch's layers make their parameters with empty(n) or empty((m, n, ...)).
    check_call("empty", shape if len(shape) == 1 else (shape,), {})
    check_device(device)

    dt = (dtype or _dtypes.get_default_dtype()).np
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])  # torch.empty's other form: one list of sizes
    return Parameter(Tensor._make(np.zeros(check_new_shape(shape), dt)))


def _rebuild_parameter(data: np.ndarray, requires_grad: bool) -> Parameter:
    return _fill(_new(Parameter), data, requires_grad)


class Buffer(Tensor):
    """A kind of Tensor that, assigned as a Module attribute, is registered as a buffer."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        arr = np.empty((0,), np.float32) if data is None else data._data
        t = _fill(_new(cls), arr, False, None if data is None else shared_counter(data))
        t.persistent = persistent
        return t

    def __init__(self, data: Any = None, *, persistent: bool = True) -> None:
        pass
