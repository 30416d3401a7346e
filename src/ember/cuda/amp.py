"""torch.cuda.amp: the deprecated CUDA spellings of torch.amp's autocast and GradScaler."""

from __future__ import annotations

import warnings
from typing import Any, Callable

from .. import _dtypes
from ..amp import autocast_mode, grad_scaler

__all__ = ["autocast", "custom_fwd", "custom_bwd", "GradScaler"]


class autocast(autocast_mode.autocast):
    """See torch.autocast. torch.cuda.amp.autocast(args...) is deprecated: use
    torch.amp.autocast("cuda", args...)."""

    def __init__(self, enabled: bool = True, dtype: Any = _dtypes.float16,
                 cache_enabled: bool = True) -> None:
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)


class GradScaler(grad_scaler.GradScaler):
    """See torch.amp.GradScaler. torch.cuda.amp.GradScaler(args...) is deprecated: use
    torch.amp.GradScaler("cuda", args...)."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


def custom_fwd(fwd: Callable | None = None, *, cast_inputs: Any = None) -> Callable:
    """torch.cuda.amp.custom_fwd(args...) is deprecated: use
    torch.amp.custom_fwd(args..., device_type="cuda")."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.",
                  FutureWarning, stacklevel=2)
    return autocast_mode.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Callable) -> Callable:
    """torch.cuda.amp.custom_bwd(args...) is deprecated: use
    torch.amp.custom_bwd(args..., device_type="cuda")."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.",
                  FutureWarning, stacklevel=2)
    return autocast_mode.custom_bwd(bwd, device_type="cuda")

