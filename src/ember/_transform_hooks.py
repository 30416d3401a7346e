"""The registry through which function transforms (forward-mode AD, vmap) see ember's ops.

Ops and the autograd entry points sit below the transforms and know none of them: they check
`ACTIVE` (the number of active transforms) and, while it is non-zero, hand over to what the
transforms registered here when they were loaded.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

# Number of active transforms (vmap levels and dual levels) in this process.
ACTIVE = [0]

# The recorder of a compiled region while one records (ember._compile), else None. A
# recording counts in ACTIVE, so that ops reach it through `dispatch`, but transforms nothing.
RECORDER: list = [None]


def transforms_active() -> bool:
    """Whether a function transform (not only a recording compiled region) is active."""
    return ACTIVE[0] > (RECORDER[0] is not None)


# What a handler returns for an op that is not its business.
PASS = object()


class _State(threading.local):
    fwd_suspended = 0


state = _State()

# Handlers, called as handler(fn, name, args, kwargs, wrapped): forward-mode AD's (an op with
# a dual argument), then vmap's (an op with a batched argument), as torch's dispatch keys are
# ordered. Each gives PASS for an op without arguments of its kind.
dual_handler: list = [None]
batched_handler: list = [None]
# vmap's: autograd.grad under a transform, or with batched output gradients; NotImplemented
# where the plain engine applies.
grad_handler: list = [None]
# vmap's: the vmap level whose randomness="different" asks a random op for one draw per batch
# entry, or None; and such a draw, (make, shape, level) -> the tensor batched at that level,
# where make(shape) draws a tensor.
randomness_level: list = [None]
batch_draw: list = [None]
# Functions outside the op families that transforms see as ops of their own (nn.functional
# functions with a batching rule, whose fast paths read arrays): name -> function, added by
# the modules that define them.
extra_ops: dict = {}


def dispatch(fn: Callable, name: str, args: tuple, kwargs: dict,
             wrapped: Callable | None = None) -> Any:
    """Runs an op under the active transforms: forward-mode AD first, then vmap. Batching
    rules call `wrapped` (the op through the dispatcher), since the values under a batched
    tensor may be batched at lower levels."""
    rec = RECORDER[0]
    if rec is not None:
        if ACTIVE[0] == 1:
            return rec.call(fn, name, args, kwargs)
        rec.graph_break("a function transform inside the compiled region")
    dual = dual_handler[0]
    if dual is not None and not state.fwd_suspended:
        out = dual(fn, name, args, kwargs, wrapped)
        if out is not PASS:
            return out
    batched = batched_handler[0]
    if batched is not None:
        out = batched(fn, name, args, kwargs, wrapped)
        if out is not PASS:
            return out
    return fn(*args, **kwargs)
