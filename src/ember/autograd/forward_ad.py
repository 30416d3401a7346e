"""Forward-mode automatic differentiation: dual tensors carry a tangent, and every op
computes its output's tangent with a JVP formula.

Tangents live in a table keyed by tensor identity, so tensors carry no extra state. While a
dual level is open, ops go through the transform dispatcher; an op with a dual argument
computes its primal result as usual and its tangent with the formula registered for it in
`JVP` (see `_jvp_rules`), or, for an op without one, by differentiating its own backward
formula (the double-vjp construction), which is exact but slower.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any, Callable

from .. import _transform_hooks
from .._transform_hooks import PASS
from . import graph
from .graph import output_tangents, refresh_attach_hook

__all__ = ["dual_level", "make_dual", "unpack_dual", "enter_dual_level", "exit_dual_level",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# id(tensor) -> (weak reference to the tensor, tangent)
_TANGENTS: dict = {}
_current_level = [-1]

# Where a dual's output hides under wrappers of a transform above (vmap's batched tensors):
# functions (out, tangent) -> (out, tangent) one layer further in, or None when out is not
# theirs.
output_unwrappers: list = []


def enter_dual_level() -> int:
    """Enters a new forward grad level; only one level may be active at a time."""
    from ..func import _dispatch

    if _current_level[0] >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level[0] = 0
    _dispatch.ACTIVE[0] += 1
    refresh_attach_hook()
    return 0


def level_open() -> bool:
    """Whether a dual level is open."""
    return _current_level[0] >= 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Exits a forward grad level: every tangent created in it is dropped."""
    from ..func import _dispatch

    if level is None:
        level = _current_level[0]
    if level != _current_level[0]:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    _current_level[0] = -1
    _dispatch.ACTIVE[0] -= 1
    _TANGENTS.clear()
    output_tangents.clear()
    refresh_attach_hook()


class dual_level:
    """Context-manager for forward AD, where all forward AD computation must occur."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


def _drop(key: int) -> Callable:
    def callback(ref: Any) -> None:
        entry = _TANGENTS.get(key)
        if entry is not None and entry[0] is ref:
            del _TANGENTS[key]

    return callback


def set_tangent(t: Any, tangent: Any) -> None:
    key = id(t)
    _TANGENTS[key] = (weakref.ref(t, _drop(key)), tangent)


graph.set_output_tangent[0] = set_tangent


def _attach_source() -> Any:
    # Under forward AD, saved tensors must stay the tensors that carry tangents, so that
    # nodes keep them: a set attach hook tells recording to.
    return _keep_saved_tensors if level_open() else None


def _keep_saved_tensors(node: Any, outs: tuple) -> None:
    pass


graph.attach_sources.append(_attach_source)


def get_tangent(t: Any) -> Any:
    entry = _TANGENTS.get(id(t))
    if entry is None or entry[0]() is not t:
        return None
    return entry[1]


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """Associates a tensor value with its tangent to create a "dual tensor" for forward AD;
    the result is a new tensor aliased to `tensor`."""
    from .._tensor import Tensor
    from ..func._dispatch import op, state

    if _current_level[0] < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not isinstance(tangent, Tensor) or not isinstance(tensor, Tensor):
        raise TypeError("make_dual expects Tensors for both the primal and the tangent")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tangent.dtype != tensor.dtype:
        tangent = op("to")(tangent, tensor.dtype)
    state.fwd_suspended += 1
    try:
        dual = op("alias")(tensor)
    finally:
        state.fwd_suspended -= 1
    set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """Unpacks a "dual tensor" into its primal (a view of the tensor) and its tangent (None
    for a tensor without one)."""
    from ..func._dispatch import op, state

    # Where forward grads are off (inside a custom Function's forward), no tensor is dual.
    tangent = None if state.fwd_suspended else get_tangent(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    state.fwd_suspended += 1
    try:
        primal = op("alias")(tensor)
    finally:
        state.fwd_suspended -= 1
    return UnpackedDualTensor(primal, tangent)


def has_dual(args: tuple, kwargs: dict) -> bool:
    for a in args:
        if id(a) in _TANGENTS and get_tangent(a) is not None:
            return True
        if type(a) in (list, tuple):
            for b in a:
                if id(b) in _TANGENTS and get_tangent(b) is not None:
                    return True
    for a in kwargs.values():
        if id(a) in _TANGENTS and get_tangent(a) is not None:
            return True
    return False


def refuse_dual(name: str, *tensors: Any) -> None:
    """Raises torch's NotImplementedError when a tensor that reaches the op `name`, which has
    no forward derivative in torch, carries a tangent."""
    if _TANGENTS and has_dual(tensors, {}):
        raise NotImplementedError(
            f"Trying to use forward AD with {name} that does not support it because it has "
            "not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so "
            "that we can prioritize its implementation or submit a PR adding the "
            "implementation to derivatives.yaml")


def _dual_handler(fn: Callable, name: str, args: tuple, kwargs: dict,
                  wrapped: Callable | None) -> Any:
    if _TANGENTS and has_dual(args, kwargs):
        return dispatch_dual(fn, name, args, kwargs, wrapped)
    return PASS


def dispatch_dual(fn: Callable, name: str, args: tuple, kwargs: dict,
                  wrapped: Callable | None = None) -> Any:
    """Runs an op with dual arguments: the primal result, then its tangent."""
    from .._tensor import Tensor
    from ..func._dispatch import dispatch, state
    from . import _jvp_rules  # the rules load with the first dual op

    decomposed = _jvp_rules.DECOMPOSED.get(name)
    if decomposed is not None:
        out = decomposed(*args, **kwargs)
        if out is not NotImplemented:
            return out
    tangents = [_tangents_of(a) for a in args]
    state.fwd_suspended += 1
    try:
        if name.endswith("_") and not name.endswith("__") and isinstance(args[0], Tensor):
            return _inplace(fn, name, args, kwargs, tangents)
        out = dispatch(fn, name, args, kwargs, wrapped)
        rule = _jvp_rules.JVP.get(name)
        if rule is None:
            # Through the dispatcher (forward AD suspended): the arguments may be batched.
            tan = _jvp_rules.by_double_vjp(wrapped or fn, args, kwargs, tangents, out)
        else:
            tan = rule(args, kwargs, tangents, out)
        _attach(out, tan)
    finally:
        state.fwd_suspended -= 1
    return out


def _tangents_of(a: Any) -> Any:
    if type(a) in (list, tuple):
        return [get_tangent(b) for b in a]
    return get_tangent(a)


def _attach(out: Any, tan: Any) -> None:
    from .._tensor import Tensor
    from . import _jvp_rules

    if isinstance(out, Tensor):
        if tan is not None and out.is_floating_point():
            tan = _jvp_rules.conform(tan, out)
            set_tangent(out, tan)
            _record_output_tangent(out, tan)
    elif isinstance(out, (tuple, list)) and tan is not None:
        for o, t in zip(out, tan):
            _attach(o, t)


def _record_output_tangent(out: Any, tan: Any) -> None:
    """Remembers the tangent of a node's own output, so that the output, when its node
    unpacks it for a graph-mode formula, is a dual again."""
    peeled = True
    while peeled:
        peeled = False
        for unwrap in output_unwrappers:
            inner = unwrap(out, tan)
            if inner is not None:
                out, tan = inner
                peeled = True
    node = out._fn
    if node is None:
        return
    saved = getattr(node, "_vars", None)
    if type(saved) is tuple and not any(type(v) is int and v < 0 for v in saved):
        return
    output_tangents.setdefault(node, {})[out._nr] = tan


def _inplace(fn: Callable, name: str, args: tuple, kwargs: dict, tangents: list) -> Any:
    """In-place op: the tangent of the out-of-place op, computed before the write."""
    from ..func._dispatch import WRAPPED, dispatch
    from . import _jvp_rules

    base = name[:-1]
    self = args[0]
    if base in WRAPPED:
        plain = WRAPPED[base]
        out = plain(*args, **kwargs)
        rule = _jvp_rules.JVP.get(base)
        tan = rule(args, kwargs, tangents, out) if rule is not None else \
            _jvp_rules.by_double_vjp(plain, args, kwargs, tangents, out)
    else:
        tan = _jvp_rules.zeros_tangent(self)
    dispatch(fn, name, args, kwargs)
    if tan is not None:
        tan = _jvp_rules.conform(tan, self)
        set_tangent(self, tan)
        _record_output_tangent(self, tan)
    return self


_transform_hooks.dual_handler[0] = _dual_handler
