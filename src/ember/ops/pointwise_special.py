"""Pointwise special functions: sinc, log-add-exp in bases e and 2, and the gamma family
(lgamma, digamma, polygamma). Each node class is a row of the derivative table (see
arithmetic.py); the gamma numerics live in _gamma.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random_math import fma_f32, fma_f64
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _gamma
from ._core import (
    POINTWISE,
    attach,
    check_tensor,
    declare,
    default_float,
    fix_dtype,
    needs_grad,
    node_class,
    unary_op,
    wrap,
)
from .arithmetic import _meta
from .elementary import _legacy, _two_tensors
from .inplace import inplace

__all__ = ["sinc", "logaddexp", "logaddexp2", "lgamma", "digamma", "polygamma", "sinc_",
           "lgamma_", "digamma_", "polygamma_"]

_LN2 = math.log(2.0)


def _sinc_array(x: np.ndarray) -> np.ndarray:
    # In the input's own precision, as torch: sin(pi * x) / (pi * x), and 1 at 0.
    y = x * x.dtype.type(math.pi)
    with np.errstate(all="ignore"):
        r = np.sin(y) / y
    return np.where(x == 0, x.dtype.type(1), r)


def _sinc_grad(m: Any, g: Any, self: Any) -> Any:
    # As torch: the gradient times the quotient (not the gradient times the numerator, over
    # the denominator), and sin(sp) made before sp * cos(sp), as torch's compiled formula
    # makes them: the double backward adds the three gradients of sp in reverse order of
    # creation, and their sum's rounding depends on that order.
    sp = self * math.pi
    ssp = self * self * math.pi
    with np.errstate(all="ignore"):
        s = m.sin(sp)
        out = g * ((sp * m.cos(sp) - s) / ssp)
    return m.where(ssp == 0.0, m.zeros_like(out), out)


sinc = unary_op(node_class("SincBackward0", _sinc_grad), _sinc_array, name="sinc",
                doc="Returns a new tensor with the normalized sinc of the elements of input: "
                    "sin(pi x) / (pi x), and 1 at 0.")
lgamma = unary_op(node_class("LgammaBackward0", lambda m, g, self: g * m.digamma(self)),
                  _gamma.lgamma, name="lgamma",
                  doc="Computes the natural logarithm of the absolute value of the gamma "
                      "function on input.")
digamma = unary_op(node_class("DigammaBackward0", lambda m, g, self: g * m.polygamma(1, self)),
                   _gamma.digamma, name="digamma",
                   doc="Computes the logarithmic derivative of the gamma function on input.")

PolygammaBackward0 = node_class("PolygammaBackward0",
                                lambda m, g, self, n: g * m.polygamma(n + 1, self))


def polygamma(n: int, input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the n-th derivative of the digamma function on input (n >= 0 is the order
    of the polygamma function)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError("polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if not isinstance(input, Tensor):
        check_tensor(input, "input", 1, "polygamma")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(default_float(x.dtype))
    r = wrap(_gamma.polygamma(n, x))
    if input._rg and _mode.enabled:
        attach(PolygammaBackward0, r, (input,), (input,), (n,))
    return r


def polygamma_method(self: Tensor, n: int) -> Tensor:
    """Tensor.polygamma(n): the n-th derivative of the digamma function on self."""
    return polygamma(n, self)


LogaddexpBackward0 = node_class(
    "LogaddexpBackward0",
    lambda m, g, self, other: g / (m.exp(other - self) + 1),
    lambda m, g, self, other: g / (m.exp(self - other) + 1),
)
Logaddexp2Backward0 = node_class(
    "Logaddexp2Backward0",
    lambda m, g, self, other: g / (m.pow(2.0, other - self) + 1),
    lambda m, g, self, other: g / (m.pow(2.0, self - other) + 1),
)


def _log_add_exp(name: str, base2: bool, cls: type, doc: str) -> Any:
    @declare(vmap=POINTWISE)
    def op(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = _two_tensors(input, other, name)
        if dt.kind != "f":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_legacy(dt)}'")
        with np.errstate(all="ignore"):
            # torch's kernel: the larger operand plus log1p of the smaller exponential,
            # and an infinity met by itself is kept as it is.
            mx = np.maximum(x, y)
            d = -np.abs(x - y)
            if base2 and mx.dtype in (np.float32, np.float64):
                # torch's compiled kernel fuses m + log1p(exp2(d)) * (1 / ln 2) into one fma.
                fma = fma_f32 if mx.dtype == np.float32 else fma_f64
                v = fma(np.log1p(np.exp2(d)), 1 / _LN2, mx).astype(mx.dtype)
            elif base2:
                v = mx + np.log1p(np.exp2(d)) * (1 / _LN2)
            else:
                v = mx + np.log1p(np.exp(d))
            v = np.where(np.isinf(x) & (x == y), x, v)
        r = wrap(fix_dtype(v, dt))
        if needs_grad(a, b):
            attach(cls, r, (a, b), (a, b), (), _meta(r._data, a, b))
        return r

    op.__name__ = name
    op.__doc__ = doc
    return op


logaddexp = _log_add_exp("logaddexp", False, LogaddexpBackward0,
                         "Logarithm of the sum of exponentiations of the inputs.")
logaddexp2 = _log_add_exp("logaddexp2", True, Logaddexp2Backward0,
                          "Logarithm of the sum of exponentiations of the inputs in base-2.")

sinc_ = inplace(sinc, "In-place version of sinc().")
lgamma_ = inplace(lgamma, "In-place version of lgamma().")
digamma_ = inplace(digamma, "In-place version of digamma().")
polygamma_ = inplace(polygamma_method, "In-place version of polygamma().")


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
