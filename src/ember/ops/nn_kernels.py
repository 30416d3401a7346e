"""Array kernels shared by the neural-network ops: im2col/col2im and the row gather /
scatter-add pair (the adjoints behind convolution, max pooling, embedding and nll), each
registered in both math namespaces: the graph form is itself a differentiable op, so
higher derivatives come from composition.

Forwards are NumPy; each node is one row of the derivative table with torch's name.
Formulas are written against the math namespace `m`, so they run on arrays in plain
backward and on tensors under create_graph.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._transform_hooks import transform_op, transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math, arithmetic
from ._core import (
    attach,
    needs_grad,
    node_class,
    wrap,
)
from ._math import register_math_pairs
from .indexing import GatherBackward0, ScatterAddBackward0

__all__ = []


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
        return arithmetic.where(keep, result, x)
    return result


def _register_math() -> None:
    """The helpers formulas use, as NumPy (plain backward) and as ember ops (create_graph)."""
    pairs = {
        # Ops of their own for the transforms, so that batched gradients flow through them.
        "im2col": (im2col_np, transform_op(_im2col, "im2col")),
        "col2im": (col2im_np, transform_op(_col2im, "col2im")),
        "gather_rows": (gather_rows_np, transform_op(_gather_rows, "gather_rows")),
        "scatter_rows": (scatter_rows_np, transform_op(_scatter_rows, "scatter_rows")),
        "const": (lambda a: a, lambda a: Tensor._make(np.asarray(a))),
        "tanh": (_math.tanh, arithmetic.tanh),
        "tie": (lambda r, x: r, _tie),
    }
    register_math_pairs(pairs)


_register_math()


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
