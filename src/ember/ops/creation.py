"""Tensor factories."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import _dtypes
from .._dtypes import FROM_NUMPY, from_numpy_dtype, get_default_dtype
from .._tensor import Tensor
from ._core import shape_str

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
    "arange", "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
]


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size: tuple) -> tuple:
    """The shape from factory arguments: `f(2, 3)`, `f((2, 3))` or `f([2, 3])`."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (numbers.Integral,)) or isinstance(s, bool):
            raise TypeError("expected a sequence of integers or a single integer, got "
                            f"'{type(s).__name__}'")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{shape_str(out)}")
    return tuple(out)


def _np_dtype(dtype: Any, default: Any = None) -> np.dtype:
    if dtype is None:
        return (default or get_default_dtype()).np
    if isinstance(dtype, _dtypes.dtype):
        return dtype.np
    raise TypeError(f"dtype must be an ember dtype, not {type(dtype).__name__}")


def _infer_dtype(value: Any) -> np.dtype:
    """The dtype torch infers for Python data: bool, then int64, then the default float."""
    kinds = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor):
            kinds.add(("t", v._data.dtype))
        elif isinstance(v, np.ndarray):
            kinds.add(("t", v.dtype))
        elif isinstance(v, (bool, np.bool_)):
            kinds.add("b")
        elif isinstance(v, numbers.Integral):
            kinds.add("i")
        elif isinstance(v, numbers.Real):
            kinds.add("f")
        elif isinstance(v, numbers.Complex):
            raise TypeError("complex numbers are not supported")
        else:
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
    tensor_dtypes = [k[1] for k in kinds if isinstance(k, tuple)]
    if "f" in kinds or any(d.kind == "f" for d in tensor_dtypes):
        fl = [d for d in tensor_dtypes if d.kind == "f"]
        return max(fl, key=lambda d: d.itemsize) if fl and "f" not in kinds else \
            get_default_dtype().np
    if "i" in kinds or any(d.kind in "iu" for d in tensor_dtypes):
        return np.dtype(np.int64)
    return np.dtype(np.bool_)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        return np.array(data, dtype=_np_dtype(dtype, FROM_NUMPY[data.dtype]), copy=True)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    target = _np_dtype(dtype) if dtype is not None else _infer_dtype(data)
    _check_rectangular(data)
    try:
        arr = np.array(_plain(data))
    except (ValueError, TypeError) as e:
        raise ValueError(str(e)) from None
    with np.errstate(invalid="ignore", over="ignore"):
        return arr.astype(target)


def _plain(data: Any) -> Any:
    """Nested lists with tensors replaced by their values."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def _check_rectangular(data: Any) -> None:
    """torch's error for ragged nested sequences."""
    level = [data]
    dim = 0
    while level and isinstance(level[0], (list, tuple)):
        length = len(level[0])
        nxt = []
        for v in level:
            if not isinstance(v, (list, tuple)):
                raise TypeError("not a sequence")
            if len(v) != length:
                raise ValueError(f"expected sequence of length {length} at dim {dim} "
                                 f"(got {len(v)})")
            nxt.extend(v)
        level = nxt
        dim += 1
    for v in level:
        if isinstance(v, (list, tuple)):
            raise ValueError(f"expected sequence of length 0 at dim {dim} (got {len(v)})")
        if isinstance(v, str):
            raise TypeError("too many dimensions 'str'")


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Constructs a tensor with no autograd history by copying data."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        arr = data._data.astype(_np_dtype(dtype, data.dtype), copy=True)
    else:
        arr = _to_array(data, dtype)
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Converts data into a tensor, sharing data and preserving autograd history if
    possible."""
    if isinstance(data, Tensor):
        if dtype is None or dtype.np == data._data.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        if dtype is None or dtype.np == data.dtype:
            return Tensor._make(data)
        return Tensor._make(data.astype(dtype.np))
    return tensor(data, dtype=dtype)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """Converts obj to a tensor, sharing memory when it can."""
    t = as_tensor(obj, dtype) if not copy else tensor(obj, dtype=dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """Creates a Tensor from a numpy.ndarray; they share memory."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-dim tensor holding s (of the default float dtype unless dtype is given)."""
    return _finish(np.array(s, dtype=_np_dtype(dtype)), requires_grad)


def _filled(size: tuple, value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    return _finish(np.full(_size(size), value, dtype=_np_dtype(dtype)), requires_grad)


def zeros(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a tensor filled with the scalar value 0, with the shape defined by size."""
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a tensor filled with the scalar value 1, with the shape defined by size."""
    return _filled(size, 1, dtype, requires_grad)


def empty(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format: Any = None) -> Tensor:
    """Returns a tensor with uninitialized data (zeros here) of the shape defined by size."""
    return _filled(size, 0, dtype, requires_grad)


def _fill_dtype(fill_value: Any) -> Any:
    if isinstance(fill_value, (bool, np.bool_)):
        return _dtypes.bool
    if isinstance(fill_value, numbers.Integral):
        return _dtypes.int64
    return get_default_dtype()


def full(size: Any, fill_value: Any, *, out: Any = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Creates a tensor of size size filled with fill_value."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    return _filled((size,) if isinstance(size, int) else tuple(size), fill_value, dtype,
                   requires_grad)


def _like(input: Tensor, dtype: Any) -> tuple:
    return input._data.shape, (dtype.np if dtype is not None else input._data.dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with 0, with the same size (and dtype) as input."""
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt), requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with 1, with the same size (and dtype) as input."""
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt), requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns an uninitialized (here: zero) tensor with the same size as input."""
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with fill_value, with the same size (and dtype) as input."""
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, out: Any = None,
           dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Returns a 1-D tensor of size ceil((end - start) / step) with values from [start, end)
    taken with common difference step beginning from start."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dtype = _dtypes.int64 if all(isinstance(v, numbers.Integral) for v in vals) else \
            get_default_dtype()
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = math.ceil((end - start) / step)
    # torch computes start + i * step in double (or int64) before casting.
    if isinstance(start, numbers.Integral) and isinstance(step, numbers.Integral):
        data = start + np.arange(n, dtype=np.int64) * step
    else:
        data = start + np.arange(n, dtype=np.float64) * step
    return _finish(data.astype(dtype.np), requires_grad)


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Creates a one-dimensional tensor of size steps whose values are evenly spaced from
    start to end, inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _np_dtype(dtype)
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    if steps == 1:
        return _finish(np.array([start], dtype=dt), requires_grad)
    s, e = work.type(start), work.type(end)
    step = (e - s) / work.type(max(steps - 1, 1))
    idx = np.arange(steps)
    half = steps // 2
    # torch fills the first half forward from start and the rest backward from end.
    lo = s + step * idx[:half].astype(work)
    hi = e - step * (steps - idx[half:] - 1).astype(work)
    return _finish(np.concatenate([lo, hi]).astype(dt), requires_grad)


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: Any = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a 2-D tensor with ones on the diagonal and zeros elsewhere."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


# -- random ------------------------------------------------------------------------------

def rand(*size: Any, generator: Any = None, out: Any = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """Returns a tensor filled with random numbers from a uniform distribution on [0, 1)."""
    from .. import _random

    return _finish(_random.rand(_size(size), _np_dtype(dtype), generator=generator),
                   requires_grad)


def randn(*size: Any, generator: Any = None, out: Any = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    """Returns a tensor filled with random numbers from a normal distribution with mean 0
    and variance 1."""
    from .. import _random

    return _finish(_random.randn(_size(size), _np_dtype(dtype), generator=generator),
                   requires_grad)


def randint(*args: Any, generator: Any = None, out: Any = None, dtype: Any = None,
            layout: Any = None, device: Any = None, requires_grad: bool = False,
            size: Any = None) -> Tensor:
    """Returns a tensor filled with random integers generated uniformly between low
    (inclusive) and high (exclusive)."""
    from .. import _random

    if size is not None:
        args = args + (size,)
    if len(args) == 2:
        low, high, shape = 0, args[0], args[1]
    elif len(args) == 3:
        low, high, shape = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = _np_dtype(dtype, _dtypes.int64)
    return _finish(_random.randint(low, high, _size((shape,)), dt, generator=generator),
                   requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same size as input filled with random numbers from a
    uniform distribution on [0, 1)."""
    return rand(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same size as input filled with random numbers from a normal
    distribution with mean 0 and variance 1."""
    return randn(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 layout: Any = None, device: Any = None, requires_grad: bool = False,
                 memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same shape as input filled with random integers generated
    uniformly between low (inclusive) and high (exclusive)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype,
                   requires_grad=requires_grad)


def tensor_constructor(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """`ember.Tensor(...)`: the legacy constructor (sizes give an uninitialized float
    tensor, data gives a float tensor of that data)."""
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            return data
        return Tensor._make(_to_array(data, get_default_dtype()))
    return Tensor._make(np.zeros(_size(args), dtype=get_default_dtype().np))
