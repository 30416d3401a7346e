"""torch.autocast (torch.amp.autocast): regions where torch runs chosen ops in lower
precision.

ember has no lower-precision autocast: inside an enabled CPU region every op still computes
in its inputs' own dtype, where torch would compute matmuls, linear layers and convolutions
in bfloat16 (or float16); entering one says so with a warning. CUDA regions are disabled
with torch's warning, as in a CPU-only build of torch.
"""

from __future__ import annotations

import functools
import threading
import warnings
from typing import Any, Callable

from .. import _dtypes
from .._tensor import device

__all__ = ["autocast", "is_autocast_enabled", "is_autocast_available"]

# Whether autocast is on, per device type, for the running thread (as torch keeps it).
_state = threading.local()


def _enabled() -> dict:
    d = getattr(_state, "enabled", None)
    if d is None:
        d = _state.enabled = {}
    return d


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
        state = _enabled()
        kind = device(self.device).type
        self._prev.append(state.get(kind, False))
        state[kind] = self._enabled
        return self

    def __exit__(self, *exc: Any) -> bool:
        _enabled()[device(self.device).type] = self._prev.pop()
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return decorated
