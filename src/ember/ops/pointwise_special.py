"""Pointwise special functions: sinc, log-add-exp in bases e and 2, the gamma family (lgamma,
digamma, polygamma, mvlgamma, the incomplete gamma functions igamma and igammac, Hurwitz's
zeta), the modified Bessel functions i0, i1 and their scaled forms, and the normal
distribution's ndtr, log_ndtr and ndtri with erfcx, entr and xlog1py (torch.special's). Each
node class is a row of the derivative table (see arithmetic.py); the numerics live in
_gamma.py and _special.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._random_math import fma_f32, fma_f64
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _gamma, _special
from ._core import (
    POINTWISE,
    attach,
    check_tensor,
    declare,
    default_float,
    fix_dtype,
    needs_grad,
    node_class,
    not_implemented,
    operands,
    unary_op,
    wrap,
)
from ._math import raw as _raw
from ._math import register_math_pairs
from .arithmetic import _meta, add_scalar, scalar_op
from .elementary import _legacy, _two_tensors, erf
from .inplace import inplace

__all__ = ["sinc", "logaddexp", "logaddexp2", "lgamma", "digamma", "polygamma", "mvlgamma",
           "i0", "igamma", "igammac", "sinc_", "lgamma_", "digamma_", "polygamma_", "mvlgamma_",
           "i0_", "igamma_", "igammac_"]

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

# -- torch.special's unary functions ---------------------------------------------------------

def _unary(name: str, kernel: Any, cls: type | None, saves: tuple, doc: str, *,
           half: bool = True, param: str = "input") -> Any:
    """A unary special function: `kernel` on the input's array (integers and bools in the
    default float dtype), recorded as a `cls` node that saves `saves` ('self', 'result');
    `half`, whether torch's kernel takes float16; `param`, torch's name for the input."""
    kernel_name = f"{name}_cpu"

    def compute(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            check_tensor(input, param, 0, name)
        x = input._data
        if x.dtype.kind != "f":
            x = x.astype(default_float(x.dtype))
        elif x.dtype == np.float16 and not half:
            raise not_implemented(kernel_name, input.dtype)
        r = wrap(fix_dtype(kernel(x), x.dtype))
        if cls is not None and input._rg and _mode.enabled:
            attach(cls, r, (input,), tuple(input if s == "self" else r for s in saves))
        return r

    if param == "x":
        def op(x: Tensor, *, out: Any = None) -> Tensor:
            return compute(x)
    else:
        def op(input: Tensor, *, out: Any = None) -> Tensor:
            return compute(input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return declare(vmap=POINTWISE)(op)


def _tiny_safe(m: Any, self: Any, eps: float) -> tuple:
    # torch's i1 and i1e gradients: the formulas divide by x, so inputs within eps of 0 take
    # eps there, and their gradient is the limit 1/2.
    big = m.abs(self) > eps
    return big, m.where(big, self, eps)


def _i1_grad(m: Any, g: Any, self: Any, result: Any, eps: float) -> Any:
    big, safe = _tiny_safe(m, self, eps)
    return g * m.where(big, (safe * m.i0(safe) - result) / safe, 0.5)


def _i1e_grad(m: Any, g: Any, self: Any, result: Any, eps: float) -> Any:
    big, safe = _tiny_safe(m, self, eps)
    return g * m.where(big, m.i0e(safe) - result * (m.sign(safe) + 1 / safe), 0.5)


_SQRT_2PI = math.sqrt(2 * math.pi)

SpecialEntrBackward0 = node_class("SpecialEntrBackward0",
                                  lambda m, g, self: g * -(1 + m.log(self)))
SpecialNdtriBackward0 = node_class(
    "SpecialNdtriBackward0", lambda m, g, result: g * _SQRT_2PI * m.exp(result * result / 2))
SpecialLogNdtrBackward0 = node_class(
    "SpecialLogNdtrBackward0",
    lambda m, g, self, result: g / _SQRT_2PI * m.exp(-(result + m.pow(self, 2) / 2)))
SpecialErfcxBackward0 = node_class(
    "SpecialErfcxBackward0",
    lambda m, g, self, result: (2.0 * self * result - 2.0 / math.sqrt(math.pi)) * g)
I0Backward0 = node_class("I0Backward0", lambda m, g, self: g * m.i1(self))
SpecialI0EBackward0 = node_class(
    "SpecialI0EBackward0", lambda m, g, self, result: g * (m.i1e(self) - m.sign(self) * result))
SpecialI1Backward0 = node_class("SpecialI1Backward0", _i1_grad)
SpecialI1EBackward0 = node_class("SpecialI1EBackward0", _i1e_grad)


def _with_eps(name: str, kernel: Any, cls: type, doc: str) -> Any:
    """i1 and i1e: _unary, with the dtype's epsilon kept for the gradient."""
    plain = _unary(name, kernel, None, (), doc)

    @declare(vmap=POINTWISE)
    def op(input: Tensor, *, out: Any = None) -> Tensor:
        r = plain(input)
        if input._rg and _mode.enabled:
            eps = float(np.finfo(r._data.dtype).eps)
            attach(cls, r, (input,), (input, r), (eps,))
        return r

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


entr = _unary("entr", _special.entr, SpecialEntrBackward0, ("self",),
              "Computes the entropy on input elementwise: -x ln(x) for x > 0, 0 at 0, "
              "-inf for x < 0.")
ndtri = _unary("ndtri", _special.ndtri_in, SpecialNdtriBackward0, ("result",),
               "Computes the argument, x, for which the area under the Gaussian probability "
               "density function (integrated from minus infinity to x) is equal to input, "
               "elementwise.", half=False)
log_ndtr = _unary("log_ndtr", _special.log_ndtr_in, SpecialLogNdtrBackward0, ("self", "result"),
                  "Computes the log of the area under the standard Gaussian probability "
                  "density function, integrated from minus infinity to input, elementwise.",
                  half=False)
erfcx = _unary("erfcx", _special.erfcx, SpecialErfcxBackward0, ("self", "result"),
               "Computes the scaled complementary error function for each element of input: "
               "exp(x^2) erfc(x).", half=False)
i0 = _unary("i0", _special.i0, I0Backward0, ("self",),
            "Computes the zeroth order modified Bessel function of the first kind for each "
            "element of input.")
i0e = _unary("i0e", _special.i0e, SpecialI0EBackward0, ("self", "result"),
             "Computes the exponentially scaled zeroth order modified Bessel function of the "
             "first kind (exp(-|x|) i0(x)) for each element of input.")
i1 = _with_eps("i1", _special.i1, SpecialI1Backward0,
               "Computes the first order modified Bessel function of the first kind for each "
               "element of input.")
i1e = _with_eps("i1e", _special.i1e, SpecialI1EBackward0,
                "Computes the exponentially scaled first order modified Bessel function of the "
                "first kind (exp(-|x|) i1(x)) for each element of input.")

_SQRT1_2 = math.sqrt(0.5)


@declare(vmap=POINTWISE)
def ndtr(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the area under the standard Gaussian probability density function,
    integrated from minus infinity to input, elementwise: (1 + erf(x / sqrt 2)) / 2, made of
    those ops as torch makes it."""
    if not isinstance(input, Tensor):
        check_tensor(input, "input", 0, "ndtr")
    if input._data.dtype.kind != "f":
        input = wrap(input._data.astype(default_float(input._data.dtype)))
    return scalar_op(add_scalar(erf(scalar_op(input, _SQRT1_2)), 1.0), 0.5)


# -- mvlgamma ---------------------------------------------------------------------------------

def _mvlgamma_args(m: Any, self: Any, p: int, dt: Any) -> Any:
    # torch's arguments: x - (p - 1) / 2, ..., x - 1/2, x along a new last dimension.
    offsets = np.arange(-p / 2 + 0.5, 0.5, 0.5).astype(dt)
    return m.unsqueeze(self, -1) + m.const(offsets)


MvlgammaBackward0 = node_class(
    "MvlgammaBackward0",
    lambda m, g, self, p, dt: g * m.sum(m.digamma(_mvlgamma_args(m, self, p, dt)), -1))


@declare(vmap=POINTWISE)
def mvlgamma(input: Tensor, p: int, *, out: Any = None) -> Tensor:
    """Computes the multivariate log-gamma function with dimension p elementwise:
    p (p - 1) / 4 log(pi) + the sum over i < p of lgamma(x - i / 2)."""
    if not isinstance(input, Tensor):
        check_tensor(input, "input", 0, "mvlgamma")
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    if x.dtype.kind != "f":
        x = x.astype(default_float(x.dtype))
    args = _mvlgamma_args(_raw, x, p, x.dtype)
    with np.errstate(all="ignore"):
        v = _gamma.lgamma(args).sum(-1) + x.dtype.type(p * (p - 1) * math.log(math.pi) / 4)
    r = wrap(fix_dtype(v, x.dtype))
    if input._rg and _mode.enabled:
        attach(MvlgammaBackward0, r, (input,), (input,), (p, x.dtype))
    return r


# -- the two-operand functions: xlog1py, zeta, igamma, igammac -------------------------------

def _pair(input: Any, other: Any, name: str, ints: bool) -> tuple:
    """The operands of a two-operand special function, in a floating result dtype (`ints`:
    integers promote to the default float dtype, else torch's kernel refuses them)."""
    a, b, x, y, dt = operands(input, other)
    if dt.kind != "f":
        if not ints:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_legacy(dt)}'")
        dt = default_float(dt)
        x = x.astype(dt) if isinstance(x, np.ndarray) else dt.type(x)
        y = y.astype(dt) if isinstance(y, np.ndarray) else dt.type(y)
    return a, b, x, y, dt


def _record(classes: tuple, r: Tensor, a: Any, b: Any, saved: tuple) -> Tensor:
    """Attaches the node of both operands (classes[0]), of `other` only (classes[1], input a
    number) or of `input` only (classes[2], other a number)."""
    if needs_grad(a, b):
        if a is None:
            attach(classes[1], r, (b,), saved, (), _meta(r._data, b))
        elif b is None:
            attach(classes[2], r, (a,), saved, (), _meta(r._data, a))
        else:
            attach(classes[0], r, (a, b), saved, (), _meta(r._data, a, b))
    return r


def _xlog1py_self_grad(m: Any, g: Any, self: Any, other: Any) -> Any:
    return m.where((self == 0) & (other <= -1), 0.0, m.xlog1py(g, other))


def _xlog1py_other_grad(m: Any, g: Any, self: Any, other: Any) -> Any:
    return g * self / (other + 1)


_XLOG1PY_NODES = (
    node_class("SpecialXlog1PyBackward0", _xlog1py_self_grad, _xlog1py_other_grad),
    node_class("SpecialXlog1PyBackward1", _xlog1py_other_grad),
    node_class("SpecialXlog1PyBackward2", _xlog1py_self_grad),
)


@declare(vmap=POINTWISE)
def xlog1py(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Computes input * log1p(other), with 0 where input is 0 (unless other is NaN)."""
    a, b, x, y, dt = _pair(input, other, "xlog1py", True)
    with np.errstate(all="ignore"):
        r = wrap(fix_dtype(_special.xlog1py(x, y), dt))
    # A number operand is kept as a 0-dim tensor of the result dtype for the formulas.
    return _record(_XLOG1PY_NODES, r, a, b,
                   (x if a is None else a, b if b is not None else wrap(np.asarray(y, dt))))


def _no_derivative(what: str) -> Any:
    def formula(m: Any, g: Any, *saved: Any) -> Any:
        # torch's generated backward raises this when the gradient is asked for.
        raise NotImplementedError(f"the derivative for '{what}' is not implemented.")

    return formula


def _zeta_other_grad(m: Any, g: Any, self: Any, other: Any) -> Any:
    return g * -self * m.zeta(self + 1.0, other)


_ZETA_NODES = (
    node_class("SpecialZetaBackward0", _no_derivative("zeta"), _zeta_other_grad),
    node_class("SpecialZetaBackward1", _zeta_other_grad),
    node_class("SpecialZetaBackward2", _no_derivative("zeta")),
)


@declare(vmap=POINTWISE)
def zeta(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Computes the Hurwitz zeta function, elementwise: the sum over k >= 0 of
    (other + k)^-input."""
    a, b, x, y, dt = _pair(input, other, "zeta", True)
    if dt == np.float16:
        raise NotImplementedError("\"zeta_cpu\" not implemented for 'Half'")
    with np.errstate(all="ignore"):
        r = wrap(fix_dtype(_gamma.zeta64(x, y), dt))
    return _record(_ZETA_NODES, r, a, b,
                   (x if a is None else a, b if b is not None else wrap(np.asarray(y, dt))))


def _igamma_density(m: Any, self: Any, other: Any) -> Any:
    return m.exp((self - 1) * m.log(other) - other - m.lgamma(self))


IgammaBackward0 = node_class(
    "IgammaBackward0", _no_derivative("igamma: input"),
    lambda m, g, self, other: g * _igamma_density(m, self, other))
IgammacBackward0 = node_class(
    "IgammacBackward0", _no_derivative("igammac: input"),
    lambda m, g, self, other: -g * _igamma_density(m, self, other))


def _incomplete_gamma(name: str, kernel: Any, cls: type, doc: str) -> Any:
    @declare(vmap=POINTWISE)
    def op(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = _two_tensors(input, other, name)
        a, b, x, y, dt = _pair(a, b, name, False)
        with np.errstate(all="ignore"):
            r = wrap(fix_dtype(kernel(x, y), dt))
        if needs_grad(a, b):
            attach(cls, r, (a, b), (a, b), (), _meta(r._data, a, b))
        return r

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


igamma = _incomplete_gamma("igamma", _gamma.igamma, IgammaBackward0,
                           "Computes the regularized lower incomplete gamma function of input "
                           "(a) at other (x): the integral of t^(a-1) e^-t from 0 to x, over "
                           "gamma(a).")
igammac = _incomplete_gamma("igammac", _gamma.igammac, IgammacBackward0,
                            "Computes the regularized upper incomplete gamma function of input "
                            "(a) at other (x): 1 - igamma(a, x).")


# -- the functions torch does not differentiate (their results never require grad) -----------

def _not_differentiable(name: str, kernel: Any, doc: str, param: str = "input") -> Any:
    return _unary(name, kernel, None, (), doc, half=False, param=param)


bessel_j0 = _not_differentiable("bessel_j0", _special.bessel_j0,
                                "Bessel function of the first kind of order 0.")
bessel_j1 = _not_differentiable("bessel_j1", _special.bessel_j1,
                                "Bessel function of the first kind of order 1.")
bessel_y0 = _not_differentiable("bessel_y0", _special.bessel_y0,
                                "Bessel function of the second kind of order 0.")
bessel_y1 = _not_differentiable("bessel_y1", _special.bessel_y1,
                                "Bessel function of the second kind of order 1.")
modified_bessel_i0 = _not_differentiable(
    "modified_bessel_i0", _special.modified_bessel_i0,
    "Modified Bessel function of the first kind of order 0.")
modified_bessel_i1 = _not_differentiable(
    "modified_bessel_i1", _special.modified_bessel_i1,
    "Modified Bessel function of the first kind of order 1.")
modified_bessel_k0 = _not_differentiable(
    "modified_bessel_k0", _special.modified_bessel_k0,
    "Modified Bessel function of the second kind of order 0.")
modified_bessel_k1 = _not_differentiable(
    "modified_bessel_k1", _special.modified_bessel_k1,
    "Modified Bessel function of the second kind of order 1.")
scaled_modified_bessel_k0 = _not_differentiable(
    "scaled_modified_bessel_k0", _special.scaled_modified_bessel_k0,
    "Scaled modified Bessel function of the second kind of order 0: exp(x) K0(x).", "x")
scaled_modified_bessel_k1 = _not_differentiable(
    "scaled_modified_bessel_k1", _special.scaled_modified_bessel_k1,
    "Scaled modified Bessel function of the second kind of order 1: exp(x) K1(x).", "x")
spherical_bessel_j0 = _not_differentiable("spherical_bessel_j0", _special.spherical_bessel_j0,
                                          "Spherical Bessel function of the first kind of "
                                          "order 0.", "x")
airy_ai = _not_differentiable("airy_ai", _special.airy_ai, "Airy function Ai.", "x")


def _polynomial(name: str, kernel: Any, doc: str) -> Any:
    """An orthogonal polynomial p_n(x) of a tensor or number x and n (a float n counts by its
    integer part), in the floating result dtype of x and n."""

    @declare(vmap=POINTWISE)
    def op(x: Any, n: Any, *, out: Any = None) -> Tensor:
        if not isinstance(x, Tensor) and not isinstance(n, Tensor):
            check_tensor(x, "x", 0, name)
        _, _, x, k, dt = operands(x, n)
        if dt.kind != "f":
            dt = default_float(dt)
        elif dt == np.float16:
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_legacy(dt)}'")
        x = np.asarray(x, dtype=dt)
        k = np.asarray(k, dtype=np.float64 if np.asarray(k).dtype.kind == "f" else np.int64)
        with np.errstate(all="ignore"):
            return wrap(fix_dtype(kernel(x, k), dt))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _chebyshev(kind: str, shifted: bool) -> Any:
    return lambda x, n: _special.chebyshev(x, n, kind, shifted)


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", _chebyshev("t", False),
                                     "Chebyshev polynomial of the first kind T_n(input).")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", _chebyshev("u", False),
                                     "Chebyshev polynomial of the second kind U_n(input).")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", _chebyshev("v", False),
                                     "Chebyshev polynomial of the third kind V_n(input).")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", _chebyshev("w", False),
                                     "Chebyshev polynomial of the fourth kind W_n(input).")
shifted_chebyshev_polynomial_t = _polynomial(
    "shifted_chebyshev_polynomial_t", _chebyshev("t", True),
    "Chebyshev polynomial of the first kind T*_n(input), shifted to [0, 1].")
shifted_chebyshev_polynomial_u = _polynomial(
    "shifted_chebyshev_polynomial_u", _chebyshev("u", True),
    "Chebyshev polynomial of the second kind U*_n(input), shifted to [0, 1].")
shifted_chebyshev_polynomial_v = _polynomial(
    "shifted_chebyshev_polynomial_v", _chebyshev("v", True),
    "Chebyshev polynomial of the third kind V*_n(input), shifted to [0, 1].")
shifted_chebyshev_polynomial_w = _polynomial(
    "shifted_chebyshev_polynomial_w", _chebyshev("w", True),
    "Chebyshev polynomial of the fourth kind W*_n(input), shifted to [0, 1].")
hermite_polynomial_h = _polynomial("hermite_polynomial_h",
                                   lambda x, n: _special.hermite(x, n, True),
                                   "Physicist's Hermite polynomial H_n(input).")
hermite_polynomial_he = _polynomial("hermite_polynomial_he",
                                    lambda x, n: _special.hermite(x, n, False),
                                    "Probabilist's Hermite polynomial He_n(input).")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", _special.laguerre,
                                    "Laguerre polynomial L_n(input).")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", _special.legendre,
                                    "Legendre polynomial P_n(input).")

# The formulas' helpers, as NumPy (plain backward) and as ember ops (create_graph); the
# lambdas read the module's names when called, which by then are the transform-aware ops.
register_math_pairs({
    "i0": (_special.i0, lambda x: i0(x)), "i0e": (_special.i0e, lambda x: i0e(x)),
    "i1": (_special.i1, lambda x: i1(x)), "i1e": (_special.i1e, lambda x: i1e(x)),
    "xlog1py": (_special.xlog1py, lambda x, y: xlog1py(x, y)),
    "lgamma": (_gamma.lgamma, lambda x: lgamma(x)),
    "zeta": (lambda x, q: _gamma.zeta64(x, q).astype(np.result_type(x, q)),
             lambda x, q: zeta(x, q)),
})

sinc_ = inplace(sinc, "In-place version of sinc().")
lgamma_ = inplace(lgamma, "In-place version of lgamma().")
digamma_ = inplace(digamma, "In-place version of digamma().")
polygamma_ = inplace(polygamma_method, "In-place version of polygamma().")


def _mvlgamma_inplace_check(self: Tensor, *args: Any, **kwargs: Any) -> None:
    dt = self._data.dtype
    if dt.kind in "iu":
        # torch's in-place mvlgamma checks its integer result, naming the types so.
        raise RuntimeError(f"mvlgamma: result type {_legacy(dt)} can't be cast to the desired "
                           f"output type {_legacy(default_float(dt))}")


mvlgamma_ = inplace(mvlgamma, "In-place version of mvlgamma().", _mvlgamma_inplace_check)
i0_ = inplace(i0, "In-place version of i0().")
igamma_ = inplace(igamma, "In-place version of igamma().")
igammac_ = inplace(igammac, "In-place version of igammac().")


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
