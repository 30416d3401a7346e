"""The hook through which function transforms (vmap, forward-mode AD) see ember's ops.

While no transform is active an op pays one global check. Every public op of the op families
is its transform-aware wrapper from where it is defined (`_transform_hooks.transform_ops`, at
the end of each family), so the transforms find every op routed through `dispatch` without
patching anything.
"""

from __future__ import annotations

from typing import Callable

from .._transform_hooks import (
    ACTIVE,
    OPS,
    ORIGINAL_OF,
    RECORDER,
    WRAPPED,
    dispatch,
    state,
    transforms_active,
)

__all__ = ["ACTIVE", "OPS", "ORIGINAL_OF", "RECORDER", "WRAPPED", "dispatch", "op", "state",
           "transforms_active"]


def op(name: str) -> Callable:
    """The (wrapped) op called `name`."""
    return WRAPPED[name]
