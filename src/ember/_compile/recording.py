"""Recording one eager call of a compiled region and replaying it.

A recording is made while the region runs eagerly: every op called from the region's own
code (not the ops that ops call) is noted with its arguments, tensors named by slot, and
after the call the region's part of the autograd graph is turned into a flat backward plan:
the recorded nodes in the order the engine would run them, each with its formulas, its
saved values as slots and where each of its gradients goes. A replay runs the ops again in
no-grad mode on the new inputs (so no node and no history is made in between) and attaches
one `CompiledFunctionBackward` node to the outputs, whose backward runs the plan with the
same formulas on the new arrays, in the order eager backward would: values and gradients
are those of eager ember, bit for bit.

Whatever the recording cannot prove it replays faithfully marks it as not replayable (a
graph break), and such calls run eagerly.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _random
from .._tensor import Tensor
from .._version import ZERO_VC, saved_counter, version
from ..autograd import engine
from ..autograd.grad_mode import no_grad
from ..autograd.grad_mode import state as grad_state
from ..autograd.graph import FREED_MESSAGE, AccumulateGrad, Math, Node, _next_seq, modified_text
from ..func import _dispatch

ndarray = np.ndarray


class Unsupported(RuntimeError):
    """torch._dynamo.exc.Unsupported: raised under fullgraph=True at a graph break."""


class GraphBreak(Exception):
    """Internal: why a recording cannot be replayed."""


# Ops whose output shape or saved non-tensor state depends on the data, and random ops
# (also caught by the generator check): their replays are not provably right.
_DATA_DEPENDENT = frozenset({
    "nonzero", "argwhere", "masked_select", "unique", "unique_consecutive", "bincount",
    "histc", "repeat_interleave", "__setitem__", "setitem", "index_put",
    "take", "nanmedian", "tolist", "item",
})

# Ops that answer from a tensor's shape, dtype or layout only (never its values).
_METADATA = frozenset({
    "dim", "ndimension", "numel", "nelement", "size", "stride", "is_floating_point",
    "is_complex", "is_contiguous", "element_size", "get_device", "is_signed",
    "storage_offset",
})

# Tensor methods that hand data to Python (or run Python on it): a graph break.
_BREAK_METHODS = ("item", "tolist", "__bool__", "__repr__", "__str__", "__format__",
                  "__float__", "__int__", "__index__", "numpy", "__array__",
                  "register_hook", "retain_grad", "backward")

class _Slots:
    """Tensors seen while recording, by slot number; arrays are looked up by identity."""

    def __init__(self) -> None:
        self.tensors: list = []
        self.by_tensor: dict = {}
        self.by_array: dict = {}
        self.arrays: list = []
        self.versions: list = []

    def add(self, t: Tensor) -> int:
        k = len(self.tensors)
        self.tensors.append(t)
        self.arrays.append(t._data)
        self.versions.append(bytes(t._vc))
        self.by_tensor[id(t)] = k
        self.by_array.setdefault(id(t._data), k)
        return k


class Recorder:
    """The dispatcher hook while one region records."""

    def __init__(self, inputs: list, fullgraph: bool) -> None:
        self.slots = _Slots()
        self.n_inputs = len(inputs)
        for t in inputs:
            self.slots.add(t)
        self.ops: list = []
        self.depth = 0
        self.broken: str | None = None
        self.fullgraph = fullgraph

    def graph_break(self, why: str) -> None:
        if self.fullgraph:
            raise Unsupported(why)
        if self.broken is None:
            self.broken = why

    def call(self, fn: Callable, name: str, args: tuple, kwargs: dict) -> Any:
        if self.depth:
            return fn(*args, **kwargs)
        self.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        if self.broken is not None:
            return out
        if name in _DATA_DEPENDENT or _data_key(name, args) or _in_place(name) or (
                "out" in kwargs):
            self.graph_break(f"{name} is not replayed")
            return out
        try:
            spec_args = self._spec(args)
            spec_kwargs = {k: self._spec(v) for k, v in kwargs.items()}
            if not isinstance(out, (Tensor, tuple)) and (
                    name in _METADATA or not _has_tensor((spec_args, spec_kwargs))):
                # A fact about shapes (which the guards fix) or about constants only:
                # nothing to replay.
                return out
            outs = []
            self._outputs(out, outs)
        except GraphBreak as e:
            self.graph_break(str(e))
            return out
        flat = None
        if not spec_kwargs and all(type(v) is _SlotRef or not isinstance(v, (list, tuple))
                                   for v in spec_args):
            # The common case, built without recursion on replay: (slot, constant) pairs.
            flat = tuple((v.k, None) if type(v) is _SlotRef else (-1, v) for v in spec_args)
        out1 = outs[0] if len(outs) == 1 else None
        self.ops.append((fn, flat, spec_args, spec_kwargs, tuple(outs), out1))
        return out

    def _spec(self, v: Any) -> Any:
        if isinstance(v, Tensor):
            k = self.slots.by_tensor.get(id(v))
            if k is None:
                raise GraphBreak("a tensor from outside the region's inputs was used")
            return _SlotRef(k)
        if type(v) in (list, tuple):
            return type(v)(self._spec(x) for x in v)
        if isinstance(v, (ndarray, dict, set)) or callable(v) and not isinstance(v, type):
            raise GraphBreak(f"argument of type {type(v).__name__} is not replayed")
        return v

    def _outputs(self, out: Any, outs: list) -> None:
        if isinstance(out, Tensor):
            k = self.slots.by_tensor.get(id(out))
            if k is None:
                k = self.slots.add(out)
            outs.append((k, out.shape, out._data.dtype))
        elif isinstance(out, tuple):
            for o in out:
                self._outputs(o, outs)
        else:
            raise GraphBreak(f"an op returned {type(out).__name__}")


def _in_place(name: str) -> bool:
    if name.startswith("__"):
        return name.startswith("__i") and name not in ("__index__", "__int__", "__invert__")
    return name.endswith("_")


def _has_tensor(spec: Any) -> bool:
    if type(spec) is _SlotRef:
        return True
    if type(spec) in (list, tuple):
        return any(_has_tensor(x) for x in spec)
    if type(spec) is dict:
        return any(_has_tensor(x) for x in spec.values())
    return False


def _data_key(name: str, args: tuple) -> bool:
    """Whether an indexing op takes its positions from data (a tensor or array key), or a
    one-argument where (nonzero): the replay could not know its result's shape."""
    if name == "where":
        return len(args) == 1
    if name not in ("getitem", "__getitem__") or len(args) < 2:
        return False
    key = args[1] if type(args[1]) is tuple else (args[1],)
    return any(isinstance(k, (Tensor, ndarray, list)) for k in key)


class _SlotRef:
    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        self.k = k


def _build(spec: Any, slots: list) -> Any:
    if type(spec) is _SlotRef:
        return slots[spec.k]
    if type(spec) in (list, tuple):
        return type(spec)(_build(x, slots) for x in spec)
    return spec


class Recording:
    """A replayable recording: the forward ops, the output structure and the backward
    plan."""

    __slots__ = ("ops", "n_inputs", "out_struct", "plan", "n_slots", "replays")

    def replay(self, inputs: list) -> Any:
        """Runs the recorded forward on `inputs` (the region's tensors, in the recorded
        order) and returns the outputs, or None when a replayed op's result does not match
        the recording (the caller then runs eagerly)."""
        slots: list = list(inputs) + [None] * (self.n_slots - len(inputs))
        with no_grad():
            for fn, flat, a, kw, outs, out1 in self.ops:
                if flat is not None:
                    r = fn(*[slots[k] if k >= 0 else v for k, v in flat])
                else:
                    r = fn(*_build(a, slots), **{k: _build(v, slots) for k, v in kw.items()})
                if out1 is not None:
                    if type(r) is not Tensor:
                        return None
                    d = r._data
                    if d.shape != out1[1] or d.dtype != out1[2]:
                        return None
                    slots[out1[0]] = r
                    continue
                else:
                    rs = tuple(r)
                    if len(rs) != len(outs):
                        return None
                for t, (k, shape, dtype) in zip(rs, outs):
                    d = t._data
                    if d.shape != shape or d.dtype != dtype:
                        return None
                    slots[k] = t
        if self.plan is not None:
            self.plan.attach(slots, inputs)
        self.replays += 1
        return _rebuild(self.out_struct, slots)


def _rebuild(spec: Any, slots: list) -> Any:
    if type(spec) is _SlotRef:
        return slots[spec.k]
    if type(spec) in (list, tuple):
        return type(spec)(_rebuild(x, slots) for x in spec)
    if type(spec) is dict:
        return {k: _rebuild(v, slots) for k, v in spec.items()}
    return spec


_hooked = [False]


def _install_hooks() -> None:
    """Routes the ops to the recorder: the op families through the transform dispatcher,
    and nn.functional's functions (which compute on arrays themselves) through a wrapper
    that only a recording looks at."""
    _dispatch.install()
    if _hooked[0]:
        return
    import sys
    import types

    from ..nn import _functional

    replace = {}
    for name in _functional.__all__:
        fn = getattr(_functional, name, None)
        if isinstance(fn, types.FunctionType) and fn not in _dispatch._ORIGINAL_OF:
            replace[fn] = _recording_wrapper(fn, name)
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("ember"):
            continue
        d = mod.__dict__
        for k, v in list(d.items()):
            if isinstance(v, types.FunctionType) and v in replace:
                d[k] = replace[v]
    _hooked[0] = True


def _recording_wrapper(fn: Callable, name: str) -> Callable:
    import functools

    recorder = _dispatch.RECORDER

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        rec = recorder[0]
        if rec is not None and _dispatch.ACTIVE[0] == 1:
            return rec.call(fn, name, args, kwargs)
        return fn(*args, **kwargs)

    return op


def record(fn: Callable, args: tuple, kwargs: dict, inputs: list, fullgraph: bool) -> tuple:
    """Runs `fn(*args, **kwargs)` eagerly while recording it. Returns (result, Recording or
    the reason it cannot be replayed)."""
    rec = Recorder(inputs, fullgraph)
    versions = [t._vc if t._vc is ZERO_VC else bytes(t._vc) for t in inputs]
    arrays = [t._data for t in inputs]
    rng = bytes(_random.default_generator._get_state_bytes())
    start = _next_seq()
    patched = _patch_breaks(rec)
    _install_hooks()
    _dispatch.ACTIVE[0] += 1
    _dispatch.RECORDER[0] = rec
    try:
        result = fn(*args, **kwargs)
    finally:
        _dispatch.RECORDER[0] = None
        _dispatch.ACTIVE[0] -= 1
        for k, v in patched:
            setattr(Tensor, k, v)
    if rec.broken is None:
        try:
            if bytes(_random.default_generator._get_state_bytes()) != rng:
                raise GraphBreak("random numbers were drawn")
            for t, v, a in zip(inputs, versions, arrays):
                if t._data is not a or (t._vc if t._vc is ZERO_VC else bytes(t._vc)) != v:
                    raise GraphBreak("an input was changed in place")
            for t, a, v in zip(rec.slots.tensors, rec.slots.arrays, rec.slots.versions):
                if t._data is not a or t._vc != v:
                    raise GraphBreak("a tensor of the region was changed in place")
            recording = _finish(rec, result, start)
        except GraphBreak as e:
            rec.graph_break(str(e))
    if rec.broken is not None:
        return result, rec.broken
    return result, recording


def _patch_breaks(rec: Recorder) -> list:
    patched = []
    for name in _BREAK_METHODS:
        original = Tensor.__dict__.get(name)
        if original is None or isinstance(original, property):
            continue
        patched.append((name, original))

        def method(self: Tensor, *a: Any, _f: Any = original, _n: str = name, **k: Any) -> Any:
            rec.graph_break(f"Tensor.{_n} is a graph break")
            return _f(self, *a, **k)

        setattr(Tensor, name, method)
    return patched


def _out_spec(rec: Recorder, v: Any) -> Any:
    if isinstance(v, Tensor):
        k = rec.slots.by_tensor.get(id(v))
        if k is None:
            raise GraphBreak("the region returned a tensor it did not compute")
        if v._base is not None and k >= rec.n_inputs:
            raise GraphBreak("the region returned a view")
        return _SlotRef(k)
    if type(v) in (list, tuple):
        return type(v)(_out_spec(rec, x) for x in v)
    if type(v) is dict:
        return {k: _out_spec(rec, x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise GraphBreak(f"the region returned {type(v).__name__}")


def _finish(rec: Recorder, result: Any, start: int) -> Recording:
    r = Recording()
    r.ops = rec.ops
    r.n_inputs = rec.n_inputs
    r.n_slots = len(rec.slots.tensors)
    r.out_struct = _out_spec(rec, result)
    r.replays = 0
    outs: list = []
    _flat_outputs(r.out_struct, outs)
    r.plan = _Plan.make(rec, outs, start) if grad_state.enabled else None
    return r


def _flat_outputs(spec: Any, acc: list) -> None:
    if type(spec) is _SlotRef:
        if spec.k not in acc:
            acc.append(spec.k)
    elif type(spec) in (list, tuple):
        for x in spec:
            _flat_outputs(x, acc)
    elif type(spec) is dict:
        for x in spec.values():
            _flat_outputs(x, acc)


class _Plan:
    """The region's backward: recorded nodes in the engine's order, with saved values as
    slots and gradient destinations as (inner node, output number) or contributions to an
    input's edge."""

    __slots__ = ("outputs", "nodes", "n_contrib", "contrib_inputs", "saved_slots",
                 "check_inputs", "check_outputs", "output_slots")

    @staticmethod
    def make(rec: Recorder, out_slots: list, start: int) -> _Plan | None:
        slots = rec.slots
        inputs = slots.tensors[:rec.n_inputs]
        input_edges: dict = {}
        for i, t in enumerate(inputs):
            if t._rg:
                e = t._edge()
                if e[0] is not None:
                    input_edges.setdefault((id(e[0]), e[1]), i)
        # Region outputs that carry a history made inside the region.
        outputs = []
        roots = []
        for k in out_slots:
            if k < rec.n_inputs:
                continue
            t = slots.tensors[k]
            fn = t._fn
            if fn is None:
                continue
            if type(fn) is AccumulateGrad or fn._seq < start:
                raise GraphBreak("an output's history starts outside the region")
            outputs.append((k, fn, t._nr))
            roots.append(fn)
        if not outputs:
            return None
        inner: dict = {}
        stack = list(roots)
        while stack:
            n = stack.pop()
            if id(n) in inner:
                continue
            inner[id(n)] = n
            for j in range(0, 2 * n._k, 2):
                nxt = n._next[j]
                if nxt is None or type(nxt) is AccumulateGrad or nxt._seq < start:
                    continue
                stack.append(nxt)
        order = sorted(inner.values(), key=lambda n: -n._seq)
        index = {id(n): i for i, n in enumerate(order)}
        input_vcs = {id(t._vc): i for i, t in enumerate(inputs) if t._vc is not ZERO_VC}
        output_vcs = {id(slots.tensors[k]._vc): j for j, (k, _, _) in enumerate(outputs)}
        saved_slots: list = []
        saved_pos: dict = {}
        check_inputs: set = set()
        check_outputs: set = set()
        nodes = []
        n_contrib = 0
        contrib_inputs = []
        for n in order:
            cls = type(n)
            if type(n._saved) is not tuple:
                raise GraphBreak(f"{cls.__name__} is not replayed")
            x = getattr(n, "_x", None)
            if x is not None and (x.hooks or x.pre_hooks):
                raise GraphBreak("a hook on a node of the region")
            specs = []
            for values in (n._saved, n._ctx):
                spec = []
                for s in values:
                    if isinstance(s, (ndarray, np.generic)):
                        k = slots.by_array.get(id(s))
                        perm = None
                        if k is None and isinstance(s, ndarray):
                            k, perm = _permuted_slot(s, slots)
                        if k is None:
                            if isinstance(s, np.generic) and values is n._ctx:
                                spec.append((False, s))
                                continue
                            raise GraphBreak(f"{cls.__name__} saved a value it computed itself")
                        if (k, perm) not in saved_pos:
                            saved_pos[k, perm] = len(saved_slots)
                            saved_slots.append((k, perm))
                        spec.append((True, saved_pos[k, perm]))
                    elif isinstance(s, (Tensor, Node)):
                        raise GraphBreak(f"{cls.__name__} keeps a tensor")
                    else:
                        spec.append((False, s))
                specs.append(tuple(spec))
            checks = n._checks or ()
            for j in range(0, len(checks), 2):
                vc = id(checks[j])
                if vc in input_vcs:
                    check_inputs.add(input_vcs[vc])
                elif vc in output_vcs:
                    check_outputs.add(output_vcs[vc])
            dests = []
            flat = n._next
            for j in range(n._k):
                nxt, nr = flat[2 * j], flat[2 * j + 1]
                if nxt is None:
                    dests.append(None)
                elif id(nxt) in index:
                    dests.append((True, index[id(nxt)], nr, nxt.n_outputs))
                else:
                    i = input_edges.get((id(nxt), nr))
                    if i is None:
                        raise GraphBreak("a gradient leaves the region by an unknown edge")
                    dests.append((False, n_contrib, 0, 0))
                    contrib_inputs.append(i)
                    n_contrib += 1
            tpl = _template(n)
            cspec = specs[1]
            if not any(is_slot for is_slot, _ in cspec):
                # No array in the context: the template keeps it.
                tpl._ctx = tuple(v for _, v in cspec)
                cspec = None
            nodes.append((cls, tpl, specs[0], cspec, n._meta, tuple(dests), cls.n_outputs))
        p = _Plan()
        p.outputs = tuple((index[id(fn)], nr) for _, fn, nr in outputs)
        p.nodes = tuple(nodes)
        p.n_contrib = n_contrib
        p.contrib_inputs = tuple(contrib_inputs)
        p.saved_slots = tuple(saved_slots)
        p.check_inputs = tuple(sorted(check_inputs))
        p.check_outputs = tuple(sorted(check_outputs))
        p.output_slots = tuple(k for k, _, _ in outputs)
        return p

    def attach(self, slots: list, inputs: list) -> None:
        """Makes the replayed outputs the outputs of one CompiledFunctionBackward node."""
        node = object.__new__(CompiledFunctionBackward)
        flat: list = []
        for i in self.contrib_inputs:
            flat += inputs[i]._edge()
        node._next = tuple(flat)
        node._saved = tuple(slots[k]._data if perm is None else slots[k]._data.transpose(perm)
                            for k, perm in self.saved_slots)
        checks: list = []
        for i in self.check_inputs:
            checks += saved_counter(inputs[i])
        node._vars = self
        node._ctx = ()
        node._meta = None
        n_out = len(self.outputs)
        node._x_outputs = n_out
        outs = [slots[k] for k in self.output_slots]
        for j in self.check_outputs:
            checks += saved_counter(outs[j])
        node._checks = tuple(checks)
        node._seq = _next_seq()
        for nr, t in enumerate(outs):
            t._fn = node
            t._nr = nr
            t._rg = True


_EDGE = object()  # stands for a recorded edge in a template node (only its presence counts)


def _template(n: Node) -> Node:
    """A copy of a recorded node without its edges, saved values or history, whose own
    apply the backward calls with a replay's saved values."""
    cls = type(n)
    t = object.__new__(cls)
    flat = n._next
    t._next = tuple(_EDGE if j % 2 == 0 and v is not None else v for j, v in enumerate(flat))
    t._saved = t._ctx = t._vars = t._checks = ()
    t._meta = n._meta
    t._seq = n._seq
    for c in cls.__mro__:
        if c is Node or c is object:
            continue
        for name in getattr(c, "__slots__", ()):
            if name.startswith("__"):
                continue
            v = getattr(n, name, None)
            if isinstance(v, (ndarray, Tensor, Node)):
                raise GraphBreak(f"{cls.__name__} keeps a tensor")
            if v is not None:
                setattr(t, name, v)
    return t


def _permuted_slot(s: ndarray, slots: _Slots) -> tuple:
    """(slot, axes) when `s` is a transpose of a slot's array (a weight's .t() made inside
    an op), else (None, None)."""
    ptr = s.__array_interface__["data"][0]
    for k, a in enumerate(slots.arrays):
        if a.ndim != s.ndim or a.dtype != s.dtype or a.__array_interface__["data"][0] != ptr:
            continue
        for perm in _perms(a.ndim):
            if tuple(a.shape[i] for i in perm) == s.shape and tuple(
                    a.strides[i] for i in perm) == s.strides:
                return k, perm
    return None, None


def _perms(n: int) -> list:
    import itertools

    return list(itertools.permutations(range(n))) if n <= 4 else []


class _NameOf:
    """Stands for a recorded node in the engine's error messages."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def name(self) -> str:
        return self.cls.__name__


class CompiledFunctionBackward(Node):
    """The backward of a compiled region: the recorded nodes' formulas, in eager order."""

    __slots__ = ("_x_outputs",)

    @property
    def n_outputs(self) -> int:  # type: ignore[override]
        return self._x_outputs

    def apply(self, grad: Any, graph: bool) -> tuple:
        """Gradients of the region's inputs, one per contribution edge."""
        if graph:
            raise RuntimeError(
                "torch.compile with aot_autograd does not currently support double backward")
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        checks = self._checks
        for i in range(0, len(checks), 2):
            if checks[i] != checks[i + 1]:
                raise RuntimeError(modified_text(
                    saved[0] if saved else np.empty(0), None, version(checks[i]),
                    version(checks[i + 1])))
        plan: _Plan = self._vars
        m = Math.raw
        nodes = plan.nodes
        buffers: list = [None] * len(nodes)
        if len(plan.outputs) == 1:
            grad = [grad]
        for (i, nr), g in zip(plan.outputs, grad):
            if g is None:
                continue
            _add(buffers, i, nr, nodes[i][6], g)
        contrib: list = [None] * plan.n_contrib
        conform = engine._conform
        for i, (cls, tpl, spec, cspec, meta, dests, _n) in enumerate(nodes):
            g = buffers[i]
            if g is None:
                continue
            buffers[i] = None
            tpl._saved = tuple([saved[v] if is_slot else v for is_slot, v in spec])
            if cspec is not None:
                tpl._ctx = tuple([saved[v] if is_slot else v for is_slot, v in cspec])
            try:
                outs = tpl.apply(g, False)
            finally:
                tpl._saved = ()
                if cspec is not None:
                    tpl._ctx = ()
            for j, r in enumerate(outs):
                d = dests[j]
                if r is None or d is None:
                    continue
                if meta is not None and meta[j] is not None:
                    r = conform(m, _NameOf(cls), j, r, meta[j])
                elif type(r) is not ndarray:
                    r = np.asarray(r)
                if d[0]:
                    _add(buffers, d[1], d[2], d[3], r)
                else:
                    contrib[d[1]] = r
        return tuple(contrib)


def _add(buffers: list, i: int, nr: int, n_outputs: int, g: Any) -> None:
    if n_outputs == 1:
        old = buffers[i]
        buffers[i] = g if old is None else old + g
        return
    slot = buffers[i]
    if slot is None:
        slot = buffers[i] = [None] * n_outputs
    slot[nr] = g if slot[nr] is None else slot[nr] + g
