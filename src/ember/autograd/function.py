"""Custom differentiable operations: `Function` with static `forward` and `backward`.

`ctx` is the backward node itself (`MyFnBackward`), as in torch. Saved outputs are kept as
their arrays and rebuilt on access, so a node never holds the tensors it produced and
graphs through custom Functions are freed by reference counting alone.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .. import _version
from .._version import bump_version, shared_counter
from . import _function_jvp, grad_mode
from . import graph as _graph
from .anomaly_mode import _state as _anomaly
from .forward_ad import _TANGENTS
from .graph import FREED_MESSAGE, Node, _next_seq, _output_tensor, note_rebase

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable",
           "InplaceFunction", "NestedIOFunction"]

_mode = grad_mode.state
NO_EDGE = (None, 0)


class FunctionCtx:
    """The context a Function's forward stores things on for its backward."""

    def save_for_backward(self, *tensors: Any) -> None:
        """Saves given tensors for a future call to backward (tensors or None)."""
        from .._tensor import Tensor

        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        """Saves given tensors for a future call to jvp."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        """Marks given tensors as modified in an in-place operation."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Any) -> None:
        """Marks outputs as non-differentiable."""
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        """Sets whether to materialize grad tensors (None gradients become zeros)."""
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """The backward node of a custom Function; it is also the `ctx` its forward saw."""

    _forward_cls: Any = None
    materialize_grads = True

    def name(self) -> str:
        return type(self).__name__

    @property
    def saved_tensors(self) -> tuple:
        """The tensors saved by save_for_backward, checked against in-place changes."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if saved == ():
            # Still inside forward (or nothing was saved).
            return tuple(getattr(self, "to_save", ()))
        out = []
        for item in saved:
            if item is None:
                out.append(None)
                continue
            kind, value, vc, version, nr = item
            if kind == "hook":
                out.append(value.unpack())
                continue
            if vc != version:
                out.append(self._raise_modified(value, kind, _version.version(vc),
                                                _version.version(version), nr))
            if kind == "output":
                out.append(_output_tensor(value, self, vc, nr))
            else:
                out.append(value)
        return tuple(out)

    saved_variables = saved_tensors

    def _raise_modified(self, value: Any, kind: str, now: int, expected: int, nr: int) -> None:
        from .graph import _op_name, _origin, modified_text

        data = value if kind == "output" else value._data
        which = f"output {nr} of {_op_name(self)}" if kind == "output" else _origin(value)
        raise RuntimeError(modified_text(data, which, now, expected))

    def apply(self, grad: Any, graph: bool) -> tuple:
        """Calls the Function's backward with the output gradients (as tensors) and returns
        one gradient per forward input."""
        Tensor = _graph.Tensor
        if self.n_outputs == 1 and grad is not None and not graph:
            # One output with a gradient: the common case, without the list.
            result = self._forward_cls.backward(self, Tensor._make(grad))
            return self._check_grads(result, graph)
        grads = list(grad) if self.n_outputs > 1 else [grad]
        for i, g in enumerate(grads):
            if g is None:
                if self.materialize_grads:
                    shape, dt = self._out_meta[i]
                    grads[i] = Tensor._make(np.zeros(shape, dt))
            elif not graph:
                grads[i] = Tensor._make(g)
        cls = self._forward_cls
        result = cls.backward(self, *grads)
        return self._check_grads(result, graph)

    def _check_grads(self, result: Any, graph: bool) -> tuple:
        Tensor = _graph.Tensor
        if not isinstance(result, tuple):
            result = (result,)
        edges = self._next
        n = len(edges) // 2
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(result)})")
        out = []
        tensor_inputs = self._is_tensor
        for i, r in enumerate(result):
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
            if not tensor_inputs[i]:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a "
                    "Variable")
            if edges[2 * i] is None:
                out.append(None)
                continue
            out.append(r if graph else r._data)
        return tuple(out)

    def release(self) -> None:
        self._saved = None


class _FunctionMeta(type):
    """Gives every Function subclass its own backward node class, named as torch names it."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": "ember.autograd.function"})
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class to create custom autograd.Function: subclass it, implement the static
    methods `forward` (and optionally `setup_context`) and `backward`, and call `apply`."""

    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import warnings

        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.",
            DeprecationWarning, stacklevel=2)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        """Defines the forward of the custom autograd Function."""
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        """Saves what backward needs when forward does not take a ctx."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        """Defines a formula for differentiating the operation with backward mode AD."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Defines a formula for differentiating the operation with forward mode AD."""
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Runs the Function's forward and records its backward node."""
        return _apply(cls, args, kwargs)


InplaceFunction = Function
NestedIOFunction = Function


def _uses_setup_context(cls: type) -> bool:
    return cls.setup_context is not Function.setup_context


def _apply(cls: type, args: tuple, kwargs: dict) -> Any:
    Tensor = _graph.Tensor
    node = object.__new__(cls._backward_cls)
    is_tensor = tuple(isinstance(a, Tensor) for a in args)
    needs = tuple(t and a._rg for t, a in zip(is_tensor, args))
    differentiable = _mode.enabled and any(needs)
    node.needs_input_grad = needs if _mode.enabled else (False,) * len(args)
    node._saved = ()
    custom_setup = _uses_setup_context(cls)
    # Forward AD: forward sees plain tensors; the tangents come from the Function's jvp.
    tangents = _function_jvp.input_tangents(args) if _TANGENTS else None
    prev = _mode.enabled
    _mode.enabled = False
    if tangents is not None:
        _function_jvp.suspend(1)
    try:
        if custom_setup:
            outputs = cls.forward(*args, **kwargs)
        else:
            outputs = cls.forward(node, *args, **kwargs)
        if custom_setup:
            _mode.enabled = prev
            cls.setup_context(node, args, outputs)
    finally:
        _mode.enabled = prev
        if tangents is not None:
            _function_jvp.suspend(-1)
    single = not isinstance(outputs, tuple)
    outs = (outputs,) if single else outputs
    if not differentiable:
        outs = tuple(_plain_output(o, args) for o in outs)
        if tangents is not None:
            outs = _function_jvp.forward_grads(cls, node, args, outs, tangents)
        return outs[0] if single else outs
    dirty = getattr(node, "dirty_tensors", ())
    non_diff = getattr(node, "non_differentiable", ())
    edges: list = []
    for t, a in zip(is_tensor, args):
        edges += a._edge() if t else NO_EDGE
    node._next = edges
    node._is_tensor = is_tensor
    node._meta = [(a._data.shape, a._data.dtype) if t else None
                  for t, a in zip(is_tensor, args)]
    node._ctx = ()
    node._seq = _next_seq()
    result = []
    out_meta = []
    n_tensor_out = 0
    for o in outs:
        if not isinstance(o, Tensor):
            result.append(o)
            continue
        n_tensor_out += 1
        if dirty and any(o is d for d in dirty):
            _check_dirty(o)
            # torch bumps the version of a dirty tensor when it takes over the history.
            bump_version(o)
            t = o
        elif any(o is a for a in args):
            # An input returned as it is becomes a new tensor over the same memory.
            t = Tensor._make(o._data)
            t._vc = shared_counter(o)
            t._base = o if o._base is None else o._base
        else:
            t = o
        result.append(t)
    node.n_outputs = len(outs)
    for i, (o, t) in enumerate(zip(outs, result)):
        if not isinstance(t, Tensor):
            out_meta.append(((), np.dtype(np.float32)))
            continue
        out_meta.append((t._data.shape, t._data.dtype))
        if (non_diff and any(o is n for n in non_diff)) or t._data.dtype.kind != "f":
            if t is not o or not any(o is d for d in dirty):
                t._rg = False
                t._fn = None
            continue
        if dirty and t is o and any(o is d for d in dirty):
            note_rebase(t, node, i)
        t._fn = node
        t._nr = i
        t._rg = True
    node._out_meta = out_meta
    if tangents is not None:
        result = list(_function_jvp.forward_grads(cls, node, args, tuple(result), tangents))
    _save(node, result, outs)
    if _anomaly.enabled:
        from . import anomaly_mode

        anomaly_mode.record(node)
    return result[0] if single else tuple(result)


def _plain_output(o: Any, args: tuple) -> Any:
    from .._tensor import Tensor

    if isinstance(o, Tensor) and any(o is a for a in args) and o._rg and o._fn is None:
        # Returned input: a new tensor that shares memory, as torch makes a view.
        t = Tensor._make(o._data)
        t._vc = shared_counter(o)
        return t
    return o


def _check_dirty(t: Any) -> None:
    if t._fn is None and t._rg:
        raise RuntimeError(
            "a leaf Variable that requires grad has been used in an in-place operation.")


def _save(node: BackwardCFunction, result: list, outs: tuple) -> None:
    """Turns the tensors given to save_for_backward into saved entries: outputs are kept as
    their arrays (no cycle), everything else as the tensor, each with its version."""
    Tensor = _graph.Tensor
    to_save = getattr(node, "to_save", ())
    if hasattr(node, "to_save"):
        del node.to_save
    if not to_save:
        node._saved = []
        return
    pack = _graph.current_saved_hooks()
    items: list = []
    for s in to_save:
        if s is None:
            items.append(None)
            continue
        nr = next((i for i, o in enumerate(outs) if o is s), -1)
        if pack is not None:
            t = result[nr] if nr >= 0 else s
            items.append(("hook", _graph.Packed(pack, t), None, None, 0))
        elif nr >= 0 and isinstance(result[nr], Tensor) and result[nr]._fn is node:
            t = result[nr]
            items.append(("output", t._data, *_version.saved_counter(t), nr))
        else:
            items.append(("input", s, *_version.saved_counter(s), 0))
    node._saved = items


def once_differentiable(fn: Callable) -> Callable:
    """Decorates a backward that is not itself differentiable: under create_graph, the
    gradients it returns raise an error when differentiated."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        from .._tensor import Tensor

        prev = _mode.enabled
        _mode.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _mode.enabled = prev
        if not prev:
            return outputs
        requires = any(isinstance(a, Tensor) and a._rg for a in args)
        if not requires:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        err_inputs = tuple(a for a in args if isinstance(a, Tensor) and a._rg)
        wrapped = tuple(_delayed_error(o, err_inputs) if isinstance(o, Tensor) else o
                        for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


class DelayedError(Node):
    """A node whose backward raises: the gradient of a once-differentiable backward."""

    __slots__ = ()

    def apply(self, grad: Any, graph: bool) -> tuple:
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def _delayed_error(t: Any, inputs: tuple) -> Any:
    from .._tensor import Tensor

    if t._data.dtype.kind != "f":
        return t
    node = object.__new__(DelayedError)
    node.next_functions = tuple(a._edge() for a in inputs)
    node._saved = node._vars = node._checks = ()
    node._ctx = ()
    node._meta = None
    node._seq = _next_seq()
    out = Tensor._make(t._data)
    out._fn = node
    out._rg = True
    return out
