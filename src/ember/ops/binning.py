"""Counting and binning: bincount, histc, and the binary searches searchsorted and
bucketize. None of them is differentiable in torch (bincount's weights reach a node that
fails in backward)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dtypes import FROM_NUMPY, result_type
from .._tensor import Tensor
from .._transform_hooks import transform_ops
from ._core import attach, check_tensor, needs_grad, shape_str, wrap
from .elementary import _not_implemented

__all__ = ["bincount", "histc", "searchsorted", "bucketize"]

_NoBincount = _not_implemented("bincount", 1)


def _legacy(dt: np.dtype) -> str:
    return FROM_NUMPY[dt]._legacy


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count the frequency of each value in an array of non-negative ints; with weights,
    sums the weights of each value instead."""
    x = check_tensor(input, "input", 0, "bincount")._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_legacy(x.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return wrap(np.bincount(x.astype(np.int64), minlength=minlength).astype(np.int64))
    w = weights._data
    if not x.size:
        # torch gives integer zeros for empty input, with weights or not.
        return wrap(np.zeros(minlength, dtype=np.int64))
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    # float weights keep their type; any other weights are summed in double.
    out_dt = w.dtype if w.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    r = np.zeros(max(int(x.max()) + 1 if x.size else 0, minlength), dtype=out_dt)
    np.add.at(r, x.astype(np.int64), w.astype(out_dt))
    out = wrap(r)
    if needs_grad(weights):
        attach(_NoBincount, out, (weights,))
    return out


def _c_number(v: float) -> str:
    # How C++ streams print a double (torch's messages): 6 significant digits.
    if np.isnan(v):
        return "-nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0, *,
          out: Any = None) -> Tensor:
    """Computes the histogram of a tensor: bins of equal width between min and max (the
    data's minimum and maximum when both are 0); elements outside are ignored."""
    x = check_tensor(input, "input", 0, "histc")._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_legacy(x.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_c_number(lo)}, {_c_number(hi)}] is not "
                           "finite")
    ft = x.dtype.type
    flat = x.reshape(-1)
    keep = flat[(flat >= ft(lo)) & (flat <= ft(hi))]
    with np.errstate(all="ignore"):
        # torch's linear interpolation, in the input's precision.
        pos = ((keep - ft(lo)) * ft(bins) / (ft(hi) - ft(lo))).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    return wrap(np.bincount(pos, minlength=bins).astype(x.dtype))


_SEARCH_SIGNATURES = {
    "searchsorted": (
        " * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = False, bool right = "
        "False, str side = None, Tensor sorter = None, Tensor out = None)\n"
        " * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = "
        "False, str side = None, Tensor sorter = None, Tensor out = None)\n"),
    "bucketize": (
        " * (Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, "
        "Tensor out = None)\n"
        " * (Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False)\n"),
}


def _check_search_args(name: str, first: Any, second: Any, kwargs: dict) -> None:
    """torch's argument parser: one of the two arguments is a tensor, the other a tensor or
    a number (searchsorted: sequence first; bucketize: boundaries second)."""
    seq, values = (first, second) if name == "searchsorted" else (second, first)
    if isinstance(seq, Tensor) and (isinstance(values, (Tensor, int, float))):
        return
    def kind(a: Any) -> str:
        return "Tensor" if isinstance(a, Tensor) else type(a).__name__
    got = ", ".join([kind(first), kind(second)] + [f"{k}={kind(v)}" for k, v in kwargs.items()
                                                   if v is not None])
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                    f"but expected one of:\n{_SEARCH_SIGNATURES[name]}")


def _binary_search(b: np.ndarray, v: np.ndarray, right: bool, sorter: np.ndarray | None
                   ) -> np.ndarray:
    """torch's search over each row of b (rows of v): the first position whose boundary is
    not below the value (right: above it); NaNs in b compare as torch's do."""
    n = b.shape[-1]
    lo = np.zeros(v.shape, dtype=np.int64)
    hi = np.full(v.shape, n, dtype=np.int64)
    rows = np.arange(b.shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        while True:
            live = lo < hi
            if not live.any():
                return lo
            mid = (lo + hi) // 2
            at = np.minimum(mid, n - 1)
            if sorter is not None:
                at = sorter[rows, at]
            bv = b[rows, at]
            go_right = ~(bv > v) if right else ~(bv >= v)
            lo = np.where(live & go_right, mid + 1, lo)
            hi = np.where(live & ~go_right, mid, hi)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None,
                 out: Any = None) -> Tensor:
    """Find the indices from the innermost dimension of sorted_sequence such that, if the
    corresponding values in input were inserted before the indices, the order of the
    corresponding innermost dimension within sorted_sequence would be preserved."""
    _check_search_args("searchsorted", sorted_sequence, input, {})
    seq = sorted_sequence
    scalar = not isinstance(input, Tensor)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    b = seq._data
    if b.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    v = np.asarray(input) if scalar else input._data
    if b.ndim > 1 and (v.ndim != b.ndim or v.shape[:-1] != b.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {shape_str(b.shape)} and input value tensor "
            f"{shape_str(v.shape)}")
    srt = None
    if sorter is not None:
        s = sorter._data
        if s.dtype != np.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype "
                               f"but got dtype {_legacy(s.dtype)}")
        if s.shape != b.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {shape_str(b.shape)}and got "
                               f"sorter tensor {shape_str(s.shape)}")
        if s.size and (s.min() < 0 or s.max() >= b.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        srt = s.reshape(int(np.prod(b.shape[:-1])), b.shape[-1])
    dt = result_type(seq, input)
    if dt.np.kind == "b":
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    rows = int(np.prod(b.shape[:-1]))
    bb = b.astype(dt.np, copy=False).reshape(rows, b.shape[-1])
    vv = v.astype(dt.np, copy=False).reshape(rows, v.size // rows if rows else 0)
    if bb.shape[-1] == 0:
        idx = np.zeros(vv.shape, dtype=np.int64)
    else:
        idx = _binary_search(bb, vv, bool(right), srt)
    return wrap(idx.reshape(v.shape).astype(np.int32 if out_int32 else np.int64))


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False, out: Any = None) -> Tensor:
    """Returns the indices of the buckets to which each value in the input belongs, where
    the boundaries of the buckets are set by boundaries."""
    _check_search_args("bucketize", input, boundaries, {})
    bnd = boundaries
    if bnd._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{bnd._data.ndim})")
    return searchsorted(bnd, input, out_int32=out_int32, right=right)


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
