"""Activation functions and their derivatives (the kernels behind nn.functional's
activations and the activation modules).

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._arg_parser import check_call
from .._random_math import libm_exp, libm_log1p, libm_tanh
from .._tensor import Tensor
from .._transform_hooks import transform_op, transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math, _onednn, _sleef
from ._core import (
    POINTWISE,
    _reach,
    _truth,
    attach,
    check_tensor,
    checked_scalar,
    declare,
    first_on_ties,
    needs_grad,
    node_class,
    not_implemented,
    unary_op,
    wrap,
    wrap_dim,
)
from .inplace import apply_in_place, unary_in_place
from .nn_shuffle import RreluWithNoiseBackward0, RreluWithNoiseBackward1

__all__ = []

_raw = _math.raw
_graph = _math.graph
# An op the formulas' math namespace holds is made transform-aware where it is registered
# (the rest at the end of the module), so that batched gradients flow through it.


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from ._special import erf64
    except ImportError:
        erf64 = np.vectorize(math.erf, otypes=[np.float64])
    return erf64(x.astype(np.float64))


_SQRT1_2 = 0.7071067811865476
_SQRT2_PI = 0.7978845608028654
_KAPPA = 0.044715


def _gelu_tanh_np(x: np.ndarray, approximate: str, cdf: Any) -> np.ndarray:
    t = x.dtype.type
    inner = t(_SQRT2_PI) * (x + t(_KAPPA) * x * x * x)
    return t(0.5) * x * (t(1) + _math.tanh(inner))


def _one_erf(x: np.ndarray) -> np.ndarray:
    """1 + erf(x / sqrt 2), twice the normal CDF: the exact gelu's factor and its gradient's."""
    t = x.dtype.type
    return t(1) + _erf(x * t(_SQRT1_2)).astype(x.dtype)


def _gelu_grad_np(g: np.ndarray, x: np.ndarray, approximate: str,
                  cdf: Any = None) -> np.ndarray:
    if approximate != "tanh":
        if not isinstance(x, np.ndarray):
            # A compiled region's value: whether oneDNN takes it is decided on each call's
            # arrays (their layout), so the step is recorded whole.
            return x.t.call(_gelu_grad_np, (g, x, approximate, cdf), {}, False)
        if _by_onednn(x):
            return _onednn.gelu_erf_backward(g, x)
    t = x.dtype.type
    if approximate == "tanh":
        x2 = x * x
        inner = t(_SQRT2_PI) * (x + t(_KAPPA) * x2 * x)
        th = _math.tanh(inner)
        left = t(0.5) * x
        right = t(1) + th
        d_inner = t(_SQRT2_PI) * (t(1) + t(3 * _KAPPA) * x2)
        return g * (t(0.5) * right + left * (t(1) - th * th) * d_inner)
    if cdf is None:
        cdf = t(0.5) * _one_erf(x)
    pdf = np.exp(t(-0.5) * x * x) * t(_SQRT2_PI * 0.5)
    return g * (cdf + x * pdf)


def _gelu_grad2_np(x: np.ndarray, approximate: str) -> np.ndarray:
    """d/dx of gelu'(x)."""
    t = x.dtype.type
    if approximate == "tanh":
        x2 = x * x
        inner = t(_SQRT2_PI) * (x + t(_KAPPA) * x2 * x)
        th = _math.tanh(inner)
        sech2 = t(1) - th * th
        d_inner = t(_SQRT2_PI) * (t(1) + t(3 * _KAPPA) * x2)
        dd_inner = t(_SQRT2_PI * 6 * _KAPPA) * x
        return sech2 * d_inner + t(0.5) * x * (sech2 * dd_inner - t(2) * th * sech2 * d_inner
                                               * d_inner)
    pdf = np.exp(t(-0.5) * x * x) * t(_SQRT2_PI * 0.5)
    return pdf * (t(2) - x * x)


GeluBackwardBackward0 = node_class(
    "GeluBackwardBackward0",
    lambda m, gg, g, x, approx: gg * m.const(_gelu_grad_np(np.ones_like(_arr(x)), _arr(x),
                                                           approx)),
    lambda m, gg, g, x, approx: gg * g * m.const(_gelu_grad2_np(_arr(x), approx)),
)


def _arr(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else x


def gelu_backward(grad: Tensor, input: Tensor, approximate: str = "none") -> Tensor:
    """The gradient of gelu at input, times grad."""
    out = wrap(_gelu_grad_np(grad._data, input._data, approximate).astype(input._data.dtype))
    if needs_grad(grad, input):
        attach(GeluBackwardBackward0, out, (grad, input), (grad, input), (approximate,))
    return out


def _gelu_np(x: np.ndarray, approximate: str) -> np.ndarray:
    """gelu's forward on an array (both forms; the exact one as gelu computes it)."""
    if approximate == "tanh":
        return _gelu_tanh_np(x, approximate, None)
    if _by_onednn(x):
        return _onednn.gelu_erf(x)
    t = x.dtype.type
    return (x * t(0.5) * _one_erf(x)).astype(x.dtype)


# ctx: the form, and for the exact form the Phi(x) its forward computed (None otherwise).
GeluBackward0 = node_class(
    "GeluBackward0",
    lambda m, g, x, approx, cdf: m.gelu_backward(g, x, approx),
    raw=(lambda m, g, x, approx, cdf: _gelu_grad_np(g, x, approx, cdf).astype(x.dtype),))


_raw.gelu_backward = lambda g, x, a: _gelu_grad_np(g, x, a).astype(x.dtype)
_graph.gelu_backward = gelu_backward = transform_op(gelu_backward, "gelu_backward")


_gelu_tanh = unary_op(GeluBackward0, _gelu_tanh_np, name="gelu", kinds="f",
                      kernel="GeluKernelImpl", n_ctx=2)


@declare(vmap=POINTWISE)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Applies the Gaussian Error Linear Units function (exact, or its tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if approximate == "tanh" or type(input) is not Tensor or input._data.dtype.kind != "f":
        return _gelu_tanh(input, approximate, None)
    x = input._data
    if _by_onednn(x):
        # oneDNN's gradient starts again from x: there is no Phi(x) to keep.
        out = wrap(_onednn.gelu_erf(x))
        cdf = None
    else:
        # The exact form keeps Phi(x) = (1 + erf(x / sqrt 2)) / 2 for its plain gradient,
        # which would otherwise compute erf again (erf was a quarter of a minGPT step).
        t = x.dtype.type
        with np.errstate(all="ignore"):
            phi2 = _one_erf(x)
            out = wrap(_gelu_out(x, phi2))
        cdf = t(0.5) * phi2
    if needs_grad(input):
        attach(GeluBackward0, out, (input,), (input,), (approximate, cdf))
    return out


def _gelu_out(x: np.ndarray, phi2: np.ndarray | None = None) -> np.ndarray:
    """The exact gelu's value from x and 1 + erf(x / sqrt 2) (computed here if not given),
    or oneDNN's where torch calls it."""
    if _by_onednn(x):
        return _onednn.gelu_erf(x)
    t = x.dtype.type
    with np.errstate(all="ignore"):
        if phi2 is None:
            phi2 = _one_erf(x)
        return np.asarray(x * t(0.5) * phi2, dtype=x.dtype)


def _by_onednn(x: np.ndarray) -> bool:
    # torch gives float32 gelu and its gradient at a contiguous tensor of more than one element
    # to oneDNN, whose erf (a polynomial per interval on AVX-512, Abramowitz and Stegun's
    # below) is not the true one, and far from it relatively where 1 + erf cancels. Other
    # layouts run torch's own kernel (the same formula with SLEEF's exp along a contiguous
    # inner dimension, the C library's erf otherwise), which the true erf here stands in for.
    return (x.dtype == np.float32 and x.size > 1 and x.flags.c_contiguous
            and _onednn.GELU_ISA is not None)


SiluBackward0 = node_class(
    "SiluBackward0",
    lambda m, g, x: g * (m.sigmoid(x) * (1 + x * (1 - m.sigmoid(x)))))


@declare(vmap=POINTWISE)
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies the Sigmoid Linear Unit (SiLU) function, x * sigmoid(x), element-wise."""
    if inplace:
        return apply_in_place(silu, input)
    return _silu(input)


def _silu_np(x: np.ndarray) -> np.ndarray:
    # torch's kernel: x / (1 + exp(-x)), its exp SLEEF's on whole vectors and the C library's
    # (correctly rounded in float32) on the tail.
    one = x.dtype.type(1)
    if x.dtype == np.float32:
        return _sleef.split_by_vector(x, lambda v: v / (one + _sleef.expf(-v)),
                                      lambda v: v / (one + _math.exp(-v)))
    if x.dtype == np.float64:
        return _sleef.split_by_vector(x, lambda v: v / (one + _sleef.exp(-v)),
                                      lambda v: v / (one + libm_exp(-v)))
    return x / (one + np.exp(-x))


_silu = unary_op(SiluBackward0, _silu_np, name="silu", kinds="f")


def _softplus_log1p_exp(bx: np.ndarray) -> np.ndarray:
    # torch's kernel: SLEEF's exp and log1p on whole vectors, the C library's on the tail.
    if bx.dtype == np.float32:
        return _sleef.split_by_vector(bx, lambda v: _sleef.log1pf(_sleef.expf(v)),
                                      lambda v: _math.log1p(_math.exp(v)))
    if bx.dtype == np.float64:
        return _sleef.split_by_vector(bx, lambda v: _sleef.log1p(_sleef.exp(v)),
                                      lambda v: libm_log1p(libm_exp(v)))
    return np.log1p(np.exp(bx))


def _mish_grad(m: Any, g: Any, x: Any) -> Any:
    tsp = m.tanh(_m_softplus(m, x, 1.0, 20.0))
    return g * (tsp + x * m.sigmoid(x) * (1 - tsp * tsp))


def _m_softplus(m: Any, x: Any, beta: float, threshold: float) -> Any:
    bx = x * beta
    return m.where(bx > threshold, x, m.log1p(m.exp(m.where(bx > threshold, 0.0, bx))) / beta)


MishBackward0 = node_class("MishBackward0", _mish_grad)


@declare(vmap=POINTWISE)
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies the Mish function, x * tanh(softplus(x)), element-wise."""
    if inplace:
        return apply_in_place(mish, input)
    return _mish(input)


def _mish_np(x: np.ndarray) -> np.ndarray:
    # torch's kernel: x * tanh(log1p(exp(x))), no threshold; in float32 (and half types)
    # with SLEEF's exp and log1p, in float64 with SLEEF's exp, log1p and tanh on the vector
    # blocks and the C library's on the tail (where exp(x) is subnormal their last bits
    # differ, and x times them shows it).
    flat = x.reshape(-1)  # SLEEF's replay works on 1-d arrays
    if x.dtype == np.float64:
        return _sleef.split_by_vector(
            flat, lambda v: v * _sleef.tanh(_sleef.log1p(_sleef.exp(v))),
            lambda v: v * libm_tanh(libm_log1p(libm_exp(v)))).reshape(x.shape)
    xf = flat.astype(np.float32, copy=False)
    return (xf * _math.tanh(_sleef.log1pf(_sleef.expf(xf)))).astype(x.dtype).reshape(x.shape)


_mish = unary_op(MishBackward0, _mish_np, name="mish", kinds="f")


def _softplus_grad_np(g: np.ndarray, x: np.ndarray, beta: float, threshold: float
                      ) -> np.ndarray:
    # torch's kernel: z = exp(beta x), grad z / (z + 1); sigmoid(beta x) = 1 / (1 + exp(-beta
    # x)) would overflow exp and flush the gradient's subnormal range to 0.
    t = x.dtype.type
    bx = x * t(beta)
    with np.errstate(over="ignore", invalid="ignore"):
        z = np.exp(bx)
        return np.where(bx > t(threshold), g, g * z / (z + t(1))).astype(x.dtype)


SoftplusBackwardBackward0 = node_class(
    "SoftplusBackwardBackward0",
    lambda m, gg, g, x, beta, threshold: m.softplus_backward(gg, x, beta, threshold),
    # torch's softplus_double_backward, whose mask is beta x < threshold.
    lambda m, gg, g, x, beta, threshold: m.where(
        x * beta < threshold, _sigmoid_grad(m, gg * g, m.sigmoid(x * beta)), 0.0) * beta,
)


def _sigmoid_grad(m: Any, g: Any, y: Any) -> Any:
    return g * (1 - y) * y


def softplus_backward(grad_output: Tensor, input: Tensor, beta: float, threshold: float
                      ) -> Tensor:
    """The gradient of softplus at input, times grad_output."""
    out = wrap(_softplus_grad_np(grad_output._data, input._data, beta, threshold))
    if needs_grad(grad_output, input):
        attach(SoftplusBackwardBackward0, out, (grad_output, input), (grad_output, input),
               (beta, threshold))
    return out


_raw.softplus_backward = _softplus_grad_np
_graph.softplus_backward = softplus_backward = transform_op(softplus_backward, "softplus_backward")


SoftplusBackward0 = node_class(
    "SoftplusBackward0",
    lambda m, g, x, beta, threshold: m.softplus_backward(g, x, beta, threshold))


def _softplus_np(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    t = x.dtype.type
    bx = x * t(beta)
    return np.where(bx > t(threshold), x, _softplus_log1p_exp(bx) / t(beta))


_softplus = unary_op(SoftplusBackward0, _softplus_np, name="softplus", kinds="f",
                     n_ctx=2)


@declare(vmap=POINTWISE)
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """Applies log(1 + exp(beta * x)) / beta element-wise, linear above threshold."""
    return _softplus(input, beta, threshold)


EluBackward0 = node_class(
    "EluBackward0",
    # where(x < 0, x, 0) gives the value at 0 and no second derivative there, as torch's
    # elu_double_backward masks x < 0.
    # x <= 0 picks the exponential branch, as torch's, so that NaN takes the linear one.
    lambda m, g, x, alpha, scale, input_scale: m.where(
        x <= 0, g * input_scale * (alpha * scale) * m.exp(m.where(x < 0, x, 0.0) * input_scale),
        g * scale))


_min_first = first_on_ties(np.minimum)


# The in-place forms save their result, as torch's: elu's gradient below 0 is then
# input_scale * (result + alpha * scale).
EluBackward1 = node_class(
    "EluBackward1",
    lambda m, g, r, alpha, scale, input_scale: m.where(
        r <= 0, g * ((m.where(r < 0, r, 0.0) + alpha * scale) * input_scale), g * scale))


def _elu(x: np.ndarray, alpha: float, scale: float, input_scale: float) -> np.ndarray:
    t = x.dtype.type
    # min(x, 0) keeps x on ties, as torch's, so that elu(-0.) is -0.
    return np.where(x > 0, x * t(scale),
                    np.expm1(_min_first(x, t(0)) * t(input_scale)) * t(alpha * scale))


_elu_op = unary_op(EluBackward0, _elu, name="elu", kinds="f", kernel="elu_cpu", n_ctx=3)
_elu_op_ = unary_in_place(_elu_op, EluBackward1)


@declare(vmap=POINTWISE)
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Applies the Exponential Linear Unit function element-wise."""
    return (_elu_op_ if inplace else _elu_op)(input, alpha, 1.0, 1.0)


LeakyReluBackward0 = node_class(
    "LeakyReluBackward0",
    lambda m, g, x, slope: m.tie(m.where(x > 0, g, g * slope), x))


def _leaky_relu_result_grad(m: Any, g: Any, r: Any, slope: float) -> Any:
    if slope < 0:
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which "
            "is not supported. This is caused by calling in-place forward function with a "
            "negative slope, please call out-of-place version instead. File an issue at "
            "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
            "backward calculation with negative slope")
    return m.tie(m.where(r > 0, g, g * slope), r)


LeakyReluBackward1 = node_class("LeakyReluBackward1", _leaky_relu_result_grad)


def _leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, x * x.dtype.type(slope))


_leaky_relu_op = unary_op(LeakyReluBackward0, _leaky_relu, name="leaky_relu", kinds="f",
                          n_ctx=1)
_leaky_relu_op_ = unary_in_place(_leaky_relu_op, LeakyReluBackward1)


@declare(vmap=POINTWISE)
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """Applies max(0, x) + negative_slope * min(0, x) element-wise."""
    return (_leaky_relu_op_ if inplace else _leaky_relu_op)(input, negative_slope)


HardtanhBackward0 = node_class(
    "HardtanhBackward0",
    lambda m, g, x, lo, hi: m.tie(m.where((x <= lo) | (x >= hi), 0.0, g), x))


@declare(vmap=POINTWISE)
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Applies the HardTanh function element-wise: x clamped to [min_val, max_val]."""
    # torch's Python code compares the bounds: a tensor bound's truth fails there, first.
    if _truth(min_val > max_val):
        raise ValueError("min_val cannot be greater than max_val")
    kind = check_tensor(input, fn="hardtanh")._data.dtype.kind
    if kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    # Integer tensors are clamped too (they cannot require grad). In place the node saves
    # the result, whose clamped entries sit on the bounds: the same formula gives the same
    # gradient (and torch keeps the name).
    return (_hardtanh_op_ if inplace else _hardtanh_op)(input, min_val, max_val)


def _hardtanh(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip(x, x.dtype.type(lo), x.dtype.type(hi))


_hardtanh_op = unary_op(HardtanhBackward0, _hardtanh, name="hardtanh", floating=False,
                        kinds="fiu", kernel="hardtanh", n_ctx=2)
_hardtanh_op_ = unary_in_place(_hardtanh_op, HardtanhBackward0)


def _log_sigmoid_buffer(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) as torch's kernel takes it, with SLEEF's exp (at every size); half types go
    # through float32.
    if x.dtype == np.float64:
        return _sleef.exp(-np.abs(x))
    return _sleef.expf(-np.abs(x.astype(np.float32, copy=False)))


def _log_sigmoid_np(x: np.ndarray) -> np.ndarray:
    b = _log_sigmoid_buffer(x)
    log1p = _sleef.log1p if b.dtype == np.float64 else _sleef.log1pf
    with np.errstate(all="ignore"):
        return (np.minimum(x.astype(b.dtype, copy=False), b.dtype.type(0)) - log1p(b)).astype(
            x.dtype, copy=False)


def _log_sigmoid_grad_np(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    # torch's kernel, on the buffer exp(-|x|) of the forward: (x < 0) + sign * b / (1 + b),
    # times grad; sigmoid(-x) would overflow exp(x) and flush the subnormal range to 0.
    b = _log_sigmoid_buffer(x)
    t = b.dtype.type
    g = g.astype(b.dtype, copy=False)
    neg = x < 0
    return ((np.where(neg, t(1), t(0)) - np.where(neg, t(1), t(-1)) * (b / (t(1) + b))) *
            g).astype(x.dtype)


LogSigmoidBackwardBackward0 = node_class(
    "LogSigmoidBackwardBackward0",
    lambda m, gg, g, x: m.log_sigmoid_backward(gg, x),
    # torch's log_sigmoid_double_backward: grad (z - 1) z with z = sigmoid(x).
    lambda m, gg, g, x: gg * g * (m.sigmoid(x) - 1) * m.sigmoid(x),
)


def log_sigmoid_backward(grad_output: Tensor, input: Tensor) -> Tensor:
    """The gradient of logsigmoid at input, times grad_output."""
    out = wrap(_log_sigmoid_grad_np(grad_output._data, input._data))
    if needs_grad(grad_output, input):
        attach(LogSigmoidBackwardBackward0, out, (grad_output, input), (grad_output, input))
    return out


_raw.log_sigmoid_backward = _log_sigmoid_grad_np
log_sigmoid_backward = transform_op(log_sigmoid_backward, "log_sigmoid_backward")
_graph.log_sigmoid_backward = log_sigmoid_backward


LogSigmoidBackward0 = node_class(
    "LogSigmoidBackward0", lambda m, g, x: m.log_sigmoid_backward(g, x))


_logsigmoid = unary_op(LogSigmoidBackward0, _log_sigmoid_np, name="log_sigmoid", kinds="f")


@declare(vmap=POINTWISE)
def logsigmoid(input: Tensor) -> Tensor:
    """Applies log(1 / (1 + exp(-x))) element-wise, computed stably."""
    return _logsigmoid(input)


# Formulas take log-sigmoid as its own node, so that its derivative is sigmoid(-x) at 0 too
# (min and abs have none there).
_raw.log_sigmoid = _log_sigmoid_np
_graph.log_sigmoid = logsigmoid = transform_op(logsigmoid, "logsigmoid")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


_selu_op = unary_op(EluBackward0, _elu, name="selu", kinds="f", kernel="elu_cpu", n_ctx=3)
_selu_op_ = unary_in_place(_selu_op, EluBackward1)


@declare(vmap=POINTWISE)
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies scale * (max(0, x) + min(0, alpha * (exp(x) - 1))) element-wise, with
    torch's fixed alpha and scale."""
    return (_selu_op_ if inplace else _selu_op)(input, _SELU_ALPHA, _SELU_SCALE, 1.0)


CeluBackward0 = node_class("CeluBackward0", *EluBackward0.formulas)
CeluBackward1 = node_class("CeluBackward1", *EluBackward1.formulas)


def _celu(x: np.ndarray, alpha: float, scale: float, grad_input_scale: float) -> np.ndarray:
    return _elu(x, alpha, scale, 1.0 / alpha)


_celu_op = unary_op(CeluBackward0, _celu, name="celu", kinds="f", kernel="elu_cpu", n_ctx=3)
_celu_op_ = unary_in_place(_celu_op, CeluBackward1)


@declare(vmap=POINTWISE)
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Applies max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) element-wise."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # torch's backward takes 1 / alpha with alpha rounded to float32 first.
    return (_celu_op_ if inplace else _celu_op)(input, alpha, 1.0,
                                                1.0 / float(np.float32(alpha)))


ThresholdBackward0 = node_class(
    "ThresholdBackward0",
    lambda m, g, x, threshold, value: m.tie(m.where(x > threshold, g, 0.0), x))
ThresholdBackward1 = node_class("ThresholdBackward1", *ThresholdBackward0.formulas)


def _threshold(x: np.ndarray, threshold: float, value: float) -> np.ndarray:
    t = x.dtype.type
    return np.where(x > t(threshold), x, t(value))


_threshold_op = unary_op(ThresholdBackward0, _threshold, name="threshold", floating=False,
                         kinds="fiu", kernel="threshold_cpu", n_ctx=2)
_threshold_copy_op = unary_op(ThresholdBackward1, _threshold, name="threshold", floating=False,
                              kinds="fiu", kernel="threshold_cpu", n_ctx=2)


@declare(vmap=POINTWISE)
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """Thresholds each element: x where x > threshold, else value."""
    dt = input._data.dtype
    if dt.kind in "iu":
        threshold = checked_scalar(threshold, dt)
    if dt.kind in "iu" or dt.kind == "f" and dt.itemsize < 8:
        value = checked_scalar(value, dt)
    if inplace:
        # The replaced entries get no gradient even where value > threshold: the node tests
        # the input, taken before the write.
        return apply_in_place(_threshold_copy_op, input, threshold, value)
    return _threshold_op(input, threshold, value)


def _first_order(op: str, raw: Any) -> Any:
    """A gradient formula (on arrays) that torch does not differentiate again: under
    create_graph its result hangs on a node that fails when reached, as torch's
    NotImplemented node does."""
    from .elementary import _not_implemented

    node_classes: dict = {}  # by number of inputs

    def formula(m: Any, g: Any, *args: Any) -> Any:
        if not isinstance(g, Tensor):
            return raw(g, *args)
        out = wrap(np.asarray(raw(g._data, *(a._data if isinstance(a, Tensor) else a
                                            for a in args))))
        inputs = tuple(t for t in (g, *args) if isinstance(t, Tensor) and t._rg)
        if inputs and needs_grad(*inputs):
            n = len(inputs)
            cls = node_classes.get(n) or node_classes.setdefault(n, _not_implemented(op, n))
            attach(cls, out, inputs)
        return out

    return formula


# torch multiplies by 1/6 rounded to float32, whatever the dtype.
_ONE_SIXTH = float(np.float32(1) / np.float32(6))
HardsigmoidBackward0 = node_class("HardsigmoidBackward0", _first_order(
    "hardsigmoid_backward",
    lambda g, x: np.where((x > -3) & (x < 3), g * _ONE_SIXTH, g.dtype.type(0))))


def _hardsigmoid(x: np.ndarray) -> np.ndarray:
    t = x.dtype.type
    return np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)


_hardsigmoid_op = unary_op(HardsigmoidBackward0, _hardsigmoid, name="hardsigmoid", kinds="f")


@declare(vmap=POINTWISE)
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies relu6(x + 3) / 6 element-wise."""
    if inplace:
        return apply_in_place(hardsigmoid, input)
    return _hardsigmoid_op(input)


HardswishBackward0 = node_class(
    "HardswishBackward0",
    # torch's kernel: 0 up to -3 included, the slope x / 3 + 1/2 strictly inside, 1 from 3 on.
    lambda m, g, x: m.where(x <= -3.0, 0.0, m.where(x < 3.0, g * (x / 3.0 + 0.5), g)))


def _hardswish(x: np.ndarray) -> np.ndarray:
    t = x.dtype.type
    return x * np.minimum(np.maximum(x + t(3), t(0)), t(6)) / t(6)


_hardswish_op = unary_op(HardswishBackward0, _hardswish, name="hardswish", kinds="f")


@declare(vmap=POINTWISE)
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies x * relu6(x + 3) / 6 element-wise."""
    if inplace:
        return apply_in_place(hardswish, input)
    return _hardswish_op(input)


def _outside(m: Any, g: Any, x: Any, lambd: float) -> Any:
    # The shrink functions pass the gradient where |x| > lambd (and where x is NaN).
    return m.tie(m.where((x >= -lambd) & (x <= lambd), 0.0, g), x)


HardshrinkBackward0 = node_class("HardshrinkBackward0", _outside)
SoftshrinkBackward0 = node_class("SoftshrinkBackward0", _outside)


def _hardshrink(x: np.ndarray, lambd: float) -> np.ndarray:
    t = x.dtype.type
    return np.where((x >= t(-lambd)) & (x <= t(lambd)), t(0), x)


def _softshrink(x: np.ndarray, lambd: float) -> np.ndarray:
    t = x.dtype.type
    return np.where(x > t(lambd), x - t(lambd), np.where(x < t(-lambd), x + t(lambd), x * t(0)))


_hardshrink_op = unary_op(HardshrinkBackward0, _hardshrink, name="hardshrink", kinds="f",
                          n_ctx=1)
_softshrink_op = unary_op(SoftshrinkBackward0, _softshrink, name="softshrink", kinds="f",
                          n_ctx=1)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Applies x where |x| > lambd, else 0, element-wise."""
    if isinstance(lambd, Tensor):
        lambd = lambd.item()  # torch takes a 0-dim tensor as its number
    return _hardshrink_op(input, lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Applies x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    if isinstance(lambd, Tensor):
        lambd = lambd.item()  # torch takes a 0-dim tensor as its number
    dt = check_tensor(input, fn="softshrink")._data.dtype
    if dt.kind != "f":
        raise not_implemented("softshrink_check", input.dtype)
    top = float(np.finfo(dt).max)
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{input.dtype._legacy}, but found {lambd:g}")
    return _softshrink_op(input, lambd)


def _glu_grad(m: Any, g: Any, x: Any, dim: int) -> Any:
    n = x.shape[dim] // 2
    a = m.narrow(x, dim, 0, n)
    s = m.sigmoid(m.narrow(x, dim, n, n))
    return m.cat((g * s, g * a * s * (1 - s)), dim)


GluBackward0 = node_class("GluBackward0", _glu_grad)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: a * sigmoid(b), where a and b are the two halves of input
    along dim."""
    _reach("dim", input)
    x = input._data
    if not x.ndim:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    # torch's Python code ends here: the rest is its native op, behind that op's parser.
    check_call("glu", (input, dim), {}, "NN")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{x.shape[d]}")
    if x.dtype.kind != "f":
        raise not_implemented("glu_cpu", input.dtype)
    a, b = np.split(x, 2, axis=d)
    one = x.dtype.type(1)
    with np.errstate(all="ignore"):
        out = wrap(np.asarray(a * (one / (one + np.exp(-b))), dtype=x.dtype))
    if needs_grad(input):
        attach(GluBackward0, out, (input,), (input,), (d,))
    return out


# Under create_graph the input's gradient hangs on a node with an edge to the input too
# (with a zero derivative), as torch's PreluKernelBackwardBackward0.
PreluKernelBackwardBackward0 = node_class("PreluKernelBackwardBackward0", lambda m, g: g,
                                          lambda m, g: g * 0)


def _prelu_input_grad(m: Any, g: Any, x: Any, w: Any) -> Any:
    if not isinstance(g, Tensor):
        return m.where(x > 0, g, g * w)
    # torch's gradient takes x > 0 as the positive side, its double backward x >= 0: at 0
    # the value is g * w, its derivatives those of g.
    r = m.where(x >= 0, g, g * w) + m.where(x == 0, (g * w - g).detach(), 0.0)
    if x._rg and _mode.enabled:
        out = wrap(r._data)
        attach(PreluKernelBackwardBackward0, out, (r, x))
        return out
    return r


PreluKernelBackward0 = node_class(
    "PreluKernelBackward0",
    _prelu_input_grad,
    # Broadcast like the output; the engine sums it down to the weight's view.
    lambda m, g, x, w: m.where((x >= 0) if isinstance(g, Tensor) else (x > 0), 0.0, g * x),
)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Applies max(0, x) + weight * min(0, x) element-wise, with one weight per channel
    (dimension 1) or one for all."""
    from .arithmetic import _meta
    from .shape import view

    x = input._data
    if x.dtype != weight._data.dtype:
        raise RuntimeError("prelu: Type promoting not supported. Got "
                           f"{input.dtype._legacy} and {weight.dtype._legacy}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    # As torch: the kernel sees the weight viewed to broadcast along the channels.
    w = weight
    if weight.dim() != x.ndim:
        shape = [1] * x.ndim
        if x.ndim >= 2:
            shape[1] = weight.numel()
        w = view(weight, *shape)
    wa = w._data
    out = wrap(np.where(x > 0, x, wa * x).astype(np.result_type(x, wa), copy=False))
    if needs_grad(input, w):
        attach(PreluKernelBackward0, out, (input, w), (input, w), (), _meta(out._data, input, w))
    return out


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: in training each non-positive element is multiplied by a
    slope drawn uniformly from [lower, upper]; in evaluation by their mean."""
    from .. import _random

    for name, bound in (("lower", lower), ("upper", upper)):
        if not math.isfinite(bound):
            raise RuntimeError(f"rrelu: {name} bound must be finite, got {bound}")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    x = input._data
    if x.dtype.kind != "f":
        # In evaluation torch's rrelu is its leaky_relu with the mean slope.
        raise not_implemented("rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu",
                              input.dtype)
    if training:
        # One double draw per non-positive element, in order (torch's loop), rounded to the
        # tensor's dtype. torch rounds the bounds to the dtype's opmath type first, and its
        # uniform_real_distribution computes u * (upper - lower) + lower in double with two
        # roundings (that code is built without FMA), unlike uniform_.
        hit = x <= 0
        opmath = np.float64 if x.dtype == np.float64 else np.float32
        lo, hi = np.float64(opmath(lower)), np.float64(opmath(upper))
        slopes = np.empty(int(hit.sum()), np.float64)
        _random.uniform_(slopes, 0.0, 1.0)
        slopes = slopes * (hi - lo) + lo
        noise = np.ones_like(x)
        noise[hit] = slopes.astype(x.dtype)
    else:
        noise = np.where(x > 0, x.dtype.type(1), x.dtype.type((lower + upper) / 2))
    out = wrap(np.asarray(x * noise, x.dtype))
    cls = RreluWithNoiseBackward1 if inplace else RreluWithNoiseBackward0
    if inplace:
        from .inplace import check_inplace, write_result

        check_inplace(input)
        if needs_grad(input):
            attach(cls, out, (input,), (), (noise,))
        return write_result(input, out)
    if needs_grad(input):
        attach(cls, out, (input,), (input,), (noise,))
    return out


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
