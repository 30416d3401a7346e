"""torch.accelerator: the current accelerator, of which a CPU-only build (and ember) has
none."""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize", "empty_cache"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """Check if the current accelerator is available at runtime: False."""
    return False


def current_accelerator(check_available: bool = False) -> Any:
    """Return the device of the accelerator available at compilation time: None."""
    return None


def device_count() -> int:
    """Return the number of current accelerator available: 0."""
    return 0


def current_device_index() -> int:
    """Return the index of a currently selected device for the current accelerator;
    raises without one."""
    raise RuntimeError(_NONE)


def set_device_index(device: Any) -> None:
    """Set the current device index; raises without an accelerator."""
    raise RuntimeError(_NONE)


def synchronize(device: Any = None) -> None:
    """Wait for all kernels in all streams on the given device to complete; raises without
    an accelerator."""
    raise RuntimeError(_NONE)


def empty_cache() -> None:
    """Release all unoccupied cached memory; raises without an accelerator."""
    raise RuntimeError(_NONE)
