"""Graph nodes: the backward functions behind `grad_fn`, saved values (and the hooks on
them, torch.autograd.graph's saved_tensors_hooks), and leaf accumulation.

A node references no tensor it produced or consumed that has a history: it keeps their
arrays, version counters and its edges, and rebuilds the tensors when create_graph needs
them (as torch's SavedVariable does). So graphs hold no reference cycles and die with their
last tensor, and a chain of ops keeps one node and one edge tuple per op alive, not the
intermediate tensors.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from typing import Any, Callable

import numpy as np

from .._dtypes import type_description
from .._version import bump_version, detached_since, shared_counter, version

__all__ = ["Node", "AccumulateGrad", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks"]

_next_seq = itertools.count().__next__
# torch's CreationMeta of a view (a view tensor's _cm; DEFAULT is 0): made in no_grad mode,
# or one of the outputs of an op that returns several views.
NO_GRAD_VIEW, MULTI_OUTPUT_VIEW = 1, 2

# Counts registered node hooks; the engine only looks for hooks while it is non-zero.
hook_count = [0]

# Called as attach_hook[0](node, outputs) on every new node while anomaly mode or saved-tensor
# hooks are on; None otherwise, so that recording pays one check.
attach_hook: list = [None]


# What else watches node creation: functions added by the modes above this module (anomaly
# mode, forward AD), each giving, when asked, a callback for every new node or None. The
# engine core thus knows none of them.
attach_sources: list = []


def refresh_attach_hook() -> None:
    """Sets `attach_hook` from the saved-tensor-hook state and the attach sources."""
    calls = [c for c in (source() for source in attach_sources) if c is not None]
    packing = bool(_hook_state.stack)
    if packing:
        calls.append(_pack_hook_call)
    if not calls:
        attach_hook[0] = None
        return
    if len(calls) == 1:
        attach_hook[0] = calls[0]
        return

    def on_attach(node: Any, outs: tuple) -> None:
        for call in calls:
            call(node, outs)

    attach_hook[0] = on_attach


def _pack_hook_call(node: Any, outs: tuple) -> None:
    hooks = current_saved_hooks()
    if hooks is not None:
        pack_node(node, outs, hooks)


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

    # Formulas, one per differentiable input: f(m, grad, *saved, *ctx) -> gradient; plain
    # backward runs `raw_formulas` (the same, or a rule's NumPy shortcut on arrays).
    formulas: tuple = ()
    raw_formulas: tuple = ()
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
            for i, f in enumerate(self.formulas if graph else self.raw_formulas)
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


def specialised_apply(formulas: tuple, raw_formulas: tuple) -> Callable:
    """`Node.apply` unrolled for one or two formulas, the hot path of plain backward."""
    if len(formulas) == 1:
        f0, r0 = formulas[0], raw_formulas[0]

        def apply1(self: Node, grad: Any, graph: bool) -> tuple:
            if graph:
                return (f0(Math.graph, grad, *self.unpack(True), *self._ctx),)
            saved = self._saved
            c = self._checks
            if saved is None or (c and (c[0] != c[1] or len(c) != 2)):
                saved = self.unpack(False)
            return (r0(Math.raw, grad, *saved, *self._ctx),)

        return apply1
    if len(formulas) == 2:
        (f0, f1), (r0, r1) = formulas, raw_formulas

        def apply2(self: Node, grad: Any, graph: bool) -> tuple:
            if graph:
                m = Math.graph
                args = self.unpack(True) + self._ctx
                g0, g1 = f0, f1
            else:
                m = Math.raw
                saved = self._saved
                c = self._checks
                if saved is None or (c and (c[0] != c[1] or (len(c) != 2 and (
                        len(c) != 4 or c[2] != c[3])))):
                    saved = self.unpack(False)
                args = saved + self._ctx
                g0, g1 = r0, r1
            return (g0(m, grad, *args) if self._n0 is not None else None,
                    g1(m, grad, *args) if self._n1 is not None else None)

        return apply2
    return Node.apply


# node -> {output number: tangent} for nodes that saved their own output while a dual level
# was open: graph-mode formulas (forward-over-reverse) need the saved output as a dual.
output_tangents: Any = weakref.WeakKeyDictionary()
# Gives a rebuilt output its tangent; set by forward AD, which alone fills output_tangents.
set_output_tangent: list = [None]


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
            set_output_tangent[0](t, tans[nr])
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


# -- hooks on saved tensors ------------------------------------------------------------------
# `saved_tensors_hooks(pack, unpack)` replaces every tensor a node saves by `pack(tensor)` and
# gives backward `unpack(packed)` back; `save_on_cpu` packs into a separate copy. Nodes are
# created as usual and then repacked through `attach_hook`, which is only set while a hook
# pair (or another attach source) is active, so the hot path pays one global check.

class _HookState(threading.local):
    stack: list | None = None
    disabled: str | None = None


_hook_state = _HookState()


def _hook_stack() -> list:
    if _hook_state.stack is None:
        _hook_state.stack = []
    return _hook_state.stack


def current_saved_hooks() -> tuple | None:
    """The innermost active (pack, unpack) pair, or None."""
    st = _hook_state.stack
    if not st:
        return None
    if _hook_state.disabled is not None:
        raise RuntimeError(_hook_state.disabled)
    return st[-1]


class saved_tensors_hooks:
    """Context-manager that sets a pair of pack / unpack hooks for saved tensors."""

    def __init__(self, pack_hook: Callable[[Any], Any],
                 unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _hook_state.disabled is not None:
            raise RuntimeError(_hook_state.disabled)
        _hook_stack().append((self.pack_hook, self.unpack_hook))
        refresh_attach_hook()
        return self

    def __exit__(self, *exc: Any) -> None:
        _hook_stack().pop()
        refresh_attach_hook()


class save_on_cpu(saved_tensors_hooks):
    """Context-manager under which tensors saved by the forward pass are stored as separate
    copies in CPU memory and read back for backward."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
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
        self.prev = _hook_state.disabled
        _hook_state.disabled = self.error_message

    def __exit__(self, *exc: Any) -> None:
        _hook_state.disabled = self.prev


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
        t = self.unpack_hook(self.packed)
        if not isinstance(t, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but "
                            f"got result of type {type(t).__name__}")
        if self.is_output and node is not None:
            return _output_tensor(t._data, node, shared_counter(t), self.nr)
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
