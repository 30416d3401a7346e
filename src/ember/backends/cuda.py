"""torch.backends.cuda: CUDA's switches, kept as a CPU-only build keeps them (settable,
unused)."""

from __future__ import annotations

from typing import Any

__all__ = ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp"]


def is_built() -> bool:
    """Return whether PyTorch is built with CUDA support: False."""
    return False


class cuBLASModule:
    """torch.backends.cuda.matmul: cuBLAS's switches; an unknown name raises, as in
    torch."""

    _NAMES = ("allow_tf32", "allow_fp16_reduced_precision_reduction",
              "allow_bf16_reduced_precision_reduction")

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {"allow_tf32": False,
                                             "allow_fp16_reduced_precision_reduction": True,
                                             "allow_bf16_reduced_precision_reduction": True})

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError("Unknown attribute " + name)
        self._values[name] = value


matmul = cuBLASModule()
_sdp = {"flash": True, "mem_efficient": True, "math": True}


def flash_sdp_enabled() -> bool:
    """Returns whether flash scaled dot product attention is enabled."""
    return _sdp["flash"]


def enable_flash_sdp(enabled: bool) -> None:
    """Enables or disables flash scaled dot product attention."""
    _sdp["flash"] = enabled


def mem_efficient_sdp_enabled() -> bool:
    """Returns whether memory efficient scaled dot product attention is enabled."""
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Enables or disables memory efficient scaled dot product attention."""
    _sdp["mem_efficient"] = enabled


def math_sdp_enabled() -> bool:
    """Returns whether math scaled dot product attention is enabled."""
    return _sdp["math"]


def enable_math_sdp(enabled: bool) -> None:
    """Enables or disables math scaled dot product attention."""
    _sdp["math"] = enabled
