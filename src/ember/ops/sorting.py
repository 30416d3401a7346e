"""Sorting and selection: sort, argsort, topk, kthvalue, unique. The values they return
take their gradient from the positions they were selected from."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import return_types
from .._dtypes import result_type
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from ._core import attach_outputs, node_class, not_implemented, wrap, wrap_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive",
           "isin"]

# Printed as torch prints them: torch.return_types.sort(values=..., indices=...).
_sort_t, _topk_t, _kth_t = return_types.sort, return_types.topk, return_types.kthvalue


def _select_back(m: Any, grads: list, shape: tuple, dim: int, index: Any) -> Any:
    return m.gather_backward(grads[0], shape, dim, index)


SortBackward0 = node_class("SortBackward0", _select_back, n_outputs=2)
TopkBackward0 = node_class("TopkBackward0", _select_back, n_outputs=2)
KthvalueBackward0 = node_class(
    "KthvalueBackward0",
    lambda m, grads, shape, dim, index, keepdim: m.gather_backward(
        grads[0] if keepdim else m.unsqueeze(grads[0], dim), shape, dim, index),
    n_outputs=2)


def _unique_backward(m: Any, grads: Any, *ctx: Any) -> Any:
    # torch reports the missing derivative with this error type.
    raise NotImplementedError("the derivative for '_unique2' is not implemented.")


Unique2Backward0 = node_class("Unique2Backward0", _unique_backward, n_outputs=3)
UniqueDimBackward0 = node_class("UniqueDimBackward0", _unique_backward, n_outputs=3)


def _argsort(x: np.ndarray, d: int, descending: bool) -> np.ndarray:
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    # Stable descending order: sort the reversed array ascending, then reverse back, so that
    # equal elements keep their original order (NaN, the largest, comes first).
    n = x.shape[d]
    rev = np.flip(x, d)
    if x.dtype.kind == "b":
        rev = rev.astype(np.int8)
    return np.flip(n - 1 - np.argsort(rev, axis=d, kind="stable"), d)


def _prep(input: Tensor, dim: int) -> tuple:
    x = input._data
    d = wrap_dim(dim, x.ndim)
    return (x.reshape(1) if not x.ndim else x), d


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False, *,
         out: Any = None) -> Any:
    """Sorts the elements of input along a dimension in ascending order by value (equal
    elements keep their order); returns (values, indices)."""
    if isinstance(dim, bool):
        dim, descending = -1, dim
    x, d = _prep(input, dim)
    idx = _argsort(x, d, descending)
    vals = np.take_along_axis(x, idx, d)
    shape = input._data.shape
    v, i = wrap(vals.reshape(shape)), wrap(idx.astype(np.int64).reshape(shape))
    if input._rg and _mode.enabled:
        attach_outputs(SortBackward0, (v, i), (input,), (), (shape, d, idx))
    return _sort_t((v, i))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
            ) -> Tensor:
    """Returns the indices that sort a tensor along a given dimension in ascending order by
    value."""
    x, d = _prep(input, dim)
    return wrap(_argsort(x, d, descending).astype(np.int64).reshape(input._data.shape))


def msort(input: Tensor) -> Tensor:
    """Sorts the elements of the input tensor along its first dimension in ascending order
    by value."""
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
         out: Any = None) -> Any:
    """Returns the k largest (or smallest) elements of input along a dimension, with their
    indices."""
    x, d = _prep(input, dim)
    if k < 0 or k > x.shape[d]:
        raise RuntimeError("selected index k out of range")
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not input._data.ndim:
        # torch hands back the element of a 0-dim input for k = 0 as for k = 1.
        vals, idx = x.reshape(()), np.zeros((), np.int64)
    else:
        idx = np.take(_argsort(x, d, largest), np.arange(k), axis=d)
        vals = np.take_along_axis(x, idx, d)
    v, i = wrap(vals), wrap(idx.astype(np.int64))
    if input._rg and _mode.enabled:
        attach_outputs(TopkBackward0, (v, i), (input,), (), (input._data.shape, d,
                                                              idx.reshape(v._data.shape)))
    return _topk_t((v, i))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             out: Any = None) -> Any:
    """Returns the k-th smallest element of input along a dimension, with its index."""
    x, d = _prep(input, dim)
    if not x.shape[d]:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if k < 1 or k > x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.dtype.kind == "b":
        raise not_implemented("kthvalue_cpu", input.dtype)
    idx = np.take(_argsort(x, d, False), [k - 1], axis=d)
    vals = np.take_along_axis(x, idx, d)
    if not input._data.ndim:
        vals, idx = vals.reshape(()), idx.reshape(())
        keep_idx = idx
    else:
        keep_idx = idx
        if not keepdim:
            vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    v, i = wrap(vals), wrap(idx.astype(np.int64))
    if input._rg and _mode.enabled:
        attach_outputs(KthvalueBackward0, (v, i), (input,), (),
                       (input._data.shape, d, keep_idx, keepdim or not input._data.ndim))
    return _kth_t((v, i))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """Returns the unique elements of the input tensor (sorted), and optionally the index of
    each input element in them and their counts."""
    x = input._data
    if dim is None:
        vals, inv, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
        cls = Unique2Backward0
    else:
        d = wrap_dim(dim, x.ndim)
        vals, inv, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
        cls = UniqueDimBackward0
    outs = (wrap(vals), wrap(inv.astype(np.int64)), wrap(counts.astype(np.int64)))
    if input._rg and _mode.enabled:
        attach_outputs(cls, outs, (input,))
    if not return_inverse and not return_counts:
        return outs[0]
    res = [outs[0]]
    if return_inverse:
        res.append(outs[1])
    if return_counts:
        res.append(outs[2])
    return tuple(res)


def _unique_consecutive_backward(m: Any, grads: Any, *ctx: Any) -> Any:
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


UniqueConsecutiveBackward0 = node_class("UniqueConsecutiveBackward0",
                                        _unique_consecutive_backward, n_outputs=3)


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None) -> Any:
    """Eliminates all but the first element from every consecutive group of equivalent
    elements (of the flattened input, or slices along dim); optionally also returns the
    position of each input element in the output and the size of each group."""
    x = input._data
    if dim is None:
        rows = x.reshape(x.size, 1)
    else:
        d = wrap_dim(dim, x.ndim, wrap_scalar=False)
        if x.size == 0 and x.shape[d] != 0:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied")
        moved = np.moveaxis(x, d, 0)
        rows = moved.reshape(x.shape[d], int(np.prod(moved.shape[1:])))
    n = rows.shape[0]
    # A group starts where a row differs from the one before (NaN differs from itself).
    starts = np.ones(n, bool)
    if n > 1:
        starts[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, n)).astype(np.int64)
    inverse = (np.cumsum(starts) - 1).astype(np.int64)
    if dim is None:
        out = x.reshape(-1)[first]
        inverse = inverse.reshape(x.shape)
    else:
        out = np.moveaxis(np.take(np.moveaxis(x, d, 0), first, axis=0), 0, d)
    v, i, c = wrap(np.ascontiguousarray(out)), wrap(inverse), wrap(counts)
    if input._rg and _mode.enabled:
        attach_outputs(UniqueConsecutiveBackward0, (v, i, c), (input,))
    if not return_inverse and not return_counts:
        return v
    return (v,) + ((i,) if return_inverse else ()) + ((c,) if return_counts else ())


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False, out: Any = None) -> Tensor:
    """Tests if each element of elements is in test_elements; returns a boolean tensor of
    the same shape as elements (True where found, or where not found with invert)."""
    dt = result_type(elements, test_elements).np
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    if e.dtype.kind == "b" or t.dtype.kind == "b":
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    with np.errstate(all="ignore"):
        found = np.isin(e.astype(dt), t.astype(dt).reshape(-1), invert=invert)
    return wrap(np.asarray(found, bool).reshape(e.shape))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
