"""torch.autocast (torch.amp.autocast): regions where torch runs chosen ops in lower
precision.

ember has no lower-precision autocast: inside an enabled CPU region every op still computes
in its inputs' own dtype, where torch would compute matmuls, linear layers and convolutions
in bfloat16 (or float16); entering one says so with a warning. CUDA regions are disabled
with torch's warning, as in a CPU-only build of torch.
"""

from __future__ import annotations

import collections.abc
import functools
import threading
import warnings
from typing import Any, Callable

from .. import _dtypes
from .._tensor import Tensor, device

__all__ = ["autocast", "is_autocast_enabled", "is_autocast_available", "get_autocast_dtype",
           "custom_fwd", "custom_bwd"]

# Whether autocast is on, and its dtype, per device type, for the running thread (as torch
# keeps them).
_state = threading.local()


def _enabled() -> dict:
    d = getattr(_state, "enabled", None)
    if d is None:
        d = _state.enabled = {}
    return d


def _dtypes_set() -> dict:
    d = getattr(_state, "dtypes", None)
    if d is None:
        d = _state.dtypes = {}
    return d


def get_autocast_dtype(device_type: str) -> Any:
    """Returns the autocast dtype of device_type in the current thread: bfloat16 for the CPU
    (None while ember has no bfloat16) and float16 for the others, unless an autocast region
    chose another."""
    kind = device(device_type).type
    default = getattr(_dtypes, "bfloat16", None) if kind == "cpu" else _dtypes.float16
    return _dtypes_set().get(kind, default)


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Returns whether autocast is enabled for device_type (CUDA when not given) in the
    current thread."""
    if device_type is None:
        device_type = "cuda"
    return _enabled().get(device(device_type).type, False)


def is_autocast_available(device_type: str) -> bool:
    """Return a bool indicating if autocast is available on device_type."""
    return device(device_type).type in ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "mtia",
                                        "maia", "privateuseone")


class autocast:
    """Instances of autocast serve as context managers or decorators that allow regions of
    your script to run in mixed precision. In ember the region runs every op in its own
    dtype (see the module's documentation)."""

    def __init__(self, device_type: str, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        device(device_type)
        self.device = device_type
        self.fast_dtype = dtype
        self._cache_enabled = True if cache_enabled is None else cache_enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          UserWarning, stacklevel=2)
            enabled = False
        if enabled and device_type == "cpu":
            if dtype is not None and dtype is not _dtypes.float16 and \
                    dtype is not getattr(_dtypes, "bfloat16", None):
                warnings.warn("In CPU autocast, but the target dtype is not supported. "
                              "Disabling autocast.\nCPU Autocast only supports dtypes of "
                              "torch.bfloat16, torch.float16 currently.", UserWarning,
                              stacklevel=2)
                enabled = False
            else:
                warnings.warn("ember does not autocast: inside torch.autocast('cpu') every op "
                              "computes in its inputs' dtype, where torch would compute "
                              "matmuls, linear layers and convolutions in lower precision.",
                              UserWarning, stacklevel=2)
        self._enabled = enabled
        self._prev: list = []

    def __enter__(self) -> autocast:
        enabled, dtypes = _enabled(), _dtypes_set()
        kind = device(self.device).type
        self._prev.append((enabled.get(kind, False), dtypes.get(kind)))
        enabled[kind] = self._enabled
        if self.fast_dtype is not None:
            dtypes[kind] = self.fast_dtype
        return self

    def __exit__(self, *exc: Any) -> bool:
        kind = device(self.device).type
        _enabled()[kind], dt = self._prev.pop()
        if dt is None:
            _dtypes_set().pop(kind, None)
        else:
            _dtypes_set()[kind] = dt
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return decorated


def _cast(value: Any, device_type: str, dtype: Any) -> Any:
    if isinstance(value, Tensor):
        eligible = value.is_floating_point() and value.device.type == device_type and \
            value.dtype is not _dtypes.float64
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)) or type(value).__module__ == "numpy":
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def _check_device_type(device_type: Any) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(fwd: Callable | None = None, *, device_type: str,
               cast_inputs: Any = None) -> Callable:
    """Create a helper decorator for forward methods of custom autograd functions. If
    cast_inputs is given and forward runs in an autocast-enabled region, floating-point
    tensors are cast to it and forward runs with autocast disabled."""
    _check_device_type(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Create a helper decorator for backward methods of custom autograd functions: backward
    runs with the autocast state forward ran with."""
    _check_device_type(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd

