"""In-place ops: each runs its out-of-place op and writes the result into the tensor, which
then takes over the op's node as its grad_fn (torch's history rebasing)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._dtypes import FROM_NUMPY, can_cast
from .._tensor import Tensor
from ..autograd.grad_mode import state as _mode
from . import pointwise
from ._core import attach, node_class, shape_str

__all__ = ["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "pow_",
           "neg_", "exp_", "relu_", "sigmoid_", "tanh_", "sqrt_", "clip_", "abs_", "log_",
           "sin_", "cos_", "reciprocal_", "square_"]


def check_inplace(self: Tensor) -> None:
    """torch refuses in-place changes to leaves that require grad, and to their views."""
    if not _mode.enabled:
        return
    if self._fn is None and self._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None and base._fn is None and base._rg:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def write_result(self: Tensor, result: Tensor) -> Tensor:
    """Copies `result` into `self` with torch's casting and shape checks, takes over its
    history, and bumps the version counter."""
    src, dst = result._data, self._data
    rd, sd = FROM_NUMPY[src.dtype], FROM_NUMPY[dst.dtype]
    if not can_cast(rd, sd):
        raise RuntimeError(f"result type {rd._legacy} can't be cast to the desired output "
                           f"type {sd._legacy}")
    if src.shape != dst.shape:
        full = np.broadcast_shapes(src.shape, dst.shape)
        raise RuntimeError(f"output with shape {shape_str(dst.shape)} doesn't match the "
                           f"broadcast shape {shape_str(full)}")
    if not dst.flags.writeable:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.")
    np.copyto(dst, src, casting="unsafe")
    self._vc[0] += 1
    if result._fn is not None:
        if self._base is not None:
            raise RuntimeError(
                "in-place operations on views of tensors that require grad are not supported "
                "yet; apply the operation out of place")
        self._fn = result._fn
        self._nr = result._nr
        self._rg = True
    return self


def inplace(op: Callable, doc: str) -> Callable:
    """The in-place form of the out-of-place `op`."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self)
        if _mode.enabled and (self._rg or any(isinstance(a, Tensor) and a._rg for a in args)):
            # The op may save its input for backward: give it a copy that carries self's
            # history, since self's memory is about to be overwritten.
            before = Tensor._make(self._data.copy())
            before._fn, before._nr, before._rg = self._fn, self._nr, self._rg
            return write_result(self, op(before, *args, **kwargs))
        return write_result(self, op(self, *args, **kwargs))

    method.__doc__ = doc
    return method


ZeroBackward0 = node_class("ZeroBackward0", lambda m, g: g * 0)
FillBackward0 = node_class("FillBackward0", lambda m, g: g * 0)
CopyBackwards = node_class("CopyBackwards", lambda m, g: g * 0, lambda m, g: g)


def _constant(self: Tensor, value: Any, cls: type) -> Tensor:
    check_inplace(self)
    dst = self._data
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        value = value._data
    dst[...] = value
    self._vc[0] += 1
    if self._rg and _mode.enabled:
        attach(cls, self, (self,))
    return self


def zero_(self: Tensor) -> Tensor:
    """Fills self tensor with zeros."""
    return _constant(self, 0, ZeroBackward0)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fills self tensor with the specified value."""
    return _constant(self, value, FillBackward0)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copies the elements from src into self tensor and returns self."""
    check_inplace(self)
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    dst = self._data
    try:
        np.broadcast_to(src._data, dst.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({dst.shape[-1] if dst.ndim else 1}) must match the size "
            f"of tensor b ({src._data.shape[-1]}) at non-singleton dimension "
            f"{max(dst.ndim - 1, 0)}") from None
    np.copyto(dst, src._data, casting="unsafe")
    self._vc[0] += 1
    if (self._rg or src._rg) and _mode.enabled:
        meta = None
        if src._data.shape != dst.shape or src._data.dtype != dst.dtype:
            meta = [None, (src._data.shape, src._data.dtype)]
        attach(CopyBackwards, self, (self, src), (), (), meta)
    return self


add_ = inplace(pointwise.add, "In-place version of add().")
sub_ = inplace(pointwise.sub, "In-place version of sub().")
mul_ = inplace(pointwise.mul, "In-place version of mul().")
div_ = inplace(pointwise.div, "In-place version of div().")
clamp_ = clip_ = inplace(pointwise.clamp, "In-place version of clamp().")
pow_ = inplace(pointwise.pow, "In-place version of pow().")
neg_ = inplace(pointwise.neg, "In-place version of neg().")
exp_ = inplace(pointwise.exp, "In-place version of exp().")
log_ = inplace(pointwise.log, "In-place version of log().")
sin_ = inplace(pointwise.sin, "In-place version of sin().")
cos_ = inplace(pointwise.cos, "In-place version of cos().")
abs_ = inplace(pointwise.abs, "In-place version of abs().")
relu_ = inplace(pointwise.relu, "In-place version of relu().")
sigmoid_ = inplace(pointwise.sigmoid, "In-place version of sigmoid().")
tanh_ = inplace(pointwise.tanh, "In-place version of tanh().")
sqrt_ = inplace(pointwise.sqrt, "In-place version of sqrt().")
reciprocal_ = inplace(pointwise.reciprocal, "In-place version of reciprocal().")
square_ = inplace(pointwise.square, "In-place version of square().")
