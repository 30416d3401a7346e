"""The namespaces derivative formulas are written against.

A formula such as `lambda m, g, x: g * m.cos(x)` runs on NumPy arrays with `m = raw` (plain
backward: no tensors, no graph) and on tensors with `m = graph` (create_graph=True, where
the formula's own operations record a graph, so higher derivatives need nothing more).
Both namespaces offer the same names with torch's meaning.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..autograd.graph import Math
from . import _gamma, _sleef, _special


def scalar_power(x: np.ndarray, e: Any) -> np.ndarray:
    """x ** e for a Python number e, as torch computes it (see power_by_number); a tensor
    exponent takes the plain power."""
    with np.errstate(all="ignore"):
        # (Any array with a NumPy dtype: also compile's traced arrays, so that a replay
        # computes the power as eager does; NumPy 1.x's np.power(x, 2) is not x * x.)
        if type(e) in (int, float) and isinstance(getattr(x, "dtype", None), np.dtype):
            return power_by_number(x, e)
        return np.power(x, e)


def power_by_number(x: np.ndarray, e: float) -> np.ndarray:
    """x ** e for an array x and a Python number e, computed the way torch's CPU kernel
    chooses: float and double squares, cubes and their reciprocals by multiplication
    ((x * x) * x, bit for bit torch's), 0.5 and -0.5 as sqrt and 1 / sqrt (so -0 ** -0.5 is
    -inf and -inf ** -0.5 is nan), other exponents and half floats by pow. The caller
    silences NumPy."""
    dt = x.dtype
    if dt.kind == "f" and dt.itemsize >= 4:
        if e == 2:
            return x * x
        if e == 3:
            return x * x * x
        if e == -2:
            return dt.type(1) / (x * x)
        if e == 0.5:
            return np.sqrt(x)
        if e == -0.5:
            return dt.type(1) / np.sqrt(x)
    return np.power(x, dt.type(e) if dt.kind == "f" else e)


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    if not shape and g.dtype.itemsize > 2:
        # The gradient of a 0-dim operand (b in b * x): a full sum, 3 us where the axes
        # below take 5 us. (Half floats sum in float32: _sum.)
        return np.asarray(np.add.reduce(g, None))
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = _sum(g, axes, True)
    return g.reshape(shape) if lead or g.shape != shape else g


def _sum(x: np.ndarray, dims: Any = None, keepdim: bool = False) -> np.ndarray:
    if x.dtype == np.float16:
        # A float16 gradient sums in float32, as torch's kernels (see reduce_dtype).
        with np.errstate(over="ignore"):
            return np.asarray(x.sum(axis=dims, keepdims=keepdim, dtype=np.float32),
                              dtype=np.float16)
    return np.asarray(x.sum(axis=dims, keepdims=keepdim))


def _expand(g: np.ndarray, shape: tuple) -> np.ndarray:
    """g broadcast to shape, read-only: a 0-dim g (the gradient of a full sum or mean) as a
    strided view made directly, 0.2 us where np.broadcast_to takes 5 us."""
    if type(g) is np.ndarray and not g.ndim:
        view = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return np.broadcast_to(g, shape)


def _unsqueeze_dims(g: np.ndarray, dims: tuple, ndim: int) -> np.ndarray:
    """Re-inserts the reduced dimensions `dims` of an `ndim`-dimensional input."""
    return np.expand_dims(g, dims) if dims else g.reshape((1,) * ndim)


def _where(cond: Any, a: Any, b: Any) -> np.ndarray:
    return np.asarray(np.where(cond, a, b))


if np.lib.NumpyVersion(np.__version__) < "2.0.0":
    _ARRAYS = (np.ndarray, np.generic)

    def _weak(n: Any, other: Any) -> Any:
        # NumPy 1.x's where makes a Python number a float64/int64 array before promoting
        # (even with NEP 50 on), widening float32; torch keeps it weak: the array's dtype.
        if (type(n) is float or type(n) is int) and isinstance(other, _ARRAYS) \
                and other.dtype.kind in "fc":
            return other.dtype.type(n)
        return n

    def _where(cond: Any, a: Any, b: Any) -> np.ndarray:
        return np.asarray(np.where(cond, _weak(a, b), _weak(b, a)))


def _xlogy(x: Any, y: Any) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _where((x == 0) & ~np.isnan(y), 0, x * np.log(y))


_INT_OF = {2: np.int16, 4: np.int32, 8: np.int64}


def _threshold_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g where x > 0 (or x is NaN), else 0: relu's gradient."""
    return zero_where(x <= 0, g)


def zero_where(cond: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g with +0 where cond holds.

    np.where with a data-dependent mask mispredicts a branch per element (several times
    slower than a multiply on relu's half-zero masks); the same selection as a bitwise AND of
    g's bits with an all-ones/all-zeros mask is branch-free and exact (NaN payloads and -0
    kept)."""
    it = _INT_OF.get(g.dtype.itemsize)
    if g.dtype.kind != "f" or it is None or g.shape != cond.shape or not cond.ndim:
        return np.where(cond, g.dtype.type(0), g)
    mask = cond.view(np.uint8).astype(it)
    mask -= 1
    np.bitwise_and(mask, g.view(it), out=mask)
    return mask.view(g.dtype)


def accumulate(fn: Any, x: np.ndarray, dim: int) -> np.ndarray:
    """np.cumsum or np.cumprod along dim as torch's CPU kernels run them: float32 running
    sums and products are kept in double, float16 ones in float32."""
    if not x.ndim:
        return x.copy()
    with np.errstate(all="ignore"):
        if x.dtype.kind == "f" and x.dtype.itemsize < 8:
            acc = np.float32 if x.dtype == np.float16 else np.float64
            return fn(x, axis=dim, dtype=acc).astype(x.dtype)
        # NumPy would widen small integer types to the platform integer.
        return fn(x, axis=dim, dtype=x.dtype)


def logcumsumexp(x: np.ndarray, dim: int) -> np.ndarray:
    """log(cumsum(exp(x))) along dim, stably, as torch's CPU kernel runs it: each step a
    log-add-exp of the running value in double (float32) or float (float16)."""
    return accumulate(np.logaddexp.accumulate, x, dim)


def reduce_dtype(dt: np.dtype) -> np.dtype:
    """The dtype torch's CPU sums, means, norms and variances accumulate in: float32 for
    float16, rounded once at the end (NumPy rounds float16 at every step of a reduction over
    a strided axis, and between a mean's sum and its division)."""
    return np.dtype(np.float32) if dt == np.float16 else dt


def product(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """np.prod as torch's CPU kernel takes it: a float16 running product is rounded to
    float16 after every factor, so it overflows where NumPy's float32 one does not."""
    if x.dtype != np.float16 or not x.size or not x.ndim:
        return np.prod(x, axis=axis, keepdims=keepdims)
    a = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    acc = a[..., 0].copy()
    with np.errstate(all="ignore"):
        for k in range(1, a.shape[-1]):
            acc = np.multiply(acc, a[..., k])
    if keepdims:
        acc = acc.reshape((1,) * x.ndim) if axis is None else np.expand_dims(acc, axis)
    return acc


# Above this many elements in_double lets the ufunc cast block by block: float64 copies of a
# large array are fresh allocations the OS maps page by page (a 320x1000 float32 log_softmax
# gradient: 9 ms in page faults per call inside a training loop, against 0.4 ms in blocks).
DOUBLE_BLOCK = 16384
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def in_double(fn: Any) -> Any:
    """fn on float32 arrays computed in float64 and rounded once: NumPy's float32 tanh, exp,
    cosh... miss the nearest float in up to a third of cases, torch's kernels almost never."""
    def f(x: Any) -> Any:
        dt = getattr(x, "dtype", None)
        if dt is not _F32 and dt != _F32:
            return fn(x)
        if x.size <= DOUBLE_BLOCK:
            # Two casts and the float64 loop: the ufunc's own casting (below) costs more to
            # set up than a small array costs to compute.
            return fn(x.astype(_F64)).astype(_F32)
        # The ufunc casts through its buffers (8,192 elements) into the float32 result: the
        # same float64 loop on the same values, rounded once, with no float64 copy.
        return fn(x, dtype=_F64, out=np.empty(x.shape, _F32))

    f.__name__ = getattr(fn, "__name__", "f")
    return f


tanh = in_double(np.tanh)
exp = in_double(np.exp)
log1p = in_double(np.log1p)


def _sign(x: np.ndarray) -> np.ndarray:
    # torch's sign is (0 < x) - (x < 0): 0 at NaN, where NumPy's is NaN.
    if x.dtype.kind == "f":
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
    return np.sign(x)


def _div_floor(x: np.ndarray, y: Any) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(x, y)


raw = SimpleNamespace(
    sum_to=_sum_to,
    cast=lambda g, dt: g.astype(dt),
    sum=_sum,
    expand=_expand,
    reshape=np.reshape,
    unsqueeze_dims=_unsqueeze_dims,
    unsqueeze=np.expand_dims,
    squeeze=np.squeeze,
    where=_where,
    exp=exp,
    log=np.log,
    log1p=log1p,
    sin=np.sin,
    cos=np.cos,
    sqrt=np.sqrt,
    sign=_sign,
    abs=np.abs,
    sigmoid=lambda x: 1 / (1 + np.exp(-x)),
    matmul=np.matmul,
    mT=lambda x: x.swapaxes(-1, -2),
    transpose=lambda x, a, b: x.swapaxes(a, b),
    permute=np.transpose,
    outer=lambda a, b: np.multiply.outer(a, b),
    zeros_like=np.zeros_like,
    ones_like=np.ones_like,
    pow=scalar_power,
    rsqrt=lambda x: 1 / np.sqrt(x),
    sinh=_sleef.sinh,
    cosh=_sleef.cosh,
    floor=np.floor,
    div_floor=_div_floor,
    trunc=np.trunc,
    isfinite=np.isfinite,
    erfinv=_special.erfinv,
    xlogy=_xlogy,
    cumsum=lambda x, dim: accumulate(np.cumsum, x, dim),
    cumprod=lambda x, dim: accumulate(np.cumprod, x, dim),
    logcumsumexp=logcumsumexp,
    threshold_backward=_threshold_backward,
)

# Filled in by the ops package with ember's own differentiable ops.
graph = SimpleNamespace()

Math.raw = raw
Math.graph = graph


# -- indexing, joining and views (arrays in, arrays out) ------------------------------------

def _along(dim: int, i: Any) -> tuple:
    return (slice(None),) * dim + (i,)


def _embed(g: np.ndarray, shape: tuple, key: tuple) -> np.ndarray:
    out = np.zeros(shape, g.dtype)
    out[key] = g
    return out


def _scatter_copy(x: np.ndarray, src: np.ndarray, key: tuple) -> np.ndarray:
    out = x.copy()
    out[key] = src
    return out


def _gather_key(index: np.ndarray, dim: int) -> tuple:
    nd = index.ndim
    return tuple(index if k == dim else
                 np.arange(index.shape[k]).reshape([-1 if j == k else 1 for j in range(nd)])
                 for k in range(nd))


def _as_1d(shape: tuple) -> tuple:
    return shape if shape else (1,)


def _gather(g: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    out = g.reshape(_as_1d(g.shape))[_gather_key(index, dim)]
    return out.reshape(index.shape if g.ndim else ())


def _scatter_add(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = np.array(x.reshape(_as_1d(x.shape)), copy=True)
    s = src.reshape(_as_1d(src.shape))[tuple(slice(0, n) for n in index.shape)]
    np.add.at(out, _gather_key(index, dim), s)
    return out.reshape(x.shape)


def _scatter_value(x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
    out = np.array(x.reshape(_as_1d(x.shape)), copy=True)
    out[_gather_key(index, dim)] = value
    return out.reshape(x.shape)


def _index_backward(g: np.ndarray, shape: tuple, indices: tuple) -> np.ndarray:
    out = np.zeros(shape, g.dtype)
    np.add.at(out, tuple(slice(None) if i is None else i for i in indices), g)
    return out


def _index_put(x: np.ndarray, indices: tuple, values: np.ndarray, accumulate: bool
               ) -> np.ndarray:
    out = x.copy()
    key = tuple(slice(None) if i is None else i for i in indices)
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


def _index_select_backward(g: np.ndarray, shape: tuple, dim: int, index: np.ndarray
                           ) -> np.ndarray:
    out = np.zeros(_as_1d(shape), g.dtype)
    np.add.at(np.moveaxis(out, dim, 0), index, np.moveaxis(g.reshape(_as_1d(g.shape)), dim, 0))
    return out.reshape(shape)


def _index_fill(x: np.ndarray, dim: int, index: np.ndarray, value: Any) -> np.ndarray:
    out = np.array(x.reshape(_as_1d(x.shape)), copy=True)
    np.moveaxis(out, dim, 0)[index] = value
    return out.reshape(x.shape)


def _take_backward(g: np.ndarray, shape: tuple, index: np.ndarray) -> np.ndarray:
    out = np.zeros(int(np.prod(shape, dtype=np.int64)), g.dtype)
    np.add.at(out, index.reshape(-1), g.reshape(-1))
    return out.reshape(shape)


def _masked_scatter(x: np.ndarray, mask: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = np.array(np.broadcast_to(x, mask.shape), copy=True)
    k = int(mask.sum())
    out[mask] = src.reshape(-1)[:k]
    return out


def _as_strided_backward(g: np.ndarray, shape: tuple, index: np.ndarray) -> np.ndarray:
    out = np.zeros(int(np.prod(shape, dtype=np.int64)), g.dtype)
    np.add.at(out, index.reshape(-1), g.reshape(-1))
    return out.reshape(shape)


def _as_strided_scatter(x: np.ndarray, src: np.ndarray, index: np.ndarray) -> np.ndarray:
    out = np.array(x, copy=True).reshape(-1)
    out[index.reshape(-1)] = src.reshape(-1)
    return out.reshape(x.shape)


raw.zeros = np.zeros
raw.digamma, raw.polygamma = _gamma.digamma, _gamma.polygamma
raw.const = lambda a: a
raw.narrow = lambda g, dim, start, length: g[_along(dim, slice(start, start + length))]
raw.select = lambda g, dim, i: g[_along(dim, i)]
raw.slice = lambda g, dim, start, end, step: g[_along(dim, slice(start, end, step))]
raw.select_backward = lambda g, shape, dim, i: _embed(g, shape, _along(dim, i))
raw.slice_backward = lambda g, shape, dim, start, end, step: _embed(
    g, shape, _along(dim, slice(start, end, step)))
raw.select_scatter = lambda x, src, dim, i: _scatter_copy(x, src, _along(dim, i))
raw.slice_scatter = lambda x, src, dim, start, end, step: _scatter_copy(
    x, src, _along(dim, slice(start, end, step)))
raw.cat = lambda arrays, dim: np.concatenate(arrays, axis=dim)
raw.stack = lambda arrays, dim: np.stack(arrays, axis=dim)
raw.flip = lambda g, dims: np.flip(g, dims) if dims else g
raw.rot90 = lambda g, k, dims: np.rot90(g, k, dims)
raw.roll = lambda g, shifts, dims: np.roll(g, shifts[0]) if dims is None else np.roll(
    g, shifts, dims)
raw.index = lambda g, indices: g[tuple(slice(None) if i is None else i for i in indices)]
raw.index_backward = _index_backward
raw.index_put = _index_put
raw.gather = _gather
raw.gather_backward = lambda g, shape, dim, index: _scatter_add(
    np.zeros(shape, g.dtype), dim, index, g)
raw.scatter_add = _scatter_add
raw.scatter_value = _scatter_value
raw.index_select = lambda x, dim, index: np.take(x.reshape(_as_1d(x.shape)), index, axis=dim)
raw.index_select_backward = _index_select_backward
raw.index_fill = _index_fill
raw.masked_select = lambda x, mask: np.broadcast_to(x, mask.shape)[mask]
raw.masked_scatter = _masked_scatter
raw.take_backward = _take_backward
# Through a flat key, so that a 0-dim index gives a 0-dim array rather than a NumPy scalar.
raw.as_strided_view = lambda g, index: g.reshape(-1)[index.reshape(-1)].reshape(index.shape)
raw.as_strided_scatter = _as_strided_scatter
raw.as_strided_backward = _as_strided_backward


# -- matrices ---------------------------------------------------------------------------------

def _diag_embed(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    out = np.zeros(x.shape + (n,), x.dtype)
    idx = np.arange(n)
    out[..., idx, idx] = x
    return out


def _einsum_core(operands: list, subs: list, out: tuple) -> np.ndarray:
    args: list = []
    for o, s in zip(operands, subs):
        args += [o, list(s)]
    return np.asarray(np.einsum(*args, list(out), optimize=len(operands) > 2),
                      dtype=operands[0].dtype)


raw.eye = lambda shape, dt: np.eye(shape[0], shape[1], dtype=dt)
raw.tril = np.tril
raw.triu = np.triu
raw.diagonal = lambda x, offset, d1, d2: np.diagonal(x, offset, d1, d2)
raw.diag_embed = _diag_embed
raw.cross = lambda a, b, dim: np.cross(*np.broadcast_arrays(a, b), axis=dim)
raw.einsum_core = _einsum_core
raw.inv = np.linalg.inv
# The families add the helpers that share their forward code (ops/indexing.py:
# scatter_reduce; ops/matrix.py: diagonal_backward, diagonal_scatter; ops/decomp.py:
# solve_triangular, det_backward; ops/matrix_functions.py: matrix_exp, pinv).


def register_math_pairs(pairs: dict) -> None:
    """Add helpers to both namespaces: name -> (NumPy form for plain backward, ember op for
    create_graph). A name a namespace already has is kept."""
    for name, (raw_fn, graph_fn) in pairs.items():
        if not hasattr(raw, name):
            setattr(raw, name, raw_fn)
        if not hasattr(graph, name):
            setattr(graph, name, graph_fn)
