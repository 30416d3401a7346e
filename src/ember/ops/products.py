"""Matrix products and their derivatives. `matmul` is composed of the primitives the way
torch composes it, so its graph has torch's nodes."""

from __future__ import annotations

import numpy as np

from .._dtypes import FROM_NUMPY, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ._core import (
    attach,
    bilinear_jvp,
    broadcast_shape,
    check_tensor,
    declare,
    needs_grad,
    node_class,
    not_implemented,
    wrap,
    wrap_dim,
)
from .shape import contiguous, expand, reshape, squeeze, squeeze_in_place, t, unsqueeze
from .shape import transpose as transpose_

__all__ = ["mm", "mv", "dot", "vdot", "bmm", "matmul"]

MmBackward0 = node_class(
    "MmBackward0",
    lambda m, g, self, mat2: m.matmul(g, m.mT(mat2)),
    lambda m, g, self, mat2: m.matmul(m.mT(self), g),
)
MvBackward0 = node_class(
    "MvBackward0",
    lambda m, g, self, vec: m.outer(g, vec),
    lambda m, g, self, vec: m.matmul(m.mT(self), g),
)
DotBackward0 = node_class(
    "DotBackward0",
    lambda m, g, self, other: g * other,
    lambda m, g, self, other: g * self,
)
VdotBackward0 = node_class(
    "VdotBackward0",
    lambda m, g, self, other: g * other,
    lambda m, g, self, other: g * self,
)
BmmBackward0 = node_class(
    "BmmBackward0",
    lambda m, g, self, mat2: m.matmul(g, m.mT(mat2)),
    lambda m, g, self, mat2: m.matmul(m.mT(self), g),
)


def dim_size(x: np.ndarray, dim: int) -> int:
    """`tensor.size(dim)` as torch's kernels ask it, with its IndexErrors."""
    return x.shape[wrap_dim(dim, x.ndim, False)]


def check_bool_product(kernel: str, x: np.ndarray, k: int, n: int) -> None:
    """torch has no bool matrix products: a product of `n` elements that sums over `k > 0`
    terms raises."""
    if x.dtype.kind == "b" and k and n:
        raise not_implemented(kernel, FROM_NUMPY[x.dtype])


def _product(cls: type, a: Tensor, b: Tensor, data: np.ndarray) -> Tensor:
    out = wrap(data)
    if needs_grad(a, b):
        attach(cls, out, (a, b), (a, b))
    return out


@declare(jvp=bilinear_jvp("mm"))
def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Performs a matrix multiplication of the matrices input and mat2."""
    x, y = check_tensor(input, fn="mm")._data, check_tensor(mat2, "mat2", 1, "mm")._data
    if x.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if y.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x"
                           f"{x.shape[1]} and {y.shape[0]}x{y.shape[1]})")
    if x.dtype != y.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{type_meta_name(x.dtype)} != {type_meta_name(y.dtype)}")
    check_bool_product("addmm_impl_cpu_", x, x.shape[1], x.shape[0] * y.shape[1])
    return _product(MmBackward0, input, mat2, np.matmul(x, y))


@declare(jvp=bilinear_jvp("mv"))
def mv(input: Tensor, vec: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Performs a matrix-vector product of the matrix input and the vector vec."""
    x = check_tensor(input, fn="mv")._data
    y = check_tensor(vec, "vec", 1, "mv")._data
    # torch makes the result (of vec's dtype) first, then runs addmv into it.
    n = dim_size(x, 0)
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {x.ndim}, {y.ndim}")
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{x.shape[1]}), vec "
                           f"({y.shape[0]})")
    if x.dtype != y.dtype:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{vec.dtype._legacy}, {input.dtype._legacy}, and "
                           f"{vec.dtype._legacy}")
    check_bool_product("addmv_impl_cpu", x, x.shape[1], n)
    return _product(MvBackward0, input, vec, np.matmul(x, y))


def _check_dot(input: Tensor, other: Tensor, fn: str) -> tuple:
    # dot's checks, which vdot makes too (its messages name dot).
    x = check_tensor(input, fn=fn)._data
    y = check_tensor(other, "other" if fn == "vdot" else "tensor", 1, fn)._data
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.dtype != y.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype._legacy} and {other.dtype._legacy}")
    if x.shape[0] != y.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src [{y.shape[0]}] "
            f"to have the same number of elements, but got {x.shape[0]} and {y.shape[0]} "
            "elements respectively")
    check_bool_product(fn, x, 1, 1)
    return x, y


@declare(jvp=bilinear_jvp("dot"))
def dot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Computes the dot product of two 1D tensors."""
    x, y = _check_dot(input, other, "dot")
    return _product(DotBackward0, input, other, np.asarray(np.dot(x, y)))


@declare(jvp=bilinear_jvp("vdot"))
def vdot(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Computes the dot product of two 1D vectors along a dimension, conjugating the first
    (for real tensors: the dot product)."""
    x, y = _check_dot(input, other, "vdot")
    return _product(VdotBackward0, input, other, np.asarray(np.dot(x, y)))


def check_batches(x: np.ndarray, y: np.ndarray) -> None:
    """torch's checks that two arrays are stacks of matrices that can be multiplied."""
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if y.shape[0] != x.shape[0] or y.shape[1] != x.shape[2]:
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}].")


def check_batch_dtypes(kernel: str, x: np.ndarray, y: np.ndarray) -> None:
    """The dtype checks of bmm and baddbmm, after their shape checks."""
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {FROM_NUMPY[x.dtype]._legacy} but found "
                           f"{FROM_NUMPY[y.dtype]._legacy}")
    check_bool_product(kernel, x, x.shape[2], x.shape[0] * x.shape[1] * y.shape[2])


@declare(jvp=bilinear_jvp("bmm"))
def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Performs a batch matrix-matrix product of matrices stored in input and mat2."""
    x = check_tensor(input, fn="bmm")._data
    y = check_tensor(mat2, "mat2", 1, "bmm")._data
    check_batches(x, y)
    check_batch_dtypes("bmm", x, y)
    return _product(BmmBackward0, input, mat2, np.matmul(x, y))


@declare(jvp=bilinear_jvp("matmul"))
def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Matrix product of two tensors, with torch's rules for 1-D operands and broadcast
    batch dimensions."""
    check_tensor(input, fn="matmul")
    check_tensor(other, "other", 1, "matmul")
    d1, d2 = input._data.ndim, other._data.ndim
    if d1 == 0 or d2 == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{d1}D and {d2}D")
    if d1 == 1 and d2 == 1:
        return dot(input, other)
    if d1 == 2 and d2 == 1:
        return mv(input, other)
    if d1 == 1 and d2 == 2:
        return squeeze_in_place(mm(unsqueeze(input, 0), other), 0)
    if d1 == 2 and d2 == 2:
        return mm(input, other)
    if _should_fold(input, other):
        return _folded(input, other, d1, d2)
    s1, s2 = input._data.shape, other._data.shape
    if d1 == 3 and d2 == 3 and s1[0] != s2[0]:
        # torch drops a broadcast batch of one from an operand that requires grad.
        if s1[0] == 1 and input._rg:
            return matmul(squeeze(input, 0), other)
        if s2[0] == 1 and other._rg:
            return matmul(input, squeeze(other, 0))
    n = s1[-2] if d1 > 1 else 1
    k = s1[-1]
    k2 = s2[-2] if d2 > 1 else s2[-1]
    p = s2[-1] if d2 > 1 else 1
    batch = broadcast_shape(s1[:-2], s2[:-2])
    bsize = _prod(batch)
    t1 = reshape(expand(input, batch + (n, k)), bsize, n, k)
    if d2 == 1:
        t2 = unsqueeze(reshape(expand(other, batch + (k2,)), bsize, k2), 2)
    else:
        t2 = reshape(expand(other, batch + (k2, p)), bsize, k2, p)
    res = bmm(t1, t2)
    if d2 == 1:
        res = squeeze(res, -1)
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    return _unsafe_view(res, out_shape)


def _prod(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """torch's test for computing a batched product as one mm or mv, folding the batch of
    the operand with more dimensions into its rows."""
    larger = a._data.ndim >= b._data.ndim
    t1 = a._data if larger else b._data.swapaxes(-1, -2)
    d2 = b._data.ndim if larger else a._data.ndim
    if not (t1.ndim >= 3 and d2 <= 2):
        return False
    if (b if larger else a)._rg:
        return True
    if a._data.ndim == 2:
        return False
    if t1.size == 0:
        return True
    st, sh = t1.strides, t1.shape
    return all(st[i] == st[i + 1] * sh[i + 1] for i in range(t1.ndim - 2))


def _folded(input: Tensor, other: Tensor, d1: int, d2: int) -> Tensor:
    transpose = d2 > d1
    t1 = transpose_(other, -1, -2) if transpose else input
    t2 = (t(input) if d1 == 2 else input) if transpose else other
    s1 = t1._data.shape
    out_shape = s1[:-1]
    rows = _prod(out_shape)
    matrix = t2._data.ndim == 2
    if matrix:
        out_shape = out_shape + (t2._data.shape[1],)
    folded = reshape(t1, rows, s1[-1])
    if matrix:
        res = _unsafe_view(mm(folded, t2), out_shape)
        return contiguous(transpose_(res, -1, -2)) if transpose else res
    return _unsafe_view(mv(folded, t2), out_shape)


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    from .shape import UnsafeViewBackward0, as_view

    return as_view(t, t._data.reshape(shape), UnsafeViewBackward0, (t._data.shape,))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
