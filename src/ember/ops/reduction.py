"""Reductions and their derivatives: products, extrema and their positions, variance and
standard deviation, norms, logsumexp, cumulative sums and products, truth tests, medians
and modes, NaN-ignoring sums and means (sum and mean themselves are in sum_mean.py).

Formulas that spread a reduced gradient back first restore the reduced dimensions
(`_unreduce`); selections send it to the selected positions (`m.gather_backward`), and ties
share it evenly, as in torch.
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any, Callable

import numpy as np

from .. import return_types
from .._dtypes import FROM_NUMPY, get_default_dtype, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ..autograd import _cuts
from ..autograd.grad_mode import state as _mode
from ._core import (
    REDUCE,
    attach,
    attach_outputs,
    check_bool,
    check_out_shape,
    check_tensor,
    declare,
    linear_jvp,
    node_class,
    not_implemented,
    quiet,
    wrap,
    wrap_dim,
    wrap_dims,
)
from ._math import accumulate, product, reduce_dtype
from ._math import logcumsumexp as _logcumsumexp
from ._stdsort import std_sort
from .arithmetic import div
from .elementary import maximum, minimum

__all__ = [
    "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "norm",
    "logsumexp", "cumsum", "cumprod", "cumsum_", "cumprod_", "cummax", "cummin",
    "logcumsumexp", "all", "any",
    "count_nonzero", "median", "nanmedian", "mode", "nansum", "nanmean", "aminmax",
    "var_mean", "std_mean",
]

_b_max, _b_any = builtins.max, builtins.any


def _legacy(dt: np.dtype) -> str:
    return FROM_NUMPY[dt]._legacy


def _reduced(x: np.ndarray, dim: Any) -> tuple:
    """The dimensions a reduction over `dim` (None, an int, a sequence) removes."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return tuple(range(x.ndim))
    dims = wrap_dims(dim, x.ndim)
    return dims if x.ndim else ()


def _unreduce(m: Any, g: Any, shape: tuple, dims: tuple, keepdim: bool) -> Any:
    """A reduced value with its reduced dimensions restored as size 1."""
    if keepdim or not shape:
        return g
    return m.unsqueeze_dims(g, dims, len(shape))


def _count(shape: tuple, dims: tuple) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _check_nonempty(name: str, x: np.ndarray, dims: tuple, whole: bool) -> None:
    if x.size:
        return
    if whole:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _as_1d(x: np.ndarray) -> np.ndarray:
    return x.reshape(1) if not x.ndim else x


# -- products ---------------------------------------------------------------------------

def _exclusive_products(m: Any, x: Any, dim: int, n: int) -> Any:
    """prod over `dim` of all the other elements, for every position: products of what
    comes before times products of what comes after, with no division (safe at zeros)."""
    if n == 1:
        return m.ones_like(x)
    ones = m.ones_like(m.narrow(x, dim, 0, 1))
    before = m.cumprod(m.cat([ones, m.narrow(x, dim, 0, n - 1)], dim), dim)
    rev = m.flip(x, [dim])
    after = m.flip(m.cumprod(m.cat([ones, m.narrow(rev, dim, 0, n - 1)], dim), dim), [dim])
    return before * after


def _prod_all_grad(m: Any, g: Any, self: Any, result: Any, shape: tuple, zeros: int) -> Any:
    if not shape:
        return g
    if zeros == 0:
        return g * (result / self)
    flat = m.reshape(self, (-1,))
    return m.reshape(g * _exclusive_products(m, flat, 0, flat.shape[0]), shape)


def _prod_dim_grad(m: Any, g: Any, self: Any, result: Any, shape: tuple, dim: int,
                   keepdim: bool, zeros: int) -> Any:
    if not shape:
        return g
    g = _unreduce(m, g, shape, (dim,), keepdim)
    if zeros == 0:
        return g * (_unreduce(m, result, shape, (dim,), keepdim) / self)
    return g * _exclusive_products(m, self, dim, shape[dim])


ProdBackward0 = node_class("ProdBackward0", _prod_all_grad)
ProdBackward1 = node_class("ProdBackward1", _prod_dim_grad)


def _int_result(x: np.ndarray, dtype: Any) -> np.ndarray:
    if dtype is not None:
        return x.astype(dtype.np)
    return x.astype(np.int64) if x.dtype.kind in "biu" else x


@declare(vmap=REDUCE)
def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         out: Any = None) -> Tensor:
    """Returns the product of all elements in the input tensor, or of each row over dim."""
    check_tensor(input, fn="prod")
    x = _int_result(input._data, dtype)
    zeros = int(np.count_nonzero(x == 0)) if x.dtype.kind == "f" else 0
    if dim is None:
        r = wrap(np.asarray(quiet(product, x), dtype=x.dtype))
        if input._rg and _mode.enabled:
            attach(ProdBackward0, r, (input,), (input, r), (x.shape, zeros), _cast(input, x))
        return r
    d = wrap_dim(dim, x.ndim)
    r = wrap(np.asarray(quiet(product, _as_1d(x), axis=d, keepdims=keepdim and x.ndim > 0),
                        dtype=x.dtype))
    if input._rg and _mode.enabled:
        attach(ProdBackward1, r, (input,), (input, r), (x.shape, d, keepdim, zeros),
               _cast(input, x))
    return r


def _cast(input: Tensor, x: np.ndarray) -> Any:
    d = input._data
    return None if d.dtype is x.dtype else [(d.shape, d.dtype)]


# -- extrema -----------------------------------------------------------------------------

def _evenly(m: Any, g: Any, self: Any, result: Any, nan: bool, count: int) -> Any:
    # The gradient of a whole-tensor max/min/median is shared by every element equal to it.
    mask = (self != self) if nan else (self == result)
    return m.where(mask, g / count, 0.0)


MaxBackward1 = node_class("MaxBackward1", _evenly)
MinBackward1 = node_class("MinBackward1", _evenly)
MedianBackward0 = node_class("MedianBackward0", _evenly)
NanmedianBackward0 = node_class("NanmedianBackward0", _evenly)


def _select_grad(m: Any, grads: Any, shape: tuple, dim: int, index: Any, keepdim: bool) -> Any:
    g = grads[0]
    if not shape:
        return g
    if not keepdim:
        g = m.unsqueeze(g, dim)
    return m.gather_backward(g, shape, dim, index)


MaxBackward0 = node_class("MaxBackward0", _select_grad, n_outputs=2)
MinBackward0 = node_class("MinBackward0", _select_grad, n_outputs=2)
MedianBackward1 = node_class("MedianBackward1", _select_grad, n_outputs=2)
NanmedianBackward1 = node_class("NanmedianBackward1", _select_grad, n_outputs=2)
ModeBackward0 = node_class("ModeBackward0", _select_grad, n_outputs=2)


def _whole(cls: type, input: Tensor, value: np.ndarray) -> Tensor:
    x = input._data
    r = wrap(np.asarray(value, dtype=x.dtype))
    if input._rg and _mode.enabled:
        nan = x.dtype.kind == "f" and bool(np.isnan(value))
        count = int(np.count_nonzero(np.isnan(x) if nan else x == value))
        attach(cls, r, (input,), (input, r), (nan, count))
    return r


def _selected(cls: type, name: str, input: Tensor, idx: np.ndarray, d: int,
              keepdim: bool) -> Any:
    """(values, indices) from indices `idx` taken along `d` with the dimension kept."""
    x = input._data
    vals = np.take_along_axis(_as_1d(x), idx, d)
    keep_idx = idx
    if not x.ndim:
        vals, idx = vals.reshape(()), idx.reshape(())
    elif not keepdim:
        vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    v, i = wrap(vals), wrap(idx.astype(np.int64))
    if input._rg and _mode.enabled:
        attach_outputs(cls, (v, i), (input,), (), (x.shape, d, keep_idx, keepdim))
    return getattr(return_types, name)((v, i))


def _extreme_index(x: np.ndarray, d: int, largest: bool) -> np.ndarray:
    """First position of the max (min) along d, NaN counting as the extreme, as torch."""
    x = _as_1d(x)
    if x.dtype.kind == "b":
        x = x.view(np.uint8)
    idx = np.argmax(x, axis=d) if largest else np.argmin(x, axis=d)
    return np.expand_dims(idx, d)


def _max_min(name: str, largest: bool, whole_cls: type, dim_cls: type, binary: Any) -> Any:
    def op(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None) -> Any:
        check_tensor(input, fn=name)
        if isinstance(dim, Tensor):
            return binary(input, dim)
        x = input._data
        if dim is None:
            _check_nonempty(name, x, (), True)
            v = np.max(x) if largest else np.min(x)
            return _whole(whole_cls, input, v)
        d = wrap_dim(dim, x.ndim)
        if x.ndim:
            _check_nonempty(name, x, (d,), False)
        return _selected(dim_cls, name, input, _extreme_index(x, d, largest), d, keepdim)

    op.__name__ = name
    return op


max = _max_min("max", True, MaxBackward1, MaxBackward0, maximum)
max.__doc__ = ("Returns the maximum value of all elements in the input tensor; with dim, a "
               "namedtuple (values, indices) of each row's maximum and its position; with a "
               "tensor, the element-wise maximum.")
min = _max_min("min", False, MinBackward1, MinBackward0, minimum)
min.__doc__ = ("Returns the minimum value of all elements in the input tensor; with dim, a "
               "namedtuple (values, indices) of each row's minimum and its position; with a "
               "tensor, the element-wise minimum.")


def _amax_grad(m: Any, g: Any, self: Any, result: Any, shape: tuple, dims: tuple,
               keepdim: bool, dt: np.dtype) -> Any:
    # Ties share the gradient evenly: torch's scale_grad_by_count. The count is an integer
    # sum, cast so that it does not widen a float32 gradient.
    mask = _unreduce(m, result, shape, dims, keepdim) == self
    count = m.cast(m.sum(mask, dims, True), dt)
    return (_unreduce(m, g, shape, dims, keepdim) / count) * mask


AmaxBackward0 = node_class("AmaxBackward0", _amax_grad)
AminBackward0 = node_class("AminBackward0", _amax_grad)


def _amax_amin(name: str, np_fn: Any, cls: type) -> Any:
    @declare(vmap=REDUCE)
    def op(input: Tensor, dim: Any = (), keepdim: bool = False, *, out: Any = None) -> Tensor:
        check_tensor(input, fn=name)
        if keepdim is not False:
            check_bool(keepdim, "keepdim", 2, name)
        x = input._data
        if x.ndim and not x.size:
            _check_empty_dims(name, x, dim)
        dims = _reduced(x, dim)
        r = wrap(np.asarray(np_fn(_as_1d(x) if not x.ndim else x, axis=dims if x.ndim else 0,
                                  keepdims=keepdim and x.ndim > 0)).reshape(
            _kept_shape(x.shape, dims, keepdim)))
        if input._rg and _mode.enabled:
            attach(cls, r, (input,), (input, r), (x.shape, dims, keepdim, x.dtype))
        return r

    op.__name__ = name
    return op


def _check_empty_dims(name: str, x: np.ndarray, dim: Any) -> None:
    # amax and amin of an empty tensor: each dim as given must have a size (before the dims
    # are checked for repeats), and a reduction over all of them is refused.
    given = dim.tolist() if isinstance(dim, Tensor) else dim
    given = (given,) if isinstance(given, (int, np.integer)) else given
    if given is None or not len(given):
        _check_nonempty(name, x, (), True)
    for g in given:
        if x.shape[wrap_dim(g, x.ndim)] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {g} to have non-zero size.")


def _kept_shape(shape: tuple, dims: tuple, keepdim: bool) -> tuple:
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


amax = _amax_amin("amax", np.max, AmaxBackward0)
amax.__doc__ = "Returns the maximum value of each slice of the input tensor in the given dims."
amin = _amax_amin("amin", np.min, AminBackward0)
amin.__doc__ = "Returns the minimum value of each slice of the input tensor in the given dims."


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """Computes the minimum and maximum values of the input tensor, as (min, max)."""
    check_tensor(input, fn="aminmax")
    dims = () if dim is None else dim
    x = input._data
    if x.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is not None and x.ndim and x.shape[wrap_dim(dim, x.ndim)] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {wrap_dim(dim, x.ndim)} to have "
                         "non-zero size.")
    return return_types.aminmax((amin(input, dims, keepdim), amax(input, dims, keepdim)))


def _arg(name: str, largest: bool) -> Any:
    def op(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
        check_tensor(input, fn=name)
        x = input._data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{name}(): does not support bool input")
        if _cuts.recorder is not None:
            _cuts.note(input, f"{name}()")
        if dim is None:
            if not x.size:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            i = _extreme_index(x.reshape(-1), 0, largest).reshape(())
            return wrap(i.reshape((1,) * x.ndim) if keepdim else i)
        d = wrap_dim(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        i = _extreme_index(x, d, largest)
        if not x.ndim:
            return wrap(i.reshape(()))
        return wrap(i if keepdim else np.squeeze(i, d))

    op.__name__ = name
    return op


argmax = _arg("argmax", True)
argmax.__doc__ = "Returns the indices of the maximum value of all elements (or along dim)."
argmin = _arg("argmin", False)
argmin.__doc__ = "Returns the indices of the minimum value of all elements (or along dim)."


# -- variance and standard deviation ---------------------------------------------------------

def _var_grad(m: Any, g: Any, self: Any, shape: tuple, dims: tuple, keepdim: bool,
              correction: float, n: int, whole: bool) -> Any:
    g = _unreduce(m, g, shape, dims, keepdim)
    centered = self - m.sum(self, dims, True) / n
    if whole and n - correction <= 0:
        # torch's var_backward over the whole tensor without degrees of freedom: 2 / 0 times
        # the centered input, NaN where it is 0 and inf elsewhere.
        return m.where(centered == 0, g * math.nan, g * math.inf)
    return _ieee_div(2.0, n - correction) * g * centered


def _ieee_div(a: float, b: float) -> float:
    # Python raises on division by zero where torch's C++ gives inf or nan.
    if b == 0:
        return math.copysign(math.inf, a) if a else math.nan
    return a / b


def _std_grad(m: Any, g: Any, self: Any, result: Any, shape: tuple, dims: tuple,
              keepdim: bool, correction: float, n: int, whole: bool) -> Any:
    gv = m.where(result == 0, 0.0, g / (result * 2))
    return _var_grad(m, gv, self, shape, dims, keepdim, correction, n, whole)


VarBackward0 = node_class("VarBackward0", _var_grad)
StdBackward0 = node_class("StdBackward0", _std_grad)


def _var_args(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
              name: str) -> tuple:
    check_tensor(input, fn=name)
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    x = input._data
    if x.dtype.kind != "f":
        what = name if name.endswith("_mean") else "std and var"
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = _reduced(x, dim)
    n = _count(x.shape, dims)
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    # The context of the backward formulas; `whole`: torch's backward without a dim.
    return x, (x.shape, dims, keepdim, correction, n, dim is None or not x.ndim)


def _variance(x: np.ndarray, dims: tuple, keepdim: bool, correction: float, n: int
              ) -> np.ndarray:
    # float16 gives its variance in float32 (the caller rounds it, after std's square root).
    x = x.astype(reduce_dtype(x.dtype), copy=False)
    with np.errstate(all="ignore"):
        if not x.ndim:
            mean = x
            v = (x - mean) ** 2 / x.dtype.type(_b_max(n - correction, 0))
            return np.asarray(v, dtype=x.dtype)
        if not x.size:
            # torch fills the result of an empty input with nan before any correction is
            # applied (a negative one would otherwise divide a zero sum by a positive count).
            return np.full(_kept_shape(x.shape, dims, keepdim), np.nan, x.dtype)
        mean = np.mean(x, axis=dims, keepdims=True)
        ss = np.sum(np.square(x - mean), axis=dims, keepdims=keepdim)
        return np.asarray(ss / x.dtype.type(_b_max(n - correction, 0)), dtype=x.dtype)


@declare(vmap=REDUCE)
def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, out: Any = None) -> Tensor:
    """Calculates the variance over the dimensions specified by dim, with Bessel's correction
    (`correction`, 1 by default) applied to the count."""
    x, ctx = _var_args(input, dim, unbiased, keepdim, correction, "var")
    with np.errstate(over="ignore"):
        r = wrap(_variance(x, *ctx[1:5]).astype(x.dtype, copy=False))
    if input._rg and _mode.enabled:
        attach(VarBackward0, r, (input,), (input,), ctx)
    return r


@declare(vmap=REDUCE)
def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, out: Any = None) -> Tensor:
    """Calculates the standard deviation over the dimensions specified by dim, with Bessel's
    correction (`correction`, 1 by default) applied to the count."""
    x, ctx = _var_args(input, dim, unbiased, keepdim, correction, "std")
    with np.errstate(all="ignore"):
        r = wrap(np.sqrt(_variance(x, *ctx[1:5])).astype(x.dtype, copy=False))
    if input._rg and _mode.enabled:
        attach(StdBackward0, r, (input,), (input, r), ctx)
    return r


def _mean_grad(m: Any, g: Any, shape: tuple, dims: tuple, keepdim: bool, n: int) -> Any:
    return m.expand(_unreduce(m, g, shape, dims, keepdim) / n, shape)


def _var_mean_grad(m: Any, grads: list, self: Any, shape: tuple, dims: tuple, keepdim: bool,
                   correction: float, n: int, whole: bool) -> Any:
    gv, gm = grads
    out = None if gv is None else _var_grad(m, gv, self, shape, dims, keepdim, correction, n,
                                            whole)
    if gm is not None:
        mg = _mean_grad(m, gm, shape, dims, keepdim, n)
        out = mg if out is None else out + mg
    return out


def _std_mean_grad(m: Any, grads: list, self: Any, result: Any, shape: tuple, dims: tuple,
                   keepdim: bool, correction: float, n: int, whole: bool) -> Any:
    gs, gm = grads
    out = None if gs is None else _std_grad(m, gs, self, result, shape, dims, keepdim,
                                            correction, n, whole)
    if gm is not None:
        mg = _mean_grad(m, gm, shape, dims, keepdim, n)
        out = mg if out is None else out + mg
    return out


VarMeanBackward0 = node_class("VarMeanBackward0", _var_mean_grad, n_outputs=2)
StdMeanBackward0 = node_class("StdMeanBackward0", _std_mean_grad, n_outputs=2)


def _moments(input: Tensor, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
             name: str, take_sqrt: bool) -> tuple:
    # torch's std_var_mean kernel: one pass gives the variance and the mean, both in double
    # for float32 and float16 inputs, NaN for an empty input.
    x, ctx = _var_args(input, dim, unbiased, keepdim, correction, name)
    dims, n = ctx[1], ctx[4]
    with np.errstate(all="ignore"):
        v = _variance(x, *ctx[1:5])
        if take_sqrt:
            v = np.sqrt(v)
        if not x.ndim:
            mean = x.copy()
        elif not n:
            mean = np.full(_kept_shape(x.shape, dims, keepdim), np.nan, x.dtype)
        else:
            mean = np.mean(x, axis=dims, keepdims=keepdim, dtype=np.float64)
        a = wrap(np.asarray(v).astype(x.dtype, copy=False))
        b = wrap(np.asarray(mean).astype(x.dtype, copy=False))
    if input._rg and _mode.enabled:
        if take_sqrt:
            attach_outputs(StdMeanBackward0, (a, b), (input,), (input, a), ctx)
        else:
            attach_outputs(VarMeanBackward0, (a, b), (input,), (input,), ctx)
    return a, b


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None, out: Any = None) -> tuple:
    """Calculates the variance and mean over the dimensions specified by dim, and returns
    them as the tuple (var, mean); `correction` (1 by default) is subtracted from the count
    for the variance."""
    return _moments(input, dim, unbiased, keepdim, correction, "var_mean", False)


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None, out: Any = None) -> tuple:
    """Calculates the standard deviation and mean over the dimensions specified by dim, and
    returns them as the tuple (std, mean); `correction` (1 by default) is subtracted from the
    count for the standard deviation."""
    return _moments(input, dim, unbiased, keepdim, correction, "std_mean", True)


# -- norms --------------------------------------------------------------------------------

def _vector_norm_grad(m: Any, g: Any, self: Any, result: Any, ord: float, shape: tuple,
                      dims: tuple, keepdim: bool, dt: np.dtype) -> Any:
    if ord == 0:
        return None  # torch leaves it undefined: no gradient flows back
    g = _unreduce(m, g, shape, dims, keepdim)
    norm = _unreduce(m, result, shape, dims, keepdim)
    if ord == 1:
        return m.sign(self) * g
    if ord == 2:
        return g * m.where(norm == 0, 0.0, self / norm)
    if math.isinf(ord):
        mask = m.abs(self) == norm
        return m.sign(self) * ((g / m.cast(m.sum(mask, dims, True), dt)) * mask)
    if ord < 1:
        scaled = m.sign(self) * m.where(self == 0, 0.0, m.pow(m.abs(self), ord - 1))
        return scaled * g * m.pow(norm, 1 - ord)
    if ord < 2:
        scaled = m.sign(self) * m.pow(m.abs(self), ord - 1)
    else:
        scaled = self * m.pow(m.abs(self), ord - 2)
    return scaled * m.where(norm == 0, 0.0, g / m.pow(norm, ord - 1))


LinalgVectorNormBackward0 = node_class("LinalgVectorNormBackward0", _vector_norm_grad)
# torch's older norm kernel, which torch.frobenius_norm and torch's C++ composites
# (pairwise_distance) call: the same derivative.
NormBackward1 = node_class("NormBackward1", _vector_norm_grad)


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None, out: Any = None) -> Tensor:
    """Computes a vector norm: sum(abs(x)**ord)**(1/ord), max(abs(x)) for inf, min(abs(x))
    for -inf, the number of nonzero elements for 0."""
    return vector_norm_as(LinalgVectorNormBackward0, x, ord, dim, keepdim, dtype)


def vector_norm_as(cls: type, x: Tensor, ord: Any, dim: Any, keepdim: bool, dtype: Any
                   ) -> Tensor:
    """vector_norm recording the node class `cls`."""
    input = check_tensor(x, "x", 0, "linalg_vector_norm")
    if input._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy(input._data.dtype)}")
    return vector_norm_node(input, ord, dim, keepdim, dtype, cls)


def norm_dims(input: Tensor, ord: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """at::norm(input, ord, dim, keepdim), as torch's C++ composites call it: the vector norm
    with at::norm's dtype check and its NormBackward1 node."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_legacy(input._data.dtype)} instead.")
    return vector_norm_node(input, ord, dim, keepdim, None, NormBackward1)


def vector_norm_node(input: Tensor, ord: Any, dim: Any, keepdim: bool, dtype: Any, cls: type
                     ) -> Tensor:
    """The vector norm of a floating tensor, recorded as a `cls` node."""
    a = input._data
    if dtype is not None:
        a = a.astype(dtype.np)
    ord = float(ord)
    dims = _reduced(a, dim)
    if (ord < 0 or math.isinf(ord)) and not a.size:
        where = "an empty tensor"
        if dim is not None:
            given = [dim] if isinstance(dim, int) else list(dim)
            empty = [d for d in given if a.shape[wrap_dim(d, a.ndim)] == 0]
            # torch's message runs the dimension into "because", without a space.
            where = f"the dimension {empty[0]}because this dimension is empty and" if empty \
                else None
        if where is not None:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on {where}"
                + ("" if dim is not None else " because") + " the operation does not have an "
                "identity")
    ax = dims if a.ndim else None
    with np.errstate(all="ignore"):
        v = np.abs(a).astype(reduce_dtype(a.dtype), copy=False)
        if ord == math.inf:
            r = np.max(v, axis=ax, keepdims=keepdim) if v.size else np.zeros(
                _kept_shape(a.shape, dims, keepdim), a.dtype)
        elif ord == -math.inf:
            r = np.min(v, axis=ax, keepdims=keepdim) if v.size else np.zeros(
                _kept_shape(a.shape, dims, keepdim), a.dtype)
        elif ord == 0:
            r = np.sum(v != 0, axis=ax, keepdims=keepdim).astype(a.dtype)
        elif ord == 1:
            r = np.sum(v, axis=ax, keepdims=keepdim)
        elif ord == 2:
            r = np.sqrt(np.sum(v * v, axis=ax, keepdims=keepdim))
        else:
            p = v.dtype.type(ord)
            r = np.power(np.sum(np.power(v, p), axis=ax, keepdims=keepdim), 1 / p)
        r = wrap(np.asarray(r, dtype=a.dtype).reshape(_kept_shape(a.shape, dims, keepdim)))
    if input._rg and _mode.enabled:
        attach(cls, r, (input,), (input, r), (ord, a.shape, dims, keepdim, a.dtype),
               _cast(input, a))
    return r


def _ord_str(ord: float) -> str:
    if math.isinf(ord):
        return "inf" if ord > 0 else "-inf"
    return f"{ord:g}"


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None, out: Any = None) -> Tensor:
    """Computes a matrix norm: 'fro' (Frobenius), 'nuc' (nuclear, the sum of singular values),
    inf/-inf (max/min row sum of absolute values), 1/-1 (max/min column sum), 2/-2 (largest
    and smallest singular value)."""
    input = check_tensor(A, "A", 0, "linalg_matrix_norm")
    a = input._data
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        # torch checks a named order before the tensor.
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_legacy(a.dtype)}")
    if isinstance(dim, int) or len(dim) != 2:
        got = dim if isinstance(dim, int) else " ".join(str(d) for d in dim)
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = (wrap_dim(d, a.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(input, 2, (d0, d1), keepdim, dtype=dtype)
        return _singular_norm(input, "nuc", d0, d1, keepdim, dtype)
    if ord in (2, -2):
        return _singular_norm(input, ord, d0, d1, keepdim, dtype)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_ord_str(float(ord))} not supported.")
    # 1-norms of columns (ord +-1) or rows (ord +-inf), then their extreme.
    inner, outer = (d0, d1) if abs(ord) == 1 else (d1, d0)
    if not keepdim and outer > inner:
        outer -= 1
    sums = vector_norm(input, 1, inner, keepdim, dtype=dtype)
    return (amax if ord > 0 else amin)(sums, outer, keepdim)


def _singular_norm(input: Tensor, ord: Any, d0: int, d1: int, keepdim: bool, dtype: Any
                   ) -> Tensor:
    from .decomp import svdvals
    from .shape import permute

    x = input if dtype is None else input.to(dtype)
    nd = x._data.ndim
    rest = [i for i in range(nd) if i not in (d0, d1)]
    s = svdvals(permute(x, (*rest, d0, d1)))
    if ord == "nuc":
        r = s.sum(-1)
    else:
        r = amax(s, -1) if ord == 2 else amin(s, -1)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


@declare(vmap=REDUCE)
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         out: Any = None, dtype: Any = None) -> Tensor:
    """Returns the matrix norm or vector norm of a given tensor (prefer linalg.vector_norm
    and linalg.matrix_norm)."""
    if not isinstance(input, Tensor):
        # torch.norm reads input.layout before anything else.
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'layout'")
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        # The nuclear norm, or matrix_norm's own error for anything else.
        dims = list(range(input._data.ndim)) if dim is None else dim
        return matrix_norm(input, p, dims, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, dim, keepdim, dtype=dtype)


# -- logsumexp ------------------------------------------------------------------------------

LogsumexpBackward0 = node_class(
    "LogsumexpBackward0",
    lambda m, g, self, result, shape, dims, keepdim: _unreduce(m, g, shape, dims, keepdim)
    * m.exp(self - _unreduce(m, result, shape, dims, keepdim)),
)


@declare(vmap=REDUCE)
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False, *, out: Any = None) -> Tensor:
    """Returns the log of summed exponentials of each row of the input tensor in the given
    dimension dim, computed stably."""
    check_tensor(input, fn="logsumexp")
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype().np)
    dims = _reduced(x, dim)
    if isinstance(dim, (list, tuple)) and not dim and not keepdim and x.size:
        # torch reduces every dim, kept, and writes that into an output of shape [].
        check_out_shape((), (1,) * x.ndim)
    with np.errstate(all="ignore"):
        if not x.ndim:
            r = x.copy()
        elif not x.size:
            r = np.full(_kept_shape(x.shape, dims, keepdim), -np.inf, x.dtype)
        else:
            top = np.max(x, axis=dims, keepdims=True)
            top = np.where(np.isinf(top), x.dtype.type(0), top)
            s = np.sum(np.exp(x - top), axis=dims, keepdims=True)
            r = np.log(s) + top
            if not keepdim:
                r = np.squeeze(r, dims)
    r = wrap(np.asarray(r, dtype=x.dtype))
    if input._rg and _mode.enabled:
        attach(LogsumexpBackward0, r, (input,), (input, r), (x.shape, dims, keepdim))
    return r


# -- cumulative ------------------------------------------------------------------------------

def _reverse_cumsum(m: Any, g: Any, dim: int) -> Any:
    return m.flip(m.cumsum(m.flip(g, [dim]), dim), [dim])


CumsumBackward0 = node_class(
    "CumsumBackward0",
    lambda m, g, dim, ndim: g if not ndim else _reverse_cumsum(m, g, dim),
)


def _cumprod_grad(m: Any, g: Any, self: Any, result: Any, dim: int, n: int,
                  zeros: bool) -> Any:
    if n <= 1:
        return g
    if not zeros:
        return _reverse_cumsum(m, g * result, dim) / self
    # With zeros there is no dividing by the input: for each k, the products of the prefixes
    # that contain k, with x_k left out, weigh the gradients of the outputs from k on.
    # x_k left out = the input with position k set to 1, one copy per k on a new axis.
    nd = len(self.shape)
    shape = [1] * (nd + 1)
    shape[dim + 1] = n
    k_shape = [1] * (nd + 1)
    k_shape[0] = n
    pos = np.arange(n)
    eye = np.equal.outer(pos, pos).reshape((n,) + tuple(shape[1:]))
    later = np.greater_equal.outer(pos, pos).T.reshape((n,) + tuple(shape[1:]))
    one_out = m.where(m.const(eye), 1.0, m.unsqueeze(self, 0))
    prods = m.cumprod(one_out, dim + 1)
    total = m.sum(m.where(m.const(later), prods * m.unsqueeze(g, 0), 0.0), (dim + 1,), True)
    # total[k, ..., 0, ...] is the gradient for position k: move k back into dim.
    return m.squeeze(m.transpose(total, 0, dim + 1), 0)


CumprodBackward0 = node_class("CumprodBackward0", _cumprod_grad)


def _cum_input(input: Tensor, dim: int, dtype: Any, name: str) -> tuple:
    check_tensor(input, fn=name)
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if dtype is not None and dtype.np.kind == "b":
        raise not_implemented(f"{name}_out_cpu", dtype)
    if dtype is not None:
        x = x.astype(dtype.np)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    return x, d


@declare(jvp=linear_jvp("cumsum"))
def cumsum(input: Tensor, dim: int, *, dtype: Any = None, out: Any = None) -> Tensor:
    """Returns the cumulative sum of elements of input in the dimension dim."""
    x, d = _cum_input(input, dim, dtype, "cumsum")
    r = wrap(accumulate(np.cumsum, x, d))
    if input._rg and _mode.enabled:
        attach(CumsumBackward0, r, (input,), (), (d, x.ndim), _cast(input, x))
    return r


def cumprod(input: Tensor, dim: int, *, dtype: Any = None, out: Any = None) -> Tensor:
    """Returns the cumulative product of elements of input in the dimension dim."""
    x, d = _cum_input(input, dim, dtype, "cumprod")
    r = wrap(accumulate(np.cumprod, x, d))
    if input._rg and _mode.enabled:
        n = x.shape[d] if x.ndim else 1
        zeros = bool(x.size) and bool(np.any(x == 0))
        attach(CumprodBackward0, r, (input,), (input, r), (d, n, zeros), _cast(input, x))
    return r


def _cummaxmin_grad(m: Any, grads: list, self: Any, shape: tuple, dim: int, index: Any
                    ) -> Any:
    # torch's cummaxmin_backward: each output's gradient goes to the position it came from;
    # an empty input is its own gradient.
    if not _count(shape, range(len(shape))):
        return self
    if not shape:
        return grads[0]
    return m.gather_backward(grads[0], shape, dim, index)


CummaxBackward0 = node_class("CummaxBackward0", _cummaxmin_grad, n_outputs=2)
CumminBackward0 = node_class("CumminBackward0", _cummaxmin_grad, n_outputs=2)


def _cum_extreme(name: str, largest: bool, cls: type) -> Any:
    def op(input: Tensor, dim: int, *, out: Any = None) -> Any:
        check_tensor(input, fn=name)
        x = input._data
        d = wrap_dim(dim, x.ndim)
        if not x.ndim or not x.size:
            vals, idx = x.copy(), np.zeros(x.shape, np.int64)
        else:
            xx = x.view(np.uint8) if x.dtype.kind == "b" else x
            # NaN propagates, as in torch's kernel; np.fmax would skip it.
            vals = (np.maximum if largest else np.minimum).accumulate(xx, axis=d)
            # torch's kernel moves to position i when x_i is NaN or, while the running value
            # is not NaN, when x_i >= (<=) it: ties take the last position.
            prev = np.take(vals, range(0, x.shape[d] - 1), axis=d)
            cur = np.take(xx, range(1, x.shape[d]), axis=d)
            with np.errstate(invalid="ignore"):
                moves = (cur >= prev) if largest else (cur <= prev)
            if x.dtype.kind == "f":
                moves = np.isnan(cur) | (moves & ~np.isnan(prev))
            first = np.ones(np.take(xx, [0], axis=d).shape, bool)
            pos = np.arange(x.shape[d]).reshape([-1 if i == d else 1 for i in range(x.ndim)])
            idx = np.maximum.accumulate(np.where(np.concatenate([first, moves], d), pos, 0),
                                        axis=d).astype(np.int64)
            vals = vals.view(np.bool_) if x.dtype.kind == "b" else vals
        v, i = wrap(vals), wrap(idx)
        if input._rg and _mode.enabled:
            attach_outputs(cls, (v, i), (input,), (input,), (x.shape, d, idx))
        return getattr(return_types, name)((v, i))

    op.__name__ = name
    return op


cummax = _cum_extreme("cummax", True, CummaxBackward0)
cummax.__doc__ = ("Returns a namedtuple (values, indices) where values is the cumulative "
                  "maximum of elements of input in the dimension dim, and indices is the index "
                  "location of each maximum value found in the dimension dim.")
cummin = _cum_extreme("cummin", False, CumminBackward0)
cummin.__doc__ = ("Returns a namedtuple (values, indices) where values is the cumulative "
                  "minimum of elements of input in the dimension dim, and indices is the index "
                  "location of each minimum value found in the dimension dim.")


def _logcumsumexp_grad(m: Any, g: Any, self: Any, result: Any, dim: int, trivial: bool,
                       lowest: float) -> Any:
    # torch's logcumsumexp_backward: the positive and negative parts of the gradient go back
    # through reversed logcumsumexps in log space, which never overflow.
    if trivial:
        return g
    log_abs = m.log(m.abs(g))
    pos = m.where(g > 0, log_abs, lowest)
    neg = m.where(g < 0, log_abs, lowest)

    def back(lg: Any) -> Any:
        rev = m.flip(m.logcumsumexp(m.flip(lg - result, [dim]), dim), [dim])
        return m.exp(rev + self)

    return back(pos) - back(neg)


LogcumsumexpBackward0 = node_class("LogcumsumexpBackward0", _logcumsumexp_grad)


def logcumsumexp(input: Tensor, dim: int, *, out: Any = None) -> Tensor:
    """Returns the logarithm of the cumulative summation of the exponentiation of elements
    of input in the dimension dim."""
    check_tensor(input, fn="logcumsumexp")
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.dtype.kind != "f":
        raise not_implemented("logcumsumexp_out_cpu", input.dtype)
    r = wrap(_logcumsumexp(x, d))
    if input._rg and _mode.enabled:
        attach(LogcumsumexpBackward0, r, (input,), (input, r),
               (d, not x.ndim or not x.size, float(np.finfo(x.dtype).min)))
    return r


# -- truth tests and counting -------------------------------------------------------------

def _truth(name: str, np_fn: Any) -> Any:
    @declare(vmap=REDUCE)
    def op(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None) -> Tensor:
        check_tensor(input, fn=name)
        if keepdim is not False:
            check_bool(keepdim, "keepdim", 2, name, (input, dim, keepdim))
        x = input._data
        dims = _reduced(x, dim)
        r = np_fn(x, axis=dims if x.ndim else None, keepdims=keepdim and x.ndim > 0)
        r = np.asarray(r)
        # uint8 stays uint8, as in torch; everything else gives bool.
        return wrap(r.astype(np.uint8) if x.dtype == np.uint8 else r)

    op.__name__ = name
    return op


all = _truth("all", np.all)
all.__doc__ = "Tests if all elements in input evaluate to True (over dim, if given)."
any = _truth("any", np.any)
any.__doc__ = "Tests if any element in input evaluates to True (over dim, if given)."


@declare(vmap=REDUCE)
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Counts the number of non-zero values in the tensor input along the given dim."""
    check_tensor(input, fn="count_nonzero")
    x = input._data
    dims = _reduced(x, dim)
    return wrap(np.asarray(np.count_nonzero(x, axis=dims if x.ndim else None), dtype=np.int64))


# -- medians and modes ---------------------------------------------------------------------

def _median_index(x: np.ndarray, d: int, ignore_nan: bool) -> np.ndarray:
    """Index of the lower median along d (stable order); NaN, when not ignored, wins at its
    first position."""
    order = np.argsort(x, axis=d, kind="stable")
    nans = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    n_valid = x.shape[d] - np.sum(nans, axis=d, keepdims=True)
    if ignore_nan:
        k = np.maximum((n_valid - 1) // 2, 0)
    else:
        k = np.full(n_valid.shape, (x.shape[d] - 1) // 2)
    idx = np.take_along_axis(order, k, d)
    if not ignore_nan:
        any_nan = np.any(nans, axis=d, keepdims=True)
        first_nan = np.expand_dims(np.argmax(nans, axis=d), d)
        idx = np.where(any_nan, first_nan, idx)
    else:
        all_nan = n_valid == 0
        first = np.zeros_like(idx)
        idx = np.where(all_nan, first, idx)
    return idx


def _median(name: str, ignore_nan: bool, whole_cls: type, dim_cls: type) -> Any:
    def op(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Any = None) -> Any:
        check_tensor(input, fn=name)
        x = input._data
        # torch's bool kernels are median's for nanmedian too.
        if dim is None:
            if not x.size:
                # torch fills in NaN, converted to the dtype as x86 converts it: 32- and
                # 64-bit integers get their smallest value, narrower ones its low bits, 0;
                # bool, True.
                if x.dtype.kind in "fb":
                    return wrap(np.asarray(np.nan, dtype=x.dtype))
                wide = x.dtype.kind == "i" and x.dtype.itemsize >= 4
                return wrap(np.asarray(np.iinfo(x.dtype).min if wide else 0, dtype=x.dtype))
            if x.dtype.kind == "b":
                raise not_implemented("median_cpu", input.dtype)
            flat = x.reshape(-1)
            i = _median_index(flat, 0, ignore_nan)[0]
            return _whole(whole_cls, input, flat[i])
        d = wrap_dim(dim, x.ndim)
        xx = _as_1d(x)
        if xx.shape[d] == 0:  # nanmedian shares median's check and its name
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
        if x.dtype.kind == "b":
            raise not_implemented("median_out", input.dtype)
        return _selected(dim_cls, name, input, _median_index(xx, d, ignore_nan), d, keepdim)

    op.__name__ = name
    return op


median = _median("median", False, MedianBackward0, MedianBackward1)
median.__doc__ = ("Returns the median of the values in input (the lower of the two middle "
                  "values for an even count); with dim, a namedtuple (values, indices).")
nanmedian = _median("nanmedian", True, NanmedianBackward0, NanmedianBackward1)
nanmedian.__doc__ = "Returns the median of the values in input, ignoring NaN values."


def _mode_index(x: np.ndarray, d: int) -> np.ndarray:
    """The position of torch's mode along d: after sorting each row by value as C++'s
    std::sort does, the last element of the longest run of equal values (the first such run,
    so the smallest value wins ties)."""
    moved = np.moveaxis(x, d, -1)
    n = moved.shape[-1]
    rows = moved.reshape(-1, n)
    out = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows.tolist()):
        pos = list(range(n))
        std_sort(row, pos)
        best_count = count = 0
        best = 0
        for i in range(n):
            count += 1
            if i == n - 1 or row[i] != row[i + 1]:
                if count > best_count:
                    best, best_count = pos[i], count
                count = 0
        out[r] = best
    return np.expand_dims(out.reshape(moved.shape[:-1]), d)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, out: Any = None) -> Any:
    """Returns a namedtuple (values, indices): the mode value of each row of input in the
    dimension dim, and the index of its last occurrence."""
    check_tensor(input, fn="mode")
    x = input._data
    d = wrap_dim(dim, x.ndim)
    xx = _as_1d(x)
    if xx.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    return _selected(ModeBackward0, "mode", input, _mode_index(xx, d), d, keepdim)


# -- ignoring NaN ------------------------------------------------------------------------------

NansumBackward0 = node_class(
    "NansumBackward0",
    lambda m, g, self, shape, dims, keepdim: _unreduce(m, g, shape, dims, keepdim)
    * (self == self),
)


@declare(jvp=linear_jvp("nansum"), vmap=REDUCE)
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
           out: Any = None) -> Tensor:
    """Returns the sum of all elements, treating Not a Numbers (NaNs) as zero."""
    check_tensor(input, fn="nansum")
    if keepdim is not False:
        check_bool(keepdim, "keepdim", 2, "nansum")
    x = _int_result(input._data, dtype)
    dims = _reduced(x, dim)
    with np.errstate(over="ignore", invalid="ignore"):
        r = wrap(np.asarray(np.nansum(x, axis=dims if x.ndim else None,
                                      keepdims=keepdim and x.ndim > 0,
                                      dtype=reduce_dtype(x.dtype)), dtype=x.dtype))
    if input._rg and _mode.enabled:
        attach(NansumBackward0, r, (input,), (input,), (x.shape, dims, keepdim),
               _cast(input, x))
    return r


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            out: Any = None) -> Tensor:
    """Computes the mean of all non-NaN elements along the specified dimensions."""
    check_tensor(input, fn="nanmean")
    if keepdim is not False:
        check_bool(keepdim, "keepdim", 2, "nanmean")
    x = input._data
    if (dtype.np if dtype is not None else x.dtype).kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{FROM_NUMPY[x.dtype]._legacy}")
    dims = _reduced(x, dim)
    count = np.sum(~np.isnan(x), axis=dims if x.ndim else None,
                   keepdims=keepdim and x.ndim > 0)
    return div(nansum(input, dim, keepdim, dtype=dtype), wrap(np.asarray(count, np.int64)))


def _accumulate_(op: Callable, doc: str) -> Callable:
    def method(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
        if dtype is not None and dtype.np != self._data.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype "
                               f"{type_meta_name(self._data.dtype)} and output tensor dtype "
                               f"{type_meta_name(dtype.np)} should match")
        # Accumulated in self's dtype (an int32 cumsum_ stays int32).
        from .inplace import apply_in_place

        return apply_in_place(op, self, dim, dtype=self.dtype)

    method.__doc__ = doc
    return method


cumsum_ = _accumulate_(cumsum, "In-place version of cumsum().")
cumprod_ = _accumulate_(cumprod, "In-place version of cumprod().")


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
