"""torch.cpu.amp: the deprecated CPU spelling of torch.amp.autocast."""

from __future__ import annotations

import warnings
from typing import Any

from ..amp import autocast_mode

__all__ = ["autocast"]


class autocast(autocast_mode.autocast):
    """See torch.autocast. torch.cpu.amp.autocast(args...) is deprecated: use
    torch.amp.autocast("cpu", args...)."""

    def __init__(self, enabled: bool = True, dtype: Any = None,
                 cache_enabled: bool = True) -> None:
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cpu', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cpu", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)
