"""Recording one eager call of a compiled region and replaying it as flat NumPy calls.

A recording is made while the region runs eagerly: every op called from the region's own
code (not the ops that ops call) is noted with its arguments, tensors named by slot. After
the call each op's NumPy forward (kernels.py) is traced into a flat list of NumPy calls
writing into preallocated buffers (trace.py), and the region's part of the autograd graph
is traced the same way: the recorded nodes' formulas run on traced values in the order the
engine would run them, giving the flat list of the backward. Both are checked against what
eager ember computed (each op's result, and the gradients an eager backward from the same
seed gives the region's inputs), bit for bit.

A replay copies the inputs into its buffers, runs the forward list, copies the outputs out
(a caller may keep them) and attaches one `CompiledFunctionBackward` node, whose backward
runs the backward list: no op code, no tensor and no node in between. Whatever the
recording cannot replay faithfully is a graph break, and such calls run eagerly.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable

import numpy as np

from .. import _random
from .._quiet import quiet_off, quiet_on
from .._tensor import Tensor
from .._version import ZERO_VC, saved_counter, version
from ..autograd import engine
from ..autograd.grad_mode import state as grad_state
from ..autograd.graph import FREED_MESSAGE, AccumulateGrad, Math, Node, _next_seq, modified_text
from ..func import _dispatch
from .kernels import FORMULAS, LINKED, kernel_of
from .trace import GuardFailed, Sym, Tracer, Untraceable, bind

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
        self.refs: list = []  # one _SlotRef per slot, shared by every use

    def add(self, t: Tensor) -> int:
        k = len(self.tensors)
        self.tensors.append(t)
        self.arrays.append(t._data)
        self.versions.append(bytes(t._vc))
        self.by_tensor[id(t)] = k
        self.refs.append(_SlotRef(k))
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
        self.ops.append((fn, name, spec_args, spec_kwargs, tuple(outs)))
        return out

    def _spec(self, v: Any) -> Any:
        t = type(v)
        if t is Tensor:
            k = self.slots.by_tensor.get(id(v))
            if k is None:
                raise GraphBreak("a tensor from outside the region's inputs was used")
            return self.slots.refs[k]
        if t is float or t is int or t is bool or v is None:
            return v
        if isinstance(v, Tensor):
            k = self.slots.by_tensor.get(id(v))
            if k is None:
                raise GraphBreak("a tensor from outside the region's inputs was used")
            return _SlotRef(k)
        if t is list or t is tuple:
            return t([self._spec(x) for x in v])
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


class _BufferSet:
    """One replay's arrays: the slots of the trace, the flat forward and backward steps over
    them, and the node that holds them until its backward has run."""

    __slots__ = ("arrays", "fwd", "bwd", "copies", "grad_in", "contrib", "owner")

    def free(self) -> bool:
        o = self.owner
        if o is None:
            return True
        n = o()
        return n is None or n._saved is None


class Recording:
    """A replayable recording: the trace of the forward and backward, which of the region's
    inputs are copied into buffers and which are used as they are (parameters), and where
    the outputs and gradients are."""

    __slots__ = ("tracer", "n_fwd", "n_inputs", "n_slots", "copied", "bound", "out_struct",
                 "out_slots", "grad_out", "grad_slot", "contrib_slots", "contrib_inputs",
                 "check_inputs", "check_output", "pool", "replays", "linked")

    def _buffers(self, inputs: list) -> _BufferSet:
        for bs in self.pool:
            if bs.free():
                return bs
        # Every earlier set still backs a graph that may run backward (two forward calls,
        # then backward of the first): a new one.
        bs = _BufferSet()
        if not self.pool:
            arrays, steps = bind(self.tracer, None)
        else:
            given: list = [None] * self.n_inputs
            for i in self.bound:
                given[i] = inputs[i]._data
            for i in self.copied:
                given[i] = np.empty_like(self.tracer.values[i])
            arrays, steps = bind(self.tracer, given)
        bs.arrays = arrays
        bs.fwd = tuple(steps[:self.n_fwd])
        bs.bwd = tuple(steps[self.n_fwd:])
        bs.copies = tuple(arrays[i] for i in self.copied)
        bs.grad_in = arrays[self.grad_slot] if self.grad_slot is not None else None
        bs.contrib = tuple(arrays[k] for k in self.contrib_slots)
        bs.owner = None
        if len(self.pool) < _POOL:
            self.pool.append(bs)
        return bs

    def replay(self, inputs: list) -> Any:
        """Runs the recorded forward on `inputs` (the region's tensors, in the recorded
        order) and returns the outputs."""
        bs = self._buffers(inputs)
        for dst, i in zip(bs.copies, self.copied):
            np.copyto(dst, inputs[i]._data)
        token = quiet_on()
        try:
            for f, a in bs.fwd:
                f(*a)
        except GuardFailed:
            # Data this recording does not hold for (a target out of range): eager.
            return None
        finally:
            quiet_off(token)
        arrays = bs.arrays
        n = self.n_inputs
        slots = list(inputs) + [None] * (self.n_slots - n)
        for k, j in self.out_slots:
            # Outputs get arrays of their own: the caller may keep them across calls.
            slots[k] = Tensor._make(arrays[j].copy())
        if self.grad_out is not None and grad_state.enabled:
            _attach(self, bs, slots[self.grad_out], inputs)
        self.replays += 1
        return _rebuild(self.out_struct, slots)


# Buffer sets a recording keeps for reuse.
_POOL = 4


def _attach(r: Recording, bs: _BufferSet, out: Tensor, inputs: list) -> None:
    """Makes the replayed output the output of one CompiledFunctionBackward node."""
    node = object.__new__(CompiledFunctionBackward)
    flat: list = []
    for i in r.contrib_inputs:
        flat += inputs[i]._edge()
    node._next = tuple(flat)
    node._saved = (bs,)
    checks: list = []
    for i in r.check_inputs:
        checks += saved_counter(inputs[i])
    if r.check_output:
        checks += saved_counter(out)
    node._checks = tuple(checks)
    node._vars = node._ctx = ()
    node._meta = None
    node._seq = _next_seq()
    bs.owner = weakref.ref(node)
    out._fn = node
    out._nr = 0
    out._rg = True


def _rebuild(spec: Any, slots: list) -> Any:
    if type(spec) is _SlotRef:
        return slots[spec.k]
    if type(spec) in (list, tuple):
        return type(spec)(_rebuild(x, slots) for x in spec)
    if type(spec) is dict:
        return {k: _rebuild(v, slots) for k, v in spec.items()}
    return spec


def record(fn: Callable, args: tuple, kwargs: dict, inputs: list, n_args: int,
           fullgraph: bool) -> tuple:
    """Runs `fn(*args, **kwargs)` eagerly while recording it. Returns (result, Recording or
    the reason it cannot be replayed). The first `n_args` inputs come from the arguments,
    the others are a module's parameters and buffers."""
    rec = Recorder(inputs, fullgraph)
    versions = [t._vc if t._vc is ZERO_VC else bytes(t._vc) for t in inputs]
    arrays = [t._data for t in inputs]
    rng = bytes(_random.default_generator._get_state_bytes())
    start = _next_seq()
    patched = _patch_breaks(rec)
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
            recording = _finish(rec, result, start, n_args)
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


def _finish(rec: Recorder, result: Any, start: int, n_args: int) -> Recording:
    """Traces the recorded call into a flat forward and backward and checks both against
    what eager ember computed."""
    r = Recording()
    slots = rec.slots
    n = r.n_inputs = rec.n_inputs
    r.n_slots = len(slots.tensors)
    r.out_struct = _out_spec(rec, result)
    r.replays = 0
    r.pool = []
    # Tensors from the arguments are copied into the replay's buffers; parameters and
    # buffers of a module (whose arrays the guards fix) are used as they are.
    r.copied = tuple(range(min(n_args, n)))
    r.bound = tuple(range(min(n_args, n), n))
    tr = r.tracer = Tracer()
    r.linked = {}
    syms: list = [None] * len(slots.tensors)
    for i in range(n):
        a = slots.arrays[i]
        if i in r.copied:
            b = np.empty_like(a)
            np.copyto(b, a)
            a = b
        syms[i] = tr.input(a)
    token = quiet_on()
    try:
        for fn, name, a, kw, outs in rec.ops:
            kernel = kernel_of(fn, name)
            linked = LINKED.get(name)
            if kernel is None and linked is None:
                raise GraphBreak(f"{name} is not replayed")
            try:
                args = _build(a, syms)
                kwargs = {k: _build(v, syms) for k, v in kw.items()}
                if linked is not None:
                    link = _Link(r.linked, [slots.tensors[k] for k, _, _ in outs])
                    res = linked(link, *args, **kwargs)
                else:
                    res = kernel(*args, **kwargs)
            except Untraceable as e:
                raise GraphBreak(f"{name} is not replayed ({e})") from None
            res = res if type(res) is tuple else (res,)
            if len(res) != len(outs):
                raise GraphBreak(f"{name} is not replayed")
            for s, (k, _, dtype) in zip(res, outs):
                if type(s) is not Sym:
                    raise GraphBreak(f"{name} is not replayed")
                if s.dtype != dtype:
                    s = s.astype(dtype)
                if not _same_bits(tr.values[s.k], slots.arrays[k]):
                    raise GraphBreak(f"{name}'s replay differs from eager")
                syms[k] = s
    finally:
        quiet_off(token)
    r.n_fwd = len(tr.steps)
    outs: list = []
    _flat_outputs(r.out_struct, outs)
    r.out_slots = tuple((k, syms[k].k) for k in outs if k >= n)
    r.grad_out = r.grad_slot = None
    r.contrib_slots = r.contrib_inputs = r.check_inputs = ()
    r.check_output = False
    if grad_state.enabled:
        _trace_backward(r, rec, syms, outs, start)
    r.linked = None  # the eager arrays it named are not kept
    return r


def _same_bits(a: Any, b: ndarray) -> bool:
    a = np.asarray(a)
    return a.dtype == b.dtype and a.shape == b.shape and (
        a.tobytes() == b.tobytes() or np.array_equal(a, b, equal_nan=True) and
        np.array_equal(np.signbit(a), np.signbit(b)))


def _trace_backward(r: Recording, rec: Recorder, syms: list, out_slots: list,
                    start: int) -> None:
    """The region's backward: the recorded nodes' formulas, traced in the order the engine
    would run them, from one output's gradient to the gradients of the region's inputs."""
    slots = rec.slots
    n = rec.n_inputs
    inputs = slots.tensors[:n]
    input_edges: dict = {}
    for i, t in enumerate(inputs):
        if t._rg:
            e = t._edge()
            if e[0] is not None:
                input_edges.setdefault((id(e[0]), e[1]), i)
    roots = []
    for k in out_slots:
        if k < n:
            continue
        t = slots.tensors[k]
        fn = t._fn
        if fn is None:
            continue
        if type(fn) is AccumulateGrad or fn._seq < start:
            raise GraphBreak("an output's history starts outside the region")
        roots.append((k, fn, t._nr))
    if not roots:
        return
    if len(roots) > 1:
        raise GraphBreak("more than one output carries a gradient")
    out_k, root, root_nr = roots[0]
    inner: dict = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in inner:
            continue
        inner[id(node)] = node
        for j in range(0, 2 * node._k, 2):
            nxt = node._next[j]
            if nxt is None or type(nxt) is AccumulateGrad or nxt._seq < start:
                continue
            stack.append(nxt)
    order = sorted(inner.values(), key=lambda x: -x._seq)
    index = {id(x): i for i, x in enumerate(order)}
    input_vcs = {id(t._vc): i for i, t in enumerate(inputs) if t._vc is not ZERO_VC}
    out_t = slots.tensors[out_k]
    check_inputs: set = set()
    tr = r.tracer
    seed_value = np.ones(out_t._data.shape, out_t._data.dtype)
    seed = tr.buffer(seed_value)
    tr.values[seed.k][...] = seed_value
    grads: list = [None] * len(order)
    n_out = [x.n_outputs for x in order]
    grads[index[id(root)]] = seed if n_out[index[id(root)]] == 1 else _one_hot(
        n_out[index[id(root)]], root_nr, seed)
    contrib: list = []   # (input index, Sym), in the order the engine receives them
    patch = _tracing_math()
    m = patch.__enter__()
    token = quiet_on()
    try:
        for i, node in enumerate(order):
            g = grads[i]
            if g is None:
                continue
            grads[i] = None
            cls = type(node)
            if type(node._saved) is not tuple or not cls.formulas or \
                    getattr(cls.apply, "__name__", "") not in ("apply", "apply1", "apply2") or \
                    cls.apply.__module__ != Node.__module__:
                raise GraphBreak(f"{cls.__name__} is not replayed")
            x = getattr(node, "_x", None)
            if x is not None and (x.hooks or x.pre_hooks):
                raise GraphBreak("a hook on a node of the region")
            saved = tuple(_saved_sym(s, slots, syms, r.linked, cls) for s in node._saved)
            ctx = tuple(_saved_sym(s, slots, syms, r.linked, cls) for s in node._ctx)
            checks = node._checks or ()
            for j in range(0, len(checks), 2):
                vc = id(checks[j])
                if vc in input_vcs:
                    check_inputs.add(input_vcs[vc])
                elif checks[j] is out_t._vc:
                    r.check_output = True
            flat = node._next
            meta = node._meta
            # Plain backward runs the rows' raw forms (a NumPy shortcut where a row has one).
            for j, f in enumerate(FORMULAS.get(cls, cls.raw_formulas or cls.formulas)):
                nxt, nr = flat[2 * j], flat[2 * j + 1]
                if nxt is None:
                    continue
                try:
                    res = f(m, g, *saved, *ctx)
                    if res is None:
                        continue
                    if type(res) is not Sym:
                        raise Untraceable("a gradient that does not depend on the input's")
                    if meta is not None and meta[j] is not None:
                        res = engine._conform(m, node, j, res, meta[j])
                    elif engine._WIDENS_0DIM:
                        res = engine.narrowed(res, g)
                except Untraceable as e:
                    raise GraphBreak(f"{cls.__name__}'s backward is not replayed ({e})") \
                        from None
                if id(nxt) in index:
                    d = index[id(nxt)]
                    if n_out[d] == 1:
                        grads[d] = res if grads[d] is None else grads[d] + res
                    else:
                        slot = grads[d] if grads[d] is not None else [None] * n_out[d]
                        slot[nr] = res if slot[nr] is None else slot[nr] + res
                        grads[d] = slot
                else:
                    k = input_edges.get((id(nxt), nr))
                    if k is None:
                        raise GraphBreak("a gradient leaves the region by an unknown edge")
                    contrib.append((k, res))
    except GraphBreak:
        raise
    except Exception as e:  # a formula that cannot run on traced values
        raise GraphBreak(f"the backward is not replayed ({type(e).__name__}: {e})") from None
    finally:
        quiet_off(token)
        patch.__exit__()
    _check_backward(root, root_nr, seed_value, contrib, inputs, tr)
    r.grad_out = out_k
    r.grad_slot = seed.k
    r.contrib_inputs = tuple(k for k, _ in contrib)
    r.contrib_slots = tuple(s.k for _, s in contrib)
    r.check_inputs = tuple(sorted(check_inputs))


def _one_hot(n: int, nr: int, g: Any) -> list:
    out: list = [None] * n
    out[nr] = g
    return out


def _check_backward(root: Node, nr: int, seed: ndarray, contrib: list, inputs: list,
                    tr: Tracer) -> None:
    """Runs eager backward from the same seed without accumulating, and compares the
    gradients each input receives with the traced ones."""
    edges: list = []
    for k, _ in contrib:
        e = inputs[k]._edge()
        if e not in edges:
            if getattr(e[0], "_x", None) is not None and e[0]._x.pre_hooks:
                # The check would run the user's hook: not replayed.
                raise GraphBreak("a hook on the history of an input")
            edges.append(e)
    got = engine.run_backward([(root, nr)], [seed], True, False, capture=edges)
    traced: dict = {}
    for k, s in contrib:
        e = inputs[k]._edge()
        v = tr.values[s.k]
        traced[e] = v if e not in traced else traced[e] + v
    for e, g in zip(edges, got):
        if g is None or not _same_bits(traced[e], np.asarray(g)):
            raise GraphBreak("the traced backward differs from eager")


class _Link:
    """What a linked kernel sees of the eager op: its outputs, and where it names the
    arrays the op's nodes saved."""

    def __init__(self, linked: dict, outputs: list) -> None:
        self.linked = linked
        self.outputs = outputs

    def same(self, eager: ndarray, value: Any) -> None:
        """The array `eager` that a node saved is `value` (a Sym, or a constant array made
        from shapes only) in the replay."""
        self.linked[id(eager)] = (eager, value)


def _saved_sym(s: Any, slots: _Slots, syms: list, linked: dict, cls: type) -> Any:
    """A node's saved value as the trace's slot: the forward's array, or a transpose of it."""
    hit = linked.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    if isinstance(s, (Tensor, Node)):
        raise GraphBreak(f"{cls.__name__} keeps a tensor")
    if not isinstance(s, ndarray):
        if isinstance(s, np.generic) or not isinstance(s, (list, dict, set)):
            return s
        raise GraphBreak(f"{cls.__name__} saved a {type(s).__name__}")
    k = slots.by_array.get(id(s))
    if k is not None and syms[k] is not None:
        return syms[k]
    k, perm = _permuted_slot(s, slots)
    if k is not None and syms[k] is not None:
        return np.transpose(syms[k], perm)
    raise GraphBreak(f"{cls.__name__} saved a value it computed itself")


class _tracing_math:
    """While formulas are traced, `raw`'s Python helpers are traced through their NumPy
    calls, or, where they hand a value to NumPy as an array of its own (np.asarray),
    recorded as one call. `raw` itself is the namespace the formulas get, as in plain
    backward; a helper called without traced values runs as it is, so that other threads'
    backward passes meanwhile are unaffected."""

    def __enter__(self) -> Any:
        ns = vars(Math.raw)
        self.saved = {k: f for k, f in ns.items() if isinstance(f, types.FunctionType)}
        for k, f in self.saved.items():
            ns[k] = _traced_helper(f)
        return Math.raw

    def __exit__(self, *exc: Any) -> None:
        vars(Math.raw).update(self.saved)


def _traced_helper(f: Callable) -> Callable:
    def helper(*args: Any, **kwargs: Any) -> Any:
        tr = _tracer_of(args, kwargs)
        if tr is None:
            return f(*args, **kwargs)
        mark = (len(tr.kinds), len(tr.steps))
        try:
            return f(*args, **kwargs)
        except Untraceable:
            del tr.kinds[mark[0]:], tr.values[mark[0]:], tr.steps[mark[1]:]
        return tr.call(f, args, kwargs, False)

    return helper


def _tracer_of(args: tuple, kwargs: dict) -> Tracer | None:
    for v in args + tuple(kwargs.values()):
        if type(v) is Sym:
            return v.t
    return None


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


class CompiledFunctionBackward(Node):
    """The backward of a compiled region: the recorded nodes' formulas as one flat list of
    NumPy calls, in eager order."""

    __slots__ = ()

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
                    np.empty(0, np.float32), None, version(checks[i]), version(checks[i + 1])))
        bs = saved[0]
        np.copyto(bs.grad_in, grad)
        try:
            for f, a in bs.bwd:
                f(*a)
        except GuardFailed:
            # A traced call gave a result of another shape than recorded (a helper whose
            # shape depends on values): no gradient rather than a wrong one.
            raise RuntimeError("a compiled region's backward met values its recording does "
                               "not hold for; call ember.compiler.reset() and run it "
                               "eagerly") from None
        out = []
        flat = self._next
        for j, g in enumerate(bs.contrib):
            nxt = flat[2 * j]
            # The buffers stay the recording's: the engine copies into a leaf's .grad, but
            # a hook or another node could keep what it is given.
            out.append(g if type(nxt) is AccumulateGrad and not nxt.variable._hooks
                       else g.copy())
        return tuple(out)
