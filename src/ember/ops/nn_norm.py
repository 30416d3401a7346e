"""Normalization (batch, layer, group, instance, RMS, local response) and its derivatives.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._arg_parser import type_name
from .._dtypes import type_meta_name
from .._quiet import quiet_off, quiet_on, quietly
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from .._version import bump_version
from ..autograd.graph import Node
from . import _math, arithmetic
from ._core import (
    attach,
    needs_grad,
    node_class,
    not_implemented,
    wrap,
)

__all__ = []


def _norm_grad_input(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                     p: tuple) -> Any:
    axes, wshape, training, eps = p
    gw = g if w is None else g * m.reshape(w, wshape)
    if not training:
        return gw * m.const(rstd)
    mean, r = _stats(m, x, mean, rstd, axes, eps)
    xhat = (x - mean) * r
    n = 1
    for a in axes:
        n *= x.shape[a]
    mg = m.sum(gw, axes, True) / n
    mgx = m.sum(gw * xhat, axes, True) / n
    return (gw - mg - xhat * mgx) * r


def _stats(m: Any, x: Any, mean: np.ndarray, rstd: np.ndarray, axes: tuple,
           eps: float) -> tuple:
    """The saved mean and 1/std; under create_graph recomputed from x so that second
    derivatives see their dependence on it."""
    if not isinstance(x, Tensor):
        return mean, rstd
    n = 1
    for a in axes:
        n *= x.shape[a]
    mu = m.sum(x, axes, True) / n
    d = x - mu
    return mu, 1 / m.sqrt(m.sum(d * d, axes, True) / n + eps)


def _norm_grad_weight(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                      p: tuple) -> Any:
    axes, wshape, training, eps = p
    if training:
        mean, rstd = _stats(m, x, mean, rstd, axes, eps)
    else:
        mean, rstd = m.const(mean), m.const(rstd)
    xhat = (x - mean) * rstd
    red = tuple(i for i in range(len(x.shape)) if i >= len(wshape) or wshape[i] == 1)
    return m.reshape(m.sum(g * xhat, red, True), w.shape)


def _norm_grad_bias(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                    p: tuple) -> Any:
    wshape = p[1]
    red = tuple(i for i in range(len(g.shape)) if i >= len(wshape) or wshape[i] == 1)
    return m.reshape(m.sum(g, red, True), b.shape)


def _bn_anchor_grad(m: Any, gg: Any) -> Any:
    return gg


# torch differentiates batch norm's three gradients with one node whose inputs are the
# output's gradient, the input and the weight: under create_graph each gradient is passed
# through such a node, so it requires grad when any of those does, and reaches them with
# None where that node's formula gives none.
NativeBatchNormBackwardBackward0 = node_class(
    "NativeBatchNormBackwardBackward0", _bn_anchor_grad, lambda m, gg: None,
    lambda m, gg: None, lambda m, gg: None)


def _bn_anchor(r: Tensor, g: Tensor, x: Tensor, w: Tensor | None) -> Tensor:
    if not needs_grad(r, g, x, w):
        return r
    out = wrap(r._data)
    attach(NativeBatchNormBackwardBackward0, out, (r, g, x, w))
    return out


# Under create_graph batch norm's gradients hang on torch's double-backward node; plain
# backward computes them as layer norm's.
def _bn_grad_input(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                   p: tuple) -> Any:
    return _bn_anchor(_norm_grad_input(m, g, x, w, b, rstd, mean, p), g, x, w)


def _bn_grad_weight(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                    p: tuple) -> Any:
    return _bn_anchor(_norm_grad_weight(m, g, x, w, b, rstd, mean, p), g, x, w)


def _bn_grad_bias(m: Any, g: Any, x: Any, w: Any, b: Any, rstd: Any, mean: Any,
                  p: tuple) -> Any:
    r = _norm_grad_bias(m, g, x, w, b, rstd, mean, p)
    # Without a weight torch's double backward drops the bias gradient's term.
    return _bn_anchor(r.detach() if w is None else r, g, x, w)


_NORM_FORMULAS = (_norm_grad_input, _norm_grad_weight, _norm_grad_bias)
NativeBatchNormBackward0 = node_class(
    "NativeBatchNormBackward0", _bn_grad_input, _bn_grad_weight, _bn_grad_bias,
    raw=_NORM_FORMULAS)
NativeLayerNormBackward0 = node_class("NativeLayerNormBackward0", *_NORM_FORMULAS)


def _layer_norm_apply(self: Any, grad: Any, graph: bool) -> tuple:
    """Plain backward of layer norm with one dtype throughout: the three formulas' arithmetic
    with x_hat computed once for the input's and the weight's gradients (each formula
    computes it for itself), and the input's gradient built in place."""
    saved = self._saved
    if graph or self._checks or saved is None:
        return Node.apply(self, grad, graph)
    x, w, b, rstd, mean, (axes, wshape, training, eps) = saved + self._ctx
    dt = x.dtype
    if (grad.dtype != dt or rstd.dtype != dt or (w is not None and w.dtype != dt)
            or type(grad) is not np.ndarray):
        return Node.apply(self, grad, graph)
    n = self._next
    red = tuple(range(len(wshape) - len(axes)))
    xhat = np.subtract(x, mean)
    np.multiply(xhat, rstd, out=xhat)
    gx = gw = gb = None
    if n[0] is not None:
        g = grad if w is None else grad * w.reshape(wshape)
        count = 1
        for a in axes:
            count *= x.shape[a]
        mg = np.add.reduce(g, axes, None, None, True) / count
        mgx = np.add.reduce(g * xhat, axes, None, None, True) / count
        gx = np.subtract(g, mg)
        gx -= xhat * mgx
        gx *= rstd
    if n[2] is not None:
        gw = np.add.reduce(grad * xhat, red, None, None, True).reshape(w.shape)
    if n[4] is not None:
        gb = np.add.reduce(grad, red, None, None, True).reshape(b.shape)
    return gx, gw, gb


NativeLayerNormBackward0.apply = _layer_norm_apply


def _normalize(input: Tensor, weight: Any, bias: Any, axes: tuple, wshape: tuple,
               mean: np.ndarray, rstd: np.ndarray, cls: type, training: bool,
               eps: float, centered: np.ndarray | None = None) -> Tensor:
    """The normalized output and its node; `centered`, when given, is x - mean already
    computed in a fresh array this may overwrite."""
    x = input._data
    if centered is None:
        y = (x - mean) * rstd
    else:
        y = np.multiply(centered, rstd, out=centered)
    # The weight and bias are applied in place where that keeps the output's dtype (a
    # wider parameter promotes it, as the out-of-place product does).
    if weight is not None:
        w = weight._data.reshape(wshape)
        y = np.multiply(y, w, out=y) if w.dtype == y.dtype else y * w
    if bias is not None:
        b = bias._data.reshape(wshape)
        y = np.add(y, b, out=y) if b.dtype == y.dtype else y + b
    out = wrap(np.ascontiguousarray(y.astype(x.dtype, copy=False)))
    if needs_grad(input, weight, bias):
        # float32 statistics of a float16 input give float32 gradients: cast them back.
        meta = None if mean.dtype == x.dtype else [
            None if t is None else (t._data.shape, t._data.dtype) for t in (input, weight, bias)]
        attach(cls, out, (input, weight, bias), (input, weight, bias, rstd, mean),
               ((axes, wshape, training, eps),), meta)
    return out


@quietly
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization over the channel dimension (1), updating the running statistics
    in training mode: torch's native op (nn.functional.batch_norm checks the batch first)."""
    x = input._data
    if not x.size:
        return input.clone()  # torch returns an empty input as it is, unchecked
    c = x.shape[1] if x.ndim > 1 else 0  # torch reads a 1-d input's channels as 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    input.size(1)  # torch's error for a 1-d input
    if x.dtype.kind != "f":
        raise not_implemented("batch_norm", input.dtype)
    axes = (0,) + tuple(range(2, x.ndim))
    wshape = (1, c) + (1,) * (x.ndim - 2)
    n = x.size // c if c else 0
    if training:
        # float16 statistics are taken in float32, as torch's kernel, so they cannot overflow.
        xc = x.astype(_math.reduce_dtype(x.dtype), copy=False)
        mean = xc.mean(axis=axes, keepdims=True)
        var = ((xc - mean) ** 2).mean(axis=axes, keepdims=True)
        if running_mean is not None:
            rm = running_mean._data
            rm *= rm.dtype.type(1 - momentum)
            rm += (momentum * mean.reshape(c)).astype(rm.dtype)
            bump_version(running_mean)
        if running_var is not None:
            rv = running_var._data
            rv *= rv.dtype.type(1 - momentum)
            rv += (momentum * var.reshape(c) * (n / (n - 1))).astype(rv.dtype)
            bump_version(running_var)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._data.reshape(wshape).astype(x.dtype)
        var = running_var._data.reshape(wshape).astype(x.dtype)
    # torch normalizes float16 in float16, with statistics rounded from float32.
    rstd = (1 / np.sqrt(var + var.dtype.type(eps))).astype(x.dtype)
    return _normalize(input, weight, bias, axes, wshape, mean.astype(x.dtype), rstd,
                      NativeBatchNormBackward0, training, eps)


def _check_mixed(x: np.ndarray, weight: Tensor | None, bias: Tensor | None) -> bool:
    """Whether the parameters' dtype is not the input's ("mixed"): torch's CPU kernels allow
    float32 parameters with a half input only (they check the parameters first)."""
    params = [p._data.dtype for p in (weight, bias) if p is not None]
    if not params or params[0] == x.dtype:
        return False
    if any(d != np.float32 for d in params):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if x.dtype != np.float16:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return True


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the last len(normalized_shape) dimensions."""
    x = input._data
    _check_mixed(x, weight, bias)
    if not isinstance(normalized_shape, (tuple, list)):
        # torch's parser takes an int list only (not even one int); a tensor is refused
        # there, not iterated, which would read as torch's Python code failing first.
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple "
                        f"of ints, not {type_name(normalized_shape)}")
    ns = tuple(normalized_shape)
    k = len(ns)
    if not k:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and v._data.shape != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(v._data.shape)} and normalized_shape "
                               f"= {list(ns)}")
    if x.shape[x.ndim - k:] != ns or x.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(ns)}, expected input with shape [*, "
            f"{', '.join(str(v) for v in ns)}], but got input of size{list(x.shape)}")
    if x.dtype.kind != "f":
        raise not_implemented("LayerNormKernelImpl", input.dtype)
    axes = tuple(range(x.ndim - k, x.ndim))
    wshape = (1,) * (x.ndim - k) + ns
    # float16 statistics are taken in float32, as torch's kernel, so they cannot overflow.
    xc = x.astype(_math.reduce_dtype(x.dtype), copy=False)
    # The two means as np.mean takes them (a sum, then a division by the count as intp),
    # without its wrapper; x - mean is made once, for the variance and the output. inf and
    # nan pass through silently, as in torch.
    count = np.intp(math.prod(ns))
    quiet = quiet_on()
    try:
        mean = np.add.reduce(xc, axes, None, None, True)
        np.true_divide(mean, count, out=mean, casting="unsafe")
        centered = np.subtract(xc, mean)
        var = np.add.reduce(np.square(centered), axes, None, None, True)
        np.true_divide(var, count, out=var, casting="unsafe")
        rstd = (1 / np.sqrt(var + xc.dtype.type(eps))).astype(xc.dtype)
        return _normalize(input, weight, bias, axes, wshape, mean, rstd,
                          NativeLayerNormBackward0, True, eps, centered)
    finally:
        quiet_off(quiet)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization: channels split into num_groups groups normalized together;
    torch's native op (nn.functional.group_norm checks the input's rank and groups first)."""
    x = input._data
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(x.shape)} and "
                           f"num_groups={num_groups}")
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and v._data.shape != (c,):
            # torch prints the weight's shape in both messages ([0] with no weight).
            shown = [0] if weight is None else list(weight._data.shape)
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {shown} and input "
                               f"of shape {list(x.shape)}")
    mixed = _check_mixed(x, weight, bias)
    if x.dtype.kind != "f":
        raise not_implemented("GroupNormKernelImpl", input.dtype)
    if not mixed and weight is not None and bias is not None and bias.dtype != input.dtype:
        # the kernel reads both parameters as the input's dtype
        raise RuntimeError(f"expected scalar type {input.dtype._legacy} but found "
                           f"{bias.dtype._legacy}")
    xg = input.reshape(n, num_groups, -1)
    normed = _group_normed(xg, eps)
    y = normed.reshape(x.shape)
    wshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(wshape)
    if bias is not None:
        y = y + bias.reshape(wshape)
    # float32 parameters of a half input give a half output.
    return y.to(input.dtype) if mixed else y


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Apply Root Mean Square Layer Normalization over the last len(normalized_shape)
    dimensions: input * rsqrt(mean(input^2) + eps) * weight, with eps the machine epsilon of
    the input's dtype when None."""
    if not isinstance(normalized_shape, (list, tuple)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    ns = tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k < 1:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if input.dim() < k:
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got "
                         f"{input.dim()}")
    if tuple(input.shape[input.dim() - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(str(s) for s in ns)}], but got input of size"
                           f"{list(input.shape)}")
    dt = input._data.dtype
    if dt.kind != "f":
        from .._dtypes import FROM_NUMPY

        raise NotImplementedError(f"\"rms_norm\" not implemented for "
                                  f"'{FROM_NUMPY[dt]._legacy}'")
    if weight is not None and weight._data.dtype != dt:
        import warnings


        # Attributed here, not to the caller: Python's filters then show it once, as torch's
        # TORCH_WARN_ONCE.
        warnings.warn(f"Mismatch dtype between input and weight: input dtype = "
                      f"{type_meta_name(dt)}, weight dtype = "
                      f"{type_meta_name(weight._data.dtype)}, Cannot dispatch to fused "
                      "implementation.", UserWarning, stacklevel=1)
    # torch's composite, op for op (its graph's nodes), in float32 for half inputs.
    x = input.float() if dt == np.float16 else input
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    rstd = arithmetic.add_scalar(x.pow(2).mean(dims, keepdim=True), eps).rsqrt()
    result = x * rstd
    if weight is not None:
        result = result * weight
    return result.type_as(input)


NativeGroupNormBackward0 = node_class(
    "NativeGroupNormBackward0",
    lambda m, g, x, rstd, mean, p: _norm_grad_input(m, g, x, None, None, rstd, mean, p))


def _group_normed(xg: Tensor, eps: float) -> Tensor:
    x = xg._data
    # float16 statistics are taken in float32, as torch's kernel, so they cannot overflow.
    xc = x.astype(_math.reduce_dtype(x.dtype), copy=False)
    mean = xc.mean(axis=2, keepdims=True)
    var = ((xc - mean) ** 2).mean(axis=2, keepdims=True)
    rstd = (1 / np.sqrt(var + xc.dtype.type(eps))).astype(xc.dtype)
    out = wrap(((x - mean) * rstd).astype(x.dtype))
    if needs_grad(xg):
        attach(NativeGroupNormBackward0, out, (xg,), (xg, rstd, mean),
               (((2,), (1, 1, 1), True, eps),), None if xc is x else [(x.shape, x.dtype)])
    return out


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
