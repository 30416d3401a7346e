"""The process-wide switches torch keeps beside its tensors: the default device, the thread
counts, deterministic algorithms and the float32 matmul precision. ember computes with NumPy
on the CPU, so they are kept and reported as torch reports them; the thread counts do not
change how many threads NumPy's BLAS uses."""

from __future__ import annotations

import builtins
import os
import warnings
from typing import Any

from . import _tensor
from ._tensor import check_device, device

__all__ = ["set_default_device", "get_default_device", "set_num_threads", "get_num_threads",
           "set_num_interop_threads", "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_deterministic_debug_mode", "get_deterministic_debug_mode",
           "set_float32_matmul_precision", "get_float32_matmul_precision"]


def set_default_device(device: Any) -> None:
    """Sets the default device tensors are allocated on (None: the CPU). Making a tensor on
    a device ember does not have then raises, as in a CPU-only build of torch."""
    _tensor.DEFAULT_DEVICE[0] = None if device is None else _tensor.device(device)


def get_default_device() -> device:
    """Gets the default device tensors are allocated on."""
    d = _tensor.DEFAULT_DEVICE[0]
    check_device(d)
    return _tensor.device("cpu") if d is None else d


def _cores() -> int:
    sched = getattr(os, "sched_getaffinity", None)
    return len(sched(0)) if sched is not None else (os.cpu_count() or 1)


def _from_env(name: str) -> int | None:
    v = os.environ.get(name, "")
    return int(v) if v.isdigit() and int(v) > 0 else None


_threads: dict = {"intra": None, "interop": None, "interop_set": False}


def _check_count(name: str, n: Any) -> None:
    if not isinstance(n, builtins.int) or isinstance(n, builtins.bool):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def set_num_threads(int: Any) -> None:
    """Sets the number of threads used for intraop parallelism on CPU."""
    _check_count("set_num_threads", int)
    _threads["intra"] = int


def get_num_threads() -> int:
    """Returns the number of threads used for parallelizing CPU operations: set_num_threads'
    value, else OMP_NUM_THREADS, else the number of cores."""
    return _threads["intra"] or _from_env("OMP_NUM_THREADS") or _cores()


def set_num_interop_threads(int: Any) -> None:
    """Sets the number of threads used for interop parallelism on CPU; it can be set once,
    before any inter-op work."""
    _check_count("set_num_interop_threads", int)
    if _threads["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _threads["interop"], _threads["interop_set"] = int, True


def get_num_interop_threads() -> int:
    """Returns the number of threads used for inter-op parallelism on CPU."""
    return _threads["interop"] or _cores()


# torch's debug mode: 0 (default), 1 (warn) or 2 (error).
_deterministic = {"mode": 0}
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def use_deterministic_algorithms(mode: Any, *, warn_only: Any = False) -> None:
    """Sets whether PyTorch operations must use deterministic algorithms. ember's ops are
    deterministic already, so no op raises or warns under it."""
    for name, v in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(v, builtins.bool):
            pos = " (position 1)" if name == "mode" else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{pos} must be "
                            f"bool, not {type(v).__name__}")
    _deterministic["mode"] = (1 if warn_only else 2) if mode else 0


def are_deterministic_algorithms_enabled() -> bool:
    """Returns True if the global deterministic flag is turned on."""
    return _deterministic["mode"] > 0


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Returns True if the global deterministic flag is set to warn only."""
    return _deterministic["mode"] == 1


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """Sets the debug mode for deterministic operations: "default" (0), "warn" (1) or
    "error" (2)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, builtins.int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError("invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    _deterministic["mode"] = debug_mode


def get_deterministic_debug_mode() -> int:
    """Returns the current value of the debug mode for deterministic operations."""
    return _deterministic["mode"]


_matmul = {"precision": "highest"}


def set_float32_matmul_precision(precision: str) -> None:
    """Sets the internal precision of float32 matrix multiplications ("highest", "high" or
    "medium"); ember multiplies in float32 at every setting."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    from .backends import cuda

    _matmul["precision"] = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    """Returns the current value of float32 matrix multiplication precision."""
    return _matmul["precision"]
