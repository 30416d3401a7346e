"""softmax, log_softmax and their derivatives.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._transform_hooks import transform_ops
from . import _math
from ._core import (
    attach,
    needs_grad,
    node_class,
    not_implemented,
    wrap,
    wrap_dim,
)

__all__ = ['softmax', 'log_softmax']


# `dims` is (dim,), or () for a 0-dim input (NumPy has no axis 0 there; the sum is the
# element itself).
SoftmaxBackward0 = node_class(
    "SoftmaxBackward0",
    lambda m, g, result, dims: result * (g - m.sum(g * result, dims, True)))


def _log_softmax_grad_np(m: Any, g: np.ndarray, result: np.ndarray, dims: tuple) -> Any:
    # g - exp(result) * sum(g): the logits' gradient is the largest array of a language
    # model's step, and each fresh array of its size costs page faults (1.3 MB: ~1 ms).
    # (arrays only: ember.compile traces this formula with symbolic values)
    if (type(g) is np.ndarray and type(result) is np.ndarray and g.ndim
            and g.dtype == result.dtype == np.float32 and g.shape == result.shape
            and dims == (g.ndim - 1,) and g.flags.c_contiguous and result.flags.c_contiguous):
        return _log_softmax_grad_rows(g, result, m.sum(g, dims, True))
    e = m.exp(result)
    e *= m.sum(g, dims, True)
    if isinstance(e, np.ndarray) and e.shape == g.shape and e.dtype == g.dtype:
        return np.subtract(g, e, out=e)
    return g - e


def _log_softmax_grad_rows(g: np.ndarray, result: np.ndarray, total: np.ndarray) -> np.ndarray:
    """g - exp(result) * total over contiguous float32 rows, a block of rows at a time: the
    float64 exponentials (`_math.exp`'s rounding) live in one cache-sized buffer and each
    block is finished while it is in cache, where the whole-array form makes four passes
    over the gradient and a float64 copy of it."""
    k = g.shape[-1]
    g2, r2, t2 = g.reshape(-1, k), result.reshape(-1, k), total.reshape(-1, 1)
    out = np.empty_like(g2)
    step = max(1, _math.DOUBLE_BLOCK // k)
    buf = np.empty((min(step, len(g2)), k), np.float64)
    with np.errstate(all="ignore"):
        for start in range(0, len(g2), step):
            stop = start + step
            ob = out[start:stop]
            v = buf[:len(ob)]
            v[...] = r2[start:stop]
            np.exp(v, out=v)
            ob[...] = v
            ob *= t2[start:stop]
            np.subtract(g2[start:stop], ob, out=ob)
    return out.reshape(g.shape)


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
        elif x.size and x.ndim and d == x.ndim - 1 and x.flags.c_contiguous:
            out = wrap(_log_softmax_row_blocks(x))
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


def _log_softmax_row_blocks(x: np.ndarray) -> np.ndarray:
    """log_softmax over the last axis of a non-empty C-contiguous array, a block of rows at a
    time: the exponentials go to one cache-sized buffer (a fresh array of the logits' size
    costs page faults) and each block's passes run while it is in cache. Every row is
    reduced exactly as over the whole array, so the bits are the same."""
    k = x.shape[-1]
    x2 = x.reshape(-1, k)
    out = np.empty_like(x2)
    step = max(1, _math.DOUBLE_BLOCK // k)
    buf = np.empty((min(step, len(x2)), k), x.dtype)
    for start in range(0, len(x2), step):
        ob = out[start:start + step]
        xb = x2[start:start + step]
        # As torch: no guard for infinite maxima (a row holding +inf, or only -inf, is all
        # NaN).
        np.subtract(xb, np.maximum.reduce(xb, -1, keepdims=True), out=ob)
        lse = np.add.reduce(np.exp(ob, out=buf[:len(ob)]), -1, keepdims=True)
        ob -= np.log(lse, out=lse)
    return out.reshape(x.shape)


def _log_softmax_rows(x: np.ndarray) -> np.ndarray:
    """log_softmax over the short rows of a tall matrix (a batch of logits). NumPy reduces
    a short trailing axis row by row (slow per row); in the transposed layout the same
    reductions run across whole rows of the batch at once."""
    xt = np.ascontiguousarray(x.T)
    xt -= np.maximum.reduce(xt, 0)
    lse = np.add.reduce(np.exp(xt), 0)
    xt -= np.log(lse, out=lse)
    return np.ascontiguousarray(xt.T)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
