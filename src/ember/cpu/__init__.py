"""torch.cpu: the CPU as a device module, for code written against torch.cuda's
interface."""

from __future__ import annotations

from typing import Any

from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]


def is_available() -> bool:
    """Returns a bool indicating if CPU is currently available: always True."""
    return True


def device_count() -> int:
    """Returns number of CPU devices (not cores): always 1."""
    return 1


def current_device() -> str:
    """Returns the current device for CPU: always 'cpu'."""
    return "cpu"


def synchronize(device: Any = None) -> None:
    """Waits for all kernels in all streams on the CPU device to complete: they already
    have."""
