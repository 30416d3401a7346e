"""Statistics torch composes from other ops: quantiles (sorting, then gathering and
interpolating the neighbouring ranks), covariance and correlation matrices. Written with
ember's ops, as torch writes them with its own, so that their graphs carry torch's nodes."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY, float32
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ._core import check_tensor, wrap, wrap_dim
from .arithmetic import clamp, logical_not, mul, sqrt, sub
from .creation import full_like
from .elementary import ceil, floor, isnan, lerp, round
from .indexing import gather, masked_fill
from .inplace import zero_
from .joining import broadcast_tensors
from .matrix import diagonal
from .products import mm
from .reduction import any
from .shape import flatten, squeeze, squeeze_in_place, t, transpose, unsqueeze, view
from .sorting import sort
from .sum_mean import sum

__all__ = ["quantile", "nanquantile", "cov", "corrcoef"]

_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(input: Tensor, q: Any, interpolation: str) -> Tensor:
    """torch's checks of quantile's arguments, in its order; q as a tensor."""
    if not isinstance(q, Tensor):
        # The Scalar overload checks its number before anything else.
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    x = input._data
    if not x.size:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not isinstance(q, Tensor):
        return wrap(np.asarray(q, dtype=x.dtype))
    if q._data.dtype != x.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    return q


def _quantile(input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    # torch's quantile_impl (ATen/native/Sorting.cpp), step by step.
    check_tensor(input, fn="nanquantile" if ignore_nan else "quantile")
    q = _quantile_checks(input, q, interpolation)
    x = input._data
    if dim is None:
        reduced = [1] * x.ndim if keepdim else []
        ordered = sort(flatten(input))[0]
    else:
        d = wrap_dim(dim, x.ndim)
        reduced = list(x.shape)
        if x.ndim:
            if keepdim:
                reduced[d] = 1
            else:
                del reduced[d]
        ordered = sort(transpose(unsqueeze(input, -1), d, -1))[0]
    qd = q._data
    if ((qd < 0) | (qd > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    n = ordered._data.shape[-1]
    ordered = view(ordered, reduced + [n])
    if ignore_nan:
        # Ranks among the values that are not NaN; none of them: rank 0, which gives NaN.
        ranks = mul(q, sub(sum(logical_not(isnan(ordered)), -1, True), 1))
        ranks = masked_fill(ranks, ranks < 0, 0)
    else:
        # A NaN in a row sorts last and makes every quantile of the row NaN.
        scaled, has_nan = broadcast_tensors(mul(q, n - 1), any(isnan(ordered), -1, True))
        ranks = masked_fill(scaled, has_nan, n - 1)
    if interpolation == "lower":
        ranks = floor(ranks)
    elif interpolation == "higher":
        ranks = ceil(ranks)
    elif interpolation == "nearest":
        ranks = round(ranks)
    below = ranks.long()
    values = gather(ordered, -1, below)
    if interpolation in ("linear", "midpoint"):
        weights = full_like(ranks, 0.5) if interpolation == "midpoint" else sub(ranks, below)
        values = lerp(values, gather(ordered, -1, ceil(ranks).long()), weights)
    if not qd.ndim:
        return squeeze_in_place(values, -1)
    return squeeze_in_place(transpose(unsqueeze(values, 0), 0, -1), -1)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear", out: Any = None) -> Tensor:
    """Computes the q-th quantiles of each row of the input tensor along the dimension dim
    (of the flattened input when dim is None), interpolating between the two nearest ranks
    as `interpolation` says: linear, lower, higher, midpoint or nearest."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear", out: Any = None) -> Tensor:
    """A variant of quantile() that "ignores" NaN values, computing the quantiles q as if
    NaN values in input did not exist; a row of NaN only gives NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


def _legacy(dt: np.dtype) -> str:
    return FROM_NUMPY[dt]._legacy


def _check_weights(w: Tensor, what: str, observations: int) -> None:
    a = w._data
    if a.ndim > 1:
        raise RuntimeError(f"cov(): expected {what}s to have one or fewer dimensions but got "
                           f"{what}s with {a.ndim} dimensions")
    floating = what == "aweight"
    if (a.dtype.kind == "f") != floating or a.dtype.kind == "b":
        kind = "floating point" if floating else "integral"
        raise RuntimeError(f"cov(): expected {what}s to have {kind} dtype but got {what}s "
                           f"with {_legacy(a.dtype)} dtype")
    if a.size != observations:
        raise RuntimeError(f"cov(): expected {what}s to have the same numel as there are "
                           f"observations in the input but got {a.size} != {observations}")
    if observations and not a.min() >= 0:
        raise RuntimeError(f"cov(): {what}s cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Estimates the covariance matrix of the variables given by the input matrix, where rows
    are the variables and columns are the observations; fweights are integer frequencies
    and aweights observation weights."""
    # torch's cov (ATen/native/Correlation.cpp), step by step.
    check_tensor(input, fn="cov")
    x = input._data
    if x.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")
    if x.dtype.kind == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    obs = input if x.ndim == 2 else view(input, 1, -1)
    observations = obs._data.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweight", observations)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweight", observations)
        w = aweights if w is None else mul(w, aweights)
    if w is None:
        w_sum: Any = wrap(np.asarray(observations, np.int64))
    else:
        w_sum = sum(w)
        if not w_sum._data != 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = sum(obs if w is None else mul(obs, w), 1) / w_sum
    if w is None:
        norm: Any = wrap(np.asarray(observations - correction, np.int64))
    elif correction == 0:
        norm = w_sum
    elif aweights is None:
        norm = w_sum - correction
    elif fweights is None and observations == 1 and correction == 1:
        # torch's corner case, for NumPy's result without rounding error.
        norm = wrap(np.asarray(0, np.int64))
    else:
        norm = w_sum - correction * sum(mul(w, aweights)) / w_sum
    if norm._data <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    if observations == 1 and (fweights is None) != (aweights is None):
        # torch's corner case: one observation with one kind of weights is its own average,
        # and torch zeroes the input in place (refused for a leaf that requires grad).
        centered = zero_(obs)
        if centered._data.dtype.kind in "biu":
            centered = centered.to(float32)
    else:
        centered = obs - unsqueeze(avg, 1)
    c = mm(centered, t(centered if w is None else mul(centered, w)))
    return squeeze(c / norm)


def corrcoef(input: Tensor) -> Tensor:
    """Estimates the Pearson product-moment correlation coefficient matrix of the variables
    given by the input matrix, where rows are the variables and columns are the
    observations."""
    check_tensor(input, fn="corrcoef")
    if input._data.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input._data.ndim} dimensions")
    c = cov(input)
    if not c._data.ndim:
        # One variable: NaN where its variance is NaN, inf or 0, else 1.
        return c / c
    stddev = sqrt(diagonal(c))
    c = c / view(stddev, -1, 1)
    c = c / view(stddev, 1, -1)
    return clamp(c, -1, 1)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
