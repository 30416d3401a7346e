"""ember.autograd: automatic differentiation of arbitrary scalar valued functions."""

from __future__ import annotations

from .._lazy import lazy_names as _lazy_names
from . import graph
from .explain import explain, record_cuts
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
    "is_grad_enabled", "is_inference_mode_enabled", "graph", "explain", "record_cuts",
    "Function", "FunctionCtx", "once_differentiable", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "gradcheck", "gradgradcheck",
    "forward_ad", "functional", "Variable",
]


from . import functional  # noqa: E402
from .anomaly_mode import (  # noqa: E402
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402
from .variable import Variable  # noqa: E402

# Tensor and the engine core live in this package and load it while Tensor is still being
# made: the entries that need Tensor when they load wait for their first access.
__getattr__, __dir__ = _lazy_names(__name__, globals(), {
    "backward": "._grad_api:backward", "grad": "._grad_api:grad", "forward_ad": ".forward_ad",
    "Function": ".function:Function", "FunctionCtx": ".function:FunctionCtx",
    "once_differentiable": ".function:once_differentiable",
})
