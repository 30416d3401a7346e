"""Pointwise ops and their derivatives.

Each node class is one row of the derivative table: torch's name, then one formula per
input, f(m, grad, *saved, *ctx), written with the namespace `m` so that it runs on arrays
in plain backward and on tensors (recording a graph) under create_graph=True.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .._dtypes import FROM_NUMPY
from .._quiet import quiet_off, quiet_on
from .._random_math import fma_f32, fma_f64
from .._tensor import Tensor
from .._transform_hooks import ACTIVE, transform_ops
from .._version import ZERO_VC
from ..autograd import _cuts
from ..autograd.grad_mode import state as _mode
from . import _math
from ._core import (
    DIVIDES,
    MULTIPLIES,
    POINTWISE,
    attach,
    attach_binary,
    attach_unary,
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
    tangent_sum,
    unary_jvp,
    unary_op,
    warn_once,
    wrap,
)
from ._math import power_by_number, scalar_power, zero_where

_make = Tensor._make
_new = object.__new__
ndarray = np.ndarray

__all__ = [
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "neg",
    "negative", "pow", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "abs",
    "absolute", "sqrt", "reciprocal", "clamp", "clip", "eq", "ne", "lt", "le", "gt", "ge",
    "greater", "greater_equal", "less", "less_equal", "not_equal", "square", "log1p", "sign",
    "where", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "logical_and",
    "logical_or", "logical_xor", "logical_not",
]


def _meta(out: np.ndarray, *inputs: Any) -> Any:
    """Per-input (shape, dtype) where an input differs from the output, so that the engine
    can sum broadcast gradients back and cast them; None when all match."""
    shape, dt = out.shape, out.dtype
    meta = None
    mixed = False
    for i, t in enumerate(inputs):
        if t is not None:
            d = t._data
            if d.shape != shape or d.dtype is not dt:
                if meta is None:
                    meta = [None] * len(inputs)
                meta[i] = (d.shape, d.dtype)
                mixed = mixed or d.dtype != dt
    if mixed:
        # A formula that multiplies by an input of another dtype (an integer tensor) widens
        # the gradients of the inputs that match the output too: cast those back as well.
        for i, t in enumerate(inputs):
            if t is not None and meta[i] is None:
                meta[i] = (t._data.shape, t._data.dtype)
    return meta


# Forward-mode rules (see `declare`): m is the namespace of ops forward AD hands them.

def _add_jvp(sign: float) -> Callable:
    def rule(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        alpha = kwargs.get("alpha", 1) * sign
        ta, tb = tangents[0], tangents[1] if len(tangents) > 1 else None
        tb = None if tb is None else (tb if alpha == 1 else m.mul(tb, alpha))
        return tangent_sum(m, ta, tb)

    return rule


def _rsub_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    alpha = kwargs.get("alpha", 1)
    ta, tb = tangents[0], tangents[1] if len(tangents) > 1 else None
    return tangent_sum(m, None if ta is None else m.mul(ta, -alpha), tb)


def _mul_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    a, b = args[0], args[1]
    ta, tb = tangents[0], tangents[1]
    return tangent_sum(m, None if ta is None else m.mul(ta, b),
                        None if tb is None else m.mul(a, tb))


def _div_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    if kwargs.get("rounding_mode") is not None:
        return m.zeros_like(out)
    ta, tb = tangents[0], tangents[1]
    return m.div(tangent_sum(m, ta, None if tb is None else m.neg(m.mul(out, tb))), args[1])


def _pow_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    a, b = args[0], args[1]
    ta, tb = tangents[0], tangents[1]
    terms = []
    number = isinstance(b, (int, float))
    if ta is not None:
        if number and b == 0:
            terms.append(m.mul(ta, 0.0))
        else:
            terms.append(m.mul(m.mul(ta, b), m.pow(a, b - 1 if number else m.sub(b, 1))))
    if tb is not None:
        loga = m.log(a) if not isinstance(a, (int, float)) else math.log(a) if a > 0 \
            else float("nan")
        terms.append(m.mul(m.mul(tb, out), loga))
    return tangent_sum(m, *terms)


def _where_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    ta, tb = tangents[1], tangents[2]
    if ta is None and tb is None:
        return None
    return m.where(args[0], 0.0 if ta is None else ta, 0.0 if tb is None else tb)


def _clamp_jvp(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    x = args[0]
    lo = args[1] if len(args) > 1 else kwargs.get("min")
    hi = args[2] if len(args) > 2 else kwargs.get("max")
    t = tangents[0]
    if t is None:
        return None
    keep = None
    if lo is not None:
        keep = m.ge(x, lo)
    if hi is not None:
        k2 = m.le(x, hi)
        keep = k2 if keep is None else m.logical_and(keep, k2)
    return m.where(keep, t, 0.0)


# -- arithmetic --------------------------------------------------------------------------

AddBackward0 = node_class(
    "AddBackward0",
    lambda m, g, alpha=1: g,
    lambda m, g, alpha=1: g if alpha == 1 else g * alpha,
)
# torch's add(Tensor, Scalar), which only its C++ composites (rms_norm, special.ndtr)
# call: one edge (mul's and div's are scalar_op's).
AddScalarBackward1 = node_class("AddBackward1", lambda m, g: g)
SubBackward0 = node_class(
    "SubBackward0",
    lambda m, g, alpha=1: g,
    lambda m, g, alpha=1: -g if alpha == 1 else g * -alpha,
)
RsubBackward0 = node_class(
    "RsubBackward0",
    lambda m, g, alpha: -g if alpha == 1 else g * -alpha,
    lambda m, g, alpha: g,
)
RsubBackward1 = node_class("RsubBackward1", lambda m, g, alpha: -g if alpha == 1 else g * -alpha)
MulBackward0 = node_class(
    "MulBackward0",
    lambda m, g, self, other: g * other,
    lambda m, g, self, other: g * self,
)
DivBackward0 = node_class(
    "DivBackward0",
    lambda m, g, self, other: g / other,
    lambda m, g, self, other: -g * ((self / other) / other),
)
NegBackward0 = node_class("NegBackward0", lambda m, g: -g)


PowBackward0 = node_class(
    "PowBackward0",
    lambda m, g, self, exponent: g * 0 if exponent == 0
    else g * (2 * self) if exponent == 2
    else g * (exponent * m.pow(self, exponent - 1)),
)
PowBackward1 = node_class(
    "PowBackward1",
    # torch masks the exponent == 0 case, where exponent * self ** -1 would give nan at 0; the
    # mask also keeps that term out of the second derivatives.
    lambda m, g, self, exponent, result: m.where(
        exponent == 0, 0.0, g * (exponent * m.pow(self, exponent - 1))),
    lambda m, g, self, exponent, result: g * m.where(
        (self == 0) & (exponent >= 0), 0.0, result * m.log(self)),
)
PowBackward2 = node_class(
    "PowBackward2",
    lambda m, g, exponent, result, base, log_base:
    g * m.where(exponent >= 0, 0.0, result * log_base) if base == 0
    else g * (result * log_base),
)


def _binary(np_fn: Callable, cls: type, input: Any, other: Any, save: int) -> Tensor:
    if type(input) is Tensor and input._data.dtype.kind == "f":
        # Fast path: float tensor with a same-dtype tensor of its shape (or either of them
        # 0-dim: a + b * x with 0-dim a and b, 1.3 us where the general path takes 2.4 us)
        # or a Python number. (NumPy hands back scalars for 0-dim operands, and NumPy 1.x
        # may widen them.)
        x = input._data
        t = type(other)
        meta = None
        if t is float or t is int:
            # A 0-dim array meets the number in its own dtype, as torch computes: NumPy 1.x
            # would compute in double and round once more.
            y = other if x.ndim else x.dtype.type(other)
            grad = input._rg
        elif t is Tensor and other._data.dtype is x.dtype:
            y = other._data
            if y.shape != x.shape:
                if y.ndim and x.ndim:
                    y = None
                else:
                    # One operand is 0-dim: its gradient is summed down to it (see _meta).
                    meta = (((), x.dtype), None) if not x.ndim else (None, ((), y.dtype))
            grad = input._rg or other._rg
        else:
            y = None
        if y is not None:
            token = quiet_on()
            try:
                r = np_fn(x, y)
            finally:
                quiet_off(token)
            # Tensor._make, inlined: an op this small pays for every frame.
            out = _new(Tensor)
            out._data = r if type(r) is ndarray and r.dtype is x.dtype else fix_dtype(r, x.dtype)
            out._fn = out._grad = out._base = out._acc = out._hooks = None
            out._nr = 0
            out._vc = ZERO_VC
            if grad and _mode.enabled:
                attach_binary(cls, out, input, other, save, meta)
            else:
                out._rg = False
            return out
    a, b, x, y, dt = operands(input, other)
    out = wrap(fix_dtype(quiet(np_fn, x, y), dt))
    if needs_grad(a, b):
        saved = (a if a is not None else x, b if b is not None else y) if save else ()
        attach(cls, out, (a, b), saved, (), _meta(out._data, a, b))
    return out


def add_scalar(input: Tensor, other: float) -> Tensor:
    """Adds the Python number other to the floating tensor input, in input's dtype, as
    torch's add(Tensor, Scalar)."""
    x = input._data
    out = wrap(np.add(x, x.dtype.type(other)))
    if needs_grad(input):
        attach(AddScalarBackward1, out, (input,))
    return out


@declare(jvp=_add_jvp(1), vmap=POINTWISE)
def add(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """Adds other, scaled by alpha, to input."""
    if alpha == 1 and (type(alpha) is int or not _is_bool(alpha)):
        return _binary(np.add, AddBackward0, input, other, False)
    a, b, x, y, dt = operands(input, other)
    _check_alpha(alpha, dt)
    with np.errstate(all="ignore"):
        r = wrap(fix_dtype(scaled_sum(x, y, alpha, dt), dt))
    if needs_grad(a, b):
        attach(AddBackward0, r, (a, b), (), (alpha,), _meta(r._data, a, b))
    return r


def scaled_sum(x: np.ndarray, y: np.ndarray, alpha: Any, dt: np.dtype) -> np.ndarray:
    """x + alpha * y as torch's add computes it: for floats one fused multiply-add in the
    opmath type (float for half), fma(y, alpha, x); for other dtypes the product, then
    the sum."""
    if dt.kind == "f":
        fma, ft = (fma_f64, np.float64) if dt == np.float64 else (fma_f32, np.float32)
        # (torch rounds alpha to half for half tensors before it widens it.)
        scale = ft(dt.type(alpha)) if dt == np.float16 else ft(alpha)
        return fma(y.astype(ft, copy=False), scale, x.astype(ft, copy=False)).astype(
            dt, copy=False)
    return np.add(x, y * np.asarray(alpha, dtype=dt))


def _check_alpha(alpha: Any, dt: np.dtype) -> None:
    if dt.kind != "f" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if (dt.kind == "b") != _is_bool(alpha):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


@declare(jvp=_add_jvp(-1), vmap=POINTWISE)
def sub(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """Subtracts other, scaled by alpha, from input."""
    t = type(other)
    if alpha == 1 and type(input) is Tensor and input._data.dtype.kind == "f" and (
            t is float or t is int or (t is Tensor and other._data.dtype.kind != "b")) and (
            type(alpha) is int or not _is_bool(alpha)):
        return _binary(np.subtract, SubBackward0, input, other, False)
    _sub_check(input, other)
    a, b, x, y, dt = operands(input, other)
    if alpha != 1 or _is_bool(alpha):
        _check_alpha(alpha, dt)
        with np.errstate(all="ignore"):
            r = wrap(fix_dtype(scaled_sum(x, y, -alpha, dt), dt))
    else:
        r = wrap(fix_dtype(np.subtract(x, y), dt))
    if needs_grad(a, b):
        attach(SubBackward0, r, (a, b), (), (alpha,), _meta(r._data, a, b))
    return r


subtract = sub


def _is_bool(x: Any) -> bool:
    return x._data.dtype.kind == "b" if isinstance(x, Tensor) else isinstance(x, (bool, np.bool_))


_OPERAND = (Tensor, int, float, np.number, np.bool_)


def _sub_check(input: Any, other: Any) -> None:
    # torch checks the operands' own dtypes (a bool number counts as a bool tensor), not the
    # result's: float - True is refused too.
    bi, bo = _is_bool(input), _is_bool(other)
    if not (isinstance(input, _OPERAND) and isinstance(other, _OPERAND)):
        return  # the argument's own error comes first (see `operands`)
    if bi and bo:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if bi or bo:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")


@declare(jvp=_rsub_jvp, vmap=POINTWISE)
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """other - alpha * input."""
    _sub_check(input, other)
    # torch computes other - input: shapes are broadcast in that order.
    b, a, y, x, dt = operands(other, input)
    if alpha != 1:
        x = x * np.asarray(alpha, dtype=dt)
    r = wrap(fix_dtype(quiet(np.subtract, y, x), dt))
    if needs_grad(a, b):
        if b is None:
            attach(RsubBackward1, r, (a,), (), (alpha,), _meta(r._data, a))
        else:
            attach(RsubBackward0, r, (a, b), (), (alpha,), _meta(r._data, a, b))
    return r


@declare(jvp=_mul_jvp, vmap=POINTWISE)
def mul(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Multiplies input by other."""
    return _binary(np.multiply, MulBackward0, input, other, MULTIPLIES)


# torch's C++ composites (trapezoid, special.ndtr) call mul and div with a Scalar, whose
# nodes are these (Python's `x * 2` makes the number a tensor and records MulBackward0).
MulBackward1 = node_class("MulBackward1", lambda m, g, other: g * other)
DivBackward1 = node_class("DivBackward1", lambda m, g, other: g / other)


def scalar_op(input: Tensor, number: float, divide: bool = False) -> Tensor:
    """at::mul(input, Scalar) (or at::div): the value of `input * number`, recorded as
    MulBackward1 (DivBackward1)."""
    r = (div if divide else mul)(input.detach(), number)
    if input._rg and _mode.enabled:
        attach(DivBackward1 if divide else MulBackward1, r, (input,), (), (number,))
    return r


multiply = mul

# What `x + y` and `x * y` compute (alpha 1, no out): ops._operator calls _binary with these
# itself, one frame fewer for the commonest operators.
add.binary = (np.add, AddBackward0, False)
mul.binary = (np.multiply, MulBackward0, MULTIPLIES)


@declare(jvp=_div_jvp, vmap=POINTWISE)
def div(input: Any, other: Any, *, rounding_mode: str | None = None, out: Any = None) -> Tensor:
    """Divides each element of input by the corresponding element of other."""
    if rounding_mode is None and type(input) is Tensor and input._data.dtype.kind == "f" and \
            type(other) in (float, int, Tensor):
        return _binary(np.true_divide, DivBackward0, input, other, DIVIDES)
    if rounding_mode is not None and rounding_mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b, x, y, dt = operands(input, other)
    if rounding_mode is not None:
        return _div_rounded(a, b, x, y, dt, rounding_mode)
    if dt.kind != "f":
        dt = default_float(dt)
        x = x.astype(dt) if isinstance(x, np.ndarray) else dt.type(x)
        y = y.astype(dt) if isinstance(y, np.ndarray) else dt.type(y)
    r = wrap(fix_dtype(quiet(np.true_divide, x, y), dt))
    if needs_grad(a, b):
        attach(DivBackward0, r, (a, b), (a if a is not None else x, b if b is not None else y),
               (), _meta(r._data, a, b))
    return r


divide = true_divide = div


DivBackward2 = node_class(
    "DivBackward2",
    lambda m, g: g * 0,
    lambda m, g: g * 0,
)


def _div_rounded(a: Any, b: Any, x: Any, y: Any, dt: np.dtype, mode: str) -> Tensor:
    # torch divides huge by tiny to inf silently.
    with np.errstate(all="ignore"):
        if dt.kind == "f":
            # NumPy's float floor_divide is torch's div_floor (see floor_divide).
            r = np.floor_divide(x, y) if mode == "floor" else np.trunc(np.true_divide(x, y))
        elif dt.kind == "b":  # torch's rounding kernels have no bool version
            raise NotImplementedError(f"\"div_{mode}_cpu\" not implemented for 'Bool'")
        else:
            if np.any(np.asarray(y) == 0):
                raise RuntimeError("ZeroDivisionError")
            r = np.floor_divide(x, y) if mode == "floor" else \
                np.trunc(np.true_divide(x, y)).astype(dt)
    out = wrap(fix_dtype(r, dt))
    if needs_grad(a, b):
        attach(DivBackward2, out, (a, b), (), (), _meta(out._data, a, b))
    return out


@declare(jvp=unary_jvp(lambda m, t, x, y: m.neg(t)), vmap=POINTWISE)
def neg(input: Tensor) -> Tensor:
    """Returns a new tensor with the negative of the elements of input."""
    x = check_tensor(input, fn="neg")._data
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    out = wrap(np.negative(x))
    if input._rg and _mode.enabled:
        attach(NegBackward0, out, (input,))
    return out


negative = neg


def _int_power(x: Any, y: Any) -> np.ndarray:
    """Integer powers with negative tensor exponents, as torch computes them: 1 / x**|y|
    truncated, which is 0 except for bases 1 and -1."""
    y = np.asarray(y)
    neg = y < 0
    p = np.power(x, np.where(neg, 0, y))
    one = np.ones_like(p)
    at_neg = np.where(x == 1, one, np.where(x == -1, np.where(y % 2 == 0, one, -one), 0 * one))
    return np.where(neg, at_neg, p)


def _pow_form(slow: Callable, method: bool = True) -> Callable:
    # A float tensor to the power of a Python number, computed in this one frame: both the
    # op (`slow` the general path below) and the Tensor method (`slow` the method behind
    # torch's parser, which also takes every call under a transform) are made here, so that
    # a method call pays no frame for the parser (see unary_op).
    def pow(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        """Takes the power of each element in input with exponent."""
        if len(args) == 1 and not kwargs and type(input) is Tensor and not (
                method and ACTIVE[0]):
            exponent = args[0]
            t = type(exponent)
            if (t is int or t is float) and input._data.dtype.kind == "f":
                x = input._data
                token = quiet_on()
                try:
                    r = power_by_number(x, exponent)
                finally:
                    quiet_off(token)
                # Tensor._make, inlined. (A 0-dim operand gives a NumPy scalar.)
                out = _new(Tensor)
                out._data = r if type(r) is ndarray else fix_dtype(r, x.dtype)
                out._fn = out._grad = out._base = out._acc = out._hooks = None
                out._nr = 0
                out._vc = ZERO_VC
                if input._rg and _mode.enabled:
                    attach_unary(PowBackward0, out, input, 1, (exponent,))
                else:
                    out._rg = False
                return out
        return slow(input, *args, **kwargs)

    pow.__qualname__ = "pow"
    return pow


def _pow(input: Any, exponent: Any) -> Tensor:
    a, b, x, y, dt = operands(input, exponent)
    if dt.kind == "b":
        if b is None and a is not None:
            # torch's pow by the number 1 or 0 is a copy or ones, for any dtype.
            return wrap(x.copy() if exponent else np.ones_like(x))
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if dt.kind in "iu" and b is None and a is not None and y < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if dt.kind == "i" and np.any(np.asarray(y) < 0):
            r = wrap(fix_dtype(_int_power(x, y), dt))
        else:
            r = wrap(fix_dtype(np.power(x, y) if b is not None or type(exponent) not in (
                int, float) else scalar_power(x, exponent), dt))
    if needs_grad(a, b):
        if b is None:
            attach(PowBackward0, r, (a,), (a,), (y.item() if isinstance(y, np.generic) else y,),
                   _meta(r._data, a))
        elif a is None:
            base = x.item()
            with np.errstate(divide="ignore"):
                log_base = np.log(x) if base >= 0 else np.nan
            attach(PowBackward2, r, (b,), (b, r), (base, dt.type(log_base)), _meta(r._data, b))
        else:
            attach(PowBackward1, r, (a, b), (a, b, r), (), _meta(r._data, a, b))
    return r


pow = declare(jvp=_pow_jvp, vmap=POINTWISE)(_pow_form(_pow, method=False))
# Called by the argument parser's binding with the bound method: the Tensor method.
pow.method_form = _pow_form


@declare(jvp=unary_jvp(lambda m, t, x, y: m.mul(m.mul(t, x), 2)), vmap=POINTWISE)
def square(input: Tensor) -> Tensor:
    """Returns a new tensor with the square of the elements of input."""
    return pow(input, 2)


# -- unary functions ---------------------------------------------------------------------

def _sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))


# Each row: the node (torch's name, the backward formula), the NumPy forward, the options, the
# forward-mode rule f(m, tangent, input, result).
exp = unary_op(node_class("ExpBackward0", lambda m, g, result: g * result), _math.exp,
               name="exp", saves="result", jvp=lambda m, t, x, y: m.mul(t, y),
               doc="Returns a new tensor with the exponential of the elements of input.")
log = unary_op(node_class("LogBackward0", lambda m, g, self: g / self), np.log, name="log",
               jvp=lambda m, t, x, y: m.div(t, x),
               doc="Returns a new tensor with the natural logarithm of the elements of input.")
sin = unary_op(node_class("SinBackward0", lambda m, g, self: g * m.cos(self)), np.sin,
               name="sin", jvp=lambda m, t, x, y: m.mul(t, m.cos(x)),
               doc="Returns a new tensor with the sine of the elements of input.")
cos = unary_op(node_class("CosBackward0", lambda m, g, self: g * -m.sin(self)), np.cos,
               name="cos", jvp=lambda m, t, x, y: m.neg(m.mul(t, m.sin(x))),
               doc="Returns a new tensor with the cosine of the elements of input.")
tanh = unary_op(
    node_class("TanhBackward0", lambda m, g, result: g * (1 - result * result)), _math.tanh,
    name="tanh", saves="result", jvp=lambda m, t, x, y: m.mul(t, m.rsub(m.mul(y, y), 1)),
    doc="Returns a new tensor with the hyperbolic tangent of the elements of input.")
sigmoid = unary_op(
    node_class("SigmoidBackward0", lambda m, g, result: g * ((1 - result) * result)),
    _sigmoid, name="sigmoid", saves="result",
    jvp=lambda m, t, x, y: m.mul(m.mul(t, y), m.rsub(y, 1)),
    doc="Returns a new tensor with the sigmoid of the elements of input.")
sqrt = unary_op(node_class("SqrtBackward0", lambda m, g, result: g / (2 * result)), np.sqrt,
                name="sqrt", saves="result", jvp=lambda m, t, x, y: m.div(t, m.mul(y, 2)),
                doc="Returns a new tensor with the square-root of the elements of input.")
reciprocal = unary_op(
    node_class("ReciprocalBackward0", lambda m, g, result: g * -(result * result)),
    lambda x: 1 / x, name="reciprocal", saves="result",
    jvp=lambda m, t, x, y: m.neg(m.mul(m.mul(t, y), y)),
    doc="Returns a new tensor with the reciprocal of the elements of input.")
log1p = unary_op(node_class("Log1PBackward0", lambda m, g, self: g / (self + 1)), _math.log1p,
                 name="log1p", jvp=lambda m, t, x, y: m.div(t, m.add(x, 1)),
                 doc="Returns a new tensor with the natural logarithm of (1 + input).")


def _sign(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "f":
        # torch's sign is (0 < x) - (x < 0): 0 for NaN, +0 for -0.
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
    return x.copy() if x.dtype.kind == "b" else np.sign(x)


def _abs(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return np.abs(x)


def _relu(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    if x.dtype.kind == "f":
        # torch keeps -0.0 (max(-0., 0.) is its first operand); NumPy's maximum gives +0.
        return zero_where(x < 0, x)
    return np.maximum(x, x.dtype.type(0))


sign = unary_op(node_class("SignBackward0", lambda m, g: g * 0), _sign, name="sign", saves="",
                floating=False, jvp=lambda m, t, x, y: m.mul(t, 0.0),
                doc="Returns a new tensor with the signs of the elements of input.")
abs = unary_op(node_class("AbsBackward0", lambda m, g, self: g * m.sign(self)), _abs,
               name="abs", floating=False, jvp=lambda m, t, x, y: m.mul(t, m.sign(x)),
               doc="Computes the absolute value of each element in input.")
absolute = abs
relu = unary_op(
    node_class("ReluBackward0", lambda m, g, result: m.threshold_backward(g, result)), _relu,
    name="relu", saves="result", floating=False,
    jvp=lambda m, t, x, y: m.where(m.gt(y, 0), t, 0.0),
    doc="Applies the rectified linear unit function element-wise.")

# relu's gradient as an op of its own, so that under create_graph it depends on the saved
# result (with a zero derivative), as torch's threshold_backward does.
ThresholdBackwardBackward0 = node_class(
    "ThresholdBackwardBackward0",
    lambda m, g, self: m.threshold_backward(g, self),
    lambda m, g, self: m.zeros_like(g),
)


@declare(vmap=POINTWISE)
def threshold_backward(grad_output: Tensor, input: Tensor) -> Tensor:
    """The gradient of relu: grad_output where input > 0, else 0."""
    out = wrap(np.where(input._data <= 0, grad_output._data.dtype.type(0), grad_output._data))
    if needs_grad(grad_output, input):
        attach(ThresholdBackwardBackward0, out, (grad_output, input), (input,), (),
               _meta(out._data, grad_output, input))
    return out


ClampBackward1 = node_class(
    "ClampBackward1",
    lambda m, g, self, lo, hi: m.where(_in_range(self, lo, hi), g, 0.0),
)


def _in_range(x: Any, lo: Any, hi: Any) -> Any:
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


# torch clamps by numbers as min(max(x, lo), hi), each keeping x on ties (so -0.0 stays
# -0.0); with tensor bounds its ties go either way (see maximum).
_max_first = first_on_ties(np.maximum)
_min_first = first_on_ties(np.minimum)


@declare(jvp=_clamp_jvp, vmap=POINTWISE)
def clamp(input: Tensor, min: Any = None, max: Any = None, *, out: Any = None) -> Tensor:
    """Clamps all elements in input into the range [min, max]."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    tmin, tmax = isinstance(min, Tensor), isinstance(max, Tensor)
    if tmin or tmax:
        if tmin == tmax or min is None or max is None:
            return _clamp_tensor(input, min, max)
        # A 0-dim tensor with a number: both are taken as numbers, as torch's parser does.
        min, max = (b.item() if isinstance(b, Tensor) and not b._data.ndim else b
                    for b in (min, max))
    x = input._data
    dt = x.dtype
    if dt.kind != "f":
        if isinstance(min, float) or isinstance(max, float):
            dt = default_float(dt)
        elif dt.kind == "b" and not all(b is None or isinstance(b, (bool, np.bool_))
                                        for b in (min, max)):
            dt = np.dtype(np.int64)
        if dt.kind == "b":
            raise not_implemented("clamp_scalar_cpu" if min is not None and max is not None
                                  else "clamp_min_scalar_cpu" if max is None
                                  else "clamp_max_scalar_cpu", FROM_NUMPY[dt])
        x = x.astype(dt, copy=False)
    r = x
    if min is not None:
        r = _max_first(r, checked_scalar(min, dt))
    if max is not None:
        r = _min_first(r, checked_scalar(max, dt))
    if r is x:
        r = x.copy()
    r = wrap(fix_dtype(r, dt))
    if input._rg and _mode.enabled:
        attach(ClampBackward1, r, (input,), (input,), (min, max))
    return r


clip = clamp

ClampBackward0 = node_class(
    "ClampBackward0",
    lambda m, g, self, lo, hi: m.where(_in_range(self, lo, hi), g, 0.0),
    # With crossed bounds (min > max) the result is max, so max takes the gradient.
    lambda m, g, self, lo, hi: m.where(
        (self < lo) if hi is None else (self < lo) & (lo < hi), g, 0.0),
    lambda m, g, self, lo, hi: m.where(
        (self > hi) if lo is None else (self > hi) | (hi < lo), g, 0.0),
)


def _clamp_tensor(input: Tensor, min: Any, max: Any) -> Tensor:
    from .._dtypes import result_type

    bounds = [t for t in (min, max) if t is not None]
    dt = result_type(input, *bounds).np
    if dt.kind == "b" and len(bounds) == 2:
        raise not_implemented("clamp_cpu", FROM_NUMPY[dt])
    x = input._data.astype(dt, copy=False)
    lo = None if min is None else np.asarray(min._data if isinstance(min, Tensor) else min, dt)
    hi = None if max is None else np.asarray(max._data if isinstance(max, Tensor) else max, dt)
    r = x
    if lo is not None:
        r = np.maximum(r, lo)
    if hi is not None:
        r = np.minimum(r, hi)
    out = wrap(fix_dtype(r, dt))
    tmin = min if isinstance(min, Tensor) else None
    tmax = max if isinstance(max, Tensor) else None
    if needs_grad(input, tmin, tmax):
        attach(ClampBackward0, out, (input, tmin, tmax),
               (input, min if tmin is None else tmin, max if tmax is None else tmax), (),
               _meta(out._data, input, tmin, tmax))
    return out


# -- comparisons -------------------------------------------------------------------------

_COMPARE_NAMES = {np.equal: "eq", np.not_equal: "ne", np.less: "lt", np.less_equal: "le",
                  np.greater: "gt", np.greater_equal: "ge"}


def _tensor_other_error(name: str, input: Any, other: Any) -> TypeError:
    """torch's error for a binary op whose only overloads take (Tensor, Tensor or Number)."""
    return TypeError(
        f"{name}() received an invalid combination of arguments - got "
        f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
        " * (Tensor input, Number other, *, Tensor out = None)\n")


def _compare(np_fn: Callable, doc: str) -> Callable:
    name = _COMPARE_NAMES[np_fn]

    @declare(vmap=POINTWISE)
    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:
        if not isinstance(input, Tensor):
            raise _tensor_other_error(name, input, other)
        a, b, x, y, dt = operands(input, other)
        if _cuts.recorder is not None:
            for t in (a, b):
                if t is not None:
                    _cuts.note(t, f"a comparison ({name})")
        return wrap(np.asarray(np_fn(x, y)))

    op.__doc__ = doc
    return op


eq = _compare(np.equal, "Computes input == other element-wise.")
ne = not_equal = _compare(np.not_equal, "Computes input != other element-wise.")
lt = less = _compare(np.less, "Computes input < other element-wise.")
le = less_equal = _compare(np.less_equal, "Computes input <= other element-wise.")
gt = greater = _compare(np.greater, "Computes input > other element-wise.")
ge = greater_equal = _compare(np.greater_equal, "Computes input >= other element-wise.")


# -- selection ---------------------------------------------------------------------------

WhereBackward0 = node_class(
    "WhereBackward0",
    lambda m, g, condition: m.where(condition, g, 0.0),
    lambda m, g, condition: m.where(condition, 0.0, g),
)


@declare(jvp=_where_jvp, vmap=POINTWISE)
def where(condition: Tensor, input: Any = None, other: Any = None) -> Tensor:
    """Returns a tensor of elements selected from either input or other, depending on
    condition (with the condition alone: nonzero(condition, as_tuple=True))."""
    if input is None and other is None:
        # Through the method: nonzero is an indexing op, a family above this one.
        return condition.nonzero(as_tuple=True)
    c = condition._data
    if c.dtype.kind != "b":
        if c.dtype != np.uint8:
            raise RuntimeError("where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {condition.dtype._legacy}")
        warn_once("where received a uint8 condition tensor. This behavior is deprecated and "
                  "will be removed in a future version of PyTorch. Use a boolean condition "
                  "instead.")
        condition = wrap(c != 0)
        c = condition._data
    # torch broadcasts condition, input and other in that order (and says so when it fails).
    broadcast_shape(broadcast_shape(c.shape, np.shape(getattr(input, "_data", input))),
                    np.shape(getattr(other, "_data", other)))
    a, b, x, y, dt = operands(input, other) if isinstance(input, Tensor) or \
        isinstance(other, Tensor) else (None, None, *_two_numbers(input, other))
    out = wrap(fix_dtype(np.where(c, x, y), dt))
    if needs_grad(a, b):
        attach(WhereBackward0, out, (a, b), (condition,), (), _meta(out._data, a, b))
    return out


def _two_numbers(x: Any, y: Any) -> tuple:
    from .._dtypes import result_type

    dt = result_type(x, y).np
    return dt.type(x), dt.type(y), dt


# -- logical and bitwise -------------------------------------------------------------------

def _bitwise(np_fn: Callable, name: str, doc: str) -> Callable:
    @declare(vmap=POINTWISE)
    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = operands(input, other)
        if dt.kind == "f":
            raise NotImplementedError(f'"{name}_cpu" not implemented for '
                               f"'{FROM_NUMPY[dt]._legacy}'")
        return wrap(fix_dtype(np_fn(x, y), dt))

    op.__doc__ = doc
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and",
                       "Computes the bitwise AND of input and other.")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "Computes the bitwise OR of input and other.")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor",
                       "Computes the bitwise XOR of input and other.")


def _shift(left: bool, doc: str) -> Callable:
    kernel = "lshift_cpu" if left else "rshift_cpu"

    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:
        a, b, x, y, dt = operands(input, other)
        if dt.kind in "fb":
            raise not_implemented(kernel, FROM_NUMPY[dt])
        # torch shifts by a negative amount or by the width or more give 0 (or the sign).
        y = np.asarray(y)
        big = (y < 0) | (y >= dt.itemsize * 8)
        r = (np.left_shift if left else np.right_shift)(x, np.where(big, 0, y).astype(dt))
        if big.any():
            r = np.where(big, 0 if left else np.where(x < 0, -1, 0).astype(dt), r)
        return wrap(fix_dtype(r, dt))

    op.__doc__ = doc
    return op


bitwise_left_shift = _shift(True, "Computes the left arithmetic shift of input by other bits.")
bitwise_right_shift = _shift(False, "Computes the right arithmetic shift of input by other bits.")


@declare(vmap=POINTWISE)
def bitwise_not(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the bitwise NOT of the given input tensor."""
    x = input._data
    if x.dtype.kind == "f":
        raise NotImplementedError(
            f"\"bitwise_not_cpu\" not implemented for '{input.dtype._legacy}'")
    return wrap(np.invert(x))


def invert_operator(self: Tensor) -> Tensor:
    """~tensor: bitwise NOT, which the operator refuses for floating tensors."""
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


def _logical(np_fn: Callable, doc: str) -> Callable:
    name = np_fn.__name__

    @declare(vmap=POINTWISE)
    def op(input: Any, other: Any, *, out: Any = None) -> Tensor:
        check_tensor(input, "input", 0, name)
        check_tensor(other, "other", 1, name)
        x, y = input._data, other._data
        if x.shape != y.shape:
            broadcast_shape(x.shape, y.shape)
        return wrap(np.asarray(np_fn(x, y)))

    op.__doc__ = doc
    return op


logical_and = _logical(np.logical_and, "Computes the element-wise logical AND.")
logical_or = _logical(np.logical_or, "Computes the element-wise logical OR.")
logical_xor = _logical(np.logical_xor, "Computes the element-wise logical XOR.")


@declare(vmap=POINTWISE)
def logical_not(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the element-wise logical NOT of the given input tensor."""
    return wrap(np.logical_not(input._data))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
