"""Graph nodes: the backward functions behind `grad_fn`, saved values and leaf accumulation.

A node never references the tensor it produced, only the tensors it consumed (and, for its
own output, the bare array), so graphs hold no reference cycles and die with their last
tensor.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Callable

import numpy as np

__all__ = ["Node", "AccumulateGrad"]

_next_seq = itertools.count().__next__

# Counts registered node hooks; the engine only looks for hooks while it is non-zero.
hook_count = [0]


class Math:
    """The two math namespaces that derivative formulas are written against: `raw` works on
    NumPy arrays (plain backward), `graph` on tensors (create_graph=True). The ops package
    fills them in, so that this module knows no op."""

    raw: Any = None
    graph: Any = None


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class RemovableHandle:
    """A handle that removes a hook from the dict it was registered in."""

    _next_id = itertools.count().__next__

    def __init__(self, hooks: dict) -> None:
        self.hooks_dict = hooks
        self.id = RemovableHandle._next_id()

    def remove(self) -> None:
        if self.hooks_dict.pop(self.id, None) is not None:
            hook_count[0] -= 1

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(hooks: dict, fn: Callable) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    hook_count[0] += 1
    return handle


class Node:
    """A backward function in the graph (`tensor.grad_fn`).

    `next_functions` holds one `(node, output_nr)` edge per differentiable input (`(None, 0)`
    for inputs that need no gradient). `_saved` holds saved inputs as tensors and the node's
    own output as a bare array; `_checks` holds (version counter, version) pairs for them.
    """

    __slots__ = (
        "next_functions", "_saved", "_checks", "_ctx", "_meta", "_seq", "_hooks",
        "_pre_hooks", "_trace", "metadata", "__weakref__",
    )

    # Formulas, one per differentiable input: f(m, grad, *saved, *ctx) -> gradient.
    formulas: tuple = ()
    n_outputs = 1

    def name(self) -> str:
        """Returns the name of the node, e.g. 'AddBackward0'."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def unpack(self, graph: bool) -> tuple:
        """The saved values, as arrays or (in graph mode) as tensors, after checking that
        none was modified in place since it was saved."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        checks = self._checks
        out = []
        for i, s in enumerate(saved):
            vc = checks[2 * i]
            if vc is None:
                out.append(s)
                continue
            if vc[0] != checks[2 * i + 1]:
                raise RuntimeError(_modified_message(self, s, vc[0], checks[2 * i + 1]))
            if type(s) is np.ndarray:
                out.append(_output_tensor(s, self, vc) if graph else s)
            else:
                out.append(s if graph else s._data)
        return tuple(out)

    def apply(self, grad: Any, graph: bool) -> tuple:
        """Gradients for each input edge, given the gradient of the output."""
        args = (self.unpack(graph) if self._saved else ()) + self._ctx
        m = Math.graph if graph else Math.raw
        return tuple(
            f(m, grad, *args) if e[0] is not None else None
            for f, e in zip(self.formulas, self.next_functions)
        )

    def release(self) -> None:
        """Frees the saved values after a backward pass that does not retain the graph."""
        if self._saved:
            self._saved = None

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """Registers a backward hook: fn(grad_inputs, grad_outputs) -> grad_inputs or None."""
        try:
            hooks = self._hooks
        except AttributeError:
            hooks = self._hooks = {}
        return add_hook(hooks, fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """Registers a backward pre-hook: fn(grad_outputs) -> grad_outputs or None."""
        try:
            hooks = self._pre_hooks
        except AttributeError:
            hooks = self._pre_hooks = {}
        return add_hook(hooks, fn)


def _output_tensor(array: np.ndarray, node: Node, vc: list):
    from .._tensor import Tensor

    return Tensor._make_output(array, node, vc)


def _modified_message(node: Node, saved: Any, now: int, expected: int) -> str:
    from .._tensor import type_description

    data = saved if type(saved) is np.ndarray else saved._data
    which = "output 0 of " + node.name() if type(saved) is np.ndarray else _origin(saved)
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{type_description(data)}], which is {which}, is at version "
        f"{now}; expected version {expected} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True)."
    )


def _origin(t: Any) -> str:
    fn = t._fn
    if fn is None:
        return "a leaf Variable"
    return f"output {t._nr} of {fn.name()}"


class AccumulateGrad(Node):
    """The node that accumulates gradients into a leaf tensor's `.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self.next_functions = ()
        self._saved = ()
        self._seq = _next_seq()

    def accumulate(self, grad: Any, graph: bool) -> None:
        """Adds `grad` into `variable.grad`, in place where that is safe."""
        var = self.variable
        if var._hooks:
            grad = var._apply_hooks(grad, graph)
        from .._tensor import Tensor

        old = var._grad
        if graph:
            if type(grad) is not Tensor and not isinstance(grad, Tensor):
                grad = Tensor._make(grad)
            var._grad = grad if old is None else old + grad
        elif old is None:
            # Keep the array if nothing else can reach it; otherwise later in-place
            # accumulation would write into someone else's memory.
            if grad.base is not None or sys.getrefcount(grad) > _STEAL_REFS or \
                    not grad.flags.writeable:
                grad = grad.copy()
            var._grad = Tensor._make(grad)
        elif old._fn is None and not old._rg and old._data.flags.writeable and \
                old._data.shape == grad.shape:
            np.add(old._data, grad, out=old._data, casting="unsafe")
            old._vc[0] += 1
        else:
            var._grad = Tensor._make(old._data + grad)
        if var._hooks:
            var._run_post_accumulate_hooks()


# References to a gradient array that the engine itself holds when it hands the array to
# AccumulateGrad.accumulate (getrefcount's argument, the caller's local, the parameter).
_STEAL_REFS = 3

