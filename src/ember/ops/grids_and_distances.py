"""Grids, differences and distances: meshgrid (coordinate grids), diff (n-th forward
differences along a dimension), cdist (p-norm distances between two sets of row vectors),
dist, pairwise_distance and cosine_similarity, each as torch computes it."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY, result_type
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import no_grad
from ._core import (
    attach,
    broadcast_shape,
    check_tensor,
    needs_grad,
    node_class,
    operands,
    shape_str,
    wrap,
    wrap_dim,
)
from .arithmetic import _meta, add, div, logical_xor, mul, scalar_op, sub
from .conversion import to
from .creation import empty_like
from .indexing import masked_select
from .inplace import copy_
from .joining import cat, stack
from .reduction import _vector_norm_grad, cumsum, norm_dims, vector_norm
from .shape import clone, expand, narrow, reshape, select, slice_dim, view
from .sum_mean import sum

__all__ = ["meshgrid", "diff", "cdist", "dist", "pairwise_distance", "cosine_similarity",
           "cartesian_prod", "combinations", "trapezoid", "trapz", "cumulative_trapezoid"]

_warned_indexing: list = []


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Creates grids of coordinates specified by the 1D inputs in tensors: with 'ij' the
    i-th output varies along dimension i; with 'xy' the first two dimensions are swapped."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if indexing is None:
        if not _warned_indexing:
            _warned_indexing.append(True)
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                          "the indexing argument.", UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got a {t._data.ndim}D tensor")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    # With 'xy' the first two inputs vary along each other's dimension.
    dims = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        dims[0], dims[1] = 1, 0
    shape = [0] * len(tensors)
    for t, d in zip(tensors, dims):
        shape[d] = t._data.size
    grids = []
    for t, d in zip(tensors, dims):
        view_shape = [1] * len(tensors)
        view_shape[d] = -1
        grids.append(expand(view(t, tuple(view_shape)), tuple(shape)))
    return tuple(grids)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """Computes the n-th forward difference along the given dimension: out[i] =
    input[i + 1] - input[i], applied n times (logical xor for bool tensors)."""
    x = check_tensor(input, "input", 0, "diff")
    nd = x._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, nd)
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t._data.ndim != nd:
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        for i in range(nd):
            if i != d and t._data.shape[i] != x._data.shape[i]:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    f"input except along the differencing dimension; input.size({i}) = "
                    f"{x._data.shape[i]}, but got tensor.size({i}) = {t._data.shape[i]}")
        parts.append((name, t))
    if n == 0:
        # As torch: a copy of input, without prepend and append.
        return copy_(empty_like(x), x)
    if parts:
        seq = [t for name, t in parts if name == "prepend"] + [x] + [
            t for name, t in parts if name == "append"]
        x = cat(seq, d)
    n = min(n, x._data.shape[d])
    length = x._data.shape[d] - 1
    step = logical_xor if x._data.dtype == np.bool_ else sub
    for _ in range(n):
        x = step(narrow(x, d, 1, length), narrow(x, d, 0, length))
        length -= 1
    return x


# -- cdist ---------------------------------------------------------------------------------

_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}


# Rows of x1 taken at a time, so that the pairwise differences stay around this many elements.
_CHUNK_ELEMENTS = 1 << 22


def _by_row_chunks(fn: Any, x1: np.ndarray, x2: np.ndarray, *rest: Any) -> np.ndarray:
    """fn over chunks of x1's rows (and the matching rows of the row-indexed arrays in rest,
    given as (array, axis) pairs or constants), joined along those rows."""
    batch = int(np.prod(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))) or 1
    per_row = max(1, batch * x2.shape[-2] * x1.shape[-1])
    step = max(1, _CHUNK_ELEMENTS // per_row)
    rows = x1.shape[-2]
    if rows <= step:
        return fn(x1, x2, *[r[0] if isinstance(r, tuple) else r for r in rest])
    parts = []
    for a in range(0, rows, step):
        piece = [np.take(r[0], range(a, min(a + step, rows)), axis=r[1])
                 if isinstance(r, tuple) else r for r in rest]
        parts.append(fn(x1[..., a:a + step, :], x2, *piece))
    return np.concatenate(parts, axis=-2)


def _cdist_values(x1: np.ndarray, x2: np.ndarray, p: float) -> np.ndarray:
    return _by_row_chunks(_cdist_chunk, x1, x2, p)


def _cdist_chunk(x1: np.ndarray, x2: np.ndarray, p: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
        if p == 0:
            return (diff != 0).sum(-1).astype(x1.dtype)
        if p == 1:
            return diff.sum(-1)
        if p == 2:
            return np.sqrt((diff * diff).sum(-1))
        if math.isinf(p):
            return diff.max(-1, initial=0)
        return np.power(np.power(diff, p).sum(-1), 1 / p)


def _cdist_grad_x1(g: np.ndarray, x1: np.ndarray, x2: np.ndarray, dist: np.ndarray,
                   p: float) -> np.ndarray:
    """torch's _cdist_backward for x1 (x2's is the same with the roles swapped)."""
    g, dist = np.broadcast_arrays(g, dist)
    return _by_row_chunks(lambda a, b, gg, dd: _cdist_grad_chunk(gg, a, b, dd, p), x1, x2,
                          (g, g.ndim - 2), (dist, dist.ndim - 2))


def _cdist_grad_chunk(g: np.ndarray, x1: np.ndarray, x2: np.ndarray, dist: np.ndarray,
                      p: float) -> np.ndarray:
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    gd = g[..., None]
    dd = dist[..., None]
    with np.errstate(all="ignore"):
        if p == 0:
            return np.zeros_like(x1)
        if p == 1:
            term = gd * np.sign(diff)
        elif p < 2:
            ad = np.abs(diff)
            term = np.sign(diff) * np.power(ad, p - 1) * gd / np.power(dd, p - 1)
            term = np.where((dd == 0) | ((diff == 0) & (p < 1)), 0, term)
        elif p == 2:
            term = np.where(dd == 0, 0, gd * diff / dd)
        elif math.isinf(p):
            term = gd * np.sign(diff) * (np.abs(diff) == dd)
        else:
            ad = np.abs(diff)
            term = np.where(dd == 0, 0, diff * np.power(ad, p - 2) * gd / np.power(dd, p - 1))
    return term.sum(-2).astype(x1.dtype)


def _no_double_backward(m: Any, g: Any, *args: Any) -> Any:
    raise NotImplementedError("the derivative for '_cdist_backward' is not implemented.")


CdistBackwardBackward0 = node_class("CdistBackwardBackward0", _no_double_backward,
                                    _no_double_backward, _no_double_backward)


def _first_order(raw: Any) -> Any:
    # torch's _cdist_backward has no derivative: under create_graph the gradient hangs on
    # CdistBackwardBackward0, which fails when reached.
    def formula(m: Any, g: Any, x1: Any, x2: Any, dist: Any, p: float) -> Any:
        if not isinstance(g, Tensor):
            return raw(g, x1, x2, dist, p)
        out = wrap(raw(g._data, x1._data, x2._data, dist._data, p))
        inputs = (g, x1, x2)
        if needs_grad(*inputs):
            attach(CdistBackwardBackward0, out, inputs)
        return out

    return formula


CdistBackward0 = node_class(
    "CdistBackward0",
    _first_order(_cdist_grad_x1),
    _first_order(lambda g, x1, x2, dist, p: _cdist_grad_x1(
        g.swapaxes(-1, -2), x2, x1, dist.swapaxes(-1, -2), p)),
)


def _euclid_x1(m: Any, g: Any, x1: Any, x2: Any, result: Any) -> Any:
    ratio = m.where(result == 0, 0.0, g / result)
    return x1 * m.sum(ratio, (-1,), True) - m.matmul(ratio, x2)


def _euclid_x2(m: Any, g: Any, x1: Any, x2: Any, result: Any) -> Any:
    ratio = m.where(result == 0, 0.0, g / result)
    return x2 * m.unsqueeze(m.sum(ratio, (-2,)), -1) - m.matmul(m.mT(ratio), x1)


EuclideanDistBackward0 = node_class("EuclideanDistBackward0", _euclid_x1, _euclid_x2)


def _euclidean_dist(a: Tensor, b: Tensor) -> Tensor:
    """torch's matrix-product form of the Euclidean distance (used for many rows)."""
    x1, x2 = a._data, b._data
    one1 = np.ones(x1.shape[:-1] + (1,), dtype=x1.dtype)
    one2 = np.ones(x2.shape[:-1] + (1,), dtype=x2.dtype)
    n1 = (x1 * x1).sum(-1, keepdims=True)
    n2 = (x2 * x2).sum(-1, keepdims=True)
    lhs = np.concatenate([x1 * x1.dtype.type(-2), n1, one1], -1)
    rhs = np.concatenate([x2, one2, n2], -1)
    out = wrap(np.sqrt(np.maximum(np.matmul(lhs, rhs.swapaxes(-1, -2)), 0)))
    if needs_grad(a, b):
        attach(EuclideanDistBackward0, out, (a, b), (a, b, out))
    return out


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = (
        "use_mm_for_euclid_dist_if_necessary")) -> Tensor:
    """Computes the batched p-norm distance between each pair of the two collections of
    row vectors."""
    check_tensor(x1, "x1", 0, "cdist")
    check_tensor(x2, "x2", 1, "cdist")
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = x1._data, x2._data
    for name, t in (("X1", a), ("X2", b)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{a.shape[-1]} X2: {b.shape[-1]}")
    for name, t in (("X1", a), ("X2", b)):
        if t.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{FROM_NUMPY[t.dtype]._legacy}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {FROM_NUMPY[a.dtype]._legacy} but found "
                           f"{FROM_NUMPY[b.dtype]._legacy}")
    if a.dtype == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    r1, r2 = a.shape[-2], b.shape[-2]
    mode = _MODES[compute_mode]
    if a.size and b.size and p == 2 and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))):
        if a.shape[:-2] != batch or b.shape[:-2] != batch:
            n = int(np.prod(batch))
            x1 = reshape(expand(x1, batch + a.shape[-2:]), (n,) + a.shape[-2:])
            x2 = reshape(expand(x2, batch + b.shape[-2:]), (n,) + b.shape[-2:])
        dist = _euclidean_dist(x1, x2)
        return view(dist, batch + (r1, r2))
    out = wrap(_cdist_values(a, b, float(p)).astype(a.dtype, copy=False))
    if needs_grad(x1, x2):
        meta = tuple(None if t.shape[:-2] == batch else (t.shape, t.dtype) for t in (a, b))
        attach(CdistBackward0, out, (x1, x2), (x1, x2, out, float(p)), (), meta)
    return out


def _dist_grad(sign: float) -> Any:
    # torch's norm_backward of self - other, for each operand with its sign.
    def formula(m: Any, g: Any, self: Any, other: Any, result: Any, p: float, shape: tuple,
                dt: np.dtype) -> Any:
        dims = tuple(range(len(shape)))
        grad = _vector_norm_grad(m, g, self - other, result, p, shape, dims, False, dt)
        if sign > 0:
            return grad
        if grad is None:
            # The 0-norm has no gradient, and torch negates that undefined tensor.
            raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor "
                               "in C++) for argument #0 'self'")
        return -grad

    return formula


DistBackward0 = node_class("DistBackward0", _dist_grad(1.0), _dist_grad(-1.0))


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """Returns the p-norm of (input - other); the shapes of input and other must be
    broadcastable."""
    check_tensor(input, "input", 0, "dist")
    check_tensor(other, "other", 1, "dist")
    a, b, x, y, dt = operands(input, other)
    if dt.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {FROM_NUMPY[dt]._legacy} instead.")
    with np.errstate(all="ignore"):
        d = np.subtract(x, y, dtype=dt)
    out = vector_norm(wrap(d), p)
    if needs_grad(a, b):
        attach(DistBackward0, out, (a, b), (a, b, out), (float(p), d.shape, dt),
               _meta(d, a, b))
    return out


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """Computes the pairwise distance between input vectors, or between columns of input
    matrices: the p-norm of x1 - x2 + eps over the last dimension."""
    check_tensor(x1, "x1", 0, "pairwise_distance")
    check_tensor(x2, "x2", 1, "pairwise_distance")
    innermost = max(x1._data.ndim, x2._data.ndim) - 1
    return norm_dims(add(sub(x1, x2), eps), p, innermost, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Returns cosine similarity between x1 and x2, computed along dim: the sum over dim of
    (x1 / max(||x1||, eps)) * (x2 / max(||x2||, eps))."""
    check_tensor(x1, "x1", 0, "cosine_similarity")
    check_tensor(x2, "x2", 1, "cosine_similarity")
    common = result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common._legacy}")
    # integer (and bool) inputs compute in the common dtype
    if x1._data.dtype.kind in "biu":
        x1 = to(x1, common)
    if x2._data.dtype.kind in "biu":
        x2 = to(x2, common)
    shape = broadcast_shape(x1._data.shape, x2._data.shape)
    a = x1 if x1._data.shape == shape else expand(x1, shape)
    b = x2 if x2._data.shape == shape else expand(x2, shape)
    # Each divided by its norm first, which keeps the result in [-1, 1]; the norms are
    # clones, so that clamping them in place leaves the norms' own nodes their results.
    na = clone(vector_norm(a, 2, dim, True))
    nb = clone(vector_norm(b, 2, dim, True))
    with no_grad():
        np.maximum(na._data, na._data.dtype.type(eps), out=na._data)
        np.maximum(nb._data, nb._data.dtype.type(eps), out=nb._data)
    return sum(mul(div(a, na), div(b, nb)), dim)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Does the cartesian product of the given sequence of 1-D tensors: the rows of the
    result are every combination of one element of each."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError("Expect a 1D vector, but got shape "
                               f"[{', '.join(str(s) for s in t._data.shape)}]")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Compute combinations of length r of the given 1-D tensor (as Python's
    itertools.combinations, or combinations_with_replacement)."""
    check_tensor(input, fn="combinations")
    x = input._data
    if x.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {shape_str(x.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(np.empty(0, x.dtype))
    # torch's: an r-dimensional grid of the input, the positions whose indices increase
    # (or do not decrease) selected from each coordinate, stacked as columns.
    n = x.shape[0]
    idx = np.indices((n,) * r)
    mask = np.ones((n,) * r, bool)
    for k in range(r - 1):
        mask &= (idx[k] <= idx[k + 1]) if with_replacement else (idx[k] < idx[k + 1])
    grids = meshgrid(*([input] * r), indexing="ij")
    return stack([masked_select(g, wrap(mask)) for g in grids], 1)


def _sides(y: Tensor, dim: int) -> Tensor:
    # y's right and left samples along dim, added: torch's y.slice(dim, 1) + y.slice(dim, 0, -1).
    n = y._data.shape[dim]
    return add(slice_dim(y, dim, 1, n, 1), slice_dim(y, dim, 0, max(n - 1, 0), 1))


def _spacing(name: str, y: Tensor, x: Tensor, dim: int) -> Tensor:
    """torch's dx for sample points x: their differences along dim, x viewed to y's rank."""
    if y._data.dtype.kind == "b" or x._data.dtype.kind == "b":
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    xs, nd = x._data.shape, y._data.ndim
    if len(xs) == 1:
        if xs[0] != y._data.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * nd
        shape[dim] = xs[0]
        x = view(x, shape)
    elif len(xs) < nd:
        x = view(x, [1] * (nd - len(xs)) + list(xs))
    n = x._data.shape[dim]
    return sub(slice_dim(x, dim, 1, n, 1), slice_dim(x, dim, 0, max(n - 1, 0), 1))


def _check_dx(name: str, y: Tensor, dx: Any) -> float:
    if y._data.dtype.kind == "b":
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if isinstance(dx, (bool, complex, np.bool_)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Computes the trapezoidal rule along dim: the integral of y over the sample points x,
    or over points spaced dx apart (1 by default)."""
    check_tensor(y, "y", 0, "trapezoid")
    if isinstance(x, Tensor):
        d = wrap_dim(dim, y._data.ndim)
        if y._data.shape[d] == 0:
            return _zeros_except(y, d)
        return scalar_op(sum(mul(_sides(y, d), _spacing("trapezoid", y, x, d)), d), 2.0, True)
    d = wrap_dim(dim, y._data.ndim, wrap_scalar=False)
    if y._data.shape[d] == 0:
        return _zeros_except(y, d)
    step = _check_dx("trapezoid", y, 1 if dx is None else dx)
    ends = add(select(y, d, 0), select(y, d, -1))
    return scalar_op(sub(sum(y, d), scalar_op(ends, 0.5)), step)


def _zeros_except(y: Tensor, dim: int) -> Tensor:
    # Zero samples integrate to 0, as in NumPy: zeros of y's shape without dim.
    shape = tuple(s for i, s in enumerate(y._data.shape) if i != dim)
    return wrap(np.zeros(shape, y._data.dtype))


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Alias of trapezoid()."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Any = None,
                         dim: int = -1) -> Tensor:
    """Cumulatively computes the trapezoidal rule along dim: the integrals of y up to each
    sample point but the first."""
    check_tensor(y, "y", 0, "cumulative_trapezoid")
    nd = y._data.ndim
    if not nd:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd)
    if isinstance(x, Tensor):
        spacing = _spacing("cumulative_trapezoid", y, x, d)
        return scalar_op(cumsum(mul(_sides(y, d), spacing), d), 2.0, True)
    step = _check_dx("cumulative_trapezoid", y, 1 if dx is None else dx)
    return cumsum(scalar_op(_sides(y, d), step / 2.0), d)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
