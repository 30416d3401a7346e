"""ember.nn.functional: functional forms of layers and losses."""

from __future__ import annotations

from ..ops.nn_ops import binary_cross_entropy_with_logits
from ..ops.pointwise import relu, sigmoid, tanh

__all__ = ["binary_cross_entropy_with_logits", "relu", "sigmoid", "tanh"]

from ._attention import multi_head_attention_forward  # noqa: E402, F401
from ._functional import *  # noqa: E402, F403
from ._functional import __all__ as _more  # noqa: E402

__all__ = sorted(set(__all__) | set(_more) | {"multi_head_attention_forward"})
