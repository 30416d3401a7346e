"""torch.compile: record a call eagerly, replay later calls with the same inputs' signature.

See `recording.py` for what is recorded and how a replay stays bit-identical to eager ember;
this module holds the public wrappers and the guards that choose a recording.
"""

from __future__ import annotations

import functools
import types
import weakref
from typing import Any, Callable

from .._tensor import Tensor
from ..autograd.grad_mode import state as grad_state
from ..func import _dispatch
from ..nn.modules.module import Module
from .recording import Recording, Unsupported, record

__all__ = ["compile", "OptimizedModule", "reset", "Unsupported"]

# torch._dynamo.config.cache_size_limit: recordings kept per compiled function.
cache_size_limit = 8
_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
_SIMPLE = (bool, int, float, complex, str, type(None))
_all_regions: Any = weakref.WeakSet()


def _value_key(v: Any) -> Any:
    # Python values by value where they are plain, everything else by identity.
    if isinstance(v, _SIMPLE):
        return (type(v), v)
    if type(v) is tuple:
        return (tuple, tuple(_value_key(x) for x in v))
    return ("id", id(v))


def _flatten_inputs(v: Any, tensors: list, key: list) -> None:
    if isinstance(v, Tensor):
        d = v._data
        tensors.append(v)
        key.append(("T", d.shape, d.strides, d.dtype, v._rg, v._fn is None, v._base is None))
    elif type(v) in (tuple, list):
        key.append((type(v), len(v)))
        for x in v:
            _flatten_inputs(x, tensors, key)
    elif type(v) is dict:
        key.append((dict, tuple(v)))
        for x in v.values():
            _flatten_inputs(x, tensors, key)
    else:
        key.append(_value_key(v))


def _code_state(fn: Any) -> tuple:
    """The globals and closure cells a function's code names, as guard values."""
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return ()
    g = fn.__globals__
    out = [_value_key(g.get(n)) for n in code.co_names if n in g]
    for cell in fn.__closure__ or ():
        try:
            out.append(_value_key(cell.cell_contents))
        except ValueError:
            out.append(None)
    return tuple(out)


def _module_state(mod: Module) -> tuple | None:
    """What of a module tree a forward reads besides tensors: training flags, plain
    attributes, and the code state of each forward; and its parameters and buffers, in the
    order of `parameters()` and `buffers()`. None where a module has hooks. Every call pays
    this walk, so it is one flat pass (the walk of named_modules, without duplicates)."""
    out: list = []
    params: list = []
    buffers: list = []
    seen_p: set = set()
    seen_b: set = set()
    stack = [mod]
    seen = set()
    plain = _PLAIN_TYPES
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        d = m.__dict__
        if (d["_forward_hooks"] or d["_forward_pre_hooks"] or d["_backward_hooks"]
                or d["_backward_pre_hooks"]):
            return None
        for k, v in d.items():
            if k[0] == "_":
                continue
            t = type(v)
            if t in plain or isinstance(v, _SIMPLE):
                out.append(k)
                out.append(_value_key(v) if t is tuple else (t, v))
        out.append(_code_state(type(m).forward))
        for v in d["_parameters"].values():
            if v is not None and id(v) not in seen_p:
                seen_p.add(id(v))
                params.append(v)
        for v in d["_buffers"].values():
            if v is not None and id(v) not in seen_b:
                seen_b.add(id(v))
                buffers.append(v)
        kids = [c for c in d["_modules"].values() if c is not None]
        stack.extend(reversed(kids))
    return tuple(out), params, buffers


# Attribute types a guard compares by value (`bool` apart from `int`: True == 1).
_PLAIN_TYPES = frozenset(_SIMPLE + (tuple,))


class _Region:
    """One compiled callable: its recordings keyed by guard values."""

    def __init__(self, fn: Callable, module: Module | None, fullgraph: bool,
                 limit: int | None) -> None:
        self.fn = fn
        self.limit = limit
        self.module = module
        self.fullgraph = fullgraph
        self.cache: dict = {}
        # Counters a program (and the tests) can read: calls recorded, replayed, eager.
        self.stats = {"recorded": 0, "replayed": 0, "eager": 0}
        _all_regions.add(self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _dispatch.ACTIVE[0] or _dispatch.RECORDER[0] is not None:
            # Inside a transform or another region: run eagerly (the outer one records).
            self.stats["eager"] += 1
            return self.fn(*args, **kwargs)
        tensors: list = []
        key: list = [grad_state.enabled]
        _flatten_inputs(args, tensors, key)
        _flatten_inputs(kwargs, tensors, key)
        n_args = len(tensors)
        mod = self.module
        if mod is not None:
            walk = _module_state(mod)
            if walk is None:
                self.stats["eager"] += 1
                return self.fn(*args, **kwargs)
            state, params, buffers = walk
            key.append(state)
            for t in params:
                tensors.append(t)
                # The replay uses parameters' arrays as they are: `p.data = ...` records anew.
                key.append(("P", id(t), id(t._data), t._data.shape, t._data.strides,
                            t._data.dtype, t._rg))
            for t in buffers:
                tensors.append(t)
                key.append(("B", id(t), id(t._data), t._data.shape, t._data.strides,
                            t._data.dtype, t._rg))
        else:
            key.append(_code_state(self.fn))
        # Which inputs share one array (the same tensor twice, detach()): recordings name
        # arrays by identity.
        first: dict = {}
        key.append(tuple(first.setdefault(id(t._data), i) for i, t in enumerate(tensors)))
        key = tuple(key)
        try:
            hash(key)
        except TypeError:
            self.stats["eager"] += 1
            return self.fn(*args, **kwargs)
        entry = self.cache.get(key)
        if type(entry) is Recording:
            out = entry.replay(tensors)
            if out is not None:
                self.stats["replayed"] += 1
                return out
            self.stats["eager"] += 1
            return self.fn(*args, **kwargs)
        if entry is not None or len(self.cache) >= (self.limit or cache_size_limit):
            self.stats["eager"] += 1
            return self.fn(*args, **kwargs)
        result, rec = record(self.fn, args, kwargs, tensors, n_args, self.fullgraph)
        self.cache[key] = rec
        self.stats["recorded"] += 1
        return result


class OptimizedModule(Module):
    """A compiled module: calls go through the compiled forward; state_dict, parameters and
    attributes are the original module's (`_orig_mod`)."""

    def __init__(self, mod: Module, region: _Region) -> None:
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_region"] = region
        self.__dict__["training"] = mod.training

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the compiled forward of the original module."""
        return self.__dict__["_region"](*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["_orig_mod"], name)


def compile(model: Callable | None = None, *, fullgraph: bool = False,
            dynamic: bool | None = None, backend: str | Callable | None = None,
            mode: str | None = None, options: dict | None = None, name: str | None = None,
            disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Any:
    """Optimizes the given model/function: the first call with given inputs runs eagerly
    while it is recorded, and later calls with matching guards replay the recording as
    plain NumPy calls and one backward node (CompiledFunctionBackward). What cannot be
    replayed (a graph break) runs eagerly, or raises under fullgraph=True.
    """
    if model is None:
        def decorator(fn: Callable) -> Any:
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, name=name, disable=disable,
                           recompile_limit=recompile_limit)

        return decorator
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: "
                           + ", ".join(m for m in _MODES if m))
    if disable:
        return model
    if isinstance(model, Module):
        region = _Region(model.__call__, model, fullgraph, recompile_limit)
        return OptimizedModule(model, region)
    if not callable(model):
        raise RuntimeError("compile() expected a callable")
    region = _Region(model, None, fullgraph, recompile_limit)

    @functools.wraps(model)
    def compile_wrapper(*args: Any, **kwargs: Any) -> Any:
        return region(*args, **kwargs)

    compile_wrapper._torchdynamo_orig_callable = model
    compile_wrapper._ember_region = region
    return compile_wrapper


def reset() -> None:
    """Clears every recording (torch.compiler.reset)."""
    for r in _all_regions:
        r.cache.clear()


def region_of(compiled: Any) -> _Region:
    """The region behind a compiled function or module, for its counters."""
    if isinstance(compiled, OptimizedModule):
        return compiled.__dict__["_region"]
    if isinstance(compiled, types.FunctionType):
        return compiled._ember_region
    raise TypeError("not a compiled function or module")
