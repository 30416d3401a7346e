"""Pooling (max, average, adaptive, fractional, LP) and its derivatives.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._arg_parser import check_call
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from . import _math
from ._core import (
    _reach,
    attach,
    check_new_shape,
    needs_grad,
    node_class,
    not_implemented,
    quiet,
    shape_str,
    wrap,
)
from .nn_conv import _numel
from .nn_kernels import check_kernel, im2col_np

__all__ = []


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    # torch's pooling_output_shape, with its checks.
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > int(((k - 1) * d + 1) / 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_pair(v: Any, what: str) -> tuple:
    vals = tuple(v) if isinstance(v, (list, tuple)) else (v,)
    if len(vals) not in (1, 2):
        raise RuntimeError(what)
    return int(vals[0]), int(vals[-1])


def _pool2d_params(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                   ceil_mode: bool, name: str, divisor: Any = None) -> tuple:
    """(k, s, p, d, oh, ow) of 2-D pooling, after torch's checks in its order (`name` is
    max_pool2d or avg_pool2d; average pooling has no dilation)."""
    k = _pool_pair(kernel_size, f"{name}: kernel_size must either be a single int, or a tuple "
                                "of two ints")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not stride) else \
        _pool_pair(stride, f"{name}: stride must either be omitted, a single int, or a tuple of "
                           "two ints")
    p = _pool_pair(padding, f"{name}: padding must either be a single int, or a tuple of two "
                            "ints")
    if divisor is not None and divisor == 0:
        raise RuntimeError("divisor must be not zero")
    d = (1, 1) if dilation is None else _pool_pair(
        dilation, f"{name}: dilation must be either a single int, or a tuple of two ints")
    x = input._data
    if name == "max_pool2d" and x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    c, h, w = input.size(-3), input.size(-2), input.size(-1)
    oh = _pool_out(h, k[0], s[0], p[0], d[0], ceil_mode)
    ow = _pool_out(w, k[1], s[1], p[1], d[1], ceil_mode)
    # torch's pool2d_shape_check
    check_kernel(k, ("kH", "kW"))
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    sh = x.shape
    valid = len(sh) > 2 and sh[1] and sh[2]
    if not (len(sh) == 3 and sh[0] and valid or len(sh) == 4 and valid and sh[3]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{shape_str(sh)}")
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{oh}x{ow}). Output size is too small")
    if x.dtype == np.bool_:
        raise not_implemented(name, input.dtype)
    return k, s, p, d, oh, ow


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, indices: bool = True) -> tuple:
    """2-D max pooling; returns the maxima and their flat indices within each input plane
    (None for the indices when `indices` is false and they are not needed)."""
    k, s, p, d, oh, ow = _pool2d_params(input, kernel_size, stride, padding, dilation,
                                        ceil_mode, "max_pool2d")
    x = input._data
    x4 = x if x.ndim == 4 else x[None]
    n, c, h, w = x4.shape
    if s == k and not any(p) and d == (1, 1) and x.dtype.kind == "f" and \
            oh * k[0] <= h and ow * k[1] <= w:
        return _max_pool_blocks(input, x4, k, oh, ow, indices)
    pb = max(0, (oh - 1) * s[0] + d[0] * (k[0] - 1) + 1 - h - p[0])
    pr = max(0, (ow - 1) * s[1] + d[1] * (k[1] - 1) + 1 - w - p[1])
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    pad4 = (p[0], pb, p[1], pr)
    cols = im2col_np(x4, k, d, pad4, s).reshape(n, c, k[0] * k[1], oh * ow) \
        if not any(pad4) else _padded_cols(x4, k, d, pad4, s, fill, n, c, oh, ow)
    cols = cols[..., :oh * ow]
    arg = np.argmax(cols, axis=2)
    vals = np.take_along_axis(cols, arg[:, :, None], 2)[:, :, 0]
    ki, kj = np.divmod(arg, k[1])
    oi, oj = np.divmod(np.arange(oh * ow), ow)
    hi = oi * s[0] - p[0] + ki * d[0]
    wj = oj * s[1] - p[1] + kj * d[1]
    idx = (hi * w + wj).astype(np.int64)
    out_shape = (n, c, oh, ow) if x.ndim == 4 else (c, oh, ow)
    out = wrap(vals.reshape(out_shape))
    indices = wrap(idx.reshape(out_shape))
    if needs_grad(input):
        attach(MaxPool2DWithIndicesBackward0, out, (input,),
               (input, idx.reshape(n * c, oh * ow), x.shape, None))
    return out, indices


#
# Each window offset (i, j) is one strided slice of the input; the maxima are a chain of
# element-wise maximums over those slices and the backward pass writes the gradient into the
# same slices, so no window array is ever built. `arg` keeps the offset of each maximum
# (uint8: k*k is small) in place of flat indices, which are only computed when asked for.

def _block_slices(k: tuple, oh: int, ow: int) -> list:
    return [(slice(None), slice(None), slice(i, i + oh * k[0], k[0]),
             slice(j, j + ow * k[1], k[1])) for i in range(k[0]) for j in range(k[1])]


def _max_pool_blocks(input: Tensor, x4: np.ndarray, k: tuple, oh: int, ow: int,
                     want_indices: bool) -> tuple:
    x = input._data
    views = [x4[sl] for sl in _block_slices(k, oh, ow)]
    best = views[0].copy()
    for v in views[1:]:
        np.maximum(best, v, out=best)  # NaN-propagating, as torch's isnan test
    # torch keeps the first maximum of a window in scan order, or its last NaN.
    arg = np.zeros(best.shape, np.uint8 if len(views) <= 256 else np.int64)
    if len(views) > 1:
        seen = views[0] == best
        for kk, v in enumerate(views[1:], 1):
            hit = v == best
            first = hit & ~seen
            arg += first.view(np.uint8) * arg.dtype.type(kk)
            seen |= hit
        if not seen.all():
            for kk, v in enumerate(views):
                arg[np.isnan(v)] = kk
    shape = x.shape[:-2] + (oh, ow)
    out = wrap(best.reshape(shape))
    idx = None
    if want_indices:
        idx = wrap(_block_indices(arg, k, x.shape[-1], oh, ow).reshape(shape))
    if needs_grad(input):
        attach(MaxPool2DWithIndicesBackward0, out, (input,), (input, arg, x.shape, k))
    return out, idx


def _block_indices(arg: np.ndarray, k: tuple, w: int, oh: int, ow: int) -> np.ndarray:
    """Flat indices within each input plane of the maxima at window offsets `arg`."""
    ki, kj = np.divmod(np.arange(k[0] * k[1], dtype=np.int64), k[1])
    offset = ki * w + kj
    base = (np.arange(oh, dtype=np.int64)[:, None] * (k[0] * w) +
            np.arange(ow, dtype=np.int64) * k[1])
    return offset[arg] + base


def _max_pool_grad(m: Any, g: Any, x: Any, idx: np.ndarray, xs: tuple, k: Any) -> Any:
    # idx: the flat indices of the maxima in their planes, (planes, outputs); or, for
    # disjoint windows (k given), the maxima's offsets in their windows.
    if k is not None:
        oh, ow = idx.shape[-2:]
        idx = _block_indices(idx, k, xs[-1], oh, ow).reshape(_numel(xs[:-2]), oh * ow)
    return m.tie(m.reshape(m.scatter_rows(m.reshape(g, idx.shape), idx, xs[-1] * xs[-2]), xs),
                 x)


def _max_pool_grad_np(m: Any, g: np.ndarray, x: np.ndarray, idx: np.ndarray, xs: tuple,
                      k: Any) -> np.ndarray:
    if k is None:
        return _max_pool_grad(m, g, x, idx, xs, k)
    # Disjoint windows: one masked copy per window offset instead of a scatter.
    arg = idx
    oh, ow = arg.shape[-2:]
    g = g.reshape(arg.shape)
    it = _math._INT_OF.get(g.dtype.itemsize)
    gx = np.zeros(arg.shape[:2] + tuple(xs[-2:]), g.dtype)
    for kk, sl in enumerate(_block_slices(k, oh, ow)):
        # g where the maximum sits at this offset, else 0: a bitwise AND with an all-ones
        # mask keeps inf and NaN gradients out of the other positions, as a scatter does.
        mask = (arg == kk).view(np.uint8).astype(it)
        np.negative(mask, out=mask)
        np.bitwise_and(mask, g.view(it), out=mask)
        gx[sl] = mask.view(g.dtype)
    return gx.reshape(xs)


MaxPool2DWithIndicesBackward0 = node_class("MaxPool2DWithIndicesBackward0", _max_pool_grad,
                                           raw=(_max_pool_grad_np,))


def _padded_cols(x4: np.ndarray, k: tuple, d: tuple, pad4: tuple, s: tuple, fill: Any,
                 n: int, c: int, oh: int, ow: int) -> np.ndarray:
    cols = im2col_np(x4, k, d, pad4, s, fill)
    return cols.reshape(n, c, k[0] * k[1], cols.shape[-1])


AvgPool2DBackward0 = node_class(
    "AvgPool2DBackward0",
    lambda m, g, x, xs, k, pad4, s, div: m.tie(_avg_pool_grad(m, g, xs, k, pad4, s, div), x))


def _avg_pool_grad(m: Any, g: Any, xs: tuple, k: tuple, pad4: tuple, s: tuple,
                   div: np.ndarray) -> Any:
    nc = _numel(xs[:-2])
    gl = m.reshape(g, (nc, 1, -1)) / m.const(div.reshape(1, 1, -1))
    cols = m.expand(gl, (nc, k[0] * k[1], gl.shape[-1]))
    gx = m.col2im(cols, tuple(xs[-2:]), k, (1, 1), pad4, s)
    return m.reshape(gx, xs)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Any = None) -> Tensor:
    """2-D average pooling over kernel_size windows taken stride apart."""
    k, s, p, _, oh, ow = _pool2d_params(input, kernel_size, stride, padding, None, ceil_mode,
                                        "avg_pool2d", divisor_override)
    x = input._data
    h, w = x.shape[-2:]
    pb = max(0, (oh - 1) * s[0] + k[0] - h - p[0])
    pr = max(0, (ow - 1) * s[1] + k[1] - w - p[1])
    pad4 = (p[0], pb, p[1], pr)
    div = _avg_divisor(h, w, oh, ow, k, s, p, count_include_pad, divisor_override)
    nc = _numel(x.shape[:-2])
    cols = im2col_np(x.reshape(nc, 1, h, w), k, (1, 1), pad4, s)[:, :, :oh * ow]
    with np.errstate(all="ignore"):
        res = (cols.sum(axis=1) / div.reshape(1, -1).astype(x.dtype)).astype(x.dtype)
    out = wrap(res.reshape(x.shape[:-2] + (oh, ow)))
    if needs_grad(input):
        attach(AvgPool2DBackward0, out, (input,), (input,),
               (x.shape, k, pad4, s, div.astype(x.dtype)))
    return out


def _avg_divisor(h: int, w: int, oh: int, ow: int, k: tuple, s: tuple, p: tuple,
                 include_pad: bool, override: Any) -> np.ndarray:
    if override:
        return np.full((oh, ow), float(override))

    def axis(n_out: int, size: int, kk: int, ss: int, pp: int) -> tuple:
        start = np.arange(n_out) * ss - pp
        end = np.minimum(start + kk, size + pp)
        full = end - start
        return full, np.minimum(end, size) - np.maximum(start, 0)

    fh, ch = axis(oh, h, k[0], s[0], p[0])
    fw, cw = axis(ow, w, k[1], s[1], p[1])
    return np.outer(fh, fw).astype(np.float64) if include_pad else \
        np.outer(ch, cw).astype(np.float64)


AdaptiveAvgPool2DBackward0 = node_class(
    "AdaptiveAvgPool2DBackward0",
    lambda m, g, x, ph, pw: m.tie(m.matmul(m.matmul(m.const(ph.T.copy()), g), m.const(pw)), x))


def _adaptive_matrix(size: int, out: int, dt: np.dtype) -> np.ndarray:
    mat = np.zeros((out, size), dtype=dt)
    for i in range(out):
        a = (i * size) // out
        b = -((-(i + 1) * size) // out)
        mat[i, a:b] = 1.0 / (b - a)
    return mat


def _list_with_default(out_size: Any, defaults: Any) -> Any:
    """torch's Python step before 2-D adaptive pooling: an int stays, a list's None entries
    take the input's sizes."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def _adaptive_sizes(input: Tensor, output_size: Any, name: str, got: str,
                    checked: int) -> tuple:
    """(h, w, oh, ow) of 2-D adaptive pooling, after torch's rank and size checks (`got` is
    how its message introduces the shape; the last `checked` dimensions must be
    non-empty)."""
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got{got} {list(x.shape)}")
    for i in range(x.ndim - checked, x.ndim):
        if not x.shape[i]:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(x.shape)} with dimension {i} being empty")
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be 2")
    oh, ow = (int(v) for v in output_size)
    check_new_shape(x.shape[:-2] + (oh, ow))
    # Average pooling to an empty result runs no kernel, whatever the dtype.
    if x.dtype.kind != "f" and (name == "adaptive_max_pool2d" or
                                math.prod(x.shape[:-2]) * oh * ow):
        raise not_implemented(name, input.dtype)
    h, w = x.shape[-2:]
    return h, w, oh, ow


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """2-D adaptive average pooling to output_size (None keeps that input size)."""
    _reach("size", input)
    output_size = _list_with_default(output_size, input.size())
    check_call("adaptive_avg_pool2d", (input, output_size), {}, "NN")
    if not isinstance(output_size, int) and len(output_size) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    if oh < 0 or ow < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{oh}, {ow}}}")
    if oh == 1 and ow == 1:
        # torch's shortcut: the mean over the last two dimensions, whatever the rank.
        return input.mean((-1, -2), keepdim=True)
    x = input._data
    h, w, oh, ow = _adaptive_sizes(input, output_size, "adaptive_avg_pool2d", "", 2)
    ph = _adaptive_matrix(h, oh, x.dtype)
    pw = _adaptive_matrix(w, ow, x.dtype)
    out = wrap(np.ascontiguousarray(quiet(np.matmul, quiet(np.matmul, ph, x), pw.T)))
    if needs_grad(input):
        attach(AdaptiveAvgPool2DBackward0, out, (input,), (input, ph, pw))
    return out


def _adaptive_max_grad(m: Any, g: Any, x: Any, idx: np.ndarray, xs: tuple) -> Any:
    # idx: (planes, outputs) flat positions within each input plane.
    rows = m.reshape(g, idx.shape)
    return m.tie(m.reshape(m.scatter_rows(rows, idx, xs[-1] * xs[-2]), xs), x)


AdaptiveMaxPool2DBackward0 = node_class("AdaptiveMaxPool2DBackward0", _adaptive_max_grad)


def _adaptive_bounds(size: int, out: int) -> list:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """2-D adaptive max pooling to output_size (None keeps that input size); with
    return_indices, also the flat position of each maximum within its input plane."""
    _reach("size", input)
    output_size = _list_with_default(output_size, input.size())
    check_call("adaptive_max_pool2d", (input, output_size), {}, "NN")
    x = input._data
    h, w, oh, ow = _adaptive_sizes(input, output_size, "adaptive_max_pool2d", ":", x.ndim - 1)
    planes = x.reshape(-1, h * w)
    idx = np.empty((planes.shape[0], oh * ow), np.int64)
    grid = np.arange(h * w, dtype=np.int64).reshape(h, w)
    for i, (a, b) in enumerate(_adaptive_bounds(h, oh)):
        for j, (c, d) in enumerate(_adaptive_bounds(w, ow)):
            where = grid[a:b, c:d].ravel()
            window = planes[:, where]
            # torch keeps the first maximum, or the last NaN in scan order.
            pick = window.argmax(1) if window.size else np.zeros(len(window), np.int64)
            nan = np.isnan(window)
            if nan.any():
                last = window.shape[1] - 1 - nan[:, ::-1].argmax(1)
                pick = np.where(nan.any(1), last, pick)
            idx[:, i * ow + j] = where[pick]
    out = wrap(np.take_along_axis(planes, idx, 1).reshape(x.shape[:-2] + (oh, ow)))
    if needs_grad(input):
        attach(AdaptiveMaxPool2DBackward0, out, (input,), (input,), (idx, x.shape))
    if not return_indices:
        return out
    return out, wrap(idx.reshape(x.shape[:-2] + (oh, ow)))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
