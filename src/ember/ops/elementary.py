"""More pointwise ops: exponentials and logarithms, trigonometric and hyperbolic functions,
the error function, rounding, binary maxima and remainders, interpolation and tests on
values. Each node class is a row of the derivative table (see arithmetic.py)."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .. import return_types
from .._dtypes import FROM_NUMPY, float64, result_type, type_meta_name
from .._random_math import fma_f32, fma_f64
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _sleef, _special
from ._core import (
    POINTWISE,
    attach,
    attach_outputs,
    broadcast_shape,
    check_tensor,
    checked_scalar,
    declare,
    default_float,
    first_on_ties,
    fix_dtype,
    needs_grad,
    node_class,
    not_implemented,
    operands,
    quiet,
    unary_jvp,
    unary_op,
    wrap,
)
from ._math import in_double
from .arithmetic import _meta, _sign, _tensor_other_error, pow
from .conversion import to

__all__ = [
    "expm1", "exp2", "log2", "log10", "rsqrt", "tan", "asin", "acos", "atan", "arcsin",
    "arccos", "arctan", "atan2", "arctan2", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsinh", "arccosh", "arctanh", "logit", "erf", "erfc", "erfinv", "sgn", "floor", "ceil",
    "round", "trunc", "fix", "frac", "clamp_min", "clamp_max", "maximum", "minimum", "fmax",
    "fmin", "lerp", "addcmul", "addcdiv", "hypot", "remainder", "fmod", "floor_divide",
    "float_power", "xlogy", "nan_to_num", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isreal", "allclose", "isclose", "equal", "signbit", "copysign", "heaviside",
    "deg2rad", "rad2deg", "gcd", "lcm", "frexp", "ldexp", "positive",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_HALF_SQRT_PI = 0.5 * math.sqrt(math.pi)


def _legacy(dt: np.dtype) -> str:
    return FROM_NUMPY[dt]._legacy


# -- unary functions ---------------------------------------------------------------------

_expm1_in_double = in_double(np.expm1)


def _expm1(x: np.ndarray) -> np.ndarray:
    # float64: SLEEF's expm1 on every element, as torch's kernel (vec::map computes the last,
    # partial vector with SLEEF too), not NumPy's, whose bits vary with its version and build.
    return _sleef.expm1(x) if x.dtype == np.float64 else _expm1_in_double(x)


expm1 = unary_op(
    node_class("Expm1Backward0", lambda m, g, result: g * (result + 1)), _expm1,
    name="expm1", saves="result",
    jvp=lambda m, t, x, y: m.mul(t, m.add(y, 1)),
    doc="Returns a new tensor with the exponential of the elements minus 1.")
exp2 = unary_op(
    node_class("Exp2Backward0", lambda m, g, result: g * (result * _LN2)), np.exp2,
    name="exp2", saves="result",
    jvp=lambda m, t, x, y: m.mul(m.mul(t, y), _LN2),
    doc="Computes the base two exponential function of input.")
log2 = unary_op(
    node_class("Log2Backward0", lambda m, g, self: g / (self * _LN2)), np.log2,
    name="log2",
    jvp=lambda m, t, x, y: m.div(t, m.mul(x, _LN2)),
    doc="Returns a new tensor with the logarithm to the base 2 of the elements of input.")
log10 = unary_op(
    node_class("Log10Backward0", lambda m, g, self: g / (self * _LN10)), in_double(np.log10),
    name="log10",
    jvp=lambda m, t, x, y: m.div(t, m.mul(x, _LN10)),
    doc="Returns a new tensor with the logarithm to the base 10 of the elements of input.")


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(x))


rsqrt = unary_op(
    node_class("RsqrtBackward0", lambda m, g, result: g * (-0.5 * (result * result * result))),
    _rsqrt, name="rsqrt", saves="result",
    jvp=lambda m, t, x, y: m.mul(m.mul(t, m.pow(y, 3)), -0.5),
    doc="Returns a new tensor with the reciprocal of the square-root of each of the "
        "elements of input.")
tan = unary_op(
    node_class("TanBackward0", lambda m, g, result: g * (result * result + 1)), np.tan,
    name="tan", saves="result",
    jvp=lambda m, t, x, y: m.mul(t, m.add(m.mul(y, y), 1)),
    doc="Returns a new tensor with the tangent of the elements of input.")
asin = arcsin = unary_op(
    node_class("AsinBackward0", lambda m, g, self: g * m.rsqrt(1 - self * self)), np.arcsin,
    name="asin",
    jvp=lambda m, t, x, y: m.div(t, m.sqrt(m.rsub(m.mul(x, x), 1))),
    doc="Returns a new tensor with the arcsine of the elements of input.")
acos = arccos = unary_op(
    node_class("AcosBackward0", lambda m, g, self: g * -m.rsqrt(1 - self * self)),
    in_double(np.arccos), name="acos",
    jvp=lambda m, t, x, y: m.neg(m.div(t, m.sqrt(m.rsub(m.mul(x, x), 1)))),
    doc="Returns a new tensor with the inverse cosine of the elements of input.")
atan = arctan = unary_op(
    node_class("AtanBackward0", lambda m, g, self: g / (self * self + 1)), np.arctan,
    name="atan",
    jvp=lambda m, t, x, y: m.div(t, m.add(m.mul(x, x), 1)),
    doc="Returns a new tensor with the arctangent of the elements of input.")
sinh = unary_op(
    node_class("SinhBackward0", lambda m, g, self: g * m.cosh(self)), _sleef.sinh,
    name="sinh",
    jvp=lambda m, t, x, y: m.mul(t, m.cosh(x)),
    doc="Returns a new tensor with the hyperbolic sine of the elements of input.")
cosh = unary_op(
    node_class("CoshBackward0", lambda m, g, self: g * m.sinh(self)), _sleef.cosh,
    name="cosh",
    jvp=lambda m, t, x, y: m.mul(t, m.sinh(x)),
    doc="Returns a new tensor with the hyperbolic cosine of the elements of input.")
asinh = arcsinh = unary_op(
    node_class("AsinhBackward0", lambda m, g, self: g * m.rsqrt(self * self + 1)), np.arcsinh,
    name="asinh",
    doc="Returns a new tensor with the inverse hyperbolic sine of the elements of input.")
acosh = arccosh = unary_op(
    node_class("AcoshBackward0", lambda m, g, self: g * m.rsqrt(self * self - 1)), np.arccosh,
    name="acosh",
    doc="Returns a new tensor with the inverse hyperbolic cosine of the elements of input.")
atanh = arctanh = unary_op(
    node_class("AtanhBackward0", lambda m, g, self: g / (1 - self * self)), np.arctanh,
    name="atanh",
    doc="Returns a new tensor with the inverse hyperbolic tangent of the elements of input.")
erf = unary_op(
    node_class("ErfBackward0", lambda m, g, self: g * (_TWO_OVER_SQRT_PI * m.exp(-(self * self)))),
    _special.erf, name="erf",
    jvp=lambda m, t, x, y: m.mul(m.mul(t, m.exp(m.neg(m.mul(x, x)))), _TWO_OVER_SQRT_PI),
    doc="Computes the error function of input.")
erfc = unary_op(
    node_class("ErfcBackward0",
               lambda m, g, self: g * (-_TWO_OVER_SQRT_PI * m.exp(-(self * self)))),
    _special.erfc, name="erfc",
    doc="Computes the complementary error function of input.")


def _erfinv_grad(m: Any, g: Any, self: Any) -> Any:
    r = m.erfinv(self)
    return g * (_HALF_SQRT_PI * m.exp(r * r))


erfinv = unary_op(
    node_class("ErfinvBackward0", _erfinv_grad), _special.erfinv,
    name="erfinv",
    doc="Computes the inverse error function of input.")


def _logit_grad(m: Any, g: Any, self: Any, eps: Any) -> Any:
    d = g / (self * (1 - self))
    if eps is None:
        return m.where((self < 0) | (self > 1), math.nan, d)
    return m.where((self < eps) | (self > 1 - eps), 0.0, d)


LogitBackward0 = node_class("LogitBackward0", _logit_grad)


@declare(vmap=POINTWISE)
def logit(input: Tensor, eps: float | None = None, *, out: Any = None) -> Tensor:
    """Returns a new tensor with the logit of the elements of input, clamped to
    [eps, 1 - eps] when eps is given."""
    check_tensor(input, fn="logit")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(default_float(x.dtype))
    if eps is not None:
        # torch's kernel tests the lower bound first: with eps > 0.5 the bounds cross.
        lo, hi = x.dtype.type(eps), x.dtype.type(1 - eps)
        x = np.where(x < lo, lo, np.where(x > hi, hi, x))
    with np.errstate(all="ignore"):
        r = wrap(np.log(x / (x.dtype.type(1) - x)))
    if input._rg and _mode.enabled:
        attach(LogitBackward0, r, (input,), (input,), (eps,))
    return r


# -- signs and rounding: piecewise constant, so zero gradients -------------------------------

def _zero_grad(m: Any, g: Any) -> Any:
    return m.zeros_like(g)


def _zero_jvp(m: Any, t: Any, x: Any, y: Any) -> Any:
    return m.mul(t, 0.0)


def _floats_rounded(np_fn: Callable) -> Callable:
    # Integers are whole already: their result is a copy.
    def forward(x: np.ndarray) -> np.ndarray:
        return np_fn(x) if x.dtype.kind == "f" else x.copy()

    return forward


sgn = unary_op(node_class("SgnBackward0", _zero_grad), _sign, name="sgn", saves="",
               floating=False,
               doc="Returns the signs of the elements of input (for real tensors, as sign).")
floor = unary_op(node_class("FloorBackward0", _zero_grad), _floats_rounded(np.floor),
                 name="floor", saves="", floating=False, kinds="iuf", kernel="floor_vml_cpu",
                 jvp=_zero_jvp, doc="Returns a new tensor with the floor of the elements of input.")
ceil = unary_op(node_class("CeilBackward0", _zero_grad), _floats_rounded(np.ceil), name="ceil",
                saves="", floating=False, kinds="iuf", kernel="ceil_vml_cpu", jvp=_zero_jvp,
                doc="Returns a new tensor with the ceil of the elements of input.")
trunc = fix = unary_op(
    node_class("TruncBackward0", _zero_grad), _floats_rounded(np.trunc), name="trunc",
    saves="", floating=False, kinds="iuf", kernel="trunc_vml_cpu", jvp=_zero_jvp,
    doc="Returns a new tensor with the truncated integer values of the elements of input.")
_round0 = unary_op(node_class("RoundBackward0", _zero_grad), _floats_rounded(np.rint),
                   name="round", saves="", floating=False, kinds="iuf", kernel="round_vml_cpu")
RoundBackward1 = node_class("RoundBackward1", lambda m, g, decimals: m.zeros_like(g))


@declare(jvp=unary_jvp(_zero_jvp), vmap=POINTWISE)
def round(input: Tensor, *, decimals: int | None = None, out: Any = None) -> Tensor:
    """Rounds elements of input to the nearest integer (halves to even), or to `decimals`
    decimal digits."""
    # torch's overload with decimals has no integer kernel, even for decimals=0.
    if decimals is not None and isinstance(input, Tensor) and input._data.dtype.kind != "f":
        kernel = "round_cpu" if decimals else "round_vml_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_legacy(input._data.dtype)}'")
    if decimals is None:
        return _round0(input)
    check_tensor(input, fn="round")
    x = input._data
    # Computed in the input's precision, scaling by 10**|decimals| as torch does; decimals=0
    # is the plain rounding kernel, but recorded as the decimals overload.
    p = x.dtype.type(10.0 ** abs(decimals))
    with np.errstate(all="ignore"):
        if decimals == 0:
            r = np.rint(x)
        else:
            r = np.rint(x * p) / p if decimals > 0 else np.rint(x / p) * p
    out_t = wrap(r.astype(x.dtype, copy=False))
    if input._rg and _mode.enabled:
        attach(RoundBackward1, out_t, (input,), (), (decimals,))
    return out_t


FracBackward0 = node_class("FracBackward0", lambda m, g: g)


@declare(jvp=unary_jvp(lambda m, t, x, y: t), vmap=POINTWISE)
def frac(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the fractional portion of each element in input."""
    check_tensor(input, fn="frac")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"frac_cpu" not implemented for \'{_legacy(x.dtype)}\'')
    with np.errstate(invalid="ignore"):
        r = wrap(x - np.trunc(x))
    if input._rg and _mode.enabled:
        attach(FracBackward0, r, (input,))
    return r


# -- clamping --------------------------------------------------------------------------

ClampMinBackward0 = node_class(
    "ClampMinBackward0", lambda m, g, self, lo: m.where(self >= lo, g, 0.0))
ClampMinBackward1 = node_class(
    "ClampMinBackward1",
    lambda m, g, self, lo: m.where(self >= lo, g, 0.0),
    lambda m, g, self, lo: m.where(self < lo, g, 0.0),
)
ClampMaxBackward0 = node_class(
    "ClampMaxBackward0", lambda m, g, self, hi: m.where(self <= hi, g, 0.0))
ClampMaxBackward1 = node_class(
    "ClampMaxBackward1",
    lambda m, g, self, hi: m.where(self <= hi, g, 0.0),
    lambda m, g, self, hi: m.where(self > hi, g, 0.0),
)


def _clamp_one(name: str, np_fn: Callable, number_cls: type, tensor_cls: type, doc: str
               ) -> Callable:
    @declare(vmap=POINTWISE)
    def op(input: Tensor, bound: Any, *, out: Any = None) -> Tensor:
        if not isinstance(input, Tensor) or not isinstance(
                bound, (Tensor, int, float, np.number)):
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got "
                f"({type(input).__name__}, {type(bound).__name__}), but expected one of:\n"
                f" * (Tensor input, Tensor {name[6:]}, *, Tensor out = None)\n"
                f" * (Tensor input, Number {name[6:]}, *, Tensor out = None)\n")
        if isinstance(bound, Tensor):
            a, b, x, y, dt = operands(input, bound)
            r = wrap(fix_dtype(np_fn(x, y), dt))
            if needs_grad(a, b):
                attach(tensor_cls, r, (a, b), (a, b), (), _meta(r._data, a, b))
            return r
        a, _, x, y, dt = operands(input, bound)
        if dt.kind == "b":
            raise not_implemented(f"{name}_scalar_cpu", FROM_NUMPY[dt])
        r = wrap(fix_dtype(np_fn(x, checked_scalar(bound, dt)), dt))
        if input._rg and _mode.enabled:
            attach(number_cls, r, (input,), (input, bound))
        return r

    op.__name__ = name
    op.__doc__ = doc
    return op


clamp_min = _clamp_one("clamp_min", first_on_ties(np.maximum), ClampMinBackward0,
                       ClampMinBackward1,
                       "Clamps all elements in input to be larger or equal to min.")
clamp_max = _clamp_one("clamp_max", first_on_ties(np.minimum), ClampMaxBackward0,
                       ClampMaxBackward1,
                       "Clamps all elements in input to be smaller or equal to max.")


# -- binary ops on two tensors -----------------------------------------------------------------

def _two_tensors(input: Any, other: Any, name: str) -> tuple:
    if not isinstance(input, Tensor):
        check_tensor(input, "input", 0, name)
    if not isinstance(other, Tensor):
        check_tensor(other, "other", 1, name)
    return operands(input, other)


def _split_tie(m: Any, g: Any, lose: Any, tie: Any) -> Any:
    # Where the operands tie each gets half the gradient; where either is NaN, both get it.
    return m.where(tie, g / 2, m.where(lose, 0.0, g))


MaximumBackward0 = node_class(
    "MaximumBackward0",
    lambda m, g, self, other: _split_tie(m, g, self < other, self == other),
    lambda m, g, self, other: _split_tie(m, g, self > other, self == other),
)
MinimumBackward0 = node_class(
    "MinimumBackward0",
    lambda m, g, self, other: _split_tie(m, g, self > other, self == other),
    lambda m, g, self, other: _split_tie(m, g, self < other, self == other),
)
# fmax/fmin pick input at ties and wherever other is NaN.
FmaxBackward0 = node_class(
    "FmaxBackward0",
    lambda m, g, self, other: m.where((self >= other) | (other != other), g, 0.0),
    lambda m, g, self, other: m.where((self >= other) | (other != other), 0.0, g),
)
FminBackward0 = node_class(
    "FminBackward0",
    lambda m, g, self, other: m.where((self <= other) | (other != other), g, 0.0),
    lambda m, g, self, other: m.where((self <= other) | (other != other), 0.0, g),
)


def _selecting(name: str, np_fn: Callable, cls: type, doc: str) -> Callable:
    @declare(vmap=POINTWISE)
    def op(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = _two_tensors(input, other, name)
        r = wrap(fix_dtype(np_fn(x, y), dt))
        if needs_grad(a, b):
            attach(cls, r, (a, b), (a, b), (), _meta(r._data, a, b))
        return r

    op.__name__ = name
    op.__doc__ = doc
    return op


# torch's maximum and minimum give either zero of a (-0., 0.) tie depending on whether an
# element falls in its vectorised loop or its scalar tail, so no rule matches them; fmax,
# fmin and clamp by numbers keep their first operand throughout.
maximum = _selecting("maximum", np.maximum, MaximumBackward0,
                     "Computes the element-wise maximum of input and other.")
minimum = _selecting("minimum", np.minimum, MinimumBackward0,
                     "Computes the element-wise minimum of input and other.")
fmax = _selecting("fmax", first_on_ties(np.fmax), FmaxBackward0,
                  "Computes the element-wise maximum of input and other, ignoring NaN.")
fmin = _selecting("fmin", first_on_ties(np.fmin), FminBackward0,
                  "Computes the element-wise minimum of input and other, ignoring NaN.")


def _atan2_recip(m: Any, self: Any, other: Any) -> Any:
    # torch takes 1 / (self^2 + other^2) as 0 where the sum is 0, so atan2(0, 0) has zero
    # gradients (and nan second derivatives, as the reciprocal is still in the graph).
    denom = self * self + other * other
    return m.where(denom == 0, 0.0, 1 / denom)


def _atan2_self(m: Any, g: Any, self: Any, other: Any) -> Any:
    with np.errstate(all="ignore"):
        return g * other * _atan2_recip(m, self, other)


def _atan2_other(m: Any, g: Any, self: Any, other: Any) -> Any:
    with np.errstate(all="ignore"):
        return g * -self * _atan2_recip(m, self, other)


Atan2Backward0 = node_class("Atan2Backward0", _atan2_self, _atan2_other)
HypotBackward0 = node_class(
    "HypotBackward0",
    lambda m, g, self, other, result: g * (self / result),
    lambda m, g, self, other, result: g * (other / result),
)


@declare(vmap=POINTWISE)
def atan2(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Element-wise arctangent of input / other, with the quadrant given by both signs."""
    a, b, x, y, dt = _two_tensors(input, other, "atan2")
    if dt.kind != "f":
        dt = default_float(dt)
        x, y = x.astype(dt), y.astype(dt)
    r = wrap(fix_dtype(np.arctan2(x, y), dt))
    if needs_grad(a, b):
        attach(Atan2Backward0, r, (a, b), (a, b), (), _meta(r._data, a, b))
    return r


arctan2 = atan2


@declare(vmap=POINTWISE)
def hypot(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Given the legs of a right triangle, returns its hypotenuse."""
    a, b, x, y, dt = _two_tensors(input, other, "hypot")
    if dt.kind != "f":
        raise NotImplementedError(f"\"hypot_cpu\" not implemented for '{_legacy(dt)}'")
    r = wrap(fix_dtype(quiet(np.hypot, x, y), dt))
    if needs_grad(a, b):
        attach(HypotBackward0, r, (a, b), (a, b, r), (), _meta(r._data, a, b))
    return r


# -- remainders and floor division ---------------------------------------------------------

RemainderBackward0 = node_class("RemainderBackward0", lambda m, g: g)
RemainderBackward1 = node_class(
    "RemainderBackward1",
    lambda m, g, self, other: g,
    # torch's self.div(other, rounding_mode='floor'), not floor(self / other).
    lambda m, g, self, other: -g * m.div_floor(self, other),
)
FmodBackward0 = node_class("FmodBackward0", lambda m, g: g)
FmodBackward1 = node_class(
    "FmodBackward1",
    lambda m, g, self, other: g,
    lambda m, g, self, other: -g * m.trunc(self / other),
)


class _NotImplementedFormula:
    """The backward of an op torch does not differentiate: it fails when it is reached."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def __call__(self, m: Any, g: Any, *args: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _not_implemented(op: str, n: int) -> type:
    f = _NotImplementedFormula(op)
    cls = node_class("NotImplemented", *([f] * n))
    # torch's class is NotImplemented; name() gives its C++ name.
    cls.name = lambda self: "torch::autograd::NotImplemented"
    return cls


_NoRemainder1 = _not_implemented("remainder", 1)
_NoFloorDivide1 = _not_implemented("floor_divide", 1)
_NoFloorDivide2 = _not_implemented("floor_divide", 2)


def _int_division(name: str, y: Any, dt: np.dtype) -> None:
    if dt.kind == "b":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    if dt.kind in "iu" and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


def _python_remainder(x: Any, y: Any, dt: np.dtype) -> np.ndarray:
    if dt.kind != "f":
        return np.remainder(x, y)
    # torch computes a - b * floor(a / b), then moves a nonzero result to b's sign.
    with np.errstate(all="ignore"):
        r = np.fmod(x, y)
        fix_sign = (r != 0) & ((r < 0) != (np.asarray(y) < 0))
        return np.where(fix_sign, r + y, r)


@declare(vmap=POINTWISE)
def remainder(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Computes Python's modulus operation entrywise: the result has the sign of the
    divisor."""
    a, b, x, y, dt = operands(input, other)
    _int_division("remainder", y, dt)
    r = wrap(fix_dtype(_python_remainder(x, y, dt), dt))
    if needs_grad(a, b):
        if a is None:
            attach(_NoRemainder1, r, (b,))
        elif b is None:
            attach(RemainderBackward0, r, (a,), (), (), _meta(r._data, a))
        else:
            attach(RemainderBackward1, r, (a, b), (a, b), (), _meta(r._data, a, b))
    return r


@declare(vmap=POINTWISE)
def fmod(input: Tensor, other: Any, *, out: Any = None) -> Tensor:
    """Applies C++'s fmod entrywise: the result has the sign of the dividend."""
    if not isinstance(input, Tensor):
        raise _tensor_other_error("fmod", input, other)
    a, b, x, y, dt = operands(input, other)
    _int_division("fmod", y, dt)
    with np.errstate(all="ignore"):
        r = wrap(fix_dtype(np.fmod(x, y), dt))
    if needs_grad(a, b):
        if b is None:
            attach(FmodBackward0, r, (a,), (), (), _meta(r._data, a))
        else:
            attach(FmodBackward1, r, (a, b), (a, b), (), _meta(r._data, a, b))
    return r


@declare(vmap=POINTWISE)
def floor_divide(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Computes input divided by other, elementwise, and floors the result."""
    a, b, x, y, dt = operands(input, other)
    if dt.kind == "b":
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    _int_division("div_floor", y, dt)
    with np.errstate(all="ignore"):
        if dt.kind == "f":
            # NumPy's float floor_divide is torch's: the quotient of x - fmod(x, y), corrected
            # by the remainder's sign; floor(x / y) differs where x / y rounds to an integer.
            q = np.floor_divide(x, y)
        else:
            q = np.floor_divide(x, y)
    r = wrap(fix_dtype(q, dt))
    if needs_grad(a, b):
        if a is None or b is None:
            attach(_NoFloorDivide1, r, (a if b is None else b,))
        else:
            attach(_NoFloorDivide2, r, (a, b))
    return r


# -- interpolation and fused multiply-adds -----------------------------------------------------

LerpBackward0 = node_class(
    "LerpBackward0",
    lambda m, g, weight: g * (1 - weight),
    lambda m, g, weight: g * weight,
)
LerpBackward1 = node_class(
    "LerpBackward1",
    lambda m, g, self, end, weight: g * (1 - weight),
    lambda m, g, self, end, weight: g * weight,
    lambda m, g, self, end, weight: g * (end - self),
)


def _lerp_values(x: np.ndarray, y: np.ndarray, w: Any) -> np.ndarray:
    # Interpolates from the nearer end, as torch does, so lerp(a, b, 1) == b exactly, each
    # side one fused multiply-add as torch's kernel computes it: fma(w, d, x) or
    # fma(-d, 1 - w, y), in float for half inputs (the opmath type).
    if x.dtype == np.float64:
        fma, ft = fma_f64, np.float64
    else:
        fma, ft = fma_f32, np.float32
    x, y, w = x.astype(ft, copy=False), y.astype(ft, copy=False), np.asarray(w, ft)
    d = y - x
    return np.where(np.abs(w) < 0.5, fma(w, d, x), fma(-d, ft(1) - w, y))


@declare(vmap=POINTWISE)
def lerp(input: Tensor, end: Tensor, weight: Any, *, out: Any = None) -> Tensor:
    """Linear interpolation of two tensors input (start) and end based on a scalar or tensor
    weight: input + weight * (end - input)."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor) or not isinstance(
            weight, (Tensor, int, float, np.number)):
        names = ", ".join(type(v).__name__ for v in (input, end, weight))
        raise TypeError(
            f"lerp() received an invalid combination of arguments - got ({names}), but "
            "expected one of:\n * (Tensor input, Tensor end, Tensor weight, *, Tensor out = "
            "None)\n * (Tensor input, Tensor end, Number weight, *, Tensor out = None)\n")
    x, y = input._data, end._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected dtype {type_meta_name(x.dtype)} for `end` but got "
                           f"dtype {type_meta_name(y.dtype)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"lerp_kernel_{'tensor' if isinstance(weight, Tensor) else 'scalar'}\" not "
            f"implemented for '{_legacy(x.dtype)}'")
    dt = x.dtype
    if isinstance(weight, Tensor):
        w = weight._data
        if w.dtype != dt:
            raise RuntimeError(f"expected dtype {type_meta_name(dt)} for `weight` but got "
                               f"dtype {type_meta_name(w.dtype)}")
        broadcast_shape(broadcast_shape(x.shape, y.shape), w.shape)
        with np.errstate(all="ignore"):
            r = wrap(fix_dtype(_lerp_values(x, y, w), dt))
        if needs_grad(input, end, weight):
            attach(LerpBackward1, r, (input, end, weight), (input, end, weight), (),
                   _meta(r._data, input, end, weight))
        return r
    broadcast_shape(x.shape, y.shape)
    with np.errstate(all="ignore"):
        # The weight in the opmath type (float for half), not rounded to the dtype first.
        r = wrap(fix_dtype(_lerp_values(x, y, weight), dt))
    if needs_grad(input, end):
        attach(LerpBackward0, r, (input, end), (), (weight,), _meta(r._data, input, end))
    return r


AddcmulBackward0 = node_class(
    "AddcmulBackward0",
    lambda m, g, t1, t2, value: g,
    lambda m, g, t1, t2, value: g * (t2 * value),
    lambda m, g, t1, t2, value: g * (t1 * value),
)
AddcdivBackward0 = node_class(
    "AddcdivBackward0",
    lambda m, g, t1, t2, value: g,
    lambda m, g, t1, t2, value: g * (value / t2),
    lambda m, g, t1, t2, value: -g * ((value * t1) / (t2 * t2)),
)


def _three(input: Any, t1: Any, t2: Any, name: str) -> np.dtype:
    for i, (v, n) in enumerate(((input, "input"), (t1, "tensor1"), (t2, "tensor2"))):
        if not isinstance(v, Tensor):
            check_tensor(v, n, i, name)
    dt = result_type(input, t1, t2).np
    broadcast_shape(broadcast_shape(input._data.shape, t1._data.shape), t2._data.shape)
    return dt


@declare(vmap=POINTWISE)
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Any = None) -> Tensor:
    """Performs the element-wise multiplication of tensor1 by tensor2, multiplies the result
    by the scalar value and adds it to input."""
    dt = _three(input, tensor1, tensor2, "addcmul")
    x, y, z = (t._data.astype(dt, copy=False) for t in (input, tensor1, tensor2))
    r = wrap(fix_dtype(x + dt.type(value) * (y * z), dt))
    if needs_grad(input, tensor1, tensor2):
        attach(AddcmulBackward0, r, (input, tensor1, tensor2), (tensor1, tensor2), (value,),
               _meta(r._data, input, tensor1, tensor2))
    return r


@declare(vmap=POINTWISE)
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1,
            out: Any = None) -> Tensor:
    """Performs the element-wise division of tensor1 by tensor2, multiplies the result by
    the scalar value and adds it to input."""
    dt = _three(input, tensor1, tensor2, "addcdiv")
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
            "for float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    x, y, z = (t._data.astype(dt, copy=False) for t in (input, tensor1, tensor2))
    with np.errstate(all="ignore"):
        r = wrap(fix_dtype(x + dt.type(value) * (y / z), dt))
    if needs_grad(input, tensor1, tensor2):
        attach(AddcdivBackward0, r, (input, tensor1, tensor2), (tensor1, tensor2), (value,),
               _meta(r._data, input, tensor1, tensor2))
    return r


# -- powers and logarithms of pairs ------------------------------------------------------------

@declare(vmap=POINTWISE)
def float_power(input: Any, exponent: Any, *, out: Any = None) -> Tensor:
    """Raises input to the power of exponent, elementwise, in double precision."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        check_tensor(input, fn="float_power")
    base = to(input, float64) if isinstance(input, Tensor) else float(input)
    exp = to(exponent, float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(base, exp)


def _xlogy_array(x: Any, y: Any) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y)))


def _xlogy_self_grad(m: Any, g: Any, self: Any, other: Any) -> Any:
    # torch's formula: xlogy(grad, other), zeroed where self is 0 and other is not positive
    # (log(other) is also the gradient at self = 0).
    return m.where((self == 0) & (other <= 0), 0.0, m.xlogy(g, other))


XlogyBackward0 = node_class(
    "XlogyBackward0",
    _xlogy_self_grad,
    lambda m, g, self, other: g * self / other,
)
XlogyBackward1 = node_class("XlogyBackward1", lambda m, g, self, other: g * self / other)
XlogyBackward2 = node_class(
    "XlogyBackward2", _xlogy_self_grad)


@declare(vmap=POINTWISE)
def xlogy(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Computes input * log(other), with 0 where input is 0 (unless other is NaN)."""
    a, b, x, y, dt = operands(input, other)
    if dt.kind != "f":
        dt = default_float(dt)
        x = x.astype(dt) if isinstance(x, np.ndarray) else dt.type(x)
        y = y.astype(dt) if isinstance(y, np.ndarray) else dt.type(y)
    r = wrap(fix_dtype(_xlogy_array(x, y), dt))
    if needs_grad(a, b):
        if a is None:
            attach(XlogyBackward1, r, (b,), (x, b), (), _meta(r._data, b))
        elif b is None:
            # The number as a 0-dim tensor of the result dtype, so that the formula's xlogy
            # computes in that dtype under create_graph too.
            attach(XlogyBackward2, r, (a,), (a, wrap(np.asarray(y, dtype=dt))), (),
                   _meta(r._data, a))
        else:
            attach(XlogyBackward0, r, (a, b), (a, b), (), _meta(r._data, a, b))
    return r


# -- tests on values ---------------------------------------------------------------------

NanToNumBackward0 = node_class(
    "NanToNumBackward0", lambda m, g, self: m.where(m.isfinite(self), g, 0.0))


@declare(vmap=POINTWISE)
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None, *, out: Any = None) -> Tensor:
    """Replaces NaN, positive infinity, and negative infinity values in input with the values
    specified by nan, posinf, and neginf (by default the dtype's largest and lowest)."""
    check_tensor(input, fn="nan_to_num")
    x = input._data
    if x.dtype.kind != "f":
        r = wrap(x.copy())
    else:
        info = np.finfo(x.dtype)
        # As torch, None for nan means zero.
        r = wrap(np.nan_to_num(x, nan=0.0 if nan is None else nan,
                               posinf=info.max if posinf is None else posinf,
                               neginf=info.min if neginf is None else neginf))
    if input._rg and _mode.enabled:
        attach(NanToNumBackward0, r, (input,), (input,))
    return r


def _predicate(name: str, np_fn: Callable, int_value: bool, doc: str) -> Callable:
    @declare(vmap=POINTWISE)
    def op(input: Tensor) -> Tensor:
        check_tensor(input, fn=name)
        x = input._data
        if x.dtype.kind != "f":
            return wrap(np.full(x.shape, int_value))
        return wrap(np_fn(x))

    op.__name__ = name
    op.__doc__ = doc
    return op


isnan = _predicate("isnan", np.isnan, False,
                   "Returns a new tensor with boolean elements representing if each element "
                   "of input is NaN or not.")
isinf = _predicate("isinf", np.isinf, False,
                   "Tests if each element of input is infinite (positive or negative "
                   "infinity) or not.")
isfinite = _predicate("isfinite", np.isfinite, True,
                      "Returns a new tensor with boolean elements representing if each "
                      "element is finite or not.")
isposinf = _predicate("isposinf", np.isposinf, False,
                      "Tests if each element of input is positive infinity or not.")
isneginf = _predicate("isneginf", np.isneginf, False,
                      "Tests if each element of input is negative infinity or not.")
isreal = _predicate("isreal", lambda x: np.ones(x.shape, bool), True,
                    "Returns a new tensor with boolean elements representing if each element "
                    "of input is real-valued or not.")


@declare(vmap=POINTWISE)
def signbit(input: Tensor, *, out: Any = None) -> Tensor:
    """Tests if each element of input has its sign bit set or not (-0.0 and negative NaN
    included)."""
    check_tensor(input, fn="signbit")
    x = input._data
    if x.dtype.kind == "f":
        return wrap(np.signbit(x))
    return wrap(x < 0 if x.dtype.kind == "i" else np.zeros(x.shape, bool))


def _copysign_grad(m: Any, g: Any, self: Any, result: Any) -> Any:
    # torch's copysign_tensor_self_backward: result / self, 0 where self is 0.
    return g * m.where(self == 0, 0.0, result / self)


# other's gradient is torch's zeros_like(other): no function of the gradient (the engine
# sums the broadcast zeros back to other's shape).
CopysignBackward0 = node_class("CopysignBackward0", _copysign_grad,
                               lambda m, g, self, result: m.zeros_like(g))
CopysignBackward1 = node_class("CopysignBackward1", _copysign_grad)


@declare(vmap=POINTWISE)
def copysign(input: Tensor, other: Any, *, out: Any = None) -> Tensor:
    """Creates a new floating-point tensor with the magnitude of input and the sign of other,
    elementwise."""
    check_tensor(input, fn="copysign")
    a, b, x, y, dt = operands(input, other)
    dt = default_float(dt)
    r = wrap(fix_dtype(np.copysign(x, y, dtype=dt), dt))
    if b is None:
        if a._rg and _mode.enabled:
            attach(CopysignBackward1, r, (a,), (a, r), (), _meta(r._data, a))
    elif needs_grad(a, b):
        attach(CopysignBackward0, r, (a, b), (a, r), (), _meta(r._data, a, b))
    return r


_NoHeaviside = _not_implemented("heaviside", 2)


@declare(vmap=POINTWISE)
def heaviside(input: Tensor, values: Tensor, *, out: Any = None) -> Tensor:
    """Computes the Heaviside step function for each element in input: 0 below zero, values
    at zero, 1 above zero."""
    check_tensor(input, fn="heaviside")
    check_tensor(values, "values", 1, "heaviside")
    x, v = input._data, values._data
    shape = broadcast_shape(x.shape, v.shape)
    if x.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different "
                           "dtypes.")
    # NaN is neither 0 nor above it: 0, where NumPy's heaviside gives NaN.
    r = wrap(np.asarray(np.where(x == 0, v, x > 0), dtype=x.dtype).reshape(shape))
    if needs_grad(input, values):
        attach(_NoHeaviside, r, (input, values))
    return r


def _degrees(name: str, node: str, factor: float, doc: str) -> Callable:
    # torch's deg2rad_backward and rad2deg_backward: the gradient times the same factor.
    cls = node_class(node, lambda m, g: g * factor)
    return unary_op(cls, lambda x: x * x.dtype.type(factor), name=name, saves="",
                    jvp=lambda m, t, x, y: m.mul(t, factor), doc=doc)


deg2rad = _degrees("deg2rad", "Deg2RadBackward0", math.pi / 180,
                   "Returns a new tensor with each of the elements of input converted from "
                   "angles in degrees to radians.")
rad2deg = _degrees("rad2deg", "Rad2DegBackward0", 180 / math.pi,
                   "Returns a new tensor with each of the elements of input converted from "
                   "angles in radians to degrees.")


def _integer_pair(name: str, np_fn: Callable, doc: str) -> Callable:
    @declare(vmap=POINTWISE)
    def op(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = _two_tensors(input, other, name)
        if dt.kind not in "iu":
            raise not_implemented(f"{name}_cpu", FROM_NUMPY[dt])
        return wrap(fix_dtype(np_fn(x, y, dtype=dt), dt))

    op.__name__ = name
    op.__doc__ = doc
    return op


gcd = _integer_pair("gcd", np.gcd, "Computes the element-wise greatest common divisor (GCD) "
                                   "of input and other.")
lcm = _integer_pair("lcm", np.lcm, "Computes the element-wise least common multiple (LCM) of "
                                   "input and other.")

FrexpBackward0 = node_class(
    "FrexpBackward0", lambda m, grads, exponent: grads[0] / m.pow(2.0, exponent),
    n_outputs=2)


def frexp(input: Tensor, *, out: Any = None) -> Any:
    """Decomposes input into mantissa and exponent tensors such that input = mantissa *
    (2 ** exponent); the mantissa is in the open interval (-1, 1)."""
    check_tensor(input, fn="frexp")
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    with np.errstate(all="ignore"):
        mant, exp = np.frexp(x)
    m, e = wrap(np.asarray(mant, x.dtype)), wrap(np.asarray(exp, np.int32))
    if input._rg and _mode.enabled:
        # The exponent, an integer tensor, takes no gradient: saved as the float it scales by.
        attach_outputs(FrexpBackward0, (m, e), (input,), (np.asarray(exp, x.dtype),))
    return return_types.frexp((m, e))


def _ldexp_self(m: Any, g: Any, other: Any, result: Any, powers: Any) -> Any:
    # torch's grad * pow(2, other): an integer exponent gives an integer power (`powers`,
    # computed at the forward), a floating one the power of 2.0.
    return g * (m.pow(2.0, other) if powers is None else m.const(powers))


LdexpBackward0 = node_class("LdexpBackward0", _ldexp_self,
                            lambda m, g, other, result, powers: g * result * _LN2)


def _integer_powers_of_two(e: np.ndarray) -> np.ndarray:
    """pow(2, e) for an integer (or bool) tensor e as torch computes it: in e's dtype (int64
    for bool), wrapping on overflow, 0 for negative exponents."""
    e = e.astype(np.int64) if e.dtype.kind == "b" else e
    with np.errstate(all="ignore"):
        return np.where(e < 0, 0, np.power(e.dtype.type(2), np.maximum(e, 0))).astype(e.dtype)


@declare(vmap=POINTWISE)
def ldexp(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:
    """Multiplies input by 2 ** other."""
    a, b, x, y, dt = _two_tensors(input, other, "ldexp")
    if input._data.dtype.kind == "f" and other._data.dtype.kind == "b":
        # torch's kernel for a floating input with an integer exponent has no bool version.
        raise not_implemented("ldexp_cpu_exp", other.dtype)
    dt = default_float(dt)
    e = other._data
    with np.errstate(all="ignore"):
        if e.dtype.kind == "f":
            # torch's self * pow(2, other): the power rounded to other's dtype first.
            out = np.multiply(x, np.power(e.dtype.type(2), e).astype(dt), dtype=dt)
        else:
            # An integer exponent scales exactly (clipped where every float overflows).
            out = np.ldexp(x.astype(dt), np.clip(e, -4096, 4096).astype(np.int32))
    r = wrap(fix_dtype(out, dt))
    if needs_grad(a, b):
        e = other._data
        with np.errstate(all="ignore"):
            powers = None if e.dtype.kind == "f" else _integer_powers_of_two(e).astype(dt)
        attach(LdexpBackward0, r, (a, b), (b, r), (powers,), _meta(r._data, a, b))
    return r


def positive(input: Tensor) -> Tensor:
    """Returns input itself; refused for bool tensors."""
    check_tensor(input, fn="positive")
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _close_args(input: Any, other: Any, rtol: float, atol: float) -> tuple:
    check_tensor(input, fn="isclose")
    check_tensor(other, "other", 1, "isclose")
    x, y = input._data, other._data
    if x.dtype != y.dtype:
        raise RuntimeError(f"{_legacy(x.dtype)} did not match {_legacy(y.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    broadcast_shape(x.shape, y.shape)
    return x, y


def _isclose(x: np.ndarray, y: np.ndarray, rtol: float, atol: float, equal_nan: bool
             ) -> np.ndarray:
    if x.dtype.kind == "b":
        return np.asarray(x == y)
    with np.errstate(all="ignore"):
        close = x == y
        if equal_nan:
            close = close | (np.isnan(x) & np.isnan(y))
        if x.dtype.kind != "f":
            # torch compares integers in the default float precision.
            fd = default_float(x.dtype)
            x, y = x.astype(fd), y.astype(fd)
        diff = np.abs(x - y)
        finite = np.isfinite(diff)
        close = close | (finite & (diff <= atol + rtol * np.abs(y)))
    return np.asarray(close)


@declare(vmap=POINTWISE)
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Returns a new tensor with boolean elements representing if each element of input is
    "close" to the corresponding element of other: |input - other| <= atol + rtol * |other|."""
    x, y = _close_args(input, other, rtol, atol)
    return wrap(_isclose(x, y, rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Checks whether all of input and other satisfy |input - other| <= atol + rtol * |other|."""
    x, y = _close_args(input, other, rtol, atol)
    return bool(_isclose(x, y, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True if two tensors have the same size and elements, False otherwise."""
    check_tensor(input, fn="equal")
    check_tensor(other, "other", 1, "equal")
    x, y = input._data, other._data
    if x.shape != y.shape:
        return False
    return bool(np.array_equal(x, y))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
