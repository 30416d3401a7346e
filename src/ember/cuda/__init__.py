"""torch.cuda as a CPU-only build of torch has it: no CUDA device is available, seeding and
memory queries succeed, and whatever needs a device raises torch's AssertionError."""

from __future__ import annotations

from typing import Any

from . import amp

__all__ = ["amp", "is_available", "device_count", "is_initialized", "init", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state",
           "get_rng_state_all", "set_rng_state", "set_rng_state_all", "synchronize",
           "empty_cache", "current_device", "set_device", "get_device_name",
           "get_device_capability", "get_device_properties", "is_bf16_supported",
           "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "memory_stats", "get_arch_list", "device"]

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _no_cuda() -> None:
    raise AssertionError(_NOT_COMPILED)


def is_available() -> bool:
    """Return a bool indicating if CUDA is currently available: never, in ember."""
    return False


def device_count() -> int:
    """Return the number of GPUs available: 0."""
    return 0


def is_initialized() -> bool:
    """Return whether PyTorch's CUDA state has been initialized: never."""
    return False


def init() -> None:
    """Initialize PyTorch's CUDA state; raises, as CUDA is not compiled in."""
    _no_cuda()


def manual_seed(seed: int) -> None:
    """Set the seed for generating random numbers for the current GPU. It's safe to call
    this function if CUDA is not available; in that case, it is silently ignored."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    """Set the seed for generating random numbers on all GPUs. It's safe to call this
    function if CUDA is not available; in that case, it is silently ignored."""
    int(seed)


def seed() -> None:
    """Set the seed for generating random numbers to a random number for the current GPU;
    silently ignored without CUDA."""


def seed_all() -> None:
    """Set the seed for generating random numbers to a random number on all GPUs; silently
    ignored without CUDA."""


def initial_seed() -> int:
    """Return the current random seed of the current GPU; raises without CUDA."""
    _no_cuda()


def get_rng_state(device: Any = "cuda") -> Any:
    """Return the random number generator state of the specified GPU; raises without
    CUDA."""
    _no_cuda()


def get_rng_state_all() -> list:
    """Return a list of the random number states of all devices: empty."""
    return []


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Set the random number generator state of the specified GPU; ignored without CUDA."""


def set_rng_state_all(new_states: Any) -> None:
    """Set the random number generator state of all devices; ignored without CUDA."""


def synchronize(device: Any = None) -> None:
    """Wait for all kernels in all streams on a CUDA device to complete; raises without
    CUDA, as torch does."""
    _no_cuda()


def empty_cache() -> None:
    """Release all unoccupied cached memory held by the caching allocator: none."""


def current_device() -> int:
    """Return the index of a currently selected device; raises without CUDA."""
    _no_cuda()


def set_device(device: Any) -> None:
    """Set the current device; raises without CUDA."""
    from .._tensor import device as _device

    if not isinstance(device, int) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    _no_cuda()


def get_device_name(device: Any = None) -> str:
    """Get the name of a device; raises without CUDA."""
    _no_cuda()


def get_device_capability(device: Any = None) -> tuple:
    """Get the cuda capability of a device; raises without CUDA."""
    _no_cuda()


def get_device_properties(device: Any = None) -> Any:
    """Get the properties of a device; raises without CUDA."""
    _no_cuda()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Return a bool indicating if the current CUDA device supports dtype bfloat16:
    False."""
    return False


def memory_allocated(device: Any = None) -> int:
    """Return the current GPU memory occupied by tensors in bytes: 0."""
    return 0


def max_memory_allocated(device: Any = None) -> int:
    """Return the maximum GPU memory occupied by tensors in bytes: 0."""
    return 0


def memory_reserved(device: Any = None) -> int:
    """Return the current GPU memory managed by the caching allocator in bytes: 0."""
    return 0


def max_memory_reserved(device: Any = None) -> int:
    """Return the maximum GPU memory managed by the caching allocator in bytes: 0."""
    return 0


def memory_stats(device: Any = None) -> dict:
    """Return a dictionary of CUDA memory allocator statistics: empty."""
    from collections import OrderedDict

    return OrderedDict()


def get_arch_list() -> list:
    """Return the list of CUDA architectures this library was compiled for: none."""
    return []


class device:
    """Context-manager that changes the selected device; entering it raises without
    CUDA."""

    def __init__(self, device: Any) -> None:
        self.idx = device

    def __enter__(self) -> None:
        raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc: Any) -> None:
        return None
