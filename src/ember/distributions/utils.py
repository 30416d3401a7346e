"""Helpers the distributions share: broadcasting parameters, converting between
probabilities and logits, and lazily computed properties (torch.distributions.utils)."""

from __future__ import annotations

import numbers
from functools import update_wrapper
from typing import Any, Callable

import numpy as np

from .. import _dtypes
from .._tensor import Size, Tensor
from ..autograd.grad_mode import enable_grad
from ..ops.creation import empty, tensor
from ..ops.joining import broadcast_tensors

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "euler_constant"]

euler_constant = 0.57721566490153286060


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number)


def broadcast_all(*values: Any) -> tuple:
    """Given a list of values (possibly containing numbers), returns a list where each
    value is broadcasted based on the following rules: tensors are broadcast as by
    broadcast_tensors; numbers become tensors of the first tensor's dtype (or the default
    dtype)."""
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = _dtypes.get_default_dtype()
        for v in values:
            if isinstance(v, Tensor):
                dtype = v.dtype
                break
        values = tuple(v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values)
    return broadcast_tensors(*values)


def standard_normal(shape: Any, dtype: Any) -> Tensor:
    """A tensor of standard normal draws, taken as torch takes them (empty().normal_())."""
    return empty(tuple(shape), dtype=dtype).normal_()


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out dim many rightmost dimensions of a given tensor."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Converts a tensor of logits into probabilities: a sigmoid for binary logits, else
    a softmax over the last dimension."""
    from ..nn import functional as F

    if is_binary:
        return logits.sigmoid()
    return F.softmax(logits, dim=-1)


def finfo_eps(dtype: Any) -> float:
    return float(np.finfo(dtype.np).eps)


def finfo_min(dtype: Any) -> float:
    return float(np.finfo(dtype.np).min)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamps the probabilities to be in the open interval (0, 1): [eps, 1 - eps] for the
    dtype's machine epsilon eps."""
    eps = finfo_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Converts a tensor of probabilities into logits (log-odds for binary ones)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ps_clamped.log() - (-ps_clamped).log1p()
    return ps_clamped.log()


class lazy_property:
    """Used as a decorator for lazy loading of class attributes: it uses the wrapped method
    once to compute the value, then replaces itself by that value on the instance."""

    def __init__(self, wrapped: Callable) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)  # type: ignore[arg-type]

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """The lazy property as seen on the class, where documentation tools look."""

    def __init__(self, wrapped: Callable) -> None:
        property.__init__(self, wrapped)


def as_size(shape: Any) -> Size:
    return shape if isinstance(shape, Size) else Size(tuple(shape))
