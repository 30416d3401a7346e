"""The hook through which function transforms (vmap, forward-mode AD) see ember's ops.

While no transform is active an op pays one global check. The hooks are installed the first
time a transform is used: every public op function of the op families is replaced, wherever
ember's modules, the Tensor class and the create_graph math namespace refer to it, by a thin
wrapper that checks `ACTIVE` and otherwise calls the op.
"""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Callable

from .._transform_hooks import ACTIVE, RECORDER, dispatch, extra_ops, state, transforms_active

__all__ = ["ACTIVE", "RECORDER", "WRAPPED", "dispatch", "install", "op", "prewrap", "state",
           "transforms_active"]

# name -> wrapped op, for rules that call other ops through their transforms.
WRAPPED: dict = {}
_ORIGINAL_OF: dict = {}


def _wrap(fn: Callable, name: str) -> Callable:
    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if ACTIVE[0]:
            return dispatch(fn, name, args, kwargs, op)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = fn
    return op


_installed = [False]

# Tensor operators defined outside the families, by the op they are (so that batching and
# JVP rules apply); reflected ones without an op of their own keep their dunder name, which
# the batching rules treat as pointwise and forward AD differentiates through backward.
_DUNDER_OPS = {
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__rsub__": "rsub",
    "__mul__": "mul", "__rmul__": "mul", "__truediv__": "div", "__pow__": "pow",
    "__neg__": "neg", "__abs__": "abs", "__matmul__": "matmul", "__eq__": "eq", "__ne__": "ne",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
}
for _k in ("__rtruediv__", "__floordiv__", "__rfloordiv__", "__rpow__", "__mod__", "__rmod__",
           "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__invert__",
           "__rmatmul__", "__getitem__", "__setitem__"):
    _DUNDER_OPS[_k] = _k


def install() -> None:
    """Routes every op through the transform dispatcher (once per process)."""
    if _installed[0]:
        return
    from .. import _tensor, ops
    from ..ops import _math

    creation = ops.creation
    replace: dict = dict(_PREWRAPPED)
    for fn, name in _public_ops():
        if fn not in replace:
            replace[fn] = _wrap(fn, name)
        WRAPPED.setdefault(name, replace[fn])
    for name in ("zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
                 "randn_like"):
        fn = getattr(creation, name, None)
        if fn is not None and fn not in replace:
            replace[fn] = _wrap(fn, name)
            WRAPPED[name] = replace[fn]
    for fn, w in replace.items():
        _ORIGINAL_OF[w] = fn
    from .._arg_parser import BOUND

    for cell in BOUND:  # ops behind the argument parser hold their op in a cell
        if cell[0] in replace:
            cell[0] = replace[cell[0]]
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("ember"):
            continue
        d = mod.__dict__
        for k, v in list(d.items()):
            if isinstance(v, types.FunctionType) and v in replace:
                d[k] = replace[v]
    for k, v in list(_tensor.Tensor.__dict__.items()):
        if isinstance(v, types.FunctionType) and v in replace:
            setattr(_tensor.Tensor, k, replace[v])
    for k, v in list(_tensor.Tensor.__dict__.items()):
        # Operators defined outside the families (fast paths) go through the dispatcher too.
        if k in _DUNDER_OPS and isinstance(v, types.FunctionType) and v not in _ORIGINAL_OF:
            setattr(_tensor.Tensor, k, _wrap(v, _DUNDER_OPS[k]))
    ns = _math.graph.__dict__
    for k, v in list(ns.items()):
        if isinstance(v, types.FunctionType) and v in replace:
            ns[k] = replace[v]
    # The helpers that backward formulas of the nn ops call (their graph forms are ops of
    # their own), so that batched gradients flow through them.
    for k in _GRAPH_HELPERS:
        WRAPPED[k] = ns[k] = _wrap(ns[k], k)
        _ORIGINAL_OF[ns[k]] = ns[k].__wrapped_op__
    _wrap_extra_ops()
    _installed[0] = True


_GRAPH_HELPERS = ("im2col", "col2im", "gather_rows", "scatter_rows")


def _wrap_extra_ops() -> None:
    from .._arg_parser import BOUND

    for name, fn in extra_ops.items():
        w = _wrap(fn, name)
        WRAPPED[name] = w
        _ORIGINAL_OF[w] = fn
        for cell in BOUND:  # nn.functional's bound wrappers of it (both namespaces)
            if cell[0] is fn:
                cell[0] = w
        for mod in list(sys.modules.values()):
            if mod is not None and getattr(mod, "__name__", "").startswith("ember") and \
                    mod.__dict__.get(name) is fn:
                mod.__dict__[name] = w


def _public_ops() -> list:
    """(function, name) for every public op of the families: their __all__ (which become
    Tensor methods) and the functions they define for the namespaces only, such as gelu."""
    from .. import ops

    found = []
    for family in ops.FAMILIES:
        seen = set()
        for name in list(family.__all__) + sorted(vars(family)):
            fn = getattr(family, name, None)
            if name.startswith("_") or name in seen or not isinstance(fn, types.FunctionType):
                continue
            if name not in family.__all__ and fn.__module__ != family.__name__:
                continue
            seen.add(name)
            found.append((fn, name))
    return found


# Wrappers made at import for the functions of ember's public namespaces, so that a function
# a program took from them before any transform existed (`from ember import exp`) still sees
# transforms: original -> wrapper.
_PREWRAPPED: dict = {}


def prewrap(*namespaces: dict) -> None:
    """Replaces, in public namespaces, every op function by its transform-aware wrapper."""
    ops = dict(_public_ops())  # once for all namespaces: the scan is a fair part of import
    for namespace in namespaces:
        for k, v in list(namespace.items()):
            if isinstance(v, types.FunctionType) and v in ops:
                w = _PREWRAPPED.get(v)
                if w is None:
                    w = _PREWRAPPED[v] = _wrap(v, ops[v])
                    _ORIGINAL_OF[w] = v
                namespace[k] = w


def op(name: str) -> Callable:
    """The (wrapped) op called `name`."""
    if not _installed[0]:
        install()
    return WRAPPED[name]
