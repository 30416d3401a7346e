"""sum and mean and their derivatives: the reductions that other families build on (matrix
products, in-place ops, gradients summed to a shape), kept apart from reduction.py, which
uses those families in turn."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY
from .._settings import get_num_threads
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd.grad_mode import state as _mode
from ._cascade import PARALLEL_GRAIN, cascade_sum, dense
from ._core import REDUCE, attach, check_bool, declare, linear_jvp, node_class, wrap, wrap_dims
from ._math import reduce_dtype

__all__ = ["sum", "mean"]

_make = Tensor._make


def _expand_back(m: Any, g: Any, shape: tuple, dims: tuple, keepdim: bool) -> Any:
    """A reduced gradient spread back over the input's shape."""
    if not keepdim and len(shape):
        g = m.unsqueeze_dims(g, dims, len(shape))
    return m.expand(g, shape)


SumBackward0 = node_class("SumBackward0", lambda m, g, shape: m.expand(g, shape))
SumBackward1 = node_class(
    "SumBackward1",
    lambda m, g, shape, dims, keepdim: _expand_back(m, g, shape, dims, keepdim),
)
MeanBackward0 = node_class(
    "MeanBackward0", lambda m, g, shape, n: m.expand(g / n, shape))
MeanBackward1 = node_class(
    "MeanBackward1",
    lambda m, g, shape, dims, keepdim, n: _expand_back(m, g / n, shape, dims, keepdim),
)


def _dims(x: np.ndarray, dim: Any) -> tuple | None:
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return tuple(range(x.ndim))
    dims = wrap_dims(dim, x.ndim)
    return dims if x.ndim else ()


def _total(x: np.ndarray) -> np.ndarray:
    """The sum of all of x's elements in torch's order for the intra-op threads in use
    (asked only where torch would split the work: the count costs 4 us)."""
    return cascade_sum(x, get_num_threads() if x.size >= PARALLEL_GRAIN else 1)


def _full_sum(x: np.ndarray) -> np.ndarray:
    """torch's sum of all of a float array's elements, to the last bit (0-dim); compiled
    replays call it as eager sum does."""
    return _total(x)


def _full_mean(x: np.ndarray) -> np.ndarray:
    """torch's mean of all of a float array's elements: its full sum (float16 as a float32
    copy, which is C order unless the tensor is dense) divided by n; nan when empty."""
    acc = reduce_dtype(x.dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if not x.size:
            return np.full((), np.nan, x.dtype)
        s = _total(x if acc == x.dtype else x.astype(acc, order="K" if dense(x) else "C"))
        return np.asarray(np.true_divide(s, acc.type(x.size)), dtype=x.dtype)


def _cast_back(input: Tensor, x: np.ndarray) -> Any:
    """The engine meta that casts the gradient back to the input's dtype when dtype= made
    the reduction compute in another one."""
    d = input._data
    return None if d.dtype is x.dtype else [(d.shape, d.dtype)]


@declare(jvp=linear_jvp("sum"), vmap=REDUCE)
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        out: Any = None) -> Tensor:
    """Returns the sum of all elements in the input tensor, or of each row over dim."""
    x = input._data
    if dim is None and dtype is None and keepdim is False and x.dtype.kind == "f":
        # The full sum of a float tensor, added in torch's order to torch's last bit.
        r = _make(_full_sum(x))
        if input._rg and _mode.enabled:
            attach(SumBackward0, r, (input,), (), (x.shape,))
        return r
    if keepdim is not False:
        check_bool(keepdim, "keepdim", 2, "sum")
    if dtype is not None:
        x = x.astype(dtype.np)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    dims = _dims(x, dim)
    # dtype= keeps NumPy from widening small integer sums to int64.
    with np.errstate(over="ignore", invalid="ignore"):
        r = wrap(np.asarray(np.sum(x, axis=dims, keepdims=keepdim,
                                   dtype=reduce_dtype(x.dtype)), dtype=x.dtype))
    if input._rg and _mode.enabled:
        meta = _cast_back(input, x)
        if dim is None:
            attach(SumBackward0, r, (input,), (), (x.shape,), meta)
        else:
            attach(SumBackward1, r, (input,), (), (x.shape, dims, keepdim), meta)
    return r


@declare(jvp=linear_jvp("mean"), vmap=REDUCE)
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         out: Any = None) -> Tensor:
    """Returns the mean value of all elements in the input tensor, or of each row over dim."""
    if keepdim is not False:
        check_bool(keepdim, "keepdim", 2, "mean", (input, dim, keepdim))
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
    if x.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {FROM_NUMPY[x.dtype]._legacy}")
    dims = _dims(x, dim)
    n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    acc = reduce_dtype(x.dtype)
    if dims is None and not keepdim:
        r = wrap(_full_mean(x))
    else:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            s = np.sum(x, axis=dims, keepdims=keepdim, dtype=acc)
            r = wrap(np.asarray(np.true_divide(s, acc.type(n)) if n else
                                np.full_like(s, np.nan), dtype=x.dtype))
    if input._rg and _mode.enabled:
        meta = _cast_back(input, x)
        if dim is None:
            attach(MeanBackward0, r, (input,), (), (x.shape, n), meta)
        else:
            attach(MeanBackward1, r, (input,), (), (x.shape, dims, keepdim, n), meta)
    return r


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
