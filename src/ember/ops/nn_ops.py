"""Neural-network ops and their derivatives: softmax, convolution, pooling, normalization,
embedding, activations and losses.

Forwards are NumPy; each node is one row of the derivative table with torch's name. Formulas
are written against the math namespace `m`, so they run on arrays in plain backward and on
tensors under create_graph. The few helpers the formulas need beyond the generic namespace
(im2col/col2im, a row gather/scatter pair, constants) are registered here in both forms:
each graph form is itself a differentiable op, so higher derivatives come from composition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._dtypes import from_numpy_dtype
from .._quiet import quietly
from .._random_math import libm_exp, libm_log1p, libm_tanh
from .._tensor import Tensor
from .._version import bump_version
from ..autograd.grad_mode import state as _mode
from . import _math, _sleef, pointwise
from ._cascade import cascade_sum
from ._core import (
    POINTWISE,
    attach,
    broadcast_shape,
    check_new_shape,
    check_out_shape,
    check_tensor,
    checked_scalar,
    declare,
    first_on_ties,
    needs_grad,
    node_class,
    not_implemented,
    quiet,
    shape_str,
    unary_op,
    wrap,
    wrap_dim,
)
from .creation import _C_TYPE as _TYPE_NAMES
from .indexing import GatherBackward0, ScatterAddBackward0
from .inplace import apply_in_place, unary_in_place

__all__ = ["softmax", "log_softmax"]


def _reach(attr: str, *objs: Any) -> None:
    """torch's Python code calls the method `attr` of these arguments, in this order, before
    anything else: a non-tensor fails there, with Python's AttributeError."""
    for o in objs:
        if not isinstance(o, Tensor):
            try:
                getattr(o, attr)
            except AttributeError as e:
                e.python_level = True  # torch's Python code, before any native op's parser
                raise

_raw = _math.raw
_graph = _math.graph


# -- im2col / col2im -----------------------------------------------------------------------

def _out_len(size: int, k: int, d: int, pad: int, s: int) -> int:
    return (size + pad - d * (k - 1) - 1) // s + 1


def _windows(x: np.ndarray, k: tuple, d: tuple, pad: tuple, s: tuple,
             fill: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> the read-only (N, C, kh, kw, oh, ow) view of its sliding blocks."""
    n, c, h, w = x.shape
    pt, pb, pl, pr = pad
    if any(pad):
        xp = np.full((n, c, h + pt + pb, w + pl + pr), fill, dtype=x.dtype)
        xp[:, :, pt:pt + h, pl:pl + w] = x
    else:
        xp = x
    oh = _out_len(h, k[0], d[0], pt + pb, s[0])
    ow = _out_len(w, k[1], d[1], pl + pr, s[1])
    sn, sc, sh, sw = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, c, k[0], k[1], oh, ow),
        (sn, sc, sh * d[0], sw * d[1], sh * s[0], sw * s[1]), writeable=False)


def im2col_np(x: np.ndarray, k: tuple, d: tuple, pad: tuple, s: tuple,
              fill: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, L): the sliding blocks of x as columns. `pad` is
    (top, bottom, left, right)."""
    win = _windows(x, k, d, pad, s, fill)
    n, c = x.shape[:2]
    return win.reshape(n, c * k[0] * k[1], win.shape[4] * win.shape[5])


def im2col_rows_np(x: np.ndarray, k: tuple, d: tuple, pad: tuple, s: tuple) -> np.ndarray:
    """(N, C, H, W) -> (C*kh*kw, N*L): im2col with the batch folded into the columns, so
    that a convolution over the batch is one matrix product (reading the weight once)."""
    win = _windows(x, k, d, pad, s)
    c = x.shape[1]
    return win.transpose(1, 2, 3, 0, 4, 5).reshape(c * k[0] * k[1], -1)


def _add_blocks(blocks: np.ndarray, size: tuple, k: tuple, d: tuple, pad: tuple,
                s: tuple) -> np.ndarray:
    """Sums (N, C, kh, kw, oh, ow) blocks back into an (N, C, H, W) image."""
    h, w = size
    pt, pb, pl, pr = pad
    n, c, _, _, oh, ow = blocks.shape
    out = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=blocks.dtype)
    for i in range(k[0]):
        hs = i * d[0]
        for j in range(k[1]):
            ws = j * d[1]
            out[:, :, hs:hs + s[0] * (oh - 1) + 1:s[0], ws:ws + s[1] * (ow - 1) + 1:s[1]] += \
                blocks[:, :, i, j]
    return out[:, :, pt:pt + h, pl:pl + w]


def col2im_np(cols: np.ndarray, size: tuple, k: tuple, d: tuple, pad: tuple,
              s: tuple) -> np.ndarray:
    """The adjoint of im2col: sums the columns back into an (N, C, H, W) image."""
    oh = _out_len(size[0], k[0], d[0], pad[0] + pad[1], s[0])
    ow = _out_len(size[1], k[1], d[1], pad[2] + pad[3], s[1])
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    return _add_blocks(cols.reshape(n, c, k[0], k[1], oh, ow), size, k, d, pad, s)


def col2im_rows_np(cols: np.ndarray, n: int, size: tuple, k: tuple, d: tuple, pad: tuple,
                   s: tuple) -> np.ndarray:
    """The adjoint of im2col_rows_np: (C*kh*kw, N*L) columns back into an (N, C, H, W)
    image."""
    oh = _out_len(size[0], k[0], d[0], pad[0] + pad[1], s[0])
    ow = _out_len(size[1], k[1], d[1], pad[2] + pad[3], s[1])
    c = cols.shape[0] // (k[0] * k[1])
    blocks = cols.reshape(c, k[0], k[1], n, oh, ow).transpose(3, 0, 1, 2, 4, 5)
    return _add_blocks(blocks, size, k, d, pad, s)


Im2ColBackward0 = node_class(
    "Im2ColBackward0",
    lambda m, g, size, k, d, pad, s: m.col2im(g, size, k, d, pad, s))
Col2ImBackward0 = node_class(
    "Col2ImBackward0",
    lambda m, g, size, k, d, pad, s: m.im2col(g, k, d, pad, s))


def check_kernel(k: tuple, names: tuple = ("kernel_height", "kernel_width")) -> None:
    """torch's check of a 2-d kernel size (pooling kernels name their sides kH and kW)."""
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got {names[0]}: "
                           f"{k[0]} {names[1]}: {k[1]}")


def _im2col(x: Tensor, k: tuple, d: tuple, pad: tuple, s: tuple) -> Tensor:
    out = wrap(np.ascontiguousarray(im2col_np(x._data, k, d, pad, s)))
    if needs_grad(x):
        attach(Im2ColBackward0, out, (x,), (), (x._data.shape[2:], k, d, pad, s))
    return out


def _col2im(cols: Tensor, size: tuple, k: tuple, d: tuple, pad: tuple, s: tuple) -> Tensor:
    out = wrap(col2im_np(cols._data, size, k, d, pad, s))
    if needs_grad(cols):
        attach(Col2ImBackward0, out, (cols,), (), (size, k, d, pad, s))
    return out


# -- row gather / scatter-add (the adjoint pair behind max pooling, embedding, nll) ------------

def gather_rows_np(x: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """x (R, n), idx (R, k) -> x[r, idx[r, j]]."""
    return np.take_along_axis(x, idx, 1)


def scatter_rows_np(g: np.ndarray, idx: np.ndarray, n: int) -> np.ndarray:
    """The adjoint of gather_rows: an (R, n) array of zeros with g added at idx."""
    r = g.shape[0]
    flat = (idx + (np.arange(r, dtype=np.int64) * n)[:, None]).ravel()
    out = np.bincount(flat, weights=g.ravel(), minlength=r * n)
    return out.astype(g.dtype, copy=False).reshape(r, n)


# Under create_graph the pair records gather's and scatter_add's rows (along dim 1).
def _gather_rows(x: Tensor, idx: np.ndarray) -> Tensor:
    out = wrap(gather_rows_np(x._data, idx))
    if needs_grad(x):
        attach(GatherBackward0, out, (x,), (), (x._data.shape, 1, idx))
    return out


def _scatter_rows(g: Tensor, idx: np.ndarray, n: int) -> Tensor:
    out = wrap(scatter_rows_np(g._data, idx, n))
    if needs_grad(g):
        attach(ScatterAddBackward0, out, (None, g), (), (1, idx))
    return out


def _tie(result: Tensor, x: Tensor) -> Tensor:
    """Under create_graph, a gradient that torch computes from an op's input (as
    max_pool2d_with_indices_backward takes `self`) requires grad whenever that input does,
    with a zero derivative towards it (also when the gradient requires grad through the
    incoming one). A where that always picks the result keeps its values exactly (x * 0
    would make infinities NaN) and gives x a zero gradient."""
    if x._rg and _mode.enabled:
        keep = Tensor._make(np.ones(np.broadcast_shapes(result.shape, x.shape), bool))
        return pointwise.where(keep, result, x)
    return result


def _register_math() -> None:
    """The helpers formulas use, as NumPy (plain backward) and as ember ops (create_graph)."""
    pairs = {
        "im2col": (im2col_np, _im2col),
        "col2im": (col2im_np, _col2im),
        "gather_rows": (gather_rows_np, _gather_rows),
        "scatter_rows": (scatter_rows_np, _scatter_rows),
        "const": (lambda a: a, lambda a: Tensor._make(np.asarray(a))),
        "tanh": (_math.tanh, pointwise.tanh),
        "tie": (lambda r, x: r, _tie),
        "pixel_shuffle": (lambda x, r: _pixel_shuffle_np(x, r),
                          lambda x, r: pixel_shuffle(x, r)),
        "pixel_unshuffle": (lambda x, r: _pixel_unshuffle_np(x, r),
                            lambda x, r: pixel_unshuffle(x, r)),
    }
    for name, (raw_fn, graph_fn) in pairs.items():
        if not hasattr(_raw, name):
            setattr(_raw, name, raw_fn)
        if not hasattr(_graph, name):
            setattr(_graph, name, graph_fn)


_register_math()


# -- softmax -----------------------------------------------------------------------------------

# `dims` is (dim,), or () for a 0-dim input (NumPy has no axis 0 there; the sum is the
# element itself).
SoftmaxBackward0 = node_class(
    "SoftmaxBackward0",
    lambda m, g, result, dims: result * (g - m.sum(g * result, dims, True)))


def _log_softmax_grad_np(m: Any, g: np.ndarray, result: np.ndarray, dims: tuple) -> Any:
    # The formula's arithmetic in one array: the logits' gradient is the largest array of a
    # language model's step, and each fresh one costs page faults (1.3 MB: ~1 ms).
    e = m.exp(result)
    e *= m.sum(g, dims, True)
    if isinstance(e, np.ndarray) and e.shape == g.shape and e.dtype == g.dtype:
        return np.subtract(g, e, out=e)
    return g - e


LogSoftmaxBackward0 = node_class(
    "LogSoftmaxBackward0", lambda m, g, result, dims: g - m.exp(result) * m.sum(g, dims, True),
    raw=(_log_softmax_grad_np,))


def _softmax_input(input: Tensor, dim: Any, dtype: Any, name: str) -> tuple:
    if dim is None:
        nd = input._data.ndim
        dim = 0 if nd in (0, 1, 3) else 1
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
        input = input.to(dtype)
    dim = wrap_dim(dim, x.ndim)
    if x.dtype.kind != "f" and x.size:  # an empty tensor runs no kernel
        last = x.ndim == 0 or dim == x.ndim - 1
        raise not_implemented(f"{name}_{'lastdim_' if last else ''}kernel_impl", input.dtype)
    return input, x, dim


def softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """Applies a softmax function: rescales the slices along dim so their elements lie in
    [0, 1] and sum to 1."""
    input, x, d = _softmax_input(input, dim, dtype, "softmax")
    ax = d if x.ndim else None
    # float16 runs in float32, rounded once at the end, as torch's kernel.
    xc = x.astype(_math.reduce_dtype(x.dtype), copy=False)
    with np.errstate(all="ignore"):
        e = np.exp(xc - np.max(xc, axis=ax, keepdims=True)) if x.size else xc.copy()
        out = wrap((e / np.sum(e, axis=ax, keepdims=True) if x.size else e).astype(
            x.dtype, copy=False))
    if needs_grad(input):
        attach(SoftmaxBackward0, out, (input,), (out,), ((d,) if x.ndim else (),))
    return out


def log_softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """Applies a softmax followed by a logarithm, computed stably as x - logsumexp(x)."""
    input, x, d = _softmax_input(input, dim, dtype, "log_softmax")
    if x.dtype == np.float16 and x.size:
        out = wrap(_log_softmax_half(x, d))
        if needs_grad(input):
            attach(LogSoftmaxBackward0, out, (input,), (out,), ((d,) if x.ndim else (),))
        return out
    with np.errstate(all="ignore"):
        if x.ndim == 2 and d == 1 and 1 < x.shape[1] <= 64 <= x.shape[0]:
            out = wrap(_log_softmax_rows(x))
        elif x.size:
            # As torch: no guard for infinite maxima (a row holding +inf, or only -inf, is
            # all NaN). A 0-dim input runs as one element: NumPy would hand back scalars,
            # which the in-place log cannot write into.
            xs = x if x.ndim else x.reshape(1)
            sh = xs - np.max(xs, axis=d, keepdims=True)
            lse = np.add.reduce(np.exp(sh), axis=d, keepdims=True)
            sh -= np.log(lse, out=lse)
            out = wrap(sh if x.ndim else sh.reshape(()))
        else:
            out = wrap(x.copy())
    if needs_grad(input):
        attach(LogSoftmaxBackward0, out, (input,), (out,), ((d,) if x.ndim else (),))
    return out


def _log_softmax_half(x: np.ndarray, d: int) -> np.ndarray:
    # torch's float16 kernel runs in float32 but keeps the log of the sum of exponentials in
    # float16: (x - max) - float16(log(sum(exp(x - max)))), rounded to float16.
    xs = (x if x.ndim else x.reshape(1)).astype(np.float32)
    with np.errstate(all="ignore"):
        sh = xs - np.max(xs, axis=d, keepdims=True)
        lse = np.log(np.sum(np.exp(sh), axis=d, keepdims=True)).astype(np.float16)
        out = (sh - lse.astype(np.float32)).astype(np.float16)
    return out if x.ndim else out.reshape(())


def _log_softmax_last(x: np.ndarray) -> np.ndarray:
    """log_softmax over the last axis of a non-empty array."""
    sh = x - np.maximum.reduce(x, -1, keepdims=True)
    lse = np.add.reduce(np.exp(sh), -1, keepdims=True)
    sh -= np.log(lse, out=lse)
    return sh


def _log_softmax_rows(x: np.ndarray) -> np.ndarray:
    """log_softmax over the short rows of a tall matrix (a batch of logits). NumPy reduces
    a short trailing axis row by row (slow per row); in the transposed layout the same
    reductions run across whole rows of the batch at once."""
    xt = np.ascontiguousarray(x.T)
    xt -= np.maximum.reduce(xt, 0)
    lse = np.add.reduce(np.exp(xt), 0)
    xt -= np.log(lse, out=lse)
    return np.ascontiguousarray(xt.T)


# -- convolution -------------------------------------------------------------------------------

def _conv_grad_input(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    n = xs[0]
    g4 = m.reshape(g, (g.shape[0], g.shape[1], -1, g.shape[-1])) if nd == 1 else g
    if not transposed:
        o = ws[0]
        c = xs[1]
        gr = m.reshape(g4, (n, groups, o // groups, -1))
        wr = m.reshape(w, (groups, o // groups, -1))
        cols = m.reshape(m.matmul(m.mT(wr), gr), (n, c * k[0] * k[1], -1))
        gx = m.col2im(cols, _spatial(xs, nd), k, d, pad, s)
    else:
        cin = xs[1]
        gc = m.reshape(m.im2col(g4, k, d, pad, s), (n, groups, -1, _numel(_spatial(xs, nd))))
        wr = m.reshape(w, (groups, cin // groups, -1))
        gx = m.matmul(wr, gc)
    return m.reshape(gx, xs)


def _conv_grad_weight(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    n = xs[0]
    g4 = m.reshape(g, (g.shape[0], g.shape[1], -1, g.shape[-1])) if nd == 1 else g
    x4 = m.reshape(x, (n, xs[1], 1, xs[2])) if nd == 1 else x
    if not transposed:
        o = ws[0]
        gr = m.reshape(g4, (n, groups, o // groups, -1))
        xc = m.reshape(m.im2col(x4, k, d, pad, s), (n, groups, -1, gr.shape[-1]))
        gw = m.sum(m.matmul(gr, m.mT(xc)), (0,))
    else:
        cin = xs[1]
        xr = m.reshape(x4, (n, groups, cin // groups, -1))
        gc = m.reshape(m.im2col(g4, k, d, pad, s), (n, groups, -1, xr.shape[-1]))
        gw = m.sum(m.matmul(xr, m.mT(gc)), (0,))
    return m.reshape(gw, ws)


def _folds_batch(groups: int, ws: tuple, spatial: tuple) -> bool:
    """Whether a convolution runs as one product over the batch (im2col_rows_np): with one
    group, when a column is at least as long as an example's output (the weight outweighs
    the activations: ResNet-18's blocks). Otherwise a product per example needs no
    transposed copies (W7's 1->8 3x3 convolution of 28x28 digits went from 1.13 to 1.20
    of torch's time folded)."""
    return groups == 1 and _numel(ws[1:]) >= _numel(spatial)


def _rows(g: np.ndarray) -> np.ndarray:
    """An (N, O, oh, ow) output gradient as (O, N*L), the layout of im2col_rows_np."""
    n, o = g.shape[:2]
    return g.reshape(n, o, -1).transpose(1, 0, 2).reshape(o, -1)


def _conv_grad_bias(m: Any, g: Any, x: Any, w: Any, p: tuple) -> Any:
    return m.sum(g, (0,) + tuple(range(2, len(p[0]))))


def _conv_grad_input_np(m: Any, g: np.ndarray, x: np.ndarray, w: np.ndarray, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    g4 = g.reshape(g.shape[0], g.shape[1], -1, g.shape[-1]) if nd == 1 else g
    if transposed or not _folds_batch(groups, ws, g4.shape[2:]):
        return _conv_grad_input(m, g, x, w, p)
    cols = w.reshape(ws[0], -1).T @ _rows(g4)
    return col2im_rows_np(cols, xs[0], _spatial(xs, nd), k, d, pad, s).reshape(xs)


def _conv_grad_weight_np(m: Any, g: np.ndarray, x: np.ndarray, w: np.ndarray, p: tuple) -> Any:
    xs, ws, k, d, pad, s, groups, transposed, nd = p
    g4 = g.reshape(g.shape[0], g.shape[1], -1, g.shape[-1]) if nd == 1 else g
    if transposed or not _folds_batch(groups, ws, g4.shape[2:]):
        return _conv_grad_weight(m, g, x, w, p)
    x4 = x.reshape(xs[0], xs[1], 1, xs[2]) if nd == 1 else x
    # One product over the whole batch: a per-example product summed over the batch writes
    # the weight-sized result once per example (ResNet-18's last block: 9 MB each).
    return (_rows(g4) @ im2col_rows_np(x4, k, d, pad, s).T).reshape(ws)


ConvolutionBackward0 = node_class(
    "ConvolutionBackward0", _conv_grad_input, _conv_grad_weight, _conv_grad_bias,
    raw=(_conv_grad_input_np, _conv_grad_weight_np, None))


def _spatial(xs: tuple, nd: int) -> tuple:
    return (1, xs[2]) if nd == 1 else tuple(xs[2:])


def _numel(shape: tuple) -> int:
    n = 1
    for v in shape:
        n *= v
    return n


def _tuple(v: Any, n: int, name: str = "") -> tuple:
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        return tuple(int(a) for a in v)
    return (int(v),) * n


def _expand_param(v: Any, name: str, nd: int, dim: int) -> list:
    # The parser's list of nd values (an int repeated), then at::convolution's expansion to
    # the weight's spatial dims.
    vals = list(v) if isinstance(v, (list, tuple)) else [v] * nd
    if len(vals) == 1:
        return vals * dim
    if len(vals) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} "
                           "values to match the convolution dimensions, but got "
                           f"{name}={[int(a) for a in vals]}")
    return vals


def _conv_checks(x: np.ndarray, w: np.ndarray, bias: Any, stride: Any, padding: Any,
                 dilation: Any, transposed: bool, output_padding: Any, groups: int,
                 nd: int) -> None:
    """at::convolution's checks of a batched input, in its order: the weight's rank, groups,
    the parameters' lengths, check_shape_forward's checks, then the dtypes as the CPU kernel
    that torch picks checks them."""
    dim = w.ndim - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    s = _expand_param(stride, "stride", nd, dim)
    pads = None if isinstance(padding, str) else _expand_param(padding, "padding", nd, dim)
    d = _expand_param(dilation, "dilation", nd, dim)
    op = _expand_param(output_padding, "output_padding", nd, dim)
    if pads is not None and min(pads) < 0:
        raise RuntimeError("negative padding is not supported")
    if min(op) < 0:
        raise RuntimeError("negative output_padding is not supported")
    if min(s) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(d) < 0:
        raise RuntimeError("dilation should be greater than zero")
    shape = "[" + ", ".join(str(v) for v in w.shape) + "]"
    if w.ndim != x.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                           f"{shape}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead")
    if w.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {shape} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{shape}] instead")
    cin = x.shape[1]
    xs = list(x.shape)
    if not transposed and cin != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {shape}, expected input{xs} to have "
            f"{w.shape[1] * groups} channels, but got {cin} channels instead")
    if transposed and cin != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {shape}, expected input{xs} to have "
            f"{w.shape[0]} channels, but got {cin} channels instead")
    cout = w.shape[1] * groups if transposed else w.shape[0]
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        given = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{given} of size {shape}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {list(bias._data.shape)} instead")
    if not transposed and pads is not None:
        padded = [v + 2 * p for v, p in zip(x.shape[2:], pads)]
        ks = [dd * (k - 1) + 1 for dd, k in zip(d, w.shape[2:])]
        if any(a < b for a, b in zip(padded, ks)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                f"Kernel size: ({' x '.join(map(str, ks))}). Kernel size can't be greater "
                "than actual input size")
    if not x.size:
        if x.shape[0] and x.shape[1]:
            raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                               f"input shape: {list(x.shape)}")
        return  # torch runs no kernel, so checks no more
    if _uses_mkldnn(x, w, s, d, op, groups, transposed):
        if x.dtype != w.dtype or (bias is not None and bias._data.dtype != x.dtype):
            other, what = (w, "weight") if x.dtype != w.dtype else (bias._data, "bias")
            raise RuntimeError(
                f"Input type ({_legacy(x)}) and {what} type ({_legacy(other)}) should be the "
                f"same or input should be a MKLDNN tensor and {what} is a dense tensor")
        if min(d) == 0:
            raise RuntimeError("non-positive dilation is not supported")
        return
    # torch's own kernels (on a 1-d convolution seen as 2-d)
    if min(d) == 0:
        dd = [int(v) for v in (d if w.ndim == 4 else [1] + d)]
        raise RuntimeError("dilation should be greater than zero, but got " + (
            f"dilation_height: {dd[0]}, dilation_width: {dd[1]}" if transposed else f"{dd}"))
    if x.dtype == np.bool_:
        kernel = "slow_conv_transpose2d_out_cpu" if transposed else \
            "slow_conv_dilated<>" if max(d) > 1 else "slow_conv2d_cpu"
        raise not_implemented(kernel, from_numpy_dtype(x.dtype))
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {from_numpy_dtype(x.dtype)._legacy} but found "
                           f"{from_numpy_dtype(w.dtype)._legacy}")


def _uses_mkldnn(x: np.ndarray, w: np.ndarray, s: list, d: list, op: list, groups: int,
                 transposed: bool) -> bool:
    """Whether torch's CPU convolution runs oneDNN rather than its own kernels (their checks
    differ), by torch's rule for float32 inputs (the clause for 1x1 kernels on one thread
    never applies: torch runs several threads on any multi-core machine)."""
    if x.dtype != np.float32 or transposed and any(a >= b for a, b in zip(op, s)):
        return False
    x4 = x.shape if x.ndim == 4 else x.shape[:2] + (1,) + x.shape[2:]
    kh, kw = (w.shape[2:] if w.ndim == 4 else (1, w.shape[2]))
    return groups > 1 or (kw > 3 and kh > 3) or x4[0] > 1 or math.prod(x4) > 20480


def _conv_result_dtype(input: Tensor, weight: Tensor, bias: Tensor | None) -> np.dtype:
    """The dtype of a convolution's result: the input's, except for an empty input, which
    torch multiplies by the weight's first element (by the whole weight when there are no
    channels); a bias is then added in place, which must not need a wider category."""
    from .._dtypes import can_cast, result_type

    dt = input.dtype
    x, w = input._data, weight._data
    if not x.size and w.size:
        dt = result_type(input, weight if x.shape[1] == 0 else wrap(w.reshape(-1)[:1].reshape(())))
    if bias is not None and bias.dtype != dt and bias._data.size:
        r = result_type(wrap(np.empty(1, dt.np)), wrap(bias._data.reshape(-1)[:1].reshape(())))
        if not can_cast(r, dt):
            raise RuntimeError(f"result type {r._legacy} can't be cast to the desired output "
                               f"type {dt._legacy}")
    return dt.np


def _legacy(a: np.ndarray) -> str:
    # torch's legacy type name (bool, which has no legacy tensor class, prints its type id).
    if a.dtype == np.bool_:
        return "CPUBoolType"
    return f"torch.{from_numpy_dtype(a.dtype)._legacy}Tensor"


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int,
                nd: int) -> Tensor:
    """N-d (1 or 2 spatial dims) convolution or transposed convolution through im2col and a
    batched matrix product."""
    x, w = input._data, weight._data
    if not transposed and bias is not None and bias._data.dtype != x.dtype:
        # torch's conv1d/conv2d check this before anything else.
        raise RuntimeError(f"Input type ({_TYPE_NAMES[x.dtype.name]}) and bias type "
                           f"({_TYPE_NAMES[bias._data.dtype.name]}) should be the same")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
            f"conv{'_transpose' if transposed else ''}{nd}d, but got input of size: "
            f"[{', '.join(str(v) for v in x.shape)}]")
    if x.ndim == nd + 1:
        return convolution(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                           transposed, output_padding, groups, nd).squeeze(0)
    _conv_checks(x, w, bias, stride, padding, dilation, transposed, output_padding, groups, nd)
    out_dt = _conv_result_dtype(input, weight, bias)
    s = _tuple(stride, nd)
    d = _tuple(dilation, nd)
    ks = tuple(w.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0,) * nd
            pairs = [(0, 0)] * nd
        elif padding == "same":
            if any(v != 1 for v in s):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = []
            for kk, dd in zip(ks, d):
                total = dd * (kk - 1)
                pairs.append((total // 2, total - total // 2))
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
    else:
        pads = _tuple(padding, nd)
        pairs = [(p, p) for p in pads]
    op = _tuple(output_padding, nd)
    if nd == 1:
        s, d, ks, op = (1,) + s, (1,) + d, (1,) + ks, (0,) + op
        pairs = [(0, 0)] + pairs
    pad4 = (pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1])
    x4 = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]) if nd == 1 else x
    w4 = w.reshape(w.shape[0], w.shape[1], 1, w.shape[2]) if nd == 1 else w
    n = x.shape[0]
    if not transposed:
        o = w.shape[0]
        h, wd = x4.shape[2:]
        oh = _out_len(h, ks[0], d[0], pad4[0] + pad4[1], s[0])
        ow = _out_len(wd, ks[1], d[1], pad4[2] + pad4[3], s[1])
        if oh <= 0 or ow <= 0:
            raise RuntimeError(_too_small(x, w, pairs, d, nd))
        check_kernel(ks)
        if _folds_batch(groups, w4.shape, (oh, ow)):
            # One product for the whole batch reads the weight once (see _conv_grad_weight).
            cols = im2col_rows_np(x4, ks, d, pad4, s)
            out = quiet(np.matmul, w4.reshape(o, -1), cols).reshape(o, n, oh, ow)
            out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
        else:
            cols = im2col_np(x4, ks, d, pad4, s).reshape(n, groups, -1, oh * ow)
            wr = w4.reshape(groups, o // groups, -1)
            out = quiet(np.matmul, wr, cols).reshape(n, o, oh, ow)
    else:
        cout = w.shape[1] * groups
        h, wd = x4.shape[2:]
        oh = (h - 1) * s[0] - pad4[0] - pad4[1] + d[0] * (ks[0] - 1) + op[0] + 1
        ow = (wd - 1) * s[1] - pad4[2] - pad4[3] + d[1] * (ks[1] - 1) + op[1] + 1
        xr = x4.reshape(n, groups, x.shape[1] // groups, h * wd)
        per_group = w.shape[1] * ks[0] * ks[1]
        wr = w4.reshape(groups, x.shape[1] // groups, per_group)
        cols = quiet(np.matmul, wr.swapaxes(-1, -2), xr).reshape(n, groups * per_group, h * wd)
        out = col2im_np(cols, (oh, ow), ks, d, pad4, s)
        o = cout
    if bias is not None:
        # out is a fresh array of the weight's dtype: add in place rather than allocate a
        # second output-sized array (torch's transposed kernel takes a bias of another dtype
        # in the input's).
        out += bias._data.reshape(1, o, 1, 1).astype(out.dtype, copy=False)
    if nd == 1:
        out = out.reshape(n, o, out.shape[-1])
    if out.dtype != out_dt:
        out = out.astype(out_dt)
    r = wrap(np.ascontiguousarray(out))
    if needs_grad(input, weight, bias):
        p = (x.shape, w.shape, ks, d, pad4, s, groups, transposed, nd)
        attach(ConvolutionBackward0, r, (input, weight, bias), (input, weight), (p,))
    return r


def _too_small(x: np.ndarray, w: np.ndarray, pairs: list, d: tuple, nd: int) -> str:
    sp = x.shape[2:]
    padded = [v + a + b for v, (a, b) in zip(sp, pairs[-nd:])]
    ks = [dd * (k - 1) + 1 for dd, k in zip(d[-nd:], w.shape[2:])]
    return (f"Calculated padded input size per channel: ({' x '.join(str(v) for v in padded)})."
            f" Kernel size: ({' x '.join(str(v) for v in ks)}). Kernel size can't be greater "
            "than actual input size")


# -- pooling ------------------------------------------------------------------------------------

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


# -- max pooling over disjoint windows (stride == kernel, no padding, no dilation) ----------
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
    output_size = _list_with_default(output_size, input.size())
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
    output_size = _list_with_default(output_size, input.size())
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


# -- normalization -----------------------------------------------------------------------------

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


def _normalize(input: Tensor, weight: Any, bias: Any, axes: tuple, wshape: tuple,
               mean: np.ndarray, rstd: np.ndarray, cls: type, training: bool,
               eps: float) -> Tensor:
    x = input._data
    y = (x - mean) * rstd
    if weight is not None:
        y = y * weight._data.reshape(wshape)
    if bias is not None:
        y = y + bias._data.reshape(wshape)
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
    in training mode."""
    x = input._data
    if training:
        # torch's Python check (a 0-dim input fails it reading its first size)
        size = input.size()
        prods = size[0]
        for v in size[2:]:
            prods *= v
        if prods == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {size!r}")
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


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Layer normalization over the last len(normalized_shape) dimensions."""
    x = input._data
    params = [p._data.dtype for p in (weight, bias) if p is not None]
    if params and params[0] != x.dtype:
        # torch's CPU kernel allows float32 parameters with a half input only (it checks the
        # parameters first).
        if any(d != np.float32 for d in params):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if x.dtype != np.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
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
    axes = tuple(range(x.ndim - k, x.ndim))
    wshape = (1,) * (x.ndim - k) + ns
    # float16 statistics are taken in float32, as torch's kernel, so they cannot overflow.
    xc = x.astype(_math.reduce_dtype(x.dtype), copy=False)
    mean = xc.mean(axis=axes, keepdims=True)
    var = ((xc - mean) ** 2).mean(axis=axes, keepdims=True)
    rstd = (1 / np.sqrt(var + xc.dtype.type(eps))).astype(xc.dtype)
    return _normalize(input, weight, bias, axes, wshape, mean, rstd,
                      NativeLayerNormBackward0, True, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalization: channels split into num_groups groups normalized together."""
    _reach("dim", input)
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{x.ndim}")
    n, c = x.shape[0], x.shape[1]
    # torch's Python code divides first (its errors for a zero or non-int num_groups), then
    # checks that each group has more than one value.
    size = [n * c // num_groups, num_groups] + list(x.shape[2:])
    if size[0] * math.prod(size[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {size}")
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
    xg = input.reshape(n, num_groups, -1)
    normed = _group_normed(xg, eps)
    y = normed.reshape(x.shape)
    wshape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(wshape)
    if bias is not None:
        y = y + bias.reshape(wshape)
    return y


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

        from .._tensor import _C10_NAMES

        # Attributed here, not to the caller: Python's filters then show it once, as torch's
        # TORCH_WARN_ONCE.
        warnings.warn(f"Mismatch dtype between input and weight: input dtype = "
                      f"{_C10_NAMES[dt.name]}, weight dtype = "
                      f"{_C10_NAMES[weight._data.dtype.name]}, Cannot dispatch to fused "
                      "implementation.", UserWarning, stacklevel=1)
    # torch's composite, op for op (its graph's nodes), in float32 for half inputs.
    x = input.float() if dt == np.float16 else input
    if eps is None:
        eps = float(np.finfo(x._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    rstd = pointwise.add_scalar(x.pow(2).mean(dims, keepdim=True), eps).rsqrt()
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


# -- embedding ---------------------------------------------------------------------------------

def _embedding_grad(m: Any, g: Any, idx: np.ndarray, num: int, padding_idx: int) -> Any:
    dim = g.shape[-1]
    flat = idx.reshape(-1)
    g2 = m.reshape(g, (-1, dim))
    if padding_idx >= 0:
        g2 = g2 * m.const((flat != padding_idx).astype(_dtype_of(g))[:, None])
    rows = np.broadcast_to(flat, (dim, flat.size))
    return m.transpose(m.scatter_rows(m.mT(g2), np.ascontiguousarray(rows), num), 0, 1)


def _dtype_of(g: Any) -> np.dtype:
    return g._data.dtype if isinstance(g, Tensor) else g.dtype


EmbeddingBackward0 = node_class("EmbeddingBackward0", _embedding_grad)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of weight at the indices in input."""
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {_legacy(idx)} instead "
                           "(while checking arguments for embedding)")
    w = weight._data
    num = w.shape[0]
    if idx.size and not num:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        if not w.shape[1]:
            # torch gathers rows of no width with another kernel, in its words
            bad = idx.reshape(-1)[(idx.reshape(-1) < 0) | (idx.reshape(-1) >= num)][0]
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                               f"axis_dim={num}")
        raise IndexError("index out of range in self")
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm(w, idx, max_norm, norm_type)
        bump_version(weight)
    out = wrap(w[idx.astype(np.int64)])
    if needs_grad(weight):
        attach(EmbeddingBackward0, out, (weight,), (idx.astype(np.int64), num, padding_idx))
    return out


def _embedding_renorm(w: np.ndarray, idx: np.ndarray, max_norm: float, p: float) -> None:
    # As torch's embedding_renorm_: each looked-up row once, its norm in the row's dtype, the
    # scale in double, the row scaled in its dtype.
    for i in np.unique(idx):
        row = w[i]
        norm = float(_row_norm(row, p))
        if norm > max_norm:
            row *= row.dtype.type(max_norm / (norm + 1e-7))


def _row_norm(row: np.ndarray, p: float) -> Any:
    a = np.abs(row)
    if p == math.inf:
        return a.max(initial=0)
    if p == -math.inf:
        return a.min(initial=math.inf)
    if p == 0:
        return np.count_nonzero(a)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(row, row))
    return np.sum(a ** a.dtype.type(p)) ** a.dtype.type(1.0 / p)


# -- padding and interpolation ---------------------------------------------------------------

def _constant_pad_np(x: np.ndarray, pairs: Any, value: Any, copy: bool = True) -> np.ndarray:
    """x padded by (before, after) amounts per dimension, negative amounts cropping; with
    copy false a pure crop is a view."""
    crop = tuple(slice(max(-a, 0), x.shape[i] - max(-b, 0)) for i, (a, b) in enumerate(pairs))
    xc = x[crop]
    if not copy and all(a <= 0 and b <= 0 for a, b in pairs):
        return xc
    out_shape = tuple(xc.shape[i] + max(a, 0) + max(b, 0) for i, (a, b) in enumerate(pairs))
    for i, s in enumerate(out_shape):
        if s < 0:
            raise RuntimeError(f"The input size {x.shape[i]}, plus negative padding "
                               f"{pairs[i][0]} and {pairs[i][1]} resulted in a negative output "
                               f"size, which is invalid. Check dimension {i} of your input.")
    out = np.full(out_shape, value, dtype=x.dtype)
    place = tuple(slice(max(a, 0), max(a, 0) + xc.shape[i]) for i, (a, _) in enumerate(pairs))
    out[place] = xc
    return out


# torch's: the gradient is the padding by the negated amounts (a crop of what was padded,
# zeros where the input was cropped), itself a constant pad under create_graph.
ConstantPadNdBackward0 = node_class(
    "ConstantPadNdBackward0", lambda m, g, pairs: m.constant_pad(g, pairs))


def _constant_pad(input: Tensor, pairs: Any, value: float) -> Tensor:
    res = wrap(_constant_pad_np(input._data, pairs, value))
    if needs_grad(input):
        attach(ConstantPadNdBackward0, res, (input,), (), (tuple((-a, -b) for a, b in pairs),))
    return res


_raw.constant_pad = lambda g, pairs: _constant_pad_np(g, pairs, 0, copy=False)
_graph.constant_pad = lambda g, pairs: _constant_pad(g, pairs, 0.0)

_PAD_NAMES = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
              "circular": "ReplicationPad{}DBackward0"}


def _pad_index(n: int, a: int, b: int, mode: str) -> np.ndarray:
    j = np.arange(-a, n + b)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    period = 2 * (n - 1)
    j = np.abs(j) % period if period else np.zeros_like(j)
    return np.where(j >= n, period - j, j)


def _index_pad(input: Tensor, pairs: list, mode: str) -> Tensor:
    x = input._data
    k = sum(1 for p in pairs if p != (0, 0))
    dims = [i for i, p in enumerate(pairs) if p != (0, 0)] or [x.ndim - 1]
    first = dims[0]
    for d in dims:
        a, b = pairs[d]
        if mode == "reflect" and (a >= x.shape[d] or b >= x.shape[d]):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({a}, {b}) at dimension {d} of input "
                f"{list(x.shape)}")
        if mode == "circular" and (a > x.shape[d] or b > x.shape[d]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    inner = x.shape[first:]
    grids = np.meshgrid(*[_pad_index(x.shape[d], *pairs[d], mode) if d in dims
                          else np.arange(x.shape[d]) for d in range(first, x.ndim)],
                        indexing="ij")
    flat = np.ravel_multi_index(grids, inner).reshape(-1)
    out_inner = grids[0].shape
    lead = x.shape[:first]
    rows = x.reshape(-1, _numel(inner))
    idx = np.ascontiguousarray(np.broadcast_to(flat, (rows.shape[0], flat.size)))
    out = wrap(np.ascontiguousarray(rows[:, flat].reshape(lead + out_inner)))
    if needs_grad(input):
        cls = _pad_node(mode, max(len(dims), k, 1))
        attach(cls, out, (input,), (input,), (idx, _numel(inner), x.shape))
    return out


_PAD_NODES: dict = {}


def _pad_node(mode: str, nd: int) -> type:
    name = _PAD_NAMES[mode].format(nd)
    cls = _PAD_NODES.get(name)
    if cls is None:
        cls = _PAD_NODES[name] = node_class(
            name, lambda m, g, x, idx, n, shape: m.tie(m.reshape(
                m.scatter_rows(m.reshape(g, (idx.shape[0], -1)), idx, n), shape), x))
    return cls


def _interp_matrix(n_in: int, n_out: int, mode: str, align: bool | None,
                   scale: float | None, dt: np.dtype) -> np.ndarray:
    mat = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if mode == "nearest":
        sc = (1.0 / scale) if scale else n_in / n_out
        src = np.minimum(np.floor(rows * np.float32(sc)).astype(np.int64), n_in - 1)
        mat[rows, src] = 1.0
        return mat.astype(dt)
    if align:
        sc = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        src = rows * sc
    else:
        sc = (1.0 / scale) if scale else n_in / n_out
        src = np.maximum((rows + 0.5) * sc - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = src - i0
    np.add.at(mat, (rows, i0), 1.0 - lam)
    np.add.at(mat, (rows, i1), lam)
    return mat.astype(dt)


_INTERP_NODES: dict = {}


def _interp_node(name: str) -> type:
    cls = _INTERP_NODES.get(name)
    if cls is None:
        cls = _INTERP_NODES[name] = node_class(
            name, lambda m, g, a, b: m.matmul(m.matmul(m.const(a.T.copy()), g), m.const(b)))
    return cls


def _upsample(input: Tensor, mode: str, out_sz: tuple, align_corners: bool | None,
              scales: tuple) -> Tensor:
    """torch's upsample_nearest / upsample_linear1d / upsample_bilinear2d kernels: input
    (N, C, *spatial) resampled to the spatial size out_sz, as one matrix product per spatial
    dimension."""
    x = input._data
    nsp = x.ndim - 2
    dt = x.dtype
    if nsp == 1:
        a = np.ones((1, 1), dt)
        b = _interp_matrix(x.shape[2], out_sz[0], mode, align_corners, scales[0], dt)
    else:
        a = _interp_matrix(x.shape[2], out_sz[0], mode, align_corners, scales[0], dt)
        b = _interp_matrix(x.shape[3], out_sz[1], mode, align_corners, scales[1], dt)
    x4 = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]) if nsp == 1 else x
    with np.errstate(all="ignore"):
        out = (a @ x4 @ b.T).astype(dt)
    if nsp == 1:
        out = out.reshape(x.shape[0], x.shape[1], out_sz[0])  # -1 cannot size an empty batch
    r = wrap(np.ascontiguousarray(out))
    if needs_grad(input):
        name = {"nearest": "UpsampleNearest{}DBackward0", "linear": "UpsampleLinear1DBackward0",
                "bilinear": "UpsampleBilinear2DBackward0"}[mode].format(nsp)
        if nsp == 1:
            attach(_interp1d_node(name), r, (input,), (b,))
        else:
            attach(_interp_node(name), r, (input,), (a, b))
    return r


def _interp1d_node(name: str) -> type:
    key = name + "/1d"
    cls = _INTERP_NODES.get(key)
    if cls is None:
        cls = _INTERP_NODES[key] = node_class(
            name, lambda m, g, b: m.matmul(g, m.const(b)))
    return cls


# -- activations -------------------------------------------------------------------------------

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


def _gelu_grad_np(g: np.ndarray, x: np.ndarray, approximate: str,
                  cdf: Any = None) -> np.ndarray:
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
        cdf = t(0.5) * (t(1) + _erf(x * t(_SQRT1_2)).astype(x.dtype))
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
    t = x.dtype.type
    return (x * t(0.5) * (t(1) + _erf(x * t(_SQRT1_2)).astype(x.dtype))).astype(x.dtype)


# ctx: the form, and for the exact form the Phi(x) its forward computed (None otherwise).
GeluBackward0 = node_class(
    "GeluBackward0",
    lambda m, g, x, approx, cdf: m.gelu_backward(g, x, approx),
    raw=(lambda m, g, x, approx, cdf: _gelu_grad_np(g, x, approx, cdf).astype(x.dtype),))
_raw.gelu_backward = lambda g, x, a: _gelu_grad_np(g, x, a).astype(x.dtype)
_graph.gelu_backward = gelu_backward
_gelu_tanh = unary_op(GeluBackward0, _gelu_tanh_np, name="gelu", kinds="f",
                      kernel="GeluKernelImpl", n_ctx=2)


@declare(vmap=POINTWISE)
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Applies the Gaussian Error Linear Units function (exact, or its tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if approximate == "tanh" or type(input) is not Tensor or input._data.dtype.kind != "f":
        return _gelu_tanh(input, approximate, None)
    # The exact form keeps Phi(x) = (1 + erf(x / sqrt 2)) / 2 for its plain gradient, which
    # would otherwise compute erf again (erf was a quarter of a minGPT training step).
    x = input._data
    t = x.dtype.type
    with np.errstate(all="ignore"):
        one_erf = t(1) + _erf(x * t(_SQRT1_2)).astype(x.dtype)
        out = wrap(np.asarray(x * t(0.5) * one_erf, dtype=x.dtype))
    if needs_grad(input):
        attach(GeluBackward0, out, (input,), (input,), (approximate, t(0.5) * one_erf))
    return out


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
    # with SLEEF's exp and log1p; in float64 SLEEF's exp, log1p and tanh on whole vector
    # blocks, the C library's on the tail.
    flat = x.reshape(-1)  # SLEEF's replay works on 1-d arrays
    if x.dtype == np.float64:
        return _sleef.split_by_vector(
            x, lambda v: v * _sleef.tanh(_sleef.log1p(_sleef.exp(v))),
            lambda v: v * libm_tanh(libm_log1p(libm_exp(v))))
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
_graph.softplus_backward = softplus_backward
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
    if min_val > max_val:
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
_graph.log_sigmoid = logsigmoid


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
    from .pointwise_math import _not_implemented

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
    from .pointwise import _meta
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


# -- pixel shuffle ------------------------------------------------------------------------------

def _pixel_shuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    # (*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _pixel_unshuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, hr, wr = x.shape
    n = len(lead)
    y = x.reshape(*lead, c, hr // r, r, wr // r, r)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, hr // r, wr // r)


PixelShuffleBackward0 = node_class("PixelShuffleBackward0",
                                   lambda m, g, r: m.pixel_unshuffle(g, r))
PixelUnshuffleBackward0 = node_class("PixelUnshuffleBackward0",
                                     lambda m, g, r: m.pixel_shuffle(g, r))


def _check_shuffle(x: np.ndarray, name: str, factor: int, what: str) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got "
                           f"input with {x.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges (*, C*r^2, H, W) into (*, C, H*r, W*r), r the upscale factor."""
    x, r = input._data, upscale_factor
    _check_shuffle(x, "pixel_shuffle", r, "upscale_factor")
    if x.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={x.shape[-3]} is not divisible by "
            f"{r * r}")
    out = wrap(np.ascontiguousarray(_pixel_shuffle_np(x, r)))
    if needs_grad(input):
        attach(PixelShuffleBackward0, out, (input,), (), (r,))
    return out


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges (*, C, H*r, W*r) into (*, C*r^2, H, W), r the downscale factor."""
    x, r = input._data, downscale_factor
    _check_shuffle(x, "pixel_unshuffle", r, "downscale_factor")
    for dim, what in ((-2, "height"), (-1, "width")):
        if x.shape[dim] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({dim})={x.shape[dim]} is not divisible by {r}")
    out = wrap(np.ascontiguousarray(_pixel_unshuffle_np(x, r)))
    if needs_grad(input):
        attach(PixelUnshuffleBackward0, out, (input,), (), (r,))
    return out


def _channel_shuffle(m: Any, x: Any, groups: int) -> Any:
    # (N, C, *) -> (N, g, C/g, *) -> (N, C/g, g, *) -> (N, C, *), for arrays or tensors.
    shape = tuple(x.shape)
    split = shape[:1] + (groups, shape[1] // groups) + shape[2:]
    return m.reshape(m.transpose(m.reshape(x, split), 1, 2), shape)


# The shuffle by C/g groups undoes the shuffle by g.
ChannelShuffleBackward0 = node_class(
    "ChannelShuffleBackward0",
    lambda m, g, groups: _channel_shuffle(m, g, g.shape[1] // groups))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Divide the channels in a tensor of shape (N, C, *) into g groups and rearrange them
    as (N, C/g, g, *), keeping the original tensor shape."""
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TypeError("channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    x = input._data
    if x.ndim <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if x.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {x.shape[1]} "
                           f"channels and {groups} groups.")
    out = wrap(np.ascontiguousarray(_channel_shuffle(_math.raw, x, groups)))
    if needs_grad(input):
        attach(ChannelShuffleBackward0, out, (input,), (), (groups,))
    return out


RreluWithNoiseBackward0 = node_class("RreluWithNoiseBackward0",
                                     lambda m, g, x, noise: m.tie(g * m.const(noise), x))
RreluWithNoiseBackward1 = node_class("RreluWithNoiseBackward1",
                                     lambda m, g, noise: g * m.const(noise))


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
        # tensor's dtype.
        hit = x <= 0
        slopes = np.empty(int(hit.sum()), np.float64)
        _random.uniform_(slopes, lower, upper)
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


def _bag_gradient(compute: Any) -> Any:
    """A gradient of embedding_bag, computed on arrays; torch's is not differentiable again,
    so under create_graph it comes back as a tensor without history."""

    def formula(m: Any, g: Any, *rest: Any) -> Any:
        if isinstance(g, Tensor):
            return Tensor._make(compute(g._data, *(r._data if isinstance(r, Tensor) else r
                                                   for r in rest)))
        return compute(g, *rest)

    return formula


def _bag_weight_grad(g: np.ndarray, w: np.ndarray, psw: Any, plan: tuple) -> np.ndarray:
    idx, bags, scale, picked, winners = plan
    out = np.zeros_like(w)
    if winners is not None:
        # max: each (bag, column) passes its gradient to the row that held the maximum.
        b, d = np.nonzero(winners >= 0)
        np.add.at(out, (idx[winners[b, d]], d), g[b, d])
        return out
    rows = g[bags] * scale[:, None].astype(g.dtype)
    if psw is not None:
        rows = rows * psw.reshape(-1)[:, None]
    np.add.at(out, idx[picked], rows[picked])
    return out


def _bag_psw_grad(g: np.ndarray, w: np.ndarray, psw: Any, plan: tuple) -> np.ndarray:
    idx, bags, scale, picked, _ = plan
    out = (g[bags] * w[idx]).sum(1)
    return np.where(picked, out, g.dtype.type(0)).astype(g.dtype).reshape(psw.shape)


EmbeddingBagBackward0 = node_class("EmbeddingBagBackward0",
                                   _bag_gradient(_bag_weight_grad),
                                   _bag_gradient(_bag_psw_grad))


_TENSOR_CLASS = "<class 'torch.Tensor'>"  # as torch prints type(offsets)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2.0,
                  scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sums, averages or takes the maximum of bags of embeddings (rows of weight) without
    building the intermediate embeddings."""
    # torch's Python checks, in its order
    if per_sample_weights is not None and input.shape != per_sample_weights.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r}) "
                         "is not None, then it must have the same shape as the input "
                         f"({input.shape!r})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    x = input._data.astype(np.int64)
    if x.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{_TENSOR_CLASS if isinstance(offsets, Tensor) else type(offsets)}")
        n_bags, per = x.shape
        starts = np.arange(n_bags, dtype=np.int64) * per
        x = x.reshape(-1)
    elif x.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64)
        if include_last_offset:
            starts = starts[:-1]
        n_bags = len(starts)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{x.ndim}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    w = weight._data
    num = w.shape[0]
    if x.size and (x.min() < 0 or x.max() >= num):
        k = int(np.flatnonzero((x < 0) | (x >= num))[0])
        if w.dtype.kind == "f" and w.dtype.itemsize <= 4 and mode != "max" and \
                padding_idx is None:
            # torch's fast kernel for these (fbgemm) reports in its own words.
            raise RuntimeError(f"Index {k} of input takes value {x[k]} which is not in the "
                               f"valid range [0, {num})")
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {x[k]}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _embedding_renorm(w, x, max_norm, norm_type)
        bump_version(weight)
    # The bag of each index, which indices count (not padding) and how many per bag.
    bags = np.searchsorted(starts, np.arange(len(x)), side="right") - 1
    keep = np.ones(len(x), bool) if padding_idx is None else x != padding_idx
    counts = np.bincount(bags[keep], minlength=n_bags)
    rows = w[x]
    psw = None if per_sample_weights is None else per_sample_weights._data.reshape(-1)
    if psw is not None:
        rows = rows * psw[:, None]
    out = np.zeros((n_bags, w.shape[1]), w.dtype)
    winners = None
    if mode == "max":
        out[...] = -np.inf
        np.maximum.at(out, bags[keep], rows[keep])
        out[counts == 0] = 0
        # Per (bag, column), the first index holding the maximum takes the gradient.
        hit_j, hit_d = np.nonzero(keep[:, None] & (rows == out[bags]))
        winners = np.full(out.shape, len(x), np.int64)
        np.minimum.at(winners, (bags[hit_j], hit_d), hit_j)
        winners[winners == len(x)] = -1
        picked = keep
        scale = np.ones(len(x))
    else:
        np.add.at(out, bags[keep], rows[keep])
        picked = keep
        scale = np.ones(len(x))
        if mode == "mean":
            nonempty = counts > 0
            out[nonempty] /= counts[nonempty, None].astype(w.dtype)
            scale = 1.0 / np.maximum(counts[bags], 1)
    result = wrap(out)
    if needs_grad(weight, per_sample_weights):
        attach(EmbeddingBagBackward0, result, (weight, per_sample_weights),
               (weight, per_sample_weights), ((x, bags, scale, picked, winners),))
    return result


# -- losses -------------------------------------------------------------------------------------

REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def reduction_enum(reduction: str) -> int:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return REDUCTIONS[reduction]


def _reduce_np(loss: np.ndarray, red: int) -> np.ndarray:
    if red == 1:
        if not loss.size:
            return np.asarray(np.nan, loss.dtype)
        acc = _math.reduce_dtype(loss.dtype)
        return np.asarray(np.sum(loss, dtype=acc) / acc.type(loss.size), loss.dtype)
    if red == 2:
        return np.asarray(np.sum(loss, dtype=_math.reduce_dtype(loss.dtype)), loss.dtype)
    return loss


def _spread(m: Any, g: Any, red: int, n: int) -> Any:
    return g / n if red == 1 else g


def _mse_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int) -> Any:
    return _spread(m, g, red, n) * (2 * (x - t))


MseLossBackward0 = node_class(
    "MseLossBackward0",
    _mse_grad,
    lambda m, g, x, t, red, n: -_mse_grad(m, g, x, t, red, n))


def _check_loss_kernel(input: Tensor, kernel: str) -> None:
    # The promoted pair has no integer kernel in torch.
    if input._data.dtype.kind != "f":
        raise not_implemented(kernel, input.dtype)


def _loss_pair(input: Tensor, target: Tensor, name: str) -> tuple:
    from .._dtypes import result_type

    _reach("size", target, input)
    x, t = input._data, target._data
    if x.shape != t.shape:
        import warnings

        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=4)
        shape = broadcast_shape(x.shape, t.shape)
        input = input.expand(shape)
        target = target.expand(shape)
    dt = result_type(input, target)
    if input.dtype != dt:
        input = input.to(dt)
    if target.dtype != dt:
        target = target.to(dt)
    return input, target


def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Any = None) -> Tensor:
    """Measures the element-wise mean squared error."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    input, target = _loss_pair(input, target, "mse_loss")
    _check_loss_kernel(input, "mse_cpu")
    red = reduction_enum(reduction)
    with np.errstate(all="ignore"):
        d = input._data - target._data
        out = wrap(_reduce_np(d * d, red))
    if needs_grad(input, target):
        attach(MseLossBackward0, out, (input, target), (input, target), (red, d.size))
    return out


def _smooth_l1_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int, beta: float) -> Any:
    d = x - t
    if beta == 0:
        return _spread(m, g, red, n) * m.sign(d)
    return _spread(m, g, red, n) * m.where(d < -beta, -1.0, m.where(d > beta, 1.0, d / beta))


SmoothL1LossBackward0 = node_class(
    "SmoothL1LossBackward0",
    _smooth_l1_grad,
    lambda m, g, x, t, red, n, beta: -_smooth_l1_grad(m, g, x, t, red, n, beta))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared term if the absolute element-wise error falls below beta, L1 term otherwise."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    input, target = _loss_pair(input, target, "smooth_l1_loss")
    _check_loss_kernel(input, "smooth_l1_cpu")
    red = reduction_enum(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x = input._data
    t = x.dtype.type
    with np.errstate(all="ignore"):
        ad = np.abs(x - target._data)
        loss = ad - t(0.5 * beta) if beta == 0 else \
            np.where(ad < t(beta), t(0.5) * ad * ad / t(beta), ad - t(0.5 * beta))
        out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(SmoothL1LossBackward0, out, (input, target), (input, target),
               (red, ad.size, beta))
    return out


def _huber_grad(m: Any, g: Any, x: Any, t: Any, red: int, n: int, delta: float) -> Any:
    d = x - t
    return _spread(m, g, red, n) * m.where(d < -delta, -delta, m.where(d > delta, delta, d))


HuberLossBackward0 = node_class(
    "HuberLossBackward0",
    _huber_grad,
    lambda m, g, x, t, red, n, delta: -_huber_grad(m, g, x, t, red, n, delta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Any = None) -> Tensor:
    """Squared term if the absolute element-wise error falls below delta, a delta-scaled L1
    term otherwise."""
    from .._dtypes import can_cast

    _reach("size", target, input)
    out_dtype = input.dtype
    input, target = _loss_pair(input, target, "huber_loss")
    _check_loss_kernel(input, "huber_cpu")
    # torch writes the loss into a tensor of the input's dtype.
    if out_dtype != input.dtype and not can_cast(input.dtype, out_dtype):
        raise RuntimeError(f"result type {input.dtype._legacy} can't be cast to the desired "
                           f"output type {out_dtype._legacy}")
    red = reduction_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x = input._data
    t = x.dtype.type
    with np.errstate(all="ignore"):
        ad = np.abs(x - target._data)
        loss = np.where(ad < t(delta), t(0.5) * ad * ad, t(delta) * (ad - t(0.5) * t(delta)))
        out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(HuberLossBackward0, out, (input, target), (input, target),
               (red, ad.size, delta))
    return out if out.dtype == out_dtype else out.to(out_dtype)


def _bce_grad(m: Any, g: Any, x: Any, t: Any, w: Any, red: int, n: int) -> Any:
    eps = 1e-12
    d = (x - t) / m.where(x * (1 - x) < eps, eps, x * (1 - x))
    d = _spread(m, g, red, n) * d
    return d if w is None else d * w


def _bce_target_grad(m: Any, g: Any, x: Any, t: Any, w: Any, red: int, n: int) -> Any:
    d = (m.log(1 - x) - m.log(x))
    d = m.where(d > 100, 100.0, m.where(d < -100, -100.0, d))
    d = _spread(m, g, red, n) * d
    return d if w is None else d * w


BinaryCrossEntropyBackward0 = node_class(
    "BinaryCrossEntropyBackward0", _bce_grad, _bce_target_grad)


def _check_weight_broadcasts(weight: Tensor, shape: tuple) -> None:
    # torch's words when a loss's weight does not broadcast to the loss's shape.
    ws = weight._data.shape
    if len(ws) > len(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(ws, shape))}")
    for k in range(1, len(ws) + 1):
        if ws[-k] not in (1, shape[-k]):
            raise RuntimeError(f"Attempting to broadcast a dimension of length {ws[-k]} at {-k}! "
                               f"Mismatching argument at index 1 had {weight.shape!r}; but "
                               f"expected shape should be broadcastable to {list(shape)}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """Measures the Binary Cross Entropy between the target and input probabilities; the
    logarithms are clamped to be >= -100."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    _reach("size", target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    x, t = input._data, target._data
    if t.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {target.dtype._legacy} but expected "
                           f"{input.dtype._legacy}")
    if x.size and (np.any(x < 0) or np.any(x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    tt = x.dtype.type
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.maximum(np.log(x), tt(-100))
        l1x = np.maximum(np.log(tt(1) - x), tt(-100))
    loss = (t - tt(1)) * l1x - t * lx
    w = None
    if weight is not None:
        _check_weight_broadcasts(weight, x.shape)
        w = weight.detach() if weight._data.shape == x.shape else weight.detach().expand(x.shape)
        loss = loss * w._data
    out = wrap(_reduce_np(np.asarray(loss, x.dtype), red))
    if needs_grad(input, target):
        attach(BinaryCrossEntropyBackward0, out, (input, target), (input, target, w),
               (red, x.size))
    return out


def _bce_reduce_grad(m: Any, g: Any, grad: Any, weight: Any, reduction: int, n: int) -> Any:
    g = grad * g
    if weight is not None:
        g = g * weight
    return g / n if reduction == 1 else g


def _bce_input_grad(m: Any, g: Any, x: Any, t: Any, w: Any, pw: Any, red: int, n: int) -> Any:
    s = m.sigmoid(x)
    if pw is None:
        d = s - t
    else:
        tp = pw * t
        d = (tp + 1 - t) * s - tp
    return _bce_reduce_grad(m, g, d, w, red, n)


def _bce_target_grad(m: Any, g: Any, x: Any, t: Any, w: Any, pw: Any, red: int, n: int) -> Any:
    d = -x if pw is None else m.log_sigmoid(-x) - pw * m.log_sigmoid(x)
    return _bce_reduce_grad(m, g, d, w, red, n)


BinaryCrossEntropyWithLogitsBackward0 = node_class(
    "BinaryCrossEntropyWithLogitsBackward0", _bce_input_grad, _bce_target_grad)


def _into(a: np.ndarray, b: Any) -> np.ndarray:
    # An in-place result keeps the dtype of the tensor written into.
    return b if b.dtype == a.dtype else b.astype(a.dtype)


def _bce_reduce(loss: np.ndarray, red: int) -> np.ndarray:
    if red == 0:
        return loss
    # torch sums in its own order (and half types in float32), then divides for the mean.
    acc = loss if loss.dtype.itemsize >= 4 else loss.astype(np.float32)
    total = cascade_sum(acc)
    if red == 1:
        with np.errstate(invalid="ignore"):
            total = total / total.dtype.type(loss.size)
    return total.astype(loss.dtype, copy=False)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Calculate Binary Cross Entropy between target and input logits."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    _reach("size", target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and needs_grad(t):
            raise RuntimeError(
                "the derivative for '" + name + "' is not implemented.")
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f'"log_sigmoid_cpu" not implemented for \'{input.dtype._legacy}\'')
    if t.dtype.kind == "b":
        pointwise._sub_check(True, target)  # torch's 1 - target, the 1 taken as a bool
    elif t.dtype.kind != "f":
        from .._dtypes import result_type

        # torch computes the loss in place in a tensor of the target's dtype
        raise RuntimeError(f"result type {result_type(input, target)._legacy} can't be cast to "
                           f"the desired output type {target.dtype._legacy}")
    with np.errstate(over="ignore", invalid="ignore"):
        # torch's steps and their rounding: log_sigmoid(x) * ((pos_weight - 1) * t + 1),
        # then ((1 - t) * x - that) * weight, each step rounded to its tensor's dtype.
        ls = _log_sigmoid_np(x)
        if pos_weight is not None:
            pw = pos_weight._data
            lw = (pw - pw.dtype.type(1)) * t
            ls = _into(ls, ls * (lw + lw.dtype.type(1)))
        loss = t.dtype.type(1) - t
        loss = _into(loss, _into(loss, loss * x) - ls)
        if weight is not None:
            loss = _into(loss, loss * weight._data)
    n = loss.size
    out = wrap(np.asarray(_bce_reduce(loss, red)))
    if needs_grad(input, target):
        w = None if weight is None else weight.detach()
        pw = None if pos_weight is None else pos_weight.detach()
        attach(BinaryCrossEntropyWithLogitsBackward0, out, (input, target),
               (input, target, w, pw), (red, n))
    return out


def soft_margin_loss(input: Tensor, target: Tensor, size_average: Any = None,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), the two-class logistic loss."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    # torch computes -input * target in place, in a tensor of the input's shape (negating a
    # bool input fails first).
    if input._data.dtype == np.bool_:
        pointwise.neg(input)
    check_out_shape(input._data.shape, target._data.shape)
    x, y = input._data, target._data.astype(input._data.dtype, copy=False)
    with np.errstate(all="ignore"):
        loss = np.log1p(np.exp(-y * x))
    n = loss.size
    out = wrap(np.asarray(loss.sum() / x.dtype.type(n) if red == 1 else
                          loss.sum() if red == 2 else loss, x.dtype))
    if needs_grad(input):
        attach(SoftMarginLossBackward0, out, (input,), (input,), (y, red, n))
    return out


def _soft_margin_grad(m: Any, g: Any, x: Any, y: Any, red: int, n: int) -> Any:
    ny = m.const(-y)
    z = m.exp(ny * x)
    d = ny * z / (z + 1)
    return d * g / n if red == 1 else d * g


SoftMarginLossBackward0 = node_class("SoftMarginLossBackward0", _soft_margin_grad)


def _nll_grad(m: Any, g: Any, x: Any, t: np.ndarray, coef: np.ndarray, c: int, red: int,
              rows_shape: tuple, perm: Any) -> Any:
    # t: the class of each row (0 where ignored); coef is -weight[target] (0 where ignored),
    # divided by the total weight for 'mean'.
    gr = m.reshape(g, (-1, 1)) * m.const(coef) if red == 0 else \
        m.expand(m.reshape(g, (1, 1)), coef.shape) * m.const(coef)
    gx = m.reshape(m.scatter_rows(gr, t[:, None], c), rows_shape)
    return m.tie(gx if perm is None else m.permute(gx, perm), x)


def _nll_grad_np(m: Any, g: np.ndarray, x: np.ndarray, t: np.ndarray, coef: np.ndarray,
                 c: int, red: int, rows_shape: tuple, perm: Any) -> np.ndarray:
    if perm is not None:
        return _nll_grad(m, g, x, t, coef, c, red, rows_shape, perm)
    # One picked entry per row: write it in place of a scatter-add.
    vals = (g.reshape(-1, 1) if red == 0 else g.reshape(1, 1)) * coef
    gx = np.zeros((t.shape[0], c), vals.dtype)
    gx[np.arange(t.shape[0]), t] = vals[:, 0]
    return gx.reshape(rows_shape)


NllLossBackward0 = node_class("NllLossBackward0", _nll_grad, raw=(_nll_grad_np,))
NllLoss2DBackward0 = node_class("NllLoss2DBackward0", _nll_grad, raw=(_nll_grad_np,))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """The negative log likelihood loss over class indices."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    # torch reads a 0-dim target's (absent) first size as 0
    if x.ndim >= 2 and x.shape[0] != (t.shape[0] if t.ndim else 0):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    if weight is not None and weight._rg and _mode.enabled:
        # torch's kernel has no derivative for weight and refuses one that needs it, before
        # it looks at the target.
        kernel = "nll_loss_forward" if x.ndim <= 2 else "nll_loss2d_forward"
        raise RuntimeError(f"The function '{kernel}' is not differentiable with respect to "
                           "argument 'weight'. This input cannot have requires_grad True.")
    if x.ndim == 3 or x.ndim > 4:
        # As torch: through the 2-D loss on a (N, C, 1, rest) view, its result viewed back.
        out_size = (x.shape[0],) + x.shape[2:]
        if t.shape != out_size:
            raise RuntimeError(f"Expected target size {list(out_size)}, got {list(t.shape)}")
        n, c = x.shape[:2]
        ret = nll_loss(input.reshape(n, c, 1, -1) if x.size else input.reshape(n, c, 0, 0),
                       target.reshape(n, 1, -1) if t.size else target.reshape(n, 0, 0),
                       weight, None, ignore_index, None, reduction)
        return ret.view(out_size) if red == 0 else ret
    if x.ndim <= 2 and t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if x.ndim == 4 and t.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {t.ndim}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{target.dtype._legacy}")
    if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{t.shape[0]}")
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != c):
        raise RuntimeError("weight tensor should be defined either for all or no classes"
                           if x.ndim == 4 else
                           f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if x.ndim == 4:
        if t.shape[1:] != x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                               f"{list(t.shape)}")
    # the kernel's own dtype checks
    if x.dtype.kind != "f":
        raise not_implemented("nll_loss2d_forward_out_frame" if x.ndim == 4 else
                              "nll_loss_out_frame", input.dtype)
    if x.ndim == 4 and t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype._legacy}")
    if weight is not None and weight._data.dtype != x.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._legacy} but found "
                           f"{weight.dtype._legacy}")
    if x.ndim == 2 and weight is None and red and t.dtype == np.int64 and x.shape[0] and \
            x.dtype.kind == "f":
        fast = _nll_rows(input, x, t, c, red, ignore_index)
        if fast is not None:
            return fast
    # Rows of (sample, class): classes last.
    if x.ndim == 1:
        rows = x.reshape(1, c)
    elif x.ndim == 2:
        rows = x
    else:
        rows = np.moveaxis(x, 1, -1).reshape(-1, c)
    tf = t.reshape(-1).astype(np.int64)
    valid = tf != ignore_index
    bad = valid & ((tf < 0) | (tf >= c))
    if bad.any():
        raise IndexError(f"Target {tf[bad][0]} is out of bounds.")
    safe = np.where(valid, tf, 0)
    w = np.ones(c, x.dtype) if weight is None else weight._data.astype(x.dtype)
    wt = np.where(valid, w[safe], x.dtype.type(0)).astype(x.dtype)
    picked = rows[np.arange(rows.shape[0]), safe]
    losses = -wt * picked
    if red == 0:
        res = losses.reshape(t.shape)
        coef = -wt[:, None]
    else:
        total = np.sum(wt, dtype=x.dtype)
        s = np.sum(losses, dtype=x.dtype)
        if red == 1:
            res = np.asarray(quiet(np.true_divide, s, total), x.dtype)
            # With every target ignored the loss is 0/0 but torch's gradient is 0.
            coef = (-wt / total if total else np.zeros_like(wt)).astype(x.dtype)[:, None]
        else:
            res = np.asarray(s, x.dtype)
            coef = -wt[:, None]
    out = wrap(np.asarray(res, x.dtype))
    if needs_grad(input):
        cls = NllLoss2DBackward0 if x.ndim == 4 else NllLossBackward0
        if x.ndim > 2:
            rows_shape = (x.shape[0],) + x.shape[2:] + (c,)
            perm = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
        else:
            rows_shape, perm = x.shape, None
        attach(cls, out, (input,), (input, safe, coef.astype(x.dtype), c, red, rows_shape, perm))
    return out


def _nll_rows(input: Tensor, x: np.ndarray, t: np.ndarray, c: int, red: int,
              ignore_index: int) -> Tensor | None:
    """nll_loss of an (N, C) batch with every target a class (none ignored), no weights,
    reduced: the common case, without the per-sample weight arrays; None otherwise."""
    n = x.shape[0]
    if t.min() < 0 or t.max() >= c or (0 <= ignore_index < c and (t == ignore_index).any()):
        return None
    s = np.add.reduce(x[np.arange(n), t])
    if red == 1:
        total = x.dtype.type(n)
        out = wrap(np.asarray(-s / total, x.dtype))
        scale = x.dtype.type(-1) / total
    else:
        out = wrap(np.asarray(-s, x.dtype))
        scale = x.dtype.type(-1)
    if needs_grad(input):
        # The target is copied: changing it in place later must not change the gradient.
        attach(NllLossBackward0, out, (input,), (input, t.copy(), np.full((n, 1), scale, x.dtype),
                                                  c, red, x.shape, None))
    return out


def cross_entropy_rows(input: Tensor, target: Tensor, red: int,
                       ignore_index: int) -> Tensor | None:
    """cross_entropy of an (N, C) batch of logits against class indices, reduced, with no
    weights, no label smoothing and no target ignored: log_softmax and nll_loss (torch's two
    nodes) without the general paths' checks. None when the general path must run (it also
    raises torch's errors for bad input)."""
    x, t = input._data, target._data
    if x.ndim != 2 or t.ndim != 1 or t.dtype != np.int64 or x.dtype.kind != "f" or not red:
        return None
    n, c = x.shape
    if not n or t.shape[0] != n or c < 2:
        return None
    with np.errstate(all="ignore"):
        logp = _log_softmax_rows(x) if n >= 64 and c <= 64 else _log_softmax_last(x)
    lp = wrap(logp)
    if needs_grad(input):
        attach(LogSoftmaxBackward0, lp, (input,), (lp,), ((1,),))
    return _nll_rows(lp, logp, t, c, red, ignore_index)


def legacy_reduction(size_average: Any, reduce: Any) -> str:
    """The reduction string for the deprecated size_average and reduce arguments."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"
