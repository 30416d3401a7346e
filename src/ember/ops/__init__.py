"""The derivative table, by family, and the binding of ops to Tensor methods, operators and
the math namespace that create_graph formulas use."""

from __future__ import annotations

import warnings
from typing import Any

from .._dtypes import FROM_NUMPY
from .._tensor import Tensor
from . import _math, conversion, creation, inplace, linalg, pointwise, reduction, shape
from .conversion import to
from .inplace import add_, copy_, div_
from .linalg import matmul
from .pointwise import (
    add,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    log1p,
    lt,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    rsub,
    sub,
    where,
)
from .reduction import sum
from .shape import expand, permute, reshape, squeeze, transpose, unsqueeze

# torch computes inf and nan without warnings; NumPy's floating-point warnings raised inside
# ember's own modules are noise to a torch user.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

FAMILIES = (pointwise, reduction, shape, linalg, conversion, inplace)
# Names in families' __all__ that are functions only (or methods with another signature).
NOT_METHODS = {"where"}


def _bind_methods() -> None:
    for family in FAMILIES:
        for name in family.__all__:
            if name not in NOT_METHODS:
                setattr(Tensor, name, getattr(family, name))
    Tensor.where = lambda self, condition, other: where(condition, self, other)
    Tensor.expand_as = lambda self, other: expand(self, other._data.shape)
    Tensor.view_as = lambda self, other: shape.view(self, other._data.shape)
    Tensor.reshape_as = lambda self, other: reshape(self, other._data.shape)
    Tensor.T = property(_T)
    Tensor.mT = property(lambda self: transpose(self, -2, -1))
    Tensor.new_tensor = lambda self, data, dtype=None, requires_grad=False: creation.tensor(
        data, dtype=dtype or self.dtype, requires_grad=requires_grad)
    Tensor.new_zeros = lambda self, *size, dtype=None, requires_grad=False: creation.zeros(
        *size, dtype=dtype or self.dtype, requires_grad=requires_grad)
    Tensor.new_ones = lambda self, *size, dtype=None, requires_grad=False: creation.ones(
        *size, dtype=dtype or self.dtype, requires_grad=requires_grad)
    Tensor.new_full = lambda self, size, fill_value, dtype=None, requires_grad=False: \
        creation.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)
    Tensor.new_empty = Tensor.new_zeros


def _T(self: Tensor) -> Tensor:
    nd = self._data.ndim
    return self if nd < 2 else permute(self, tuple(range(nd - 1, -1, -1)))


def _bind_operators() -> None:
    ops = {
        "__add__": add, "__radd__": add, "__sub__": sub,
        "__rsub__": lambda self, other: rsub(self, other),
        "__mul__": mul, "__rmul__": mul, "__truediv__": div,
        "__rtruediv__": lambda self, other: mul(reciprocal(self), other),
        "__floordiv__": lambda self, other: div(self, other, rounding_mode="floor"),
        "__rfloordiv__": lambda self, other: div(other, self, rounding_mode="floor"),
        "__pow__": pow, "__rpow__": lambda self, other: pow(other, self),
        "__matmul__": matmul, "__rmatmul__": lambda self, other: matmul(other, self),
        "__neg__": neg, "__pos__": lambda self: self, "__abs__": pointwise.abs,
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
        "__iadd__": add_, "__isub__": inplace.sub_, "__imul__": inplace.mul_,
        "__itruediv__": div_,
        "__and__": pointwise.bitwise_and, "__rand__": pointwise.bitwise_and,
        "__or__": pointwise.bitwise_or, "__ror__": pointwise.bitwise_or,
        "__xor__": pointwise.bitwise_xor, "__rxor__": pointwise.bitwise_xor,
        "__invert__": pointwise.bitwise_not,
    }
    for name, fn in ops.items():
        setattr(Tensor, name, fn)


def _sum_to(g: Tensor, target: tuple) -> Tensor:
    lead = g._data.ndim - len(target)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(target) if s == 1 and g._data.shape[i + lead] != 1)
    if dims:
        g = sum(g, dims, keepdim=True)
    return reshape(g, target) if g._data.shape != tuple(target) else g


def _unsqueeze_dims(g: Tensor, dims: Any, ndim: int) -> Tensor:
    if dims is None or not g._data.ndim:
        return reshape(g, (1,) * ndim)
    for d in sorted(dims):
        g = unsqueeze(g, d)
    return g


def _log_sigmoid(x: Tensor) -> Tensor:
    return where(lt(x, 0), x, 0.0) - log1p(exp(-pointwise.abs(x)))


def _outer(a: Tensor, b: Tensor) -> Tensor:
    return mul(unsqueeze(a, -1), b)


def _fill_graph_math() -> None:
    g = _math.graph
    g.sum_to = _sum_to
    g.cast = lambda t, dt: to(t, FROM_NUMPY[dt])
    g.sum = lambda x, dims=None, keepdim=False: sum(x, dims, keepdim)
    g.expand = expand
    g.reshape = reshape
    g.unsqueeze_dims = _unsqueeze_dims
    g.unsqueeze = unsqueeze
    g.squeeze = squeeze
    g.where = where
    g.exp, g.log, g.log1p = exp, log, log1p
    g.sin, g.cos, g.sqrt = pointwise.sin, pointwise.cos, pointwise.sqrt
    g.sign, g.abs, g.sigmoid = pointwise.sign, pointwise.abs, pointwise.sigmoid
    g.matmul = matmul
    g.mT = lambda x: transpose(x, -2, -1)
    g.transpose = transpose
    g.permute = permute
    g.outer = _outer
    g.zeros_like = creation.zeros_like
    g.ones_like = creation.ones_like
    g.pow = pow
    g.log_sigmoid = _log_sigmoid
    g.threshold_backward = pointwise.threshold_backward
    _math.raw.log_sigmoid = _raw_log_sigmoid


def _raw_log_sigmoid(x: Any) -> Any:
    import numpy as np

    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


_bind_methods()
_bind_operators()
_fill_graph_math()

__all__ = ["FAMILIES", "copy_"]
