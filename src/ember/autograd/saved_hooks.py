"""Hooks on saved tensors: `saved_tensors_hooks(pack, unpack)` replaces every tensor a node
saves by `pack(tensor)` and gives backward `unpack(packed)` back; `save_on_cpu` packs into a
separate copy.

Nodes are created as usual and then repacked by `graph.attach_hook`, which is only set while
a hook pair (or anomaly mode) is active, so the hot path pays one global check.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from .._version import shared_counter
from . import graph

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class _HookState(threading.local):
    stack: list | None = None
    disabled: str | None = None


_state = _HookState()


def _stack() -> list:
    if _state.stack is None:
        _state.stack = []
    return _state.stack


def current() -> tuple | None:
    """The innermost active (pack, unpack) pair, or None."""
    st = _state.stack
    if not st:
        return None
    if _state.disabled is not None:
        raise RuntimeError(_state.disabled)
    return st[-1]


def active() -> bool:
    return bool(_state.stack)


class saved_tensors_hooks:
    """Context-manager that sets a pair of pack / unpack hooks for saved tensors."""

    def __init__(self, pack_hook: Callable[[Any], Any],
                 unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _state.disabled is not None:
            raise RuntimeError(_state.disabled)
        _stack().append((self.pack_hook, self.unpack_hook))
        graph.refresh_attach_hook()
        return self

    def __exit__(self, *exc: Any) -> None:
        _stack().pop()
        graph.refresh_attach_hook()


class save_on_cpu(saved_tensors_hooks):
    """Context-manager under which tensors saved by the forward pass are stored as separate
    copies in CPU memory and read back for backward."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        from .._tensor import Tensor

        def pack(t: Any) -> Any:
            return Tensor._make(np.array(t._data, copy=True))

        def unpack(packed: Any) -> Any:
            return packed

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:
    """Context-manager that disables the saved tensors default hooks feature: entering a
    saved_tensors_hooks (or saving a tensor under one) raises `error_message`."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self.prev = _state.disabled
        _state.disabled = self.error_message

    def __exit__(self, *exc: Any) -> None:
        _state.disabled = self.prev


class Packed:
    """A saved tensor as its pack hook returned it, with what backward needs to rebuild its
    place in the graph (its edge and version counter, never the tensor itself)."""

    __slots__ = ("packed", "unpack_hook", "edge_fn", "nr", "rg", "acc", "is_output")

    def __init__(self, hooks: tuple, t: Any, is_output: bool = False) -> None:
        pack, self.unpack_hook = hooks
        self.edge_fn = None if is_output else t._fn
        self.nr = t._nr
        self.rg = t._rg
        self.acc = t._acc if t._fn is None and t._rg else None
        self.is_output = is_output
        self.packed = pack(t)

    def unpack(self, node: Any = None) -> Any:
        """The tensor backward sees: the unpack hook's result, put back in the graph."""
        from .._tensor import Tensor

        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but "
                            f"got result of type {type(t).__name__}")
        if self.is_output and node is not None:
            return graph._output_tensor(t._data, node, shared_counter(t), self.nr)
        if t._fn is self.edge_fn and t._rg == self.rg:
            return t
        out = Tensor._make(t._data)
        out._vc = shared_counter(t)
        out._fn, out._nr, out._rg = self.edge_fn, self.nr, self.rg
        if self.acc is not None:
            # A leaf: route gradients to the original leaf's accumulator.
            out._acc = self.acc
        return out


class PackedSaved(tuple):
    """A node's saved values after packing: constants as they are, tensors as `Packed`."""

    def unpack(self, node: Any, graph_mode: bool) -> tuple:
        out = []
        for s in self:
            if type(s) is Packed:
                t = s.unpack(node)
                out.append(t if graph_mode else t._data)
            else:
                out.append(s)
        return tuple(out)


# A (counter, snapshot) pair that never matches, so that packed nodes take the unpacking
# path.
_FORCE_UNPACK = (b"\x01", b"\x00")


def pack_node(node: Any, outs: tuple, hooks: tuple) -> None:
    """Replaces the tensors a freshly created node saved by their packed form."""
    vars_ = getattr(node, "_vars", None)
    if not vars_:
        return
    items = []
    for s, v in zip(node._saved, vars_):
        if v is s:
            items.append(s)
        elif type(v) is int:
            # Recording keeps inputs themselves while hooks are on: ints are outputs.
            items.append(Packed(hooks, outs[-1 - v], is_output=True))
        else:
            items.append(Packed(hooks, v))
    node._saved = node._vars = PackedSaved(items)
    node._checks = _FORCE_UNPACK
