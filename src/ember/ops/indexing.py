"""Indexing: `tensor[key]` and `tensor[key] = value` with torch's semantics (basic indexing
gives views; integer and boolean tensors index the way at::index does), and the gather,
scatter, index_* and masked_* families.

Index arrays are kept in ctx as int64 arrays (negative entries already wrapped); repeated
indices accumulate their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from . import _math
from ._core import (
    attach,
    broadcast_shape,
    check_out_shape,
    check_tensor,
    checked_scalar,
    node_class,
    shape_str,
    wrap,
    wrap_dim,
)
from .shape import alias, expand, select, slice_dim, unbind, unsqueeze

__all__ = ["index_put", "gather", "scatter", "scatter_add", "scatter_reduce", "index_select",
           "index_add", "index_copy", "index_fill", "masked_fill", "masked_scatter",
           "masked_select", "take", "put", "take_along_dim", "nonzero", "argwhere",
           "unravel_index"]


def _key(indices: tuple) -> tuple:
    """The NumPy key for at::index's list of optional index arrays (NumPy places the
    broadcast index dimensions exactly as torch does)."""
    return tuple(slice(None) if i is None else i for i in indices)


IndexBackward0 = node_class(
    "IndexBackward0", lambda m, g, shape, indices: m.index_backward(g, shape, indices))
IndexPutBackward0 = node_class(
    "IndexPutBackward0",
    lambda m, g, indices, accumulate: g if accumulate else m.index_put(
        g, indices, m.zeros((), g.dtype), False),
    lambda m, g, indices, accumulate: m.index(g, indices),
)


def _int_index(arr: np.ndarray, n: int, dim: int) -> np.ndarray:
    """Checks an integer index array against a dimension of size n; wraps negatives."""
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < -n or hi >= n:
            bad = arr[(arr < -n) | (arr >= n)].flat[0]
            raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        if lo < 0:
            arr = np.where(arr < 0, arr + n, arr)
    return arr.astype(np.int64, copy=False)


def _broadcast_indices(arrays: list) -> None:
    try:
        np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError:
        shapes = ", ".join(shape_str(a.shape) for a in arrays)
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {shapes}") from None


def index(input: Tensor, indices: tuple) -> Tensor:
    """at::index: `indices` holds one int64 array (or None) per leading dimension."""
    x = input._data
    res = wrap(x[_key(indices)])
    if input._rg and _mode.enabled:
        attach(IndexBackward0, res, (input,), (), (x.shape, indices))
    return res


def _index_arrays(indices: Any, x: np.ndarray) -> tuple:
    """Checked, wrapped int64 arrays from a list of index tensors (bool ones expand to their
    nonzero coordinates), or None entries."""
    out: list = []
    for t in indices:
        if t is None:
            out.append(None)
            continue
        a = t._data if isinstance(t, Tensor) else np.asarray(t)
        if a.dtype.kind == "b" or a.dtype == np.uint8:
            d0 = len(out)
            for j, s in enumerate(a.shape):
                if d0 + j >= x.ndim or x.shape[d0 + j] != s:
                    raise IndexError(
                        f"The shape of the mask {shape_str(a.shape)} at index {j} does not "
                        f"match the shape of the indexed tensor {shape_str(x.shape)} at index "
                        f"{d0 + j}")
            out.extend(np.nonzero(a.astype(bool)))
        elif a.dtype.kind in "iu":
            out.append(a)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if len(out) > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got "
                         f"{len(out)})")
    _broadcast_indices([a for a in out if a is not None])
    return _Prepared(None if a is None else _int_index(a, x.shape[d], _place(out, d))
                     for d, a in enumerate(out))


def _place(indices: list, d: int) -> int:
    # torch moves the indexed dimensions to the front before checking them, so its message
    # counts only the index arrays before this one.
    return sum(a is not None for a in indices[:d])


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """Puts values from the tensor values into a copy of input at the positions given by the
    tuple of index tensors (adding them up with accumulate=True)."""
    x = input._data
    check_tensor(values, "values", 2, "index_put")
    v = values._data
    if v.dtype != x.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{FROM_NUMPY[x.dtype]._legacy} for the destination and "
            f"{FROM_NUMPY[v.dtype]._legacy} for the source.")
    idx = indices if isinstance(indices, _Prepared) else _index_arrays(indices, x)
    return _index_put(input, idx, values, accumulate)


class _Prepared(tuple):
    """Index arrays that are already checked and wrapped."""

    __slots__ = ()


def _index_put(input: Tensor, idx: tuple, values: Tensor, accumulate: bool) -> Tensor:
    x = input._data
    key = _key(idx)
    target_shape = x[key].shape if x.size or not idx else _gathered_shape(x, idx)
    v = values._data
    try:
        vb = np.broadcast_to(v, target_shape)
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {shape_str(v.shape)} cannot "
                           "be broadcast to indexing result of shape "
                           f"{shape_str(target_shape)}") from None
    out = x.copy()
    if accumulate:
        np.add.at(out, key, vb)
    else:
        out[key] = vb
    res = wrap(out)
    if _mode.enabled and (input._rg or values._rg):
        meta = None if v.shape == target_shape else [None, (v.shape, v.dtype)]
        attach(IndexPutBackward0, res, (input, values), (), (_Prepared(idx), accumulate), meta)
    return res


def _gathered_shape(x: np.ndarray, idx: tuple) -> tuple:
    return x[_key(idx)].shape


# -- tensor[key] -------------------------------------------------------------------------

_INDEX_TYPES_MSG = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                    "Variables are valid indices (got {})")


def _as_tuple(key: Any) -> tuple:
    if type(key) is tuple:
        return key
    if isinstance(key, list) and any(
            isinstance(k, (Tensor, list, tuple, slice)) or k is None or k is Ellipsis
            for k in key):
        # torch still reads a list holding slices or sequences as a tuple (deprecated).
        return tuple(key)
    return (key,)


def _consumed(k: Any) -> int:
    if k is None or k is Ellipsis or isinstance(k, bool):
        return 0
    if isinstance(k, Tensor):
        a = k._data
        return a.ndim if (a.dtype.kind == "b" or a.dtype == np.uint8) else 1
    if isinstance(k, (list, np.ndarray)):
        a = np.asarray(k)
        return a.ndim if a.dtype.kind == "b" else 1
    return 1


def _apply_basic(self: Tensor, key: tuple, skip_full: bool = True) -> tuple:
    """Applies ints, slices, None and Ellipsis as views (torch's applySlicing); returns the
    view and the advanced indices found, as (dimension in the view, value) pairs. As in
    torch, a slice that keeps a whole dimension makes no view unless `skip_full` is off
    (a lone slice read as `x[a:b]`)."""
    x = self._data
    nd = x.ndim
    specified = 0
    for k in key:
        specified += _consumed(k)
    if specified > nd:
        if nd == 0 and isinstance(key[0], slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    res = self
    dim = 0
    adv: list = []
    for k in key:
        if isinstance(k, bool):
            res = unsqueeze(res, dim)
            adv.append((dim, np.zeros(1 if k else 0, np.int64)))
            dim += 1
        elif isinstance(k, (int, np.integer)):
            n = res._data.shape[dim]
            if k < -n or k >= n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            res = select(res, dim, k)
        elif isinstance(k, slice):
            if res._data.ndim == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            step = 1 if k.step is None else int(k.step)
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
            n = res._data.shape[dim]
            a, b, _ = k.indices(n)
            # torch compares the slice as written (only its stop clamped) with the size.
            full = (k.start is None or k.start == 0) and step == 1 and (
                k.stop is None or k.stop >= n)
            if not (skip_full and full):
                res = slice_dim(res, dim, a, max(a, b), step)
            dim += 1
        elif k is None:
            res = unsqueeze(res, dim)
            dim += 1
        elif k is Ellipsis:
            dim += nd - specified
        elif isinstance(k, Tensor) or isinstance(k, (list, np.ndarray)):
            a = k._data if isinstance(k, Tensor) else _list_index(k)
            if a.ndim == 0 and a.dtype.kind in "iu" and isinstance(k, Tensor):
                n = res._data.shape[dim]
                i = int(a)
                if i < -n or i >= n:
                    raise IndexError(f"index {i} is out of bounds for dimension {dim} with "
                                     f"size {n}")
                res = select(res, dim, i)
                continue
            if a.dtype.kind == "b" or a.dtype == np.uint8:
                if a.ndim == 0:
                    res = unsqueeze(res, dim)
                    adv.append((dim, np.zeros(1 if a else 0, np.int64)))
                    dim += 1
                    continue
                xs = res._data.shape
                for j, s in enumerate(a.shape):
                    if xs[dim + j] != s:
                        raise IndexError(
                            f"The shape of the mask {shape_str(a.shape)} at index {j} does not "
                            f"match the shape of the indexed tensor {shape_str(xs)} at index "
                            f"{dim + j}")
                for j, c in enumerate(np.nonzero(a.astype(bool))):
                    adv.append((dim + j, c))
                dim += a.ndim
            elif a.dtype.kind in "iu":
                adv.append((dim, a))
                dim += 1
            else:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
        elif isinstance(k, float):
            raise IndexError(_INDEX_TYPES_MSG.format("float"))
        else:
            raise IndexError(_INDEX_TYPES_MSG.format(type(k).__name__))
    return res, adv


def _list_index(k: Any) -> np.ndarray:
    a = np.asarray([v.item() if isinstance(v, Tensor) else v for v in k]
                   if isinstance(k, list) else k)
    if not a.size:
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a


def _advanced(res: Tensor, adv: list) -> tuple:
    shape = res._data.shape
    arrays = [a for _, a in adv]
    _broadcast_indices(arrays)
    slots: list = [None] * (max(d for d, _ in adv) + 1)
    for d, a in adv:
        slots[d] = a
    for d, a in adv:
        slots[d] = _int_index(a, shape[d], _place(slots, d))
    return _Prepared(slots)


def getitem(self: Tensor, key: Any) -> Tensor:
    """self[key], with torch's indexing rules."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and self._data.ndim:
        n = self._data.shape[0]
        if key < -n or key >= n:
            raise IndexError(f"index {key} is out of bounds for dimension 0 with size {n}")
        return select(self, 0, key)
    _check_int_of_0_dim(self, key)
    lone_slice = isinstance(key, slice)
    key = _as_tuple(key)
    res, adv = _apply_basic(self, key, not lone_slice)
    if adv:
        return index(res, _advanced(res, adv))
    if res is self:
        return alias(self)
    return res


def _check_int_of_0_dim(self: Tensor, key: Any) -> None:
    # A lone int (not in a tuple) indexing a 0-dim tensor has torch's own messages.
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and \
            not self._data.ndim:
        if key == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                             "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                             "number")
        raise IndexError(f"index {key} is out of bounds for dimension 0 with size 0")


def _strip_ones(v: Tensor) -> Tensor:
    # torch drops leading size-1 dimensions of the value before broadcasting it.
    s = v._data.shape
    k = 0
    while k < len(s) and s[k] == 1:
        k += 1
    if not k:
        return v
    from .shape import reshape

    return reshape(v, s[k:])


# -- gather and scatter ---------------------------------------------------------------------

def _gather_key(index: np.ndarray, dim: int) -> tuple:
    """The NumPy key that addresses, for every position of index, the element its value
    selects along dim."""
    nd = index.ndim
    key = []
    for k in range(nd):
        if k == dim:
            key.append(index)
        else:
            shape = [1] * nd
            shape[k] = index.shape[k]
            key.append(np.arange(index.shape[k]).reshape(shape))
    return tuple(key)


def _check_gather(fn: str, x: np.ndarray, dim: int, idx: Tensor, src: np.ndarray | None = None,
                  reduce: str | None = None) -> tuple:
    """torch's checks of gather and scatter, in their order: the dim, the index's dtype (an
    empty index is not looked at), src's dtype, then (for a non-empty index) the ranks, the
    sizes, scatter_reduce's `reduce` and the indices."""
    d = wrap_dim(dim, x.ndim)
    i = idx._data
    if i.size and i.dtype not in _INT32_64:
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != x.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    ii = i.reshape(i.shape if i.ndim else (1,))
    if not i.size:
        return d, ii
    xd = max(x.ndim, 1)
    if max(i.ndim, 1) != xd:
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if fn == 'gather' else 'self'} tensor")
    xs = x.shape if x.ndim else (1,)
    wrong = any(k != d and ii.shape[k] > xs[k] for k in range(xd))
    if fn == "gather" and wrong:
        k = next(k for k in range(xd) if k != d and ii.shape[k] > xs[k])
        raise RuntimeError(
            f"Size does not match at dimension {k} expected index {shape_str(i.shape)} to be "
            f"no larger than self {shape_str(x.shape)} apart from dimension {d}")
    if src is not None:
        if not wrong:
            # src's sizes are read dimension by dimension (a src of lower rank fails there).
            wrong = any(ii.shape[k] > (src.shape[wrap_dim(k, src.ndim)] if src.ndim else 1)
                        for k in range(xd))
        if max(src.ndim, 1) != xd:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
    if wrong:
        tail = f" and to be no larger size than src {shape_str(src.shape)}" \
            if src is not None else ""
        raise RuntimeError(f"Expected index {shape_str(i.shape)} to be no larger than self "
                           f"{shape_str(x.shape)} apart from dimension {d}{tail}")
    if reduce is not None:
        _check_reduce(reduce)
    n = xs[d]
    # gather and scatter refuse negative indices, unlike most of torch.
    if ii.min() < 0 or ii.max() >= n:
        bad = ii[(ii < 0) | (ii >= n)].flat[0]
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return d, ii


_INT32_64 = (np.dtype(np.int64), np.dtype(np.int32))


def _src_part(src: np.ndarray, ishape: tuple) -> np.ndarray:
    s = src.reshape(src.shape if src.ndim else (1,))
    return s[tuple(slice(0, n) for n in ishape)]


GatherBackward0 = node_class(
    "GatherBackward0",
    lambda m, g, shape, dim, index: m.gather_backward(g, shape, dim, index))


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False,
           out: Any = None) -> Tensor:
    """Gathers values along an axis specified by dim: out[i][j] = input[index[i][j]][j] for
    dim=0."""
    x = input._data
    d, ii = _check_gather("gather", x, dim, check_tensor(index, "index", 2, "gather"))
    xx = x.reshape(x.shape if x.ndim else (1,))
    data = xx[_gather_key(ii, d)] if ii.size else np.empty(ii.shape, x.dtype)
    res = wrap(data.reshape(index._data.shape))
    if input._rg and _mode.enabled:
        attach(GatherBackward0, res, (input,), (), (x.shape, d, ii))
    return res


def _scatter_array(x: np.ndarray, d: int, ii: np.ndarray, src: Any, how: str) -> np.ndarray:
    out = np.array(x.reshape(x.shape if x.ndim else (1,)), copy=True)
    if ii.size:
        key = _gather_key(ii, d)
        vals = _src_part(src, ii.shape) if isinstance(src, np.ndarray) else src
        if how == "add":
            np.add.at(out, key, vals)
        else:
            out[key] = vals
    return out.reshape(x.shape)


ScatterBackward0 = node_class(
    "ScatterBackward0",
    lambda m, g, dim, index: m.scatter_value(g, dim, index, 0),
    lambda m, g, dim, index: m.gather(g, dim, index),
)
ScatterBackward1 = node_class(
    "ScatterBackward1", lambda m, g, dim, index: m.scatter_value(g, dim, index, 0))
ScatterAddBackward0 = node_class(
    "ScatterAddBackward0", lambda m, g, dim, index: g,
    lambda m, g, dim, index: m.gather(g, dim, index),
)


def _src_meta(src: Tensor, ii: np.ndarray) -> Any:
    # torch's src gradient has the index's shape; its engine rejects a larger src then.
    s = src._data
    return None if s.shape == ii.shape else [None, (s.shape, s.dtype)]


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """Writes the values from src (or the number value) into a copy of input at the indices
    in index along dim."""
    if src is None:
        src = value
    x = input._data
    index = check_tensor(index, "index", 2, "scatter")
    if isinstance(src, Tensor):
        d, ii = _check_gather("scatter", x, dim, index, src._data)
        res = wrap(_scatter_array(x, d, ii, src._data, "set"))
        if _mode.enabled and (input._rg or src._rg):
            attach(ScatterBackward0, res, (input, src), (), (d, ii), _src_meta(src, ii))
        return res
    d, ii = _check_gather("scatter", x, dim, index)
    res = wrap(_scatter_array(x, d, ii, checked_scalar(src, x.dtype), "set"))
    if input._rg and _mode.enabled:
        attach(ScatterBackward1, res, (input,), (), (d, ii))
    return res


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Adds all values from src into a copy of input at the indices in index along dim;
    repeated indices add up."""
    x = input._data
    d, ii = _check_gather("scatter", x, dim, check_tensor(index, "index", 2, "scatter_add"),
                          check_tensor(src, "src", 3, "scatter_add")._data)
    res = wrap(_scatter_array(x, d, ii, src._data, "add"))
    if _mode.enabled and (input._rg or src._rg):
        attach(ScatterAddBackward0, res, (input, src), (), (d, ii), _src_meta(src, ii))
    return res


def _scatter_reduce_array(x: np.ndarray, d: int, ii: np.ndarray, src: np.ndarray, reduce: str,
                          include_self: bool) -> np.ndarray:
    xx = x.reshape(x.shape if x.ndim else (1,))
    out = np.array(xx, copy=True)
    if not ii.size:
        return out.reshape(x.shape)
    key = _gather_key(ii, d)
    vals = _src_part(src, ii.shape)
    hit = np.zeros(out.shape, bool)
    hit[key] = True
    if reduce in ("amax", "amin"):
        # NaN propagates through amax/amin, as in torch.
        ufunc = np.maximum if reduce == "amax" else np.minimum
        init = -np.inf if reduce == "amax" else np.inf
    else:
        ufunc = np.add if reduce in ("sum", "mean") else np.multiply
        init = 0 if ufunc is np.add else 1
    if not include_self:
        if out.dtype.kind == "f" or reduce in ("sum", "mean", "prod"):
            out[hit] = init
        else:
            info = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
            out[hit] = (info.min if reduce == "amax" else info.max) if info else init
    ufunc.at(out, key, vals)
    if reduce == "mean":
        count = np.zeros(out.shape, np.int64)
        np.add.at(count, key, 1)
        count = count + (1 if include_self else 0)
        count[count == 0] = 1
        if out.dtype.kind == "f":
            out = np.where(hit, out / count, out).astype(out.dtype)
        else:
            out = np.where(hit, np.floor_divide(out, count), out).astype(out.dtype)
    return out.reshape(x.shape)


def _scatter_reduce_grads(m: Any, g: Any, self: Any, src: Any, result: Any, dim: int,
                          index: Any, reduce: str, include_self: bool) -> tuple:
    """torch's scatter_reduce_backward: (grad_self, grad_src)."""
    if reduce == "sum":
        gs, gsrc = g, m.gather(g, dim, index)
    elif reduce == "mean":
        ones_src = m.ones_like(m.gather(g, dim, index))
        base = m.ones_like(g) if include_self else m.zeros_like(g)
        n = m.scatter_add(base, dim, index, ones_src)
        n = m.where(n == 0, 1, n)
        gs = g / n
        gsrc = m.gather(gs, dim, index)
    elif reduce == "prod":
        masked_self = m.where(self == 0, 1, self)
        masked_self_result = m.scatter_reduce(masked_self, dim, index, src, reduce,
                                              include_self)
        gs = g * masked_self_result / masked_self
        src_zero = src == 0
        zeros_src = m.where(src_zero, m.ones_like(src), 0)
        src_num_zeros = m.gather(m.scatter_add(m.zeros_like(g), dim, index, zeros_src), dim,
                                 index)
        single = src_zero & (src_num_zeros == 1)
        masked_src = m.where(single, 1, src)
        masked_src_result = m.scatter_reduce(self, dim, index, masked_src, reduce,
                                             include_self)
        gsrc = m.where(single, m.gather(g * masked_src_result, dim, index),
                       m.gather(g * result, dim, index) / m.where(src_zero, 1, src))
    else:
        self_is = self == result
        src_is = src == m.gather(result, dim, index)
        n = m.scatter_add(m.where(self_is, m.ones_like(g), 0), dim, index,
                          m.where(src_is, m.ones_like(src), 0))
        dist = g / n
        gs = m.where(self_is, dist, 0)
        gsrc = m.where(src_is, m.gather(dist, dim, index), 0)
    if not include_self:
        gs = m.scatter_value(gs, dim, index, 0)
    return gs, gsrc


ScatterReduceBackward0 = node_class(
    "ScatterReduceBackward0",
    lambda m, g, self, src, result, dim, index, reduce, incl:
        _scatter_reduce_grads(m, g, self, src, result, dim, index, reduce, incl)[0],
    lambda m, g, self, src, result, dim, index, reduce, incl:
        _scatter_reduce_grads(m, g, self, src, result, dim, index, reduce, incl)[1],
)


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduces all values from src into a copy of input at the indices in index along dim,
    with the reduction "sum", "prod", "mean", "amax" or "amin"."""
    x = input._data
    d, ii = _check_gather("scatter", x, dim, check_tensor(index, "index", 2, "scatter_reduce"),
                          check_tensor(src, "src", 3, "scatter_reduce")._data, reduce)
    _check_reduce(reduce)
    res = wrap(_scatter_reduce_array(x, d, ii, src._data, reduce, include_self))
    if _mode.enabled and (input._rg or src._rg):
        # The src gradient is computed over the indexed part of src only.
        part = src if src._data.shape == ii.shape else _narrowed(src, ii.shape)
        attach(ScatterReduceBackward0, res, (input, part), (input, part, res),
               (d, ii, reduce, include_self))
    return res


def _check_reduce(reduce: str) -> None:
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")


def _narrowed(src: Tensor, shape: tuple) -> Tensor:
    from .shape import narrow

    for k, n in enumerate(shape):
        if src._data.shape[k] != n:
            src = narrow(src, k, 0, n)
    return src


# -- index_* --------------------------------------------------------------------------------

def _check_index_vector(fn: str, index: Any, x: np.ndarray, dim: int, plain: bool = False
                        ) -> np.ndarray:
    """The int64 entries of a vector index into dimension dim of x. Of the index_* ops only
    index_fill wraps negative entries; the others refuse them, each in its own words (with
    plain, in index_select's)."""
    i = check_tensor(index, "index", 2, fn)._data
    if fn == "index_select":
        # index_select looks at the index's rank, then (into a 0-dim self) at its count,
        # before its dtype.
        if i.ndim > 1:
            raise IndexError(f"{fn}(): Index is supposed to be a vector")
        if not x.ndim and i.size != 1:
            raise RuntimeError(f"{fn}(): Index to scalar can have only 1 value, got {i.size} "
                               "value(s)")
    if i.dtype.kind not in "iu" or i.dtype.itemsize < 4:
        raise RuntimeError(f"{fn}(): Expected dtype int32 or int64 for index")
    if i.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector")
    i = i.reshape(-1).astype(np.int64)
    n = x.shape[dim] if x.ndim else 1
    lo = -n if fn == "index_fill_" else 0
    if not i.size:
        return i
    if fn == "index_select" and x.ndim > 1 and not n:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if i.min() < lo or i.max() >= n:
        bad = i[(i < lo) | (i >= n)][0]
        if fn == "index_select":
            # torch's kernel for dim 1 (and for empty tensors) has its own message.
            if x.ndim > 1 and (dim == 1 or not x.size):
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} "
                                   f"axis_dim={n}")
        if fn == "index_select" or plain:
            raise IndexError("index out of range in self")
        msg = f"index {bad} is out of bounds for dimension {dim} with size {n}"
        if fn == "index_add_":
            raise RuntimeError(msg)
        if fn == "index_copy_":
            raise IndexError(f"index_copy_(): {msg}")
        raise IndexError(msg)
    return np.where(i < 0, i + n, i) if lo and i.min() < 0 else i


IndexSelectBackward0 = node_class(
    "IndexSelectBackward0",
    lambda m, g, shape, dim, index: m.index_select_backward(g, shape, dim, index))


def index_select(input: Tensor, dim: int, index: Tensor, *, out: Any = None) -> Tensor:
    """Returns a new tensor which indexes the input tensor along dimension dim using the
    entries in index."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    xs = x.reshape(x.shape if x.ndim else (1,))
    ii = _check_index_vector("index_select", index, x, d)
    data = np.take(xs, ii, axis=d)
    if not x.ndim:
        data = data.reshape(())
    res = wrap(data)
    if input._rg and _mode.enabled:
        attach(IndexSelectBackward0, res, (input,), (), (x.shape, d, ii))
    return res


IndexAddBackward0 = node_class(
    "IndexAddBackward0", lambda m, g, dim, index, alpha, sshape: g,
    lambda m, g, dim, index, alpha, sshape: m.reshape(
        m.index_select(g, dim, index) * alpha if alpha != 1 else m.index_select(g, dim, index),
        sshape),
)
IndexCopyBackward0 = node_class(
    "IndexCopyBackward0", lambda m, g, dim, index, sshape: m.index_fill(g, dim, index, 0),
    lambda m, g, dim, index, sshape: m.reshape(m.index_select(g, dim, index), sshape),
)
IndexFillBackward0 = node_class(
    "IndexFillBackward0", lambda m, g, dim, index: m.index_fill(g, dim, index, 0))


def _fill_value_grad(m: Any, g: Any, dim: int, uniq: np.ndarray) -> Any:
    # torch sums grad.index_select(dim, unique(index)): each filled slice counts once, and a
    # negative index, which index_fill accepts, is refused there as index_select refuses it.
    _check_index_vector("index_select", Tensor._make(uniq), np.broadcast_to(
        np.zeros((), np.int8), tuple(g.shape)), dim)
    return m.sum(m.index_select(g, dim, uniq))


IndexFillBackward1 = node_class(
    "IndexFillBackward1", lambda m, g, dim, index, uniq: m.index_fill(g, dim, index, 0),
    lambda m, g, dim, index, uniq: _fill_value_grad(m, g, dim, uniq),
)


def _slice_shape(shape: tuple, d: int) -> str:
    # torch prints a std::vector of sizes separated by spaces.
    return " ".join(str(s) for k, s in enumerate(shape) if k != d)


def _vector_index(fn: str, index: Any) -> np.ndarray:
    i = check_tensor(index, "index", 2, fn.rstrip("_"))._data
    if i.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, but got dim: {i.ndim} with "
                         f"type: {FROM_NUMPY[i.dtype]._legacy} and size: {shape_str(i.shape)}")
    if i.dtype not in _INT32_64:
        raise RuntimeError(f"{fn}(): Expected dtype int32/int64 for index but got: "
                           f"{FROM_NUMPY[i.dtype]._legacy}")
    return i


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """Adds alpha times the elements of source into a copy of input, by adding to the indices
    in the order given in index along dim."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    i = _vector_index("index_add_", index)
    s = check_tensor(source, "source", 3, "index_add")._data
    if s.dtype != x.dtype:
        raise RuntimeError("index_add_(): self (" + input.dtype._legacy + ") and source (" +
                           source.dtype._legacy + ") must have the same scalar type")
    if d and d >= s.ndim:
        raise RuntimeError(f"index_add_(): Indexing dim {d} is out of bounds of the source "
                           f"tensor with dim {s.ndim}")
    if i.size != (s.shape[d] if s.ndim else 1):
        raise RuntimeError(f"index_add_(): Number of indices ({i.size}) should be equal to "
                           f"source.size(dim): ({s.shape[wrap_dim(d, s.ndim, False)]}), for dim: "
                           f"{d}")
    both = x.ndim and s.ndim
    if (_drop(x.shape, d) if both else x.shape) != (_drop(s.shape, d) if both else s.shape):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {shape_str(x.shape)} "
                           f"source.shape = {shape_str(s.shape)}")
    # torch's kernel for alpha == 1 on a tensor of two or more dimensions checks the indices
    # itself; the others go through index_select's check.
    ii = _check_index_vector("index_add_", index, x, d, plain=x.ndim < 2 or alpha != 1)
    out = np.array(x.reshape(x.shape if x.ndim else (1,)), copy=True)
    s = s.reshape(s.shape if s.ndim else (1,))
    vals = s * s.dtype.type(alpha) if alpha != 1 else s
    np.add.at(np.moveaxis(out, d, 0), ii, np.moveaxis(vals, d, 0))
    res = wrap(out.reshape(x.shape))
    if _mode.enabled and (input._rg or source._rg):
        attach(IndexAddBackward0, res, (input, source), (), (d, ii, alpha, source._data.shape))
    return res


def _drop(shape: tuple, d: int) -> tuple:
    return shape[:d] + shape[d + 1:]


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """Copies the elements of source into a copy of input at the indices given in index along
    dim."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    i = check_tensor(index, "index", 2, "index_copy")._data
    if i.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {i.ndim})")
    s = check_tensor(source, "source", 3, "index_copy")._data
    if not s.ndim and i.size != 1:
        raise IndexError("index_copy_(): When source is scalar, index should have one element "
                         f"(got {i.size})")
    if s.ndim and x.ndim and s.ndim != x.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({s.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    if i.dtype != np.int64:
        raise RuntimeError("index_copy_(): Expected a long tensor for index, but got "
                           f"{FROM_NUMPY[i.dtype]._legacy}")
    if s.dtype != x.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {input.dtype._legacy} and (source) "
                           f"{source.dtype._legacy}")
    if _drop(x.shape, d) != _drop(s.shape, d):
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {_slice_shape(x.shape, d)} at dimension {d} and source "
            f"slice shape: {_slice_shape(s.shape, d)} at dimension 0.")
    if s.ndim and i.size != s.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({i.size}) should be equal to "
                         f"source.size(dim) ({s.shape[d]})")
    ii = _check_index_vector("index_copy_", index, x, d)
    out = np.array(x.reshape(x.shape if x.ndim else (1,)), copy=True)
    np.moveaxis(out, d, 0)[ii] = np.moveaxis(s, d, 0) if s.ndim else s
    res = wrap(out.reshape(x.shape))
    if _mode.enabled and (input._rg or source._rg):
        attach(IndexCopyBackward0, res, (input, source), (), (d, ii, source._data.shape))
    return res


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """Fills the elements of a copy of input with value at the indices given in index along
    dim."""
    x = input._data
    vt = isinstance(value, Tensor)
    if vt and value._data.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")
    i = check_tensor(index, "index", 2, "index_fill")._data
    if i.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    d = wrap_dim(dim, x.ndim)
    if i.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    v = checked_scalar(value._data[()] if vt else value, x.dtype)
    ii = _check_index_vector("index_fill_", index, x, d)
    xs = x.reshape(x.shape if x.ndim else (1,))
    out = np.array(xs, copy=True)
    np.moveaxis(out, d, 0)[ii] = v
    res = wrap(out.reshape(x.shape))
    if vt and _mode.enabled and (input._rg or value._rg):
        meta = None if value._data.dtype == x.dtype else [None, ((), value._data.dtype)]
        attach(IndexFillBackward1, res, (input, value), (), (d, ii, np.unique(i)), meta)
    elif input._rg and _mode.enabled:
        attach(IndexFillBackward0, res, (input,), (), (d, ii))
    return res


# -- masks ----------------------------------------------------------------------------------

def _check_mask(mk: np.ndarray, fn: str) -> np.ndarray:
    if mk.dtype.kind != "b":
        if fn == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        name = type_meta_name(mk.dtype) if fn == "masked_fill_" else \
            FROM_NUMPY[mk.dtype]._legacy
        raise RuntimeError(f"{fn} only supports boolean masks, but got mask with dtype {name}")
    return mk


MaskedFillBackward0 = node_class(
    "MaskedFillBackward0", lambda m, g, mask: m.where(m.const(mask), 0, g))
MaskedFillBackward1 = node_class(
    "MaskedFillBackward1", lambda m, g, mask: m.where(m.const(mask), 0, g),
    lambda m, g, mask: m.sum(m.where(m.const(mask), g, 0)),
)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """Fills elements of a copy of input with value where mask is True (mask broadcasts)."""
    x = input._data
    mk = check_tensor(mask, "mask", 1, "masked_fill")._data
    # torch broadcasts mask with input first, then runs masked_fill_ on the result.
    shape = broadcast_shape(mk.shape, x.shape)
    _check_fill_value(value)
    _check_mask(mk, "masked_fill_")
    return _masked_fill(input, mk, value, shape)


def check_masked_fill_(self: Tensor, mask: Any, value: Any) -> None:
    """torch's checks of `masked_fill_`, in its order: the value, the mask's dtype, then
    the mask's shape, which must broadcast to self's."""
    _check_fill_value(value)
    mk = _check_mask(check_tensor(mask, "mask", 1, "masked_fill_")._data, "masked_fill_")
    check_out_shape(self._data.shape, mk.shape)


def _check_fill_value(value: Any) -> None:
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value._data.ndim} dimension(s).")


def _masked_fill(input: Tensor, mk: np.ndarray, value: Any, shape: tuple) -> Tensor:
    x = input._data
    vt = isinstance(value, Tensor)
    v = checked_scalar(value._data[()] if vt else value, x.dtype)
    out = np.where(mk, v, x)
    res = wrap(np.broadcast_to(out, shape).copy())
    if vt and _mode.enabled and (input._rg or value._rg):
        meta = [None if x.shape == shape else (x.shape, x.dtype),
                None if value._data.dtype == x.dtype else ((), value._data.dtype)]
        attach(MaskedFillBackward1, res, (input, value), (), (mk,), meta)
    elif input._rg and _mode.enabled:
        attach(MaskedFillBackward0, res, (input,), (), (mk,),
               None if x.shape == shape else [(x.shape, x.dtype)])
    return res


def _masked_source_grad(m: Any, g: Any, mask: Any, shape: tuple, n: int) -> Any:
    sel = m.masked_select(g, mask)
    k = sel.shape[0]
    if k < n:
        sel = m.cat([sel, m.zeros((n - k,), sel.dtype)], 0)
    return m.reshape(sel, shape)


MaskedScatterBackward0 = node_class(
    "MaskedScatterBackward0", lambda m, g, mask, sshape, n: m.where(m.const(mask), 0, g),
    lambda m, g, mask, sshape, n: _masked_source_grad(m, g, mask, sshape, n),
)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """Copies elements from source into a copy of input at positions where mask is True, in
    order."""
    x = input._data
    mk = check_tensor(mask, "mask", 1, "masked_scatter")._data
    s = check_tensor(source, "source", 2, "masked_scatter")._data
    # torch broadcasts mask with input first, then runs masked_scatter_ on the result.
    shape = broadcast_shape(mk.shape, x.shape)
    _check_source_dtype(x, s)
    _check_mask(mk, "masked_scatter_")
    return _masked_scatter(input, mk, source, shape)


def check_masked_scatter_(self: Tensor, mask: Any, source: Any) -> None:
    """torch's checks of `masked_scatter_`, in its order: the source's dtype, the mask's
    shape (which expands to self's), then the mask's dtype."""
    mk = check_tensor(mask, "mask", 1, "masked_scatter_")._data
    s = check_tensor(source, "source", 2, "masked_scatter_")._data
    _check_source_dtype(self._data, s)
    expand(mask, self._data.shape)
    _check_mask(mk, "masked_scatter_")


def _check_source_dtype(x: np.ndarray, s: np.ndarray) -> None:
    if s.dtype != x.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but "
                           f"got{FROM_NUMPY[x.dtype]._legacy} and {FROM_NUMPY[s.dtype]._legacy}")


def _masked_scatter(input: Tensor, mk: np.ndarray, source: Tensor, shape: tuple) -> Tensor:
    x, s = input._data, source._data
    mb = np.broadcast_to(mk, shape)
    k = int(mb.sum())
    if k > s.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = np.array(np.broadcast_to(x, shape), copy=True)
    out[mb] = s.reshape(-1)[:k]
    res = wrap(out)
    if _mode.enabled and (input._rg or source._rg):
        attach(MaskedScatterBackward0, res, (input, source), (), (mb, s.shape, s.size),
               [None if x.shape == shape else (x.shape, x.dtype), None])
    return res


MaskedSelectBackward0 = node_class(
    "MaskedSelectBackward0", lambda m, g, mask: m.masked_scatter(
        m.zeros(mask.shape, g.dtype), mask, g))


def masked_select(input: Tensor, mask: Tensor, *, out: Any = None) -> Tensor:
    """Returns a new 1-D tensor of the elements of input (broadcast with mask) where mask is
    True."""
    x = input._data
    mk = _check_mask(check_tensor(mask, "mask", 1, "masked_select")._data, "masked_select")
    shape = broadcast_shape(mk.shape, x.shape)
    mb = np.broadcast_to(mk, shape)
    res = wrap(np.broadcast_to(x, shape)[mb])
    if input._rg and _mode.enabled:
        attach(MaskedSelectBackward0, res, (input,), (), (np.ascontiguousarray(mb),),
               None if x.shape == shape else [(x.shape, x.dtype)])
    return res


# -- take -----------------------------------------------------------------------------------

TakeBackward0 = node_class(
    "TakeBackward0", lambda m, g, shape, index: m.take_backward(g, shape, index))


def take(input: Tensor, index: Tensor) -> Tensor:
    """Returns a new tensor with the elements of input at the given indices, input being
    treated as if it were viewed as a 1-D tensor."""
    x = input._data
    i = check_tensor(index, "index", 1, "take")._data
    if i.dtype != np.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got "
                           f"{FROM_NUMPY[i.dtype]._legacy}")
    n = x.size
    if i.size and not n:
        raise IndexError("take(): tried to take from an empty tensor")
    if i.size and (i.min() < -n or i.max() >= n):
        bad = i[(i < -n) | (i >= n)].flat[0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    ii = np.where(i < 0, i + n, i) if i.size and i.min() < 0 else i
    res = wrap(x.reshape(-1)[ii])
    if input._rg and _mode.enabled:
        attach(TakeBackward0, res, (input,), (), (x.shape, ii))
    return res


PutBackward0 = node_class(
    "PutBackward0",
    lambda m, g, index, accumulate, sshape: g if accumulate else m.as_strided_scatter(
        g, m.zeros(index.shape, g.dtype), index),
    lambda m, g, index, accumulate, sshape: m.reshape(m.as_strided_view(g, index), sshape),
)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """Copies the elements of source into a copy of input at the positions given by index,
    input being treated as if it were viewed as a 1-D tensor (adding them up with
    accumulate=True); negative indices count from the end."""
    x = input._data
    i = check_tensor(index, "index", 1, "put")._data
    s = check_tensor(source, "source", 2, "put")._data
    if i.dtype != np.int64:
        raise RuntimeError("put_(): Expected a long tensor for index, but got "
                           f"{FROM_NUMPY[i.dtype]._legacy}")
    if s.dtype != x.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {FROM_NUMPY[x.dtype]._legacy} and source.dtype = "
                           f"{FROM_NUMPY[s.dtype]._legacy}")
    if s.size != i.size:
        raise IndexError("put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {s.size}, index.numel() = "
                         f"{i.size}")
    n = x.size
    if i.size and not n:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    ii = i.reshape(-1)
    if ii.size and (ii.min() < -n or ii.max() >= n):
        bad = ii[(ii < -n) | (ii >= n)][0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    ii = np.where(ii < 0, ii + n, ii)
    out = np.array(x, copy=True).reshape(-1)
    if accumulate:
        np.add.at(out, ii, s.reshape(-1))
    else:
        out[ii] = s.reshape(-1)
    res = wrap(out.reshape(x.shape))
    if _mode.enabled and (input._rg or source._rg):
        attach(PutBackward0, res, (input, source), (), (ii, accumulate, s.shape))
    return res


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *,
                   out: Any = None) -> Tensor:
    """Selects values from input at the 1-dimensional indices from indices along the given
    dim (gather with broadcasting)."""
    from .shape import reshape

    i = check_tensor(indices, "indices", 1, "take_along_dim")._data
    if dim is None:
        return gather(reshape(input, -1), 0, reshape(indices, -1))
    x = input._data
    if x.ndim != i.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.ndim} dimensions for input, and "
                           f"{i.ndim} dimensions for indices")
    if i.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{FROM_NUMPY[i.dtype]._legacy}")
    d = wrap_dim(dim, x.ndim)
    xs, is_ = list(x.shape), list(i.shape)
    xs[d] = is_[d] = 1
    b = broadcast_shape(tuple(xs), tuple(is_))
    xt, it = list(b), list(b)
    xt[d], it[d] = x.shape[d], i.shape[d]
    a = input if tuple(xt) == x.shape else expand(input, tuple(xt))
    ix = indices if tuple(it) == i.shape else expand(indices, tuple(it))
    # Along a dim, torch takes every index modulo the dimension's size (so -1 is the last
    # entry and size + 1 the second): nothing is out of range.
    n = x.shape[d]
    ii = np.mod(ix._data, n) if n else ix._data
    return gather(a, d, Tensor._make(np.ascontiguousarray(ii).astype(np.int64)))


def nonzero(input: Tensor, *, as_tuple: bool = False, out: Any = None) -> Any:
    """Returns the indices of the non-zero elements of input: a 2-D tensor with one row per
    element, or with as_tuple a tuple of 1-D tensors, one per dimension."""
    x = input._data
    if as_tuple:
        if x.ndim == 0:
            return (wrap(np.zeros(1 if x else 0, np.int64)),)
        return tuple(wrap(c.astype(np.int64)) for c in np.nonzero(x))
    return wrap(np.argwhere(x).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    """Returns a tensor containing the indices of all non-zero elements of input."""
    return nonzero(input)


# Plain backward's helper is this forward's scatter.
_math.raw.scatter_reduce = _scatter_reduce_array


def unravel_index(indices: Tensor, shape: Any) -> tuple:
    """Converts a tensor of flat indices into a tuple of coordinate tensors that index into
    an arbitrary tensor of the specified shape (indices outside it wrap around)."""
    # torch writes it in Python (torch/functional.py): floor-divide by each dimension's
    # stride, then the remainder by its size, and unbind the last dimension.
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    x = indices._data
    if x.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    else:
        for d in shape:
            if not isinstance(d, (int, np.integer)):
                raise TypeError("expected 'shape' sequence to only contain ints, but got "
                                f"{type(d)}")
        shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    strides = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        strides[k] = strides[k + 1] * shape[k + 1]
    if 0 in shape and x.size:
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(all="ignore"):
        coords = np.floor_divide(x.astype(np.int64)[..., None], np.array(strides, np.int64))
        coords = np.remainder(coords, np.maximum(np.array(shape, np.int64), 1))
    return unbind(wrap(np.ascontiguousarray(coords.reshape(x.shape + (len(shape),)))), -1)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
