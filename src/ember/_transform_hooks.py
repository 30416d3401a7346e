"""The registry through which function transforms (forward-mode AD, vmap) see ember's ops.

Ops and the autograd entry points sit below the transforms and know none of them: they check
`ACTIVE` (the number of active transforms) and, while it is non-zero, hand over to what the
transforms registered here when they were loaded.

Dispatch is decided where an op is defined: each op family ends by replacing its public ops,
in its own namespace, by transform-aware wrappers (`transform_ops`), before any other module
imports them, so every importer, the Tensor class and the formulas' math namespace hold the
wrapper from the start and nothing is patched later. While no transform is active a wrapped
op pays one frame and one global check; a bound method or function and a Tensor operator make
the check themselves, so they pay no frame more than before. The cost falls on ops that other
ops call: measured in instructions (callgrind, deterministic) per run, against patching on
first use, benchmarks' W1 (2,000 methods and operators) 100.28 M -> 100.67 M (+0.4 %), 50
steps of nn.Linear, relu, Linear and cross_entropy with backward 59.51 M -> 60.05 M (+0.9 %).
"""

from __future__ import annotations

import functools
import threading
import types
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


# name -> the transform-aware wrapper of the op of that name (the first one made for it), for
# rules that call other ops through their transforms; and wrapper -> the op it wraps.
WRAPPED: dict = {}
ORIGINAL_OF: dict = {}
# (op, name) for every op `transform_ops` wrapped, under each of its names: the rules the
# transforms read off the ops' rows.
OPS: list = []


def transform_op(fn: Callable, name: str) -> Callable:
    """`fn` as the op `name` that the transforms see: while one is active, calls go through
    `dispatch`; otherwise straight to `fn`."""
    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if ACTIVE[0]:
            return dispatch(fn, name, args, kwargs, op)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = fn
    op.__op_name__ = name
    ORIGINAL_OF[op] = fn
    WRAPPED.setdefault(name, op)
    return op


def transform_ops(namespace: dict, names: tuple | None = None) -> None:
    """Replaces, in an op family's own namespace (its globals, at the end of the module), its
    public ops by their transform-aware wrappers: the names of its __all__ (which become
    Tensor methods) and the public functions it defines for the namespaces only, such as
    gelu; or only `names`. A function met under several names (an alias) gets one wrapper,
    named by the first."""
    if names is None:
        exported = namespace.get("__all__", ())
        module = namespace["__name__"]
        names = [n for n in dict.fromkeys(list(exported) + sorted(namespace))
                 if not n.startswith("_") and (
                     n in exported or getattr(namespace[n], "__module__", None) == module)]
    made: dict = {}
    for name in names:
        fn = namespace[name]
        if not isinstance(fn, types.FunctionType):
            continue
        w = made.get(fn)
        if w is None:
            # One another family wrapped and this one exports keeps its wrapper.
            w = made[fn] = fn if fn in ORIGINAL_OF else transform_op(fn, name)
        WRAPPED.setdefault(name, w)
        OPS.append((ORIGINAL_OF[w], name))
        namespace[name] = w


def recorded_op(fn: Callable, name: str) -> Callable:
    """`fn` (a function of nn.functional that computes on arrays itself, not through ops) as
    one op of a compiled region that records: seen by the recorder only, not by transforms."""
    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        rec = RECORDER[0]
        if rec is not None and ACTIVE[0] == 1:
            return rec.call(fn, name, args, kwargs)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = fn
    return op
