"""Tensor factories."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import _dtypes, _transform_hooks
from .._dtypes import FROM_NUMPY, from_numpy_dtype, get_default_dtype, type_meta_name
from .._formats import in_format, preserve_format
from .._tensor import Size, Tensor, check_device
from ._core import (
    check_new_shape,
    check_number,
    check_tensor,
    checked_scalar,
    not_implemented,
    quiet,
)
from ._ranges import arange_values, linspace_values

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
    "arange", "linspace", "logspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "scalar_tensor",
    "tril_indices", "triu_indices",
]


def _finish(data: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and data.dtype.kind != "f":
        raise RuntimeError(
            "Only Tensors of floating point and complex dtype can require gradients")
    return Tensor._make(data, bool(requires_grad))


def _size(size: tuple) -> tuple:
    """The shape from factory arguments: `f(2, 3)`, `f((2, 3))` or `f([2, 3])`."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        # torch's parser checks the type of the first size only (a bool there fails it);
        # the others are unpacked as integers, which a bool is.
        if not isinstance(s, (numbers.Integral,)):
            raise TypeError("expected a sequence of integers or a single integer, got "
                            f"'{type(s).__name__}'")
        out.append(int(s))
    return check_new_shape(tuple(out))


def _np_dtype(dtype: Any, default: Any = None) -> np.dtype:
    if dtype is None:
        return (default or get_default_dtype()).np
    if isinstance(dtype, _dtypes.dtype):
        return dtype.np
    raise TypeError(f"dtype must be an ember dtype, not {type(dtype).__name__}")


def _infer_dtype(value: Any) -> np.dtype:
    """The dtype torch infers for Python data: the promotion of every element's type, where
    Python bools, ints and floats count as bool, int64 and the default dtype and NumPy
    scalars, arrays and tensors as their own dtype (the default dtype when empty)."""
    result = None
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
            continue
        if isinstance(v, Tensor):
            d = FROM_NUMPY[v._data.dtype]
        elif isinstance(v, (np.ndarray, np.generic)):
            d = from_numpy_dtype(v.dtype)
        elif isinstance(v, bool):
            d = _dtypes.bool
        elif isinstance(v, numbers.Integral):
            d = _dtypes.int64
        elif isinstance(v, numbers.Real):
            d = get_default_dtype()
        elif isinstance(v, numbers.Complex):
            raise TypeError("complex numbers are not supported")
        elif isinstance(v, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(v).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(v).__name__}")
        result = d if result is None else _dtypes.promote_types(result, d)
    return (result or get_default_dtype()).np


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        return quiet(np.array, data, dtype=_np_dtype(dtype, FROM_NUMPY[data.dtype]), copy=True)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    target = _np_dtype(dtype) if dtype is not None else _infer_dtype(data)
    _check_rectangular(data, target)
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


def _check_rectangular(data: Any, target: np.dtype) -> None:
    """torch's errors for ragged or non-numeric nested sequences: sizes follow the first
    element at each depth, and elements are checked depth-first against them."""
    sizes = []
    v = data
    while isinstance(v, (list, tuple)):
        sizes.append(len(v))
        if not v:
            break
        v = v[0]
    stack = [(data, 0)]
    while stack:
        v, dim = stack.pop()
        if dim < len(sizes):
            if not isinstance(v, (list, tuple)):
                raise TypeError("not a sequence")
            if len(v) != sizes[dim]:
                raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                                 f"(got {len(v)})")
            stack.extend((x, dim + 1) for x in reversed(v))
        elif not isinstance(v, (numbers.Number, np.generic, np.ndarray, Tensor)):
            name = type(v).__name__
            if target.kind in "iu":
                raise TypeError(f"'{name}' object cannot be interpreted as an integer")
            raise TypeError(f"must be real number, not {name}")
        elif target.kind in "iub":
            _check_integral_store(v, target)


def _check_integral_store(v: Any, target: np.dtype) -> None:
    """torch's checks when a number is stored into an integer or bool tensor: NumPy float
    scalars (other than float64, a Python float) are refused, and values out of range
    overflow."""
    if isinstance(v, np.floating) and not isinstance(v, float):
        raise TypeError(f"'numpy.{type(v).__name__}' object cannot be interpreted as an "
                        "integer")
    if target.kind == "b" or isinstance(v, (bool, np.bool_, np.ndarray, Tensor)):
        return
    info = np.iinfo(target)
    integral = isinstance(v, (numbers.Integral, np.integer))
    # Unsigned targets accept negative integers down to -max, which wrap around; a float
    # must lie in the type's range (c10's overflows).
    lo = -int(info.max) if target.kind == "u" and integral else int(info.min)
    x = int(v) if integral else float(v)
    if not lo <= x <= int(info.max):
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")


def foreign_array(data: Any) -> np.ndarray | None:
    """The NumPy array of a tensor of another library: a torch tensor through
    .detach().numpy() (which works where __array__ refuses, when it requires grad), anything
    else through __array__; None for ember tensors, arrays, numbers and sequences."""
    if isinstance(data, (Tensor, np.ndarray, np.generic, list, tuple, str, bytes, int, float,
                         complex)):
        return None
    detach = getattr(data, "detach", None)
    if callable(detach):
        plain = detach()
        cpu = getattr(plain, "cpu", None)
        plain = cpu() if callable(cpu) else plain
        if callable(getattr(plain, "numpy", None)):
            return np.asarray(plain.numpy())
    if hasattr(data, "__array__"):
        return np.asarray(data)
    return None


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Constructs a tensor with no autograd history by copying data."""
    check_device(device)
    foreign = foreign_array(data)
    if foreign is not None:
        data = foreign
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
        arr = quiet(data._data.astype, _np_dtype(dtype, data.dtype), copy=True)
    else:
        arr = _to_array(data, dtype)
    return _finish(arr, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Converts data into a tensor, sharing data and preserving autograd history if
    possible."""
    check_device(device)
    if isinstance(data, Tensor):
        if dtype is None or dtype.np == data._data.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray):
        from_numpy_dtype(data.dtype)
        if dtype is None or dtype.np == data.dtype:
            return Tensor._make(data)
        return Tensor._make(quiet(data.astype, dtype.np))
    return tensor(data, dtype=dtype)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """Converts obj to a tensor, sharing memory when it can."""
    check_device(device)
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
    check_device(device)
    dt = _np_dtype(dtype)
    if isinstance(s, (int, float, np.number, np.bool_)):
        s = checked_scalar(s, dt)
    return _finish(np.array(s, dtype=dt), requires_grad)


def _filled(size: tuple, value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    return _finish(np.full(_size(size), value, dtype=_np_dtype(dtype)), requires_grad)


def _flat_size(size: tuple) -> tuple:
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def _check_size_given(size: tuple, name: str) -> None:
    if not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')


def zeros(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a tensor filled with the scalar value 0, with the shape defined by size."""
    check_device(device)
    _check_size_given(size, "zeros")
    if any(isinstance(s, int) and s < 0 for s in _flat_size(size)):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _filled(size, 0, dtype, requires_grad)


def ones(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a tensor filled with the scalar value 1, with the shape defined by size."""
    check_device(device)
    _check_size_given(size, "ones")
    return _filled(size, 1, dtype, requires_grad)


def empty(*size: Any, out: Any = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format: Any = None) -> Tensor:
    """Returns a tensor with uninitialized data (zeros here) of the shape defined by size,
    laid out in memory_format (torch.contiguous_format by default)."""
    check_device(device)
    _check_size_given(size, "empty")
    if memory_format is None:
        return _filled(size, 0, dtype, requires_grad)
    if memory_format is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    data = np.zeros(_size(size), dtype=_np_dtype(dtype))
    return _finish(in_format(data, memory_format), requires_grad)


def _fill_dtype(fill_value: Any) -> Any:
    if isinstance(fill_value, (bool, np.bool_)):
        return _dtypes.bool
    if isinstance(fill_value, numbers.Integral):
        return _dtypes.int64
    return get_default_dtype()


def full(size: Any, fill_value: Any, *, out: Any = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Creates a tensor of size size filled with fill_value."""
    check_device(device)
    check_number(fill_value, "fill_value", 1, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    shape = _size((size,) if isinstance(size, int) else tuple(size))
    return _filled(shape, checked_scalar(fill_value, _np_dtype(dtype)), dtype, requires_grad)


def new_filled(name: str, size: tuple, value: Any, dtype: Any, device: Any,
               requires_grad: bool) -> Tensor:
    """The tensor of `Tensor.new_zeros`, `new_ones` and `new_empty` (named `name` in errors):
    their sizes are checked as torch's empty checks them."""
    check_device(device)
    _check_size_given(size, name)
    return _filled(size, value, dtype, requires_grad)


def _like(input: Tensor, dtype: Any, fill: Any, memory_format: Any) -> np.ndarray:
    """The array of a *_like factory: input's shape filled with fill, laid out in
    memory_format; preserve_format (the default) keeps input's order as torch's empty_like
    does (C order for a broadcast input)."""
    from .._random import empty_like

    x = input._data
    data = empty_like(x, dtype.np if dtype is not None else x.dtype)
    data.fill(fill)
    if memory_format is None or memory_format is preserve_format:
        return data
    return in_format(data, memory_format)


def zeros_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with 0, with the same size (and dtype) as input."""
    if device is not None:
        check_device(device)
    return _finish(_like(input, dtype, 0, memory_format), requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with 1, with the same size (and dtype) as input."""
    if device is not None:
        check_device(device)
    return _finish(_like(input, dtype, 1, memory_format), requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns an uninitialized (here: zero) tensor with the same size as input."""
    if device is not None:
        check_device(device)
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad,
                      memory_format=memory_format)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """Returns a tensor filled with fill_value, with the same size (and dtype) as input."""
    if device is not None:
        check_device(device)
    check_tensor(input, "input", 0, "full_like")
    check_number(fill_value, "fill_value", 1, "full_like")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = dtype.np if dtype is not None else input._data.dtype
    return _finish(_like(input, dtype, checked_scalar(fill_value, dt), memory_format),
                   requires_grad)


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, out: Any = None,
           dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Returns a 1-D tensor of size ceil((end - start) / step) with values from [start, end)
    taken with common difference step beginning from start."""
    check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dtype = _dtypes.int64 if all(isinstance(v, numbers.Integral) for v in vals) else \
            get_default_dtype()
    dt = dtype.np
    if dt.kind == "b":
        raise not_implemented("arange_cpu", dtype)
    if not (step > 0 or step < 0):
        raise RuntimeError("step must be nonzero")
    _check_range(start, end, step)
    if dt == np.int64:
        # torch computes int64 ranges in int64, after truncating the bounds and step.
        xs, xe, xst = int(start), int(end), int(step)
        if xst == 0:
            raise ValueError("step must be nonzero")
        sgn = (xst > 0) - (xst < 0)
        num = xe - xs + xst - sgn
        n = abs(num) // abs(xst) * (1 if (num >= 0) == (xst > 0) else -1)
        data = xs + np.arange(max(n, 0), dtype=np.int64) * xst
        return _finish(data, requires_grad)
    n = math.ceil((float(end) - float(start)) / float(step))
    if dt.kind in "iub":
        # Other integer dtypes count the size from the given values but step in int64.
        data = int(start) + np.arange(max(n, 0), dtype=np.int64) * int(step)
        return _finish(data.astype(dt), requires_grad)
    return _finish(arange_values(start, step, n, dt), requires_grad)


def _check_range(start: Any, end: Any, step: Any) -> None:
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def linspace(start: Any, end: Any, steps: int, *, out: Any = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Creates a one-dimensional tensor of size steps whose values are evenly spaced from
    start to end, inclusive."""
    check_device(device)
    if not all(isinstance(v, (int, float, np.number, np.bool_, Tensor)) for v in (start, end)):
        got = ", ".join(type(a).__name__ for a in (start, end, steps))
        raise TypeError(f"linspace() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:")
    # torch's overloads name the tensor bounds: both, when both are tensors.
    tensors = [(name, v._data.ndim) for name, v in (("start", start), ("end", end))
               if isinstance(v, Tensor)]
    if any(ndim for _, ndim in tensors):
        got = " and ".join(f"{name} with {ndim} dimension(s)" for name, ndim in tensors)
        raise RuntimeError(f"linspace only supports 0-dimensional start and end tensors, but got "
                           f"{got}.")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _np_dtype(dtype)
    if not steps:
        return _finish(np.empty(0, dt), requires_grad)
    # torch converts the bounds into the dtype first.
    for v in (start, end):
        checked_scalar(v.item() if isinstance(v, Tensor) else v, dt)
    if dt.kind == "b" and steps > 1:  # one step is the start, without the kernel
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if steps == 1:
        return _finish(np.array([start], dtype=np.float64).astype(dt), requires_grad)
    return _finish(linspace_values(start, end, steps, dt), requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Any = None,
             dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """Creates a one-dimensional tensor of size steps whose values are evenly spaced from
    base ** start to base ** end, inclusive, on a logarithmic scale with base base."""
    check_device(device)
    for name, v in (("start", start), ("end", end)):
        if isinstance(v, Tensor) and v._data.ndim:
            raise RuntimeError("logspace only supports 0-dimensional start and end tensors, but "
                               f"got {name} with {v._data.ndim} dimension(s).")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _np_dtype(dtype)
    start, end = (float(v.item()) if isinstance(v, Tensor) else v for v in (start, end))
    with np.errstate(all="ignore"):
        if not steps:
            values = np.empty(0, dt)
        elif steps == 1:
            values = np.array([float(base) ** float(start)]).astype(dt)
        elif dt.kind == "f":
            # torch's kernel: the exponents as linspace spaces them, each a power in the
            # dtype.
            values = np.power(dt.type(base), linspace_values(start, end, steps, dt))
        else:
            # Integer dtypes: exponents forward from start in double, the powers truncated.
            step = (float(end) - float(start)) / (steps - 1)
            exps = float(start) + step * np.arange(steps, dtype=np.float64)
            values = np.trunc(np.power(float(base), exps)).astype(dt)
    return _finish(np.asarray(values, dt), requires_grad)


def eye(n: int, m: int | None = None, *, out: Any = None, dtype: Any = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Returns a 2-D tensor with ones on the diagonal and zeros elsewhere."""
    check_device(device)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


# -- random ------------------------------------------------------------------------------

def different_randomness_level() -> int | None:
    """The level of the innermost running vmap when it asked for randomness="different"
    (random draws then differ per batch entry), else None."""
    if not _transform_hooks.transforms_active():
        return None
    return _transform_hooks.randomness_level[0]()


def batched_draw(draw: Any, shape: tuple, requires_grad: bool = False) -> Tensor:
    """`draw(shape)` as a tensor; inside vmap(randomness="different"), one draw per batch
    entry (the batch size in front, as torch draws them), batched at that vmap's level."""
    level = different_randomness_level()
    if level is None:
        return _finish(draw(tuple(shape)), requires_grad)
    return _transform_hooks.batch_draw[0](lambda s: _finish(draw(s), requires_grad), shape,
                                          level)


def rand(*size: Any, generator: Any = None, out: Any = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """Returns a tensor filled with random numbers from a uniform distribution on [0, 1)."""
    check_device(device)
    from .. import _random

    dt = _np_dtype(dtype)
    return batched_draw(lambda shape: _random.rand(shape, dt, generator=generator),
                         _size(size), requires_grad)


def randn(*size: Any, generator: Any = None, out: Any = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    """Returns a tensor filled with random numbers from a normal distribution with mean 0
    and variance 1."""
    check_device(device)
    from .. import _random

    dt = _np_dtype(dtype)
    return batched_draw(lambda shape: _random.randn(shape, dt, generator=generator),
                         _size(size), requires_grad)


def randint(*args: Any, generator: Any = None, out: Any = None, dtype: Any = None,
            layout: Any = None, device: Any = None, requires_grad: bool = False,
            size: Any = None) -> Tensor:
    """Returns a tensor filled with random integers generated uniformly between low
    (inclusive) and high (exclusive)."""
    check_device(device)
    from .. import _random

    if size is not None:
        args = args + (size,)
    if len(args) == 2:
        low, high, shape = 0, args[0], args[1]
    elif len(args) == 3:
        low, high, shape = args
    else:
        raise TypeError("randint() received an invalid combination of arguments")
    shape = _size((shape,))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = _np_dtype(dtype, _dtypes.int64)
    return batched_draw(lambda s: _random.randint(low, high, s, dt, generator=generator),
                         shape, requires_grad)


def _drawn_like(input: Tensor, dtype: Any, memory_format: Any, requires_grad: bool,
                fill: Any, draw: Any) -> Tensor:
    """A random *_like tensor: `fill` draws in place into an array laid out as torch lays
    out the result (see `_like`), so that each draw lands where torch's does, in memory
    order; `draw()` makes a plain C-ordered draw where the layouts agree, and under
    vmap(randomness="different")."""
    x = input._data
    if different_randomness_level() is not None or (
            x.flags.c_contiguous and memory_format in (None, preserve_format)):
        return draw()
    data = _like(input, dtype, 0, memory_format)
    fill(data)
    return _finish(data, requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same size as input filled with random numbers from a
    uniform distribution on [0, 1)."""
    if device is not None:
        check_device(device)
    from .. import _random

    dt = dtype or input.dtype
    return _drawn_like(input, dt, memory_format, requires_grad,
                       lambda a: _random.uniform_(a, 0.0, 1.0),
                       lambda: rand(tuple(input.shape), dtype=dt, requires_grad=requires_grad))


def randn_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same size as input filled with random numbers from a normal
    distribution with mean 0 and variance 1."""
    if device is not None:
        check_device(device)
    from .. import _random

    dt = dtype or input.dtype
    return _drawn_like(input, dt, memory_format, requires_grad,
                       lambda a: _random.normal_(a, 0.0, 1.0),
                       lambda: randn(tuple(input.shape), dtype=dt, requires_grad=requires_grad))


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None,
                 layout: Any = None, device: Any = None, requires_grad: bool = False,
                 memory_format: Any = None) -> Tensor:
    """Returns a tensor with the same shape as input filled with random integers generated
    uniformly between low (inclusive) and high (exclusive)."""
    if device is not None:
        check_device(device)
    if high is None:
        low, high = 0, low
        if isinstance(high, Tensor):
            if high._data.ndim:
                raise RuntimeError("high must be a scalar tensor and on CPU")
            high = int(high.item())
    from .. import _random

    dt = dtype or input.dtype
    return _drawn_like(input, dt, memory_format, requires_grad,
                       lambda a: _random.random_(a, int(low), int(high)) if low < high else
                       randint(low, high, tuple(input.shape)),
                       lambda: randint(low, high, tuple(input.shape), dtype=dt,
                                       requires_grad=requires_grad))


def tensor_constructor(cls: type, *args: Any, **kwargs: Any) -> Tensor:
    """`ember.Tensor(...)`: the legacy constructor (sizes give an uninitialized tensor of the
    default dtype, data gives a tensor of that data in the default dtype, a tensor gives an
    alias of it)."""
    return legacy_new(None, args, kwargs)


_NEW_SIGNATURES = ("(*, torch.device device = None)", "(torch.Storage storage)",
                   "(Tensor other)", "(tuple of ints size, *, torch.device device = None)",
                   "(object data, *, torch.device device = None)")


def _arg_type_name(a: Any) -> str:
    if isinstance(a, Tensor):
        return "Tensor"
    if isinstance(a, _dtypes.dtype):
        return "torch.dtype"
    return type(a).__name__


def _new_error(args: tuple, kwargs: dict) -> TypeError:
    """torch's argument parser's message for a call no signature of `new()` takes."""
    got = ", ".join([_arg_type_name(a) for a in args]
                    + [f"{k}={_arg_type_name(v)}" for k, v in kwargs.items()])
    if kwargs and not args:
        got += ", "
    why = {}
    if kwargs and args:
        why[0] = "some of the keywords were incorrect: " + ", ".join(kwargs)
    elif kwargs:
        why[1] = why[2] = "some of the keywords were incorrect: " + ", ".join(kwargs)
    else:
        why[0] = ("some of the arguments have invalid types: ("
                  + ", ".join(f"!{_arg_type_name(a)}!" for a in args) + ")")
    lines = "".join(f" * {sig}\n" + (f"      didn't match because {why[i]}\n" if i in why
                                     else "") for i, sig in enumerate(_NEW_SIGNATURES))
    return TypeError(f"new() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n{lines}")


def legacy_new(dtype: Any, args: tuple, kwargs: dict) -> Tensor:
    """torch's legacy `new()`: `torch.Tensor(...)` (dtype None: the default dtype) and
    `torch.FloatTensor(...)` and its siblings."""
    # Devices are taken as the other factories take them.
    kwargs.pop("device", None)
    if kwargs:
        raise _new_error(args, kwargs)
    target = dtype or get_default_dtype()
    if not args:
        return Tensor._make(np.zeros((0,), dtype=target.np))
    if len(args) == 1 and not isinstance(args[0], (numbers.Integral, Tensor)) or (
            len(args) == 1 and isinstance(args[0], bool)):
        data = args[0]
        if isinstance(data, Size):
            return Tensor._make(np.zeros(_size(tuple(data)), dtype=target.np))
        if isinstance(data, (numbers.Number, bool)) and not isinstance(data, np.ndarray):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return Tensor._make(_to_array(data, target))
    if len(args) == 1:
        other = args[0]
        if isinstance(other, Tensor):
            if dtype is not None and other.dtype is not dtype:
                raise TypeError(f"expected {_options(dtype)} (got {_options(other.dtype)})")
            from .shape import alias

            return alias(other)
    if any(isinstance(a, Tensor) and a._data.ndim for a in args):
        raise _new_error(args, {})
    return Tensor._make(np.zeros(_size(args), dtype=target.np))


def _options(dt: Any) -> str:
    return (f"TensorOptions(dtype={type_meta_name(dt.np)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


# The *_like ops are ops of the transforms (they keep a batched input's batch), wrapped
# here, before any other module imports them (see _transform_hooks).
_transform_hooks.transform_ops(globals(), ("zeros_like", "ones_like", "full_like", "empty_like",
                                           "rand_like", "randn_like"))


def _triangle_indices(name: str, which: Any, row: int, col: int, offset: int, dtype: Any,
                      device: Any) -> Tensor:
    check_device(device)
    dt = _dtypes.int64 if dtype is None else dtype
    if dt not in (_dtypes.int32, _dtypes.int64):
        # torch's kernel is written for the index types only.
        raise not_implemented(name, dt)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    # Row by row, then column by column within a row, as torch lists them.
    rows, cols = which(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(dt.np, copy=False).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Returns the indices of the lower triangular part of a row-by-col matrix in a 2-by-N
    tensor: the row coordinates, then the column coordinates, ordered by row then column."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """Returns the indices of the upper triangular part of a row-by-col matrix in a 2-by-N
    tensor: the row coordinates, then the column coordinates, ordered by row then column."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)
