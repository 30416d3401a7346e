"""Padding (constant, reflect, replicate, circular) and interpolation, with derivatives.

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
    wrap,
)
from .nn_conv import _numel

__all__ = []

_raw = _math.raw
_graph = _math.graph


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


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
