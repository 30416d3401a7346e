"""make_tensor: torch.testing's tensors of random values for tests, drawn as torch draws
them (so that they are the same after manual_seed)."""

from __future__ import annotations

import collections.abc
import math
import warnings
from typing import Any

import numpy as np

from .. import _dtypes
from .._tensor import Tensor

__all__ = ["make_tensor"]

_INTEGRAL = (_dtypes.uint8, _dtypes.int8, _dtypes.int16, _dtypes.int32, _dtypes.int64)
_FLOATING = (_dtypes.float16, _dtypes.float32, _dtypes.float64)


def make_tensor(*shape: Any, dtype: Any, device: Any, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format: Any = None) -> Tensor:
    """Creates a tensor with the given shape, device, and dtype, filled with values
    uniformly drawn from [low, high) (default [-9, 9) for floats, [-9, 10) for integers,
    [0, 2) for bool)."""
    from ..ops.creation import empty, randint

    def modify_low_high(low: Any, high: Any, *, lowest_inclusive: float,
                        highest_exclusive: float, default_low: float,
                        default_high: float) -> tuple:
        low = low if low is not None else default_low
        high = high if high is not None else default_high
        if any(isinstance(v, float) and math.isnan(v) for v in [low, high]):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low!r} and "
                             f"high={high!r}")
        elif low == high and dtype in _FLOATING:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                          "complex types is deprecated since 2.1 and will be removed in 2.3. "
                          "Use `torch.full(...)` instead.", FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest_inclusive or low >= highest_exclusive:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                             f"{high}), but {dtype} only supports [{lowest_inclusive}, "
                             f"{highest_exclusive})")
        low = min(max(low, lowest_inclusive), highest_exclusive)
        high = min(max(high, lowest_inclusive), highest_exclusive)
        if dtype is _dtypes.bool or dtype in _INTEGRAL:
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous!r} and "
                         f"memory_format={memory_format!r}")
    if requires_grad and (dtype is _dtypes.bool or dtype in _INTEGRAL):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dtype!r}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is _dtypes.bool:
        low, high = modify_low_high(low, high, lowest_inclusive=0, highest_exclusive=2,
                                    default_low=0, default_high=2)
        result = randint(low, high, shape, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = np.iinfo(dtype.np)
        low, high = modify_low_high(
            low, high, lowest_inclusive=int(info.min),
            highest_exclusive=int(info.max) + (1 if dtype is not _dtypes.int64 else 0),
            default_low=-9, default_high=10)
        result = randint(low, high, shape, dtype=dtype)
    elif dtype in _FLOATING:
        info = np.finfo(dtype.np)
        low, high = modify_low_high(low, high, lowest_inclusive=float(info.min),
                                    highest_exclusive=float(info.max), default_low=-9,
                                    default_high=9)
        result = empty(shape, dtype=dtype)
        if high - low >= float(info.max):
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        tiny = float(np.finfo(dtype.np).tiny) if dtype in _FLOATING else 1
        result[result == 0] = tiny
    if dtype in _FLOATING:
        result.requires_grad = requires_grad
    return result
