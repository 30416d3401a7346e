"""torch.mps: Apple's Metal device, as a CPU-only build of torch has it: none is available,
manual_seed is ignored, and whatever needs the device raises torch's RuntimeError."""

from __future__ import annotations

from typing import Any

__all__ = ["is_available", "device_count", "manual_seed", "seed", "get_rng_state",
           "synchronize", "empty_cache", "current_allocated_memory",
           "driver_allocated_memory", "recommended_max_memory"]


def _no_mps(call: str) -> None:
    raise RuntimeError(f"Cannot execute {call}() without MPS backend.")


def is_available() -> bool:
    """Return a bool indicating if MPS is currently available: False."""
    return False


def device_count() -> int:
    """Returns the number of available MPS devices: 0."""
    return 0


def manual_seed(seed: int) -> None:
    """Sets the seed for generating random numbers on the MPS device; ignored without
    it."""
    int(seed)


def seed() -> None:
    """Sets the seed for generating random numbers to a random number; raises without
    MPS."""
    _no_mps("getDefaultGenerator")


def get_rng_state(device: Any = "mps") -> Any:
    """Returns the random number generator state of the MPS device; raises without MPS."""
    _no_mps("getDefaultGenerator")


def synchronize() -> None:
    """Waits for all kernels in all streams on a MPS device to complete; raises without
    MPS."""
    _no_mps("deviceSynchronize")


def empty_cache() -> None:
    """Releases all unoccupied cached memory held by the caching allocator; raises without
    MPS."""
    _no_mps("emptyCache")


def current_allocated_memory() -> int:
    """Returns the current GPU memory occupied by tensors in bytes; raises without MPS."""
    _no_mps("getCurrentAllocatedMemory")


def driver_allocated_memory() -> int:
    """Returns total GPU memory allocated by Metal driver for the process in bytes; raises
    without MPS."""
    _no_mps("getDriverAllocatedMemory")


def recommended_max_memory() -> int:
    """Returns recommended max Working set size for GPU memory in bytes; raises without
    MPS."""
    _no_mps("getRecommendedMaxMemory")
