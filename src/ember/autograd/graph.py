"""Graph nodes: the backward functions behind `grad_fn`, saved values and leaf accumulation.

A node references no tensor it produced or consumed that has a history: it keeps their
arrays, version counters and its edges, and rebuilds the tensors when create_graph needs
them (as torch's SavedVariable does). So graphs hold no reference cycles and die with their
last tensor, and a chain of ops keeps one node and one edge tuple per op alive, not the
intermediate tensors.
"""

from __future__ import annotations

import itertools
import sys
import weakref
from typing import Any, Callable

import numpy as np

from .._version import bump_version, detached_since, version

__all__ = ["Node", "AccumulateGrad"]

_next_seq = itertools.count().__next__
# torch's CreationMeta of a view (a view tensor's _cm; DEFAULT is 0): made in no_grad mode,
# or one of the outputs of an op that returns several views.
NO_GRAD_VIEW, MULTI_OUTPUT_VIEW = 1, 2

# Counts registered node hooks; the engine only looks for hooks while it is non-zero.
hook_count = [0]

# Called as attach_hook[0](node, outputs) on every new node while anomaly mode or saved-tensor
# hooks are on; None otherwise, so that recording pays one check.
attach_hook: list = [None]


def refresh_attach_hook() -> None:
    """Sets `attach_hook` from the anomaly and saved-tensor-hook states."""
    from . import anomaly_mode, forward_ad, saved_hooks

    anomaly = anomaly_mode._state.enabled
    packing = saved_hooks.active()
    # Under forward AD, saved tensors must stay the tensors that carry tangents, so that
    # nodes keep them (the hook's presence tells recording to).
    if not anomaly and not packing and not forward_ad.level_open():
        attach_hook[0] = None
        return

    def on_attach(node: Any, outs: tuple) -> None:
        if anomaly:
            anomaly_mode.record(node)
        if packing:
            hooks = saved_hooks.current()
            if hooks is not None:
                saved_hooks.pack_node(node, outs, hooks)

    attach_hook[0] = on_attach


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

DETACHED_MESSAGE = (
    "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_()."
    "This is not supported, please use out-of-place `.detach()` instead"
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


class _Extras:
    """What few nodes carry, kept out of every node's own slots."""

    __slots__ = ("hooks", "pre_hooks", "trace", "rebased", "metadata")

    def __init__(self) -> None:
        self.hooks = self.pre_hooks = self.trace = self.rebased = self.metadata = None


def _extra(node: Any, name: str) -> Any:
    try:
        return getattr(node._x, name)
    except AttributeError:
        return None


def _set_extra(node: Any, name: str, value: Any) -> None:
    try:
        x = node._x
    except AttributeError:
        x = node._x = _Extras()
    setattr(x, name, value)


def _extra_attribute(name: str) -> property:
    """A node attribute kept in its `_Extras`: absent (AttributeError) until set."""

    def get(node: Any) -> Any:
        value = _extra(node, name)
        if value is None:
            raise AttributeError(name)
        return value

    def put(node: Any, value: Any) -> None:
        _set_extra(node, name, value)

    return property(get, put)


class Node:
    """A backward function in the graph (`tensor.grad_fn`).

    `next_functions` holds one `(node, output_nr)` edge per differentiable input (`(None, 0)`
    for inputs that need no gradient). The node keeps its `_k` edges in its own slots,
    `_n0, _r0, _n1, _r1` (a node with more than two keeps them all flat in `_n0`); `_next`
    gives them flat, (node, nr, node, nr, ...). An edge tuple per node would be one more
    object per op for the cyclic collector to walk on every full collection, and every slot
    is one more field it reads; what few nodes carry (hooks, the forward traceback,
    in-place notes, metadata) sits in one `_Extras` object made on demand.

    Saved values are kept twice: `_saved` as plain backward uses them (arrays and
    constants) and `_vars` as create_graph rebuilds them, entry by entry: the constant
    itself (`_vars[k] is _saved[k]`), `i >= 0` for input i (rebuilt from its array and
    edge), `-1 - nr` for the node's own output nr, or the tensor itself (inputs that need no
    gradient, which carry no history to rebuild, and views, whose history changes with their
    base's). `_checks` holds a (counter, snapshot) pair per saved tensor, in order: the
    tensor was changed in place since it was saved when the two differ.
    """

    __slots__ = (
        "_k", "_n0", "_r0", "_n1", "_r1", "_saved", "_vars", "_checks", "_ctx", "_meta",
        "_seq", "_x", "__weakref__",
    )

    # Formulas, one per differentiable input: f(m, grad, *saved, *ctx) -> gradient.
    formulas: tuple = ()
    n_outputs = 1

    _hooks = _extra_attribute("hooks")
    _pre_hooks = _extra_attribute("pre_hooks")
    _trace = _extra_attribute("trace")
    _rebased = _extra_attribute("rebased")

    def name(self) -> str:
        """Returns the name of the node, e.g. 'AddBackward0'."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """The `(node, output_nr)` edge of each input."""
        n = self._next
        return tuple((n[i], n[i + 1]) for i in range(0, len(n), 2))

    @next_functions.setter
    def next_functions(self, edges: tuple) -> None:
        self._next = tuple(x for edge in edges for x in edge)

    @property
    def _next(self) -> tuple:
        """The edges, flat: (node, nr, node, nr, ...)."""
        k = self._k
        if k == 1:
            return (self._n0, self._r0)
        if k == 2:
            return (self._n0, self._r0, self._n1, self._r1)
        if k == 0:
            return ()
        return self._n0

    @_next.setter
    def _next(self, flat: tuple) -> None:
        k = self._k = len(flat) // 2
        if k > 2:
            self._n0 = tuple(flat)
        elif k:
            self._n0 = flat[0]
            self._r0 = flat[1]
            if k > 1:
                self._n1 = flat[2]
                self._r1 = flat[3]

    @property
    def metadata(self) -> dict:
        """A dict for whatever the user wants to keep with the node."""
        meta = _extra(self, "metadata")
        if meta is None:
            meta = {}
            _set_extra(self, "metadata", meta)
        return meta

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def unpack(self, graph: bool) -> tuple:
        """The saved values, as arrays or (in graph mode) as tensors, after checking that
        none was modified in place since it was saved."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if type(saved) is not tuple:
            return saved.unpack(self, graph)
        checks = self._checks
        if checks:
            for i in range(0, len(checks), 2):
                if checks[i] != checks[i + 1]:
                    if detached_since(checks[i], checks[i + 1]):
                        raise RuntimeError(DETACHED_MESSAGE)
                    raise RuntimeError(_modified_message(self, i // 2))
        if not graph:
            return saved
        out = []
        k = 0
        for s, v in zip(saved, self._vars):
            if v is s:
                out.append(s)
                continue
            if type(v) is int:
                vc = checks[k]
                n = self._next
                out.append(_output_tensor(s, self, vc, -1 - v) if v < 0 else
                           _input_tensor(s, n[2 * v], vc, n[2 * v + 1]))
            else:
                out.append(v)
            k += 2
        return tuple(out)

    def apply(self, grad: Any, graph: bool) -> tuple:
        """Gradients for each input edge, given the gradient of the output."""
        if graph:
            args = self.unpack(True) + self._ctx
            m = Math.graph
        else:
            saved = self._saved
            if self._checks or saved is None:
                saved = self.unpack(False)
            args = saved + self._ctx
            m = Math.raw
        n = self._next
        return tuple(
            f(m, grad, *args) if n[2 * i] is not None else None
            for i, f in enumerate(self.formulas)
        )

    def release(self) -> None:
        """Frees the saved values after a backward pass that does not retain the graph."""
        if self._saved:
            self._saved = None
            self._vars = self._checks = None

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


def specialised_apply(formulas: tuple) -> Callable:
    """`Node.apply` unrolled for one or two formulas, the hot path of plain backward."""
    if len(formulas) == 1:
        f0 = formulas[0]

        def apply1(self: Node, grad: Any, graph: bool) -> tuple:
            if graph:
                return (f0(Math.graph, grad, *self.unpack(True), *self._ctx),)
            saved = self._saved
            c = self._checks
            if saved is None or (c and (c[0] != c[1] or len(c) != 2)):
                saved = self.unpack(False)
            return (f0(Math.raw, grad, *saved, *self._ctx),)

        return apply1
    if len(formulas) == 2:
        f0, f1 = formulas

        def apply2(self: Node, grad: Any, graph: bool) -> tuple:
            if graph:
                m = Math.graph
                args = self.unpack(True) + self._ctx
            else:
                m = Math.raw
                saved = self._saved
                c = self._checks
                if saved is None or (c and (c[0] != c[1] or (len(c) != 2 and (
                        len(c) != 4 or c[2] != c[3])))):
                    saved = self.unpack(False)
                args = saved + self._ctx
            return (f0(m, grad, *args) if self._n0 is not None else None,
                    f1(m, grad, *args) if self._n1 is not None else None)

        return apply2
    return Node.apply


# node -> {output number: tangent} for nodes that saved their own output while a dual level
# was open: graph-mode formulas (forward-over-reverse) need the saved output as a dual.
output_tangents: Any = weakref.WeakKeyDictionary()


# ember's Tensor class, set by ember._tensor once it exists (it imports this module).
Tensor: Any = None


def _input_tensor(array: np.ndarray, fn: Node, vc: Any, nr: int):
    """A saved input rebuilt from its array, counter and the node's edge to it: the leaf
    itself where the edge leads to a leaf's accumulator."""
    if type(fn) is AccumulateGrad:
        return fn.variable
    return Tensor._make_output(array, fn, vc, nr)


def _output_tensor(array: np.ndarray, node: Node, vc: Any, nr: int):
    t = Tensor._make_output(array, node, vc, nr)
    if output_tangents:
        tans = output_tangents.get(node)
        if tans is not None and nr in tans:
            from .forward_ad import set_tangent

            set_tangent(t, tans[nr])
    return t


def _modified_message(node: Node, k: int) -> str:
    """torch's text for a saved value (the k-th checked one) changed by an in-place op."""
    checks = node._checks
    now, expected = version(checks[2 * k]), version(checks[2 * k + 1])
    tracked = [(s, v) for s, v in zip(node._saved, node._vars) if v is not s]
    data, var = tracked[k]
    if type(var) is not int:
        which = _origin(var)
    elif var < 0:
        which = f"output {-1 - var} of {_op_name(node)}"
    else:
        which = _now_origin(node._next[2 * var], node._next[2 * var + 1])
    return modified_text(data, which, now, expected)


def modified_text(data: Any, which: str | None, now: int, expected: int) -> str:
    """torch's text for a saved tensor changed in place since it was saved."""
    from .._tensor import type_description

    where = f", which is {which}," if which else ""
    return (
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{type_description(data)}]{where} is at version "
        f"{now}; expected version {expected} instead. Hint: enable anomaly detection to "
        "find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _op_name(node: Node) -> str:
    # torch names the operation, not its backward node: MulBackward0 -> Mul, but
    # EluBackward1 (in-place elu's) -> Elu1.
    name = node.name()
    cut = name.rfind("Backward")
    if cut <= 0:
        return name
    overload = name[cut + len("Backward"):]
    return name[:cut] + ("" if overload == "0" else overload)


def _origin(t: Any) -> str | None:
    fn = t.grad_fn  # regenerates a view's history after its base changed, as torch does
    if fn is None:
        return None
    return f"output {t._nr} of {_op_name(fn)}"


def _now_origin(fn: Node, nr: int) -> str | None:
    """torch names the present history of a saved tensor that was changed in place: where
    output `nr` of `fn` was taken over by in-place ops, the last of them."""
    if type(fn) is AccumulateGrad:
        return None
    cell = getattr(fn, "_rebased", {}).get(nr)
    if cell is not None:
        return cell[0]
    return f"output {nr} of {_op_name(fn)}"


def note_rebase(t: Any, fn: Node | None, nr: int = 0) -> None:
    """Notes that an in-place op is about to give `t` the history (fn, nr) (None: no
    history), for the error message of a node that saved `t` before (it keeps t's old edge,
    not t). Nodes of one tensor's successive histories share one cell."""
    old = t._fn
    if old is None:
        return
    try:
        cells = old._rebased
    except AttributeError:
        cells = old._rebased = {}
    cell = cells.get(t._nr)
    if cell is None:
        cell = cells[t._nr] = [None]
    cell[0] = None if fn is None else f"output {nr} of {_op_name(fn)}"
    if fn is not None and fn is not old:
        try:
            fn._rebased[nr] = cell
        except AttributeError:
            fn._rebased = {nr: cell}


class AccumulateGrad(Node):
    """The node that accumulates gradients into a leaf tensor's `.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable
        self._next = ()
        self._saved = ()
        self._seq = _next_seq()

    def name(self) -> str:
        """torch names this node by its C++ class, unlike the generated backward nodes."""
        return "torch::autograd::AccumulateGrad"

    def accumulate(self, grad: Any, graph: bool) -> None:
        """Adds `grad` into `variable.grad`, in place where that is safe."""
        var = self.variable
        if var._hooks:
            grad = var._apply_hooks(grad, graph)
        old = var._grad
        if graph:
            if type(grad) is not Tensor and not isinstance(grad, Tensor):
                grad = Tensor._make(grad)
            var._grad = grad if old is None else old + grad
        elif old is None:
            # Keep the array if nothing else can reach it; otherwise later in-place
            # accumulation would write into someone else's memory.
            if (grad.base is not None and not _whole_view(grad)) or \
                    sys.getrefcount(grad) > _STEAL_REFS or not grad.flags.writeable:
                grad = grad.copy()
            var._grad = Tensor._make(grad)
        elif old._fn is None and not old._rg and old._data.flags.writeable and \
                old._data.shape == grad.shape:
            np.add(old._data, grad, out=old._data, casting="unsafe")
            bump_version(old)
        else:
            var._grad = Tensor._make(old._data + grad)
        if var._hooks:
            var._run_post_accumulate_hooks()


# References to a gradient array that the engine itself holds when it hands the array to
# AccumulateGrad.accumulate (getrefcount's argument, the caller's local, the parameter).
_STEAL_REFS = 3


def _whole_view(grad: Any) -> bool:
    """Whether grad is a contiguous view of all of an array that nothing else holds (a
    formula's reshaped result): kept as .grad rather than copied (a convolution weight's
    gradient is such a view; ResNet-18 copied 45 MB a step)."""
    base = grad.base
    # The local name, getrefcount's argument and the view itself; any other view of base
    # would hold it too.
    return type(base) is np.ndarray and base.base is None and base.size == grad.size and \
        grad.flags.c_contiguous and sys.getrefcount(base) <= 3


from .saved_hooks import (  # noqa: E402
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)

__all__ += ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]
