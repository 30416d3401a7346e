"""Reading a recorded graph for tools that show or explain it (never used by backward)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["saved_values", "FREED", "PACKED"]

# What saved_values returns for a node whose saved values were freed by backward(), or were
# handed to saved-tensor hooks (then only the hooks know them).
FREED = None
PACKED = "packed"


def saved_values(node: Any) -> list | str | None:
    """The node's saved values as (value, tensor, is_output) triples: `value` is an array or
    a constant, `tensor` the input tensor it came from (None for constants and for the
    node's own output, which is only kept as an array). FREED after backward released them,
    PACKED when saved-tensor hooks hold them."""
    saved = getattr(node, "_saved", ())
    if saved is None:
        return FREED
    if type(saved) is not tuple:
        return PACKED
    tracked = getattr(node, "_vars", None)
    if tracked is None or len(tracked) != len(saved):
        tracked = saved
    out = []
    for s, v in zip(saved, tracked):
        if hasattr(v, "_data"):
            out.append((v._data, v, False))
        elif hasattr(s, "_data"):
            out.append((s._data, s, False))
        else:
            out.append((s, None, isinstance(s, np.ndarray) and v is not s))
    return out
