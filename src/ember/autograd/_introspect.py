"""Reading a recorded graph for tools that show or explain it (never used by backward)."""

from __future__ import annotations

from typing import Any

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
    from .graph import _input_tensor

    checks = getattr(node, "_checks", None) or ()
    out = []
    k = 0
    for s, v in zip(saved, tracked):
        if v is s:
            out.append((s._data, s, False) if hasattr(s, "_data") else (s, None, False))
            continue
        vc = checks[k] if k < len(checks) else None
        k += 2
        if type(v) is not int:
            out.append((v._data, v, False))
        elif v < 0:
            out.append((s, None, True))
        else:
            n = node._next
            out.append((s, _input_tensor(s, n[2 * v], vc, n[2 * v + 1]), False))
    return out
