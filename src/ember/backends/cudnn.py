"""torch.backends.cudnn: cuDNN's switches. A CPU-only build has no cuDNN; `benchmark`,
`deterministic`, `allow_tf32` and `enabled` are still settable, as in torch."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["is_available", "version", "is_acceptable", "flags", "enabled", "benchmark",
           "deterministic", "allow_tf32", "benchmark_limit"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """Return a bool indicating if CUDNN is currently available: False."""
    return False


def version() -> int | None:
    """Return the version of cuDNN: None without it."""
    return None


def is_acceptable(tensor: Any) -> bool:
    """Return whether cuDNN would take this tensor: never, without it."""
    return False


@contextlib.contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Iterator[None]:
    """Sets cuDNN's switches for the duration of the block."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {n: getattr(module, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)):
        setattr(module, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(module, n, v)
