"""Pointwise ops and their derivatives.

Each node class is one row of the derivative table: torch's name, then one formula per
input, f(m, grad, *saved, *ctx), written with the namespace `m` so that it runs on arrays
in plain backward and on tensors (recording a graph) under create_graph=True.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._dtypes import FROM_NUMPY
from .._quiet import quiet_off, quiet_on
from .._tensor import Tensor
from .._version import ZERO_VC, saved_counter
from ..autograd import _cuts
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import _next_seq, attach_hook
from . import _math
from ._core import (
    _new,
    attach,
    attach_unary,
    broadcast_shape,
    check_tensor,
    checked_scalar,
    default_float,
    first_on_ties,
    fix_dtype,
    needs_grad,
    node_class,
    not_implemented,
    operands,
    quiet,
    warn_once,
    wrap,
)
from ._math import scalar_power, zero_where

_make = Tensor._make
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


# -- arithmetic --------------------------------------------------------------------------

AddBackward0 = node_class(
    "AddBackward0",
    lambda m, g, alpha=1: g,
    lambda m, g, alpha=1: g if alpha == 1 else g * alpha,
)
# The same node for a Python-number operand (torch names both AddBackward0).
AddBackward1 = node_class("AddBackward0", lambda m, g: g, lambda m, g: g)
# torch's add(Tensor, Scalar), which only its C++ composites (rms_norm) call: one edge.
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


# What a binary node saves: nothing, its operands as multiplication's gradients need them,
# or as division's do.
MULTIPLIES, DIVIDES = 1, 2
# The `_vars` of a node that saved both its inputs by position (see Node).
_INPUTS_0_1 = (0, 1)


def _binary(np_fn: Callable, cls: type, input: Any, other: Any, save: int) -> Tensor:
    if type(input) is Tensor and input._data.dtype.kind == "f":
        # Fast path: float tensor with a same-dtype, same-shape tensor or a Python number.
        # (NumPy hands back scalars for 0-dim operands, and NumPy 1.x may widen them.)
        x = input._data
        t = type(other)
        if t is float or t is int:
            # A 0-dim array meets the number in its own dtype, as torch computes: NumPy 1.x
            # would compute in double and round once more.
            y = other if x.ndim else x.dtype.type(other)
            token = quiet_on()
            try:
                r = np_fn(x, y)
            finally:
                quiet_off(token)
            out = _make(r if type(r) is ndarray and r.dtype is x.dtype else fix_dtype(r, x.dtype))
            if input._rg and _mode.enabled:
                node = _new(cls)
                fn = input._fn
                node._k = 2
                if fn is not None and input._base is None:
                    node._n0 = fn
                    node._r0 = input._nr
                else:
                    node._n0, node._r0 = input._edge()
                node._n1 = None
                node._r1 = 0
                if save:
                    # A number operand needs no gradient, so input itself is never needed.
                    node._saved = node._vars = (None, other)
                else:
                    node._saved = node._vars = ()
                node._checks = ()
                node._ctx = ()
                node._meta = None
                node._seq = _next_seq()
                out._fn = node
                out._rg = True
                if attach_hook[0] is not None:
                    attach_hook[0](node, (out,))
            return out
        if t is Tensor:
            y = other._data
            if y.dtype is x.dtype and y.shape == x.shape:
                token = quiet_on()
                try:
                    r = np_fn(x, y)
                finally:
                    quiet_off(token)
                out = _make(r if type(r) is ndarray else fix_dtype(r, x.dtype))
                if (input._rg or other._rg) and _mode.enabled:
                    node = _new(cls)
                    fn = input._fn
                    fo = other._fn
                    node._k = 2
                    if fn is not None and input._base is None:
                        node._n0 = fn
                        node._r0 = input._nr
                    else:
                        node._n0, node._r0 = input._edge()
                    if fo is not None and other._base is None:
                        node._n1 = fo
                        node._r1 = other._nr
                    else:
                        node._n1, node._r1 = other._edge()
                    # Save only what the inputs that need a gradient use, as torch does:
                    # input's gradient needs other; other's needs input (and, for
                    # division, other too).
                    # Inputs with a history are kept by position, the others as they are
                    # (see Node).
                    if not save:
                        node._saved = node._vars = node._checks = ()
                    elif other._rg:
                        if input._rg or save == DIVIDES:
                            node._saved = (x, y)
                            if attach_hook[0] is None and input._rg and \
                                    input._base is None and other._base is None:
                                node._vars = _INPUTS_0_1
                            else:
                                node._vars = (
                                    0 if attach_hook[0] is None and input._rg and
                                    input._base is None else input,
                                    1 if attach_hook[0] is None and other._base is None
                                    else other)
                            # saved_counter, inlined for both operands.
                            vi = input._vc
                            if vi is ZERO_VC:
                                vi = input._vc = bytearray(8)
                                si = ZERO_VC
                            else:
                                si = ZERO_VC if vi == ZERO_VC else bytes(vi)
                            vo = other._vc
                            if vo is ZERO_VC:
                                vo = other._vc = bytearray(8)
                                so = ZERO_VC
                            else:
                                so = ZERO_VC if vo == ZERO_VC else bytes(vo)
                            node._checks = (vi, si, vo, so)
                        else:
                            node._saved = (x, None)
                            node._vars = (input, None)
                            node._checks = saved_counter(input)
                    else:
                        node._saved = (None, y)
                        node._vars = (None, other)
                        node._checks = saved_counter(other)
                    node._ctx = ()
                    node._meta = None
                    node._seq = _next_seq()
                    out._fn = node
                    out._rg = True
                    if attach_hook[0] is not None:
                        attach_hook[0](node, (out,))
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


def add(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """Adds other, scaled by alpha, to input."""
    if alpha == 1 and not _is_bool(alpha):
        return _binary(np.add, AddBackward1 if type(other) in (int, float) else AddBackward0,
                       input, other, False)
    a, b, x, y, dt = operands(input, other)
    if alpha != 1 or _is_bool(alpha):
        _check_alpha(alpha, dt)
        y = y * np.asarray(alpha, dtype=dt)
    r = wrap(fix_dtype(np.add(x, y), dt))
    if needs_grad(a, b):
        attach(AddBackward0, r, (a, b), (), (alpha,), _meta(r._data, a, b))
    return r


def _check_alpha(alpha: Any, dt: np.dtype) -> None:
    if dt.kind != "f" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if (dt.kind == "b") != _is_bool(alpha):
        raise RuntimeError("Boolean alpha only supported for Boolean results.")


def sub(input: Any, other: Any, *, alpha: Any = 1, out: Any = None) -> Tensor:
    """Subtracts other, scaled by alpha, from input."""
    t = type(other)
    if alpha == 1 and type(input) is Tensor and input._data.dtype.kind == "f" and (
            t is float or t is int or (t is Tensor and other._data.dtype.kind != "b")) and (
            not _is_bool(alpha)):
        return _binary(np.subtract, SubBackward0, input, other, False)
    _sub_check(input, other)
    a, b, x, y, dt = operands(input, other)
    if alpha != 1 or _is_bool(alpha):
        _check_alpha(alpha, dt)
        y = y * np.asarray(alpha, dtype=dt)
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


def mul(input: Any, other: Any, *, out: Any = None) -> Tensor:
    """Multiplies input by other."""
    return _binary(np.multiply, MulBackward0, input, other, MULTIPLIES)


multiply = mul


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
        else:
            if np.any(np.asarray(y) == 0):
                raise RuntimeError("ZeroDivisionError")
            r = np.floor_divide(x, y) if mode == "floor" else \
                np.trunc(np.true_divide(x, y)).astype(dt)
    out = wrap(fix_dtype(r, dt))
    if needs_grad(a, b):
        attach(DivBackward2, out, (a, b), (), (), _meta(out._data, a, b))
    return out


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


def pow(input: Any, exponent: Any) -> Tensor:
    """Takes the power of each element in input with exponent."""
    if type(input) is Tensor and type(exponent) in (int, float) and \
            input._data.dtype.kind == "f":
        x = input._data
        e = x.dtype.type(exponent)
        token = quiet_on()
        try:
            out = _make(np.square(x) if exponent == 2 else np.power(x, e) if exponent != -0.5
                        else 1 / np.sqrt(x))
        finally:
            quiet_off(token)
        if input._rg and _mode.enabled:
            node = _new(PowBackward0)
            fn = input._fn
            node._k = 1
            if fn is not None and input._base is None:
                node._n0 = fn
                node._r0 = input._nr
            else:
                node._n0, node._r0 = input._edge()
            node._saved = (x, exponent)
            node._vars = (0, exponent) if attach_hook[0] is None and input._base is None \
                else (input, exponent)
            node._checks = saved_counter(input)
            node._ctx = ()
            node._meta = None
            node._seq = _next_seq()
            out._fn = node
            out._rg = True
            if attach_hook[0] is not None:
                attach_hook[0](node, (out,))
        return out
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
            attach(PowBackward0, r, (a,), (a, y.item() if isinstance(y, np.generic) else y),
                   (), _meta(r._data, a))
        elif a is None:
            base = x.item()
            with np.errstate(divide="ignore"):
                log_base = np.log(x) if base >= 0 else np.nan
            attach(PowBackward2, r, (b,), (b, r), (base, dt.type(log_base)), _meta(r._data, b))
        else:
            attach(PowBackward1, r, (a, b), (a, b, r), (), _meta(r._data, a, b))
    return r


def square(input: Tensor) -> Tensor:
    """Returns a new tensor with the square of the elements of input."""
    return pow(input, 2)


# -- unary functions ---------------------------------------------------------------------

def _unary(name: str, np_fn: Callable, formula: Callable, saves: str, floating: bool,
           doc: str) -> Callable:
    """A unary op from its NumPy forward and its derivative, saving its input ('input'),
    its result ('result') or nothing ('')."""
    cls = node_class(name, formula)
    save = {"": 0, "input": 1, "result": 2}[saves]

    fn = name[:-len("Backward0")].lower()

    def op(input: Tensor, *, out: Any = None) -> Tensor:
        if type(input) is not Tensor:
            check_tensor(input, "input", 0, fn)
        x = input._data
        if floating and x.dtype.kind != "f":
            x = x.astype(default_float(x.dtype))
        token = quiet_on()
        try:
            r = np_fn(x)
        finally:
            quiet_off(token)
        # NumPy 1.x computes some 0-dim float32 results in float64.
        r = _make(r if type(r) is ndarray and r.dtype is x.dtype else fix_dtype(r, x.dtype))
        if input._rg and _mode.enabled:
            attach_unary(cls, r, input, save)
        return r

    op.__doc__ = doc
    return op


def _sigmoid(x: np.ndarray) -> np.ndarray:
    one = x.dtype.type(1)
    return one / (one + np.exp(-x))


exp = _unary("ExpBackward0", _math.exp, lambda m, g, result: g * result, "result", True,
             "Returns a new tensor with the exponential of the elements of input.")
log = _unary("LogBackward0", np.log, lambda m, g, self: g / self, "input", True,
             "Returns a new tensor with the natural logarithm of the elements of input.")
sin = _unary("SinBackward0", np.sin, lambda m, g, self: g * m.cos(self), "input", True,
             "Returns a new tensor with the sine of the elements of input.")
cos = _unary("CosBackward0", np.cos, lambda m, g, self: g * -m.sin(self), "input", True,
             "Returns a new tensor with the cosine of the elements of input.")
tanh = _unary("TanhBackward0", _math.tanh, lambda m, g, result: g * (1 - result * result),
              "result", True,
              "Returns a new tensor with the hyperbolic tangent of the elements of input.")
sigmoid = _unary("SigmoidBackward0", _sigmoid,
                 lambda m, g, result: g * ((1 - result) * result), "result", True,
                 "Returns a new tensor with the sigmoid of the elements of input.")
sqrt = _unary("SqrtBackward0", np.sqrt, lambda m, g, result: g / (2 * result), "result", True,
              "Returns a new tensor with the square-root of the elements of input.")
reciprocal = _unary("ReciprocalBackward0", lambda x: 1 / x,
                    lambda m, g, result: g * -(result * result), "result", True,
                    "Returns a new tensor with the reciprocal of the elements of input.")
log1p = _unary("Log1PBackward0", _math.log1p, lambda m, g, self: g / (self + 1), "input", True,
               "Returns a new tensor with the natural logarithm of (1 + input).")
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


sign = _unary("SignBackward0", _sign, lambda m, g: g * 0, "", False,
              "Returns a new tensor with the signs of the elements of input.")
abs = _unary("AbsBackward0", _abs, lambda m, g, self: g * m.sign(self), "input", False,
             "Computes the absolute value of each element in input.")
absolute = abs
relu = _unary("ReluBackward0", _relu, lambda m, g, result: m.threshold_backward(g, result),
              "result", False, "Applies the rectified linear unit function element-wise.")

# relu's gradient as an op of its own, so that under create_graph it depends on the saved
# result (with a zero derivative), as torch's threshold_backward does.
ThresholdBackwardBackward0 = node_class(
    "ThresholdBackwardBackward0",
    lambda m, g, self: m.threshold_backward(g, self),
    lambda m, g, self: m.zeros_like(g),
)


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


def where(condition: Tensor, input: Any = None, other: Any = None) -> Tensor:
    """Returns a tensor of elements selected from either input or other, depending on
    condition (with the condition alone: nonzero(condition, as_tuple=True))."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
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


def logical_not(input: Tensor, *, out: Any = None) -> Tensor:
    """Computes the element-wise logical NOT of the given input tensor."""
    return wrap(np.logical_not(input._data))
